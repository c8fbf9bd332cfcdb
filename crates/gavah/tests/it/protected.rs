//! Protected fields: witness, contact and notes (and a protected source's name)
//! are stored, and never appear in public output or in any message.

use crate::util::{Dir, Run};

const WITNESS: &str = "CANARY-WITNESS-7731";
const CONTACT: &str = "09120000000";
const NOTE: &str = "CANARY-NOTE-4410";
const SOURCE: &str = "CANARY-SOURCE";

/// Asserts no canary of the protected columns appears in a command's output.
#[track_caller]
fn assert_no_protected_fields(r: &Run) {
    for canary in [WITNESS, CONTACT, NOTE, "CANARY-WITNESS", "CANARY-NOTE"] {
        assert!(!r.all().contains(canary), "{canary} leaked: {r}");
    }
}

/// Asserts nothing protected appears, the protected source's name included.
#[track_caller]
fn assert_nothing_protected(r: &Run) {
    assert_no_protected_fields(r);
    assert!(
        !r.all().contains(SOURCE),
        "the protected source's name leaked: {r}"
    );
}

/// A store holding the protected list, a figure from its source, a claim and
/// a public list, as a team would have it.
fn store_with_protected_list() -> Dir {
    let d = Dir::with_store();
    let file = d.fixture("protected.csv");
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args([
            "--source",
            SOURCE,
            "--source-type",
            "field-report",
            "--protected",
        ])
        .ok();
    assert!(
        r.stdout.contains("2 new") && r.stdout.contains("(protected)"),
        "{r}"
    );
    assert_no_protected_fields(&r);
    d.cmd([
        "figure",
        "add",
        "--source",
        SOURCE,
        "--metric",
        "killed",
        "--value",
        "17",
        "--qualifier",
        "at-least",
        "--as-of",
        "2026-01-11",
        "--scope",
        "IR-23",
    ])
    .ok();
    d.cmd([
        "figure",
        "add",
        "--source",
        "Public group",
        "--source-type",
        "rights-group",
        "--metric",
        "killed",
        "--value",
        "21",
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
        "Nobody was killed",
    ])
    .ok();
    let public = d.fixture("people.tsv");
    d.import(&public, "Public group", &[]);
    d
}

#[test]
fn protected_fields_are_stored() {
    // Without this, the other tests could pass because the canaries never got in.
    let d = store_with_protected_list();
    let f = d.figures();
    assert_eq!(f["reports"], 5, "{f}");
    assert_eq!(f["by_outcome"]["killed"], 2, "{f}");
    let bytes = d.db_bytes();
    for canary in [WITNESS, CONTACT, NOTE] {
        assert!(
            bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "{canary} is not in the store"
        );
    }
}

#[test]
fn figures_never_show_protected_fields_or_source() {
    let d = store_with_protected_list();
    // JSON holds every breakdown at once.
    assert_nothing_protected(&d.cmd(["figures", "--format", "json"]).ok());
    for by in [
        None,
        Some("category"),
        Some("outcome"),
        Some("province"),
        Some("city"),
        Some("day"),
    ] {
        for format in ["table", "csv"] {
            let mut c = d.cmd(["figures", "--format", format]);
            if let Some(by) = by {
                c.args(["--by", by]);
            }
            assert_nothing_protected(&c.ok());
        }
    }
    for format in ["table", "json", "csv"] {
        let r = d.cmd(["figures", "--sources", "--format", format]).ok();
        assert_nothing_protected(&r);
        assert!(
            r.stdout.contains("17"),
            "the protected source's figure is shown: {r}"
        );
        assert!(
            r.stdout.contains("Public group"),
            "a public source is named: {r}"
        );
        let list = d.cmd(["figure", "list", "--format", format]).ok();
        assert_nothing_protected(&list);
        assert_eq!(list.stdout, r.stdout, "figure list is figures --sources");
    }
    // The protected source's figure is there, named by its type.
    let json: serde_json::Value = serde_json::from_str(
        &d.cmd(["figures", "--sources", "--format", "json"])
            .ok()
            .stdout,
    )
    .expect("json");
    let figures = json["figures"].as_array().expect("figures");
    let protected = figures
        .iter()
        .find(|f| f["value"] == 17)
        .unwrap_or_else(|| panic!("no figure of 17: {json}"));
    assert_eq!(protected["source_type"], "field-report", "{json}");
    assert_eq!(protected["province"], "IR-23", "{json}");
}

#[test]
fn claims_and_status_never_show_protected_fields() {
    let d = store_with_protected_list();
    for format in ["table", "json"] {
        assert_nothing_protected(&d.cmd(["claim", "list", "--format", format]).ok());
    }
    // Status is the documenter's view: it may name the protected source, marked
    // as such, but never a witness, a contact or a note.
    let r = d.cmd(["status"]).ok();
    assert_no_protected_fields(&r);
    assert!(r.stdout.contains("[protected]"), "{r}");
    let r = d.cmd(["rebuild"]).run();
    assert_no_protected_fields(&r);
    let r = d.cmd(["config", "show"]).ok();
    assert_nothing_protected(&r);
}

#[test]
fn verbose_logging_never_shows_protected_fields() {
    let d = Dir::with_store();
    let file = d.fixture("protected.csv");
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", SOURCE, "--protected", "--verbose", "--dry-run"])
        .env("GAVAH_LOG", "trace")
        .ok();
    assert_no_protected_fields(&r);
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", SOURCE, "--protected", "--verbose"])
        .env("GAVAH_LOG", "trace")
        .ok();
    assert_no_protected_fields(&r);
    let r = d
        .cmd(["figures", "--format", "json"])
        .env("GAVAH_LOG", "trace")
        .ok();
    assert_nothing_protected(&r);
}

/// The protected fixture's header, and a row of it with `date` and `witness` given.
fn protected_row(date: &str, witness: &str) -> String {
    format!("علی کریمی,کشته,{date},تهران,{witness},{CONTACT},{NOTE}\n")
}

const HEADER: &str = "نام و نام خانوادگی,وضعیت,تاریخ,شهر,شاهد,شماره تماس,یادداشت\n";

#[test]
fn errors_in_a_row_never_quote_its_protected_fields() {
    let d = Dir::with_store();
    // A bad date and an unknown status in rows that hold a witness, a contact
    // and a note: the errors quote the date and the status only.
    let text = format!(
        "{HEADER}{}{}",
        protected_row("1404/13/01", WITNESS),
        protected_row("1404/10/18", WITNESS).replace("کشته", "شهادت‌طلب")
    );
    let file = d.create("bad-rows.csv", text);
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", SOURCE, "--protected", "--verbose"])
        .fails();
    r.assert_stderr_has(&["row 2", "'1404/13/01'", "row 3", "column 'وضعیت'"]);
    assert_no_protected_fields(&r);
    assert_eq!(d.reports(), 0);
}

#[test]
fn a_too_long_protected_field_is_not_echoed() {
    let d = Dir::with_store();
    let long = format!("{WITNESS} {}", "x".repeat(70 * 1024));
    let text = format!("{HEADER}{}", protected_row("1404/10/18", &long));
    let file = d.create("long-witness.csv", text);
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", SOURCE, "--protected"])
        .fails();
    r.assert_stderr_has(&[
        "long-witness.csv",
        "row 2",
        "column 'شاهد'",
        "expected at most 65536",
    ]);
    assert_no_protected_fields(&r);
    assert_eq!(d.reports(), 0);
}

#[test]
fn a_protected_field_of_the_wrong_json_type_is_not_echoed() {
    // Regression, fixed in the same change that added this test: crates/gavah-import/src/reader.rs `open_jsonl` reports a value
    // that is not a string, number or null as "expected a string, number or
    // null, found {other}", printing the whole value, whatever its column.
    let d = Dir::with_store();
    for (column, value) in [
        ("witness", format!("[\"{WITNESS}\"]")),
        ("contact", format!("{{\"phone\": \"{CONTACT}\"}}")),
        ("notes", format!("[\"{NOTE}\", 2]")),
    ] {
        let file = d.create(
            &format!("{column}.jsonl"),
            format!(
                "{{\"name\": \"Ali Karimi\", \"status\": \"killed\", \"{column}\": {value}}}\n"
            ),
        );
        let r = d
            .cmd(["import"])
            .arg(&file)
            .args(["--source", SOURCE, "--protected"])
            .fails();
        r.assert_stderr_has(&[
            &format!("{column}.jsonl"),
            "row 1",
            &format!("column '{column}'"),
        ]);
        assert_no_protected_fields(&r);
    }
    assert_eq!(d.reports(), 0);
}

#[test]
fn a_protected_source_cannot_be_published_by_mistake() {
    // A public source cannot become protected later (its name may be out), and
    // the refusal says what to do instead.
    let d = Dir::with_store();
    let public = d.fixture("people.tsv");
    d.import(&public, "Field team", &[]);
    let file = d.fixture("protected.csv");
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", "Field team", "--protected"])
        .fails();
    r.assert_stderr_has(&["is public", "--protected"]);
    assert_no_protected_fields(&r);
    assert_eq!(d.reports(), 3);
}
