//! The ground truth: the people of the synthetic crisis, each with a name, age,
//! place, category, outcome and dates, drawn so that the totals look like the
//! first weeks after 28 December 2025 (a peak of violence around 6–10 January,
//! Zahedan, Kurdish cities and the large cities hit hardest).

use crate::names::{EXCLUDED_PAIRS, FIRST_PARTS, NameTables, SECOND_PARTS};
use crate::weighted::{Weighted, pick};
use gavah_core::gazetteer::{City, gazetteer};
use gavah_core::{Category, Date, Outcome, Sex};
use rand::Rng;

/// How many days the generated events span from 28 December 2025.
pub(crate) const DAYS: i32 = 31;

pub(crate) fn start_date() -> Date {
    Date::from_days(START_DAYS)
}

/// 2025-12-28 as days since 1970-01-01, so no fallible constructor is needed.
const START_DAYS: i32 = 20_450;

/// Cities smaller than this are left out: they rarely have their own entries in
/// casualty lists, and about 200 cities remain, close to the 186+ cities where
/// protests were reported.
const MIN_POPULATION: u64 = 40_000;

/// Cities where the crackdown was heaviest, with a multiplier on their weight.
const HOTSPOTS: &[(&str, f64)] = &[
    ("Tehran", 4.0),
    ("Zahedan", 5.0),
    ("Mashhad", 1.8),
    ("Isfahan", 2.0),
    ("Kermanshah", 3.0),
    ("Rasht", 2.5),
    ("Tabriz", 2.0),
    ("Shiraz", 2.0),
    ("Karaj", 2.5),
    ("Sanandaj", 3.0),
    ("Mahabad", 3.0),
    ("Saqqez", 3.0),
    ("Piranshahr", 2.5),
    ("Bukan", 2.5),
    ("Javanrud", 3.0),
    ("Izeh", 2.5),
    ("Khash", 2.5),
    ("Iranshahr", 2.0),
];

/// Provinces where protesters were more often killed than elsewhere.
const LETHAL_PROVINCES: &[&str] = &["IR-11", "IR-12", "IR-05", "IR-04"];

/// GeoNames' Persian pick for a few cities is a misspelling; these are what a
/// Persian writer would put.
const PERSIAN_CITY_FIXES: &[(&str, &str)] = &[("Isfahan", "اصفهان")];

#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub city_en: String,
    pub city_fa: String,
    pub province_iso: String,
    pub province_en: String,
    pub province_fa: String,
}

pub(crate) struct Places {
    pub places: Vec<Place>,
    weights: Weighted,
}

impl Places {
    pub fn load() -> Places {
        let g = gazetteer();
        let mut places = Vec::new();
        let mut weights = Vec::new();
        let cities: Vec<&City> = g
            .cities()
            .iter()
            .filter(|c| c.population >= MIN_POPULATION && !c.name_fa.is_empty())
            .collect();
        for c in cities {
            let Some(p) = g.province_by_iso(&c.province_iso) else {
                continue;
            };
            // Protest and repression track population, but less than
            // proportionally: small towns had deaths too. The square root is
            // correctly rounded everywhere, unlike `powf`, so seeds stay portable.
            #[allow(clippy::cast_precision_loss)]
            let mut w = (c.population as f64).sqrt();
            if let Some((_, boost)) = HOTSPOTS.iter().find(|(n, _)| *n == c.name_en) {
                w *= boost;
            }
            let city_fa = PERSIAN_CITY_FIXES
                .iter()
                .find(|(en, _)| *en == c.name_en)
                .map_or(c.name_fa.clone(), |(_, fa)| (*fa).to_string());
            places.push(Place {
                city_en: c.name_en.clone(),
                city_fa,
                province_iso: p.iso.clone(),
                province_en: p.name_en.clone(),
                province_fa: p.name_fa.clone(),
            });
            weights.push(w);
        }
        Places {
            weights: Weighted::new(&weights),
            places,
        }
    }

    fn draw<R: Rng>(&self, rng: &mut R) -> usize {
        self.weights.sample(rng)
    }
}

/// One person of the ground truth.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    /// 1-based, as written in truth.csv.
    pub id: u32,
    pub sex: Sex,
    /// Index into the given-name table.
    pub given: usize,
    /// The second part of a double given name (محمد حسین), index into
    /// `SECOND_PARTS`.
    pub given_second: Option<usize>,
    pub surname: usize,
    pub father: usize,
    /// Carries the title Seyed, which lists write or leave out.
    pub seyed: bool,
    pub birth: Date,
    /// Age on the day of the event.
    pub age: u8,
    pub category: Category,
    pub outcome: Outcome,
    /// The day of death, injury, arrest or disappearance; for the executed, the
    /// day of execution.
    pub event_date: Date,
    /// For a detained person set free later, the day of release.
    pub released_on: Option<Date>,
    /// Index into `Places::places`.
    pub place: usize,
    pub occupation: Option<&'static str>,
}

impl Person {
    pub fn killed(&self) -> bool {
        matches!(self.outcome, Outcome::Killed | Outcome::Executed)
    }

    /// Arrested at some point (and so counted in detention figures).
    pub fn arrested(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Detained | Outcome::Released | Outcome::Sentenced | Outcome::Executed
        )
    }
}

/// The shape of the days: quiet at first, a peak on days 9–13 (6–10 January),
/// then fewer reports as the blackout takes hold. A table rather than a formula:
/// `exp` and `powf` may round differently on other platforms, which would change
/// the files a seed gives.
const DAY_WEIGHTS: [f64; DAYS as usize] = [
    0.3, 0.5, 0.7, 0.9, 1.2, 1.5, 2.1, 3.1, 4.6, 6.2, 7.5, 8.0, 7.5, 6.2, 4.6, 3.1, 2.1, 1.5, 1.0,
    0.8, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6,
];

const OCCUPATIONS: &[&str] = &[
    "کارگر",
    "کاسب",
    "راننده",
    "معلم",
    "پرستار",
    "مهندس",
    "بیکار",
    "کارمند",
    "ورزشکار",
    "آرایشگر",
    "نانوا",
    "دستفروش",
];

pub(crate) fn generate<R: Rng>(
    rng: &mut R,
    n: usize,
    names: &NameTables,
    places: &Places,
) -> Vec<Person> {
    let days = Weighted::new(&DAY_WEIGHTS);
    let start = start_date();
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let category = pick(
            rng,
            &[
                (Category::Protester, 85.0),
                (Category::Bystander, 8.0),
                (Category::SecurityForces, 5.0),
                (Category::Unknown, 2.0),
            ],
        );
        let security = category == Category::SecurityForces;
        let sex = if !security && rng.random_bool(0.15) {
            Sex::Female
        } else {
            Sex::Male
        };
        let place = places.draw(rng);
        let lethal = LETHAL_PROVINCES.contains(&places.places[place].province_iso.as_str());

        let outcome = if security {
            pick(rng, &[(Outcome::Killed, 35.0), (Outcome::Wounded, 65.0)])
        } else {
            let killed = if lethal { 18.0 } else { 10.0 };
            pick(
                rng,
                &[
                    (Outcome::Killed, killed),
                    (Outcome::Wounded, 14.0),
                    (Outcome::Detained, 66.0),
                    (Outcome::Disappeared, 3.0),
                    (Outcome::Executed, 0.5),
                    (Outcome::Released, 2.0),
                    (Outcome::Sentenced, 1.8),
                ],
            )
        };

        let mut day = i32::try_from(days.sample(rng)).unwrap_or(0);
        // Arrests go on after the shooting stops, and executions come weeks later.
        match outcome {
            Outcome::Detained | Outcome::Sentenced | Outcome::Released => {
                day = (day + rng.random_range(0..4)).min(DAYS - 1);
            }
            Outcome::Executed => day = rng.random_range(20..42),
            _ => {}
        }
        let event_date = start.add_days(day);
        let released_on = match outcome {
            Outcome::Detained if rng.random_bool(0.35) => {
                Some(event_date.add_days(rng.random_range(3..26)))
            }
            Outcome::Released => Some(event_date.add_days(rng.random_range(1..8))),
            _ => None,
        };

        let age: i32 = if security {
            rng.random_range(19..=50)
        } else {
            let x = rng.random::<f64>();
            if x < 0.04 {
                rng.random_range(10..15)
            } else if x < 0.92 {
                // Skewed young: most of those killed and arrested were in their twenties.
                let u = rng.random::<f64>();
                #[allow(clippy::cast_possible_truncation)]
                let a = 15 + (u * u.sqrt() * 31.0) as i32;
                a
            } else {
                rng.random_range(46..=72)
            }
        };
        // A birthday somewhere in the year, and the age recomputed from it, so
        // that age and year of birth in different lists agree as they would.
        let birth =
            Date::from_days(event_date.to_days() - age * 365 - age / 4 - rng.random_range(0..365));
        let age = age_on(birth, event_date);

        let female = sex == Sex::Female;
        let (given, surname) = loop {
            let g = names.draw_given(rng, female);
            let s = names.draw_surname(rng);
            let pair = (names.given[g].fa.as_str(), names.surnames[s].fa.as_str());
            if !EXCLUDED_PAIRS.contains(&pair) {
                break (g, s);
            }
        };
        let given_second = (!female
            && FIRST_PARTS.contains(&names.given[given].fa.as_str())
            && rng.random_bool(0.3))
        .then(|| rng.random_range(0..SECOND_PARTS.len()))
        .filter(|&k| SECOND_PARTS[k].0 != names.given[given].fa);
        let father = names.draw_given(rng, false);
        let seyed = !female
            && rng.random_bool(if names.sayyid_likely(surname) {
                0.5
            } else {
                0.03
            });
        let occupation = if age < 18 {
            Some("دانش‌آموز")
        } else if age < 25 && rng.random_bool(0.5) {
            Some("دانشجو")
        } else if rng.random_bool(0.7) {
            Some(OCCUPATIONS[rng.random_range(0..OCCUPATIONS.len())])
        } else {
            None
        };

        people.push(Person {
            id: u32::try_from(i + 1).unwrap_or(u32::MAX),
            sex,
            given,
            given_second,
            surname,
            father,
            seyed,
            birth,
            age,
            category,
            outcome,
            event_date,
            released_on,
            place,
            occupation,
        });
    }
    people
}

/// Whole years from `birth` to `on`.
pub(crate) fn age_on(birth: Date, on: Date) -> u8 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u8::try_from(years.max(0)).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_is_28_december_2025() {
        assert_eq!(start_date().to_string(), "2025-12-28");
    }

    #[test]
    fn places_cover_every_province() {
        let p = Places::load();
        let mut provinces: Vec<&str> = p.places.iter().map(|p| p.province_iso.as_str()).collect();
        provinces.sort_unstable();
        provinces.dedup();
        assert_eq!(provinces.len(), 31);
        assert!(p.places.len() > 200, "{}", p.places.len());
        assert!(p.places.iter().any(|p| p.city_fa == "اصفهان"));
    }
}
