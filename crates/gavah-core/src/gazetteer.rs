//! The gazetteer of Iran's provinces and cities, in Persian and Latin spellings,
//! embedded in the binary so that places resolve offline.
//!
//! Place data © GeoNames (geonames.org), CC BY 4.0; province codes and names from
//! iso3166-2 (MIT). See `crates/gavah-core/data/ATTRIBUTION.md`.

use crate::normalize::match_key;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The attribution line to show wherever places are displayed or exported.
pub const ATTRIBUTION: &str = "Place data © GeoNames (geonames.org), CC BY 4.0.";

const PROVINCES_CSV: &str = include_str!("../data/provinces.csv");
const CITIES_CSV: &str = include_str!("../data/cities.csv");

/// One of Iran's 31 provinces (ostan).
#[derive(Debug, Clone, PartialEq)]
pub struct Province {
    /// Current ISO 3166-2 code, e.g. `IR-23` for Tehran.
    pub iso: String,
    pub name_en: String,
    pub name_fa: String,
    pub capital_en: String,
    pub capital_lat: f64,
    pub capital_lon: f64,
}

/// A populated place.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub geonameid: u32,
    pub name_en: String,
    pub name_fa: String,
    pub province_iso: String,
    pub population: u64,
    /// WGS84 coordinates of the place (GeoNames), for maps and GeoJSON.
    pub lat: f64,
    pub lon: f64,
}

/// The loaded gazetteer with its lookup indexes.
pub struct Gazetteer {
    provinces: Vec<Province>,
    cities: Vec<City>,
    province_index: HashMap<String, usize>,
    /// key → candidate cities, best first (primary names before alternates, then
    /// by population).
    city_index: HashMap<String, Vec<usize>>,
    city_by_id: HashMap<u32, usize>,
}

/// The embedded gazetteer, loaded on first use.
pub fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(Gazetteer::load)
}

/// Words around a place name that do not identify it.
const PLACE_NOISE: &[&str] = &["استان", "شهرستان", "province", "ostan", "city", "county"];

fn place_key(text: &str) -> String {
    let mut t = crate::normalize::normalize_text(text);
    for noise in PLACE_NOISE {
        if let Some(rest) = strip_word_ci(&t, noise) {
            t = rest;
        }
    }
    let key = match_key(&t);
    // "Sistan and Baluchestan", "Sistan & Baluchestan" and "Sistan va Baluchestan"
    // share a key.
    key.replace("and", "").replace("va", "")
}

fn strip_word_ci(text: &str, word: &str) -> Option<String> {
    // Works on whole words, so lower-casing can never cut a character in two.
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() < 2 {
        return None;
    }
    if words[0].to_lowercase() == word {
        return Some(words[1..].join(" "));
    }
    if words[words.len() - 1].to_lowercase() == word {
        return Some(words[..words.len() - 1].join(" "));
    }
    None
}

fn field(rec: &csv::StringRecord, i: usize) -> &str {
    rec.get(i).unwrap_or("")
}

impl Gazetteer {
    fn load() -> Gazetteer {
        let mut provinces = Vec::new();
        let mut province_index = HashMap::new();
        let mut rdr = csv::Reader::from_reader(PROVINCES_CSV.as_bytes());
        for rec in rdr.records().flatten() {
            let p = Province {
                iso: field(&rec, 0).to_string(),
                name_en: field(&rec, 4).to_string(),
                name_fa: field(&rec, 6).to_string(),
                capital_en: field(&rec, 7).to_string(),
                capital_lat: field(&rec, 10).parse().unwrap_or(0.0),
                capital_lon: field(&rec, 11).parse().unwrap_or(0.0),
            };
            let idx = provinces.len();
            for name in [
                field(&rec, 0),
                field(&rec, 4),
                field(&rec, 5),
                field(&rec, 6),
                field(&rec, 2),
            ] {
                province_index.insert(place_key(name), idx);
            }
            provinces.push(p);
        }
        // Common spellings the ISO and English names miss.
        for (alias, iso) in [
            ("Azerbaijan East", "IR-03"),
            ("Azarbaijan Sharghi", "IR-03"),
            ("Azerbaijan West", "IR-04"),
            ("Azarbaijan Gharbi", "IR-04"),
            ("Khorasan Razavi", "IR-09"),
            ("Khorasan-e Razavi", "IR-09"),
            ("Kordestan", "IR-12"),
            ("Kurdestan", "IR-12"),
            ("Luristan", "IR-15"),
            ("Esfahan", "IR-10"),
            ("Sistan Baluchestan", "IR-11"),
            ("Sistan and Baluchistan", "IR-11"),
            ("Kohkiluyeh and Boyer-Ahmad", "IR-17"),
            ("Kohgiluyeh va Boyerahmad", "IR-17"),
            ("Chaharmahal Bakhtiari", "IR-14"),
            ("Chahar Mahaal and Bakhtiari", "IR-14"),
            ("Teheran", "IR-23"),
            ("Khorasan Shomali", "IR-28"),
            ("Khorasan Jonoubi", "IR-29"),
        ] {
            if let Some(idx) = provinces.iter().position(|p| p.iso == iso) {
                province_index.insert(place_key(alias), idx);
            }
        }

        let mut cities = Vec::new();
        let mut primary: HashMap<String, Vec<usize>> = HashMap::new();
        let mut alternate: HashMap<String, Vec<usize>> = HashMap::new();
        let mut rdr = csv::Reader::from_reader(CITIES_CSV.as_bytes());
        for rec in rdr.records().flatten() {
            if !field(&rec, 7).is_empty() {
                // GeoNames keeps a few duplicate rows; the earlier row stands for both.
                continue;
            }
            let Ok(geonameid) = field(&rec, 0).parse::<u32>() else {
                continue;
            };
            let idx = cities.len();
            cities.push(City {
                geonameid,
                name_en: field(&rec, 1).to_string(),
                name_fa: field(&rec, 2).to_string(),
                province_iso: field(&rec, 5).to_string(),
                population: field(&rec, 6).parse().unwrap_or(0),
                lat: field(&rec, 8).parse().unwrap_or(0.0),
                lon: field(&rec, 9).parse().unwrap_or(0.0),
            });
            for name in [field(&rec, 1), field(&rec, 2)] {
                if !name.is_empty() {
                    primary.entry(place_key(name)).or_default().push(idx);
                }
            }
            for name in field(&rec, 3).split('|').chain(field(&rec, 4).split('|')) {
                // Airport codes and other all-capital abbreviations are not names.
                let is_code = name.len() <= 4 && name.chars().all(|c| c.is_ascii_uppercase());
                if !name.is_empty() && !is_code {
                    alternate.entry(place_key(name)).or_default().push(idx);
                }
            }
        }
        let by_population = |v: &mut Vec<usize>| {
            v.sort_by_key(|&i| std::cmp::Reverse(cities[i].population));
            v.dedup();
        };
        let mut city_index: HashMap<String, Vec<usize>> = HashMap::new();
        for (key, mut v) in primary {
            by_population(&mut v);
            city_index.insert(key, v);
        }
        for (key, mut v) in alternate {
            by_population(&mut v);
            let entry = city_index.entry(key).or_default();
            for i in v {
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        city_index.retain(|k, _| !k.is_empty());
        let city_by_id = cities
            .iter()
            .enumerate()
            .map(|(i, c)| (c.geonameid, i))
            .collect();
        Gazetteer {
            provinces,
            cities,
            province_index,
            city_index,
            city_by_id,
        }
    }

    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    /// A province by ISO code, English, ISO or Persian name (with or without
    /// the word استان / province).
    pub fn province(&self, text: &str) -> Option<&Province> {
        let key = place_key(text);
        if key.is_empty() {
            return None;
        }
        self.province_index.get(&key).map(|&i| &self.provinces[i])
    }

    pub fn province_by_iso(&self, iso: &str) -> Option<&Province> {
        self.provinces.iter().find(|p| p.iso == iso)
    }

    pub fn city_by_id(&self, geonameid: u32) -> Option<&City> {
        self.city_by_id.get(&geonameid).map(|&i| &self.cities[i])
    }

    /// A city by name in either script. Within `province` when one is given;
    /// otherwise the best-ranked place of that name (primary name before
    /// alternate names, then the most populous).
    pub fn city(&self, text: &str, province: Option<&str>) -> Option<&City> {
        let key = place_key(text);
        let candidates = self.city_index.get(&key)?;
        let mut it = candidates.iter().map(|&i| &self.cities[i]);
        match province {
            Some(p) => it.find(|c| c.province_iso == p),
            None => it.next(),
        }
    }

    /// The name of a province in the language asked for.
    pub fn province_name(&self, iso: &str, persian: bool) -> Option<&str> {
        self.province_by_iso(iso).map(|p| {
            if persian {
                p.name_fa.as_str()
            } else {
                p.name_en.as_str()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_resolve_in_both_scripts() {
        let g = gazetteer();
        assert_eq!(g.provinces().len(), 31);
        for (text, iso) in [
            ("Tehran", "IR-23"),
            ("تهران", "IR-23"),
            ("استان تهران", "IR-23"),
            ("Tehran Province", "IR-23"),
            ("IR-23", "IR-23"),
            ("Sistan & Baluchestan", "IR-11"),
            ("سيستان و بلوچستان", "IR-11"),
            ("Kordestan", "IR-12"),
            ("آذربایجان غربی", "IR-04"),
            ("Khorasan Razavi", "IR-09"),
            ("Eşfahān", "IR-10"),
        ] {
            assert_eq!(
                g.province(text).map(|p| p.iso.as_str()),
                Some(iso),
                "{text}"
            );
        }
        assert!(g.province("Atlantis").is_none());
        assert!(g.province("").is_none());
    }

    #[test]
    fn cities_resolve_in_both_scripts() {
        let g = gazetteer();
        for (text, en, iso) in [
            ("Zahedan", "Zahedan", "IR-11"),
            ("زاهدان", "Zahedan", "IR-11"),
            ("Mashhad", "Mashhad", "IR-09"),
            ("مشهد", "Mashhad", "IR-09"),
            ("Isfahan", "Isfahan", "IR-10"),
            ("اصفهان", "Isfahan", "IR-10"),
            ("Rasht", "Rasht", "IR-01"),
            ("کرمانشاه", "Kermanshah", "IR-05"),
        ] {
            let c = g
                .city(text, None)
                .unwrap_or_else(|| panic!("{text} did not resolve"));
            assert_eq!(
                (c.name_en.as_str(), c.province_iso.as_str()),
                (en, iso),
                "{text}"
            );
        }
        assert!(g.city("Nowhereabad", None).is_none());
        // Within a province the answer stays in that province.
        let c = g.city("Tehran", Some("IR-23")).unwrap();
        assert_eq!(c.province_iso, "IR-23");
    }
}
