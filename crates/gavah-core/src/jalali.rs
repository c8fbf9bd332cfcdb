//! Jalali (Solar Hijri) calendar arithmetic and the parser behind
//! [`crate::date::parse_date`], which reads the date forms casualty lists use.
//!
//! Iran's civil calendar starts each year on the day of the March equinox when it falls
//! before noon in Tehran, else on the next day, so its leap years are astronomical rather
//! than a fixed rule. Kazimierz
//! Borkowski's published "breaks" method reproduces them: between the break years of a
//! small table the leap years follow a 33-year cycle, and each break restarts the cycle
//! where the sky departs from it. The table covers Jalali years -61 to 3177. Outside it
//! this module simply continues the 33-year cycle, so every function stays total, but
//! dates there are arithmetic, not the official calendar.
//!
//! Checked against ICU 78's Persian calendar for every new year from 1200 to 1601: the
//! only difference is that the breaks make 1502 the leap year where ICU makes 1503, an
//! equinox near noon in 2124 on which astronomical sources can differ.

use std::ops::RangeInclusive;

use crate::date::{
    Calendar, CalendarHint, Date, DateError, DatePrecision, EXPECTED_DATE_FORMS, ParsedDate,
    PartialDate,
};

/// Jalali month names in Persian, Farvardin first.
pub const JALALI_MONTHS_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// Jalali month names in Latin letters, Farvardin first.
pub const JALALI_MONTHS_LATIN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

/// Gregorian month names in English, for messages and pages.
pub const GREGORIAN_MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The Jalali years at which Borkowski's 33-year cycle restarts.
const BREAKS: [i64; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// Years [`jalali_to_gregorian`] accepts. Far beyond any real use, but small enough that
/// the day count of the result always fits in a [`Date`].
const CONVERTIBLE_YEARS: RangeInclusive<i32> = -1_000_000..=1_000_000;

/// What the breaks method says about one Jalali year.
struct JalaliYear {
    leap: bool,
    /// Days from 1970-01-01 to 1 Farvardin of the year.
    farvardin_1: i64,
}

fn jalali_year(jy: i64) -> JalaliYear {
    // Count the leap years before `jy`, segment by segment, up to the segment holding it.
    // `jump` is that segment's length; past the last break there is no end, so none of
    // the end-of-segment corrections below apply.
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = None;
    for &next in &BREAKS[1..] {
        let len = next - jp;
        if jy < next {
            jump = Some(len);
            break;
        }
        leap_j += len / 33 * 8 + len % 33 / 4;
        jp = next;
    }
    // Floor division keeps the count consistent for years before the table (n < 0).
    let mut n = jy - jp;
    leap_j += n.div_euclid(33) * 8 + (n.rem_euclid(33) + 3) / 4;
    if let Some(jump) = jump
        && jump % 33 == 4
        && jump - n == 4
    {
        leap_j += 1;
    }
    let gy = jy + 621;
    let leap_g = gy.div_euclid(4) - ((gy.div_euclid(100) + 1) * 3).div_euclid(4) - 150;
    // 1 Farvardin falls on this day of March in Gregorian year `gy`.
    let march = 20 + leap_j - leap_g;
    // The last years of a segment take their place in the cycle from the segment's end.
    if let Some(jump) = jump
        && jump - n < 6
    {
        n = n - jump + (jump + 4) / 33 * 33;
    }
    let position = (n + 1).rem_euclid(33) - 1;
    JalaliYear {
        leap: position >= 0 && position % 4 == 0,
        farvardin_1: days_from_civil(gy, 3, 1) + march - 1,
    }
}

/// Days from 1970-01-01 to a Gregorian date, in `i64` so that no year can overflow it.
/// It is [`Date::to_days`]'s algorithm (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether Jalali year `jy` has 366 days (Esfand has 30 days).
pub fn is_leap_jalali(jy: i32) -> bool {
    jalali_year(i64::from(jy)).leap
}

/// Days in month `jm` of Jalali year `jy`, or 0 when `jm` is not 1–12.
pub fn jalali_month_length(jy: i32, jm: u8) -> u8 {
    match jm {
        1..=6 => 31,
        7..=11 => 30,
        12 if is_leap_jalali(jy) => 30,
        12 => 29,
        _ => 0,
    }
}

/// Days from 1 Farvardin to the first day of month `jm` (1–12).
fn days_before_month(jm: u8) -> i64 {
    let m = i64::from(jm);
    if m <= 7 {
        (m - 1) * 31
    } else {
        186 + (m - 7) * 30
    }
}

/// The Gregorian date of a Jalali date, or `None` when the Jalali date does not exist
/// (months 1–6 have 31 days, 7–11 have 30, Esfand 29 or 30 in leap years) or the year
/// is beyond ±1,000,000.
pub fn jalali_to_gregorian(jy: i32, jm: u8, jd: u8) -> Option<Date> {
    if !CONVERTIBLE_YEARS.contains(&jy) || jd == 0 || jd > jalali_month_length(jy, jm) {
        return None;
    }
    let days = jalali_year(i64::from(jy)).farvardin_1 + days_before_month(jm) + i64::from(jd) - 1;
    Some(Date::from_days(i32::try_from(days).ok()?))
}

/// The Jalali date `(year, month, day)` of a Gregorian date.
pub fn gregorian_to_jalali(d: Date) -> (i32, u8, u8) {
    let days = days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let mut jy = i64::from(d.year()) - 621;
    let mut year = jalali_year(jy);
    // 1 Farvardin falls in March, so an earlier date belongs to the previous Jalali year.
    // Loops rather than one step, because far outside the table the extrapolated cycle
    // drifts away from March.
    while days < year.farvardin_1 {
        jy -= 1;
        year = jalali_year(jy);
    }
    loop {
        let next = jalali_year(jy + 1);
        if days < next.farvardin_1 {
            break;
        }
        jy += 1;
        year = next;
    }
    let k = days - year.farvardin_1;
    let (jm, jd) = if k < 186 {
        (k / 31 + 1, k % 31 + 1)
    } else {
        ((k - 186) / 30 + 7, (k - 186) % 30 + 1)
    };
    // k is below 366, so the month is 1–12 and the day 1–31. Only a Date whose year is
    // within 622 of i32's limits has a Jalali year beyond them, which saturates.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (jm, jd) = (jm as u8, jd as u8);
    let jy = i32::try_from(jy).unwrap_or(if jy < 0 { i32::MIN } else { i32::MAX });
    (jy, jm, jd)
}

// ---------------------------------------------------------------------------------------
// The date parser.

/// Longer text is rejected before any other work, so that huge cells cost nothing.
const MAX_INPUT_CHARS: usize = 100;
/// Jalali years a date may have; the conversion is checked against the official calendar
/// over this range.
const JALALI_YEARS: RangeInclusive<i32> = 1200..=1599;
const GREGORIAN_YEARS: RangeInclusive<i32> = 1800..=2199;

/// Cell values that mean "not known" rather than "not a date".
const UNKNOWN_MARKERS: [&str; 7] = ["?", "-", "نامعلوم", "نامشخص", "unknown", "n/a", "na"];

/// Month names the parser reads, with their calendar and number. Spellings are matched
/// after [`fold_char`], so Arabic ي/ك, a missing madda and letter case do not matter.
const MONTH_NAMES: &[(&str, Calendar, u8)] = &[
    ("فروردین", Calendar::Jalali, 1),
    ("اردیبهشت", Calendar::Jalali, 2),
    ("خرداد", Calendar::Jalali, 3),
    ("تیر", Calendar::Jalali, 4),
    ("مرداد", Calendar::Jalali, 5),
    ("امرداد", Calendar::Jalali, 5),
    ("شهریور", Calendar::Jalali, 6),
    ("مهر", Calendar::Jalali, 7),
    ("آبان", Calendar::Jalali, 8),
    ("آذر", Calendar::Jalali, 9),
    ("دی", Calendar::Jalali, 10),
    ("بهمن", Calendar::Jalali, 11),
    ("اسفند", Calendar::Jalali, 12),
    ("farvardin", Calendar::Jalali, 1),
    ("ordibehesht", Calendar::Jalali, 2),
    ("khordad", Calendar::Jalali, 3),
    ("tir", Calendar::Jalali, 4),
    ("mordad", Calendar::Jalali, 5),
    ("amordad", Calendar::Jalali, 5),
    ("shahrivar", Calendar::Jalali, 6),
    ("mehr", Calendar::Jalali, 7),
    ("aban", Calendar::Jalali, 8),
    ("azar", Calendar::Jalali, 9),
    ("dey", Calendar::Jalali, 10),
    ("dei", Calendar::Jalali, 10),
    ("bahman", Calendar::Jalali, 11),
    ("esfand", Calendar::Jalali, 12),
    ("esphand", Calendar::Jalali, 12),
    ("january", Calendar::Gregorian, 1),
    ("jan", Calendar::Gregorian, 1),
    ("february", Calendar::Gregorian, 2),
    ("feb", Calendar::Gregorian, 2),
    ("march", Calendar::Gregorian, 3),
    ("mar", Calendar::Gregorian, 3),
    ("april", Calendar::Gregorian, 4),
    ("apr", Calendar::Gregorian, 4),
    ("may", Calendar::Gregorian, 5),
    ("june", Calendar::Gregorian, 6),
    ("jun", Calendar::Gregorian, 6),
    ("july", Calendar::Gregorian, 7),
    ("jul", Calendar::Gregorian, 7),
    ("august", Calendar::Gregorian, 8),
    ("aug", Calendar::Gregorian, 8),
    ("september", Calendar::Gregorian, 9),
    ("sept", Calendar::Gregorian, 9),
    ("sep", Calendar::Gregorian, 9),
    ("october", Calendar::Gregorian, 10),
    ("oct", Calendar::Gregorian, 10),
    ("november", Calendar::Gregorian, 11),
    ("nov", Calendar::Gregorian, 11),
    ("december", Calendar::Gregorian, 12),
    ("dec", Calendar::Gregorian, 12),
    ("ژانویه", Calendar::Gregorian, 1),
    ("فوریه", Calendar::Gregorian, 2),
    ("مارس", Calendar::Gregorian, 3),
    ("آوریل", Calendar::Gregorian, 4),
    ("مه", Calendar::Gregorian, 5),
    ("می", Calendar::Gregorian, 5),
    ("ژوئن", Calendar::Gregorian, 6),
    ("ژوئیه", Calendar::Gregorian, 7),
    ("جولای", Calendar::Gregorian, 7),
    ("اوت", Calendar::Gregorian, 8),
    ("آگوست", Calendar::Gregorian, 8),
    ("سپتامبر", Calendar::Gregorian, 9),
    ("اکتبر", Calendar::Gregorian, 10),
    ("نوامبر", Calendar::Gregorian, 11),
    ("دسامبر", Calendar::Gregorian, 12),
];

/// Weekday names, which add nothing to a date and are skipped in front of one. Persian
/// names are matched with the zero-width non-joiner removed; written with a space
/// instead ("سه شنبه") they are caught by [`WEEKDAY_NUMBER_WORDS`].
const WEEKDAYS: &[&str] = &[
    "monday",
    "mon",
    "tuesday",
    "tue",
    "tues",
    "wednesday",
    "wed",
    "thursday",
    "thu",
    "thur",
    "thurs",
    "friday",
    "fri",
    "saturday",
    "sat",
    "sunday",
    "sun",
    "شنبه",
    "یکشنبه",
    "دوشنبه",
    "سه‌شنبه",
    "چهارشنبه",
    "پنج‌شنبه",
    "جمعه",
];

/// First words of Persian weekday names written as two words, such as "پنج شنبه".
const WEEKDAY_NUMBER_WORDS: &[&str] = &["یک", "دو", "سه", "چهار", "پنج"];

/// Suffixes that make a day number ordinal ("8th", "۱۸ام") when written against it.
const ORDINAL_SUFFIXES: &[&str] = &["st", "nd", "rd", "th", "ام", "م"];

/// The parser behind [`crate::date::parse_date`].
pub(crate) fn parse_date_impl(input: &str, hint: CalendarHint) -> Result<ParsedDate, DateError> {
    let input = input.trim();
    if input.chars().nth(MAX_INPUT_CHARS).is_some() {
        return Err(DateError {
            reason: format!(
                "the date text is longer than {MAX_INPUT_CHARS} characters; expected {EXPECTED_DATE_FORMS}"
            ),
        });
    }
    let folded: String = input.chars().filter_map(fold_char).collect();
    let text = folded.trim_matches(' ');
    if text.is_empty() || UNKNOWN_MARKERS.iter().any(|m| same_word(text, m)) {
        return Ok(ParsedDate {
            value: PartialDate::UNKNOWN,
            calendar: Calendar::Gregorian,
        });
    }
    Parser { input, hint }.parse(text)
}

/// Maps a character to the form the parser reads, or drops it. Digits become ASCII,
/// invisible marks vanish, and spellings that vary between keyboards and sources become
/// one, so that the rest of the parser sees a single spelling of each thing.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        // Persian and Arabic-Indic digits.
        '\u{06F0}'..='\u{06F9}' => ascii_digit(u32::from(c) - 0x06F0),
        '\u{0660}'..='\u{0669}' => ascii_digit(u32::from(c) - 0x0660),
        // Bidi controls, zero-width joiners, the byte-order mark, tatweel and Arabic
        // vowel marks carry no meaning in a date.
        '\u{200B}'..='\u{200F}'
        | '\u{061C}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{0640}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}' => return None,
        // Arabic yeh and kaf, which unnormalised Persian text often contains.
        '\u{064A}' | '\u{0649}' => 'ی',
        '\u{0643}' => 'ک',
        // Alef with madda or hamza, often typed as plain alef.
        '\u{0622}' | '\u{0623}' | '\u{0625}' => 'ا',
        // Heh with yeh above, the ezafe in "ژانویۀ".
        '\u{06C0}' => 'ه',
        '\u{060C}' => ',',
        '\u{061F}' => '?',
        '\u{06D4}' => '.',
        // Arabic date separator, Persian momayyez (Shift+3 on Persian keyboards),
        // fraction slash, division slash and fullwidth solidus.
        '\u{060D}' | '\u{066B}' | '\u{2044}' | '\u{2215}' | '\u{FF0F}' => '/',
        // Hyphens, dashes and minus signs.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        c if c.is_whitespace() => ' ',
        c => c.to_ascii_lowercase(),
    })
}

fn ascii_digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// Whether folded input `word` is `name` (written naturally, folded here).
fn same_word(word: &str, name: &str) -> bool {
    word.chars().eq(name.chars().filter_map(fold_char))
}

/// The month a word names. Persian often writes "ماه" (month) against the name with a
/// zero-width non-joiner ("دی‌ماه"), which folding has removed, so that suffix is allowed.
fn month_named(word: &str) -> Option<(Calendar, u8)> {
    let lookup = |word: &str| {
        MONTH_NAMES
            .iter()
            .find(|(name, _, _)| same_word(word, name))
            .map(|&(_, cal, m)| (cal, m))
    };
    lookup(word).or_else(|| {
        word.strip_suffix("ماه")
            .filter(|w| !w.is_empty())
            .and_then(lookup)
    })
}

fn month_name(calendar: Calendar, month: u8) -> &'static str {
    let names = match calendar {
        Calendar::Jalali => &JALALI_MONTHS_LATIN,
        Calendar::Gregorian => &GREGORIAN_MONTHS_EN,
    };
    names
        .get(usize::from(month).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

fn calendar_name(calendar: Calendar) -> &'static str {
    match calendar {
        Calendar::Jalali => "Jalali",
        Calendar::Gregorian => "Gregorian",
    }
}

/// The value of a run of at most eight ASCII digits.
fn number(digits: &str) -> i32 {
    digits.bytes().fold(0i32, |n, b| {
        n.saturating_mul(10).saturating_add(i32::from(b - b'0'))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// A run of ASCII digits; `ordinal` when a suffix such as "th" was written against it.
    Num {
        digits: &'a str,
        ordinal: bool,
    },
    Word(&'a str),
    /// One of `/ - . ,`.
    Sep(char),
}

/// Splits folded text into numbers, words and separators, or returns the first
/// character that has no place in a date.
fn tokenize(text: &str) -> Result<Vec<Token<'_>>, char> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    // Where the last number ended, to tell "8th" from "8 th".
    let mut number_end = None;
    while let Some(&(start, c)) = chars.peek() {
        if c == ' ' {
            chars.next();
        } else if c.is_ascii_digit() {
            let end = run_end(&mut chars, text.len(), |c| c.is_ascii_digit());
            tokens.push(Token::Num {
                digits: &text[start..end],
                ordinal: false,
            });
            number_end = Some(end);
        } else if c.is_alphabetic() {
            let end = run_end(&mut chars, text.len(), char::is_alphabetic);
            let word = &text[start..end];
            if number_end == Some(start)
                && ORDINAL_SUFFIXES.iter().any(|s| same_word(word, s))
                && let Some(Token::Num { ordinal, .. }) = tokens.last_mut()
            {
                *ordinal = true;
            } else {
                tokens.push(Token::Word(word));
            }
        } else if matches!(c, '/' | '-' | '.' | ',') {
            chars.next();
            tokens.push(Token::Sep(c));
        } else {
            return Err(c);
        }
    }
    Ok(tokens)
}

/// Advances past the characters matching `keep` and returns the byte offset after them.
fn run_end(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    len: usize,
    keep: impl Fn(char) -> bool,
) -> usize {
    while let Some(&(i, c)) = chars.peek() {
        if !keep(c) {
            return i;
        }
        chars.next();
    }
    len
}

/// A month named in words: its calendar and number.
type NamedMonth = (Calendar, u8);

struct Parser<'a> {
    /// The trimmed input as written, for error messages.
    input: &'a str,
    hint: CalendarHint,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> DateError {
        DateError {
            reason: format!("'{}' {what}", self.input),
        }
    }

    fn not_a_date(&self) -> DateError {
        DateError {
            reason: format!(
                "'{}' is not a date: expected {EXPECTED_DATE_FORMS}",
                self.input
            ),
        }
    }

    fn no_year(&self) -> DateError {
        self.error(&format!(
            "has no four-digit year (two-digit years are ambiguous); expected {EXPECTED_DATE_FORMS}"
        ))
    }

    fn parse(&self, text: &str) -> Result<ParsedDate, DateError> {
        let text = self.strip_time(text)?;
        let tokens = tokenize(text).map_err(|c| {
            self.error(&format!(
                "has the character '{c}', which has no place in a date; expected {EXPECTED_DATE_FORMS}"
            ))
        })?;
        let tokens = self.drop_filler(&tokens);
        let mut month = None;
        for token in &tokens {
            if let Token::Word(word) = *token {
                let Some(named) = month_named(word) else {
                    return Err(self.error(&format!(
                        "has '{word}', which is not a month name; expected {EXPECTED_DATE_FORMS}"
                    )));
                };
                if month.is_some() {
                    return Err(self.error("names more than one month; expected one date"));
                }
                month = Some(named);
            }
        }
        match month {
            Some(month) => self.named(&tokens, month),
            None => self.numeric(&tokens),
        }
    }

    /// Drops a time of day after the date: ISO's `T14:30:00Z`, or a word with a colon
    /// and what follows it, as spreadsheets export `2026-01-08 14:30`.
    fn strip_time<'t>(&self, text: &'t str) -> Result<&'t str, DateError> {
        let b = text.as_bytes();
        // 't' is ASCII, so a byte match is a whole character and a valid place to cut.
        let iso_t = (1..b.len().saturating_sub(1))
            .find(|&i| b[i] == b't' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit());
        let (date_end, time_start) = match iso_t {
            Some(i) => (i, i + 1),
            None => match text.find(':') {
                Some(colon) => {
                    let start = text[..colon].rfind(' ').map_or(0, |space| space + 1);
                    (start, start)
                }
                None => return Ok(text),
            },
        };
        let is_time = text[time_start..]
            .split(' ')
            .filter(|p| !p.is_empty())
            .all(|piece| {
                matches!(piece, "am" | "pm" | "utc" | "gmt")
                    || (piece.bytes().any(|c| c.is_ascii_digit())
                        && piece
                            .bytes()
                            .all(|c| c.is_ascii_digit() || b":.+-z".contains(&c)))
            });
        if !is_time {
            return Err(self.error(&format!(
                "has text after the date that is not a time of day; expected {EXPECTED_DATE_FORMS}"
            )));
        }
        let date = text[..date_end].trim_end_matches([' ', ',']);
        if date.is_empty() {
            return Err(self.not_a_date());
        }
        Ok(date)
    }

    /// Removes words that may surround a date without changing it: weekday names in
    /// front, "ماه" (month) after a month name, "سال" (year) before a number, and "of"
    /// after a day ("8th of January").
    fn drop_filler<'t>(&self, tokens: &[Token<'t>]) -> Vec<Token<'t>> {
        let mut i = 0;
        loop {
            match tokens.get(i) {
                Some(Token::Word(w)) if WEEKDAYS.iter().any(|d| same_word(w, d)) => i += 1,
                Some(Token::Word(w))
                    if WEEKDAY_NUMBER_WORDS.iter().any(|n| same_word(w, n))
                        && matches!(tokens.get(i + 1), Some(Token::Word(s)) if same_word(s, "شنبه")) =>
                {
                    i += 2;
                }
                Some(Token::Sep(',')) if i > 0 => i += 1,
                _ => break,
            }
        }
        let mut kept: Vec<Token<'t>> = Vec::with_capacity(tokens.len());
        for (j, &token) in tokens.iter().enumerate().skip(i) {
            let filler = match token {
                Token::Word(w) if same_word(w, "ماه") => {
                    matches!(kept.last(), Some(Token::Word(m)) if month_named(m).is_some())
                }
                Token::Word(w) if same_word(w, "سال") => {
                    matches!(tokens.get(j + 1), Some(Token::Num { .. }))
                }
                Token::Word("of") => matches!(kept.last(), Some(Token::Num { .. })),
                _ => false,
            };
            if !filler {
                kept.push(token);
            }
        }
        kept
    }

    /// Dates written in numbers only: `Y/M/D`, `D/M/Y` (or `M/D/Y` when the middle
    /// part cannot be a month), `Y/M`, `M/Y`, `Y` and `YYYYMMDD`.
    fn numeric(&self, tokens: &[Token<'_>]) -> Result<ParsedDate, DateError> {
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        // The separator used between parts (a space when none was written), which must
        // be the same throughout: "2026/01-08" is more likely a typo than a date.
        let mut separator = None;
        let mut pending = None;
        for token in tokens {
            match *token {
                Token::Num {
                    digits,
                    ordinal: false,
                } => {
                    if !parts.is_empty() {
                        let this = pending.take().unwrap_or(' ');
                        if *separator.get_or_insert(this) != this {
                            return Err(self.not_a_date());
                        }
                    } else if pending.is_some() {
                        return Err(self.not_a_date());
                    }
                    parts.push(digits);
                }
                Token::Sep(c) if c != ',' && pending.is_none() && !parts.is_empty() => {
                    pending = Some(c);
                }
                _ => return Err(self.not_a_date()),
            }
        }
        if pending.is_some() {
            return Err(self.not_a_date());
        }
        let small = |part: &&str| part.len() <= 2;
        match parts[..] {
            [y] if y.len() == 4 => self.build(number(y), None, None, None),
            [c] if c.len() == 8 => self.build(
                number(&c[..4]),
                Some(number(&c[4..6])),
                Some(number(&c[6..])),
                None,
            ),
            [y, m] if y.len() == 4 && small(&m) => {
                self.build(number(y), Some(number(m)), None, None)
            }
            [m, y] if small(&m) && y.len() == 4 => {
                self.build(number(y), Some(number(m)), None, None)
            }
            [y, m, d] if y.len() == 4 && small(&m) && small(&d) => {
                self.build(number(y), Some(number(m)), Some(number(d)), None)
            }
            [a, b, y] if small(&a) && small(&b) && y.len() == 4 => {
                let (a, b) = (number(a), number(b));
                // Iran and Europe write the day first; only a middle part that cannot be
                // a month shows the American order.
                let (d, m) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
                self.build(number(y), Some(m), Some(d), None)
            }
            _ if !parts.is_empty() && parts.len() <= 3 && parts.iter().all(small) => {
                Err(self.no_year())
            }
            _ => Err(self.not_a_date()),
        }
    }

    /// Dates with a month name: `D M Y`, `M D Y`, `Y M D`, `M Y` and `Y M`, separators
    /// and commas anywhere.
    fn named(&self, tokens: &[Token<'_>], month: NamedMonth) -> Result<ParsedDate, DateError> {
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mut seen_month = false;
        for token in tokens {
            match *token {
                Token::Word(_) => seen_month = true,
                Token::Num { digits, ordinal } if seen_month => after.push((digits, ordinal)),
                Token::Num { digits, ordinal } => before.push((digits, ordinal)),
                Token::Sep(_) => {}
            }
        }
        let day = |&(d, _): &(&str, bool)| d.len() <= 2;
        let year = |&(y, ordinal): &(&str, bool)| y.len() == 4 && !ordinal;
        let m = Some(i32::from(month.1));
        let (y, d) = match (&before[..], &after[..]) {
            ([d], [y]) | ([], [d, y]) | ([y], [d]) if day(d) && year(y) => (y.0, Some(d.0)),
            ([], [y]) | ([y], []) if year(y) => (y.0, None),
            _ if before.iter().chain(&after).all(day) => return Err(self.no_year()),
            _ => return Err(self.not_a_date()),
        };
        self.build(number(y), m, d.map(number), Some(month))
    }

    /// Chooses the calendar: a month name decides it, then the caller's hint, then the
    /// year, since Jalali and Gregorian years of interest do not overlap.
    fn calendar(&self, year: i32, named: Option<NamedMonth>) -> Result<Calendar, DateError> {
        let hinted = match self.hint {
            CalendarHint::Auto => None,
            CalendarHint::Jalali => Some(Calendar::Jalali),
            CalendarHint::Gregorian => Some(Calendar::Gregorian),
        };
        let calendar = match (named, hinted) {
            (Some((cal, m)), Some(hinted)) if cal != hinted => {
                return Err(self.error(&format!(
                    "names the {} month {}, but {} dates were expected",
                    calendar_name(cal),
                    month_name(cal, m),
                    calendar_name(hinted),
                )));
            }
            (Some((cal, _)), _) | (None, Some(cal)) => cal,
            (None, None) if JALALI_YEARS.contains(&year) => Calendar::Jalali,
            (None, None) if GREGORIAN_YEARS.contains(&year) => Calendar::Gregorian,
            (None, None) => {
                return Err(self.error(&format!(
                    "has year {year}; expected a Jalali year ({}–{}) or a Gregorian year ({}–{})",
                    JALALI_YEARS.start(),
                    JALALI_YEARS.end(),
                    GREGORIAN_YEARS.start(),
                    GREGORIAN_YEARS.end(),
                )));
            }
        };
        let years = match calendar {
            Calendar::Jalali => JALALI_YEARS,
            Calendar::Gregorian => GREGORIAN_YEARS,
        };
        if !years.contains(&year) {
            return Err(self.error(&format!(
                "has year {year}; expected a {} year in {}–{}",
                calendar_name(calendar),
                years.start(),
                years.end(),
            )));
        }
        Ok(calendar)
    }

    /// Checks the parts and converts them; a missing day or month means the first one.
    fn build(
        &self,
        year: i32,
        month: Option<i32>,
        day: Option<i32>,
        named: Option<NamedMonth>,
    ) -> Result<ParsedDate, DateError> {
        let calendar = self.calendar(year, named)?;
        let precision = match (month, day) {
            (Some(_), Some(_)) => DatePrecision::Day,
            (Some(_), None) => DatePrecision::Month,
            _ => DatePrecision::Year,
        };
        let month = month.unwrap_or(1);
        let Some(month) = u8::try_from(month).ok().filter(|m| (1..=12).contains(m)) else {
            return Err(self.error(&format!("has month {month}; expected 1–12")));
        };
        let length = match calendar {
            Calendar::Jalali => jalali_month_length(year, month),
            Calendar::Gregorian => crate::date::days_in_month(year, month),
        };
        let day = day.unwrap_or(1);
        if day == 0 {
            return Err(self.error("has day 0; days start at 1"));
        }
        let Some(day) = u8::try_from(day).ok().filter(|&d| d <= length) else {
            return Err(self.error(&format!(
                "has day {day}, but {} {year} has only {length} days",
                month_name(calendar, month),
            )));
        };
        let date = match calendar {
            Calendar::Jalali => jalali_to_gregorian(year, month, day),
            Calendar::Gregorian => Date::from_ymd(year, month, day),
        };
        let Some(date) = date else {
            return Err(self.not_a_date());
        };
        Ok(ParsedDate {
            value: PartialDate {
                date: Some(date),
                precision,
            },
            calendar,
        })
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::date::parse_date;

    fn ymd(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    #[test]
    fn known_pairs() {
        let pairs = [
            ((1404, 10, 7), "2025-12-28"),
            ((1404, 10, 18), "2026-01-08"),
            ((1404, 1, 1), "2025-03-21"),
            ((1403, 1, 1), "2024-03-20"),
            ((1403, 12, 30), "2025-03-20"),
            ((1399, 12, 30), "2021-03-20"),
            ((1400, 1, 1), "2021-03-21"),
            ((1357, 11, 22), "1979-02-11"),
            ((1395, 1, 1), "2016-03-20"),
            ((1408, 12, 30), "2030-03-20"),
            ((1409, 1, 1), "2030-03-21"),
            ((1404, 12, 29), "2026-03-20"),
            ((1405, 1, 1), "2026-03-21"),
            ((1375, 12, 30), "1997-03-20"),
            ((1358, 1, 1), "1979-03-21"),
            ((1378, 10, 11), "2000-01-01"),
            ((1398, 10, 11), "2020-01-01"),
            // The 2009 election, the start of the Aban 1398 protests, the Dey 1396
            // protests and Mahsa Amini's death: dates this project's sources use.
            ((1388, 3, 22), "2009-06-12"),
            ((1398, 8, 24), "2019-11-15"),
            ((1396, 10, 7), "2017-12-28"),
            ((1401, 6, 25), "2022-09-16"),
        ];
        for ((jy, jm, jd), g) in pairs {
            assert_eq!(
                jalali_to_gregorian(jy, jm, jd),
                Some(ymd(g)),
                "{jy}/{jm}/{jd}"
            );
            assert_eq!(gregorian_to_jalali(ymd(g)), (jy, jm, jd), "{g}");
        }
    }

    #[test]
    fn dates_that_do_not_exist() {
        for (jy, jm, jd) in [
            (1404, 12, 30),
            (1403, 12, 31),
            (1404, 7, 31),
            (1404, 6, 32),
            (1404, 13, 1),
            (1404, 0, 10),
            (1404, 1, 0),
            (i32::MAX, 1, 1),
            (i32::MIN, 1, 1),
        ] {
            assert_eq!(jalali_to_gregorian(jy, jm, jd), None, "{jy}/{jm}/{jd}");
        }
    }

    #[test]
    fn leap_years() {
        let leap: Vec<i32> = (1370..=1410).filter(|&y| is_leap_jalali(y)).collect();
        assert_eq!(
            leap,
            [1370, 1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403, 1408]
        );
        assert_eq!(jalali_month_length(1403, 12), 30);
        assert_eq!(jalali_month_length(1404, 12), 29);
        assert_eq!(jalali_month_length(1404, 1), 31);
        assert_eq!(jalali_month_length(1404, 7), 30);
        assert_eq!(jalali_month_length(1404, 13), 0);
        // Extreme years must not overflow.
        let _ = is_leap_jalali(i32::MAX);
        let _ = is_leap_jalali(i32::MIN);
    }

    #[test]
    fn year_lengths_agree_with_leap_years() {
        // Inside the table and well beyond it on both sides, consecutive new years must
        // be 365 days apart, or 366 after a leap year.
        for jy in -2000..5000 {
            let this = jalali_year(jy);
            let next = jalali_year(jy + 1);
            assert_eq!(
                next.farvardin_1 - this.farvardin_1,
                365 + i64::from(this.leap),
                "{jy}"
            );
        }
    }

    #[test]
    fn round_trip_every_day_1900_to_2100() {
        let first = ymd("1900-01-01").to_days();
        let last = ymd("2100-12-31").to_days();
        let mut previous = gregorian_to_jalali(Date::from_days(first - 1));
        for days in first..=last {
            let date = Date::from_days(days);
            let (jy, jm, jd) = gregorian_to_jalali(date);
            assert_eq!(jalali_to_gregorian(jy, jm, jd), Some(date), "{date}");
            let (py, pm, pd) = previous;
            let expected = if pd < jalali_month_length(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((jy, jm, jd), expected, "{date}");
            previous = (jy, jm, jd);
        }
    }

    #[test]
    fn extreme_gregorian_dates_do_not_panic() {
        for date in [Date::from_days(i32::MIN / 2), Date::from_days(i32::MAX / 2)] {
            let (jy, jm, jd) = gregorian_to_jalali(date);
            assert!((1..=12).contains(&jm) && (1..=31).contains(&jd), "{date}");
            assert!(jy != 0);
        }
    }

    #[test]
    fn month_name_tables() {
        for (i, (fa, latin)) in JALALI_MONTHS_FA.iter().zip(JALALI_MONTHS_LATIN).enumerate() {
            let month = u8::try_from(i + 1).unwrap();
            let fa: String = fa.chars().filter_map(fold_char).collect();
            let latin: String = latin.chars().filter_map(fold_char).collect();
            assert_eq!(month_named(&fa), Some((Calendar::Jalali, month)));
            assert_eq!(month_named(&latin), Some((Calendar::Jalali, month)));
        }
    }

    fn check(input: &str, expect: Expect) {
        check_hint(CalendarHint::Auto, input, expect);
    }

    fn check_hint(hint: CalendarHint, input: &str, expect: Expect) {
        let actual = match parse_date(input, hint) {
            Ok(parsed) => format!(
                "{} {} {}",
                parsed
                    .value
                    .date
                    .map_or_else(|| "none".to_owned(), |d| d.to_string()),
                parsed.value.precision.as_str(),
                calendar_name(parsed.calendar).to_lowercase(),
            ),
            Err(e) => format!("error: {e}"),
        };
        expect.assert_eq(&actual);
    }

    #[test]
    fn unknown() {
        check("", expect![[r#"none unknown gregorian"#]]);
        check("   ", expect![[r#"none unknown gregorian"#]]);
        check("\u{200F}\u{200C}", expect![[r#"none unknown gregorian"#]]);
        check("?", expect![[r#"none unknown gregorian"#]]);
        check("؟", expect![[r#"none unknown gregorian"#]]);
        check(" - ", expect![[r#"none unknown gregorian"#]]);
        check("—", expect![[r#"none unknown gregorian"#]]);
        check("نامعلوم", expect![[r#"none unknown gregorian"#]]);
        check("نامشخص", expect![[r#"none unknown gregorian"#]]);
        check("Unknown", expect![[r#"none unknown gregorian"#]]);
        check("N/A", expect![[r#"none unknown gregorian"#]]);
        check("na", expect![[r#"none unknown gregorian"#]]);
    }

    #[test]
    fn numeric_forms() {
        check("2026-01-08", expect!["2026-01-08 day gregorian"]);
        check("2026/1/8", expect!["2026-01-08 day gregorian"]);
        check("2026.01.08", expect!["2026-01-08 day gregorian"]);
        check("2026 01 08", expect!["2026-01-08 day gregorian"]);
        check("08/01/2026", expect!["2026-01-08 day gregorian"]);
        check("8.1.2026", expect!["2026-01-08 day gregorian"]);
        check("01/18/2026", expect!["2026-01-18 day gregorian"]);
        check("12/01/2026", expect!["2026-01-12 day gregorian"]);
        check("1404/10/18", expect!["2026-01-08 day jalali"]);
        check("18/10/1404", expect!["2026-01-08 day jalali"]);
        check("۱۴۰۴/۱۰/۱۸", expect!["2026-01-08 day jalali"]);
        check("۱۴۰۴-۱۰-۱۸", expect!["2026-01-08 day jalali"]);
        check("١٤٠٤/١٠/١٨", expect!["2026-01-08 day jalali"]);
        check(
            "\u{200F}۱۴۰۴/۱۰/۱۸\u{200F}",
            expect!["2026-01-08 day jalali"],
        );
        check("۱۴۰۴٫۱۰٫۱۸", expect!["2026-01-08 day jalali"]);
        check("2026／01／08", expect!["2026-01-08 day gregorian"]);
        check("2026–01–08", expect!["2026-01-08 day gregorian"]);
        check("20260108", expect!["2026-01-08 day gregorian"]);
        check("14041018", expect!["2026-01-08 day jalali"]);
        check("1403/12/30", expect!["2025-03-20 day jalali"]);
    }

    #[test]
    fn month_and_year_precision() {
        check("2026-01", expect!["2026-01-01 month gregorian"]);
        check("01/2026", expect!["2026-01-01 month gregorian"]);
        check("1404/10", expect!["2025-12-22 month jalali"]);
        check("۱۴۰۴/۱۰", expect!["2025-12-22 month jalali"]);
        check("2026", expect!["2026-01-01 year gregorian"]);
        check("1404", expect!["2025-03-21 year jalali"]);
        check("۱۴۰۴", expect!["2025-03-21 year jalali"]);
    }

    #[test]
    fn with_time() {
        check("2026-01-08 14:30", expect!["2026-01-08 day gregorian"]);
        check("2026-01-08T14:30:00Z", expect!["2026-01-08 day gregorian"]);
        check(
            "2026-01-08T14:30:00+03:30",
            expect!["2026-01-08 day gregorian"],
        );
        check("08/01/2026 2:30 PM", expect!["2026-01-08 day gregorian"]);
        check("8 January 2026, 14:30", expect!["2026-01-08 day gregorian"]);
        check(
            "2026-01-08 at 14:30",
            expect![
                "error: '2026-01-08 at 14:30' has 'at', which is not a month name; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "14:30",
            expect![
                "error: '14:30' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
    }

    #[test]
    fn persian_month_names() {
        check("18 دی 1404", expect!["2026-01-08 day jalali"]);
        check("۱۸ دی ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("۱۸ دی ماه ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("۱۸ دی‌ماه ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("دی ۱۴۰۴", expect!["2025-12-22 month jalali"]);
        check("اسفندماه ۱۴۰۳", expect!["2025-02-19 month jalali"]);
        check("۱۸ دي ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("۳ اذر ۱۴۰۴", expect!["2025-11-24 day jalali"]);
        check("ژانويه ۲۰۲۶", expect!["2026-01-01 month gregorian"]);
        check(
            "ماه ۱۴۰۴",
            expect![
                "error: 'ماه ۱۴۰۴' has 'ماه', which is not a month name; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check("۱۴۰۴/۱۰/۱۸ ۱۴:۳۰", expect!["2026-01-08 day jalali"]);
        check("دی ماه سال ۱۴۰۴", expect!["2025-12-22 month jalali"]);
        check("۱۸ام دی ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("پنج‌شنبه ۱۸ دی ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("پنج شنبه، ۱۸ دی ۱۴۰۴", expect!["2026-01-08 day jalali"]);
        check("۲۵ شهريور ۱۴۰۱", expect!["2022-09-16 day jalali"]);
        check("۲۴ ابان ۱۳۹۸", expect!["2019-11-15 day jalali"]);
        check("1 فروردین 1404", expect!["2025-03-21 day jalali"]);
        check("۳۰ اسفند ۱۴۰۳", expect!["2025-03-20 day jalali"]);
        check("۱۰ امرداد ۱۴۰۴", expect!["2025-08-01 day jalali"]);
        check("۸ ژانویه ۲۰۲۶", expect!["2026-01-08 day gregorian"]);
        check("ژانویه ۲۰۲۶", expect!["2026-01-01 month gregorian"]);
        check("۱۶ سپتامبر ۲۰۲۲", expect!["2022-09-16 day gregorian"]);
        check("۱ مه ۲۰۲۵", expect!["2025-05-01 day gregorian"]);
    }

    #[test]
    fn latin_month_names() {
        check("18 Dey 1404", expect!["2026-01-08 day jalali"]);
        check("18 DEI 1404", expect!["2026-01-08 day jalali"]);
        check("Esfand 1403", expect!["2025-02-19 month jalali"]);
        check("8 January 2026", expect!["2026-01-08 day gregorian"]);
        check("January 8, 2026", expect!["2026-01-08 day gregorian"]);
        check("Jan 8 2026", expect!["2026-01-08 day gregorian"]);
        check("Jan. 8, 2026", expect!["2026-01-08 day gregorian"]);
        check("08-Jan-2026", expect!["2026-01-08 day gregorian"]);
        check("8th January 2026", expect!["2026-01-08 day gregorian"]);
        check("January 8th, 2026", expect!["2026-01-08 day gregorian"]);
        check("8th of January 2026", expect!["2026-01-08 day gregorian"]);
        check(
            "Thursday, 8 January 2026",
            expect!["2026-01-08 day gregorian"],
        );
        check("Thu Jan 8 2026", expect!["2026-01-08 day gregorian"]);
        check("January 2026", expect!["2026-01-01 month gregorian"]);
        check("2026 January 8", expect!["2026-01-08 day gregorian"]);
        check("Sept 16 2022", expect!["2022-09-16 day gregorian"]);
        check("1 Farvardin 1404", expect!["2025-03-21 day jalali"]);
    }

    #[test]
    fn hints() {
        check_hint(
            CalendarHint::Jalali,
            "1404/10/18",
            expect!["2026-01-08 day jalali"],
        );
        check_hint(
            CalendarHint::Gregorian,
            "2026-01-08",
            expect!["2026-01-08 day gregorian"],
        );
        check_hint(
            CalendarHint::Jalali,
            "2026-01-08",
            expect!["error: '2026-01-08' has year 2026; expected a Jalali year in 1200–1599"],
        );
        check_hint(
            CalendarHint::Gregorian,
            "1404/10/18",
            expect!["error: '1404/10/18' has year 1404; expected a Gregorian year in 1800–2199"],
        );
        check_hint(
            CalendarHint::Gregorian,
            "18 دی 1404",
            expect![
                "error: '18 دی 1404' names the Jalali month Dey, but Gregorian dates were expected"
            ],
        );
        check_hint(
            CalendarHint::Jalali,
            "8 January 2026",
            expect![
                "error: '8 January 2026' names the Gregorian month January, but Jalali dates were expected"
            ],
        );
        check_hint(
            CalendarHint::Jalali,
            "دی ۱۴۰۴",
            expect!["2025-12-22 month jalali"],
        );
    }

    #[test]
    fn errors() {
        check(
            "1404/12/30",
            expect!["error: '1404/12/30' has day 30, but Esfand 1404 has only 29 days"],
        );
        check(
            "2026-02-30",
            expect!["error: '2026-02-30' has day 30, but February 2026 has only 28 days"],
        );
        check(
            "2026-02-29",
            expect!["error: '2026-02-29' has day 29, but February 2026 has only 28 days"],
        );
        check(
            "1404/13/01",
            expect!["error: '1404/13/01' has month 13; expected 1–12"],
        );
        check(
            "1404/00/01",
            expect!["error: '1404/00/01' has month 0; expected 1–12"],
        );
        check(
            "1404/01/00",
            expect!["error: '1404/01/00' has day 0; days start at 1"],
        );
        check(
            "32/01/2026",
            expect!["error: '32/01/2026' has day 32, but January 2026 has only 31 days"],
        );
        check(
            "13/13/2026",
            expect!["error: '13/13/2026' has month 13; expected 1–12"],
        );
        check(
            "18/10/04",
            expect![
                "error: '18/10/04' has no four-digit year (two-digit years are ambiguous); expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "Jan 8 26",
            expect![
                "error: 'Jan 8 26' has no four-digit year (two-digit years are ambiguous); expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "8 January",
            expect![
                "error: '8 January' has no four-digit year (two-digit years are ambiguous); expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "1700",
            expect![
                "error: '1700' has year 1700; expected a Jalali year (1200–1599) or a Gregorian year (1800–2199)"
            ],
        );
        check(
            "1700/01/01",
            expect![
                "error: '1700/01/01' has year 1700; expected a Jalali year (1200–1599) or a Gregorian year (1800–2199)"
            ],
        );
        check(
            "18 دی 2026",
            expect!["error: '18 دی 2026' has year 2026; expected a Jalali year in 1200–1599"],
        );
        check(
            "30 February 2026",
            expect!["error: '30 February 2026' has day 30, but February 2026 has only 28 days"],
        );
        check(
            "۳۰ اسفند ۱۴۰۴",
            expect!["error: '۳۰ اسفند ۱۴۰۴' has day 30, but Esfand 1404 has only 29 days"],
        );
        check(
            "18 Dey January 2026",
            expect!["error: '18 Dey January 2026' names more than one month; expected one date"],
        );
        check(
            "yesterday",
            expect![
                "error: 'yesterday' has 'yesterday', which is not a month name; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026/01-08",
            expect![
                "error: '2026/01-08' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026-01-08.",
            expect![
                "error: '2026-01-08.' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "-2026-01-08",
            expect![
                "error: '-2026-01-08' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026-01-08-09",
            expect![
                "error: '2026-01-08-09' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "12345",
            expect![
                "error: '12345' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026-001-08",
            expect![
                "error: '2026-001-08' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "8th/01/2026",
            expect![
                "error: '8th/01/2026' is not a date: expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026-01-08 (approx)",
            expect![
                "error: '2026-01-08 (approx)' has the character '(', which has no place in a date; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            "2026-01-08 14:30 Tehran",
            expect![
                "error: '2026-01-08 14:30 Tehran' has text after the date that is not a time of day; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
        check(
            &"1".repeat(101),
            expect![
                "error: the date text is longer than 100 characters; expected a date such as 2026-01-08, 08/01/2026, 8 January 2026, 1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)"
            ],
        );
    }

    #[test]
    fn never_panics() {
        let tricky = [
            "t",
            "1t",
            "t1",
            "1t1",
            ":",
            "1:",
            ":1",
            " : ",
            "2026-01-08T",
            "T14:30",
            ",",
            ",,,",
            "/",
            "//",
            "1/",
            "/1",
            "0",
            "00",
            "0000",
            "00000000",
            "99999999",
            "0/0/0",
            "9999/99/99",
            "99/99/9999",
            "1599/12/30",
            "1200/01/01",
            "2199-12-31",
            "1800-01-01",
            "th",
            "8th",
            "ام",
            "of",
            "ماه",
            "سال",
            "سال ماه",
            "دی",
            "شنبه",
            "پنج",
            "پنج شنبه",
            "monday",
            "monday,",
            ", monday",
            "99999999999999999999/1/1",
            "1/1/99999999999999999999",
            "\u{0}",
            "\u{FFFF}",
            "\u{10FFFF}",
            "é",
            "ß",
            "İ",
            "\u{0301}1404",
            "1404\u{0654}",
            "𝟙𝟜𝟘𝟜",
            "١٤٠٤/١٠/١٨ ١٤:٣٠",
        ];
        for input in tricky {
            for hint in [
                CalendarHint::Auto,
                CalendarHint::Jalali,
                CalendarHint::Gregorian,
            ] {
                let _ = parse_date(input, hint);
            }
        }
        // Long inputs are refused after reading at most 101 characters, whatever they are.
        let long = "۱".repeat(10_000_000);
        assert!(parse_date(&long, CalendarHint::Auto).is_err());
        let spaced = format!(
            "{}2026-01-08{}",
            " ".repeat(1_000_000),
            " ".repeat(1_000_000)
        );
        assert!(parse_date(&spaced, CalendarHint::Auto).is_ok());
        let marks = "\u{200F}".repeat(1_000_000);
        assert!(parse_date(&marks, CalendarHint::Auto).is_err());
    }
}
