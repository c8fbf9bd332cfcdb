//! Entry bodies, version 1: the serialised DTOs for each kind of entry and their
//! conversion from and to the domain types of `gavah-core`.
//!
//! Domain types carry no `Serialize`; these DTOs do, and they are the format.
//! Enumerations are written by their stable codes (`killed`, `at-least`, …),
//! dates as `YYYY-MM-DD`, ids as 32 hex digits.

use crate::id::TeamKey;
use gavah_core::date::{DatePrecision, PartialDate};
use gavah_core::model::{Coordinates, OutcomeEvent, PersonReport, Place};
use gavah_core::{Clearance, Date, EntryId, Protected};
use serde::{Deserialize, Serialize};

/// What an entry says.
// Reports are by far the most common entry; boxing them would cost an
// allocation per imported row to save space on the rare kinds.
#[allow(clippy::large_enum_variant)]
// Deserialize is written by hand below, for speed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Body {
    Source(SourceBody),
    Batch(BatchBody),
    Report(ReportBody),
    Figure(FigureBody),
    Claim(ClaimBody),
    ClaimStatus(ClaimStatusBody),
    LinkModel(LinkModelBody),
    LinkDecision(LinkDecisionBody),
}

impl Body {
    /// The stable name of this kind, as stored in the `entries.kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Source(_) => "source",
            Body::Batch(_) => "batch",
            Body::Report(_) => "report",
            Body::Figure(_) => "figure",
            Body::Claim(_) => "claim",
            Body::ClaimStatus(_) => "claim-status",
            Body::LinkModel(_) => "link-model",
            Body::LinkDecision(_) => "link-decision",
        }
    }

    /// The entry id: a keyed hash of what makes this entry *the same* entry
    /// wherever it is written. A source is its name; an import batch is its
    /// source and file content; a report is its source, its raw row and the
    /// occurrence of that exact row in the file (two identical rows can be two
    /// unnamed victims, so they stay two reports); figures, claims and status
    /// changes, link models and link decisions are their whole content (which
    /// holds the time they were made, so the same decision taken again, after a
    /// different one, is a new entry).
    pub fn id(&self, key: &TeamKey) -> EntryId {
        let mut h = key.hasher(self.kind());
        match self {
            Body::Source(s) => {
                h.str(&gavah_core::normalize::match_key(&s.name));
            }
            Body::Batch(b) => {
                h.entry(&b.source).str(&b.list_kind).str(&b.file_hash);
            }
            Body::Report(r) => {
                h.entry(&r.source).u64(u64::from(r.occurrence));
                for [header, value] in &r.raw {
                    h.str(header).str(value);
                }
            }
            Body::Figure(_)
            | Body::Claim(_)
            | Body::ClaimStatus(_)
            | Body::LinkModel(_)
            | Body::LinkDecision(_) => {
                // Serialising plain structs cannot fail.
                h.bytes(&serde_json::to_vec(self).unwrap_or_default());
            }
        }
        h.finish_id()
    }

    /// Reads a body from its stored JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Body, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The body's JSON, as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The names of the kinds, as [`Body::kind`] gives them.
const KINDS: &[&str] = &[
    "source",
    "batch",
    "report",
    "figure",
    "claim",
    "claim-status",
    "link-model",
    "link-decision",
];

impl Body {
    /// The body of kind `kind` from the rest of its map.
    fn of_kind<'de, D: serde::Deserializer<'de>>(kind: &str, d: D) -> Result<Body, D::Error> {
        Ok(match kind {
            "source" => Body::Source(SourceBody::deserialize(d)?),
            "batch" => Body::Batch(BatchBody::deserialize(d)?),
            "report" => Body::Report(ReportBody::deserialize(d)?),
            "figure" => Body::Figure(FigureBody::deserialize(d)?),
            "claim" => Body::Claim(ClaimBody::deserialize(d)?),
            "claim-status" => Body::ClaimStatus(ClaimStatusBody::deserialize(d)?),
            "link-model" => Body::LinkModel(LinkModelBody::deserialize(d)?),
            "link-decision" => Body::LinkDecision(LinkDecisionBody::deserialize(d)?),
            other => return Err(serde::de::Error::unknown_variant(other, KINDS)),
        })
    }
}

/// Reads what the derived `Serialize` (`tag = "kind"`) writes.
///
/// Written by hand because serde's derive for an internally tagged enum first
/// copies the whole map into an intermediate tree (to find the tag wherever it
/// is) and then reads the variant from that tree: on bundle import that was
/// most of the time spent decoding an entry. This version reads the variant
/// straight from the input when `kind` is the first key, as Gavah always
/// writes it, and falls back to buffering the map otherwise.
impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Body;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an entry body: a map with a kind")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
                use serde::de::Error;
                let Some(first) = map.next_key::<String>()? else {
                    return Err(A::Error::missing_field("kind"));
                };
                if first == "kind" {
                    let kind: String = map.next_value()?;
                    return Body::of_kind(&kind, serde::de::value::MapAccessDeserializer::new(map));
                }
                let mut fields = serde_json::Map::new();
                fields.insert(first, map.next_value()?);
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if fields.insert(key.clone(), value).is_some() {
                        return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                }
                let kind = match fields.remove("kind") {
                    Some(serde_json::Value::String(kind)) => kind,
                    Some(_) => return Err(A::Error::custom("the kind is not a string")),
                    None => return Err(A::Error::missing_field("kind")),
                };
                Body::of_kind(&kind, serde_json::Value::Object(fields)).map_err(A::Error::custom)
            }
        }
        d.deserialize_map(Visit)
    }
}

#[derive(Serialize)]
pub(crate) struct Envelope<'a> {
    pub v: u32,
    pub id: String,
    pub node: String,
    pub author: &'a str,
    pub hlc: u64,
    pub body: &'a Body,
}

/// [`Envelope`] read back from canonical bytes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnedEnvelope {
    pub v: u32,
    pub id: String,
    pub node: String,
    pub author: String,
    pub hlc: u64,
    pub body: Body,
}

mod hex_id {
    use gavah_core::EntryId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &EntryId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&id.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EntryId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A source declared: the first list, figure or statement from it creates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceBody {
    pub name: String,
    pub source_type: String,
    pub protected: bool,
}

/// One column of an imported file and the field it was mapped to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnBody {
    pub header: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// One imported file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchBody {
    #[serde(with = "hex_id")]
    pub source: EntryId,
    /// `people` or `figures`. (Not `kind`: that names the entry's own kind.)
    pub list_kind: String,
    /// The file's name without its folder (folders can name people).
    pub file_name: String,
    /// Keyed hash of the file's bytes, hex.
    pub file_hash: String,
    /// `csv`, `tsv`, `xlsx`, `ods` or `jsonl`.
    pub format: String,
    /// The text encoding the file was read in.
    pub encoding: String,
    pub rows: u64,
    pub columns: Vec<ColumnBody>,
}

/// What one source says about one person: one row of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportBody {
    #[serde(with = "hex_id")]
    pub source: EntryId,
    #[serde(with = "hex_id")]
    pub batch: EntryId,
    /// The row number in the file as a spreadsheet shows it (header is row 1).
    pub row: u64,
    /// 0 for the first row with this exact content in the file, 1 for the next …
    pub occurrence: u32,
    /// The row verbatim: every column's header and value, in file order.
    /// Protected as a whole: it holds the witness and contact columns too.
    pub raw: Vec<[String; 2]>,
    pub person: PersonBody,
}

/// The parsed fields of a report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PersonBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub father_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    #[serde(default, skip_serializing_if = "PlaceBody::is_empty")]
    pub home: PlaceBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<OutcomeBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A place in a report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlaceBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_e6: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon_e6: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl PlaceBody {
    pub fn is_empty(&self) -> bool {
        *self == PlaceBody::default()
    }
}

/// One outcome in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeBody {
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub precision: String,
    #[serde(default, skip_serializing_if = "PlaceBody::is_empty")]
    pub place: PlaceBody,
}

/// A source's published count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureBody {
    #[serde(with = "hex_id")]
    pub source: EntryId,
    pub metric: String,
    pub value: u64,
    pub qualifier: String,
    pub as_of: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
}

/// A statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimBody {
    pub by: String,
    pub date: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
}

/// A change of a claim's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimStatusBody {
    #[serde(with = "hex_id")]
    pub claim: EntryId,
    pub status: String,
    pub by: String,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The linkage model a store's people are counted with: the parameters the
/// linkage engine estimated (its own JSON, opaque here) and the threshold. The
/// latest by clock wins; clustering with it is a function of the reports and
/// the link decisions, so every node holding the same entries counts the same
/// people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkModelBody {
    /// The engine's saved model, as the engine writes it.
    pub model: String,
    /// Match probability at or above which two reports may join, in millionths
    /// (no floats in canonical bytes).
    pub threshold_ppm: u32,
    /// Least average probability between two clusters for them to merge, in
    /// millionths.
    pub min_support_ppm: u32,
    /// When the model was made, milliseconds since the Unix epoch.
    pub made_ms: u64,
}

/// A human decision that two reports are, or are not, about the same person:
/// a must-link or cannot-link constraint that every later linkage respects.
/// The latest decision on a pair (by clock) is the one that holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkDecisionBody {
    /// The two reports, the smaller id first.
    #[serde(with = "hex_id")]
    pub a: EntryId,
    #[serde(with = "hex_id")]
    pub b: EntryId,
    pub same: bool,
    /// Why, in the reviewer's words. Internal: never shown in public output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the decision was made, milliseconds since the Unix epoch.
    pub made_ms: u64,
}

impl From<&Place> for PlaceBody {
    fn from(p: &Place) -> Self {
        PlaceBody {
            province: p.province.clone(),
            city: p.city,
            district: p.district.clone(),
            lat_e6: p.coordinates.map(|c| c.lat_e6),
            lon_e6: p.coordinates.map(|c| c.lon_e6),
            text: p.text.clone(),
        }
    }
}

impl From<&PlaceBody> for Place {
    fn from(p: &PlaceBody) -> Self {
        Place {
            province: p.province.clone(),
            city: p.city,
            district: p.district.clone(),
            coordinates: match (p.lat_e6, p.lon_e6) {
                (Some(lat_e6), Some(lon_e6)) => Some(Coordinates { lat_e6, lon_e6 }),
                _ => None,
            },
            text: p.text.clone(),
        }
    }
}

fn reveal(p: &Option<Protected<String>>) -> Option<String> {
    // The entry log holds protected values privately; this is the storage path.
    p.as_ref().map(|v| v.reveal(Clearance::Storage).clone())
}

impl From<&PersonReport> for PersonBody {
    fn from(r: &PersonReport) -> Self {
        PersonBody {
            name: r.name.clone(),
            given_name: r.given_name.clone(),
            surname: r.surname.clone(),
            father_name: r.father_name.clone(),
            sex: r.sex.map(|s| s.as_str().to_string()),
            age: r.age,
            birth_year: r.birth_year,
            occupation: r.occupation.clone(),
            home: PlaceBody::from(&r.home),
            category: r.category.map(|c| c.as_str().to_string()),
            outcomes: r
                .outcomes
                .iter()
                .map(|o| OutcomeBody {
                    outcome: o.outcome.as_str().to_string(),
                    date: o.date.date.map(|d| d.to_string()),
                    precision: o.date.precision.as_str().to_string(),
                    place: PlaceBody::from(&o.place),
                })
                .collect(),
            description: r.description.clone(),
            witness: reveal(&r.witness),
            contact: reveal(&r.contact),
            notes: reveal(&r.notes),
            confidence: r.confidence,
            url: r.url.clone(),
        }
    }
}

/// A stored body that does not convert back to domain values: a code this
/// version does not know. Carries the field and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry field '{field}' holds '{value}', which this version of Gavah does not know")]
pub struct BodyError {
    pub field: &'static str,
    pub value: String,
}

fn code<T>(field: &'static str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, BodyError> {
    parse(value).ok_or_else(|| BodyError {
        field,
        value: value.to_string(),
    })
}

impl PersonBody {
    /// Back to the domain type.
    pub fn to_report(&self) -> Result<PersonReport, BodyError> {
        let mut outcomes = Vec::with_capacity(self.outcomes.len());
        for o in &self.outcomes {
            let date = match &o.date {
                Some(d) => Some(code("outcome.date", d, Date::parse_iso)?),
                None => None,
            };
            outcomes.push(OutcomeEvent {
                outcome: code("outcome", &o.outcome, gavah_core::Outcome::from_code)?,
                date: PartialDate {
                    date,
                    precision: code("outcome.precision", &o.precision, DatePrecision::from_code)?,
                },
                place: Place::from(&o.place),
            });
        }
        Ok(PersonReport {
            name: self.name.clone(),
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            father_name: self.father_name.clone(),
            sex: self
                .sex
                .as_deref()
                .map(|s| code("sex", s, gavah_core::Sex::from_code))
                .transpose()?,
            age: self.age,
            birth_year: self.birth_year,
            occupation: self.occupation.clone(),
            home: Place::from(&self.home),
            category: self
                .category
                .as_deref()
                .map(|s| code("category", s, gavah_core::Category::from_code))
                .transpose()?,
            outcomes,
            description: self.description.clone(),
            witness: self.witness.clone().map(Protected::new),
            contact: self.contact.clone().map(Protected::new),
            notes: self.notes.clone().map(Protected::new),
            confidence: self.confidence,
            url: self.url.clone(),
        })
    }
}
