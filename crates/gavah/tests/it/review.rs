//! The review API through a real `gavah serve --review`: only a reviewer's
//! token opens it, the token is shown once and kept nowhere, decisions are
//! recorded under the reviewer's name and hold, no pair carries a protected
//! field, and removing the user closes the API to their token.

use crate::link::pids;
use crate::util::Dir;
use crate::web::{Server, get, request};
use rusqlite::{Connection, OpenFlags};
use std::collections::{HashMap, HashSet};

fn add_user(d: &Dir, name: &str) -> String {
    let r = d.cmd(["user", "add", name, "--role", "reviewer"]).ok();
    r.stdout
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_string()
}

/// Protected values of the store's reports, by report id (hex).
fn protected(d: &Dir) -> HashMap<String, Vec<String>> {
    let conn = Connection::open_with_flags(d.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the store opens");
    let mut stmt = conn
        .prepare(
            "SELECT lower(hex(r.id)), p.witness, p.contact, p.notes
             FROM report_protected p JOIN reports r ON r.seq = p.report",
        )
        .expect("a query");
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                [
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ],
            ))
        })
        .expect("rows");
    for row in rows {
        let (id, values) = row.expect("a row");
        out.entry(id)
            .or_default()
            .extend(values.into_iter().flatten().filter(|v| v.len() >= 4));
    }
    out
}

#[test]
fn only_a_reviewers_token_opens_the_review_api_and_decisions_hold() {
    let d = Dir::new();
    let lists = d.join("lists");
    d.cmd(["demo", "--no-serve", "--write-lists"])
        .arg(&lists)
        .ok();
    let token = add_user(&d, "sara");
    assert!(
        token.starts_with("gvh_") && token.len() == 68,
        "not a token: {token}"
    );
    let listed = d.cmd(["user", "list"]).ok();
    assert!(listed.stdout.contains("sara\treviewer"), "{listed}");
    assert!(
        !listed.all().contains(&token[4..]),
        "the list shows a token"
    );
    let db = d.db_bytes();
    assert!(
        !db.windows(token.len()).any(|w| w == token.as_bytes())
            && !db.windows(64).any(|w| w == &token.as_bytes()[4..]),
        "the store file holds the token"
    );
    d.cmd(["user", "add", "sara"]).fails();
    d.cmd(["user", "add", "reza", "--role", "admin"]).fails();
    let auth = format!("Bearer {token}");

    // The public server has no review routes, token or not.
    let public = Server::start(&d);
    let r = get(public.addr, "/api/v1/review", &[("Authorization", &auth)]);
    assert_eq!(r.status, 404, "{}", r.body);
    drop(public);

    let s = Server::start_with(&d, &["--review"]);
    for headers in [
        vec![],
        vec![("Authorization", "Basic c2FyYTpzZWNyZXQ=")],
        vec![(
            "Authorization",
            "Bearer gvh_00000000000000000000000000000000000000000000000000000000000000ff",
        )],
    ] {
        let r = get(s.addr, "/api/v1/review", &headers);
        assert_eq!(r.status, 401, "{headers:?}: {}", r.body);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{r:?}"
        );
        let r = request(
            s.addr,
            "POST",
            "/api/v1/review/decisions",
            &headers,
            br#"{"decisions":[]}"#,
        );
        assert_eq!(r.status, 401, "{headers:?}: {}", r.body);
    }

    let r = get(
        s.addr,
        "/api/v1/review?limit=500",
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let queue = r.json();
    assert_eq!(queue["reviewer"], "sara");
    let pairs = queue["pairs"].as_array().expect("pairs");
    assert!(pairs.len() > 10, "a short queue: {}", pairs.len());

    // No pair carries a protected value, though pairs show reports that
    // have them.
    let hidden = protected(&d);
    let shown: HashSet<String> = pairs
        .iter()
        .flat_map(|p| [&p["a"]["report"], &p["b"]["report"]])
        .filter_map(|v| v.as_str().map(str::to_lowercase))
        .collect();
    assert!(
        shown.iter().any(|id| hidden.contains_key(id)),
        "no pair shows a report with protected fields: the check below would prove nothing"
    );
    for values in hidden.values() {
        for v in values {
            assert!(
                !r.body.contains(v.as_str()),
                "a protected value leaked: {v}"
            );
        }
    }

    // Two decisions: the first pair is different people, the second the same.
    let id =
        |p: &serde_json::Value, side: &str| p[side]["report"].as_str().expect("an id").to_string();
    let (a, b) = (id(&pairs[0], "a"), id(&pairs[0], "b"));
    let (c, e) = (id(&pairs[1], "a"), id(&pairs[1], "b"));
    let body = serde_json::json!({"decisions": [
        {"a": a, "b": b, "decision": "different", "note": "checked with the family"},
        {"a": c, "b": e, "decision": "same"},
    ]});
    // A bad decision refuses the whole request and records nothing.
    let mut bad = body.clone();
    bad["decisions"][1]["b"] = serde_json::Value::String("0".repeat(32));
    let before = d.snapshot();
    let post = |body: &str| {
        request(
            s.addr,
            "POST",
            "/api/v1/review/decisions",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let r = post(&bad.to_string());
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("decision 2"), "{}", r.body);
    d.assert_unchanged(&before, "a refused decision");
    for broken in [
        r#"{"decisions": "same"}"#,
        r#"{"decisions":[{"a":"x","b":"y","decision":"maybe"}]}"#,
        "not json",
    ] {
        let r = post(broken);
        assert_eq!(r.status, 400, "{broken}: {}", r.body);
    }

    let r = post(&body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    let done = r.json();
    assert_eq!(done["recorded"].as_array().map(Vec::len), Some(2), "{done}");
    let now = pids(&d);
    assert_ne!(now[&a], now[&b], "a 'different' decision did not hold");
    assert_eq!(now[&c], now[&e], "a 'same' decision did not hold");
    assert_eq!(done["people"], d.figures()["people"], "{done}");
    // Recorded under the reviewer's name.
    let conn = Connection::open_with_flags(d.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the store opens");
    let authors: Vec<String> = conn
        .prepare("SELECT author FROM link_decisions")
        .expect("a query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("a row"))
        .collect();
    assert_eq!(authors, vec!["sara".to_string(); 2]);

    // Removed, the user's token opens nothing.
    d.cmd(["user", "remove", "sara"]).ok();
    let r = get(s.addr, "/api/v1/review", &[("Authorization", &auth)]);
    assert_eq!(r.status, 401, "{}", r.body);
}
