//! Records as columns of prepared values. Each column interns its distinct raw
//! values, so a value is prepared (keys, parsed date, gazetteer lookup) once
//! however many records share it, and a record costs four bytes per field.

use crate::translit::{NameKeys, name_keys};
use gavah_core::date::{CalendarHint, parse_date};
use gavah_core::normalize::{match_key, normalize_text, to_ascii_digits};
use gavah_core::{Date, DatePrecision};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a column holds, which decides how it is prepared and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    GivenName,
    Surname,
    FullName,
    Date,
    Age,
    Place,
    Number,
    Text,
    /// Read and written back, never compared.
    Ignore,
}

impl FieldKind {
    pub const ALL: [FieldKind; 9] = [
        FieldKind::GivenName,
        FieldKind::Surname,
        FieldKind::FullName,
        FieldKind::Date,
        FieldKind::Age,
        FieldKind::Place,
        FieldKind::Number,
        FieldKind::Text,
        FieldKind::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::GivenName => "given_name",
            FieldKind::Surname => "surname",
            FieldKind::FullName => "full_name",
            FieldKind::Date => "date",
            FieldKind::Age => "age",
            FieldKind::Place => "place",
            FieldKind::Number => "number",
            FieldKind::Text => "text",
            FieldKind::Ignore => "ignore",
        }
    }

    /// The names accepted on the command line, for error messages.
    pub fn expected() -> String {
        let names: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
        names.join(", ")
    }

    pub fn is_name(self) -> bool {
        matches!(
            self,
            FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName
        )
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FieldKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match s.as_str() {
            "given_name" | "given" | "first_name" => FieldKind::GivenName,
            "surname" | "family_name" | "last_name" => FieldKind::Surname,
            "full_name" | "name" => FieldKind::FullName,
            "date" => FieldKind::Date,
            "age" => FieldKind::Age,
            "place" => FieldKind::Place,
            "number" | "postcode" | "id" => FieldKind::Number,
            "text" | "free_text" => FieldKind::Text,
            "ignore" => FieldKind::Ignore,
            _ => return Err(()),
        })
    }
}

/// A parsed date with the digits it was written with, so typing errors in
/// invalid dates can still be recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateValue {
    /// `YYYYMMDD` of a day-precision date, else the digits as written.
    pub digits: String,
    /// Days since the epoch of the date's first day, when it is a valid date.
    pub days: Option<i32>,
    /// The year, or 0 when unknown.
    pub year: i32,
    pub precision: DatePrecision,
}

/// A place with what the gazetteer says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceValue {
    pub key: String,
    /// GeoNames id of the city, when the name is in the gazetteer.
    pub city: Option<u32>,
    /// ISO code of the province.
    pub province: Option<String>,
}

/// A prepared value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Missing,
    Name(NameKeys),
    Date(DateValue),
    Age(i32),
    Place(PlaceValue),
    /// Numbers (digits only) and free text (normalised, lower case).
    Text(String),
}

/// Prepares one raw value for its field kind. Values that cannot be read (an
/// age of "unknown") are [`Value::Missing`]: they say nothing either way.
pub fn prepare(kind: FieldKind, raw: &str) -> Value {
    let raw = raw.trim();
    if raw.is_empty() {
        return Value::Missing;
    }
    match kind {
        FieldKind::GivenName | FieldKind::Surname | FieldKind::FullName => {
            let k = name_keys(raw);
            if k.key.is_empty() {
                Value::Missing
            } else {
                Value::Name(k)
            }
        }
        FieldKind::Date => prepare_date(raw),
        FieldKind::Age => {
            let digits = to_ascii_digits(raw);
            match digits.trim().parse::<i32>() {
                Ok(a) if (0..=130).contains(&a) => Value::Age(a),
                _ => Value::Missing,
            }
        }
        FieldKind::Place => {
            let key = match_key(raw);
            if key.is_empty() {
                return Value::Missing;
            }
            let g = gavah_core::gazetteer::gazetteer();
            let (city, province) = match g.city(raw, None) {
                Some(c) => (Some(c.geonameid), Some(c.province_iso.clone())),
                None => (None, g.province(raw).map(|p| p.iso.clone())),
            };
            Value::Place(PlaceValue {
                key,
                city,
                province,
            })
        }
        FieldKind::Number => {
            let digits = to_ascii_digits(raw);
            let d: String = digits.chars().filter(char::is_ascii_alphanumeric).collect();
            if d.is_empty() {
                Value::Missing
            } else {
                Value::Text(d.to_ascii_lowercase())
            }
        }
        FieldKind::Text => {
            let t = normalize_text(raw).to_lowercase();
            if t.is_empty() {
                Value::Missing
            } else {
                Value::Text(t)
            }
        }
        FieldKind::Ignore => Value::Missing,
    }
}

fn prepare_date(raw: &str) -> Value {
    let digits = to_ascii_digits(raw);
    let compact: String = digits.chars().filter(char::is_ascii_digit).collect();
    // YYYYMMDD without separators, as registries and FEBRL write dates.
    if compact.len() == 8 && compact.len() == digits.trim().len() {
        let year: i32 = compact[..4].parse().unwrap_or(0);
        let month: u8 = compact[4..6].parse().unwrap_or(0);
        let day: u8 = compact[6..8].parse().unwrap_or(0);
        let days = Date::from_ymd(year, month, day).map(Date::to_days);
        return Value::Date(DateValue {
            digits: compact,
            days,
            year,
            precision: if days.is_some() {
                DatePrecision::Day
            } else {
                DatePrecision::Unknown
            },
        });
    }
    match parse_date(raw, CalendarHint::Auto) {
        Ok(p) => match p.value.date {
            Some(d) => Value::Date(DateValue {
                digits: if p.value.precision == DatePrecision::Day {
                    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
                } else {
                    String::new()
                },
                days: Some(d.to_days()),
                year: d.year(),
                precision: p.value.precision,
            }),
            None => Value::Missing,
        },
        Err(_) if !compact.is_empty() => Value::Date(DateValue {
            year: compact.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0),
            digits: compact,
            days: None,
            precision: DatePrecision::Unknown,
        }),
        Err(_) => Value::Missing,
    }
}

/// The id of a missing value in [`Column::ids`].
pub const MISSING: u32 = u32::MAX;

/// One field of every record: an interned value id per record.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: FieldKind,
    /// Per record: index into `values`, or [`MISSING`].
    pub ids: Vec<u32>,
    /// Distinct prepared values.
    pub values: Vec<Value>,
    /// How many records hold each value, for term-frequency adjustment.
    pub counts: Vec<u32>,
    /// Records with a value.
    pub present: u32,
    index: FxHashMap<Box<str>, u32>,
}

impl Column {
    pub fn new(name: &str, kind: FieldKind) -> Column {
        Column {
            name: name.to_string(),
            kind,
            ids: Vec::new(),
            values: Vec::new(),
            counts: Vec::new(),
            present: 0,
            index: FxHashMap::default(),
        }
    }

    /// Appends one record's raw value.
    pub fn push(&mut self, raw: &str) {
        let raw = raw.trim();
        if raw.is_empty() || self.kind == FieldKind::Ignore {
            self.ids.push(MISSING);
            return;
        }
        let id = match self.index.get(raw) {
            Some(&id) => id,
            None => {
                let value = prepare(self.kind, raw);
                let id = if value == Value::Missing {
                    MISSING
                } else {
                    let id = u32::try_from(self.values.len()).unwrap_or(MISSING - 1);
                    self.values.push(value);
                    self.counts.push(0);
                    id
                };
                self.index.insert(raw.into(), id);
                id
            }
        };
        if id != MISSING {
            self.counts[id as usize] += 1;
            self.present += 1;
        }
        self.ids.push(id);
    }

    /// The prepared value of a record, if any.
    pub fn value(&self, record: usize) -> Option<&Value> {
        match self.ids[record] {
            MISSING => None,
            id => Some(&self.values[id as usize]),
        }
    }

    /// The share of records holding this record's value (term frequency).
    pub fn frequency(&self, record: usize) -> Option<f64> {
        match self.ids[record] {
            MISSING => None,
            id => Some(f64::from(self.counts[id as usize]) / f64::from(self.present.max(1))),
        }
    }

    /// Drops the interning index once every record is in.
    pub fn finish(&mut self) {
        self.index = FxHashMap::default();
    }
}

/// Records to link: prepared columns plus the source (file) of each record.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub columns: Vec<Column>,
    /// Which input each record came from (0 for the first file).
    pub source: Vec<u8>,
    /// When true, only pairs from different sources are compared.
    pub link_only: bool,
}

impl Dataset {
    /// An empty data set with the given (name, kind) columns.
    pub fn new(schema: &[(String, FieldKind)]) -> Dataset {
        Dataset {
            columns: schema.iter().map(|(n, k)| Column::new(n, *k)).collect(),
            source: Vec::new(),
            link_only: false,
        }
    }

    /// Appends a record: one raw value per column, in schema order.
    pub fn push<S: AsRef<str>>(&mut self, source: u8, values: &[S]) {
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.push(v.as_ref());
        }
        for c in self.columns.iter_mut().skip(values.len()) {
            c.push("");
        }
        self.source.push(source);
    }

    pub fn len(&self) -> usize {
        self.source.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Frees the interning indexes.
    pub fn finish(&mut self) {
        for c in &mut self.columns {
            c.finish();
        }
    }

    /// The columns that are compared (all but `Ignore`).
    pub fn compared(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind != FieldKind::Ignore)
    }

    /// The column of a kind, if there is exactly one or at least a first.
    pub fn column_of(&self, kind: FieldKind) -> Option<usize> {
        self.columns.iter().position(|c| c.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_print() {
        for k in FieldKind::ALL {
            assert_eq!(k.as_str().parse::<FieldKind>(), Ok(k));
        }
        assert_eq!("Given-Name".parse::<FieldKind>(), Ok(FieldKind::GivenName));
        assert_eq!("postcode".parse::<FieldKind>(), Ok(FieldKind::Number));
        assert!("colour".parse::<FieldKind>().is_err());
    }

    #[test]
    fn dates_are_prepared_with_precision() {
        let Value::Date(d) = prepare(FieldKind::Date, "19420127") else {
            panic!("not a date")
        };
        assert_eq!(
            (d.year, d.precision, d.digits.as_str()),
            (1942, DatePrecision::Day, "19420127")
        );
        let Value::Date(d) = prepare(FieldKind::Date, "19421327") else {
            panic!("not a date")
        };
        assert_eq!(
            (d.year, d.days, d.precision),
            (1942, None, DatePrecision::Unknown)
        );
        let Value::Date(d) = prepare(FieldKind::Date, "1977") else {
            panic!("not a date")
        };
        assert_eq!((d.year, d.precision), (1977, DatePrecision::Year));
        assert_eq!(prepare(FieldKind::Date, "  "), Value::Missing);
        assert_eq!(prepare(FieldKind::Date, "unknown"), Value::Missing);
    }

    #[test]
    fn places_resolve_in_the_gazetteer() {
        let Value::Place(p) = prepare(FieldKind::Place, "تهران") else {
            panic!("not a place")
        };
        assert_eq!(p.province.as_deref(), Some("IR-23"));
        let Value::Place(p) = prepare(FieldKind::Place, "penshurst") else {
            panic!("not a place")
        };
        assert_eq!((p.city, p.province), (None, None));
    }

    #[test]
    fn columns_intern_and_count() {
        let mut c = Column::new("given", FieldKind::GivenName);
        for v in ["Ali", "Ali", "", "Zahra", "Ali"] {
            c.push(v);
        }
        assert_eq!(c.ids, vec![0, 0, MISSING, 1, 0]);
        assert_eq!(c.counts, vec![3, 1]);
        assert_eq!(c.frequency(0), Some(0.75));
        assert_eq!(c.frequency(2), None);
    }

    #[test]
    fn ages_read_persian_digits_and_reject_nonsense() {
        assert_eq!(prepare(FieldKind::Age, "۲۳"), Value::Age(23));
        assert_eq!(prepare(FieldKind::Age, "n/a"), Value::Missing);
        assert_eq!(prepare(FieldKind::Age, "300"), Value::Missing);
    }
}
