//! Column mapping: which field each column holds, from common English and
//! Persian headers and HXL hashtags, overridable by a TOML mapping file.

use crate::error::{Problem, ProblemKind};
use gavah_core::date::CalendarHint;
use gavah_core::normalize::match_key;
use gavah_core::{Category, Outcome, Sex};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// What a column of a people list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    GivenName,
    Surname,
    FatherName,
    Sex,
    Age,
    BirthYear,
    BirthDate,
    Occupation,
    HomeProvince,
    HomeCity,
    Category,
    Status,
    Date,
    Province,
    City,
    District,
    Place,
    Latitude,
    Longitude,
    Description,
    Witness,
    Contact,
    Notes,
    Confidence,
    Url,
    /// A yes/no column meaning "this person was …" (HXL `#affected+killed`).
    Flag(Outcome),
    /// Known and deliberately not parsed.
    Ignore,
}

/// What a column of a figures list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FigureField {
    Source,
    SourceType,
    Metric,
    Value,
    Qualifier,
    AsOf,
    Province,
    Category,
    Citation,
    Ignore,
}

const FIELD_NAMES: &[(&str, Field)] = &[
    ("name", Field::Name),
    ("given_name", Field::GivenName),
    ("surname", Field::Surname),
    ("father_name", Field::FatherName),
    ("sex", Field::Sex),
    ("age", Field::Age),
    ("birth_year", Field::BirthYear),
    ("birth_date", Field::BirthDate),
    ("occupation", Field::Occupation),
    ("home_province", Field::HomeProvince),
    ("home_city", Field::HomeCity),
    ("category", Field::Category),
    ("status", Field::Status),
    ("date", Field::Date),
    ("province", Field::Province),
    ("city", Field::City),
    ("district", Field::District),
    ("place", Field::Place),
    ("latitude", Field::Latitude),
    ("longitude", Field::Longitude),
    ("description", Field::Description),
    ("witness", Field::Witness),
    ("contact", Field::Contact),
    ("notes", Field::Notes),
    ("confidence", Field::Confidence),
    ("url", Field::Url),
    ("killed", Field::Flag(Outcome::Killed)),
    ("wounded", Field::Flag(Outcome::Wounded)),
    ("detained", Field::Flag(Outcome::Detained)),
    ("disappeared", Field::Flag(Outcome::Disappeared)),
    ("executed", Field::Flag(Outcome::Executed)),
    ("released", Field::Flag(Outcome::Released)),
    ("sentenced", Field::Flag(Outcome::Sentenced)),
    ("ignore", Field::Ignore),
];

impl Field {
    /// The name used in mapping files.
    pub fn name(self) -> &'static str {
        FIELD_NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("ignore", |(n, _)| n)
    }

    pub fn from_name(name: &str) -> Option<Field> {
        FIELD_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }

    /// Protected columns: stored, never shown in public output or in messages.
    pub fn is_protected(self) -> bool {
        matches!(self, Field::Witness | Field::Contact | Field::Notes)
    }

    pub fn all_names() -> String {
        FIELD_NAMES
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const PEOPLE_HEADERS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "name",
            "full name",
            "fullname",
            "person",
            "victim",
            "victim name",
            "name of victim",
            "names",
            "نام و نام خانوادگی",
            "نام ونام خانوادگی",
            "نام کامل",
            "اسم",
            "اسم و فامیل",
            "نام قربانی",
            "مشخصات",
        ],
    ),
    (
        Field::GivenName,
        &[
            "first name",
            "given name",
            "forename",
            "firstname",
            "نام",
            "اسم کوچک",
        ],
    ),
    (
        Field::Surname,
        &[
            "last name",
            "surname",
            "family name",
            "lastname",
            "نام خانوادگی",
            "فامیلی",
            "نام فامیل",
        ],
    ),
    (
        Field::FatherName,
        &[
            "father's name",
            "father name",
            "fathers name",
            "father",
            "نام پدر",
        ],
    ),
    (Field::Sex, &["sex", "gender", "جنسیت", "جنس"]),
    (Field::Age, &["age", "age at death", "سن", "سن (سال)"]),
    (
        Field::BirthYear,
        &[
            "year of birth",
            "birth year",
            "yob",
            "born",
            "سال تولد",
            "متولد",
        ],
    ),
    (
        Field::BirthDate,
        &[
            "date of birth",
            "birth date",
            "dob",
            "birthdate",
            "تاریخ تولد",
        ],
    ),
    (
        Field::Occupation,
        &["occupation", "job", "profession", "شغل", "حرفه"],
    ),
    (
        Field::HomeProvince,
        &["home province", "province of residence", "استان محل سکونت"],
    ),
    (
        Field::HomeCity,
        &[
            "home city",
            "hometown",
            "city of residence",
            "residence",
            "شهر محل سکونت",
            "محل سکونت",
            "زادگاه",
        ],
    ),
    (
        Field::Category,
        &[
            "category",
            "role",
            "affiliation",
            "victim type",
            "type of victim",
            "group",
            "دسته",
            "نوع",
            "وابستگی",
            "گروه",
        ],
    ),
    (
        Field::Status,
        &["status", "outcome", "fate", "وضعیت", "سرنوشت", "نوع آسیب"],
    ),
    (
        Field::Date,
        &[
            "date",
            "date of death",
            "date of incident",
            "date of arrest",
            "date of detention",
            "date of injury",
            "event date",
            "incident date",
            "تاریخ",
            "تاریخ فوت",
            "تاریخ حادثه",
            "تاریخ کشته شدن",
            "تاریخ بازداشت",
            "تاریخ جان باختن",
            "تاریخ دستگیری",
            "تاریخ واقعه",
            "تاریخ رویداد",
        ],
    ),
    (
        Field::Province,
        &["province", "state", "region", "ostan", "استان"],
    ),
    (
        Field::City,
        &[
            "city",
            "town",
            "city of incident",
            "شهر",
            "شهرستان",
            "شهر محل حادثه",
        ],
    ),
    (
        Field::District,
        &[
            "district",
            "neighbourhood",
            "neighborhood",
            "محله",
            "منطقه",
            "بخش",
        ],
    ),
    (
        Field::Place,
        &[
            "place",
            "location",
            "place of incident",
            "place of death",
            "where",
            "محل",
            "مکان",
            "محل حادثه",
            "محل فوت",
        ],
    ),
    (Field::Latitude, &["latitude", "lat", "عرض جغرافیایی"]),
    (
        Field::Longitude,
        &["longitude", "lon", "lng", "long", "طول جغرافیایی"],
    ),
    (
        Field::Description,
        &[
            "description",
            "circumstances",
            "details",
            "شرح",
            "شرح حادثه",
            "نحوه",
            "نحوه جان باختن",
        ],
    ),
    (
        Field::Witness,
        &[
            "witness",
            "witness name",
            "witnesses",
            "informant",
            "reported by",
            "شاهد",
            "نام شاهد",
            "شاهدان",
            "گزارشگر",
            "راوی",
        ],
    ),
    (
        Field::Contact,
        &[
            "contact",
            "phone",
            "telephone",
            "mobile",
            "phone number",
            "address",
            "email",
            "contact details",
            "تلفن",
            "تماس",
            "شماره تماس",
            "موبایل",
            "همراه",
            "آدرس",
            "نشانی",
            "ایمیل",
            "اطلاعات تماس",
        ],
    ),
    (
        Field::Notes,
        &[
            "notes",
            "note",
            "remarks",
            "remark",
            "comment",
            "comments",
            "یادداشت",
            "توضیحات",
            "ملاحظات",
            "توضیح",
        ],
    ),
    (
        Field::Confidence,
        &[
            "confidence",
            "reliability",
            "certainty",
            "اطمینان",
            "اعتبار",
        ],
    ),
    (
        Field::Url,
        &[
            "url",
            "link",
            "source url",
            "source link",
            "لینک",
            "پیوند",
            "منبع",
        ],
    ),
];

const FIGURE_HEADERS: &[(FigureField, &[&str])] = &[
    (FigureField::Source, &["source", "source name", "منبع"]),
    (
        FigureField::SourceType,
        &["source type", "source_type", "type", "نوع منبع"],
    ),
    (
        FigureField::Metric,
        &["metric", "indicator", "what", "شاخص"],
    ),
    (
        FigureField::Value,
        &["value", "count", "number", "figure", "تعداد", "رقم"],
    ),
    (FigureField::Qualifier, &["qualifier", "قید"]),
    (FigureField::AsOf, &["as of", "as_of", "date", "تاریخ"]),
    (FigureField::Province, &["province", "استان"]),
    (FigureField::Category, &["category", "دسته"]),
    (FigureField::Citation, &["citation", "url", "link", "لینک"]),
];

fn people_index() -> &'static HashMap<String, Field> {
    static I: OnceLock<HashMap<String, Field>> = OnceLock::new();
    I.get_or_init(|| {
        let mut m = HashMap::new();
        for (field, names) in PEOPLE_HEADERS {
            for n in *names {
                m.insert(match_key(n), *field);
            }
        }
        for (n, f) in FIELD_NAMES {
            m.entry(match_key(n)).or_insert(*f);
        }
        m
    })
}

fn figure_index() -> &'static HashMap<String, FigureField> {
    static I: OnceLock<HashMap<String, FigureField>> = OnceLock::new();
    I.get_or_init(|| {
        let mut m = HashMap::new();
        for (field, names) in FIGURE_HEADERS {
            for n in *names {
                m.insert(match_key(n), *field);
            }
        }
        m
    })
}

/// An HXL hashtag split into its tag and attributes: `#affected +killed` →
/// (`affected`, [`killed`]).
fn hxl_parts(text: &str) -> Option<(String, Vec<String>)> {
    let t = text.trim();
    if !t.starts_with('#') {
        return None;
    }
    let compact: String = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let mut parts = compact.trim_start_matches('#').split('+');
    let tag = parts.next()?.to_string();
    if tag.is_empty() {
        return None;
    }
    Some((
        tag,
        parts
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    ))
}

/// The field an HXL hashtag stands for.
pub fn hxl_field(text: &str) -> Option<Field> {
    let (tag, attrs) = hxl_parts(text)?;
    let has = |a: &str| attrs.iter().any(|x| x == a);
    let outcome_attr = [
        ("killed", Outcome::Killed),
        ("dead", Outcome::Killed),
        ("injured", Outcome::Wounded),
        ("wounded", Outcome::Wounded),
        ("detained", Outcome::Detained),
        ("arrested", Outcome::Detained),
        ("missing", Outcome::Disappeared),
        ("disappeared", Outcome::Disappeared),
        ("executed", Outcome::Executed),
        ("released", Outcome::Released),
    ];
    Some(match tag.as_str() {
        "affected" | "person" | "victim" => {
            if has("name") {
                if has("first") || has("given") {
                    Field::GivenName
                } else if has("last") || has("family") || has("surname") {
                    Field::Surname
                } else {
                    Field::Name
                }
            } else if has("sex") || has("gender") {
                Field::Sex
            } else if has("age") {
                Field::Age
            } else if has("status") {
                Field::Status
            } else if has("type") || has("category") || has("role") {
                Field::Category
            } else if let Some((_, o)) = outcome_attr.iter().find(|(a, _)| has(a)) {
                Field::Flag(*o)
            } else {
                return None;
            }
        }
        "sex" | "gender" => Field::Sex,
        "age" => Field::Age,
        "status" => Field::Status,
        "adm1" => Field::Province,
        "adm2" => Field::City,
        "adm3" | "adm4" => Field::District,
        "loc" => {
            if has("name") && has("city") {
                Field::City
            } else {
                Field::Place
            }
        }
        "date" => {
            if has("birth") {
                Field::BirthDate
            } else {
                Field::Date
            }
        }
        "geo" if has("lat") => Field::Latitude,
        "geo" if has("lon") => Field::Longitude,
        "contact" => Field::Contact,
        "description" | "narrative" => Field::Description,
        "meta" if has("url") => Field::Url,
        "meta" if has("notes") || has("comment") => Field::Notes,
        "group" | "category" => Field::Category,
        "occupation" => Field::Occupation,
        _ => return None,
    })
}

/// The field a header names, in English, Persian or HXL.
pub fn guess_field(header: &str) -> Option<Field> {
    if let Some(f) = hxl_field(header) {
        return Some(f);
    }
    let key = match_key(header);
    if key.is_empty() {
        return None;
    }
    people_index().get(&key).copied()
}

pub fn guess_figure_field(header: &str) -> Option<FigureField> {
    figure_index().get(&match_key(header)).copied()
}

/// True when every non-empty cell is an HXL hashtag: the row under the header
/// that HXL adds.
pub fn is_hxl_row(cells: &[String]) -> bool {
    let mut any = false;
    for c in cells {
        let t = c.trim();
        if t.is_empty() {
            continue;
        }
        if !t.starts_with('#') || hxl_parts(t).is_none() {
            return false;
        }
        any = true;
    }
    any
}

/// A mapping file, in TOML:
///
/// ```toml
/// [columns]            # header = field (see `gavah import --help` for fields)
/// "نام کامل" = "name"
/// "Col 7" = "ignore"
///
/// [values.status]      # extra spellings for a column's values
/// "martyred" = "killed"
///
/// [options]
/// calendar = "jalali"  # auto | jalali | gregorian
/// outcome = "killed"   # for lists with no status column
/// category = "protester"
/// delimiter = ";"
/// encoding = "windows-1256"
/// sheet = "Sheet1"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub options: MappingOptions,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingOptions {
    pub calendar: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
}

/// A checked mapping: what the importer uses.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// match_key(header) → field.
    pub columns: HashMap<String, Field>,
    pub outcome_values: HashMap<String, Outcome>,
    pub sex_values: HashMap<String, Sex>,
    pub category_values: HashMap<String, Category>,
    pub calendar: CalendarHint,
    pub default_outcome: Option<Outcome>,
    pub default_category: Option<Category>,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
}

impl Mapping {
    /// Reads and checks a mapping file; every mistake names the key and what
    /// was expected.
    pub fn load(path: &Path) -> Result<Mapping, Problem> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problem::error(
                path,
                ProblemKind::Io(format!("cannot read the mapping file: {e}")),
            )
        })?;
        let file: MappingFile = toml::from_str(&text).map_err(|e| {
            Problem::error(path, ProblemKind::Mapping(e.to_string().trim().to_string()))
        })?;
        Mapping::from_file(&file).map_err(|m| Problem::error(path, ProblemKind::Mapping(m)))
    }

    pub fn from_file(file: &MappingFile) -> Result<Mapping, String> {
        let mut m = Mapping::default();
        for (header, field) in &file.columns {
            let f = Field::from_name(field).ok_or_else(|| {
                format!(
                    "column '{header}' maps to '{field}'; expected one of: {}",
                    Field::all_names()
                )
            })?;
            m.columns.insert(match_key(header), f);
        }
        for (kind, values) in &file.values {
            for (said, meant) in values {
                let bad = || format!("[values.{kind}] '{said}' = '{meant}' is not a {kind} value");
                match kind.as_str() {
                    "status" => {
                        m.outcome_values.insert(
                            match_key(said),
                            Outcome::from_code(meant).ok_or_else(|| {
                                format!("{}; expected one of: {}", bad(), Outcome::expected())
                            })?,
                        );
                    }
                    "sex" => {
                        m.sex_values.insert(
                            match_key(said),
                            Sex::from_code(meant).ok_or_else(|| {
                                format!("{}; expected one of: {}", bad(), Sex::expected())
                            })?,
                        );
                    }
                    "category" => {
                        m.category_values.insert(
                            match_key(said),
                            Category::from_code(meant).ok_or_else(|| {
                                format!("{}; expected one of: {}", bad(), Category::expected())
                            })?,
                        );
                    }
                    other => {
                        return Err(format!(
                            "[values.{other}] is not known; expected status, sex or category"
                        ));
                    }
                }
            }
        }
        let o = &file.options;
        if let Some(c) = &o.calendar {
            m.calendar = match c.as_str() {
                "auto" => CalendarHint::Auto,
                "jalali" => CalendarHint::Jalali,
                "gregorian" => CalendarHint::Gregorian,
                _ => {
                    return Err(format!(
                        "calendar '{c}'; expected auto, jalali or gregorian"
                    ));
                }
            };
        }
        if let Some(v) = &o.outcome {
            m.default_outcome = Some(Outcome::from_code(v).ok_or_else(|| {
                format!("outcome '{v}'; expected one of: {}", Outcome::expected())
            })?);
        }
        if let Some(v) = &o.category {
            m.default_category = Some(Category::from_code(v).ok_or_else(|| {
                format!("category '{v}'; expected one of: {}", Category::expected())
            })?);
        }
        if let Some(d) = &o.delimiter {
            m.delimiter = Some(parse_delimiter(d)?);
        }
        m.encoding.clone_from(&o.encoding);
        m.sheet.clone_from(&o.sheet);
        Ok(m)
    }

    /// The field of a header: the mapping file first, then the built-in guess.
    pub fn field_for(&self, header: &str) -> Option<Field> {
        self.columns
            .get(&match_key(header))
            .copied()
            .or_else(|| guess_field(header))
    }
}

/// Reads a delimiter given as one character or as `tab`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() => Ok(t.as_bytes()[0]),
        t => Err(format!(
            "delimiter '{t}'; expected one ASCII character such as ',', ';' or 'tab'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(headers: &[&str], expect: Expect) {
        let got: Vec<String> = headers
            .iter()
            .map(|h| format!("{h} → {}", guess_field(h).map_or("?", Field::name)))
            .collect();
        expect.assert_eq(&got.join("\n"));
    }

    #[test]
    fn english_persian_and_hxl_headers() {
        check(
            &[
                "Full name",
                "نام و نام خانوادگی",
                "نام",
                "نام خانوادگی",
                "Father's name",
                "Age",
                "سن",
                "جنسیت",
                "Date of death",
                "تاریخ",
                "استان",
                "City",
                "وضعیت",
                "شاهد",
                "شماره تماس",
                "یادداشت",
                "ردیف",
                "#affected+killed",
                "#adm1+name",
                "#affected +name",
                "#geo+lat",
            ],
            expect![[r#"
                Full name → name
                نام و نام خانوادگی → name
                نام → given_name
                نام خانوادگی → surname
                Father's name → father_name
                Age → age
                سن → age
                جنسیت → sex
                Date of death → date
                تاریخ → date
                استان → province
                City → city
                وضعیت → status
                شاهد → witness
                شماره تماس → contact
                یادداشت → notes
                ردیف → ?
                #affected+killed → killed
                #adm1+name → province
                #affected +name → name
                #geo+lat → latitude"#]],
        );
    }

    #[test]
    fn mapping_file_overrides_and_checks() {
        let file: MappingFile = toml::from_str(
            "[columns]\n\"Col 7\" = \"witness\"\n[values.status]\nmartyred = \"killed\"\n[options]\ncalendar = \"jalali\"\n",
        )
        .unwrap();
        let m = Mapping::from_file(&file).unwrap();
        assert_eq!(m.field_for("col 7"), Some(Field::Witness));
        assert_eq!(m.field_for("Age"), Some(Field::Age));
        assert_eq!(m.outcome_values.get("martyred"), Some(&Outcome::Killed));
        assert_eq!(m.calendar, CalendarHint::Jalali);

        let bad: MappingFile = toml::from_str("[columns]\nx = \"nmae\"\n").unwrap();
        let err = Mapping::from_file(&bad).unwrap_err();
        assert!(
            err.contains("'nmae'") && err.contains("expected one of"),
            "{err}"
        );
        assert!(toml::from_str::<MappingFile>("[colums]\n").is_err());
    }

    #[test]
    fn hxl_rows() {
        assert!(is_hxl_row(&[
            "#affected+name".into(),
            String::new(),
            "#date".into()
        ]));
        assert!(!is_hxl_row(&["#affected+name".into(), "Ali".into()]));
        assert!(!is_hxl_row(&[String::new()]));
    }
}
