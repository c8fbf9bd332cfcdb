//! Turning raw rows into domain values: names normalised, statuses, sexes and
//! categories recognised, dates read in either calendar, places resolved
//! against the gazetteer. Every problem names its row, column and value.

use crate::error::{Problem, ProblemKind, Severity};
use crate::mapping::{Field, FigureField, Mapping, guess_figure_field, is_hxl_row};
use crate::reader::RawRow;
use gavah_core::date::{CalendarHint, DatePrecision, PartialDate, parse_date};
use gavah_core::gazetteer::gazetteer;
use gavah_core::model::{Coordinates, OutcomeEvent, PersonReport, Place};
use gavah_core::normalize::{match_key, normalize_text, to_ascii_digits};
use gavah_core::vocab::{self, Recognised};
use gavah_core::{Category, Date, Metric, Outcome, Protected, Qualifier, SourceType};
use std::path::{Path, PathBuf};

/// Parses the rows of one people list.
pub struct PeopleParser {
    path: PathBuf,
    headers: Vec<String>,
    fields: Vec<Option<Field>>,
    mapping: Mapping,
    places: std::sync::Mutex<std::collections::HashMap<PlaceKey, Resolved>>,
    memo: Memo,
}

/// What each distinct value of a coded column was read as. Lists repeat a few
/// statuses, sexes, categories and dates a million times; each is read once.
#[derive(Default)]
struct Memo {
    sex: std::sync::Mutex<std::collections::HashMap<String, Option<Recognised<gavah_core::Sex>>>>,
    category: std::sync::Mutex<std::collections::HashMap<String, Option<Recognised<Category>>>>,
    outcomes: std::sync::Mutex<std::collections::HashMap<String, Option<Vec<Outcome>>>>,
    dates: std::sync::Mutex<std::collections::HashMap<String, Result<PartialDate, String>>>,
}

/// The value of `key` in `memo`, computing and keeping it on a miss. The memo
/// stops growing at 50,000 values so a column of unique values cannot exhaust
/// memory.
fn cached<T: Clone>(
    memo: &std::sync::Mutex<std::collections::HashMap<String, T>>,
    key: &str,
    compute: impl FnOnce() -> T,
) -> T {
    if let Some(hit) = memo.lock().ok().and_then(|m| m.get(key).cloned()) {
        return hit;
    }
    let value = compute();
    if let Ok(mut m) = memo.lock()
        && m.len() < 50_000
    {
        m.insert(key.to_string(), value.clone());
    }
    value
}

/// Splits a multi-valued cell ("wounded / detained").
fn split_values(text: &str) -> Vec<&str> {
    text.split(['/', '،', ',', ';', '+', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

impl PeopleParser {
    /// Maps the columns. `first_row` is the first data row: when it is an HXL
    /// hashtag row, its tags map the columns and the caller skips it
    /// (the returned flag says so). Unknown columns are warnings; a file with
    /// no name and no status column is an error.
    pub fn new(
        path: &Path,
        headers: &[String],
        first_row: Option<&RawRow>,
        mapping: Mapping,
    ) -> Result<(PeopleParser, bool, Vec<Problem>), Problem> {
        let hxl = first_row.filter(|r| is_hxl_row(&r.cells));
        let mut fields = Vec::with_capacity(headers.len());
        let mut problems = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let tag = hxl
                .and_then(|r| r.cells.get(i))
                .filter(|t| !t.trim().is_empty());
            let field = mapping
                .columns
                .get(&match_key(h))
                .copied()
                .or_else(|| tag.and_then(|t| crate::mapping::hxl_field(t)))
                .or_else(|| mapping.field_for(h));
            if field.is_none() {
                let shown = if h.is_empty() {
                    format!("#{}", i + 1)
                } else {
                    h.clone()
                };
                problems.push(
                    Problem::warning(path, ProblemKind::UnknownColumn)
                        .at_row(1)
                        .in_column(&shown),
                );
            }
            fields.push(field);
        }
        let has = |f: fn(Field) -> bool| fields.iter().flatten().any(|x| f(*x));
        let has_name = has(|f| matches!(f, Field::Name | Field::GivenName | Field::Surname));
        let has_status = has(|f| matches!(f, Field::Status | Field::Flag(_)));
        if !has_name && !has_status {
            return Err(Problem::error(
                path,
                ProblemKind::NoUsableColumns {
                    headers: headers.to_vec(),
                },
            )
            .at_row(1));
        }
        if !has_status && mapping.default_outcome.is_none() {
            problems.push(Problem::warning(
                path,
                ProblemKind::Note(
                    "no status column: rows are recorded with no outcome and count in no figure; pass --outcome \
                     (e.g. --outcome killed) when every row of the list is one"
                        .into(),
                ),
            ));
        }
        if !has_name {
            problems.push(Problem::warning(
                path,
                ProblemKind::Note(
                    "no name column: every row is counted as a separate, unnamed person".into(),
                ),
            ));
        }
        let parser = PeopleParser {
            path: path.to_path_buf(),
            headers: headers.to_vec(),
            fields,
            mapping,
            places: std::sync::Mutex::default(),
            memo: Memo::default(),
        };
        Ok((parser, hxl.is_some(), problems))
    }

    /// The field of each column, for the batch record.
    pub fn fields(&self) -> &[Option<Field>] {
        &self.fields
    }

    fn problem(&self, row: u64, col: usize, kind: ProblemKind, value: &str) -> Problem {
        let header = self
            .headers
            .get(col)
            .map_or_else(|| format!("#{}", col + 1), Clone::clone);
        let p = Problem::error(&self.path, kind)
            .at_row(row)
            .in_column(&header);
        match self.fields.get(col).copied().flatten() {
            Some(f) if f.is_protected() => p,
            _ => p.with_value(value),
        }
    }

    /// Parses one row. Problems are appended to `problems`; the report is
    /// returned even when some fields failed, so every bad cell is reported.
    pub fn parse(&self, raw: &RawRow, problems: &mut Vec<Problem>) -> PersonReport {
        let mut r = PersonReport::default();
        let row = raw.row;
        if raw.cells.len() != self.headers.len() {
            problems.push(
                Problem::error(
                    &self.path,
                    ProblemKind::Ragged {
                        expected: self.headers.len(),
                        found: raw.cells.len(),
                    },
                )
                .at_row(row),
            );
        }
        let mut outcomes: Vec<Outcome> = Vec::new();
        let mut date = PartialDate::UNKNOWN;
        let mut province_text: Option<(usize, String)> = None;
        let mut city_text: Option<(usize, String)> = None;
        let mut place_texts: Vec<(usize, String)> = Vec::new();
        let mut home_province: Option<(usize, String)> = None;
        let mut home_city: Option<(usize, String)> = None;
        let mut district = None;
        let (mut lat, mut lon) = (None, None);
        for (i, cell) in raw.cells.iter().enumerate() {
            let Some(field) = self.fields.get(i).copied().flatten() else {
                continue;
            };
            let v = cell.trim();
            if v.is_empty() {
                continue;
            }
            match field {
                Field::Name => r.name = Some(normalize_text(v)),
                Field::GivenName => r.given_name = Some(normalize_text(v)),
                Field::Surname => r.surname = Some(normalize_text(v)),
                Field::FatherName => r.father_name = Some(normalize_text(v)),
                Field::Occupation => r.occupation = Some(normalize_text(v)),
                Field::Description => r.description = Some(normalize_text(v)),
                Field::Url => r.url = Some(v.to_string()),
                Field::Witness => r.witness = Some(Protected::new(normalize_text(v))),
                Field::Contact => r.contact = Some(Protected::new(normalize_text(v))),
                Field::Notes => r.notes = Some(Protected::new(normalize_text(v))),
                Field::Sex => match cached(&self.memo.sex, v, || {
                    self.mapping.sex_values.get(&match_key(v)).copied().map(Recognised::Value).or_else(|| vocab::sex(v))
                }) {
                    Some(Recognised::Value(s)) => r.sex = Some(s),
                    Some(Recognised::Unknown) => {}
                    None => problems.push(self.problem(row, i, ProblemKind::UnknownValue { expected: "male/مرد, female/زن, unknown/نامعلوم".into() }, v)),
                },
                Field::Category => match cached(&self.memo.category, v, || self.category(v)) {
                    Some(Recognised::Value(c)) => r.category = Some(c),
                    Some(Recognised::Unknown) => r.category = Some(Category::Unknown),
                    None => problems.push(self.problem(
                        row,
                        i,
                        ProblemKind::UnknownValue {
                            expected: "protester/معترض, bystander/رهگذر, security forces/نیروی امنیتی, unknown/نامعلوم".into(),
                        },
                        v,
                    )),
                },
                Field::Status => match cached(&self.memo.outcomes, v, || self.outcomes(v)) {
                    Some(list) => outcomes.extend(list),
                    None => problems.push(self.problem(row, i, ProblemKind::UnknownValue { expected: vocab::examples_outcome().into() }, v)),
                },
                Field::Flag(o) => match truthy(v) {
                    Some(true) => outcomes.push(o),
                    Some(false) => {}
                    None => problems.push(self.problem(row, i, ProblemKind::UnknownValue { expected: "yes/بله/1 or no/خیر/0".into() }, v)),
                },
                Field::Date => match cached(&self.memo.dates, v, || {
                    parse_date(v, self.mapping.calendar).map(|d| d.value).map_err(|e| e.reason)
                }) {
                    // The first date column that holds a date is the event's date.
                    Ok(d) => {
                        if !date.is_known() {
                            date = d;
                        }
                    }
                    Err(reason) => problems.push(self.problem(row, i, ProblemKind::BadDate(reason), v)),
                },
                Field::Age => match parse_age(v) {
                    Ok(a) => r.age = Some(a),
                    Err(expected) => problems.push(self.problem(row, i, ProblemKind::BadNumber { expected }, v)),
                },
                Field::BirthYear | Field::BirthDate => match parse_birth_year(v, self.mapping.calendar) {
                    Ok(y) => r.birth_year = Some(y),
                    Err(expected) => problems.push(self.problem(row, i, ProblemKind::BadNumber { expected }, v)),
                },
                Field::Confidence => match parse_confidence(v) {
                    Some(c) => r.confidence = Some(c),
                    None => problems.push(self.problem(
                        row,
                        i,
                        ProblemKind::BadNumber { expected: "a confidence from 0 to 100, 0.0 to 1.0 or a percentage".into() },
                        v,
                    )),
                },
                Field::Province => province_text = Some((i, v.to_string())),
                Field::City => city_text = Some((i, v.to_string())),
                Field::Place => place_texts.push((i, v.to_string())),
                Field::District => district = Some(normalize_text(v)),
                Field::HomeProvince => home_province = Some((i, v.to_string())),
                Field::HomeCity => home_city = Some((i, v.to_string())),
                Field::Latitude | Field::Longitude => match to_ascii_digits(v).trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => {
                        if field == Field::Latitude {
                            lat = Some(x);
                        } else {
                            lon = Some(x);
                        }
                    }
                    _ => problems.push(self.problem(row, i, ProblemKind::BadNumber { expected: "a coordinate in decimal degrees".into() }, v)),
                },
                Field::Ignore => {}
            }
        }
        if r.name.is_none() && (r.given_name.is_some() || r.surname.is_some()) {
            let joined = format!(
                "{} {}",
                r.given_name.as_deref().unwrap_or(""),
                r.surname.as_deref().unwrap_or("")
            );
            r.name = Some(normalize_text(&joined));
        }
        if r.category.is_none() {
            r.category = self.mapping.default_category;
        }
        if outcomes.is_empty()
            && let Some(o) = self.mapping.default_outcome
        {
            outcomes.push(o);
        }
        let mut place = self.resolve_place(row, province_text, city_text, &place_texts, problems);
        place.district = district;
        if let (Some(la), Some(lo)) = (lat, lon) {
            match Coordinates::from_degrees(la, lo) {
                Some(c) => place.coordinates = Some(c),
                None => problems.push(
                    Problem::error(
                        &self.path,
                        ProblemKind::BadNumber {
                            expected: "latitude −90…90 and longitude −180…180".into(),
                        },
                    )
                    .at_row(row),
                ),
            }
        }
        r.home = self.resolve_place(row, home_province, home_city, &[], problems);
        outcomes.dedup();
        r.outcomes = outcomes
            .into_iter()
            .map(|o| OutcomeEvent {
                outcome: o,
                date,
                place: place.clone(),
            })
            .collect();
        r
    }

    fn category(&self, v: &str) -> Option<Recognised<Category>> {
        self.mapping
            .category_values
            .get(&match_key(v))
            .copied()
            .map(Recognised::Value)
            .or_else(|| vocab::category(v))
    }

    fn one_outcome(&self, v: &str) -> Option<Recognised<Outcome>> {
        self.mapping
            .outcome_values
            .get(&match_key(v))
            .copied()
            .map(Recognised::Value)
            .or_else(|| vocab::outcome(v))
    }

    /// One or more outcomes in a status cell; `None` when any part is unknown.
    fn outcomes(&self, v: &str) -> Option<Vec<Outcome>> {
        match self.one_outcome(v) {
            Some(Recognised::Value(o)) => return Some(vec![o]),
            Some(Recognised::Unknown) => return Some(Vec::new()),
            None => {}
        }
        let parts = split_values(v);
        if parts.len() < 2 {
            return None;
        }
        let mut out = Vec::new();
        for p in parts {
            match self.one_outcome(p)? {
                Recognised::Value(o) => out.push(o),
                Recognised::Unknown => {}
            }
        }
        Some(out)
    }

    /// Resolves a province, a city and free-text places against the gazetteer.
    /// What does not resolve is kept as written and reported as a warning.
    fn resolve_place(
        &self,
        row: u64,
        province: Option<(usize, String)>,
        city: Option<(usize, String)>,
        places: &[(usize, String)],
        problems: &mut Vec<Problem>,
    ) -> Place {
        // Lists repeat the same few hundred places; resolving each text once keeps
        // the gazetteer off the hot path of a million-row import.
        let key = (province.clone(), city.clone(), places.to_vec());
        let cached = self.places.lock().ok().and_then(|c| c.get(&key).cloned());
        let (place, unresolved) = match cached {
            Some(hit) => hit,
            None => {
                let fresh = resolve_place_uncached(province, city, places);
                if let Ok(mut c) = self.places.lock()
                    && c.len() < 100_000
                {
                    c.insert(key, fresh.clone());
                }
                fresh
            }
        };
        for (col, text) in unresolved {
            let mut p = self.problem(row, col, ProblemKind::UnresolvedPlace, &text);
            p.severity = Severity::Warning;
            problems.push(p);
        }
        place
    }
}

type PlaceKey = (
    Option<(usize, String)>,
    Option<(usize, String)>,
    Vec<(usize, String)>,
);
/// A resolved place and the (column, text) pairs that did not resolve.
type Resolved = (Place, Vec<(usize, String)>);

/// Resolves a province, a city and free-text places against the gazetteer;
/// returns the place and the (column, text) pairs that did not resolve.
fn resolve_place_uncached(
    province: Option<(usize, String)>,
    city: Option<(usize, String)>,
    places: &[(usize, String)],
) -> (Place, Vec<(usize, String)>) {
    let mut missed = Vec::new();
    let place = {
        let problems = &mut missed;
        let g = gazetteer();
        let mut out = Place::default();
        let mut texts = Vec::new();
        let unresolved = |col: usize, text: &str, missed: &mut Vec<(usize, String)>| {
            missed.push((col, text.to_string()));
        };
        if let Some((col, text)) = &province {
            texts.push(normalize_text(text));
            match g.province(text) {
                Some(p) => out.province = Some(p.iso.clone()),
                None => unresolved(*col, text, problems),
            }
        }
        if let Some((col, text)) = &city {
            texts.push(normalize_text(text));
            match g.city(text, out.province.as_deref()).or_else(|| {
                // A city outside the province given is more likely a wrong province
                // than a second city of that name: only accept it when no province.
                if out.province.is_none() {
                    g.city(text, None)
                } else {
                    None
                }
            }) {
                Some(c) => {
                    out.city = Some(c.geonameid);
                    out.province.get_or_insert_with(|| c.province_iso.clone());
                }
                None => match g.province(text) {
                    // People write the province where the city should be.
                    Some(p)
                        if out.province.is_none()
                            || out.province.as_deref() == Some(p.iso.as_str()) =>
                    {
                        out.province = Some(p.iso.clone());
                    }
                    _ => unresolved(*col, text, problems),
                },
            }
        }
        for (col, text) in places {
            texts.push(normalize_text(text));
            let mut any = false;
            let whole = [text.as_str()];
            let parts: Vec<&str> = if g.city(text, None).is_some() || g.province(text).is_some() {
                whole.to_vec()
            } else {
                text.split([',', '،', '-', '/', '(', ')', '؛', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            for part in &parts {
                if out.province.is_none()
                    && let Some(p) = g.province(part)
                {
                    out.province = Some(p.iso.clone());
                    any = true;
                    continue;
                }
            }
            for part in &parts {
                if out.city.is_none()
                    && let Some(c) = g.city(part, out.province.as_deref())
                {
                    out.city = Some(c.geonameid);
                    out.province.get_or_insert_with(|| c.province_iso.clone());
                    any = true;
                }
            }
            if !any {
                unresolved(*col, text, problems);
            }
        }
        if !texts.is_empty() {
            out.text = Some(texts.join(", "));
        }
        out
    };
    (place, missed)
}

fn truthy(v: &str) -> Option<bool> {
    match match_key(v).as_str() {
        "1" | "yes" | "y" | "true" | "x" | "بله" | "اری" | "اره" => Some(true),
        "0" | "no" | "n" | "false" | "خیر" | "نه" | "" => Some(false),
        _ if v.trim() == "✓" || v.trim() == "✔" => Some(true),
        _ => None,
    }
}

/// Reads an age: "23", "۲۳", "23 ساله", "23 years", "23y".
pub fn parse_age(v: &str) -> Result<u16, String> {
    let t = to_ascii_digits(v);
    let digits: String = t.trim().chars().take_while(char::is_ascii_digit).collect();
    let rest = t.trim()[digits.len()..].trim().to_lowercase();
    let ok_rest = [
        "",
        "ساله",
        "سال",
        "years",
        "year",
        "yrs",
        "y",
        "yo",
        "years old",
    ];
    let expected = || "an age in whole years from 0 to 120, such as 23 or ۲۳ ساله".to_string();
    if digits.is_empty() || !ok_rest.contains(&rest.as_str()) {
        return Err(expected());
    }
    match digits.parse::<u16>() {
        Ok(a) if a <= 120 => Ok(a),
        Ok(a) if a >= 1200 => Err(format!(
            "{}; {a} looks like a year of birth — map the column as birth_year",
            expected()
        )),
        _ => Err(expected()),
    }
}

/// Reads a year of birth, Jalali (1300–1420) or Gregorian (1880–2030), or a
/// date of birth; the answer is Gregorian. A Jalali year is mostly the Gregorian
/// year 621 later (Farvardin to Dey), which is the year we record.
pub fn parse_birth_year(v: &str, hint: CalendarHint) -> Result<i32, String> {
    let t = to_ascii_digits(v);
    let t = t.trim();
    let expected = || "a year of birth such as 1380 or 2001, or a date of birth".to_string();
    if let Ok(y) = t.parse::<i32>() {
        return match (y, hint) {
            (1250..=1450, CalendarHint::Auto | CalendarHint::Jalali) => Ok(y + 621),
            (1880..=2030, CalendarHint::Auto | CalendarHint::Gregorian) => Ok(y),
            _ => Err(expected()),
        };
    }
    match parse_date(t, hint) {
        Ok(d) => d.value.date.map(Date::year).ok_or_else(expected),
        Err(_) => Err(expected()),
    }
}

fn parse_confidence(v: &str) -> Option<u8> {
    let t = to_ascii_digits(v);
    let t = t.trim().trim_end_matches('%').trim();
    let x: f64 = t.parse().ok()?;
    let pct = if x <= 1.0 && t.contains('.') {
        x * 100.0
    } else {
        x
    };
    if (0.0..=100.0).contains(&pct) {
        // In range 0..=100 after the check.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(pct.round() as u8)
    } else {
        None
    }
}

/// One parsed row of a figures list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub row: u64,
    pub source: Option<String>,
    pub source_type: Option<SourceType>,
    pub metric: Metric,
    pub value: u64,
    pub qualifier: Qualifier,
    pub as_of: Date,
    pub province: Option<String>,
    pub category: Option<Category>,
    pub citation: Option<String>,
}

/// Parses the rows of a figures list (`import --kind figures`).
pub struct FigureParser {
    path: PathBuf,
    headers: Vec<String>,
    fields: Vec<Option<FigureField>>,
}

impl FigureParser {
    pub fn new(
        path: &Path,
        headers: &[String],
        has_source: bool,
    ) -> Result<(FigureParser, Vec<Problem>), Problem> {
        let fields: Vec<Option<FigureField>> =
            headers.iter().map(|h| guess_figure_field(h)).collect();
        let mut problems = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            if f.is_none() {
                problems.push(
                    Problem::warning(path, ProblemKind::UnknownColumn)
                        .at_row(1)
                        .in_column(&headers[i]),
                );
            }
        }
        let mut missing = Vec::new();
        for (need, name) in [
            (FigureField::Metric, "metric"),
            (FigureField::Value, "value"),
            (FigureField::AsOf, "as_of"),
        ] {
            if !fields.contains(&Some(need)) {
                missing.push(name);
            }
        }
        if !has_source && !fields.contains(&Some(FigureField::Source)) {
            missing.push("source (or pass --source)");
        }
        if !missing.is_empty() {
            return Err(Problem::error(
                path,
                ProblemKind::Malformed(format!(
                    "a figures list needs the columns {}; expected a header such as \
                     source,source_type,metric,value,qualifier,as_of,province,category,citation",
                    missing.join(", ")
                )),
            )
            .at_row(1));
        }
        Ok((
            FigureParser {
                path: path.to_path_buf(),
                headers: headers.to_vec(),
                fields,
            },
            problems,
        ))
    }

    pub fn parse(&self, raw: &RawRow, problems: &mut Vec<Problem>) -> Option<FigureRow> {
        let row = raw.row;
        let before = problems.iter().filter(|p| p.is_error()).count();
        let err = |i: usize, kind: ProblemKind, v: &str| {
            Problem::error(&self.path, kind)
                .at_row(row)
                .in_column(&self.headers[i])
                .with_value(v)
        };
        if raw.cells.len() != self.headers.len() {
            problems.push(
                Problem::error(
                    &self.path,
                    ProblemKind::Ragged {
                        expected: self.headers.len(),
                        found: raw.cells.len(),
                    },
                )
                .at_row(row),
            );
        }
        let (mut source, mut source_type, mut metric, mut value) = (None, None, None, None);
        let (mut qualifier, mut as_of, mut province, mut category, mut citation) =
            (Qualifier::Exactly, None, None, None, None);
        for (i, cell) in raw.cells.iter().enumerate() {
            let v = cell.trim();
            let Some(f) = self.fields.get(i).copied().flatten() else {
                continue;
            };
            if v.is_empty() {
                continue;
            }
            match f {
                FigureField::Source => source = Some(normalize_text(v)),
                FigureField::SourceType => match vocab::source_type(v) {
                    Some(Recognised::Value(t)) => source_type = Some(t),
                    _ => problems.push(err(
                        i,
                        ProblemKind::UnknownValue {
                            expected: SourceType::expected(),
                        },
                        v,
                    )),
                },
                FigureField::Metric => match vocab::metric(v) {
                    Some(Recognised::Value(m)) => metric = Some(m),
                    _ => problems.push(err(
                        i,
                        ProblemKind::UnknownValue {
                            expected: Metric::expected(),
                        },
                        v,
                    )),
                },
                FigureField::Value => {
                    let digits: String = to_ascii_digits(v)
                        .chars()
                        .filter(|c| !matches!(c, ',' | ' ' | '_'))
                        .collect();
                    match digits.parse::<u64>() {
                        Ok(n) => value = Some(n),
                        Err(_) => problems.push(err(
                            i,
                            ProblemKind::BadNumber {
                                expected: "a whole number such as 544 or 10,600".into(),
                            },
                            v,
                        )),
                    }
                }
                FigureField::Qualifier => match vocab::qualifier(v) {
                    Some(Recognised::Value(q)) => qualifier = q,
                    _ => problems.push(err(
                        i,
                        ProblemKind::UnknownValue {
                            expected: Qualifier::expected(),
                        },
                        v,
                    )),
                },
                FigureField::AsOf => match parse_date(v, CalendarHint::Auto) {
                    Ok(d) if d.value.precision == DatePrecision::Day => as_of = d.value.date,
                    Ok(_) => problems.push(err(
                        i,
                        ProblemKind::BadDate("expected a full date (day, month and year)".into()),
                        v,
                    )),
                    Err(e) => problems.push(err(i, ProblemKind::BadDate(e.reason), v)),
                },
                FigureField::Province => match gazetteer().province(v) {
                    Some(p) => province = Some(p.iso.clone()),
                    None => problems.push(err(
                        i,
                        ProblemKind::UnknownValue {
                            expected: "a province of Iran, by name or ISO code such as IR-11"
                                .into(),
                        },
                        v,
                    )),
                },
                FigureField::Category => match vocab::category(v) {
                    Some(Recognised::Value(c)) => category = Some(c),
                    Some(Recognised::Unknown) => {}
                    None => problems.push(err(
                        i,
                        ProblemKind::UnknownValue {
                            expected: Category::expected(),
                        },
                        v,
                    )),
                },
                FigureField::Citation => citation = Some(v.to_string()),
                FigureField::Ignore => {}
            }
        }
        let missing = |name: &str, problems: &mut Vec<Problem>| {
            problems.push(
                Problem::error(
                    &self.path,
                    ProblemKind::Malformed(format!("the row has no {name}; expected a value")),
                )
                .at_row(row),
            );
        };
        if metric.is_none() {
            missing("metric", problems);
        }
        if value.is_none() {
            missing("value", problems);
        }
        if as_of.is_none() {
            missing("as-of date", problems);
        }
        if problems.iter().filter(|p| p.is_error()).count() > before {
            return None;
        }
        Some(FigureRow {
            row,
            source,
            source_type,
            metric: metric?,
            value: value?,
            qualifier,
            as_of: as_of?,
            province,
            category,
            citation,
        })
    }
}
