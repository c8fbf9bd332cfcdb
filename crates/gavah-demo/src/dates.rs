//! The ways the demo's sources write a date: ISO and English Gregorian, Jalali
//! with slashes or dashes in Persian or Latin digits, and Jalali with the month
//! name.

use crate::noise::persian_digits;
use gavah_core::Date;
use gavah_core::jalali::gregorian_to_jalali;

/// The Persian month names, shared with the date parser that reads them back.
const JALALI_MONTHS: [&str; 12] = gavah_core::jalali::JALALI_MONTHS_FA;

const ENGLISH_MONTHS: [&str; 12] = gavah_core::jalali::GREGORIAN_MONTHS_EN;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// 2026-01-08
    Iso,
    /// 8 January 2026
    English,
    /// 08/01/2026, day first as in Europe and Iran.
    DayMonthYear,
    /// 1404/10/18
    JalaliSlash,
    /// ۱۴۰۴/۱۰/۱۸
    JalaliSlashPersian,
    /// ۱۴۰۴-۱۰-۱۸
    JalaliDashPersian,
    /// ۱۸ دی ۱۴۰۴
    JalaliWordsPersian,
}

pub(crate) fn format_date(date: Date, style: DateStyle) -> String {
    let month_index = usize::from(date.month()).saturating_sub(1).min(11);
    match style {
        DateStyle::Iso => date.to_string(),
        DateStyle::English => {
            format!(
                "{} {} {}",
                date.day(),
                ENGLISH_MONTHS[month_index],
                date.year()
            )
        }
        DateStyle::DayMonthYear => {
            format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
        }
        DateStyle::JalaliSlash | DateStyle::JalaliSlashPersian | DateStyle::JalaliDashPersian => {
            let (y, m, d) = gregorian_to_jalali(date);
            let sep = if style == DateStyle::JalaliDashPersian {
                '-'
            } else {
                '/'
            };
            let text = format!("{y}{sep}{m:02}{sep}{d:02}");
            if style == DateStyle::JalaliSlash {
                text
            } else {
                persian_digits(&text)
            }
        }
        DateStyle::JalaliWordsPersian => {
            let (y, m, d) = gregorian_to_jalali(date);
            let month = JALALI_MONTHS[usize::from(m).saturating_sub(1).min(11)];
            persian_digits(&format!("{d} {month} {y}"))
        }
    }
}

/// The Jalali year a Gregorian date falls in.
pub(crate) fn jalali_year(date: Date) -> i32 {
    gregorian_to_jalali(date).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        let d = Date::from_ymd(2026, 1, 8).unwrap();
        let got: Vec<String> = [
            DateStyle::Iso,
            DateStyle::English,
            DateStyle::DayMonthYear,
            DateStyle::JalaliSlash,
            DateStyle::JalaliSlashPersian,
            DateStyle::JalaliDashPersian,
            DateStyle::JalaliWordsPersian,
        ]
        .iter()
        .map(|&s| format_date(d, s))
        .collect();
        expect_test::expect![[r#"
            [
                "2026-01-08",
                "8 January 2026",
                "08/01/2026",
                "1404/10/18",
                "۱۴۰۴/۱۰/۱۸",
                "۱۴۰۴-۱۰-۱۸",
                "۱۸ دی ۱۴۰۴",
            ]
        "#]]
        .assert_debug_eq(&got);
    }
}
