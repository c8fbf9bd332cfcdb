//! Persian and Latin text normalisation: the display form of a name or place
//! (what we store and show) and the matching key (what we compare).
//!
//! The rules follow the conventions of `../shared/data/iran/README.md`, so that
//! our keys and the gazetteer's keys agree.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const ZWNJ: char = '\u{200C}';

/// Persian (U+06F0–U+06F9) and Arabic-Indic (U+0660–U+0669) digits as ASCII.
pub fn ascii_digit(c: char) -> Option<char> {
    match c {
        '\u{06F0}'..='\u{06F9}' => char::from_u32(c as u32 - 0x06F0 + u32::from(b'0')),
        '\u{0660}'..='\u{0669}' => char::from_u32(c as u32 - 0x0660 + u32::from(b'0')),
        _ => None,
    }
}

/// Replaces Persian and Arabic-Indic digits (and the Arabic decimal and
/// thousands separators) with ASCII. Borrows when there is nothing to change.
pub fn to_ascii_digits(text: &str) -> Cow<'_, str> {
    if text.is_ascii()
        || !text
            .chars()
            .any(|c| ascii_digit(c).is_some() || c == '٫' || c == '٬')
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '٫' => '.',
                '٬' => ',',
                c => ascii_digit(c).unwrap_or(c),
            })
            .collect(),
    )
}

fn is_bidi_or_joiner(c: char) -> bool {
    matches!(c, '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn is_arabic_diacritic(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// The display form: Arabic letter variants folded to Persian (ي ى → ی, ك → ک,
/// ة → ه, ۀ → هٔ), presentation forms folded (NFKC), diacritics and tatweel
/// removed, digits made ASCII, bidi marks and ZWJ removed, spacing collapsed.
/// ZWNJ is kept where it joins two letters, since it is part of Persian spelling.
/// Latin text keeps its case and accents. Idempotent.
pub fn normalize_text(text: &str) -> String {
    if text.is_ascii() {
        return normalize_ascii(text);
    }
    let (mut out, mut removed) = normalize_pass(text);
    // Removing a mark can bring together characters that NFKC composes or
    // reorders (e + LRM + U+0301 → e + U+0301 → é), so a pass that removed
    // anything is repeated until nothing changes. Real names settle in one or two
    // passes; the bound only guards against a cycle.
    let mut passes = 1;
    while removed && passes < 8 {
        let (again, r) = normalize_pass(&out);
        if again == out {
            break;
        }
        out = again;
        removed = r;
        passes += 1;
    }
    out
}

/// One pass of [`normalize_text`] over non-ASCII text; also says whether it
/// removed or rewrote anything that could let NFKC change the result again.
fn normalize_pass(text: &str) -> (String, bool) {
    let mut removed = false;
    // NFKC folds Arabic presentation forms and full-width Latin; most text is
    // already in NFKC, which the quick check tells without rebuilding the string.
    let folded: std::borrow::Cow<'_, str> = if text.chars().all(is_plain)
        || unicode_normalization::is_nfkc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfkc().collect())
    };
    let mut out = String::with_capacity(folded.len());
    let mut pending_space = false;
    let mut pending_zwnj = false;
    for c in folded.chars() {
        let c = match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            'ة' => 'ه',
            c => ascii_digit(c).unwrap_or(c),
        };
        if c == 'ۀ' {
            removed = true;
            flush(&mut out, &mut pending_space, &mut pending_zwnj);
            out.push('ه');
            out.push('\u{0654}');
            continue;
        }
        if is_bidi_or_joiner(c) || (is_arabic_diacritic(c) && c != '\u{0654}') {
            removed = true;
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            pending_zwnj = false;
            continue;
        }
        if c == ZWNJ {
            // A ZWNJ beside a space or at either end does nothing visible.
            pending_zwnj = !out.is_empty() && !pending_space;
            continue;
        }
        flush(&mut out, &mut pending_space, &mut pending_zwnj);
        out.push(c);
    }
    (out, removed)
}

/// Characters that NFKC leaves alone and that cannot compose with a neighbour:
/// ASCII, the base Arabic and Persian letters, Persian and Arabic-Indic digits,
/// and ZWNJ. A name made only of these skips the Unicode tables entirely.
fn is_plain(c: char) -> bool {
    c.is_ascii()
        || matches!(
            c,
            '\u{0621}' | '\u{0627}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0660}'..='\u{0669}'
                | 'پ' | 'چ' | 'ژ' | 'ک' | 'گ' | 'ی' | '\u{06F0}'..='\u{06F9}' | '\u{200C}'
        )
}

/// The display form of ASCII text: spacing collapsed, controls dropped.
fn normalize_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_ascii_whitespace() || c.is_ascii_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn flush(out: &mut String, pending_space: &mut bool, pending_zwnj: &mut bool) {
    if *pending_space {
        out.push(' ');
    } else if *pending_zwnj {
        out.push(ZWNJ);
    }
    *pending_space = false;
    *pending_zwnj = false;
}

/// The matching key: the display form with alef variants (آ أ إ ٱ → ا), ؤ → و,
/// ئ → ی and hamza marks folded, Latin lower-cased without accents, and spaces,
/// ZWNJ, hyphens, dots and apostrophes removed — so `حسین‌زاده`, `حسین زاده` and
/// `حسینزاده` share one key, as do `Hossein-Zadeh` and `hosseinzadeh`.
pub fn match_key(text: &str) -> String {
    if text.is_ascii() {
        // The common case for Latin lists, without any Unicode tables.
        let mut out = String::with_capacity(text.len());
        out.extend(
            text.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        return out;
    }
    let display = normalize_text(text);
    let mut out = String::with_capacity(display.len());
    for c in display.chars() {
        match c {
            'آ' | 'أ' | 'إ' | 'ٱ' => out.push('ا'),
            'ؤ' => out.push('و'),
            'ئ' | 'ي' | 'ى' => out.push('ی'),
            'ء' => {}
            c if c.is_ascii() => {
                if c.is_ascii_alphanumeric() {
                    out.push(c.to_ascii_lowercase());
                }
            }
            // Arabic-script letters need no decomposition once folded above.
            '\u{0600}'..='\u{06FF}' => {
                // The hamza above (U+0654) is a mark, not a letter.
                if c.is_alphanumeric() && !is_combining_mark(c) {
                    out.push(c);
                }
            }
            c => {
                // Latin accents and other marks go; the base letter stays.
                unicode_normalization::char::decompose_canonical(c, |d| {
                    if !is_combining_mark(d) && d.is_alphanumeric() {
                        out.extend(d.to_lowercase());
                    }
                });
            }
        }
    }
    out
}

/// True when the text contains Arabic-script letters.
pub fn is_arabic_script(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{0600}'..='\u{06FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(input: &str, expect: Expect) {
        let display = normalize_text(input);
        let key = match_key(input);
        expect.assert_eq(&format!(
            "{display} | {key}",
            display = display.replace(ZWNJ, "<zwnj>")
        ));
        // Both forms are idempotent.
        assert_eq!(normalize_text(&display), display);
        assert_eq!(match_key(&key), key);
    }

    #[test]
    fn arabic_letters_fold_to_persian() {
        check("علي رضايي", expect!["علی رضایی | علیرضایی"]);
        check("كاظم", expect!["کاظم | کاظم"]);
        check("فاطمة", expect!["فاطمه | فاطمه"]);
    }

    #[test]
    fn diacritics_tatweel_and_digits() {
        check("مُحَمَّد", expect!["محمد | محمد"]);
        check("محـــمد", expect!["محمد | محمد"]);
        check("۱۴۰۴/۱۰/۱۸", expect!["1404/10/18 | 14041018"]);
        check("٢٣ ساله", expect!["23 ساله | 23ساله"]);
    }

    #[test]
    fn zwnj_and_spacing() {
        check("حسین‌زاده", expect!["حسین<zwnj>زاده | حسینزاده"]);
        check("حسین زاده", expect!["حسین زاده | حسینزاده"]);
        check(
            "  حسین \u{200C} زاده\u{200C} ",
            expect!["حسین زاده | حسینزاده"],
        );
        check(
            "\u{200F}مهسا\u{200E}   امینی",
            expect!["مهسا امینی | مهساامینی"],
        );
    }

    #[test]
    fn alef_and_hamza_variants_share_a_key() {
        check("آرمان", expect!["آرمان | ارمان"]);
        check("أحمد", expect!["أحمد | احمد"]);
        check("مسئول", expect!["مسئول | مسیول"]);
        check("خانهٔ", expect!["خانهٔ | خانه"]);
        check("خانۀ", expect!["خانهٔ | خانه"]);
    }

    #[test]
    fn latin_names() {
        check(
            "  Mohammad   Rezaei ",
            expect!["Mohammad Rezaei | mohammadrezaei"],
        );
        check("Hossein-Zadeh", expect!["Hossein-Zadeh | hosseinzadeh"]);
        check("Éşfahān", expect!["Éşfahān | esfahan"]);
        check("Ｔｅｈｒａｎ", expect!["Tehran | tehran"]);
    }

    #[test]
    fn presentation_forms_fold() {
        // U+FEE3 U+FEA4 U+FEE4 U+FEAA: محمد in presentation forms.
        check("\u{FEE3}\u{FEA4}\u{FEE4}\u{FEAA}", expect!["محمد | محمد"]);
    }
}
