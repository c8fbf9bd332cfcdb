//! The public view of a store: what the dashboard, the API, the feeds and the
//! open-data exports may show.
//!
//! Security invariant: every type here holds public fields only. A protected
//! source appears as its type ("a field report") with no name and no id;
//! witness, contact and notes fields, raw rows, file names, coordinates given
//! in reports and the names of documenters who set a claim's status never
//! reach these types. The web crate's leak test plants canaries in all of
//! them and crawls every route.

use crate::figures::{figures_of, public_source_name, source_figures_of};
use crate::{AppError, FiguresReport, SourcesReport};
use gavah_core::EntryId;
use gavah_core::gazetteer::gazetteer;
pub use gavah_store::PeopleFilter;
use gavah_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A source as the public sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicSource {
    /// The source's id; absent for a protected source, so that its reports
    /// cannot be grouped together by an outsider.
    pub id: Option<String>,
    /// Its name, or its type in words ("a field report") when protected.
    pub name: String,
    /// rights-group, official, media, family, hospital-morgue, field-report, other.
    pub source_type: String,
    pub protected: bool,
}

/// A place named in the gazetteer.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaceRef {
    /// ISO 3166-2 code of a province, or GeoNames id of a city.
    pub code: String,
    pub name_en: String,
    pub name_fa: String,
}

/// How one outcome of a person is counted in the figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountedOutcome {
    pub outcome: String,
    pub category: String,
    /// YYYY-MM-DD, when known to the day.
    pub day: Option<String>,
    pub province: Option<PlaceRef>,
    pub city: Option<PlaceRef>,
}

/// One documented person.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonSummary {
    /// Stable public id: 16 hexadecimal digits.
    pub id: String,
    pub name: Option<String>,
    pub outcomes: Vec<CountedOutcome>,
    /// Distinct sources that reported this person.
    pub sources: u64,
    pub reports: u64,
    /// `corroborated` (two or more sources) or `single-source`.
    pub verification: String,
}

/// An outcome as one report states it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportedOutcome {
    pub outcome: String,
    /// The date as far as it is known (YYYY, YYYY-MM or YYYY-MM-DD).
    pub date: Option<String>,
    /// day, month, year or unknown.
    pub precision: String,
    pub province: Option<PlaceRef>,
    pub city: Option<PlaceRef>,
    /// The place as the list wrote it, when the gazetteer did not know it.
    pub place: Option<String>,
}

/// What one source says about a person, public fields only.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicReport {
    pub source: PublicSource,
    /// The kind of list it came from (killed, detained, …).
    pub list_kind: String,
    pub name: Option<String>,
    pub sex: Option<String>,
    pub age: Option<u32>,
    pub birth_year: Option<i32>,
    pub occupation: Option<String>,
    pub category: String,
    pub outcomes: Vec<ReportedOutcome>,
}

/// A person with every report behind them.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonDetail {
    pub person: PersonSummary,
    pub reports: Vec<PublicReport>,
}

/// One page of a list of people.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeoplePage {
    /// People matching the filter; equals the figure the filter came from.
    pub total: u64,
    /// 1-based page number.
    pub page: u64,
    pub per_page: u64,
    pub pages: u64,
    pub people: Vec<PersonSummary>,
}

/// A day and a city where reports place an outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    /// `DAY_PROVINCE_CITY`, e.g. `2026-01-08_IR-23_112931`.
    pub id: String,
    pub day: String,
    pub province: PlaceRef,
    pub city: PlaceRef,
    /// The city's coordinates (GeoNames), not any report's.
    pub lat: f64,
    pub lon: f64,
    /// Reports placing an outcome here on this day.
    pub reports: u64,
}

/// An incident and the people reported there.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentDetail {
    pub incident: Incident,
    pub people: Vec<PersonSummary>,
}

/// A page of incidents.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentsPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub pages: u64,
    pub incidents: Vec<Incident>,
}

/// One change of a claim's status. Who set it is not public: documenters'
/// names stay inside the team.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStatus {
    pub status: String,
    pub date: String,
    pub note: Option<String>,
}

/// A statement in the claims register.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicClaim {
    pub id: String,
    /// Who made the statement.
    pub by: String,
    pub date: String,
    pub text: String,
    pub citation: Option<String>,
    /// The status in force: claimed, confirmed, denied, unconfirmed or disputed.
    pub status: String,
    /// Oldest first.
    pub history: Vec<PublicStatus>,
}

/// Documented people on one day, by outcome and category.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyCount {
    pub day: String,
    pub outcome: String,
    pub category: String,
    pub count: u64,
}

/// One dated entry of the live timeline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineItem {
    /// The entry's id.
    pub id: String,
    /// `records` (an imported list), `figure`, `claim` or `claim-status`.
    pub kind: String,
    /// When it was recorded, RFC 3339 UTC.
    pub recorded: String,
    pub recorded_ms: u64,
    /// The date it speaks of: a figure's as-of date, a claim's or status's date.
    pub date: Option<String>,
    pub source: Option<PublicSource>,
    /// For `records`: the kind of list, its rows, and people per outcome.
    pub list_kind: Option<String>,
    pub rows: Option<u64>,
    pub outcomes: BTreeMap<String, u64>,
    /// For `figure`.
    pub metric: Option<String>,
    pub value: Option<u64>,
    pub qualifier: Option<String>,
    /// For `claim` and `claim-status`.
    pub claim: Option<String>,
    pub by: Option<String>,
    pub text: Option<String>,
    pub status: Option<String>,
    pub note: Option<String>,
    pub citation: Option<String>,
}

impl TimelineItem {
    fn new(id: EntryId, kind: &str, hlc: u64) -> TimelineItem {
        let ms = gavah_entry::Hlc(hlc).millis();
        TimelineItem {
            id: id.to_string(),
            kind: kind.to_string(),
            recorded: rfc3339(ms),
            recorded_ms: ms,
            date: None,
            source: None,
            list_kind: None,
            rows: None,
            outcomes: BTreeMap::new(),
            metric: None,
            value: None,
            qualifier: None,
            claim: None,
            by: None,
            text: None,
            status: None,
            note: None,
            citation: None,
        }
    }
}

/// A time in milliseconds since 1970 as RFC 3339 UTC, to the second.
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let day = gavah_core::Date::from_days(i32::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        day,
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// The public id of a person: 16 hexadecimal digits.
pub fn person_public_id(pid: i64) -> String {
    format!("{:016x}", pid.cast_unsigned())
}

/// Reads a public person id; `None` unless it is exactly 16 hex digits.
pub fn parse_person_id(text: &str) -> Option<i64> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(text, 16).ok().map(u64::cast_signed)
}

fn province_ref(code: &str) -> PlaceRef {
    let p = gazetteer().province_by_iso(code);
    PlaceRef {
        code: code.to_string(),
        name_en: p.map_or_else(|| code.to_string(), |p| p.name_en.clone()),
        name_fa: p.map_or_else(|| code.to_string(), |p| p.name_fa.clone()),
    }
}

fn city_ref(id: u32) -> PlaceRef {
    let c = gazetteer().city_by_id(id);
    PlaceRef {
        code: id.to_string(),
        name_en: c.map_or_else(|| id.to_string(), |c| c.name_en.clone()),
        name_fa: c.map_or_else(|| id.to_string(), |c| c.name_fa.clone()),
    }
}

fn public_source(id: EntryId, name: String, source_type: String, protected: bool) -> PublicSource {
    PublicSource {
        id: (!protected).then(|| id.to_string()),
        name: public_source_name(name, &source_type, protected),
        source_type,
        protected,
    }
}

fn summary(p: gavah_store::PersonRow) -> PersonSummary {
    PersonSummary {
        id: person_public_id(p.pid),
        name: p.name,
        outcomes: p
            .outcomes
            .into_iter()
            .map(|o| CountedOutcome {
                outcome: o.outcome,
                category: o.category,
                day: o.day,
                province: o.province.as_deref().map(province_ref),
                city: o.city.map(city_ref),
            })
            .collect(),
        verification: if p.sources >= 2 {
            "corroborated"
        } else {
            "single-source"
        }
        .to_string(),
        sources: p.sources,
        reports: p.reports,
    }
}

fn incident_dto(i: gavah_store::IncidentRow) -> Incident {
    let c = gazetteer().city_by_id(i.city);
    Incident {
        id: format!("{}_{}_{}", i.day, i.province, i.city),
        lat: c.map_or(0.0, |c| c.lat),
        lon: c.map_or(0.0, |c| c.lon),
        province: province_ref(&i.province),
        city: city_ref(i.city),
        day: i.day,
        reports: i.reports,
    }
}

fn pages(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page.max(1)).max(1)
}

/// A read-only view of a store for public output.
pub struct Reader {
    store: Store,
}

impl Reader {
    /// Opens a store for reading. The store must have been opened for writing
    /// once by this version (`gavah serve` does so before its readers start).
    pub fn open(path: &Path) -> Result<Reader, AppError> {
        Ok(Reader {
            store: Store::open_read_only(path)?,
        })
    }

    /// Changes whenever the store gains an entry.
    pub fn version(&self) -> Result<u64, AppError> {
        Ok(self.store.version()?)
    }

    pub fn figures(&self) -> Result<FiguresReport, AppError> {
        figures_of(&self.store)
    }

    /// The estimate of people killed beside the documented floor (lists are
    /// source types, never source names), or `None` when the store has too
    /// few lists for one.
    pub fn estimate(&self, seed: u64) -> Result<Option<crate::EstimateSummary>, AppError> {
        crate::estimate::estimate_summary(&self.store, seed)
    }

    /// Every source's published figures beside figures already read.
    pub fn source_figures_beside(
        &self,
        figures: &FiguresReport,
    ) -> Result<SourcesReport, AppError> {
        source_figures_of(&self.store, figures.by_outcome.clone())
    }

    /// Every source with its public name.
    pub fn sources(&self) -> Result<Vec<PublicSource>, AppError> {
        Ok(self
            .store
            .sources()?
            .into_iter()
            .map(|s| public_source(s.id, s.name, s.source_type, s.protected))
            .collect())
    }

    /// A source's id from its public id; protected sources have none.
    pub fn public_source_id(&self, text: &str) -> Result<Option<EntryId>, AppError> {
        Ok(self
            .store
            .sources()?
            .into_iter()
            .find(|s| !s.protected && s.id.to_string() == text)
            .map(|s| s.id))
    }

    pub fn people(
        &self,
        filter: &PeopleFilter,
        page: u64,
        per_page: u64,
    ) -> Result<PeoplePage, AppError> {
        let total = self.store.people_count(filter)?;
        let people = self
            .store
            .people(
                filter,
                page.saturating_sub(1).saturating_mul(per_page),
                per_page,
            )?
            .into_iter()
            .map(summary)
            .collect();
        Ok(PeoplePage {
            total,
            page,
            per_page,
            pages: pages(total, per_page),
            people,
        })
    }

    pub fn person(&self, pid: i64) -> Result<Option<PersonDetail>, AppError> {
        let Some(row) = self.store.person_row(pid)? else {
            return Ok(None);
        };
        let reports = self
            .store
            .person_reports(pid)?
            .into_iter()
            .map(|r| PublicReport {
                source: public_source(r.source, r.source_name, r.source_type, r.source_protected),
                list_kind: r.list_kind,
                name: r.name,
                sex: r.sex,
                age: r.age,
                birth_year: r.birth_year,
                occupation: r.occupation,
                category: r.category,
                outcomes: r
                    .outcomes
                    .into_iter()
                    .map(|o| ReportedOutcome {
                        outcome: o.outcome,
                        date: o.date,
                        precision: o.precision,
                        place: o.place_text.filter(|_| o.city.is_none()),
                        province: o.province.as_deref().map(province_ref),
                        city: o.city.map(city_ref),
                    })
                    .collect(),
            })
            .collect();
        Ok(Some(PersonDetail {
            person: summary(row),
            reports,
        }))
    }

    pub fn incidents(&self, page: u64, per_page: u64) -> Result<IncidentsPage, AppError> {
        let total = self.store.incidents_count()?;
        let incidents = self
            .store
            .incidents(page.saturating_sub(1).saturating_mul(per_page), per_page)?
            .into_iter()
            .map(incident_dto)
            .collect();
        Ok(IncidentsPage {
            total,
            page,
            per_page,
            pages: pages(total, per_page),
            incidents,
        })
    }

    /// Every incident (for the GeoJSON export).
    pub fn all_incidents(&self) -> Result<Vec<Incident>, AppError> {
        Ok(self
            .store
            .incidents(0, u64::MAX >> 1)?
            .into_iter()
            .map(incident_dto)
            .collect())
    }

    /// An incident from its public id `DAY_PROVINCE_CITY`.
    pub fn incident(&self, id: &str) -> Result<Option<IncidentDetail>, AppError> {
        let mut parts = id.splitn(3, '_');
        let (Some(day), Some(province), Some(city)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let Ok(city) = city.parse::<u32>() else {
            return Ok(None);
        };
        let Some((row, pids)) = self.store.incident(day, province, city)? else {
            return Ok(None);
        };
        let mut people = Vec::with_capacity(pids.len());
        for pid in pids {
            if let Some(p) = self.store.person_row(pid)? {
                people.push(summary(p));
            }
        }
        Ok(Some(IncidentDetail {
            incident: incident_dto(row),
            people,
        }))
    }

    pub fn claims(&self) -> Result<Vec<PublicClaim>, AppError> {
        Ok(self
            .store
            .claims()?
            .into_iter()
            .map(|c| PublicClaim {
                id: c.id.to_string(),
                status: c.status().to_string(),
                by: c.by,
                date: c.date,
                text: c.text,
                citation: c.citation,
                history: c
                    .history
                    .into_iter()
                    .map(|s| PublicStatus {
                        status: s.status,
                        date: s.date,
                        note: s.note,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Every counted (person, outcome), for the open-data export: the person's
    /// public id, name and number of sources, and how the outcome is counted.
    pub fn export_people(
        &self,
        mut each: impl FnMut(&str, Option<&str>, u64, &CountedOutcome),
    ) -> Result<(), AppError> {
        self.store.export_people(|pid, name, sources, o| {
            let o = CountedOutcome {
                outcome: o.outcome,
                category: o.category,
                day: o.day,
                province: o.province.as_deref().map(province_ref),
                city: o.city.map(city_ref),
            };
            each(&person_public_id(pid), name.as_deref(), sources, &o);
            Ok(())
        })?;
        Ok(())
    }

    pub fn daily(&self) -> Result<Vec<DailyCount>, AppError> {
        Ok(self
            .store
            .daily_by_category()?
            .into_iter()
            .map(|(day, outcome, category, count)| DailyCount {
                day,
                outcome,
                category,
                count,
            })
            .collect())
    }

    /// The timeline, newest first: imported lists, figures, claims and claim
    /// status changes. `batch_outcomes` caches the people per outcome of each
    /// imported list (lists never change), keyed by the batch id.
    pub fn timeline(
        &self,
        batch_outcomes: &mut BTreeMap<String, BTreeMap<String, u64>>,
    ) -> Result<Vec<TimelineItem>, AppError> {
        let sources: BTreeMap<String, PublicSource> = self
            .store
            .sources()?
            .into_iter()
            .map(|s| {
                (
                    s.id.to_string(),
                    public_source(s.id, s.name, s.source_type, s.protected),
                )
            })
            .collect();
        let mut items = Vec::new();
        for b in self.store.batches()? {
            let key = b.id.to_string();
            if !batch_outcomes.contains_key(&key) {
                let counts = self.store.batch_outcomes(b.id)?.into_iter().collect();
                batch_outcomes.insert(key.clone(), counts);
            }
            let mut item = TimelineItem::new(b.id, "records", b.hlc);
            item.source = sources.get(&b.source.to_string()).cloned();
            item.list_kind = Some(b.list_kind);
            item.rows = Some(b.rows);
            item.outcomes = batch_outcomes.get(&key).cloned().unwrap_or_default();
            items.push(item);
        }
        let figures = self.store.published_figures()?;
        let ids: Vec<EntryId> = figures.iter().map(|f| f.id).collect();
        for (f, hlc) in figures.into_iter().zip(self.store.recorded_at(&ids)?) {
            let mut item = TimelineItem::new(f.id, "figure", hlc);
            item.source = Some(public_source(
                f.source,
                f.source_name,
                f.source_type,
                f.source_protected,
            ));
            item.date = Some(f.as_of);
            item.metric = Some(f.metric);
            item.value = Some(f.value);
            item.qualifier = Some(f.qualifier);
            item.citation = f.citation;
            items.push(item);
        }
        let claims = self.store.claims()?;
        let mut ids: Vec<EntryId> = Vec::new();
        for c in &claims {
            ids.push(c.id);
            ids.extend(c.history.iter().map(|s| s.id));
        }
        let mut at = self.store.recorded_at(&ids)?.into_iter();
        for c in claims {
            let mut item = TimelineItem::new(c.id, "claim", at.next().unwrap_or(0));
            item.date = Some(c.date.clone());
            item.claim = Some(c.id.to_string());
            item.by = Some(c.by.clone());
            item.text = Some(c.text.clone());
            item.citation = c.citation.clone();
            items.push(item);
            for s in c.history {
                let mut item = TimelineItem::new(s.id, "claim-status", at.next().unwrap_or(0));
                item.date = Some(s.date);
                item.claim = Some(c.id.to_string());
                item.by = Some(c.by.clone());
                item.text = Some(c.text.clone());
                item.status = Some(s.status);
                item.note = s.note;
                items.push(item);
            }
        }
        items.sort_by(|a, b| {
            b.recorded_ms
                .cmp(&a.recorded_ms)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(items)
    }
}
