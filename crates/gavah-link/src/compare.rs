//! Comparison functions: string similarity, dates with precision, ages against
//! birth years, places in the gazetteer's hierarchy, and the comparison levels
//! each field kind yields for a pair of values.
//!
//! A level is a small integer: `0` means one side is missing (the pair says
//! nothing about this field); `1` is the strongest agreement; the last level is
//! disagreement. Levels are what the model learns m and u probabilities for.

use crate::data::{Dataset, DateValue, FieldKind, MISSING, Value};
use crate::packed::Packed;
use crate::translit::NameKeys;
use gavah_core::DatePrecision;
use wide::u8x16;

/// The level when either value is missing.
pub const NULL: u8 = 0;

/// Jaro–Winkler similarity in [0, 1]. ASCII strings up to 64 bytes (almost
/// every name and date) take an allocation-free path; this is the innermost
/// loop of linkage.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if let Some((_, lane)) = short_ascii(a, b) {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.is_empty() || b.is_empty() {
            return if a.len() == b.len() { 1.0 } else { 0.0 };
        }
        let occurrences = Occurrences::one_lane(lane, b.len());
        return jaro_winkler_masks(a, b, |c| occurrences.of(c));
    }
    if a.is_ascii() && b.is_ascii() && a.len() <= 64 && b.len() <= 64 {
        return jaro_winkler_ascii(a.as_bytes(), b.as_bytes());
    }
    strsim::jaro_winkler(a, b)
}

/// When both strings are ASCII and at most 16 bytes (almost every value
/// compared), their bytes as vector lanes (see [`lane_of`]): the strings'
/// one lane each, and their ASCII test from the lanes, where `is_ascii`
/// reads them again.
#[inline(always)]
fn short_ascii(a: &str, b: &str) -> Option<([u8; 16], [u8; 16])> {
    const HIGH: u128 = u128::from_le_bytes([0x80; 16]);
    if a.len() > 16 || b.len() > 16 {
        return None;
    }
    let (x, y) = (lane_bits(a.as_bytes()), lane_bits(b.as_bytes()));
    ((x | y) & HIGH == 0).then(|| (x.to_le_bytes(), y.to_le_bytes()))
}

/// Up to 16 bytes, zero-padded to 16, read with two overlapping loads (the
/// overlapping bytes are the same, so or-ing them is exact) rather than a
/// copy: this runs for every string compared.
#[inline(always)]
fn lane_of(s: &[u8]) -> [u8; 16] {
    lane_bits(s).to_le_bytes()
}

/// [`lane_of`] as a number.
#[inline(always)]
fn lane_bits(s: &[u8]) -> u128 {
    let n = s.len();
    debug_assert!(n <= 16);
    if n >= 8 {
        let lo = u64::from_le_bytes(s[..8].try_into().unwrap_or_default());
        let hi = u64::from_le_bytes(s[n - 8..].try_into().unwrap_or_default());
        u128::from(lo) | (u128::from(hi) << (8 * (n - 8)))
    } else if n >= 4 {
        let lo = u32::from_le_bytes(s[..4].try_into().unwrap_or_default());
        let hi = u32::from_le_bytes(s[n - 4..].try_into().unwrap_or_default());
        u128::from(lo) | (u128::from(hi) << (8 * (n - 4)))
    } else {
        s.iter()
            .enumerate()
            .fold(0u128, |v, (i, &c)| v | (u128::from(c) << (8 * i)))
    }
}

/// Whether two strings are equal. Up to 16 bytes (most values compared)
/// they are read as two numbers (see [`lane_of`]) instead of calling
/// `memcmp`, which was 6% of the comparisons.
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len()
        && if a.len() <= 16 {
            lane_bits(a) == lane_bits(b)
        } else {
            a == b
        }
}

/// Where each byte occurs in a string of at most 64 bytes, one bit per
/// position, found 16 bytes at a time with vector compares (SSE2 on x86-64,
/// through `wide`'s safe vectors; plain code elsewhere). Both string kernels
/// below ask this of every byte of the other string: a byte-by-byte scan made
/// it the largest item of linkage profiles.
struct Occurrences {
    lanes: [u8x16; 4],
    /// Lanes holding the string: 1 for up to 16 bytes, else 4.
    wide: bool,
    /// The bits of the string's positions (the padding is zeros, which a
    /// zero byte must not match).
    valid: u64,
}

impl Occurrences {
    #[inline(always)]
    fn new(hay: &[u8]) -> Occurrences {
        debug_assert!(hay.len() <= 64);
        let mut lanes = [u8x16::default(); 4];
        for (lane, chunk) in lanes.iter_mut().zip(hay.chunks(16)) {
            *lane = u8x16::new(lane_of(chunk));
        }
        Occurrences {
            lanes,
            wide: hay.len() > 16,
            valid: if hay.len() >= 64 {
                u64::MAX
            } else {
                (1u64 << hay.len()) - 1
            },
        }
    }

    /// A string of `len` ≤ 16 bytes already in a lane (see [`short_ascii`]).
    #[inline(always)]
    fn one_lane(lane: [u8; 16], len: usize) -> Occurrences {
        let mut lanes = [u8x16::default(); 4];
        lanes[0] = u8x16::new(lane);
        Occurrences {
            lanes,
            wide: false,
            valid: (1u64 << len) - 1,
        }
    }

    /// The positions (bits) at which the string holds `c`.
    #[inline(always)]
    fn of(&self, c: u8) -> u64 {
        let needle = u8x16::splat(c);
        let mut bits = u64::from(self.lanes[0].simd_eq(needle).to_bitmask());
        if self.wide {
            for (k, lane) in self.lanes.iter().enumerate().skip(1) {
                bits |= u64::from(lane.simd_eq(needle).to_bitmask()) << (16 * k);
            }
        }
        bits & self.valid
    }
}

fn jaro_winkler_ascii(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // Where each byte of a occurs in b, one bit per position: the first
    // unused occurrence inside a character's window is then the lowest set bit
    // of a mask, instead of a scan of the window (the classic loop this
    // replaces made Jaro–Winkler the largest item in linkage profiles). It
    // picks the same match as the scan, so the result is the same.
    let occurrences = Occurrences::new(b);
    jaro_winkler_masks(a, b, |c| occurrences.of(c))
}

/// Jaro–Winkler of two non-empty ASCII strings of at most 64 bytes, given
/// where each byte occurs in `b`.
#[inline(always)]
fn jaro_winkler_masks(a: &[u8], b: &[u8], occurrences: impl Fn(u8) -> u64) -> f64 {
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let (mut a_used, mut b_used) = (0u64, 0u64);
    for (i, &c) in a.iter().enumerate() {
        let occurs = occurrences(c);
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        // Bits lo..hi (empty when hi <= lo); lo < 64 since i < 64.
        let below_hi = if hi >= 64 { u64::MAX } else { (1u64 << hi) - 1 };
        let from_lo = !((1u64 << lo) - 1);
        let free = occurs & below_hi & from_lo & !b_used;
        // Without a branch: whether a byte finds a match is as good as
        // random, and a mispredicted branch per byte cost more than this.
        a_used |= u64::from(free != 0) << i;
        b_used |= free & free.wrapping_neg();
    }
    let matches = a_used.count_ones() as usize;
    if matches == 0 {
        return 0.0;
    }
    // The k-th matched character of a against the k-th of b, walking the set
    // bits of both masks in order.
    let mut transpositions = 0usize;
    let (mut left, mut right) = (a_used, b_used);
    while left != 0 {
        let (i, j) = (left.trailing_zeros(), right.trailing_zeros());
        transpositions += usize::from(a[i as usize] != b[j as usize]);
        left &= left - 1;
        right &= right - 1;
    }
    let m = matches as f64;
    let jaro =
        (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0;
    // Winkler's prefix bonus only above the boost threshold of 0.7, as strsim
    // (the path for other scripts) applies it: the same pair of names must
    // get the same level in either script.
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Asks the processor to start loading the cache line holding `r`, without
/// waiting for it (a no-op where there is no such instruction). Comparing a
/// pair reads a dozen scattered places in memory; asked for a few pairs
/// ahead, they are in the cache when the pair's turn comes. `safe_arch` wraps
/// the instruction safely: the workspace forbids `unsafe`.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(r);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// Levenshtein edit distance (insertions, deletions, substitutions).
pub fn levenshtein(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// Damerau–Levenshtein distance with adjacent transpositions (optimal string
/// alignment), the usual measure of typing errors. Allocation-free for ASCII
/// strings up to 64 bytes.
pub fn damerau(a: &str, b: &str) -> usize {
    if let Some((lane, _)) = short_ascii(a, b) {
        let occurrences = Occurrences::one_lane(lane, a.len());
        return osa_masks(a.as_bytes(), b.as_bytes(), |c| occurrences.of(c));
    }
    if a.is_ascii() && b.is_ascii() && a.len() <= 64 {
        return osa_ascii(a.as_bytes(), b.as_bytes());
    }
    strsim::osa_distance(a, b)
}

/// Optimal string alignment distance by Hyyrö's bit-vector algorithm (2003),
/// Myers' bit-parallel edit distance extended with transpositions: one column
/// of the dynamic-programming table per byte of `b`, held as bits of
/// vertical deltas. `a` is at most 64 bytes. Written here because strsim's
/// version fills the whole table, and this sits in linkage's innermost loop.
fn osa_ascii(a: &[u8], b: &[u8]) -> usize {
    let occurrences = Occurrences::new(a);
    osa_masks(a, b, |c| occurrences.of(c))
}

/// [`osa_ascii`], given where each byte occurs in `a`.
#[inline(always)]
fn osa_masks(a: &[u8], b: &[u8], occurrences: impl Fn(u8) -> u64) -> usize {
    let m = a.len();
    if m == 0 {
        return b.len();
    }
    let last = 1u64 << (m - 1);
    // Vertical deltas +1 and −1, the previous column's diagonal zeros and
    // match mask.
    let (mut vp, mut vn) = (u64::MAX, 0u64);
    let (mut d0, mut pm_prev) = (0u64, 0u64);
    let mut score = m;
    for &c in b {
        let pm = occurrences(c);
        let tr = ((!d0 & pm) << 1) & pm_prev;
        d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
        let hp = vn | !(d0 | vp);
        let hn = d0 & vp;
        // hp and hn are disjoint: at most one of these moves the score.
        score += usize::from(hp & last != 0);
        score -= usize::from(hn & last != 0);
        let x = (hp << 1) | 1;
        vn = x & d0;
        vp = (hn << 1) | !(x | d0);
        pm_prev = pm;
    }
    score
}

/// How two dates agree, respecting the precision each was recorded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateAgreement {
    /// Same day, both known to the day.
    Exact,
    /// One typing error in the written digits, or day and month swapped.
    Typo,
    /// Within the tolerance in days.
    Within,
    /// Same year, or the less precise date's period contains the other.
    SameYear,
    /// Within ten years.
    Decade,
    Different,
    Unknown,
}

/// A date's fields as the comparison reads them, borrowed from a
/// [`DateValue`] or from a comparator's packed column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateParts<'a> {
    pub digits: &'a str,
    pub days: Option<i32>,
    pub year: i32,
    pub precision: DatePrecision,
}

impl DateValue {
    pub(crate) fn parts(&self) -> DateParts<'_> {
        DateParts {
            digits: &self.digits,
            days: self.days,
            year: self.year,
            precision: self.precision,
        }
    }
}

/// Compares two dates. `tolerance_days` is the window of [`DateAgreement::Within`].
pub fn compare_dates(a: &DateValue, b: &DateValue, tolerance_days: i32) -> DateAgreement {
    compare_date_parts(a.parts(), b.parts(), tolerance_days)
}

pub(crate) fn compare_date_parts(
    a: DateParts<'_>,
    b: DateParts<'_>,
    tolerance_days: i32,
) -> DateAgreement {
    let (Some(da), Some(db)) = (a.days, b.days) else {
        if !a.digits.is_empty() && same(a.digits, b.digits) {
            return DateAgreement::Exact;
        }
        if a.digits.len() == 8 && b.digits.len() == 8 && damerau(a.digits, b.digits) <= 1 {
            return DateAgreement::Typo;
        }
        return DateAgreement::Unknown;
    };
    let precise = a.precision == DatePrecision::Day && b.precision == DatePrecision::Day;
    if precise {
        if da == db {
            return DateAgreement::Exact;
        }
        if a.digits.len() == 8 && b.digits.len() == 8 {
            let swapped = a.digits[..4] == b.digits[..4]
                && a.digits[4..6] == b.digits[6..8]
                && a.digits[6..8] == b.digits[4..6];
            if swapped || damerau(a.digits, b.digits) <= 1 {
                return DateAgreement::Typo;
            }
        }
        if (da - db).abs() <= tolerance_days {
            return DateAgreement::Within;
        }
    } else if a.year == b.year && a.year != 0 {
        // A month or year precision date is the first day of its period: the
        // only agreement it can show is of the period.
        return DateAgreement::SameYear;
    }
    if a.year == b.year {
        return DateAgreement::SameYear;
    }
    if (a.year - b.year).abs() <= 10 {
        return DateAgreement::Decade;
    }
    DateAgreement::Different
}

/// Whether an age at an event agrees with a birth year, within `tolerance`
/// years. Someone born in 2003 is 22 or 23 in January 2026: their birthday may
/// not have come yet, so one year of slack is always allowed on top of the
/// tolerance for estimates.
pub fn age_matches_birth_year(age: i32, birth_year: i32, event_year: i32, tolerance: i32) -> bool {
    let implied = event_year - birth_year;
    (implied - age).abs() <= tolerance || (implied - 1 - age).abs() <= tolerance
}

/// How two places agree in the gazetteer's hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceAgreement {
    /// Same written name or same gazetteer city.
    SameCity,
    /// Different cities (or names) in one province.
    SameProvince,
    /// Names that differ by a typing error or two.
    Similar,
    Different,
    Unknown,
}

/// A place's fields as the comparison reads them, borrowed from a
/// [`PlaceValue`] or from a comparator's packed column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlaceParts<'a> {
    pub key: &'a str,
    pub city: Option<u32>,
    pub province: Option<&'a str>,
}

/// Compares two places by key, then gazetteer city, then province.
pub fn compare_places(a: &Value, b: &Value) -> PlaceAgreement {
    let (Value::Place(a), Value::Place(b)) = (a, b) else {
        return PlaceAgreement::Unknown;
    };
    compare_place_parts(a.parts(), b.parts())
}

impl crate::data::PlaceValue {
    pub(crate) fn parts(&self) -> PlaceParts<'_> {
        PlaceParts {
            key: &self.key,
            city: self.city,
            province: self.province.as_deref(),
        }
    }
}

pub(crate) fn compare_place_parts(a: PlaceParts<'_>, b: PlaceParts<'_>) -> PlaceAgreement {
    if a.key.is_empty() || b.key.is_empty() {
        return PlaceAgreement::Unknown;
    }
    if same(a.key, b.key) || (a.city.is_some() && a.city == b.city) {
        return PlaceAgreement::SameCity;
    }
    if a.province.is_some() && a.province == b.province {
        return PlaceAgreement::SameProvince;
    }
    if jaro_winkler(a.key, b.key) >= 0.9 {
        return PlaceAgreement::Similar;
    }
    PlaceAgreement::Different
}

/// Comparison levels of a name field, strongest first after [`NULL`].
pub mod name_level {
    /// Same display form.
    pub const EXACT: u8 = 1;
    /// Same transliteration key (variant spellings, other script).
    pub const KEY: u8 = 2;
    /// Same phonetic key.
    pub const PHONETIC: u8 = 3;
    /// Jaro–Winkler of the keys ≥ 0.92.
    pub const JW_HIGH: u8 = 4;
    /// Jaro–Winkler ≥ 0.80, or every token of the shorter name in the longer.
    pub const JW_MID: u8 = 5;
    /// The value equals the other record's value of the paired field (given name
    /// and surname swapped).
    pub const SWAPPED: u8 = 6;
    pub const ELSE: u8 = 7;
    pub const COUNT: u8 = 8;
    pub const LABELS: [&str; 8] = [
        "missing",
        "exact",
        "same key",
        "same sound",
        "jw>=0.92",
        "jw>=0.80",
        "swapped",
        "different",
    ];
}

/// What the name comparison reads of a name: implemented by [`NameKeys`] and
/// by a comparator's packed column, so both compare by the same code.
pub(crate) trait NameView {
    fn original(&self) -> &str;
    fn key(&self) -> &str;
    fn phonetic(&self) -> &str;
    fn token_count(&self) -> usize;
    fn tokens(&self) -> &[String];
}

impl NameView for NameKeys {
    fn original(&self) -> &str {
        &self.original
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn phonetic(&self) -> &str {
        &self.phonetic
    }
    fn token_count(&self) -> usize {
        self.tokens.len()
    }
    fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

/// Compares two name values.
pub fn name_level(a: &Value, b: &Value) -> u8 {
    let (Value::Name(a), Value::Name(b)) = (a, b) else {
        return NULL;
    };
    name_level_of(a, b)
}

pub(crate) fn name_level_of<N: NameView>(a: &N, b: &N) -> u8 {
    use name_level::*;
    if a.key().is_empty() || b.key().is_empty() {
        return NULL;
    }
    if same(a.original(), b.original()) {
        return EXACT;
    }
    if same(a.key(), b.key()) {
        return KEY;
    }
    if same(a.phonetic(), b.phonetic()) && a.phonetic().len() >= 2 {
        return PHONETIC;
    }
    let jw = jaro_winkler(a.key(), b.key());
    if jw >= 0.92 {
        return JW_HIGH;
    }
    if jw >= 0.80 || tokens_contained(a, b) {
        return JW_MID;
    }
    ELSE
}

/// True when every token of the shorter list is in the longer one (a middle
/// name or a second surname written in one list and not the other). The
/// counts are read first: most names have one token, and the tokens
/// themselves may be slower to reach.
fn tokens_contained<N: NameView>(a: &N, b: &N) -> bool {
    let (na, nb) = (a.token_count(), b.token_count());
    if na == nb || na.min(nb) == 0 {
        return false;
    }
    let (short, long) = if na < nb {
        (a.tokens(), b.tokens())
    } else {
        (b.tokens(), a.tokens())
    };
    short.iter().all(|t| long.contains(t))
}

/// Comparison levels of a date field.
pub mod date_level {
    pub const EXACT: u8 = 1;
    pub const TYPO: u8 = 2;
    pub const WITHIN: u8 = 3;
    pub const SAME_YEAR: u8 = 4;
    pub const DECADE: u8 = 5;
    pub const ELSE: u8 = 6;
    pub const COUNT: u8 = 7;
    pub const LABELS: [&str; 7] = [
        "missing",
        "exact",
        "typo or day/month swap",
        "within 31 days",
        "same year",
        "within 10 years",
        "different",
    ];
}

/// Compares two date values with a 31-day tolerance.
pub fn date_level(a: &Value, b: &Value) -> u8 {
    let (Value::Date(a), Value::Date(b)) = (a, b) else {
        return NULL;
    };
    date_level_of(a.parts(), b.parts())
}

pub(crate) fn date_level_of(a: DateParts<'_>, b: DateParts<'_>) -> u8 {
    use date_level::*;
    match compare_date_parts(a, b, 31) {
        DateAgreement::Exact => EXACT,
        DateAgreement::Typo => TYPO,
        DateAgreement::Within => WITHIN,
        DateAgreement::SameYear => SAME_YEAR,
        DateAgreement::Decade => DECADE,
        DateAgreement::Different => ELSE,
        DateAgreement::Unknown => NULL,
    }
}

/// Comparison levels of an age field.
pub mod age_level {
    pub const EXACT: u8 = 1;
    pub const ONE: u8 = 2;
    pub const FEW: u8 = 3;
    pub const ELSE: u8 = 4;
    pub const COUNT: u8 = 5;
    pub const LABELS: [&str; 5] = ["missing", "same", "within 1", "within 3", "different"];
}

/// Compares two ages.
pub fn age_level(a: &Value, b: &Value) -> u8 {
    let (Value::Age(a), Value::Age(b)) = (a, b) else {
        return NULL;
    };
    age_level_of(*a, *b)
}

pub(crate) fn age_level_of(a: i32, b: i32) -> u8 {
    use age_level::*;
    match (a - b).abs() {
        0 => EXACT,
        1 => ONE,
        2 | 3 => FEW,
        _ => ELSE,
    }
}

/// Comparison levels of a place field.
pub mod place_level {
    pub const SAME_CITY: u8 = 1;
    pub const SAME_PROVINCE: u8 = 2;
    pub const SIMILAR: u8 = 3;
    pub const ELSE: u8 = 4;
    pub const COUNT: u8 = 5;
    pub const LABELS: [&str; 5] = [
        "missing",
        "same place",
        "same province",
        "similar name",
        "different",
    ];
}

/// Compares two places.
pub fn place_level(a: &Value, b: &Value) -> u8 {
    place_level_of(compare_places(a, b))
}

pub(crate) fn place_level_of(agreement: PlaceAgreement) -> u8 {
    use place_level::*;
    match agreement {
        PlaceAgreement::SameCity => SAME_CITY,
        PlaceAgreement::SameProvince => SAME_PROVINCE,
        PlaceAgreement::Similar => SIMILAR,
        PlaceAgreement::Different => ELSE,
        PlaceAgreement::Unknown => NULL,
    }
}

/// Comparison levels of a number field (identifiers, postcodes, house numbers).
pub mod number_level {
    pub const EXACT: u8 = 1;
    pub const ONE_EDIT: u8 = 2;
    pub const TWO_EDITS: u8 = 3;
    pub const ELSE: u8 = 4;
    pub const COUNT: u8 = 5;
    pub const LABELS: [&str; 5] = ["missing", "exact", "1 edit", "2 edits", "different"];
}

/// Compares two numbers written as digit strings.
pub fn number_level(a: &Value, b: &Value) -> u8 {
    let (Value::Text(a), Value::Text(b)) = (a, b) else {
        return NULL;
    };
    number_level_of(a, b)
}

pub(crate) fn number_level_of(a: &str, b: &str) -> u8 {
    use number_level::*;
    if same(a, b) {
        return EXACT;
    }
    // The distance is at least the difference in length (in characters,
    // which ASCII bytes are).
    if a.is_ascii() && b.is_ascii() && a.len().abs_diff(b.len()) > 2 {
        return ELSE;
    }
    match damerau(a, b) {
        1 => ONE_EDIT,
        2 => TWO_EDITS,
        _ => ELSE,
    }
}

/// Comparison levels of free text (addresses, occupations).
pub mod text_level {
    pub const EXACT: u8 = 1;
    pub const JW_HIGH: u8 = 2;
    pub const JW_LOW: u8 = 3;
    pub const ELSE: u8 = 4;
    pub const COUNT: u8 = 5;
    pub const LABELS: [&str; 5] = ["missing", "exact", "jw>=0.90", "jw>=0.70", "different"];
}

/// Compares two free-text values.
pub fn text_level(a: &Value, b: &Value) -> u8 {
    let (Value::Text(a), Value::Text(b)) = (a, b) else {
        return NULL;
    };
    text_level_of(a, b)
}

pub(crate) fn text_level_of(a: &str, b: &str) -> u8 {
    use text_level::*;
    if same(a, b) {
        return EXACT;
    }
    let jw = jaro_winkler(a, b);
    if jw >= 0.9 {
        JW_HIGH
    } else if jw >= 0.7 {
        JW_LOW
    } else {
        ELSE
    }
}

/// The number of levels (including [`NULL`]) of a field kind.
pub fn level_count(kind: FieldKind) -> u8 {
    match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => name_level::COUNT,
        FieldKind::Date => date_level::COUNT,
        FieldKind::Age => age_level::COUNT,
        FieldKind::Place => place_level::COUNT,
        FieldKind::Number => number_level::COUNT,
        FieldKind::Text | FieldKind::Ignore => text_level::COUNT,
    }
}

/// The label of a level, for explanations.
pub fn level_label(kind: FieldKind, level: u8) -> &'static str {
    let labels: &[&str] = match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => &name_level::LABELS,
        FieldKind::Date => &date_level::LABELS,
        FieldKind::Age => &age_level::LABELS,
        FieldKind::Place => &place_level::LABELS,
        FieldKind::Number => &number_level::LABELS,
        FieldKind::Text | FieldKind::Ignore => &text_level::LABELS,
    };
    labels.get(usize::from(level)).copied().unwrap_or("?")
}

/// The level the exact-agreement term-frequency adjustment applies to, if any.
pub fn exact_level(kind: FieldKind) -> Option<u8> {
    match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => Some(name_level::EXACT),
        FieldKind::Place => Some(place_level::SAME_CITY),
        FieldKind::Number => Some(number_level::EXACT),
        FieldKind::Text => Some(text_level::EXACT),
        FieldKind::Date | FieldKind::Age | FieldKind::Ignore => None,
    }
}

/// Compares two prepared values of a kind.
pub fn level(kind: FieldKind, a: &Value, b: &Value) -> u8 {
    match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => name_level(a, b),
        FieldKind::Date => date_level(a, b),
        FieldKind::Age => age_level(a, b),
        FieldKind::Place => place_level(a, b),
        FieldKind::Number => number_level(a, b),
        FieldKind::Text => text_level(a, b),
        FieldKind::Ignore => NULL,
    }
}

/// One compared field of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Column index in the data set.
    pub column: usize,
    pub kind: FieldKind,
    /// For a given name, the surname column (and the reverse): a value equal
    /// to the other record's paired field is the [`name_level::SWAPPED`] level.
    pub swap_with: Option<usize>,
}

/// Computes the comparison vector of a pair of records.
#[derive(Debug, Clone)]
pub struct Comparator<'a> {
    pub data: &'a Dataset,
    /// Read only: `ids` is laid out for these fields when the comparator is
    /// made.
    pub fields: Vec<FieldSpec>,
    /// Per field, the levels already computed for pairs of its distinct
    /// values, when it has few enough of them (see [`Memo`]).
    memo: Vec<Option<std::sync::Arc<Memo>>>,
    /// Each record's value ids for the compared fields, side by side: a
    /// pair's ids are then two cache lines, where the columns' own id
    /// vectors cost a miss per field and record (`perf` of the 1,000,000-record
    /// dedupe: a quarter of the comparisons waiting there).
    ids: std::sync::Arc<Vec<u32>>,
    /// Per field, its values packed for comparison (see [`Packed`]); `None`
    /// for a column whose values do not pack, which is then read as values.
    packed: Vec<Option<std::sync::Arc<Packed>>>,
    /// Per field, the position among `fields` of its swap partner.
    swap_field: Vec<Option<usize>>,
}

/// Distinct values a column may have for its levels to be remembered: the
/// table is one byte per ordered pair of values, 16 MiB at most.
const MEMO_MAX_VALUES: usize = 4096;

/// Levels of one field by ordered pair of value ids, filled as pairs are
/// compared (0: not yet; otherwise the level plus one). Candidate pairs
/// repeat the same pairs of values many times: on the 200,000-record
/// synthetic file a street number's level was computed 1.8 million times
/// for 80,000 distinct pairs. The level functions are pure, so a remembered
/// level is the level; threads that race on a cell store the same byte.
#[derive(Debug)]
struct Memo {
    values: usize,
    cells: Vec<std::sync::atomic::AtomicU8>,
}

impl Memo {
    /// The cell of a pair of value ids.
    fn cell(&self, ia: u32, ib: u32) -> &std::sync::atomic::AtomicU8 {
        &self.cells[ia as usize * self.values + ib as usize]
    }

    fn level(&self, ia: u32, ib: u32, compute: impl FnOnce() -> u8) -> u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let cell = self.cell(ia, ib);
        match cell.load(Relaxed) {
            0 => {
                let level = compute();
                cell.store(level.saturating_add(1), Relaxed);
                level
            }
            known => known - 1,
        }
    }
}

impl<'a> Comparator<'a> {
    /// Compares every non-ignored column of the data set; given name and
    /// surname are paired for swap detection.
    pub fn new(data: &'a Dataset) -> Comparator<'a> {
        let given = data.column_of(FieldKind::GivenName);
        let surname = data.column_of(FieldKind::Surname);
        let fields = data
            .compared()
            .map(|(i, c)| FieldSpec {
                column: i,
                kind: c.kind,
                swap_with: match (c.kind, given, surname) {
                    (FieldKind::GivenName, Some(g), Some(s)) if g == i => Some(s),
                    (FieldKind::Surname, Some(g), Some(s)) if s == i => Some(g),
                    _ => None,
                },
            })
            .collect::<Vec<FieldSpec>>();
        let memo = fields
            .iter()
            .map(|f| {
                let values = data.columns[f.column].values.len();
                (values <= MEMO_MAX_VALUES).then(|| {
                    std::sync::Arc::new(Memo {
                        values,
                        cells: (0..values * values)
                            .map(|_| std::sync::atomic::AtomicU8::new(0))
                            .collect(),
                    })
                })
            })
            .collect();
        let width = fields.len();
        let mut ids = Vec::with_capacity(data.len() * width);
        for r in 0..data.len() {
            ids.extend(fields.iter().map(|f| data.columns[f.column].ids[r]));
        }
        let packed = {
            use rayon::prelude::*;
            fields
                .par_iter()
                .map(|f| Packed::new(&data.columns[f.column]).map(std::sync::Arc::new))
                .collect()
        };
        let swap_field = fields
            .iter()
            .map(|f| {
                f.swap_with
                    .and_then(|c| fields.iter().position(|g| g.column == c))
            })
            .collect();
        Comparator {
            data,
            fields,
            memo,
            ids: std::sync::Arc::new(ids),
            packed,
            swap_field,
        }
    }

    /// The value id of field `i` (a position in `fields`) of a record.
    pub fn value_id(&self, i: usize, record: usize) -> u32 {
        self.ids[record * self.fields.len() + i]
    }

    /// A name's transliteration key, by field and value id.
    fn name_key(&self, i: usize, id: u32) -> Option<&str> {
        if id == MISSING {
            return None;
        }
        match &self.packed[i] {
            Some(p) => p.key(id),
            None => match &self.data.columns[self.fields[i].column].values[id as usize] {
                Value::Name(n) => Some(&n.key),
                _ => None,
            },
        }
    }

    /// The level of field `i` for two present, different value ids.
    fn value_level(
        &self,
        i: usize,
        f: &FieldSpec,
        col: &crate::data::Column,
        ia: u32,
        ib: u32,
    ) -> u8 {
        let compute = || match &self.packed[i] {
            Some(p) => p.level(&col.values, ia, ib),
            None => level(f.kind, &col.values[ia as usize], &col.values[ib as usize]),
        };
        match &self.memo[i] {
            Some(memo) => memo.level(ia, ib, compute),
            None => compute(),
        }
    }

    /// Fills `out` (one level per field) for records `a` and `b`.
    pub fn levels(&self, a: usize, b: usize, out: &mut [u8]) {
        let width = self.fields.len();
        let (ids_a, ids_b) = (
            &self.ids[a * width..(a + 1) * width],
            &self.ids[b * width..(b + 1) * width],
        );
        for (i, (slot, f)) in out.iter_mut().zip(&self.fields).enumerate() {
            let col = &self.data.columns[f.column];
            let (ia, ib) = (ids_a[i], ids_b[i]);
            *slot = if ia == MISSING || ib == MISSING {
                NULL
            } else if ia == ib {
                // Same raw text: the strongest level without comparing.
                1
            } else {
                self.value_level(i, f, col, ia, ib)
            };
            if let Some(j) = self.swap_field[i]
                && *slot >= name_level::JW_MID
            {
                // Given name and surname swapped: this field's value of one
                // record is the partner field's value of the other.
                let swapped =
                    |x: &[u32], y: &[u32]| match (self.name_key(i, x[i]), self.name_key(j, y[j])) {
                        (Some(p), Some(q)) => same(p, q),
                        _ => false,
                    };
                if swapped(ids_a, ids_b) || swapped(ids_b, ids_a) {
                    *slot = name_level::SWAPPED;
                }
            }
        }
    }

    /// Asks for the rows of value ids of records `a` and `b` to be loaded:
    /// the first stage of prefetching a pair (see [`prefetch`]).
    pub fn prefetch_rows(&self, a: usize, b: usize) {
        let width = self.fields.len();
        if width == 0 {
            return;
        }
        for r in [a, b] {
            prefetch(&self.ids[r * width]);
            prefetch(&self.ids[r * width + width - 1]);
        }
    }

    /// Asks for what comparing records `a` and `b` reads of their values,
    /// given their rows: the heads (`text` false) or the text (`text`
    /// true, which reads the heads). Only what comparing will read: nothing
    /// for a missing or equal value, the remembered level's cell where there
    /// is one, and `a`'s values only when `fresh_a` (not when the pair
    /// before had the same first record, whose values are then in cache).
    pub fn prefetch_values(&self, a: usize, b: usize, text: bool, fresh_a: bool) {
        let width = self.fields.len();
        let (row_a, row_b) = (
            &self.ids[a * width..(a + 1) * width],
            &self.ids[b * width..(b + 1) * width],
        );
        for (i, (&x, &y)) in row_a.iter().zip(row_b).enumerate() {
            if x == MISSING || y == MISSING || x == y {
                continue;
            }
            if let Some(memo) = &self.memo[i] {
                if !text {
                    prefetch(memo.cell(x, y));
                }
            } else if let Some(p) = &self.packed[i] {
                if text {
                    if fresh_a {
                        p.prefetch_text(x);
                    }
                    p.prefetch_text(y);
                } else {
                    if fresh_a {
                        p.prefetch_head(x);
                    }
                    p.prefetch_head(y);
                }
            }
        }
    }

    /// The comparison vector packed four bits per field (at most 16 fields).
    pub fn pattern(&self, a: usize, b: usize) -> u64 {
        let mut buf = [0u8; 16];
        let n = self.fields.len().min(16);
        self.levels(a, b, &mut buf[..n]);
        pack(&buf[..n])
    }
}

/// Packs levels four bits each.
pub fn pack(levels: &[u8]) -> u64 {
    levels
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, &l)| acc | (u64::from(l & 15) << (4 * i)))
}

/// The level of field `i` in a packed pattern.
pub fn unpack(pattern: u64, i: usize) -> u8 {
    ((pattern >> (4 * i)) & 15) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::prepare;

    fn v(kind: FieldKind, s: &str) -> Value {
        prepare(kind, s)
    }

    #[test]
    fn fast_paths_agree_with_strsim() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "jellyfish",
            "smellyfish",
            "19770501",
            "19770105",
            "hosseinzadeh",
            "husseinzade",
            "were street",
            "were stret",
            // Zero bytes: the vector compares pad with zeros.
            "\0",
            "a\0",
            "were\0stret",
            "a string of more than sixteen bytes",
            "a string of more than sixteen bytez",
        ];
        for x in words {
            for y in words {
                // Both paths: strings of up to 16 bytes take the one-lane
                // path through the public functions.
                let slow = strsim::jaro_winkler(x, y);
                for fast in [
                    jaro_winkler_ascii(x.as_bytes(), y.as_bytes()),
                    jaro_winkler(x, y),
                ] {
                    assert!((fast - slow).abs() < 1e-12, "{x} {y}: {fast} vs {slow}");
                }
                let slow = strsim::osa_distance(x, y);
                assert_eq!(osa_ascii(x.as_bytes(), y.as_bytes()), slow, "{x} {y}");
                assert_eq!(damerau(x, y), slow, "{x} {y}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn jaro_winkler_agrees_with_strsim_on_any_ascii(
            a in "[a-e 0-9]{0,64}",
            b in "[a-e 0-9]{0,64}",
            x in "[ -~]{0,20}",
            y in "[ -~]{0,16}",
            z in "[a-c]{0,12}",
        ) {
            for (p, q) in [(&a, &b), (&a, &x), (&x, &b), (&y, &z), (&z, &y), (&x, &y)] {
                let slow = strsim::jaro_winkler(p, q);
                for fast in [jaro_winkler_ascii(p.as_bytes(), q.as_bytes()), jaro_winkler(p, q)] {
                    proptest::prop_assert!((fast - slow).abs() < 1e-12, "{p:?} {q:?}: {fast} vs {slow}");
                }
                let slow = strsim::osa_distance(p, q);
                proptest::prop_assert_eq!(damerau(p, q), slow, "{:?} {:?}", p, q);
                proptest::prop_assert_eq!(osa_ascii(p.as_bytes(), q.as_bytes()), slow, "{:?} {:?}", p, q);
            }
        }
    }

    #[test]
    fn bit_parallel_osa_agrees_with_strsim_on_every_short_string() {
        // Every string of up to five letters over a three-letter alphabet,
        // against every other: all the transposition and edit cases.
        let mut words = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|w| ["a", "b", "c"].map(|c| format!("{w}{c}")))
                .collect();
            words.extend(last.iter().cloned());
        }
        for x in &words {
            for y in &words {
                let slow = strsim::osa_distance(x, y);
                assert_eq!(osa_ascii(x.as_bytes(), y.as_bytes()), slow, "{x} {y}");
                assert_eq!(damerau(x, y), slow, "{x} {y}");
                let (fast, slow) = (jaro_winkler(x, y), strsim::jaro_winkler(x, y));
                assert!((fast - slow).abs() < 1e-12, "{x} {y}: {fast} vs {slow}");
            }
        }
        let long = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01";
        assert_eq!(long.len(), 64);
        for other in [
            long,
            &long[1..],
            "bacdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01x",
            "",
        ] {
            assert_eq!(
                damerau(long, other),
                strsim::osa_distance(long, other),
                "{other}"
            );
        }
    }

    #[test]
    fn string_similarity() {
        assert!((jaro_winkler("martha", "marhta") - 0.961).abs() < 0.001);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(damerau("ab", "ba"), 1);
        assert_eq!(levenshtein("ab", "ba"), 2);
        assert_eq!(jaro_winkler("", ""), 1.0);
    }

    #[test]
    fn name_levels() {
        use FieldKind::GivenName as G;
        use name_level::*;
        let l = |a, b| name_level(&v(G, a), &v(G, b));
        assert_eq!(l("Mohammad", "Mohammad"), EXACT);
        assert_eq!(l("محمد", "Mohammed"), KEY);
        assert_eq!(l("بهزاد", "Behzad"), PHONETIC);
        assert_eq!(l("jonathan", "jonathon"), PHONETIC);
        assert_eq!(l("christine", "christina"), JW_HIGH);
        assert_eq!(l("Ali", "Alireza"), JW_MID);
        assert_eq!(l("Hossein", "Hassan"), ELSE);
        assert_eq!(l("Ali Akbar", "Akbar"), JW_MID);
        assert_eq!(l("Zahra", "Mohammad"), ELSE);
        assert_eq!(l("", "Mohammad"), NULL);
    }

    #[test]
    fn date_levels() {
        use FieldKind::Date as D;
        use date_level::*;
        let l = |a, b| date_level(&v(D, a), &v(D, b));
        assert_eq!(l("19770501", "1977-05-01"), EXACT);
        assert_eq!(l("19770501", "19770105"), TYPO);
        assert_eq!(l("19770501", "19770502"), TYPO);
        assert_eq!(l("19770501", "19770525"), WITHIN);
        assert_eq!(l("19770501", "19771225"), SAME_YEAR);
        assert_eq!(l("1977", "19771225"), SAME_YEAR);
        assert_eq!(l("1970", "19771225"), DECADE);
        assert_eq!(l("1950", "19771225"), ELSE);
        assert_eq!(l("", "19771225"), NULL);
        // A corrupted, invalid date still agrees with itself and with one edit.
        assert_eq!(l("19771345", "19771345"), EXACT);
        assert_eq!(l("19771345", "19771346"), TYPO);
        // Jalali 1404/10/18 is 2026-01-08.
        assert_eq!(l("1404/10/18", "2026-01-08"), EXACT);
        assert_eq!(l("۱۴۰۴-۱۰-۱۸", "2026-01-08"), EXACT);
    }

    #[test]
    fn ages_and_birth_years() {
        assert!(age_matches_birth_year(22, 2003, 2026, 0));
        assert!(age_matches_birth_year(23, 2003, 2026, 0));
        assert!(!age_matches_birth_year(25, 2003, 2026, 0));
        assert!(age_matches_birth_year(25, 2003, 2026, 2));
        use FieldKind::Age as A;
        use age_level::*;
        let l = |a, b| age_level(&v(A, a), &v(A, b));
        assert_eq!(l("23", "23"), EXACT);
        assert_eq!(l("۲۳", "24"), ONE);
        assert_eq!(l("23", "26"), FEW);
        assert_eq!(l("23", "40"), ELSE);
        assert_eq!(l("23", "unknown"), NULL);
    }

    #[test]
    fn place_levels() {
        use FieldKind::Place as P;
        use place_level::*;
        let l = |a, b| place_level(&v(P, a), &v(P, b));
        assert_eq!(l("Tehran", "تهران"), SAME_CITY);
        assert_eq!(l("Karaj", "karaj"), SAME_CITY);
        assert_eq!(l("Mashhad", "Neyshabur"), SAME_PROVINCE);
        assert_eq!(l("Tehran", "Mashhad"), ELSE);
        assert_eq!(l("penshurst", "penshurts"), SIMILAR);
        assert_eq!(l("", "Tehran"), NULL);
    }

    #[test]
    fn number_and_text_levels() {
        use FieldKind::{Number as N, Text as T};
        assert_eq!(
            number_level(&v(N, "1030769"), &v(N, "1030769")),
            number_level::EXACT
        );
        assert_eq!(
            number_level(&v(N, "1030769"), &v(N, "1037069")),
            number_level::ONE_EDIT
        );
        assert_eq!(
            number_level(&v(N, "1030769"), &v(N, "1930760")),
            number_level::TWO_EDITS
        );
        assert_eq!(
            number_level(&v(N, "1030769"), &v(N, "5551234")),
            number_level::ELSE
        );
        assert_eq!(
            text_level(&v(T, "were street"), &v(T, "were stret")),
            text_level::JW_HIGH
        );
        assert_eq!(
            text_level(&v(T, "Were  Street"), &v(T, "were street")),
            text_level::EXACT
        );
    }

    #[test]
    fn comparison_vectors_detect_swapped_names() {
        let schema = [
            ("given".to_string(), FieldKind::GivenName),
            ("surname".to_string(), FieldKind::Surname),
            ("dob".to_string(), FieldKind::Date),
            ("note".to_string(), FieldKind::Ignore),
        ];
        let mut d = Dataset::new(&schema);
        d.push(0, &["mikhayla", "hannagan", "19770501", "x"]);
        d.push(0, &["hannagan", "mikhayla", "19770501", "y"]);
        d.push(0, &["Mikhayla", "", "", ""]);
        let c = Comparator::new(&d);
        assert_eq!(c.fields.len(), 3);
        let mut out = [0u8; 3];
        c.levels(0, 1, &mut out);
        assert_eq!(
            out,
            [name_level::SWAPPED, name_level::SWAPPED, date_level::EXACT]
        );
        c.levels(0, 2, &mut out);
        assert_eq!(out, [name_level::KEY, NULL, NULL]);
        let p = c.pattern(0, 1);
        assert_eq!(
            (unpack(p, 0), unpack(p, 2)),
            (name_level::SWAPPED, date_level::EXACT)
        );
    }

    #[test]
    fn remembered_levels_are_the_levels() {
        // Few distinct values (remembered) and many (not): every pair, in
        // both orders, twice over, agrees with the level functions.
        let schema = [
            ("number".to_string(), FieldKind::Number),
            ("suburb".to_string(), FieldKind::Place),
            ("street".to_string(), FieldKind::Text),
        ];
        let mut d = Dataset::new(&schema);
        let numbers = ["12", "21", "121", "", "1200", "12a"];
        let suburbs = ["o'connor", "oconnor", "toowoomba", "", "tuwoomba"];
        let n = MEMO_MAX_VALUES + 10;
        for i in 0..n {
            let street = format!("{} groveland crescent", i);
            d.push(
                0,
                &[
                    numbers[i % numbers.len()],
                    suburbs[i % suburbs.len()],
                    &street,
                ],
            );
        }
        let c = Comparator::new(&d);
        assert!(c.memo[0].is_some() && c.memo[1].is_some() && c.memo[2].is_none());
        // The same comparator remembering nothing computes every level.
        let plain = Comparator {
            memo: vec![None; c.fields.len()],
            ..c.clone()
        };
        let mut expected = [0u8; 3];
        let mut out = [0u8; 3];
        for _ in 0..2 {
            for a in 0..40 {
                for b in 0..40 {
                    c.levels(a, b, &mut out);
                    plain.levels(a, b, &mut expected);
                    assert_eq!(out, expected, "records {a} and {b}");
                    // And both are the levels of the columns' own values.
                    for (i, f) in c.fields.iter().enumerate() {
                        let col = &d.columns[f.column];
                        let (x, y) = (col.value(a), col.value(b));
                        let want = match (x, y) {
                            (Some(_), Some(_)) if col.ids[a] == col.ids[b] => 1,
                            (Some(x), Some(y)) => level(f.kind, x, y),
                            _ => NULL,
                        };
                        assert_eq!(out[i], want, "field {i} of records {a} and {b}");
                    }
                }
            }
        }
    }
}
