//! Store story: a fresh SQLite file takes a source, an imported list (a batch
//! and its reports), a published figure and a claim with status changes, and
//! answers the documented counts, the figures, the claims with their current
//! status and the totals, the same after closing and reopening the file.

// Helpers panic on failure like the tests that call them; clippy's
// `allow-unwrap-in-tests` only covers `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

use expect_test::expect;
use gavah_core::{EntryId, NodeId};
use gavah_entry::{
    BatchBody, Body, ClaimBody, ClaimStatusBody, ColumnBody, Entry, FigureBody, Hlc, OutcomeBody,
    PersonBody, PlaceBody, ReportBody, SourceBody, TeamKey,
};
use gavah_store::{Appended, Store};

fn key() -> TeamKey {
    TeamKey::from_bytes(std::array::from_fn(|i| u8::try_from(i).unwrap()))
}

const NODE: NodeId = NodeId([1; 16]);
const OTHER_NODE: NodeId = NodeId([2; 16]);

/// 2026-01-08T00:00:00Z plus `n` ticks.
fn hlc(n: u64) -> Hlc {
    Hlc((1_767_830_400_000 << 16) + n)
}

fn killed(date: &str, province: &str, city: u32) -> OutcomeBody {
    OutcomeBody {
        outcome: "killed".into(),
        date: Some(date.into()),
        precision: "day".into(),
        place: PlaceBody {
            province: Some(province.into()),
            city: Some(city),
            ..PlaceBody::default()
        },
    }
}

struct Story {
    entries: Vec<Entry>,
    first_report: EntryId,
    claim: EntryId,
    quiet_claim: EntryId,
}

fn story() -> Story {
    let key = key();
    let mut entries = Vec::new();
    let mut add = |node: NodeId, tick: u64, body: Body| {
        let entry = Entry::new(&key, node, "sara", hlc(tick), body);
        let id = entry.id;
        entries.push(entry);
        id
    };
    let source = add(
        NODE,
        1,
        Body::Source(SourceBody {
            name: "Hengaw".into(),
            source_type: "rights-group".into(),
            protected: false,
        }),
    );
    let batch = add(
        NODE,
        2,
        Body::Batch(BatchBody {
            source,
            list_kind: "people".into(),
            file_name: "list.csv".into(),
            file_hash: "00".into(),
            format: "csv".into(),
            encoding: "utf-8".into(),
            rows: 4,
            columns: vec![ColumnBody {
                header: "name".into(),
                field: Some("name".into()),
            }],
        }),
    );
    // Four rows: two name the same person at the same place and day (one person,
    // two reports), one is a wounded protester elsewhere, one is unnamed.
    let people = [
        (
            "مهسا امینی",
            Some("a witness"),
            vec![killed("2022-09-16", "IR-23", 112_931)],
        ),
        (
            "مهسا  اميني",
            None,
            vec![killed("2022-09-16", "IR-23", 112_931)],
        ),
        (
            "Nika Shakarami",
            None,
            vec![OutcomeBody {
                outcome: "wounded".into(),
                date: Some("2022-09".into()),
                precision: "month".into(),
                place: PlaceBody {
                    province: Some("IR-12".into()),
                    ..PlaceBody::default()
                },
            }],
        ),
        ("", None, vec![killed("2022-09-20", "IR-12", 115_770)]),
    ];
    let mut reports = Vec::new();
    for (i, (name, witness, outcomes)) in people.into_iter().enumerate() {
        let row = 2 + i as u64;
        reports.push(add(
            NODE,
            3 + i as u64,
            Body::Report(ReportBody {
                source,
                batch,
                row,
                occurrence: 0,
                raw: vec![
                    ["name".into(), name.into()],
                    ["row".into(), row.to_string()],
                ],
                person: PersonBody {
                    name: Some(name.to_string()).filter(|n| !n.is_empty()),
                    category: Some("protester".into()),
                    witness: witness.map(String::from),
                    outcomes,
                    ..PersonBody::default()
                },
            }),
        ));
    }
    add(
        NODE,
        10,
        Body::Figure(FigureBody {
            source,
            metric: "killed".into(),
            value: 500,
            qualifier: "at-least".into(),
            as_of: "2026-01-08".into(),
            province: None,
            category: None,
            citation: Some("https://example.org/report".into()),
        }),
    );
    add(
        NODE,
        11,
        Body::Figure(FigureBody {
            source,
            metric: "killed".into(),
            value: 40,
            qualifier: "about".into(),
            as_of: "2026-01-01".into(),
            province: Some("IR-23".into()),
            category: None,
            citation: None,
        }),
    );
    let claim = add(
        NODE,
        12,
        Body::Claim(ClaimBody {
            by: "Ministry of the Interior".into(),
            date: "2026-01-09".into(),
            text: "No one was killed in Tehran".into(),
            citation: None,
        }),
    );
    let quiet_claim = add(
        NODE,
        13,
        Body::Claim(ClaimBody {
            by: "Police".into(),
            date: "2026-01-10".into(),
            text: "Ten were arrested".into(),
            citation: None,
        }),
    );
    // Status changes order by their date, then by clock: the change dated
    // earliest comes first even though it was written last, and of the two on
    // the same day the later clock wins, whichever node wrote it.
    let status = |status: &str, date: &str| {
        Body::ClaimStatus(ClaimStatusBody {
            claim,
            status: status.into(),
            by: "sara".into(),
            date: date.into(),
            note: None,
        })
    };
    add(NODE, 20, status("disputed", "2026-01-11"));
    add(OTHER_NODE, 14, status("unconfirmed", "2026-01-11"));
    add(OTHER_NODE, 30, status("confirmed", "2026-01-10"));
    Story {
        first_report: reports[0],
        entries,
        claim,
        quiet_claim,
    }
}

/// What the store answers, as text; also checks what does not print well.
fn state(store: &Store, story: &Story) -> String {
    assert_eq!(
        store.report_protected(story.first_report).unwrap(),
        Some([Some("a witness".into()), None, None])
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let mut out = format!("{:?}\n", store.totals().unwrap());
    out.push_str("counts:\n");
    for c in store.counts().unwrap() {
        out.push_str(&format!(
            "  {} {:?} {} = {}\n",
            c.dim, c.key, c.outcome, c.n
        ));
    }
    out.push_str("figures:\n");
    for f in store.published_figures().unwrap() {
        out.push_str(&format!(
            "  {} {} {} {} as of {} in {:?} from {}\n",
            f.metric, f.qualifier, f.value, f.source_name, f.as_of, f.province, f.source_type
        ));
    }
    out.push_str("claims:\n");
    for c in store.claims().unwrap() {
        let which = if c.id == story.claim {
            "claim"
        } else if c.id == story.quiet_claim {
            "quiet claim"
        } else {
            "?"
        };
        let history: Vec<String> = c
            .history
            .iter()
            .map(|s| format!("{} {}", s.date, s.status))
            .collect();
        out.push_str(&format!(
            "  {which} by {} on {}: {} [{}]\n",
            c.by,
            c.date,
            c.status(),
            history.join(", ")
        ));
    }
    out
}

#[test]
fn a_list_a_figure_and_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gavah.db");
    let story = story();
    let (state_before, digest) = {
        let mut store = Store::create(&path, NODE, key(), "test").unwrap();
        let mut writer = store.writer().unwrap();
        for entry in &story.entries {
            assert_eq!(writer.append(entry).unwrap(), Appended::New);
        }
        // The same entries again change nothing.
        for entry in &story.entries {
            assert_eq!(writer.append(entry).unwrap(), Appended::Duplicate);
        }
        writer.commit().unwrap();
        let state = state(&store, &story);
        assert_eq!(
            store
                .claims_with_prefix(&story.claim.to_string()[..8])
                .unwrap(),
            [story.claim]
        );
        assert!(store.claim_exists(story.quiet_claim).unwrap());
        (state, store.digest().unwrap())
    };
    expect![[r#"
        Totals { entries: 13, reports: 4, sources: 1, batches: 1, figures: 2, claims: 2 }
        counts:
          category "protester" killed = 2
          category "protester" wounded = 1
          cities "" any = 2
          cities "" killed = 2
          city "112931" killed = 1
          city "115770" killed = 1
          day "2022-09-16" killed = 1
          day "2022-09-20" killed = 1
          people "" any = 3
          province "IR-12" killed = 1
          province "IR-12" wounded = 1
          province "IR-23" killed = 1
          provinces "" any = 2
          reports "" any = 4
          total "" killed = 2
          total "" wounded = 1
        figures:
          killed about 40 Hengaw as of 2026-01-01 in Some("IR-23") from rights-group
          killed at-least 500 Hengaw as of 2026-01-08 in None from rights-group
        claims:
          claim by Ministry of the Interior on 2026-01-09: disputed [2026-01-10 confirmed, 2026-01-11 unconfirmed, 2026-01-11 disputed]
          quiet claim by Police on 2026-01-10: claimed []
    "#]].assert_eq(&state_before);

    // Closed and opened again, the file says the same.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.node(), NODE);
    assert_eq!(store.team_key(), &key());
    assert_eq!(store.meta("purpose").unwrap().as_deref(), Some("test"));
    assert_eq!(state(&store, &story), state_before);
    assert_eq!(store.digest().unwrap(), digest);
    assert_eq!(store.entries().unwrap().len(), story.entries.len());
}

#[test]
fn a_store_refuses_to_be_created_twice_and_to_open_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gavah.db");
    drop(Store::create(&path, NODE, key(), "test").unwrap());
    let again = Store::create(&path, NODE, key(), "test").err().unwrap();
    expect!["$DIR/gavah.db already exists; choose another path or remove it first"].assert_eq(
        &again
            .to_string()
            .replace(dir.path().to_str().unwrap(), "$DIR"),
    );
    let missing = Store::open(&dir.path().join("missing.db")).err().unwrap();
    expect!["no Gavah store at $DIR/missing.db; run `gavah init` to create one, or pass --db"]
        .assert_eq(
            &missing
                .to_string()
                .replace(dir.path().to_str().unwrap(), "$DIR"),
        );
}

#[test]
fn an_uncommitted_writer_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gavah.db");
    let story = story();
    let mut store = Store::create(&path, NODE, key(), "test").unwrap();
    let empty = store.digest().unwrap();
    {
        let mut writer = store.writer().unwrap();
        for entry in &story.entries {
            writer.append(entry).unwrap();
        }
        // Dropped without a commit.
    }
    assert_eq!(store.totals().unwrap(), Default::default());
    assert_eq!(store.digest().unwrap(), empty);
}
