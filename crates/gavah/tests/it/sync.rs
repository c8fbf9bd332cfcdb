//! `gavah node` and `gavah bundle split|join` through the real binary: keys made
//! once and kept private, chunks for each channel joined back in any order,
//! and a short folder told how many more chunks it needs.

use crate::util::Dir;

#[test]
fn a_bundle_cut_into_chunks_comes_back_whole_from_any_enough_of_them() {
    let d = Dir::new();
    // Random bytes stand for an encrypted bundle.
    let bytes: Vec<u8> = (0..30_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bundle = d.create("b.bundle", &bytes);
    for channel in ["qr", "sms", "email", "udp"] {
        let dir = d.join(channel);
        let r = d
            .cmd(["bundle", "split"])
            .arg(&bundle)
            .args(["--channel", channel, "--out"])
            .arg(&dir)
            .ok();
        assert!(r.stdout.contains("chunks for"), "{r}");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let total = files.len();
        // Lose one chunk in fifteen, spread out: the 10 % of repair chunks cover
        // it with room for the rare split that needs K + 2 (the run is
        // deterministic: the same bytes give the same chunks).
        let lost = total / 15;
        for f in files.iter().step_by(total / lost.max(1)).take(lost) {
            std::fs::remove_file(f).unwrap();
        }
        let back = d.join(&format!("{channel}.back"));
        let r = d
            .cmd(["bundle", "join"])
            .arg(&dir)
            .arg("--out")
            .arg(&back)
            .ok();
        assert!(r.stdout.contains("rebuilt bundle"), "{channel}: {r}");
        assert_eq!(std::fs::read(&back).unwrap(), bytes, "{channel}");
    }
    // Too few chunks: a clear count of what is missing, non-zero exit.
    let dir = d.join("sms");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().take(files.len() / 2) {
        std::fs::remove_file(f).unwrap();
    }
    let r = d
        .cmd(["bundle", "join"])
        .arg(&dir)
        .arg("--out")
        .arg(d.join("short"))
        .fails();
    assert!(r.stdout.contains("more needed"), "{r}");
    r.assert_stderr_has(&["no bundle could be rebuilt yet"]);
    assert!(!d.join("short").exists());
    d.cmd(["bundle", "split"])
        .arg(&bundle)
        .args(["--channel", "pigeon", "--out", "x"])
        .usage_error();
}

#[test]
fn a_node_key_is_made_once_kept_private_and_printed_as_one_line() {
    let d = Dir::new();
    let made = d.cmd(["node", "init"]).ok().stdout;
    let line = made.trim();
    assert!(line.starts_with("gavah1") && !line.contains(' '), "{line}");
    let again = d
        .cmd(["node", "key", "--qr"])
        .arg(d.join("key.png"))
        .ok()
        .stdout;
    assert_eq!(again.trim(), line);
    let png = std::fs::read(d.join("key.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    d.cmd(["node", "init"])
        .fails()
        .assert_stderr_has(&["already holds this node's key"]);
    let key_file = std::path::PathBuf::from(format!("{}.node-key", d.db().display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is readable by others: {mode:o}"
        );
    }
    std::fs::remove_file(&key_file).unwrap();
    d.cmd(["node", "key"])
        .fails()
        .assert_stderr_has(&["gavah node init"]);
}

#[test]
fn wipe_overwrites_the_key_and_the_store_in_place_then_removes_them() {
    let d = Dir::with_store();
    let list = d.create(
        "list.csv",
        "name,city,date,status\nCANARY-WIPE Rezaei,Zahedan,2026-01-08,killed\n",
    );
    d.import(&list, "Field team", &[]);
    d.cmd(["node", "init"]).ok();
    let key = std::path::PathBuf::from(format!("{}.node-key", d.db().display()));
    // Hard links keep the files' blocks reachable after removal, so the test
    // can read what the wipe left in them.
    let db_link = d.join("db-link");
    let key_link = d.join("key-link");
    std::fs::hard_link(d.db(), &db_link).unwrap();
    std::fs::hard_link(&key, &key_link).unwrap();
    let key_before = std::fs::read(&key).unwrap();
    assert!(
        String::from_utf8_lossy(&std::fs::read(d.db()).unwrap()).contains("CANARY-WIPE"),
        "the test's name is not in the store file to begin with"
    );

    d.cmd(["node", "wipe"])
        .fails()
        .assert_stderr_has(&["--yes"]);
    assert!(
        d.db().exists() && key.exists(),
        "wipe without --yes destroyed something"
    );

    let r = d.cmd(["node", "wipe", "--yes"]).ok();
    assert!(r.stdout.contains("destroyed"), "{r}");
    assert!(!d.db().exists() && !key.exists());
    let db_after = std::fs::read(&db_link).unwrap();
    assert!(!String::from_utf8_lossy(&db_after).contains("CANARY-WIPE"));
    assert!(!db_after.windows(15).any(|w| w == b"SQLite format 3"));
    let key_after = std::fs::read(&key_link).unwrap();
    assert_eq!(key_after.len(), key_before.len());
    assert_ne!(key_after, key_before, "the key file was not overwritten");
    d.cmd(["node", "wipe", "--yes"])
        .fails()
        .assert_stderr_has(&["nothing to destroy"]);
}

/// Report ids of a store, sorted.
fn report_ids(d: &Dir) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(d.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the store opens");
    let mut stmt = conn
        .prepare("SELECT hex(id) FROM reports ORDER BY id")
        .expect("a query");
    stmt.query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("a row"))
        .collect()
}

#[test]
fn nodes_that_share_the_team_key_make_the_same_entries_from_the_same_rows() {
    let a = Dir::with_store();
    let key = a.join("team.key");
    a.cmd(["node", "team-key", "--out"]).arg(&key).ok();
    a.cmd(["node", "team-key", "--out"])
        .arg(&key)
        .fails()
        .assert_stderr_has(&["exists"]);
    let b = Dir::new();
    b.cmd(["init", "--team-key-file"]).arg(&key).ok();
    let other = Dir::with_store();
    let csv = "name,city,date,status\nMohammad Rezaei,Zahedan,2026-01-08,killed\nZahra Karimi,Tehran,2026-01-09,detained\n";
    for d in [&a, &b, &other] {
        let list = d.create("list.csv", csv);
        d.import(&list, "Field team", &[]);
    }
    assert_eq!(report_ids(&a).len(), 2);
    assert_eq!(
        report_ids(&a),
        report_ids(&b),
        "same team key, same rows: same ids"
    );
    assert_ne!(
        report_ids(&a),
        report_ids(&other),
        "another team's ids must differ"
    );

    let bad = b.create("bad.key", "not a key\n");
    Dir::new()
        .cmd(["init", "--team-key-file"])
        .arg(&bad)
        .fails()
        .assert_stderr_has(&["64 hexadecimal digits"]);
}
