//! The sources of the demo and the lists they send: who covers whom (each source
//! sees part of the truth, with its own blind spots, so lists overlap as real ones
//! do), and how each writes a row — its own headers, script, date style and noise.

use crate::dates::{DateStyle, format_date, jalali_year};
use crate::names::{Name, NameTables, SECOND_PARTS};
use crate::noise::{Join, arabic_letters, persian_digits, rejoin, typo};
use crate::people::{Person, Place, Places};
use crate::variants::title_case;
use gavah_core::{Category, Date, Outcome, Sex, SourceType};
use rand::Rng;
use rand::seq::SliceRandom;

/// A cell of a list as the source wrote it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    /// `bom`: starts with a UTF-8 byte order mark, as Excel's "CSV UTF-8" writes;
    /// `crlf`: Windows line ends.
    Csv {
        bom: bool,
        crlf: bool,
    },
    Xlsx {
        sheet: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    RightsGroup,
    PersianRights,
    Hospital,
    Field,
    Media,
    Families,
    Official,
    Detainees,
}

pub(crate) struct ListSpec {
    pub kind: ListKind,
    pub source_name: &'static str,
    pub source_type: SourceType,
    pub protected: bool,
    pub file_name: &'static str,
    pub format: FileFormat,
    pub headers: &'static [&'static str],
}

pub(crate) const RIGHTS_GROUP: &str = "HRANA-like rights group";
pub(crate) const PERSIAN_RIGHTS: &str = "Persian-language rights network";
pub(crate) const MEDIA: &str = "Diaspora news outlet";
pub(crate) const OFFICIAL: &str = "State news agency";

pub(crate) const LISTS: &[ListSpec] = &[
    ListSpec {
        kind: ListKind::RightsGroup,
        source_name: RIGHTS_GROUP,
        source_type: SourceType::RightsGroup,
        protected: false,
        file_name: "rights_group_victims.xlsx",
        format: FileFormat::Xlsx { sheet: "Victims" },
        headers: &[
            "Full name",
            "Age",
            "Gender",
            "City",
            "Province",
            "Date",
            "Status",
            "Category",
            "Source URL",
        ],
    },
    ListSpec {
        kind: ListKind::PersianRights,
        source_name: PERSIAN_RIGHTS,
        source_type: SourceType::RightsGroup,
        protected: false,
        file_name: "persian_rights_network.csv",
        format: FileFormat::Csv {
            bom: true,
            crlf: true,
        },
        headers: &[
            "ردیف",
            "نام و نام خانوادگی",
            "سن",
            "جنسیت",
            "شهر",
            "استان",
            "تاریخ",
            "وضعیت",
            "دسته",
        ],
    },
    ListSpec {
        kind: ListKind::Hospital,
        source_name: "Hospital and morgue lists",
        source_type: SourceType::HospitalMorgue,
        // Staff who pass these lists out risk arrest, so the source is protected.
        protected: true,
        file_name: "hospital_morgue.csv",
        format: FileFormat::Csv {
            bom: false,
            crlf: false,
        },
        headers: &[
            "ردیف",
            "نام و نام خانوادگی",
            "نام پدر",
            "سن",
            "جنسیت",
            "شهر",
            "تاریخ",
            "وضعیت",
            "دسته",
        ],
    },
    ListSpec {
        kind: ListKind::Field,
        source_name: "Field network reports",
        source_type: SourceType::FieldReport,
        protected: true,
        file_name: "field_reports.csv",
        format: FileFormat::Csv {
            bom: false,
            crlf: false,
        },
        headers: &[
            "نام",
            "نام خانوادگی",
            "نام پدر",
            "سن",
            "جنسیت",
            "شهر",
            "استان",
            "تاریخ",
            "وضعیت",
            "دسته",
            "شاهد",
            "شماره تماس",
            "یادداشت",
        ],
    },
    ListSpec {
        kind: ListKind::Media,
        source_name: MEDIA,
        source_type: SourceType::Media,
        protected: false,
        file_name: "media_reports.xlsx",
        format: FileFormat::Xlsx {
            sheet: "Named victims",
        },
        headers: &["Name", "Age", "Location", "Date", "Status"],
    },
    ListSpec {
        kind: ListKind::Families,
        source_name: "Families' reports",
        source_type: SourceType::Family,
        protected: false,
        file_name: "families_reports.csv",
        format: FileFormat::Csv {
            bom: false,
            crlf: true,
        },
        headers: &[
            "First name",
            "Last name",
            "Father's name",
            "Year of birth",
            "City",
            "Date",
            "Status",
        ],
    },
    ListSpec {
        kind: ListKind::Official,
        source_name: OFFICIAL,
        source_type: SourceType::Official,
        protected: false,
        file_name: "official_security_forces.csv",
        format: FileFormat::Csv {
            bom: false,
            crlf: false,
        },
        headers: &[
            "ردیف",
            "نام و نام خانوادگی",
            "سن",
            "شهر",
            "استان",
            "تاریخ",
            "وضعیت",
            "دسته",
        ],
    },
    ListSpec {
        kind: ListKind::Detainees,
        source_name: "Detainee support committee",
        source_type: SourceType::RightsGroup,
        protected: false,
        file_name: "detainee_committee.csv",
        format: FileFormat::Csv {
            bom: false,
            crlf: false,
        },
        headers: &[
            "ردیف",
            "نام و نام خانوادگی",
            "نام پدر",
            "سن",
            "شغل",
            "شهر",
            "استان",
            "تاریخ بازداشت",
            "وضعیت",
        ],
    },
];

/// One person's row in one list: who it is, and what the source says happened when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Appearance {
    /// Index into the people.
    pub person: usize,
    pub outcome: Outcome,
    pub date: Date,
}

/// Provinces the Persian-language network covers closely (Kurdish and Baluch
/// regions); elsewhere it hears of far fewer cases.
const PERSIAN_RIGHTS_REGIONS: &[&str] = &["IR-12", "IR-05", "IR-04", "IR-16", "IR-11"];

/// Provinces whose large hospitals and morgues leaked lists.
const HOSPITAL_PROVINCES: &[&str] = &[
    "IR-23", "IR-30", "IR-09", "IR-10", "IR-07", "IR-11", "IR-01", "IR-05", "IR-03",
];

/// The chance that a source lists a person: each source's reach differs by
/// outcome, category and region, which is what makes the lists' overlap
/// informative for estimation (and realistically uneven).
pub(crate) fn coverage(kind: ListKind, p: &Person, place: &Place) -> f64 {
    use Outcome::{Detained, Disappeared, Executed, Killed, Released, Sentenced, Wounded};
    let security = p.category == Category::SecurityForces;
    let prov = place.province_iso.as_str();
    let by_outcome = |k: f64, w: f64, d: f64, dis: f64, e: f64, r: f64, s: f64| match p.outcome {
        Killed => k,
        Wounded => w,
        Detained => d,
        Disappeared => dis,
        Executed => e,
        Released => r,
        Sentenced => s,
    };
    let p_list = match kind {
        ListKind::RightsGroup => {
            let base = if security {
                by_outcome(0.55, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0)
            } else {
                by_outcome(0.70, 0.15, 0.30, 0.5, 0.9, 0.25, 0.6)
            };
            // Fewer contacts in Sistan and Baluchestan.
            if prov == "IR-11" { base * 0.75 } else { base }
        }
        ListKind::PersianRights => {
            let region = if PERSIAN_RIGHTS_REGIONS.contains(&prov) {
                1.0
            } else {
                0.2
            };
            let base = if security {
                0.05
            } else {
                by_outcome(0.75, 0.4, 0.45, 0.6, 0.9, 0.3, 0.6)
            };
            region * base
        }
        ListKind::Hospital => {
            let base = by_outcome(0.55, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0);
            let region = if HOSPITAL_PROVINCES.contains(&prov) {
                1.0
            } else {
                0.2
            };
            base * region * if security { 0.6 } else { 1.0 }
        }
        ListKind::Field => {
            if security {
                0.02
            } else {
                by_outcome(0.35, 0.3, 0.2, 0.4, 0.2, 0.1, 0.1)
            }
        }
        ListKind::Media => {
            let base = if security {
                by_outcome(0.3, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0)
            } else {
                by_outcome(0.45, 0.04, 0.04, 0.15, 1.0, 0.03, 0.3)
            };
            // The deaths of women and children draw more coverage.
            if p.sex == Sex::Female || p.age < 18 {
                (base * 1.5).min(1.0)
            } else {
                base
            }
        }
        ListKind::Families => {
            if security {
                0.0
            } else {
                by_outcome(0.3, 0.05, 0.12, 0.6, 0.6, 0.15, 0.4)
            }
        }
        ListKind::Official => {
            if security && p.outcome == Killed {
                0.9
            } else {
                0.0
            }
        }
        ListKind::Detainees => {
            if security {
                0.0
            } else {
                by_outcome(0.0, 0.0, 0.3, 0.2, 0.5, 0.5, 0.7)
            }
        }
    };
    p_list.clamp(0.0, 1.0)
}

/// At most this many lists name one person.
const MAX_LISTS: usize = 4;

/// Decides which lists name each person (at least one, at most four) and what
/// each says happened. Returns one vector of appearances per list, in person order.
pub(crate) fn assign<R: Rng>(
    rng: &mut R,
    people: &[Person],
    places: &Places,
) -> Vec<Vec<Appearance>> {
    let mut out: Vec<Vec<Appearance>> = vec![Vec::new(); LISTS.len()];
    for (i, p) in people.iter().enumerate() {
        let place = &places.places[p.place];
        let probs: Vec<f64> = LISTS.iter().map(|l| coverage(l.kind, p, place)).collect();
        let mut chosen: Vec<usize> = (0..LISTS.len())
            .filter(|&l| rng.random_bool(probs[l]))
            .collect();
        if chosen.is_empty() {
            // Everyone in the truth is named somewhere: the people no list names
            // are the unknown remainder that estimation is for, and the demo does
            // not pretend to know them.
            let w = crate::weighted::Weighted::new(&probs);
            chosen.push(w.sample(rng));
        }
        if chosen.len() > MAX_LISTS {
            chosen.shuffle(rng);
            chosen.truncate(MAX_LISTS);
            chosen.sort_unstable();
        }
        for l in chosen {
            let (outcome, date) = reported(rng, LISTS[l].kind, p);
            out[l].push(Appearance {
                person: i,
                outcome,
                date,
            });
        }
    }
    out
}

/// What a list says happened to a person and on which day: later lists know of
/// releases and sentences that earlier ones still show as detentions, and some
/// dates are a day off.
fn reported<R: Rng>(rng: &mut R, kind: ListKind, p: &Person) -> (Outcome, Date) {
    let later = matches!(
        kind,
        ListKind::Families | ListKind::Detainees | ListKind::PersianRights
    );
    let mut outcome = p.outcome;
    let mut date = p.event_date;
    match p.outcome {
        Outcome::Detained => {
            if let Some(r) = p.released_on
                && later
                && rng.random_bool(0.6)
            {
                outcome = Outcome::Released;
                if kind != ListKind::Detainees {
                    date = r;
                }
            }
        }
        Outcome::Released => {
            if !later && rng.random_bool(0.5) {
                outcome = Outcome::Detained;
            } else if kind != ListKind::Detainees {
                date = p.released_on.unwrap_or(date);
            }
        }
        Outcome::Sentenced if !later && rng.random_bool(0.5) => {
            outcome = Outcome::Detained;
        }
        _ => {}
    }
    if rng.random_bool(0.08) {
        date = date.add_days(if rng.random_bool(0.5) { 1 } else { -1 });
    }
    (outcome, date)
}

/// How one source writes Persian names.
struct PersianStyle {
    /// Chance a row is typed with Arabic yeh and kaf.
    arabic: f64,
    /// Chance the title Seyed is written when the person carries it.
    seyed: f64,
    typo: f64,
    /// Chances a compound is joined with ZWNJ or with a space (else solid).
    zwnj: f64,
    space: f64,
}

/// How one source writes Latin names.
struct LatinStyle {
    variant: f64,
    seyed: f64,
    typo: f64,
}

pub(crate) struct Renderer<'a> {
    pub names: &'a NameTables,
    pub places: &'a Places,
    pub people: &'a [Person],
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn maybe<R: Rng>(rng: &mut R, missing: f64, cell: Cell) -> Cell {
    if rng.random_bool(missing) {
        Cell::Empty
    } else {
        cell
    }
}

pub(crate) fn status_fa(o: Outcome) -> &'static str {
    match o {
        Outcome::Killed => "کشته",
        Outcome::Wounded => "زخمی",
        Outcome::Detained => "بازداشت",
        Outcome::Disappeared => "ناپدید",
        Outcome::Executed => "اعدام",
        Outcome::Released => "آزاد",
        Outcome::Sentenced => "محکوم",
    }
}

fn category_fa(c: Category) -> &'static str {
    match c {
        Category::Protester => "معترض",
        Category::Bystander => "رهگذر",
        Category::SecurityForces => "نیروی امنیتی",
        Category::Unknown => "نامعلوم",
    }
}

fn category_en(c: Category) -> &'static str {
    match c {
        Category::Protester => "protester",
        Category::Bystander => "bystander",
        Category::SecurityForces => "security forces",
        Category::Unknown => "unknown",
    }
}

fn sex_fa(s: Sex) -> &'static str {
    match s {
        Sex::Male => "مرد",
        Sex::Female => "زن",
    }
}

impl Renderer<'_> {
    fn place(&self, p: &Person) -> &Place {
        &self.places.places[p.place]
    }

    /// The Persian given name with its second part, if any, in the row's joining style.
    fn given_fa(&self, p: &Person, join: Join) -> String {
        let first = &self.names.given[p.given].fa;
        match p.given_second {
            Some(k) => format!("{first}{}{}", join.glue(), SECOND_PARTS[k].0),
            None => first.clone(),
        }
    }

    fn persian_parts<R: Rng>(
        &self,
        rng: &mut R,
        p: &Person,
        st: &PersianStyle,
    ) -> (String, String) {
        let join = Join::draw(rng, st.zwnj, st.space);
        let mut given = self.given_fa(p, join);
        if p.seyed && rng.random_bool(st.seyed) {
            given = format!("سید {given}");
        }
        let mut surname = rejoin(&self.names.surnames[p.surname].fa, join);
        if rng.random_bool(st.arabic) {
            given = arabic_letters(&given);
            surname = arabic_letters(&surname);
        }
        if rng.random_bool(st.typo) {
            if rng.random_bool(0.5) {
                given = typo(rng, &given);
            } else {
                surname = typo(rng, &surname);
            }
        }
        (given, surname)
    }

    fn persian_full<R: Rng>(&self, rng: &mut R, p: &Person, st: &PersianStyle) -> String {
        let (g, s) = self.persian_parts(rng, p, st);
        format!("{g} {s}")
    }

    fn father_fa<R: Rng>(&self, rng: &mut R, p: &Person, arabic: f64) -> String {
        let f = self.names.given[p.father].fa.clone();
        if rng.random_bool(arabic) {
            arabic_letters(&f)
        } else {
            f
        }
    }

    fn latin_parts<R: Rng>(&self, rng: &mut R, p: &Person, st: &LatinStyle) -> (String, String) {
        let first: &Name = &self.names.given[p.given];
        let mut given = first.pick_latin(rng, st.variant);
        if let Some(k) = p.given_second {
            let second = SECOND_PARTS[k].1;
            given = match rng.random_range(0..3) {
                0 => format!("{given} {second}"),
                1 => format!("{given}-{second}"),
                _ => format!("{given}{}", second.to_lowercase()),
            };
        }
        if p.seyed && rng.random_bool(st.seyed) {
            let title = if rng.random_bool(st.variant) {
                ["Sayyed", "Seyyed", "Sayed", "Sayyid"][rng.random_range(0..4)]
            } else {
                "Seyed"
            };
            given = format!("{title} {given}");
        }
        let mut surname = self.names.surnames[p.surname].pick_latin(rng, st.variant);
        if rng.random_bool(st.typo) {
            if rng.random_bool(0.5) {
                given = typo(rng, &given);
            } else {
                surname = typo(rng, &surname);
            }
        }
        (title_case(&given), surname)
    }

    fn latin_full<R: Rng>(&self, rng: &mut R, p: &Person, st: &LatinStyle) -> String {
        let (g, s) = self.latin_parts(rng, p, st);
        format!("{g} {s}")
    }

    /// The age a source gives: sometimes a year off, since ages are often
    /// estimates by relatives or hospital staff.
    fn age<R: Rng>(rng: &mut R, p: &Person) -> u8 {
        if rng.random_bool(0.06) {
            if rng.random_bool(0.5) {
                p.age.saturating_add(1)
            } else {
                p.age.saturating_sub(1)
            }
        } else {
            p.age
        }
    }

    /// Renders one row of a list. `row` is the 1-based data row number, for
    /// lists that number their rows.
    pub fn row<R: Rng>(
        &self,
        rng: &mut R,
        kind: ListKind,
        a: &Appearance,
        row: usize,
    ) -> Vec<Cell> {
        let p = &self.people[a.person];
        match kind {
            ListKind::RightsGroup => self.rights_group(rng, p, a),
            ListKind::PersianRights => self.persian_rights(rng, p, a, row),
            ListKind::Hospital => self.hospital(rng, p, a, row),
            ListKind::Field => self.field(rng, p, a),
            ListKind::Media => self.media(rng, p, a),
            ListKind::Families => self.families(rng, p, a),
            ListKind::Official => self.official(rng, p, a, row),
            ListKind::Detainees => self.detainees(rng, p, a, row),
        }
    }

    fn rights_group<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance) -> Vec<Cell> {
        let st = LatinStyle {
            variant: 0.15,
            seyed: 0.5,
            typo: 0.03,
        };
        let place = self.place(p);
        let age = Self::age(rng, p);
        vec![
            text(self.latin_full(rng, p, &st)),
            maybe(rng, 0.10, Cell::Number(f64::from(age))),
            maybe(rng, 0.03, text(p.sex.as_str())),
            maybe(rng, 0.10, text(place.city_en.clone())),
            text(place.province_en.clone()),
            text(format_date(a.date, DateStyle::Iso)),
            text(a.outcome.as_str()),
            maybe(rng, 0.05, text(category_en(p.category))),
            text(format!(
                "https://example.org/hrana-like/cases/{}",
                rng.random_range(10_000..100_000)
            )),
        ]
    }

    fn persian_rights<R: Rng>(
        &self,
        rng: &mut R,
        p: &Person,
        a: &Appearance,
        row: usize,
    ) -> Vec<Cell> {
        let st = PersianStyle {
            arabic: 0.10,
            seyed: 0.6,
            typo: 0.03,
            zwnj: 0.6,
            space: 0.3,
        };
        let place = self.place(p);
        let age = Self::age(rng, p);
        vec![
            text(persian_digits(&row.to_string())),
            text(self.persian_full(rng, p, &st)),
            maybe(rng, 0.15, text(persian_digits(&age.to_string()))),
            maybe(rng, 0.05, text(sex_fa(p.sex))),
            maybe(rng, 0.12, text(place.city_fa.clone())),
            text(place.province_fa.clone()),
            text(format_date(a.date, DateStyle::JalaliSlashPersian)),
            text(status_fa(a.outcome)),
            maybe(rng, 0.05, text(category_fa(p.category))),
        ]
    }

    fn hospital<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance, row: usize) -> Vec<Cell> {
        let st = PersianStyle {
            arabic: 0.3,
            seyed: 0.3,
            typo: 0.05,
            zwnj: 0.2,
            space: 0.5,
        };
        let place = self.place(p);
        let status = if a.outcome == Outcome::Killed && rng.random_bool(0.4) {
            "فوت"
        } else {
            status_fa(a.outcome)
        };
        let name = self.persian_full(rng, p, &st);
        let father = self.father_fa(rng, p, 0.3);
        let age = Self::age(rng, p);
        vec![
            text(row.to_string()),
            text(name),
            maybe(rng, 0.6, text(father)),
            maybe(rng, 0.05, text(age.to_string())),
            maybe(rng, 0.02, text(sex_fa(p.sex))),
            text(place.city_fa.clone()),
            text(format_date(a.date, DateStyle::JalaliSlash)),
            text(status),
            maybe(rng, 0.12, text(category_fa(p.category))),
        ]
    }

    fn field<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance) -> Vec<Cell> {
        let st = PersianStyle {
            arabic: 0.25,
            seyed: 0.4,
            typo: 0.05,
            zwnj: 0.3,
            space: 0.5,
        };
        let place = self.place(p);
        let (given, surname) = self.persian_parts(rng, p, &st);
        let father = self.father_fa(rng, p, 0.25);
        let age = Self::age(rng, p).to_string();
        let age = if rng.random_bool(0.7) {
            persian_digits(&age)
        } else {
            age
        };
        let phone = phone(rng);
        vec![
            text(given),
            text(surname),
            maybe(rng, 0.5, text(father)),
            maybe(rng, 0.2, text(age)),
            maybe(rng, 0.1, text(sex_fa(p.sex))),
            maybe(rng, 0.15, text(place.city_fa.clone())),
            text(place.province_fa.clone()),
            text(format_date(a.date, DateStyle::JalaliWordsPersian)),
            text(status_fa(a.outcome)),
            maybe(rng, 0.1, text(category_fa(p.category))),
            text(self.witness(rng, p)),
            maybe(rng, 0.1, text(phone)),
            text(note(rng, a.outcome)),
        ]
    }

    /// A witness: a relative sharing the victim's surname, or an unrelated
    /// neighbour or colleague. Drawn from the name lists, never a real person.
    fn witness<R: Rng>(&self, rng: &mut R, p: &Person) -> String {
        let relations = ["برادر", "خواهر", "پدر", "مادر", "همسایه", "همکار", "دوست"];
        let rel = relations[rng.random_range(0..relations.len())];
        let female = matches!(rel, "خواهر" | "مادر");
        let given = &self.names.given[self.names.draw_given(rng, female)].fa;
        let surname = if matches!(rel, "برادر" | "خواهر" | "پدر") {
            &self.names.surnames[p.surname].fa
        } else {
            &self.names.surnames[self.names.draw_surname(rng)].fa
        };
        format!("{given} {surname} ({rel})")
    }

    fn media<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance) -> Vec<Cell> {
        let st = LatinStyle {
            variant: 0.5,
            seyed: 0.3,
            typo: 0.04,
        };
        let place = self.place(p);
        let age = Self::age(rng, p);
        let province = if rng.random_bool(0.1) {
            province_alias(&place.province_iso)
                .unwrap_or(&place.province_en)
                .to_string()
        } else {
            place.province_en.clone()
        };
        let x = rng.random::<f64>();
        // "Kermanshah, Kermanshah" reads oddly, so a capital of the same name
        // stands alone.
        let location = if x < 0.4 && place.city_en != place.province_en {
            format!("{}, {province}", place.city_en)
        } else if x < 0.88 {
            place.city_en.clone()
        } else {
            province
        };
        vec![
            text(self.latin_full(rng, p, &st)),
            maybe(rng, 0.25, Cell::Number(f64::from(age))),
            maybe(rng, 0.03, text(location)),
            text(format_date(a.date, DateStyle::English)),
            text(a.outcome.as_str()),
        ]
    }

    fn families<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance) -> Vec<Cell> {
        let place = self.place(p);
        if rng.random_bool(0.6) {
            let st = PersianStyle {
                arabic: 0.15,
                seyed: 0.5,
                typo: 0.04,
                zwnj: 0.4,
                space: 0.4,
            };
            let (given, surname) = self.persian_parts(rng, p, &st);
            let father = self.father_fa(rng, p, 0.15);
            let year = jalali_year(p.birth).to_string();
            let year = if rng.random_bool(0.3) {
                persian_digits(&year)
            } else {
                year
            };
            let style = if rng.random_bool(0.3) {
                DateStyle::JalaliSlashPersian
            } else {
                DateStyle::JalaliSlash
            };
            vec![
                text(given),
                text(surname),
                maybe(rng, 0.2, text(father)),
                maybe(rng, 0.1, text(year)),
                maybe(rng, 0.08, text(place.city_fa.clone())),
                text(format_date(a.date, style)),
                text(status_fa(a.outcome)),
            ]
        } else {
            let st = LatinStyle {
                variant: 0.4,
                seyed: 0.4,
                typo: 0.04,
            };
            let (given, surname) = self.latin_parts(rng, p, &st);
            let father = self.names.given[p.father].pick_latin(rng, 0.4);
            // Most families abroad give the Gregorian year, some the Jalali one.
            let year = if rng.random_bool(0.8) {
                p.birth.year()
            } else {
                jalali_year(p.birth)
            };
            let style = if rng.random_bool(0.6) {
                DateStyle::Iso
            } else {
                DateStyle::DayMonthYear
            };
            vec![
                text(given),
                text(surname),
                maybe(rng, 0.2, text(father)),
                maybe(rng, 0.1, text(year.to_string())),
                maybe(rng, 0.08, text(place.city_en.clone())),
                text(format_date(a.date, style)),
                text(a.outcome.as_str()),
            ]
        }
    }

    fn official<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance, row: usize) -> Vec<Cell> {
        // Official statements spell names carefully and give titles.
        let st = PersianStyle {
            arabic: 0.0,
            seyed: 0.9,
            typo: 0.01,
            zwnj: 0.9,
            space: 0.1,
        };
        let place = self.place(p);
        let branch = [
            "نیروی امنیتی",
            "نیروی امنیتی",
            "نیروی انتظامی",
            "نیروی انتظامی",
            "بسیج",
            "سپاه",
        ];
        vec![
            text(persian_digits(&row.to_string())),
            text(self.persian_full(rng, p, &st)),
            maybe(rng, 0.1, text(persian_digits(&p.age.to_string()))),
            maybe(rng, 0.05, text(place.city_fa.clone())),
            text(place.province_fa.clone()),
            text(format_date(a.date, DateStyle::JalaliDashPersian)),
            // The state calls its dead martyrs; the importer reads شهید as killed.
            text("شهید"),
            text(branch[rng.random_range(0..branch.len())]),
        ]
    }

    fn detainees<R: Rng>(&self, rng: &mut R, p: &Person, a: &Appearance, row: usize) -> Vec<Cell> {
        let st = PersianStyle {
            arabic: 0.1,
            seyed: 0.5,
            typo: 0.03,
            zwnj: 0.5,
            space: 0.3,
        };
        let place = self.place(p);
        let status = if a.outcome == Outcome::Released && rng.random_bool(0.3) {
            "با وثیقه آزاد"
        } else {
            status_fa(a.outcome)
        };
        let name = self.persian_full(rng, p, &st);
        let father = self.father_fa(rng, p, 0.1);
        let age = Self::age(rng, p);
        let occupation = p.occupation.map_or(Cell::Empty, text);
        vec![
            text(row.to_string()),
            text(name),
            maybe(rng, 0.4, text(father)),
            maybe(rng, 0.2, text(age.to_string())),
            maybe(rng, 0.3, occupation),
            maybe(rng, 0.1, text(place.city_fa.clone())),
            text(place.province_fa.clone()),
            text(format_date(a.date, DateStyle::DayMonthYear)),
            text(status),
        ]
    }
}

/// Other English spellings of some provinces that the gazetteer knows.
fn province_alias(iso: &str) -> Option<&'static str> {
    Some(match iso {
        "IR-09" => "Khorasan Razavi",
        "IR-10" => "Esfahan",
        "IR-11" => "Sistan & Baluchestan",
        "IR-12" => "Kordestan",
        _ => return None,
    })
}

/// An Iranian mobile number in the 09xx xxx xxxx form, in Persian digits when
/// typed on a Persian keyboard.
fn phone<R: Rng>(rng: &mut R) -> String {
    let prefixes = [
        "912", "913", "914", "915", "917", "919", "935", "936", "939", "901", "902", "990",
    ];
    let number = format!(
        "0{}{:07}",
        prefixes[rng.random_range(0..prefixes.len())],
        rng.random_range(0..10_000_000)
    );
    if rng.random_bool(0.4) {
        persian_digits(&number)
    } else {
        number
    }
}

/// A short note as a field collector writes it.
fn note<R: Rng>(rng: &mut R, o: Outcome) -> String {
    let notes: &[&str] = match o {
        Outcome::Killed => &[
            "اصابت گلوله جنگی به سر",
            "اصابت گلوله به سینه",
            "شلیک از فاصله نزدیک",
            "پیکر با تاخیر به خانواده تحویل داده شد",
            "خانواده تحت فشار برای سکوت",
        ],
        Outcome::Wounded => &[
            "اصابت ساچمه به چشم",
            "شکستگی دست بر اثر ضرب و شتم",
            "زخمی با گلوله ساچمه‌ای، از ترس بازداشت به بیمارستان نرفت",
            "در منزل درمان شد",
        ],
        Outcome::Detained => &[
            "در تجمع بازداشت شد",
            "از منزل بازداشت شد",
            "در بیمارستان بازداشت شد",
            "محل نگهداری نامعلوم",
        ],
        Outcome::Disappeared => &["خانواده از او بی‌خبر است", "آخرین بار در تجمع دیده شد"],
        Outcome::Executed => &["پس از دادگاهی کوتاه اعدام شد"],
        Outcome::Released => &["با قرار وثیقه آزاد شد"],
        Outcome::Sentenced => &["به حبس محکوم شد"],
    };
    notes[rng.random_range(0..notes.len())].to_string()
}

/// Orders a list's appearances as the source would send them: by date, ties in
/// the order the source heard of them (here random); families' reports arrive
/// unordered.
pub(crate) fn order<R: Rng>(rng: &mut R, kind: ListKind, apps: &mut [Appearance]) {
    apps.shuffle(rng);
    if kind != ListKind::Families {
        apps.sort_by_key(|a| a.date);
    }
}
