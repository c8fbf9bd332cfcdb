//! Checks for fuzzing and property tests: each takes arbitrary input, runs a
//! parser or a normaliser on it and panics when a law it promises does not hold.
//!
//! The targets in `fuzz/fuzz_targets/` are a few lines that call these, and
//! `gavah-import/tests/fuzz_failures.rs` replays saved inputs through them, so
//! a crash found by the fuzzer becomes an ordinary test (the idea of
//! rust-analyzer's `crates/syntax/src/fuzz.rs`). Nothing here runs in
//! production; a panic is the report.

use crate::date::{Calendar, CalendarHint, Date, DatePrecision, ParsedDate, parse_date};
use crate::jalali::{gregorian_to_jalali, jalali_to_gregorian};
use crate::normalize::{match_key, normalize_text};

const HINTS: [CalendarHint; 3] = [
    CalendarHint::Auto,
    CalendarHint::Jalali,
    CalendarHint::Gregorian,
];

/// Gregorian years the date parser reads (`jalali::GREGORIAN_YEARS`).
const PARSER_GREGORIAN_YEARS: std::ops::RangeInclusive<i32> = 1800..=2199;

/// Jalali years [`jalali_to_gregorian`] converts (`jalali::CONVERTIBLE_YEARS`).
const CONVERTIBLE_JALALI_YEARS: std::ops::RangeInclusive<i32> = -1_000_000..=1_000_000;

/// Parses `text` as a date under every calendar hint and checks what came out:
///
/// - parsing never panics and is deterministic;
/// - a known date has a precision and an unknown one has none;
/// - a month or year is stored as the first day of that month or year, in the
///   calendar it was written in;
/// - a day-precision date formatted as `YYYY-MM-DD` reads back as the same date,
///   and one written in Jalali reads back from its Jalali `Y/M/D` form;
/// - every date read survives Gregorian → Jalali → Gregorian unchanged.
pub fn check_date(text: &str) {
    for hint in HINTS {
        let first = parse_date(text, hint);
        let again = parse_date(text, hint);
        assert_eq!(
            first, again,
            "parse_date({text:?}, {hint:?}) is not deterministic"
        );
        if let Ok(parsed) = first {
            check_parsed(text, hint, parsed);
        }
    }
}

fn check_parsed(text: &str, hint: CalendarHint, parsed: ParsedDate) {
    let value = parsed.value;
    let Some(date) = value.date else {
        assert_eq!(
            value.precision,
            DatePrecision::Unknown,
            "{text:?} ({hint:?}): no date but precision {:?}",
            value.precision
        );
        return;
    };
    assert_ne!(
        value.precision,
        DatePrecision::Unknown,
        "{text:?} ({hint:?}): date {date} with unknown precision"
    );
    check_jalali_round_trip(date);
    let (jy, jm, jd) = gregorian_to_jalali(date);
    let (month, day) = match parsed.calendar {
        Calendar::Gregorian => (date.month(), date.day()),
        Calendar::Jalali => (jm, jd),
    };
    match value.precision {
        DatePrecision::Year => assert_eq!(
            (month, day),
            (1, 1),
            "{text:?} ({hint:?}): year precision, but {date} is not the first day of a {:?} year",
            parsed.calendar
        ),
        DatePrecision::Month => assert_eq!(
            day, 1,
            "{text:?} ({hint:?}): month precision, but {date} is not the first day of a {:?} month",
            parsed.calendar
        ),
        DatePrecision::Day => {
            let iso = date.to_string();
            assert_eq!(
                Date::parse_iso(&iso),
                Some(date),
                "{text:?} ({hint:?}): {iso} does not read back"
            );
            for again in [CalendarHint::Gregorian, CalendarHint::Auto] {
                let back = parse_date(&iso, again);
                if PARSER_GREGORIAN_YEARS.contains(&date.year()) {
                    let back = back.unwrap_or_else(|e| {
                        panic!("{text:?} ({hint:?}) read as {date}, but {iso} does not parse: {e}")
                    });
                    assert_eq!(
                        (back.value.date, back.value.precision),
                        (Some(date), DatePrecision::Day),
                        "{text:?} ({hint:?}) read as {date}, but {iso} ({again:?}) reads differently"
                    );
                } else {
                    // FIXME: Jalali years 1579–1599, which the parser accepts, are
                    // Gregorian 2200–2221, which it refuses, so such a date cannot be
                    // read back from the form it is stored and exported in. This pins
                    // today's behaviour; widen GREGORIAN_YEARS to 2221 and drop it.
                    assert!(
                        back.is_err(),
                        "{text:?} ({hint:?}) read as {date}, outside the parser's Gregorian years, \
                         yet {iso} parses: update this check"
                    );
                }
            }
            if parsed.calendar == Calendar::Jalali {
                let jalali = format!("{jy}/{jm}/{jd}");
                let back = parse_date(&jalali, CalendarHint::Jalali).unwrap_or_else(|e| {
                    panic!("{text:?} ({hint:?}) read as Jalali {jalali}, which does not parse: {e}")
                });
                assert_eq!(
                    (back.value.date, back.value.precision),
                    (Some(date), DatePrecision::Day),
                    "{text:?} ({hint:?}) read as Jalali {jalali} = {date}, which reads back differently"
                );
            }
        }
        DatePrecision::Unknown => {}
    }
}

/// Checks that `date` survives the day count and the Jalali calendar unchanged:
/// `from_days(to_days(d)) == d`, and `jalali_to_gregorian(gregorian_to_jalali(d)) == d`
/// wherever the Jalali year is within what `jalali_to_gregorian` converts.
pub fn check_jalali_round_trip(date: Date) {
    assert_eq!(
        Date::from_days(date.to_days()),
        date,
        "{date}: the day count does not round-trip"
    );
    let (jy, jm, jd) = gregorian_to_jalali(date);
    assert!(
        (1..=12).contains(&jm) && (1..=31).contains(&jd),
        "{date} is Jalali {jy}/{jm}/{jd}, which is not a date"
    );
    if CONVERTIBLE_JALALI_YEARS.contains(&jy) {
        assert_eq!(
            jalali_to_gregorian(jy, jm, jd),
            Some(date),
            "{date} is Jalali {jy}/{jm}/{jd}, which converts back differently"
        );
    }
}

/// Checks that normalisation is idempotent: `normalize_text` of its own output
/// and `match_key` of its own output change nothing, and a key made from the
/// display form is the key made from the original text.
pub fn check_normalize(text: &str) {
    let display = normalize_text(text);
    assert_eq!(
        normalize_text(&display),
        display,
        "normalize_text is not idempotent on {text:?}"
    );
    let key = match_key(text);
    assert_eq!(
        match_key(&key),
        key,
        "match_key is not idempotent on {text:?}"
    );
    assert_eq!(
        match_key(&display),
        key,
        "match_key(normalize_text(x)) != match_key(x) for {text:?}"
    );
}
