//! Replays the inputs saved in `tests/data/fuzz-failures/` through the fuzz
//! checks, and runs those checks in-process on random input with proptest, as a
//! quick stand-in for the fuzzer (which needs nightly and runs outside CI).
//!
//! Files in the folder: `dates.txt` holds one date per line for
//! `gavah_core::fuzz::check_date`, `normalize.txt` one text per line for
//! `gavah_core::fuzz::check_normalize`, and every other file is one input for
//! `gavah_import::fuzz::check_rows`. A crash found by `cargo fuzz` goes in as a
//! new file.

// Helpers panic on failure like the tests that call them; clippy's
// `allow-unwrap-in-tests` only covers `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

use gavah_core::date::Date;
use gavah_core::fuzz::{check_date, check_jalali_round_trip, check_normalize};
use gavah_import::fuzz::check_rows;
use gavah_import::reader::MAX_FIELD_BYTES;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::PathBuf;

fn fuzz_failures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-failures");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(bytes)
        .expect("line files are UTF-8")
        .lines()
}

#[test]
fn replay_saved_inputs() {
    let files = fuzz_failures();
    let mut rows = 0;
    let mut dates = 0;
    let mut texts = 0;
    for (name, bytes) in &files {
        match name.as_str() {
            "dates.txt" => lines(bytes).for_each(|line| {
                check_date(line);
                dates += 1;
            }),
            "normalize.txt" => lines(bytes).for_each(|line| {
                check_normalize(line);
                texts += 1;
            }),
            _ => {
                check_rows(bytes);
                rows += 1;
            }
        }
    }
    // Guards against a renamed folder silently replaying nothing.
    assert!(
        rows >= 5,
        "only {rows} row inputs in tests/data/fuzz-failures"
    );
    assert!(dates >= 20, "only {dates} dates in dates.txt");
    assert!(texts >= 10, "only {texts} texts in normalize.txt");
}

/// Inputs too big to keep as files: a header cell and a data cell longer than
/// any field may be, and a long run of quotes.
#[test]
fn oversized_fields() {
    let long = "x".repeat(MAX_FIELD_BYTES + 1);
    check_rows(format!("name,{long}\nSara,killed\n").as_bytes());
    check_rows(format!("name,status\nSara,{long}\n").as_bytes());
    check_rows(format!("name,witness\nSara,{long}\n").as_bytes());
    check_rows(format!("name,status\n\"{}\n", "\"".repeat(MAX_FIELD_BYTES)).as_bytes());
    check_rows(&[]);
    check_rows(b"\n\n\n");
    check_rows(b"\xff\xfe");
    check_rows(b"\xef\xbb\xbf");
}

/// Inputs on which `normalize_text` was once not idempotent, because its
/// output was not normalised:
///
/// - NFKC ran before the characters it removes (bidi marks, zero-width joiner,
///   tatweel, Arabic vowel marks) were removed, so a letter and a combining mark
///   they stood between only composed on the second pass (the fourth case makes
///   a `ۀ`, which is split again);
/// - `ۀ` was written as `ه` and U+0654 without reordering, so a following mark
///   of a lower combining class moved in front of U+0654 on the second pass.
///
/// They are here, escaped, rather than in `normalize.txt`, where they would be
/// invisible.
#[test]
fn normalize_text_is_idempotent_where_marks_were_removed() {
    for input in [
        "e\u{200E}\u{301}",
        "\u{627}\u{640}\u{654}",
        "\u{648}\u{657}\u{654}",
        "\u{6D5}\u{640}\u{654}",
        "\u{6C0}\u{316}",
        "\u{6C0}\u{335}",
        "g\u{653}\u{301}",
        "\u{627}\u{FCF2}\u{654}",
    ] {
        check_normalize(input);
    }
}

// ---------------------------------------------------------------------------
// The in-process fuzzing: random and structured input through the same checks.

fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x06F0 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

fn arabic_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

fn any_script(text: String) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(text.clone()),
        Just(persian_digits(&text)),
        Just(arabic_digits(&text)),
    ]
}

/// Pieces dates are made of: numbers in three scripts, separators, month and
/// weekday names, ordinal suffixes, filler words, times and invisible marks.
fn date_token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..100_000_000, 1usize..9)
            .prop_map(|(n, width)| format!("{n:0width$}"))
            .prop_flat_map(any_script),
        3 => prop::sample::select(vec![
            "/", "-", ".", ",", " ", "  ", "T", ":", "\u{066B}", "\u{2212}", "\u{FF0F}",
        ])
        .prop_map(String::from),
        3 => prop::sample::select(vec![
            "فروردین", "اردیبهشت", "دی", "دي", "دی‌ماه", "اسفند", "esfand", "Dey", "January",
            "jan", "Feb", "December", "ژانویه", "ژانویۀ", "فوریه", "ماه", "سال", "of", "th",
            "st", "ام", "م", "شنبه", "پنج", "پنج‌شنبه", "monday", "Tuesday", "14:30", "14:30:00Z",
            "am", "pm", "utc", "?", "نامعلوم", "unknown", "\u{200C}", "\u{200F}", "\u{FEFF}",
            "\u{0640}", "\u{064E}",
        ])
        .prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ]
}

fn date_text() -> impl Strategy<Value = String> {
    prop::collection::vec(date_token(), 0..8).prop_map(|t| t.concat())
}

/// A real Jalali or Gregorian `Y/M/D` date (or one a day too far), in any script.
fn calendar_date() -> impl Strategy<Value = String> {
    prop_oneof![
        (1150i32..1650, 0u8..14, 0u8..33, 0usize..3),
        (1750i32..2250, 0u8..14, 0u8..33, 0usize..3),
    ]
    .prop_flat_map(|(y, m, d, form)| {
        let text = match form {
            0 => format!("{y}/{m:02}/{d:02}"),
            1 => format!("{d}-{m}-{y}"),
            _ => format!("{y}{m:02}{d:02}"),
        };
        any_script(text)
    })
}

fn header_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "name", "Name", "full name", "given name", "surname", "status", "outcome", "date",
            "date of death", "age", "birth year", "province", "city", "place", "sex", "gender",
            "witness", "contact", "notes", "latitude", "longitude", "confidence", "category",
            "url", "نام", "نام و نام خانوادگی", "وضعیت", "تاریخ", "سن", "استان", "شهر", "جنسیت",
            "شاهد", "تماس", "یادداشت", "#affected+name", "#affected+killed", "#date", "", " ",
            "unknown column",
        ])
        .prop_map(String::from),
        1 => "\\PC{0,10}",
    ]
}

fn data_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "", "killed", "کشته", "wounded / detained", "زخمی", "بازداشت", "ناپدید", "executed",
            "male", "female", "زن", "مرد", "نامعلوم", "yes", "no", "بله", "1", "0", "۲۲", "٣٠",
            "-1", "999", "35.7", "51.4", "91", "NaN", "inf", "80%", "0.9", "تهران", "Tehran",
            "سقز", "Saqqez", "کردستان", "Kurdistan", "Zahedan, Sistan and Baluchestan",
            "شهر ناشناخته", "مهسا امینی", "علي كريمي", "Nika Shakarami", "#affected+name",
            "#affected+killed", "#date", "secret witness", "+98 912 000 0000",
        ])
        .prop_map(String::from),
        2 => date_text(),
        1 => "\\PC{0,16}",
        1 => prop::sample::select(vec![
            "\"", "\"\"", ",", ";", "\t", "|", "\n", "\r\n", "\r", "\0", "\u{FEFF}",
            "\u{200C}", "\u{200F}", "\u{FFFD}",
        ])
        .prop_map(String::from),
    ]
}

/// A cell as a CSV writer would write it, or as a careless one would.
fn written(cell: &str, delimiter: char, quoting: u8) -> String {
    match quoting {
        0 => format!("\"{}\"", cell.replace('"', "\"\"")),
        1 if cell.contains([delimiter, '"', '\n', '\r']) => {
            format!("\"{}\"", cell.replace('"', "\"\""))
        }
        _ => cell.to_string(),
    }
}

/// A file as bytes: UTF-8 (with or without a BOM), UTF-16 with a BOM, or
/// Windows-1256-ish (Arabic letters as single high bytes).
fn encoded(text: &str, encoding: u8) -> Vec<u8> {
    match encoding {
        0 => text.as_bytes().to_vec(),
        1 => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        2 => {
            let mut out = vec![0xFF, 0xFE];
            out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            out
        }
        3 => {
            let mut out = vec![0xFE, 0xFF];
            out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            out
        }
        _ => text
            .chars()
            .map(|c| match u32::from(c) {
                c @ 0..=0x7F => c as u8,
                c => 0xC0 | (c % 0x3F) as u8,
            })
            .collect(),
    }
}

fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    let delimiter = prop::sample::select(vec![',', ';', '\t', '|']);
    let headers = prop::collection::vec(header_cell(), 1..7);
    let rows = prop::collection::vec(prop::collection::vec(data_cell(), 0..8), 0..6);
    let newline = prop::sample::select(vec!["\n", "\r\n", "\r"]);
    let damage = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3);
    (delimiter, headers, rows, newline, 0u8..3, 0u8..5, damage).prop_map(
        |(delimiter, headers, rows, newline, quoting, encoding, damage)| {
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| written(c, delimiter, quoting))
                    .collect::<Vec<_>>()
                    .join(&delimiter.to_string())
            };
            let mut text = line(&headers);
            for row in &rows {
                text.push_str(newline);
                text.push_str(&line(row));
            }
            text.push_str(newline);
            let mut bytes = encoded(&text, encoding);
            // A few flipped bytes, as a damaged download would have.
            for (at, byte) in damage {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
            }
            bytes
        },
    )
}

/// Characters of names as lists write them, and as broken exports and
/// careless typing garble them: Arabic and Persian letters and their
/// presentation forms, Latin with accents precomposed and combining, digits,
/// and the marks normalisation removes (bidi marks, joiners, tatweel, Arabic
/// vowel marks).
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('\u{0621}', '\u{063A}'),
        4 => prop::char::range('\u{0641}', '\u{064A}'),
        2 => prop::sample::select(vec![
            'پ', 'چ', 'ژ', 'گ', 'ک', 'ی', 'ۀ', 'ە', 'ئ', 'ؤ', 'أ', 'إ', 'آ', 'ٱ', 'ة', 'ى',
            '\u{0654}', '\u{200C}', ' ', '\u{00A0}', '\t', '-', '.', '\'', '۱', '٣', '7',
            '٫', '٬',
        ]),
        2 => prop::sample::select(vec![
            '\u{200D}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{202B}', '\u{2067}',
            '\u{FEFF}', '\u{0640}', '\u{0670}',
        ]),
        1 => prop::char::range('\u{064B}', '\u{065F}'),
        3 => prop::char::range('a', 'z'),
        1 => prop::char::range('A', 'Z'),
        1 => prop::char::range('\u{00C0}', '\u{017F}'),
        2 => prop::char::range('\u{0300}', '\u{036F}'),
        1 => prop::char::range('\u{FB50}', '\u{FDFF}'),
        1 => prop::char::range('\u{FE70}', '\u{FEFC}'),
        1 => prop::char::range('\u{FF01}', '\u{FF5E}'),
    ]
}

/// Failures are kept in `proptest-regressions/` (commit them) and replayed first.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/fuzz_failures.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn any_text_as_a_date(text in any::<String>()) {
        check_date(&text);
    }

    #[test]
    fn date_like_text(text in date_text()) {
        check_date(&text);
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn calendar_dates(text in calendar_date()) {
        check_date(&text);
    }

    #[test]
    fn jalali_round_trip_over_two_million_years(days in -365_000_000i32..365_000_000) {
        check_jalali_round_trip(Date::from_days(days));
    }

    #[test]
    fn match_key_is_idempotent_on_any_text(text in any::<String>()) {
        let key = gavah_core::normalize::match_key(&text);
        prop_assert_eq!(gavah_core::normalize::match_key(&key), key);
    }

    #[test]
    fn normalize_is_idempotent(text in prop::collection::vec(name_char(), 0..24)) {
        check_normalize(&text.into_iter().collect::<String>());
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn csv_like_files(bytes in csv_file()) {
        check_rows(&bytes);
    }

    #[test]
    fn any_bytes_as_a_file(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_rows(&bytes);
    }
}
