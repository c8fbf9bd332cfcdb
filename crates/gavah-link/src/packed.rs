//! A column's distinct values laid out for comparison: one 32-byte head per
//! value (offsets of its strings in one text buffer, and its numbers) in
//! place of a [`Value`] whose strings each sit in their own allocation.
//!
//! Why: comparing candidate pairs reads two values per field at random. Spread
//! over the heap, the values of a 1,000,000-record file cost a trip to main
//! memory for the value and another for each string it reads; packed, a
//! column's values take a few megabytes that stay in the processor's cache.
//! The levels are computed by the same functions as for a [`Value`] (the
//! `*_level_of` functions of [`crate::compare`]), only the reading differs.

use crate::compare::{
    DateParts, NULL, NameView, PlaceParts, age_level_of, compare_place_parts, date_level_of,
    name_level_of, number_level_of, place_level_of, prefetch, text_level_of,
};
use crate::data::{Column, FieldKind, Value};
use gavah_core::DatePrecision;

/// Offsets of a value's strings in [`Packed::text`] (the last one is where
/// its text ends), then the value's numbers. 32 bytes, aligned so that a head
/// never straddles two cache lines.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Head([u32; 8]);

/// A missing optional number (a date that is no valid day, a place outside
/// the gazetteer).
const NONE: u32 = u32::MAX;

const PRECISIONS: [DatePrecision; 4] = [
    DatePrecision::Day,
    DatePrecision::Month,
    DatePrecision::Year,
    DatePrecision::Unknown,
];

/// How many strings a value of a kind keeps in the text buffer.
fn string_count(kind: FieldKind) -> usize {
    match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => 3,
        FieldKind::Place => 2,
        FieldKind::Date | FieldKind::Number | FieldKind::Text => 1,
        FieldKind::Age | FieldKind::Ignore => 0,
    }
}

/// One column's values, packed. Built only when every value has the shape its
/// kind prepares and the text fits 32-bit offsets; otherwise the comparator
/// reads the [`Value`]s.
#[derive(Debug)]
pub(crate) struct Packed {
    kind: FieldKind,
    heads: Vec<Head>,
    text: String,
}

impl Packed {
    /// Packs a column, or `None` when some value does not fit (see above).
    pub(crate) fn new(col: &Column) -> Option<Packed> {
        let mut p = Packed {
            kind: col.kind,
            heads: Vec::with_capacity(col.values.len()),
            text: String::new(),
        };
        for v in &col.values {
            let mut h = Head::default();
            let strings: [&str; 3];
            match (col.kind, v) {
                (
                    FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName,
                    Value::Name(n),
                ) => {
                    h.0[4] = u32::try_from(n.tokens.len()).ok()?;
                    strings = [&n.original, &n.key, &n.phonetic];
                }
                (FieldKind::Date, Value::Date(d)) => {
                    // Any i32 is a day (1969-12-31 is -1): whether there is
                    // one is a separate number.
                    h.0[2] = d.days.unwrap_or(0) as u32;
                    h.0[5] = u32::from(d.days.is_some());
                    h.0[3] = d.year as u32;
                    h.0[4] = PRECISIONS.iter().position(|&p| p == d.precision)? as u32;
                    strings = [&d.digits, "", ""];
                }
                (FieldKind::Place, Value::Place(pl)) => {
                    h.0[3] = pl.city.unwrap_or(NONE);
                    // A city id of u32::MAX would read back as none.
                    if pl.city == Some(NONE) {
                        return None;
                    }
                    h.0[4] = u32::from(pl.province.is_some());
                    strings = [&pl.key, pl.province.as_deref().unwrap_or(""), ""];
                }
                (FieldKind::Number | FieldKind::Text, Value::Text(t)) => {
                    strings = [t, "", ""];
                }
                (FieldKind::Age, Value::Age(a)) => {
                    h.0[0] = *a as u32;
                    strings = ["", "", ""];
                }
                _ => return None,
            };
            let count = string_count(col.kind);
            for (i, s) in strings.iter().take(count).enumerate() {
                h.0[i] = u32::try_from(p.text.len()).ok()?;
                p.text.push_str(s);
            }
            if count > 0 {
                h.0[count] = u32::try_from(p.text.len()).ok()?;
            }
            p.heads.push(h);
        }
        Some(p)
    }

    /// String `k` of a value.
    fn string(&self, h: &Head, k: usize) -> &str {
        &self.text[h.0[k] as usize..h.0[k + 1] as usize]
    }

    fn date(&self, h: &Head) -> DateParts<'_> {
        DateParts {
            digits: self.string(h, 0),
            days: (h.0[5] == 1).then_some(h.0[2] as i32),
            year: h.0[3] as i32,
            precision: PRECISIONS[h.0[4] as usize],
        }
    }

    fn place(&self, h: &Head) -> PlaceParts<'_> {
        PlaceParts {
            key: self.string(h, 0),
            city: (h.0[3] != NONE).then_some(h.0[3]),
            province: (h.0[4] == 1).then(|| self.string(h, 1)),
        }
    }

    /// The level of two values of the column, by id; `values` are the
    /// column's own (read only for a name's tokens, which few names have).
    pub(crate) fn level(&self, values: &[Value], a: u32, b: u32) -> u8 {
        let (ha, hb) = (&self.heads[a as usize], &self.heads[b as usize]);
        match self.kind {
            FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => {
                let view = |h, id| PackedName {
                    packed: self,
                    head: h,
                    values,
                    id,
                };
                name_level_of(&view(ha, a), &view(hb, b))
            }
            FieldKind::Date => date_level_of(self.date(ha), self.date(hb)),
            FieldKind::Place => place_level_of(compare_place_parts(self.place(ha), self.place(hb))),
            FieldKind::Number => number_level_of(self.string(ha, 0), self.string(hb, 0)),
            FieldKind::Text => text_level_of(self.string(ha, 0), self.string(hb, 0)),
            FieldKind::Age => age_level_of(ha.0[0] as i32, hb.0[0] as i32),
            FieldKind::Ignore => NULL,
        }
    }

    /// Asks for a value's head to be loaded into the cache.
    pub(crate) fn prefetch_head(&self, id: u32) {
        prefetch(&self.heads[id as usize]);
    }

    /// Asks for a value's text to be loaded into the cache (its first and
    /// last byte: a value's strings may cross a cache line). Reads the head.
    pub(crate) fn prefetch_text(&self, id: u32) {
        let h = &self.heads[id as usize];
        let count = string_count(self.kind);
        if count == 0 {
            return;
        }
        let text = self.text.as_bytes();
        let (start, end) = (h.0[0] as usize, h.0[count] as usize);
        if end > start {
            prefetch(&text[start]);
            prefetch(&text[end - 1]);
        }
    }

    /// A name's transliteration key, by value id (for swapped names).
    pub(crate) fn key(&self, id: u32) -> Option<&str> {
        self.kind
            .is_name()
            .then(|| self.string(&self.heads[id as usize], 1))
    }
}

struct PackedName<'a> {
    packed: &'a Packed,
    head: &'a Head,
    values: &'a [Value],
    id: u32,
}

impl NameView for PackedName<'_> {
    fn original(&self) -> &str {
        self.packed.string(self.head, 0)
    }
    fn key(&self) -> &str {
        self.packed.string(self.head, 1)
    }
    fn phonetic(&self) -> &str {
        self.packed.string(self.head, 2)
    }
    fn token_count(&self) -> usize {
        self.head.0[4] as usize
    }
    fn tokens(&self) -> &[String] {
        match &self.values[self.id as usize] {
            Value::Name(n) => &n.tokens,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::level;

    /// Every ordered pair of a column's distinct values gets the same level
    /// packed as from the values themselves.
    fn agrees(kind: FieldKind, raw: &[&str]) {
        let mut col = Column::new("c", kind);
        for r in raw {
            col.push(r);
        }
        let packed = Packed::new(&col).expect("packs");
        for a in 0..col.values.len() as u32 {
            for b in 0..col.values.len() as u32 {
                let want = level(kind, &col.values[a as usize], &col.values[b as usize]);
                let got = packed.level(&col.values, a, b);
                assert_eq!(
                    got, want,
                    "{kind}: {:?} against {:?}",
                    col.values[a as usize], col.values[b as usize]
                );
            }
        }
    }

    #[test]
    fn packed_names_compare_as_their_values() {
        let names = [
            "Mohammad",
            "Mohammed",
            "محمد",
            "Muhammad",
            "Ali",
            "Alireza",
            "Ali Reza",
            "Ali Akbar",
            "Akbar",
            "علی",
            "Hossein",
            "Hussein",
            "Hassan",
            "Behzad",
            "بهزاد",
            "jonathan",
            "jonathon",
            "christine",
            "christina",
            "Seyed Ali",
            "Sayyed Ali",
            "Hosseinzadeh",
            "Hossein Zadeh",
            "Zahra",
            "a",
            "x y z",
            "y",
            "Rezaei",
            "Rezaie",
            "رضایی",
        ];
        agrees(FieldKind::GivenName, &names);
        agrees(FieldKind::FullName, &names);
    }

    #[test]
    fn packed_dates_compare_as_their_values() {
        agrees(
            FieldKind::Date,
            &[
                "19770501",
                "1977-05-01",
                "19770105",
                "19770502",
                "19770525",
                "19771225",
                "1977",
                "1970",
                "1950",
                "19771345",
                "19771346",
                "1404/10/18",
                "2026-01-08",
                "۱۴۰۴-۱۰-۱۸",
                "1977-05",
                "0000",
                "12345",
                "2026-01",
                "19691231",
                "1970-01-01",
                "19700101",
                "19691230",
            ],
        );
    }

    #[test]
    fn packed_places_numbers_texts_and_ages_compare_as_their_values() {
        agrees(
            FieldKind::Place,
            &[
                "Tehran",
                "تهران",
                "Karaj",
                "karaj",
                "Mashhad",
                "Neyshabur",
                "penshurst",
                "penshurts",
                "o'connor",
                "oconnor",
                "Isfahan",
                "اصفهان",
                "Tehran Province",
            ],
        );
        agrees(
            FieldKind::Number,
            &[
                "1030769", "1037069", "1930760", "5551234", "12", "21", "12a", "1200", "۱۲",
            ],
        );
        agrees(
            FieldKind::Text,
            &[
                "were street",
                "were stret",
                "Were  Street",
                "groveland crescent",
                "unit 3",
                "",
                "خیابان آزادی",
                "خیابان ازادی",
            ],
        );
        agrees(FieldKind::Age, &["23", "24", "26", "40", "۲۳", "0", "130"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn packed_levels_are_the_levels_on_any_values(
            dates in proptest::collection::vec("(19[0-9]{2}|20[0-2][0-9])(-?[01][0-9](-?[0-3][0-9])?)?", 1..12),
            names in proptest::collection::vec("[a-e]{1,6}( [a-e]{1,4}){0,2}", 1..12),
            numbers in proptest::collection::vec("[0-9]{0,9}", 1..12),
        ) {
            agrees(FieldKind::Date, &dates.iter().map(String::as_str).collect::<Vec<_>>());
            agrees(FieldKind::Surname, &names.iter().map(String::as_str).collect::<Vec<_>>());
            agrees(FieldKind::Number, &numbers.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
