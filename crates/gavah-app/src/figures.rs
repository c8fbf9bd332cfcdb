//! Documented figures: counts of distinct people by outcome, category,
//! province, city and day, and every source's published figures side by side.
//!
//! These DTOs are what `gavah figures --format json` prints and what the JSON
//! API will answer; field names are a promise.

use crate::{App, AppError};
use gavah_core::gazetteer::gazetteer;
use gavah_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// Documented counts: "at least N" distinct people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiguresReport {
    /// Distinct people in the store, whatever their outcome.
    pub people: u64,
    /// Reports (rows of lists) behind them.
    pub reports: u64,
    /// Whether people are linked clusters of reports (`gavah link`), rather
    /// than reports sharing a normalised name, place and date.
    pub linked: bool,
    /// Cities and provinces with at least one documented incident.
    pub cities: u64,
    pub provinces: u64,
    /// Distinct people per outcome.
    pub by_outcome: BTreeMap<String, u64>,
    /// Distinct people per outcome and category.
    pub by_category: BTreeMap<String, BTreeMap<String, u64>>,
    /// Distinct people per outcome and province (ISO 3166-2 code).
    pub by_province: Vec<PlaceCount>,
    /// Distinct people per outcome and city (GeoNames id).
    pub by_city: Vec<PlaceCount>,
    /// Distinct people per outcome and day, with the running total.
    pub by_day: Vec<DayCount>,
    /// Cities with at least one incident, per outcome.
    pub cities_by_outcome: BTreeMap<String, u64>,
    pub attribution: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaceCount {
    pub code: String,
    pub name_en: String,
    pub name_fa: String,
    pub province: String,
    pub outcome: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    pub day: String,
    pub outcome: String,
    pub count: u64,
    pub cumulative: u64,
}

/// One source's published figure. A protected source is named by its type only.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceFigure {
    pub source: String,
    pub source_type: String,
    pub metric: String,
    pub qualifier: String,
    pub value: u64,
    pub as_of: String,
    pub province: Option<String>,
    pub category: Option<String>,
    pub citation: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourcesReport {
    pub figures: Vec<SourceFigure>,
    /// Our own documented floor per metric, for comparison.
    pub documented: BTreeMap<String, u64>,
}

impl App {
    /// The documented figures, read from the counts every write maintains.
    pub fn figures(&self) -> Result<FiguresReport, AppError> {
        figures_of(&self.store)
    }

    /// Every source's published figures, protected sources named by type.
    pub fn source_figures(&self) -> Result<SourcesReport, AppError> {
        source_figures_of(&self.store, figures_of(&self.store)?.by_outcome)
    }
}

/// How a source is named in public: by name, or by its type when protected.
pub(crate) fn public_source_name(name: String, source_type: &str, protected: bool) -> String {
    if protected {
        gavah_core::SourceType::from_code(source_type)
            .map_or("a protected source", |t| t.public_label())
            .to_string()
    } else {
        name
    }
}

pub(crate) fn figures_of(store: &Store) -> Result<FiguresReport, AppError> {
    let g = gazetteer();
    let mut r = FiguresReport {
        attribution: gavah_core::gazetteer::ATTRIBUTION,
        linked: store.link_model()?.is_some(),
        ..FiguresReport::default()
    };
    let mut days: Vec<(String, String, u64)> = Vec::new();
    for row in store.counts()? {
        match row.dim.as_str() {
            "people" => r.people = row.n,
            "reports" => r.reports = row.n,
            "cities" if row.outcome == "any" => r.cities = row.n,
            "cities" => {
                r.cities_by_outcome.insert(row.outcome, row.n);
            }
            "provinces" => r.provinces = row.n,
            "total" => {
                r.by_outcome.insert(row.outcome, row.n);
            }
            "category" => {
                r.by_category
                    .entry(row.outcome)
                    .or_default()
                    .insert(row.key, row.n);
            }
            "province" => {
                let p = g.province_by_iso(&row.key);
                r.by_province.push(PlaceCount {
                    name_en: p.map_or_else(|| row.key.clone(), |p| p.name_en.clone()),
                    name_fa: p.map_or_else(String::new, |p| p.name_fa.clone()),
                    province: row.key.clone(),
                    code: row.key,
                    outcome: row.outcome,
                    count: row.n,
                });
            }
            "city" => {
                let c = row.key.parse().ok().and_then(|id| g.city_by_id(id));
                r.by_city.push(PlaceCount {
                    name_en: c.map_or_else(|| row.key.clone(), |c| c.name_en.clone()),
                    name_fa: c.map_or_else(String::new, |c| c.name_fa.clone()),
                    province: c.map_or_else(String::new, |c| c.province_iso.clone()),
                    code: row.key,
                    outcome: row.outcome,
                    count: row.n,
                });
            }
            "day" => days.push((row.key, row.outcome, row.n)),
            _ => {}
        }
    }
    let by_count = |a: &PlaceCount, b: &PlaceCount| {
        (
            a.outcome.as_str(),
            std::cmp::Reverse(a.count),
            a.name_en.as_str(),
        )
            .cmp(&(
                b.outcome.as_str(),
                std::cmp::Reverse(b.count),
                b.name_en.as_str(),
            ))
    };
    r.by_province.sort_by(by_count);
    r.by_city.sort_by(by_count);
    days.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    let mut running: BTreeMap<String, u64> = BTreeMap::new();
    for (day, outcome, n) in days {
        let c = running.entry(outcome.clone()).or_insert(0);
        *c += n;
        r.by_day.push(DayCount {
            day,
            outcome,
            count: n,
            cumulative: *c,
        });
    }
    Ok(r)
}

/// Every source's published figures beside our documented floor per metric.
pub(crate) fn source_figures_of(
    store: &Store,
    documented: BTreeMap<String, u64>,
) -> Result<SourcesReport, AppError> {
    let figures = store
        .published_figures()?
        .into_iter()
        .map(|f| SourceFigure {
            source: public_source_name(f.source_name, &f.source_type, f.source_protected),
            source_type: f.source_type,
            metric: f.metric,
            qualifier: f.qualifier,
            value: f.value,
            as_of: f.as_of,
            province: f.province,
            category: f.category,
            citation: f.citation,
        })
        .collect();
    Ok(SourcesReport {
        figures,
        documented,
    })
}
