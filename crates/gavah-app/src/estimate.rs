//! Capture histories from the store: which lists recorded each linked person,
//! per stratum, for multiple systems estimation; and the summary the dashboard
//! shows beside the documented floor.
//!
//! A list is a source, or a group of sources that are not independent of one
//! another (by default, all sources of one type: the rights groups, the
//! hospitals and morgues, the families …). A person is captured by a list when
//! one of its sources reported that person with the outcome being estimated.

use crate::AppError;
use gavah_core::{Outcome, SourceType};
use gavah_estimate::CaptureTable;
use gavah_estimate::lcmcr::{self, Settings};
use gavah_store::Store;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What to divide the people into before estimating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stratum {
    Province,
    /// The calendar month of the outcome (YYYY-MM).
    Period,
    Category,
}

/// Which capture histories to build.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub outcome: Outcome,
    /// Lists, each one or more source names or source types joined by `+`;
    /// empty: one list per source type.
    pub lists: Vec<String>,
    pub by: Option<Stratum>,
}

/// Capture-history tables built from the store.
#[derive(Debug, Clone)]
pub struct CaptureTables {
    /// The lists' labels, in column order.
    pub lists: Vec<String>,
    /// The sources each list joins. Internal: protected source names are here.
    pub sources: Vec<Vec<String>>,
    /// One table per stratum (a single `all` when not stratified), by key.
    pub strata: Vec<(String, CaptureTable)>,
    /// People counted under the outcome (the documented floor).
    pub floor: u64,
    /// People whose reports all come from sources in no list: left out.
    pub left_out: u64,
}

/// Matches one token of a list spec against sources by name or type.
fn matching<'a>(
    token: &str,
    sources: &'a [gavah_store::SourceRow],
) -> Vec<&'a gavah_store::SourceRow> {
    let t = token.trim().to_lowercase();
    sources
        .iter()
        .filter(|s| s.name.to_lowercase() == t || s.source_type == t)
        .collect()
}

/// Builds the capture-history tables of a store.
pub fn capture_tables(store: &Store, req: &CaptureRequest) -> Result<CaptureTables, AppError> {
    let sources = store.sources()?;
    let rows = store.capture_rows(req.outcome.as_str())?;
    tables_of(&sources, &rows, req)
}

/// [`capture_tables`] over sources and capture rows already read.
fn tables_of(
    sources: &[gavah_store::SourceRow],
    rows: &[gavah_store::CaptureRow],
    req: &CaptureRequest,
) -> Result<CaptureTables, AppError> {
    // The list of each source id.
    let mut list_of: FxHashMap<gavah_core::EntryId, usize> = FxHashMap::default();
    let mut labels: Vec<String> = Vec::new();
    let mut members: Vec<Vec<String>> = Vec::new();
    if req.lists.is_empty() {
        let used: std::collections::BTreeSet<gavah_core::EntryId> =
            rows.iter().map(|r| r.source).collect();
        let mut by_type: BTreeMap<String, Vec<&gavah_store::SourceRow>> = BTreeMap::new();
        for s in sources.iter().filter(|s| used.contains(&s.id)) {
            by_type.entry(s.source_type.clone()).or_default().push(s);
        }
        for (t, ss) in by_type {
            for s in &ss {
                list_of.insert(s.id, labels.len());
            }
            members.push(ss.iter().map(|s| s.name.clone()).collect());
            labels.push(t);
        }
    } else {
        for spec in &req.lists {
            let mut group: Vec<&gavah_store::SourceRow> = Vec::new();
            for token in spec.split('+').filter(|t| !t.trim().is_empty()) {
                let found = matching(token, sources);
                if found.is_empty() {
                    let mut known: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
                    known.extend(SourceType::ALL.iter().map(|t| t.as_str().to_string()));
                    return Err(AppError::Invalid(format!(
                        "--lists: no source is named or typed '{}'; known: {}",
                        token.trim(),
                        known.join(", ")
                    )));
                }
                group.extend(found);
            }
            if group.is_empty() {
                return Err(AppError::Invalid(format!(
                    "--lists: '{spec}' names no source"
                )));
            }
            for s in &group {
                if let Some(&other) = list_of.get(&s.id)
                    && other != labels.len()
                {
                    return Err(AppError::Invalid(format!(
                        "--lists: the source '{}' is in two lists ({} and {spec}); a source can be in one list only",
                        s.name, labels[other]
                    )));
                }
                list_of.insert(s.id, labels.len());
            }
            members.push(group.iter().map(|s| s.name.clone()).collect());
            labels.push(spec.trim().to_string());
        }
    }
    if labels.len() < 2 {
        return Err(AppError::Invalid(format!(
            "estimation needs at least two lists that recorded people {}; this store has {} ({}). \
             Import lists from more kinds of source, or name sources with --lists",
            req.outcome.as_str(),
            labels.len(),
            labels.join(", ")
        )));
    }
    // Each person's capture pattern and stratum.
    let k = labels.len();
    let mut people: Vec<(String, Vec<bool>)> = Vec::new();
    let mut floor = 0u64;
    let mut left_out = 0u64;
    let mut i = 0;
    while i < rows.len() {
        let pid = rows[i].pid;
        let first = &rows[i];
        let key = match req.by {
            None => "all".to_string(),
            Some(Stratum::Province) => first.province.clone().unwrap_or_else(|| "unknown".into()),
            Some(Stratum::Period) => first
                .day
                .as_deref()
                .and_then(|d| d.get(..7))
                .unwrap_or("unknown")
                .to_string(),
            Some(Stratum::Category) => first.category.clone(),
        };
        let mut pattern = vec![false; k];
        while i < rows.len() && rows[i].pid == pid {
            if let Some(&l) = list_of.get(&rows[i].source) {
                pattern[l] = true;
            }
            i += 1;
        }
        floor += 1;
        if pattern.iter().any(|&b| b) {
            people.push((key, pattern));
        } else {
            left_out += 1;
        }
    }
    let mut by_key: BTreeMap<String, Vec<Vec<bool>>> = BTreeMap::new();
    for (key, p) in people {
        by_key.entry(key).or_default().push(p);
    }
    let mut strata = Vec::new();
    for (key, patterns) in by_key {
        let table =
            CaptureTable::from_patterns(labels.clone(), patterns.into_iter().map(|p| (p, 1)))
                .map_err(|e| AppError::Invalid(format!("stratum {key}: {e}")))?;
        strata.push((key, table));
    }
    Ok(CaptureTables {
        lists: labels,
        sources: members,
        strata,
        floor,
        left_out,
    })
}

/// The estimate the dashboard shows: the latent-class model's posterior for
/// the people killed, in total and per province.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateSummary {
    pub outcome: String,
    /// The lists (source types) the estimate is made from.
    pub lists: Vec<String>,
    pub total: EstimateRow,
    /// Provinces with enough people and overlap for an estimate of their own.
    pub by_province: Vec<EstimateRow>,
    /// Why a number should be read with care.
    pub warnings: Vec<String>,
    pub seed: u64,
}

/// One estimate beside its documented floor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstimateRow {
    /// Province code (ISO 3166-2), or `all`.
    pub key: String,
    /// People documented (observed on at least one list).
    pub documented: u64,
    /// Posterior median of the total, documented and undocumented.
    pub median: u64,
    /// 95% credible interval.
    pub low: u64,
    pub high: u64,
}

/// Least people in a province for it to get an estimate of its own.
const MIN_PROVINCE_PEOPLE: u64 = 40;

fn row(key: &str, table: &CaptureTable, settings: &Settings) -> Option<(EstimateRow, Vec<String>)> {
    let p = lcmcr::estimate(table, settings).ok()?;
    let round = |x: f64| {
        if x.is_finite() && x >= 0.0 {
            x.round() as u64
        } else {
            0
        }
    };
    if !(p.median.is_finite() && p.q025.is_finite() && p.q975.is_finite()) {
        return None;
    }
    Some((
        EstimateRow {
            key: key.to_string(),
            documented: table.observed(),
            median: round(p.median),
            low: round(p.q025),
            high: round(p.q975),
        },
        p.warnings.iter().map(ToString::to_string).collect(),
    ))
}

/// The dashboard's estimate of people killed; `None` when the store has fewer
/// than three lists with killed people (the latent-class model needs three).
pub fn estimate_summary(store: &Store, seed: u64) -> Result<Option<EstimateSummary>, AppError> {
    let req = CaptureRequest {
        outcome: Outcome::Killed,
        lists: Vec::new(),
        by: None,
    };
    // Read once: the total and the provinces are made from the same rows.
    let sources = store.sources()?;
    let rows = store.capture_rows(req.outcome.as_str())?;
    let tables = match tables_of(&sources, &rows, &req) {
        Ok(t) => t,
        Err(AppError::Invalid(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if tables.lists.len() < 3 {
        return Ok(None);
    }
    // Fewer draws than the command line's default: the dashboard recomputes
    // after every import, and R-hat warns when that is not enough.
    let settings = Settings {
        seed,
        draws: 4_000,
        burnin: 4_000,
        ..Settings::default()
    };
    let Some((_, table)) = tables.strata.first() else {
        return Ok(None);
    };
    let Some((total, mut warnings)) = row("all", table, &settings) else {
        return Ok(None);
    };
    warnings.extend(table.warnings().iter().map(ToString::to_string));
    let by = tables_of(
        &sources,
        &rows,
        &CaptureRequest {
            by: Some(Stratum::Province),
            ..req
        },
    )?;
    let mut by_province = Vec::new();
    for (key, t) in &by.strata {
        if key == "unknown" || t.observed() < MIN_PROVINCE_PEOPLE {
            continue;
        }
        if let Some((r, _)) = row(key, t, &settings) {
            by_province.push(r);
        }
    }
    if tables.left_out > 0 {
        warnings.push(format!(
            "{} people are on no list used here and are not in the estimate",
            tables.left_out
        ));
    }
    Ok(Some(EstimateSummary {
        outcome: Outcome::Killed.as_str().to_string(),
        lists: tables.lists,
        total,
        by_province,
        warnings,
        seed,
    }))
}
