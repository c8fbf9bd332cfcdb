//! The name tables the generator draws from: Iranian given names and surnames
//! embedded from `data/`, weighted so that common names recur as they do in real
//! lists, with every Latin spelling a source might use.

use crate::translit::transliterate;
use crate::variants::rule_variants;
use crate::weighted::Weighted;
use rand::Rng;

const GIVEN_NAMES_CSV: &str = include_str!("../data/given_names.csv");
const SURNAMES_CSV: &str = include_str!("../data/surnames.csv");

/// One name in both scripts: the Persian form, then the Latin spellings with the
/// most common one first.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub fa: String,
    /// Never empty: names the data gives no Latin form for are transliterated.
    pub latin: Vec<String>,
    /// Spellings produced by the variant rules (Mohammad/Mohammed, -i/-ee, …),
    /// kept apart from the data's own so a source can prefer either.
    pub rule_latin: Vec<String>,
}

impl Name {
    fn new(fa: &str, latin: &str, latin_variants: &str) -> Name {
        let mut spellings: Vec<String> = Vec::new();
        if latin.is_empty() {
            spellings.push(transliterate(fa));
        } else {
            spellings.push(latin.to_string());
        }
        for v in latin_variants.split('|').filter(|v| !v.is_empty()) {
            if !spellings.iter().any(|s| s == v) {
                spellings.push(v.to_string());
            }
        }
        let mut rule_latin = Vec::new();
        for v in rule_variants(&spellings[0]) {
            if !spellings.contains(&v) && !rule_latin.contains(&v) {
                rule_latin.push(v);
            }
        }
        Name {
            fa: fa.to_string(),
            latin: spellings,
            rule_latin,
        }
    }

    /// The Latin spelling a source writes: the common one, or with probability
    /// `variant_rate` another spelling of the same name.
    pub fn pick_latin<R: Rng>(&self, rng: &mut R, variant_rate: f64) -> String {
        let others = self.latin.len() - 1 + self.rule_latin.len();
        if others == 0 || !rng.random_bool(variant_rate) {
            return self.latin[0].clone();
        }
        let i = rng.random_range(0..others);
        if i < self.latin.len() - 1 {
            self.latin[i + 1].clone()
        } else {
            self.rule_latin[i - (self.latin.len() - 1)].clone()
        }
    }
}

/// Frequent given names, with a weight relative to 1 for every other name. The
/// data has no frequencies; without this every name would be equally rare and
/// lists would never hold two different people of the same name, which real
/// lists often do.
const COMMON_MALE: &[(&str, f64)] = &[
    ("محمد", 60.0),
    ("علی", 40.0),
    ("حسین", 35.0),
    ("رضا", 18.0),
    ("مهدی", 18.0),
    ("امیر", 10.0),
    ("حسن", 10.0),
    ("محمدرضا", 10.0),
    ("امیرحسین", 10.0),
    ("ابوالفضل", 10.0),
    ("علیرضا", 10.0),
    ("مصطفی", 8.0),
    ("سعید", 8.0),
    ("محسن", 8.0),
    ("مجید", 6.0),
    ("حمید", 6.0),
    ("جواد", 6.0),
    ("پویا", 4.0),
    ("آرمان", 4.0),
    ("کیان", 4.0),
];

const COMMON_FEMALE: &[(&str, f64)] = &[
    ("فاطمه", 15.0),
    ("زهرا", 15.0),
    ("مریم", 10.0),
    ("سارا", 8.0),
    ("مهسا", 6.0),
    ("نرگس", 5.0),
    ("نیلوفر", 5.0),
];

const COMMON_SURNAMES: &[(&str, f64)] = &[
    ("محمدی", 20.0),
    ("احمدی", 15.0),
    ("حسینی", 15.0),
    ("رضایی", 15.0),
    ("موسوی", 10.0),
    ("کریمی", 10.0),
    ("هاشمی", 8.0),
    ("عباسی", 8.0),
    ("جعفری", 6.0),
    ("قاسمی", 6.0),
    ("نوری", 5.0),
    ("بهرامی", 5.0),
];

/// Surnames of well-known office holders: a random victim must never carry one.
const EXCLUDED_SURNAMES: &[&str] = &["خامنه‌ای", "خاتمی", "روحانی", "ظریف"];

/// Given name and surname pairs of real, widely reported victims and prisoners,
/// which a random draw could otherwise recreate next to invented events.
pub(crate) const EXCLUDED_PAIRS: &[(&str, &str)] = &[
    ("نرگس", "محمدی"),
    ("شیرین", "عبادی"),
    ("حدیث", "نجفی"),
    ("میرحسین", "موسوی"),
    ("مهسا", "امینی"),
];

/// Surnames whose bearers often carry the title Seyed (descendants of the Prophet).
const SAYYID_SURNAMES: &[&str] = &[
    "حسینی",
    "موسوی",
    "هاشمی",
    "حسنی",
    "رضوی",
    "طباطبایی",
    "میرباقری",
];

/// Second parts of double given names (محمد حسین, علی اکبر), written joined, with
/// a space or with a ZWNJ depending on who writes them.
pub(crate) const SECOND_PARTS: &[(&str, &str)] = &[
    ("حسین", "Hossein"),
    ("رضا", "Reza"),
    ("علی", "Ali"),
    ("مهدی", "Mahdi"),
    ("جواد", "Javad"),
    ("اکبر", "Akbar"),
    ("صادق", "Sadegh"),
    ("امین", "Amin"),
];

/// First parts that take a second part.
pub(crate) const FIRST_PARTS: &[&str] = &["محمد", "علی", "امیر"];

pub(crate) struct NameTables {
    pub given: Vec<Name>,
    pub surnames: Vec<Name>,
    male: Weighted,
    female: Weighted,
    surname_weights: Weighted,
    /// Indexes into `given` of the male names, in the order of `male`'s weights.
    male_idx: Vec<usize>,
    female_idx: Vec<usize>,
}

impl NameTables {
    pub fn load() -> NameTables {
        let mut given = Vec::new();
        let mut male_idx = Vec::new();
        let mut female_idx = Vec::new();
        let mut male_w = Vec::new();
        let mut female_w = Vec::new();
        let mut rdr = csv::Reader::from_reader(GIVEN_NAMES_CSV.as_bytes());
        for rec in rdr.records().flatten() {
            let fa = rec.get(0).unwrap_or("");
            if fa.is_empty() {
                continue;
            }
            let gender = rec.get(2).unwrap_or("U");
            let idx = given.len();
            given.push(Name::new(
                fa,
                rec.get(3).unwrap_or(""),
                rec.get(4).unwrap_or(""),
            ));
            if gender != "F" {
                male_idx.push(idx);
                male_w.push(weight_of(COMMON_MALE, fa));
            }
            if gender != "M" {
                female_idx.push(idx);
                female_w.push(weight_of(COMMON_FEMALE, fa));
            }
        }
        let mut surnames = Vec::new();
        let mut surname_w = Vec::new();
        let mut rdr = csv::Reader::from_reader(SURNAMES_CSV.as_bytes());
        for rec in rdr.records().flatten() {
            let fa = rec.get(0).unwrap_or("");
            if fa.is_empty() || EXCLUDED_SURNAMES.contains(&fa) {
                continue;
            }
            surname_w.push(weight_of(COMMON_SURNAMES, fa));
            surnames.push(Name::new(
                fa,
                rec.get(2).unwrap_or(""),
                rec.get(3).unwrap_or(""),
            ));
        }
        NameTables {
            given,
            surnames,
            male: Weighted::new(&male_w),
            female: Weighted::new(&female_w),
            surname_weights: Weighted::new(&surname_w),
            male_idx,
            female_idx,
        }
    }

    pub fn draw_given<R: Rng>(&self, rng: &mut R, female: bool) -> usize {
        if female {
            self.female_idx[self.female.sample(rng)]
        } else {
            self.male_idx[self.male.sample(rng)]
        }
    }

    pub fn draw_surname<R: Rng>(&self, rng: &mut R) -> usize {
        self.surname_weights.sample(rng)
    }

    /// Whether a person of this surname is likely to carry the title Seyed.
    pub fn sayyid_likely(&self, surname: usize) -> bool {
        let fa = self.surnames[surname].fa.as_str();
        SAYYID_SURNAMES.contains(&fa) || fa.starts_with("میر")
    }

    /// The index of a given name by its Persian form.
    #[cfg(test)]
    pub fn given_index(&self, fa: &str) -> Option<usize> {
        self.given.iter().position(|n| n.fa == fa)
    }
}

fn weight_of(table: &[(&str, f64)], fa: &str) -> f64 {
    table
        .iter()
        .find(|(n, _)| *n == fa)
        .map_or(1.0, |(_, w)| *w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_with_latin_for_every_name() {
        let t = NameTables::load();
        assert!(t.given.len() > 1000, "{}", t.given.len());
        assert!(t.surnames.len() > 380, "{}", t.surnames.len());
        assert!(
            t.given
                .iter()
                .chain(&t.surnames)
                .all(|n| !n.latin[0].is_empty())
        );
        assert!(!t.surnames.iter().any(|n| n.fa == "خامنه‌ای"));
        let mohammad = &t.given[t.given_index("محمد").unwrap()];
        assert_eq!(mohammad.latin[0], "Mohammad");
        assert!(mohammad.latin.iter().any(|s| s == "Mohammed"));
    }
}
