//! Published figures and claims of the demo: a rights group's growing "at least"
//! counts, an official source's lower "about" figures, a media outlet's counts, and
//! a handful of contested statements with their status history.
//!
//! Each figure is derived from the generated data (the group counts what its own
//! list names by that day; the state counts its own dead exactly and everyone
//! else's low), so the figures disagree with each other the way published ones do
//! while staying consistent with the lists.

use crate::people::{DAYS, Person, Places, start_date};
use crate::sources::{Appearance, MEDIA, OFFICIAL, PERSIAN_RIGHTS, RIGHTS_GROUP};
use crate::{DemoClaim, DemoClaimStatus};
use gavah_core::{Category, ClaimStatus, Date, Outcome};

pub(crate) const FIGURE_HEADERS: &[&str] = &[
    "source",
    "source_type",
    "metric",
    "value",
    "qualifier",
    "as_of",
    "province",
    "category",
    "citation",
];

pub(crate) struct FigureRow {
    pub source: &'static str,
    pub source_type: &'static str,
    pub metric: &'static str,
    pub value: u64,
    pub qualifier: &'static str,
    pub as_of: Date,
    pub province: String,
    pub category: &'static str,
    pub citation: String,
}

impl FigureRow {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.source.to_string(),
            self.source_type.to_string(),
            self.metric.to_string(),
            self.value.to_string(),
            self.qualifier.to_string(),
            self.as_of.to_string(),
            self.province.clone(),
            self.category.to_string(),
            self.citation.clone(),
        ]
    }
}

/// What the figures are computed from.
pub(crate) struct FigureInput<'a> {
    pub people: &'a [Person],
    pub places: &'a Places,
    pub rights_group: &'a [Appearance],
    pub official: &'a [Appearance],
    pub media: &'a [Appearance],
}

fn count(
    apps: &[Appearance],
    people: &[Person],
    until: Date,
    f: impl Fn(&Appearance, &Person) -> bool,
) -> u64 {
    apps.iter()
        .filter(|a| a.date <= until && f(a, &people[a.person]))
        .count() as u64
}

fn round_down(v: u64, step: u64) -> u64 {
    if v < step { v } else { v / step * step }
}

fn round_near(v: u64, step: u64) -> u64 {
    if v < step {
        v
    } else {
        (v + step / 2) / step * step
    }
}

fn citation(site: &str, path: &str, as_of: Date) -> String {
    format!("https://{site}/{path}/{as_of}")
}

pub(crate) fn figures(input: &FigureInput<'_>) -> Vec<FigureRow> {
    let people = input.people;
    let start = start_date();
    let mut rows = Vec::new();
    let killed =
        |a: &Appearance, _: &Person| matches!(a.outcome, Outcome::Killed | Outcome::Executed);

    // The rights group's daily updates: what its list names by the day before,
    // since each name takes a day to confirm.
    let mut day = 3;
    while day <= DAYS + 2 {
        let as_of = start.add_days(day);
        let until = as_of.add_days(-1);
        let cite = citation("example.org", "hrana-like/daily-update", as_of);
        rows.push(FigureRow {
            source: RIGHTS_GROUP,
            source_type: "rights-group",
            metric: "killed",
            value: count(input.rights_group, people, until, killed),
            qualifier: "at-least",
            as_of,
            province: String::new(),
            category: "",
            citation: cite.clone(),
        });
        // Detention counts also take in reports that give numbers but no names,
        // so they are closer to the truth than the named list.
        let detained = people
            .iter()
            .filter(|p| p.arrested() && p.event_date <= until)
            .count() as u64;
        rows.push(FigureRow {
            source: RIGHTS_GROUP,
            source_type: "rights-group",
            metric: "detained",
            value: round_down(detained * 9 / 10, 10),
            qualifier: "at-least",
            as_of,
            province: String::new(),
            category: "",
            citation: cite,
        });
        day += if day < 16 { 2 } else { 4 };
    }

    // The final update splits the dead by category and names the worst-hit
    // provinces, as the group's two-week summary did.
    let last = start.add_days(DAYS + 2);
    let until = last.add_days(-1);
    let cite = citation("example.org", "hrana-like/summary", last);
    for (category, code) in [
        (Category::Protester, "protester"),
        (Category::SecurityForces, "security-forces"),
    ] {
        rows.push(FigureRow {
            source: RIGHTS_GROUP,
            source_type: "rights-group",
            metric: "killed",
            value: count(input.rights_group, people, until, |a, p| {
                killed(a, p) && p.category == category
            }),
            qualifier: "at-least",
            as_of: last,
            province: String::new(),
            category: code,
            citation: cite.clone(),
        });
    }
    let mut by_province: Vec<(String, u64)> = Vec::new();
    for a in input
        .rights_group
        .iter()
        .filter(|a| killed(a, &people[a.person]))
    {
        let iso = &input.places.places[people[a.person].place].province_iso;
        match by_province.iter_mut().find(|(p, _)| p == iso) {
            Some((_, n)) => *n += 1,
            None => by_province.push((iso.clone(), 1)),
        }
    }
    // Ties are broken by code so the order never depends on anything but the data.
    by_province.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (iso, n) in by_province.into_iter().take(3) {
        rows.push(FigureRow {
            source: RIGHTS_GROUP,
            source_type: "rights-group",
            metric: "killed",
            value: n,
            qualifier: "at-least",
            as_of: last,
            province: iso,
            category: "",
            citation: cite.clone(),
        });
    }
    let mut cities: Vec<usize> = input
        .rights_group
        .iter()
        .map(|a| people[a.person].place)
        .collect();
    cities.sort_unstable();
    cities.dedup();
    rows.push(FigureRow {
        source: RIGHTS_GROUP,
        source_type: "rights-group",
        metric: "cities",
        value: cities.len() as u64,
        qualifier: "at-least",
        as_of: last,
        province: String::new(),
        category: "",
        citation: cite,
    });

    // The state's figures: its own dead exactly, everyone's dead and the
    // detained about a third of what happened, in round numbers.
    for day in [8, 13, 18, 25] {
        let as_of = start.add_days(day);
        let cite = citation("example.net", "state-news/statement", as_of);
        let all_killed = people
            .iter()
            .filter(|p| p.killed() && p.event_date < as_of)
            .count() as u64;
        let security = count(input.official, people, as_of, |_, _| true);
        rows.push(FigureRow {
            source: OFFICIAL,
            source_type: "official",
            metric: "killed",
            value: round_near(security + all_killed.saturating_sub(security) / 4, 10),
            qualifier: "about",
            as_of,
            province: String::new(),
            category: "",
            citation: cite.clone(),
        });
        rows.push(FigureRow {
            source: OFFICIAL,
            source_type: "official",
            metric: "killed",
            value: security,
            qualifier: "exactly",
            as_of,
            province: String::new(),
            category: "security-forces",
            citation: cite.clone(),
        });
        let detained = people
            .iter()
            .filter(|p| p.arrested() && p.event_date < as_of)
            .count() as u64;
        rows.push(FigureRow {
            source: OFFICIAL,
            source_type: "official",
            metric: "detained",
            value: round_near(detained / 3, 100),
            qualifier: "about",
            as_of,
            province: String::new(),
            category: "",
            citation: cite,
        });
    }

    // The media outlet: the dead it has named, and how many cities saw protests.
    for day in [6, 11, 15, 22, 29] {
        let as_of = start.add_days(day);
        let cite = citation("example.com", "news/iran-protests", as_of);
        rows.push(FigureRow {
            source: MEDIA,
            source_type: "media",
            metric: "killed",
            value: count(input.media, people, as_of, killed),
            qualifier: "at-least",
            as_of,
            province: String::new(),
            category: "",
            citation: cite.clone(),
        });
        let mut places: Vec<usize> = people
            .iter()
            .filter(|p| p.event_date <= as_of)
            .map(|p| p.place)
            .collect();
        places.sort_unstable();
        places.dedup();
        rows.push(FigureRow {
            source: MEDIA,
            source_type: "media",
            metric: "cities",
            value: round_down(places.len() as u64, 5),
            qualifier: "about",
            as_of,
            province: String::new(),
            category: "",
            citation: cite,
        });
    }

    // The Persian-language network reports the wounded in the regions it covers,
    // where hospitals are watched and most wounded stay at home.
    let wounded = people
        .iter()
        .filter(|p| p.outcome == Outcome::Wounded)
        .count() as u64;
    rows.push(FigureRow {
        source: PERSIAN_RIGHTS,
        source_type: "rights-group",
        metric: "wounded",
        value: round_down(wounded / 2, 10),
        qualifier: "at-least",
        as_of: start.add_days(20),
        province: String::new(),
        category: "",
        citation: citation("example.org", "rights-network/wounded", start.add_days(20)),
    });

    rows.sort_by_key(|r| r.as_of);
    rows
}

fn status(status: ClaimStatus, by: &str, date: Date, note: Option<&str>) -> DemoClaimStatus {
    DemoClaimStatus {
        status,
        by: by.to_string(),
        date,
        note: note.map(str::to_string),
    }
}

/// The claims register of the demo. `killed` is the rights group's named dead,
/// quoted in its dispute of the official statement.
pub(crate) fn claims(killed_named: u64) -> Vec<DemoClaim> {
    let d = |day| start_date().add_days(day);
    vec![
        DemoClaim {
            by: OFFICIAL.to_string(),
            date: d(12),
            text: "The figures published abroad are exaggerated".to_string(),
            citation: Some("https://example.net/state-news/statement/figures".to_string()),
            statuses: vec![
                status(ClaimStatus::Claimed, OFFICIAL, d(12), None),
                status(
                    ClaimStatus::Disputed,
                    RIGHTS_GROUP,
                    d(13),
                    Some(&format!(
                        "Our list names {killed_named} people killed, each with a source"
                    )),
                ),
            ],
        },
        DemoClaim {
            by: MEDIA.to_string(),
            date: d(14),
            text: "They want to negotiate".to_string(),
            citation: Some("https://example.com/news/negotiations".to_string()),
            statuses: vec![
                status(ClaimStatus::Claimed, MEDIA, d(14), None),
                status(
                    ClaimStatus::Unconfirmed,
                    MEDIA,
                    d(16),
                    Some("Neither side has confirmed or denied talks"),
                ),
            ],
        },
        DemoClaim {
            by: RIGHTS_GROUP.to_string(),
            date: d(11),
            text: "Security forces raided a hospital to arrest wounded protesters".to_string(),
            citation: Some("https://example.org/hrana-like/hospital-raid".to_string()),
            statuses: vec![
                status(ClaimStatus::Claimed, RIGHTS_GROUP, d(11), None),
                status(
                    ClaimStatus::Denied,
                    OFFICIAL,
                    d(12),
                    Some("The ministry says no arrests took place in hospitals"),
                ),
                status(
                    ClaimStatus::Confirmed,
                    MEDIA,
                    d(15),
                    Some(
                        "Two videos of the raid geolocated to the hospital entrance; staff accounts agree",
                    ),
                ),
            ],
        },
        DemoClaim {
            by: MEDIA.to_string(),
            date: d(13),
            text: "A makeshift morgue holds dozens of bodies in a warehouse south of Tehran"
                .to_string(),
            citation: Some("https://example.com/news/makeshift-morgue".to_string()),
            statuses: vec![
                status(ClaimStatus::Claimed, MEDIA, d(13), None),
                status(
                    ClaimStatus::Confirmed,
                    MEDIA,
                    d(14),
                    Some("Footage verified by two news agencies"),
                ),
            ],
        },
        DemoClaim {
            by: OFFICIAL.to_string(),
            date: d(19),
            text: "Internet access has been restored across the country".to_string(),
            citation: Some("https://example.net/state-news/statement/internet".to_string()),
            statuses: vec![
                status(ClaimStatus::Claimed, OFFICIAL, d(19), None),
                status(
                    ClaimStatus::Disputed,
                    RIGHTS_GROUP,
                    d(20),
                    Some("Network measurements show most of the country still offline"),
                ),
            ],
        },
    ]
}
