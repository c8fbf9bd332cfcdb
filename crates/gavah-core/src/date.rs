//! Dates: a Gregorian calendar date, a date with its precision, and the parser
//! that reads the forms casualty lists use (Jalali and Gregorian, Persian and
//! Latin digits, month names in Persian and English).
//!
//! Dates are stored Gregorian. Jalali input is converted with [`crate::jalali`].

use std::fmt;

/// A valid Gregorian calendar date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// `None` unless the date exists in the Gregorian calendar.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn to_days(self) -> i32 {
        // Howard Hinnant's days_from_civil, a published public-domain algorithm.
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i32::from(self.month);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i32::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i32) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i32::from(month <= 2);
        // day is 1..=31 and month 1..=12 by construction.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Date {
            year,
            month: month as u8,
            day: day as u8,
        }
    }

    pub fn add_days(self, days: i32) -> Date {
        Date::from_days(self.to_days() + days)
    }

    /// Parses exactly `YYYY-MM-DD`, the stored form.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[5..7].parse().ok()?;
        let day = text[8..10].parse().ok()?;
        Date::from_ymd(year, month, day)
    }
}

pub fn is_leap_gregorian(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_gregorian(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How precisely a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DatePrecision {
    Day,
    Month,
    Year,
    Unknown,
}

impl DatePrecision {
    pub fn as_str(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
            DatePrecision::Year => "year",
            DatePrecision::Unknown => "unknown",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "day" => DatePrecision::Day,
            "month" => DatePrecision::Month,
            "year" => DatePrecision::Year,
            "unknown" => DatePrecision::Unknown,
            _ => return None,
        })
    }
}

/// The calendar a date was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Calendar {
    Gregorian,
    /// Solar Hijri, Iran's civil calendar.
    Jalali,
}

/// Which calendar to assume for input whose calendar its year does not reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CalendarHint {
    /// Decide from the year: 1200–1599 is Jalali, 1800–2199 Gregorian.
    #[default]
    Auto,
    Jalali,
    Gregorian,
}

/// A date with its precision. For month and year precision, `date` is the first
/// Gregorian day of that period (of the Jalali month or year when the input was
/// Jalali).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub date: Option<Date>,
    pub precision: DatePrecision,
}

impl PartialDate {
    pub const UNKNOWN: PartialDate = PartialDate {
        date: None,
        precision: DatePrecision::Unknown,
    };

    pub fn day(date: Date) -> PartialDate {
        PartialDate {
            date: Some(date),
            precision: DatePrecision::Day,
        }
    }

    pub fn is_known(&self) -> bool {
        self.date.is_some()
    }
}

/// What the date parser read, with the calendar it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub value: PartialDate,
    pub calendar: Calendar,
}

/// A date the parser could not read; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DateError {
    pub reason: String,
}

/// Forms the parser accepts, for error messages and help text.
pub const EXPECTED_DATE_FORMS: &str = "a date such as 2026-01-08, 08/01/2026, 8 January 2026, \
    1404/10/18, ۱۴۰۴-۱۰-۱۸ or ۱۸ دی ۱۴۰۴ (or a month or year alone)";

/// Reads one date as casualty lists write it. An empty input is `Ok` with an
/// unknown date; text that is not a date is an error naming the expected forms.
pub fn parse_date(input: &str, hint: CalendarHint) -> Result<ParsedDate, DateError> {
    crate::jalali::parse_date_impl(input, hint)
}
