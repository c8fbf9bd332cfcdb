//! The command line itself: help for every subcommand, a missing or existing
//! store, the demo, rebuild, claims, figures entered by hand, configuration.

use crate::util::{Dir, status_number};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[test]
fn every_subcommand_has_help() {
    let d = Dir::new();
    let cases: &[(&[&str], &str)] = &[
        (&["--help"], "Usage: gavah"),
        (&["init", "--help"], "Usage: gavah init"),
        (&["import", "--help"], "[columns]"),
        (&["figures", "--help"], "--sources"),
        (&["figure", "--help"], "Usage: gavah figure"),
        (&["figure", "add", "--help"], "--as-of"),
        (&["figure", "list", "--help"], "Usage: gavah figure list"),
        (&["claim", "--help"], "Usage: gavah claim"),
        (&["claim", "add", "--help"], "--text"),
        (&["claim", "status", "--help"], "disputed"),
        (&["claim", "list", "--help"], "Usage: gavah claim list"),
        (&["rebuild", "--help"], "Usage: gavah rebuild"),
        (&["status", "--help"], "Usage: gavah status"),
        (&["demo", "--help"], "--seed"),
        (&["config", "--help"], "Usage: gavah config"),
        (&["config", "show", "--help"], "Usage: gavah config show"),
        (&["bench", "--help"], "Usage: gavah bench"),
    ];
    for (args, expected) in cases {
        let r = d.cmd(*args).ok();
        assert!(
            r.stdout.contains(expected),
            "{args:?} lacks {expected:?}: {r}"
        );
    }
    // Help must not touch a store.
    assert!(!d.db().exists());
}

#[test]
fn commands_on_a_missing_store_say_to_run_init() {
    let d = Dir::new();
    for args in [
        &["figures"][..],
        &["figures", "--format", "json"],
        &["status"],
        &["claim", "list"],
        &["rebuild"],
    ] {
        let r = d.cmd(args).fails();
        r.assert_stderr_has(&["no Gavah store at", "gavah init"]);
        assert!(r.stdout.is_empty(), "{r}");
    }
    assert!(!d.db().exists(), "reading must not create a store");
}

#[test]
fn init_refuses_an_existing_store() {
    let d = Dir::new();
    let r = d.cmd(["init"]).ok();
    assert!(r.stdout.contains(&d.db().display().to_string()), "{r}");
    let node = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("node id: "))
        .expect("a node id")
        .to_string();
    let file = d.fixture("people.tsv");
    d.import(&file, "A", &[]);
    let before = d.snapshot();
    let again = d.cmd(["init"]).fails();
    again.assert_stderr_has(&["already exists"]);
    d.assert_unchanged(&before, "a second init");
    assert!(d.status().contains(&node), "the store keeps its node id");
}

#[test]
fn config_show_prints_the_effective_configuration() {
    let d = Dir::new();
    let r = d.cmd(["config", "show"]).ok();
    assert!(
        r.stdout
            .contains(&format!("db = {:?}", d.db().display().to_string())),
        "{r}"
    );
    assert!(r.stdout.contains("author = \"tester\""), "{r}");
    assert!(r.stdout.contains("no config file"), "{r}");
    // The data directory comes from the isolated home, never the real one.
    let data_dir = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("data_dir = "))
        .expect("data_dir");
    let data_dir = data_dir.trim_matches('"');
    assert!(
        Path::new(data_dir).starts_with(d.path()),
        "{data_dir} is outside the test's folder"
    );

    // A config file in the data directory is read; the environment beats it,
    // and flags beat both.
    std::fs::create_dir_all(data_dir).expect("data dir");
    crate::util::write_file(
        &Path::new(data_dir).join("gavah.toml"),
        b"author = \"from-file\"\nlog = \"info\"\n",
    );
    let r = d.cmd(["config", "show"]).ok();
    assert!(r.stdout.contains("log = \"info\""), "{r}");
    assert!(r.stdout.contains("gavah.toml"), "{r}");
    assert!(
        r.stdout.contains("author = \"tester\""),
        "GAVAH_AUTHOR beats the file: {r}"
    );
    let r = d.cmd(["--author", "from-flag", "config", "show"]).ok();
    assert!(r.stdout.contains("author = \"from-flag\""), "{r}");

    // A config file with a misspelt key is refused, naming the keys.
    let bad = d.create("bad.toml", "athor = \"x\"\n");
    let r = d
        .cmd(["--config"])
        .arg(&bad)
        .args(["config", "show"])
        .fails();
    r.assert_stderr_has(&["bad.toml", "keys: db, author, log"]);
}

/// Data rows of a list the demo wrote: CSV or XLSX.
fn data_rows(path: &Path) -> usize {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => csv::Reader::from_path(path)
            .expect("csv")
            .byte_records()
            .map(|r| r.expect("record"))
            .filter(|r| r.iter().any(|f| !f.is_empty()))
            .count(),
        Some("xlsx") => {
            use calamine::Reader as _;
            let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("xlsx");
            let sheet = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&sheet).expect("sheet");
            range.rows().count() - 1
        }
        other => panic!("a list of unknown kind {other:?}: {}", path.display()),
    }
}

#[test]
fn demo_is_deterministic_and_its_truth_covers_every_row() {
    let d = Dir::new();
    let lists = d.join("lists");
    let demo = |seed: &str| {
        d.cmd([
            "demo",
            "--no-serve",
            "--people",
            "300",
            "--seed",
            seed,
            "--write-lists",
        ])
        .arg(&lists)
        .ok()
    };
    let r = demo("7");
    assert!(r.stdout.contains("300 people"), "{r}");
    assert!(
        r.stdout.contains(&d.db().display().to_string()),
        "the demo uses --db: {r}"
    );
    let first = d.figures();
    assert!(first["people"].as_u64().expect("people") > 0, "{first}");

    // truth.csv names every row of every list exactly once, rows counted as a
    // spreadsheet shows them (header row 1).
    let mut truth: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut people = BTreeSet::new();
    let mut reader = csv::Reader::from_path(lists.join("truth.csv")).expect("truth.csv");
    for rec in reader.records() {
        let rec = rec.expect("truth record");
        let row: usize = rec[1].parse().expect("row number");
        assert!(
            truth.entry(rec[0].to_string()).or_default().insert(row),
            "{} row {row} twice in truth.csv",
            &rec[0]
        );
        people.insert(rec[2].to_string());
    }
    assert_eq!(
        people.len(),
        300,
        "every person of the demo is in the truth"
    );
    let mut list_files = BTreeSet::new();
    for entry in std::fs::read_dir(&lists).expect("lists") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("utf-8 name");
        if name == "truth.csv" || name == "figures.csv" {
            continue;
        }
        let n = data_rows(&lists.join(&name));
        let expected: BTreeSet<usize> = (2..n + 2).collect();
        assert_eq!(
            truth.get(&name),
            Some(&expected),
            "{name}: truth.csv must name rows 2..={}",
            n + 1
        );
        list_files.insert(name);
    }
    assert_eq!(
        truth.keys().cloned().collect::<BTreeSet<_>>(),
        list_files,
        "truth.csv names exactly the lists written"
    );
    // Every row of every list became a report.
    let rows: usize = truth.values().map(BTreeSet::len).sum();
    assert_eq!(first["reports"], rows as u64);

    // The same seed builds the same store; another seed another one.
    demo("7");
    assert_eq!(
        d.figures(),
        first,
        "the same seed must give the same figures"
    );
    demo("8");
    assert_ne!(d.figures(), first, "another seed must give other figures");
}

#[test]
fn demo_refuses_a_store_of_real_data() {
    let d = Dir::with_store();
    let file = d.fixture("people.tsv");
    d.import(&file, "A", &[]);
    let before = d.snapshot();
    let r = d.cmd(["demo", "--no-serve", "--people", "10"]).fails();
    r.assert_stderr_has(&["holds real data"]);
    d.assert_unchanged(&before, "a demo over real data");
}

#[test]
fn rebuild_leaves_the_figures_as_they_were() {
    // Regression: a batch entry was once stored as {"kind":"batch",…,"kind":"people",…}
    // (the enum's tag and `BatchBody::kind`), and rebuild stopped at the first
    // imported file with "duplicate field `kind`".
    let d = Dir::with_store();
    for (i, f) in ["people_fa.csv", "people.jsonl"].into_iter().enumerate() {
        let p = d.fixture(f);
        d.import(&p, &format!("Source {i}"), &[]);
    }
    d.cmd([
        "figure",
        "add",
        "--source",
        "Source 0",
        "--metric",
        "killed",
        "--value",
        "9",
        "--as-of",
        "2026-01-11",
    ])
    .ok();
    d.cmd([
        "claim",
        "add",
        "--by",
        "Spokesperson",
        "--date",
        "2026-01-10",
        "--text",
        "Calm",
    ])
    .ok();
    let figures = d.figures();
    let sources = d
        .cmd(["figures", "--sources", "--format", "json"])
        .ok()
        .stdout;
    let status = d.status();

    let r = d.cmd(["rebuild"]).ok();
    let entries = status_number(&status, "entries");
    assert!(
        r.stdout
            .contains(&format!("rebuilt the projections from {entries} entries")),
        "{r}"
    );
    assert!(r.stdout.contains("(unchanged)"), "{r}");
    assert_eq!(d.figures(), figures);
    assert_eq!(
        d.cmd(["figures", "--sources", "--format", "json"])
            .ok()
            .stdout,
        sources
    );
    assert_eq!(d.status(), status);
}

#[test]
fn rebuild_finds_no_drift_in_a_store_without_reports() {
    // Regression, fixed in the same change that added this test: the documented counts are computed only when reports move
    // (crates/gavah-store/src/project.rs `moves_counts`), so a new store, or one
    // holding only figures and claims, has no count rows, while rebuild always
    // writes them (zeros included): rebuild then reports "the projections had
    // drifted from the log and are now repaired" although nothing had.
    let d = Dir::with_store();
    let r = d.cmd(["rebuild"]).ok();
    assert!(
        r.stdout.contains("from 0 entries") && r.stdout.contains("(unchanged)"),
        "a new store: {r}"
    );

    d.cmd([
        "figure",
        "add",
        "--source",
        "Group",
        "--metric",
        "detained",
        "--value",
        "1200",
        "--qualifier",
        "about",
        "--as-of",
        "۱۴۰۴/۱۰/۲۱",
    ])
    .ok();
    let figures = d
        .cmd(["figures", "--sources", "--format", "json"])
        .ok()
        .stdout;
    let r = d.cmd(["rebuild"]).ok();
    assert!(r.stdout.contains("from 2 entries"), "{r}");
    assert_eq!(
        d.cmd(["figures", "--sources", "--format", "json"])
            .ok()
            .stdout,
        figures
    );
    // The Jalali as-of date is stored Gregorian.
    assert!(figures.contains("\"as_of\": \"2026-01-11\""), "{figures}");
    assert!(r.stdout.contains("(unchanged)"), "figures only: {r}");
}

#[test]
fn claims_keep_their_status_history() {
    let d = Dir::with_store();
    let r = d
        .cmd([
            "claim",
            "add",
            "--by",
            "Government spokesperson",
            "--date",
            "2026-01-10",
            "--text",
            "The figures are exaggerated",
            "--citation",
            "https://example.org/statement",
        ])
        .ok();
    let id = r
        .stdout
        .trim()
        .strip_prefix("recorded claim ")
        .unwrap_or_else(|| panic!("no claim id: {r}"))
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    let short = &id[..8];
    let r = d
        .cmd([
            "claim",
            "status",
            short,
            "disputed",
            "--by",
            "HRANA",
            "--note",
            "names published",
            "--date",
            "2026-01-12",
        ])
        .ok();
    assert!(
        r.stdout.contains(&format!("claim {short} is now disputed")),
        "{r}"
    );
    d.cmd([
        "claim",
        "status",
        &id,
        "confirmed",
        "--by",
        "Reuters",
        "--date",
        "2026-01-14",
    ])
    .ok();

    let r = d.cmd(["claim", "list", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let claims = v.as_array().expect("a list");
    assert_eq!(claims.len(), 1, "{v}");
    let c = &claims[0];
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["by"], "Government spokesperson");
    assert_eq!(c["date"], "2026-01-10");
    assert_eq!(c["citation"], "https://example.org/statement");
    assert_eq!(c["status"], "confirmed", "the latest status: {v}");
    let history: Vec<(String, String, String)> = c["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["date"].as_str().expect("date").to_string(),
                h["status"].as_str().expect("status").to_string(),
                h["by"].as_str().expect("by").to_string(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("2026-01-12".into(), "disputed".into(), "HRANA".into()),
            ("2026-01-14".into(), "confirmed".into(), "Reuters".into())
        ]
    );
    assert_eq!(c["history"][0]["note"], "names published");

    let table = d.cmd(["claim", "list"]).ok().stdout;
    assert!(
        table.contains(short) && table.contains("[confirmed]"),
        "{table}"
    );

    // Too short an id, and an id no claim has, are refused with what to do.
    let r = d
        .cmd(["claim", "status", &id[..4], "denied", "--by", "X"])
        .fails();
    r.assert_stderr_has(&["at least 6 hex digits", "gavah claim list"]);
    let r = d
        .cmd(["claim", "status", "ffffffff", "denied", "--by", "X"])
        .fails();
    r.assert_stderr_has(&["no claim has an id starting with 'ffffffff'"]);
    let r = d
        .cmd(["claim", "status", short, "maybe", "--by", "X"])
        .usage_error();
    r.assert_stderr_has(&["not a claim status", "disputed"]);
}

#[test]
fn figure_add_checks_its_values() {
    let d = Dir::with_store();
    let base = ["figure", "add", "--source", "HRANA", "--value", "544"];
    for (as_of, expected) in [
        ("2026-13-45", "month 13"),
        ("2026-01", "expected a full date with day, month and year"),
        ("yesterday", "expected a date such as 2026-01-08"),
    ] {
        let r = d
            .cmd(base)
            .args(["--metric", "killed", "--as-of", as_of])
            .usage_error();
        r.assert_stderr_has(&["--as-of", as_of, expected]);
    }
    let r = d
        .cmd(base)
        .args(["--metric", "deaths-ish", "--as-of", "2026-01-11"])
        .usage_error();
    r.assert_stderr_has(&[
        "--metric",
        "not a metric",
        "expected one of: killed, wounded, detained",
    ]);
    let r = d
        .cmd(base)
        .args([
            "--metric",
            "killed",
            "--as-of",
            "2026-01-11",
            "--qualifier",
            "roughly",
        ])
        .usage_error();
    r.assert_stderr_has(&["not a qualifier", "at-least"]);
    let r = d
        .cmd(base)
        .args([
            "--metric",
            "killed",
            "--as-of",
            "2026-01-11",
            "--scope",
            "Atlantis",
        ])
        .fails();
    r.assert_stderr_has(&["--scope", "'Atlantis'", "IR-11"]);
    assert!(d.status().contains("0 figures"), "nothing was recorded");

    let r = d
        .cmd(base)
        .args([
            "--metric",
            "killed",
            "--as-of",
            "2026-01-11",
            "--qualifier",
            "at-least",
        ])
        .ok();
    assert!(r.stdout.starts_with("recorded figure "), "{r}");
    let table = d.cmd(["figure", "list"]).ok().stdout;
    assert!(
        table.contains("HRANA") && table.contains("at-least 544"),
        "{table}"
    );
}
