//! Re-importing: the same rows add nothing, identical rows within one file stay
//! separate reports, and an extended file adds only its new rows.

use crate::util::{Dir, status_number};

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let d = Dir::with_store();
    let file = d.fixture("people_fa.csv");
    let first = d.import(&file, "Source A", &[]);
    assert!(
        first.stdout.contains("8 new, 0 already in the store"),
        "{first}"
    );
    let figures = d.figures();
    let status = d.status();

    let second = d.import(&file, "Source A", &[]);
    assert!(
        second.stdout.contains("imported 8 rows")
            && second.stdout.contains("0 new, 8 already in the store"),
        "{second}"
    );
    assert_eq!(d.figures(), figures, "the figures must not move");
    assert_eq!(d.status(), status, "the store must hold the same entries");
    assert_eq!(status_number(&status, "reports"), 8);
    assert_eq!(status_number(&status, "imported"), 1, "one batch: {status}");
}

#[test]
fn the_same_rows_under_another_name_and_order_add_nothing() {
    // A report is its source and its row's content, not the file's name or the
    // row's position: a re-saved, re-sorted copy adds nothing.
    let d = Dir::with_store();
    let file = d.fixture("people.tsv");
    d.import(&file, "Source A", &[]);
    let text = std::fs::read_to_string(&file).expect("fixture");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let copy = d.create("copy of list.tsv", lines.join("\n") + "\n");
    let r = d.import(&copy, "Source A", &[]);
    assert!(r.stdout.contains("0 new, 3 already in the store"), "{r}");
    assert_eq!(d.reports(), 3);
}

#[test]
fn identical_rows_are_kept_as_separate_reports() {
    // Two identical rows can be two people (two unnamed victims in one city on
    // one day), so both are kept; re-importing keeps it at two.
    let d = Dir::with_store();
    let file = d.create(
        "unnamed.csv",
        "status,date,city\nkilled,2026-01-08,Zahedan\nkilled,2026-01-08,Zahedan\nwounded,2026-01-08,Zahedan\n",
    );
    let r = d.import(&file, "Source A", &["--verbose"]);
    assert!(
        r.stdout.contains("3 new") && r.stdout.contains("1 repeated rows kept as separate people"),
        "{r}"
    );
    let f = d.figures();
    assert_eq!(f["reports"], 3, "{f}");
    assert_eq!(
        f["people"], 3,
        "unnamed reports are each their own person: {f}"
    );
    assert_eq!(f["by_outcome"]["killed"], 2, "{f}");

    let again = d.import(&file, "Source A", &[]);
    assert!(
        again.stdout.contains("0 new, 3 already in the store"),
        "{again}"
    );
    assert_eq!(d.figures(), f);

    // Named identical rows are two reports; until linkage they are one person.
    let named = d.create(
        "named.csv",
        "name,status,date,city\nNima Farhadi,killed,2026-01-09,Zahedan\nNima Farhadi,killed,2026-01-09,Zahedan\n",
    );
    let r = d.import(&named, "Source A", &[]);
    assert!(r.stdout.contains("2 new"), "{r}");
    let f = d.figures();
    assert_eq!(f["reports"], 5, "{f}");
    assert_eq!(f["people"], 4, "{f}");
}

#[test]
fn an_extended_file_adds_only_its_new_row() {
    let d = Dir::with_store();
    let base = std::fs::read_to_string(crate::util::data("people_fa.csv")).expect("fixture");
    let v1 = d.create("list-v1.csv", &base);
    d.import(&v1, "Source A", &[]);
    let before = d.figures();

    // The same rows (one of them twice, as it was) plus one new person.
    let v2 = d.create(
        "list-v2.csv",
        base.clone() + "۹,نرگس محمدی,۳۰,زن,کشته,۱۴۰۴/۱۰/۲۲,گیلان,رشت,معترض\n",
    );
    let r = d.import(&v2, "Source A", &[]);
    assert!(
        r.stdout.contains("imported 9 rows") && r.stdout.contains("1 new, 8 already in the store"),
        "{r}"
    );
    let after = d.figures();
    assert_eq!(after["reports"], 9, "{after}");
    assert_eq!(
        after["people"],
        before["people"].as_u64().expect("people") + 1
    );
    assert_eq!(
        after["by_outcome"]["killed"],
        before["by_outcome"]["killed"].as_u64().expect("killed") + 1
    );
    let status = d.status();
    assert_eq!(status_number(&status, "reports"), 9);
    assert_eq!(status_number(&status, "imported"), 2, "two files: {status}");

    // Importing the extended file again adds nothing.
    let r = d.import(&v2, "Source A", &[]);
    assert!(r.stdout.contains("0 new, 9 already in the store"), "{r}");
}
