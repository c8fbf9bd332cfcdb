//! The domain model: what a casualty record says, following the Every Casualty
//! standards for recording a person, ACLED's event fields for incidents and HXL's
//! vocabulary where they fit. Plain data: no IO, no serialisation format.

use crate::date::{Date, PartialDate};
use crate::ids::EntryId;
use crate::protected::Protected;

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable machine name (used in the store, CLI flags and exports).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stable machine name exactly; human input goes through
            /// [`crate::vocab`] instead.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The machine names joined for an error message.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// What happened to a person.
    Outcome {
        Killed => "killed",
        Wounded => "wounded",
        Detained => "detained",
        Disappeared => "disappeared",
        Executed => "executed",
        Released => "released",
        Sentenced => "sentenced",
    }
);

str_enum!(
    /// Who the person was in the events.
    Category {
        Protester => "protester",
        Bystander => "bystander",
        SecurityForces => "security-forces",
        Unknown => "unknown",
    }
);

str_enum!(
    /// Sex as the source records it.
    Sex {
        Male => "male",
        Female => "female",
    }
);

str_enum!(
    /// What kind of source a list or statement comes from.
    SourceType {
        RightsGroup => "rights-group",
        Official => "official",
        Media => "media",
        Family => "family",
        HospitalMorgue => "hospital-morgue",
        FieldReport => "field-report",
        Other => "other",
    }
);

impl SourceType {
    /// How a protected source of this type is named in public output.
    pub fn public_label(self) -> &'static str {
        match self {
            SourceType::RightsGroup => "a rights group",
            SourceType::Official => "an official source",
            SourceType::Media => "a media outlet",
            SourceType::Family => "a family",
            SourceType::HospitalMorgue => "a hospital or morgue",
            SourceType::FieldReport => "a field report",
            SourceType::Other => "another source",
        }
    }
}

str_enum!(
    /// How a published count is qualified.
    Qualifier {
        AtLeast => "at-least",
        About => "about",
        Exactly => "exactly",
        AtMost => "at-most",
    }
);

str_enum!(
    /// What a published figure counts.
    Metric {
        Killed => "killed",
        Wounded => "wounded",
        Detained => "detained",
        Disappeared => "disappeared",
        Executed => "executed",
        Released => "released",
        Sentenced => "sentenced",
        Cities => "cities",
        Provinces => "provinces",
        Incidents => "incidents",
    }
);

str_enum!(
    /// Where a claim stands.
    ClaimStatus {
        Claimed => "claimed",
        Confirmed => "confirmed",
        Denied => "denied",
        Unconfirmed => "unconfirmed",
        Disputed => "disputed",
    }
);

str_enum!(
    /// How precisely a place is known.
    PlacePrecision {
        Exact => "exact",
        District => "district",
        City => "city",
        Province => "province",
        Country => "country",
        Unknown => "unknown",
    }
);

/// A point, in millionths of a degree so that places compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Coordinates {
    pub lat_e6: i32,
    pub lon_e6: i32,
}

impl Coordinates {
    pub fn from_degrees(lat: f64, lon: f64) -> Option<Self> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return None;
        }
        // The range check above keeps both products inside i32.
        #[allow(clippy::cast_possible_truncation)]
        Some(Coordinates {
            lat_e6: (lat * 1e6).round() as i32,
            lon_e6: (lon * 1e6).round() as i32,
        })
    }
}

/// A place as the source gave it, and what the gazetteer resolved it to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-2 code of the province, e.g. `IR-23`.
    pub province: Option<String>,
    /// GeoNames id of the city.
    pub city: Option<u32>,
    pub district: Option<String>,
    pub coordinates: Option<Coordinates>,
    /// The place as written in the source, kept whether or not it resolved.
    pub text: Option<String>,
}

impl Place {
    pub fn precision(&self) -> PlacePrecision {
        if self.coordinates.is_some() {
            PlacePrecision::Exact
        } else if self.district.is_some() {
            PlacePrecision::District
        } else if self.city.is_some() {
            PlacePrecision::City
        } else if self.province.is_some() {
            PlacePrecision::Province
        } else {
            PlacePrecision::Unknown
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Place::default()
    }
}

/// One thing that happened to a person: when, where, with what precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeEvent {
    pub outcome: Outcome,
    pub date: PartialDate,
    pub place: Place,
}

/// What one report says about one person: the parsed fields of one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonReport {
    /// The full name as written (any script), or given and surname joined.
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub father_name: Option<String>,
    pub sex: Option<Sex>,
    pub age: Option<u16>,
    pub birth_year: Option<i32>,
    pub occupation: Option<String>,
    pub home: Place,
    pub category: Option<Category>,
    pub outcomes: Vec<OutcomeEvent>,
    pub description: Option<String>,
    /// Who saw it. Never public.
    pub witness: Option<Protected<String>>,
    /// Phone, address or other contact of the family or the witness. Never public.
    pub contact: Option<Protected<String>>,
    /// Free notes of the documenter. Never public.
    pub notes: Option<Protected<String>>,
    /// The source's own confidence, 0–100, when it gives one.
    pub confidence: Option<u8>,
    /// A link to the source's own page for this person.
    pub url: Option<String>,
}

/// Something that happened at one time and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub date: PartialDate,
    pub place: Place,
    pub description: Option<String>,
}

/// Where a list, a figure or a statement comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub source_type: SourceType,
    /// A protected source's name, and the witness and contact fields of its
    /// reports, never appear in public output.
    pub protected: bool,
}

/// What a published figure covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// ISO 3166-2 province code; `None` is the whole country.
    pub province: Option<String>,
    pub category: Option<Category>,
}

/// A source's published count as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub source: EntryId,
    pub metric: Metric,
    pub value: u64,
    pub qualifier: Qualifier,
    pub as_of: Date,
    pub scope: Scope,
    pub citation: Option<String>,
}

/// A statement: who said what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub by: String,
    pub date: Date,
    pub text: String,
    pub citation: Option<String>,
}

/// One change of a claim's status, with who set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimStatusChange {
    pub claim: EntryId,
    pub status: ClaimStatus,
    pub by: String,
    pub date: Date,
    pub note: Option<String>,
}
