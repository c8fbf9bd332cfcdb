//! Bad input: every broken file is refused with a message naming the file (and
//! the row, column and value where there is one), exit status 1, and a store
//! left byte for byte as it was.

use crate::util::{Dir, Run};
use std::path::Path;

/// A store that already holds one good import, so "unchanged" means something.
fn store() -> Dir {
    let d = Dir::with_store();
    let file = d.fixture("people_fa.csv");
    d.import(&file, "Base list", &[]);
    d
}

/// Imports `file`, asserting it fails, names the file and each piece, and
/// leaves the store exactly as it was.
#[track_caller]
fn refused(d: &Dir, file: &Path, pieces: &[&str]) -> Run {
    let before = d.snapshot();
    let r = d
        .cmd(["import"])
        .arg(file)
        .args(["--source", "Base list"])
        .fails();
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    r.assert_stderr_has(&[name]);
    r.assert_stderr_has(pieces);
    assert!(
        r.stdout.is_empty(),
        "a refused import prints nothing on stdout: {r}"
    );
    d.assert_unchanged(&before, &format!("importing {name}"));
    r
}

/// The lines of stderr that are errors.
fn errors(r: &Run) -> Vec<&str> {
    r.stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect()
}

#[test]
fn unterminated_quote() {
    // The quote opened in row 3 runs to the end of the file, swallowing row 4.
    // FIXME(message): this is reported as "row 3: the row has 1 fields; expected
    // 2", which sends the reader counting commas; it should say a quoted field
    // is never closed.
    let d = store();
    let file = d.fixture("unterminated.csv");
    let r = refused(&d, &file, &["row 3", "nothing was imported"]);
    assert_eq!(errors(&r).len(), 1, "{r}");
}

#[test]
fn ragged_rows_each_reported() {
    let d = store();
    let file = d.fixture("ragged.csv");
    let r = refused(
        &d,
        &file,
        &[
            "row 3: the row has 2 fields; expected 3",
            "row 4: the row has 4 fields; expected 3",
        ],
    );
    assert_eq!(errors(&r).len(), 2, "{r}");
}

#[test]
fn latin1_text_is_not_guessed() {
    let d = store();
    // "José, François" in Latin-1: not UTF-8, and not Arabic script either.
    let file = d.create(
        "latin1.csv",
        b"name,status\nJos\xe9 Garc\xeda,killed\nFran\xe7ois,killed\n",
    );
    refused(
        &d,
        &file,
        &["not UTF-8, UTF-16 or Windows-1256", "--encoding"],
    );
}

#[test]
fn binary_file_is_refused() {
    let d = store();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0".to_vec();
    png.extend((0u8..=255).cycle().take(4096));
    let file = d.create("photo.csv", &png);
    refused(&d, &file, &["NUL bytes", "looks binary"]);
}

#[test]
fn no_name_and_no_status_column() {
    let d = store();
    let file = d.fixture("no_columns.csv");
    refused(
        &d,
        &file,
        &[
            "row 1",
            "no column holds a name or a status",
            "'age', 'sex', 'city'",
        ],
    );
}

#[test]
fn impossible_dates() {
    let d = store();
    let file = d.fixture("bad_dates.csv");
    let r = refused(
        &d,
        &file,
        &[
            "row 2: column 'date': value '1404/13/01'",
            "month 13",
            "row 3: column 'date': value '2026-02-30'",
            "February 2026 has only 28 days",
        ],
    );
    assert_eq!(errors(&r).len(), 2, "{r}");
}

#[test]
fn unknown_status() {
    let d = store();
    let file = d.fixture("unknown_status.csv");
    refused(
        &d,
        &file,
        &[
            "row 2: column 'status': value 'martyred': unknown value",
            "killed/کشته",
            "--mapping",
        ],
    );
}

#[test]
fn empty_file() {
    let d = store();
    let file = d.create("empty.csv", b"");
    refused(&d, &file, &["the file is empty"]);
}

#[test]
fn header_without_rows() {
    let d = store();
    let file = d.fixture("header_only.csv");
    refused(&d, &file, &["no data rows"]);
}

#[test]
fn a_fifty_megabyte_line() {
    // One 50 MB line with no newline: a broken export, not a list. It must end
    // quickly with an error, not run out of memory or hang.
    let d = store();
    let file = d.create("one-line.csv", vec![b'x'; 50 * 1024 * 1024]);
    let started = std::time::Instant::now();
    refused(&d, &file, &["row 1", "expected at most 65536"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    // The same line under a header, as one field of row 2.
    let mut text = b"name,status\n".to_vec();
    text.extend(std::iter::repeat_n(b'y', 50 * 1024 * 1024));
    text.extend(b",killed\n");
    let file = d.create("one-row.csv", &text);
    refused(
        &d,
        &file,
        &[
            "row 2",
            "column 'name'",
            "52428800 bytes long",
            "expected at most 65536",
        ],
    );
}

#[test]
fn truncated_xlsx() {
    let d = store();
    let whole = d.join("whole.xlsx");
    crate::import::write_xlsx(&whole);
    let bytes = std::fs::read(&whole).expect("xlsx");
    let file = d.create("truncated.xlsx", &bytes[..bytes.len() / 2]);
    refused(
        &d,
        &file,
        &["cannot read the file as XLSX", "damaged or truncated"],
    );
}

#[test]
fn malformed_json_line() {
    let d = store();
    let file = d.create(
        "broken.jsonl",
        "{\"name\": \"Ali\", \"status\": \"killed\"}\n{\"name\": \"Reza\", \"status\": \n",
    );
    refused(
        &d,
        &file,
        &["row 2", "line 2 is not JSON", "one JSON object per line"],
    );
}

#[test]
fn a_file_that_does_not_exist() {
    let d = store();
    let file = d.join("missing.csv");
    refused(&d, &file, &["the file does not exist"]);
    assert!(!file.exists());
}

#[test]
fn a_folder_instead_of_a_file() {
    let d = store();
    let dir = d.join("lists.csv");
    std::fs::create_dir(&dir).expect("mkdir");
    refused(&d, &dir, &["this is a folder; expected a file"]);
}

#[test]
fn a_file_of_unknown_format() {
    let d = store();
    let file = d.create("list.pdf", b"%PDF-1.4\n");
    refused(&d, &file, &["cannot tell the file's format", "--format"]);
}

#[test]
fn every_bad_row_is_reported() {
    // Rows 2 (30 February), 4 (unknown status) and 5 (age 230) are bad; row 3 is
    // good, and still nothing is imported.
    let d = store();
    let file = d.fixture("several_bad_rows.csv");
    let r = refused(
        &d,
        &file,
        &[
            "row 2: column 'date': value '2026-02-30'",
            "row 4: column 'status': value 'martyred'",
            "row 5: column 'age': value '230'",
            "3 errors in 4 rows; nothing was imported (the store is unchanged)",
        ],
    );
    assert_eq!(errors(&r).len(), 3, "{r}");
}

#[test]
fn dry_run_writes_nothing() {
    let d = store();
    let before = d.snapshot();
    let file = d.fixture("people.tsv");
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args([
            "--source",
            "Another list",
            "--source-type",
            "media",
            "--dry-run",
        ])
        .ok();
    assert!(
        r.stdout.contains("dry run")
            && r.stdout.contains("3 rows read")
            && r.stdout.contains("3 would be new, 0 already in the store")
            && r.stdout.contains("Nothing written"),
        "{r}"
    );
    d.assert_unchanged(&before, "a dry run");

    // A dry run of a bad file reports every problem, and exits 1.
    let bad = d.fixture("several_bad_rows.csv");
    let r = d
        .cmd(["import"])
        .arg(&bad)
        .args(["--source", "Another list", "--dry-run"])
        .fails();
    assert_eq!(errors(&r).len(), 3, "{r}");
    d.assert_unchanged(&before, "a dry run of a bad file");
}

#[test]
fn a_people_list_needs_a_source() {
    let d = store();
    let before = d.snapshot();
    let file = d.fixture("people.tsv");
    let r = d.cmd(["import"]).arg(&file).fails();
    r.assert_stderr_has(&["--source NAME"]);
    d.assert_unchanged(&before, "an import without --source");
}

#[test]
fn importing_into_a_missing_store() {
    let d = Dir::new();
    let file = d.fixture("people.tsv");
    let r = d.cmd(["import"]).arg(&file).args(["--source", "A"]).fails();
    r.assert_stderr_has(&["people.tsv", "gavah init"]);
    assert!(!d.db().exists(), "a failed import must not create a store");
}

/// Imports a file whose only bad rows are those with a 30 or 31 February, and
/// returns the rows the errors name.
fn rows_named(d: &Dir, name: &str, text: &str) -> Vec<u64> {
    let file = d.create(name, text);
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", "Base list"])
        .fails();
    errors(&r)
        .iter()
        .map(|l| {
            l.split(": row ")
                .nth(1)
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no row in {l:?}: {r}"))
        })
        .collect()
}

// Regression, fixed in the same change that added this test: crates/gavah-import/src/reader.rs `Table::next_row` numbers rows
// by `csv::Position::line()`, the line a record starts on. That is not the row a
// spreadsheet shows: with CRLF line endings the csv crate reports the previous
// record's line (BurntSushi/rust-csv#395, open), so every row is one too low;
// a quoted cell holding a line break pushes every later row one too high; and
// blank lines, which a spreadsheet shows as rows, are not counted.

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them_with_crlf() {
    // Windows and Excel write CRLF: the usual case, not an edge.
    let d = Dir::with_store();
    let rows = rows_named(
        &d,
        "crlf.csv",
        "name,status,date\r\nAli Ahmadi,killed,2026-01-08\r\nReza Bagheri,killed,2026-02-30\r\nSara Kazemi,killed,2026-02-31\r\n",
    );
    assert_eq!(rows, [3, 4]);
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them_with_multi_line_cells() {
    let d = Dir::with_store();
    let rows = rows_named(
        &d,
        "multi-line.csv",
        "name,status,description,date\nAli Ahmadi,killed,\"shot\nin the street\",2026-01-08\nReza Bagheri,killed,,2026-02-30\n",
    );
    assert_eq!(rows, [3], "Reza is the third row of the sheet");
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them_with_blank_lines() {
    let d = Dir::with_store();
    let rows = rows_named(
        &d,
        "blank-line.csv",
        "name,status,date\nAli Ahmadi,killed,2026-01-08\n\nReza Bagheri,killed,2026-02-30\n",
    );
    assert_eq!(rows, [4], "a spreadsheet shows the blank line as row 3");
}

#[test]
fn rows_of_lf_csv_xlsx_and_json_lines_are_numbered_from_the_header() {
    let d = Dir::with_store();
    let rows = rows_named(
        &d,
        "lf.csv",
        "name,status,date\nAli Ahmadi,killed,2026-01-08\nReza Bagheri,killed,2026-02-30\nSara Kazemi,killed,2026-02-31\n",
    );
    assert_eq!(rows, [3, 4]);
    let rows = rows_named(
        &d,
        "lines.jsonl",
        "{\"name\": \"Ali\", \"status\": \"killed\", \"date\": \"2026-02-30\"}\n\n{\"name\": \"Reza\", \"status\": \"killed\", \"date\": \"2026-02-31\"}\n",
    );
    assert_eq!(rows, [1, 3], "JSON Lines have no header: rows are lines");
    let file = d.join("dates.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in (0u32..).zip([
        ["name", "status", "date"],
        ["Ali Ahmadi", "killed", "2026-02-30"],
        ["", "", ""],
        ["Reza Bagheri", "killed", "2026-01-08"],
        ["Sara Kazemi", "killed", "2026-02-31"],
    ]) {
        for (c, cell) in (0u16..).zip(row) {
            if !cell.is_empty() {
                ws.write_string(r, c, cell).expect("cell");
            }
        }
    }
    wb.save(&file).expect("xlsx");
    let r = d
        .cmd(["import"])
        .arg(&file)
        .args(["--source", "Base list"])
        .fails();
    r.assert_stderr_has(&["row 2: column 'date'", "row 5: column 'date'"]);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_alone() {
    // Regression, fixed in the same change that added this test: crates/gavah-store/src/lib.rs `Store::open` switches the file
    // to WAL mode (`configure`) before checking it holds Gavah's tables, so
    // `gavah --db FILE status` on another program's SQLite database rewrites
    // its header (journal mode bytes 18–19), and on an empty file writes a new
    // 4 KiB database, while saying it is not a Gavah store.
    let d = Dir::new();
    d.create("list.csv", "name,status\nAli,killed\n");
    // A fresh file of each kind for each command, so each change is its own.
    let make = |kind: &str, n: usize| -> std::path::PathBuf {
        match kind {
            "text" => d.create(&format!("text-{n}.csv"), "name,status\nAli,killed\n"),
            "empty" => d.create(&format!("empty-{n}.db"), b""),
            _ => {
                let p = d.join(&format!("other-app-{n}.sqlite"));
                let c = rusqlite::Connection::open(&p).expect("sqlite");
                c.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
                    .expect("another program's database");
                p
            }
        }
    };
    let mut changed = Vec::new();
    for (n, args) in [
        &["status"][..],
        &["figures"],
        &["import", "list.csv", "--source", "A"],
    ]
    .into_iter()
    .enumerate()
    {
        for kind in ["text", "empty", "sqlite"] {
            let file = make(kind, n);
            let before = std::fs::read(&file).expect("read");
            let r = d.cmd(["--db"]).arg(&file).args(args).fails();
            r.assert_stderr_has(&["is not a Gavah store"]);
            let now = std::fs::read(&file).expect("read");
            if now != before {
                changed.push(format!(
                    "{args:?} changed the {kind} file ({} → {} bytes)",
                    before.len(),
                    now.len()
                ));
            }
        }
    }
    assert!(changed.is_empty(), "{changed:#?}");
}
