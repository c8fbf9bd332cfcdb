//! Values of status, sex, category, source-type, qualifier and claim-status
//! columns as people write them, in Persian and English.
//!
//! Recognition is by exact match of the [`match_key`] of the value against the
//! table below: an unknown value is reported by the importer, never guessed.

use crate::model::{Category, ClaimStatus, Metric, Outcome, Qualifier, Sex, SourceType};
use crate::normalize::match_key;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::OnceLock;

/// What a value of a known kind meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognised<T> {
    /// A known value.
    Value(T),
    /// A known way of saying "unknown" (نامعلوم, unknown, ?): not an error.
    Unknown,
}

const UNKNOWN_WORDS: &[&str] = &[
    "unknown",
    "unk",
    "n/a",
    "na",
    "?",
    "-",
    "نامعلوم",
    "نامشخص",
    "معلوم نیست",
    "مشخص نیست",
    "ناشناس",
];

const OUTCOMES: &[(Outcome, &[&str])] = &[
    (
        Outcome::Killed,
        &[
            "killed",
            "kill",
            "dead",
            "death",
            "died",
            "deceased",
            "fatality",
            "shot dead",
            "killed by security forces",
            "کشته",
            "کشته شده",
            "کشته‌شده",
            "جان باخته",
            "جانباخته",
            "جان‌باخته",
            "فوت",
            "فوت شده",
            "درگذشته",
            "شهید",
            "مقتول",
            "قتل",
        ],
    ),
    (
        Outcome::Wounded,
        &[
            "wounded",
            "injured",
            "injury",
            "hurt",
            "زخمی",
            "زخمی شده",
            "مجروح",
            "مجروح شده",
            "مصدوم",
            "آسیب دیده",
        ],
    ),
    (
        Outcome::Detained,
        &[
            "detained",
            "detention",
            "arrested",
            "arrest",
            "in custody",
            "imprisoned",
            "jailed",
            "بازداشت",
            "بازداشت شده",
            "بازداشتی",
            "دستگیر",
            "دستگیر شده",
            "دستگیری",
            "زندانی",
            "حبس",
        ],
    ),
    (
        Outcome::Disappeared,
        &[
            "disappeared",
            "missing",
            "forcibly disappeared",
            "whereabouts unknown",
            "ناپدید",
            "ناپدید شده",
            "مفقود",
            "مفقودالاثر",
            "مفقود الاثر",
            "گمشده",
            "بی‌خبر",
        ],
    ),
    (
        Outcome::Executed,
        &["executed", "execution", "اعدام", "اعدام شده"],
    ),
    (
        Outcome::Released,
        &[
            "released",
            "freed",
            "released on bail",
            "on bail",
            "آزاد",
            "آزاد شده",
            "آزادشده",
            "آزادی",
            "با وثیقه آزاد",
            "آزاد شد",
        ],
    ),
    (
        Outcome::Sentenced,
        &[
            "sentenced",
            "convicted",
            "محکوم",
            "محکوم شده",
            "محکومیت",
            "صدور حکم",
        ],
    ),
];

const SEXES: &[(Sex, &[&str])] = &[
    (
        Sex::Male,
        &[
            "male", "m", "man", "boy", "مرد", "مذکر", "آقا", "پسر", "ذکور",
        ],
    ),
    (
        Sex::Female,
        &[
            "female", "f", "woman", "girl", "زن", "مونث", "مؤنث", "خانم", "دختر", "اناث",
        ],
    ),
];

const CATEGORIES: &[(Category, &[&str])] = &[
    (
        Category::Protester,
        &[
            "protester",
            "protestor",
            "protesters",
            "demonstrator",
            "معترض",
            "معترضان",
            "معترضین",
            "تظاهرکننده",
            "تظاهر کننده",
            "معترض خیابانی",
        ],
    ),
    (
        Category::Bystander,
        &[
            "bystander",
            "passerby",
            "passer-by",
            "civilian",
            "رهگذر",
            "عابر",
            "غیرنظامی",
            "شهروند عادی",
        ],
    ),
    (
        Category::SecurityForces,
        &[
            "security forces",
            "security force",
            "security",
            "police",
            "basij",
            "irgc",
            "military",
            "نیروی امنیتی",
            "نیروهای امنیتی",
            "امنیتی",
            "پلیس",
            "نیروی انتظامی",
            "انتظامی",
            "بسیج",
            "بسیجی",
            "سپاه",
            "پاسدار",
            "مامور",
            "مأمور",
        ],
    ),
    (Category::Unknown, &["unknown"]),
];

const SOURCE_TYPES: &[(SourceType, &[&str])] = &[
    (
        SourceType::RightsGroup,
        &[
            "rights group",
            "rights-group",
            "human rights group",
            "ngo",
            "human rights organisation",
            "human rights organization",
            "گروه حقوق بشری",
            "سازمان حقوق بشری",
        ],
    ),
    (
        SourceType::Official,
        &[
            "official",
            "government",
            "state",
            "authorities",
            "رسمی",
            "دولتی",
            "مقامات",
        ],
    ),
    (
        SourceType::Media,
        &["media", "news", "press", "news agency", "رسانه", "خبرگزاری"],
    ),
    (
        SourceType::Family,
        &["family", "relatives", "خانواده", "بستگان"],
    ),
    (
        SourceType::HospitalMorgue,
        &[
            "hospital-morgue",
            "hospital",
            "morgue",
            "hospital or morgue",
            "forensic",
            "بیمارستان",
            "پزشکی قانونی",
            "سردخانه",
        ],
    ),
    (
        SourceType::FieldReport,
        &[
            "field-report",
            "field report",
            "field",
            "گزارش میدانی",
            "میدانی",
        ],
    ),
    (SourceType::Other, &["other", "سایر", "دیگر"]),
];

const QUALIFIERS: &[(Qualifier, &[&str])] = &[
    (
        Qualifier::AtLeast,
        &[
            "at-least",
            "at least",
            "minimum",
            "min",
            "دست‌کم",
            "دستکم",
            "حداقل",
        ],
    ),
    (
        Qualifier::About,
        &[
            "about",
            "approximately",
            "approx",
            "around",
            "حدود",
            "تقریبا",
            "تقریباً",
            "حدودا",
        ],
    ),
    (Qualifier::Exactly, &["exactly", "exact", "دقیقا", "دقیقاً"]),
    (
        Qualifier::AtMost,
        &["at-most", "at most", "maximum", "max", "up to", "حداکثر"],
    ),
];

const CLAIM_STATUSES: &[(ClaimStatus, &[&str])] = &[
    (ClaimStatus::Claimed, &["claimed", "ادعا", "ادعا شده"]),
    (
        ClaimStatus::Confirmed,
        &["confirmed", "تایید", "تایید شده", "تأیید شده"],
    ),
    (ClaimStatus::Denied, &["denied", "تکذیب", "تکذیب شده"]),
    (
        ClaimStatus::Unconfirmed,
        &["unconfirmed", "تایید نشده", "تأیید نشده"],
    ),
    (
        ClaimStatus::Disputed,
        &["disputed", "contested", "مورد مناقشه", "مناقشه"],
    ),
];

const METRICS: &[(Metric, &[&str])] = &[
    (
        Metric::Killed,
        &[
            "killed",
            "deaths",
            "dead",
            "کشته",
            "کشته شدگان",
            "جان باختگان",
        ],
    ),
    (Metric::Wounded, &["wounded", "injured", "زخمی", "مجروح"]),
    (
        Metric::Detained,
        &[
            "detained",
            "arrested",
            "detentions",
            "arrests",
            "بازداشت",
            "بازداشت شدگان",
            "دستگیری",
        ],
    ),
    (Metric::Disappeared, &["disappeared", "missing", "ناپدید"]),
    (Metric::Executed, &["executed", "executions", "اعدام"]),
    (Metric::Released, &["released", "آزاد"]),
    (Metric::Sentenced, &["sentenced", "محکوم"]),
    (Metric::Cities, &["cities", "شهرها", "شهر"]),
    (Metric::Provinces, &["provinces", "استان‌ها", "استانها"]),
    (Metric::Incidents, &["incidents", "events", "رویدادها"]),
];

struct Table<T> {
    map: HashMap<String, T>,
}

impl<T: Copy + Eq + Hash> Table<T> {
    fn build(rows: &[(T, &[&str])], code: fn(T) -> &'static str) -> Self {
        let mut map = HashMap::new();
        for (value, words) in rows {
            map.insert(match_key(code(*value)), *value);
            for w in *words {
                map.insert(match_key(w), *value);
            }
        }
        Table { map }
    }

    fn recognise(&self, text: &str) -> Option<Recognised<T>> {
        let key = match_key(text);
        if let Some(v) = self.map.get(&key) {
            return Some(Recognised::Value(*v));
        }
        if key.is_empty() || unknown_keys().contains(&key) {
            return Some(Recognised::Unknown);
        }
        None
    }
}

fn unknown_keys() -> &'static Vec<String> {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| UNKNOWN_WORDS.iter().map(|w| match_key(w)).collect())
}

macro_rules! recogniser {
    ($(#[$doc:meta])* $fn_name:ident, $ty:ty, $rows:expr) => {
        $(#[$doc])*
        pub fn $fn_name(text: &str) -> Option<Recognised<$ty>> {
            static TABLE: OnceLock<Table<$ty>> = OnceLock::new();
            TABLE.get_or_init(|| Table::build($rows, <$ty>::as_str)).recognise(text)
        }
    };
}

recogniser!(
    /// A status column's value: کشته / killed, بازداشت / detained, …
    outcome, Outcome, OUTCOMES
);
recogniser!(
    /// A sex column's value: مرد / male, زن / female, …
    sex, Sex, SEXES
);
recogniser!(
    /// A category column's value: معترض / protester, نیروی امنیتی / security forces, …
    category, Category, CATEGORIES
);
recogniser!(
    /// A source type: rights group, official, media, family, hospital or morgue, field report, other.
    source_type, SourceType, SOURCE_TYPES
);
recogniser!(
    /// A figure's qualifier: at least, about, exactly, at most.
    qualifier, Qualifier, QUALIFIERS
);
recogniser!(
    /// A claim's status.
    claim_status, ClaimStatus, CLAIM_STATUSES
);
recogniser!(
    /// What a figure counts.
    metric, Metric, METRICS
);

/// Accepted spellings of one kind, for help text and error messages.
pub fn examples_outcome() -> &'static str {
    "killed/کشته, wounded/زخمی, detained/بازداشت, disappeared/ناپدید, executed/اعدام, released/آزاد, sentenced/محکوم"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_english_values() {
        assert_eq!(outcome("کشته"), Some(Recognised::Value(Outcome::Killed)));
        assert_eq!(
            outcome(" Killed "),
            Some(Recognised::Value(Outcome::Killed))
        );
        assert_eq!(
            outcome("جان‌باخته"),
            Some(Recognised::Value(Outcome::Killed))
        );
        assert_eq!(
            outcome("بازداشت شده"),
            Some(Recognised::Value(Outcome::Detained))
        );
        assert_eq!(outcome("زخمي"), Some(Recognised::Value(Outcome::Wounded)));
        assert_eq!(sex("مرد"), Some(Recognised::Value(Sex::Male)));
        assert_eq!(sex("F"), Some(Recognised::Value(Sex::Female)));
        assert_eq!(
            category("نیروی امنیتی"),
            Some(Recognised::Value(Category::SecurityForces))
        );
        assert_eq!(
            category("Security Forces"),
            Some(Recognised::Value(Category::SecurityForces))
        );
        assert_eq!(
            source_type("hospital"),
            Some(Recognised::Value(SourceType::HospitalMorgue))
        );
        assert_eq!(
            qualifier("دست‌کم"),
            Some(Recognised::Value(Qualifier::AtLeast))
        );
        assert_eq!(
            claim_status("Disputed"),
            Some(Recognised::Value(ClaimStatus::Disputed))
        );
        assert_eq!(
            metric("Detentions"),
            Some(Recognised::Value(Metric::Detained))
        );
    }

    #[test]
    fn unknown_words_and_unknown_values() {
        assert_eq!(outcome("نامعلوم"), Some(Recognised::Unknown));
        assert_eq!(sex("?"), Some(Recognised::Unknown));
        assert_eq!(outcome(""), Some(Recognised::Unknown));
        // Not guessed: a value we do not know is reported by the caller.
        assert_eq!(outcome("injured and detained"), None);
        assert_eq!(sex("x"), None);
    }
}
