//! Figures and claims entered by hand: `gavah figure add`, `gavah claim add`
//! and `gavah claim status`.

use crate::import::resolve_source;
use crate::{App, AppError};
use gavah_core::gazetteer::gazetteer;
use gavah_core::vocab::{self, Recognised};
use gavah_core::{Category, ClaimStatus, Date, EntryId, Metric, Qualifier, SourceType};
use gavah_entry::{Body, ClaimBody, ClaimStatusBody, FigureBody};

/// A figure to record.
#[derive(Debug, Clone)]
pub struct FigureInput {
    pub source: String,
    pub source_type: Option<SourceType>,
    pub metric: Metric,
    pub value: u64,
    pub qualifier: Qualifier,
    pub as_of: Date,
    pub province: Option<String>,
    pub category: Option<Category>,
    pub citation: Option<String>,
}

/// A claim to record.
#[derive(Debug, Clone)]
pub struct ClaimInput {
    pub by: String,
    pub date: Date,
    pub text: String,
    pub citation: Option<String>,
}

/// Reads a figure's scope: `country`, a province (name or ISO code), a
/// category, or `province=…,category=…`.
pub fn parse_scope(text: &str) -> Result<(Option<String>, Option<Category>), String> {
    let mut province = None;
    let mut category = None;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .map_or((None, part), |(k, v)| (Some(k.trim()), v.trim()));
        let as_province = || gazetteer().province(v).map(|p| p.iso.clone());
        let as_category = || match vocab::category(v) {
            Some(Recognised::Value(c)) => Some(c),
            _ => None,
        };
        match k {
            Some("province") => {
                province =
                    Some(as_province().ok_or_else(|| format!("'{v}' is not a province of Iran"))?)
            }
            Some("category") => {
                category = Some(as_category().ok_or_else(|| {
                    format!(
                        "'{v}' is not a category; expected one of: {}",
                        Category::expected()
                    )
                })?);
            }
            Some(other) => {
                return Err(format!(
                    "unknown scope key '{other}'; expected province or category"
                ));
            }
            None if v == "country" || v == "iran" => {}
            None => {
                if let Some(p) = as_province() {
                    province = Some(p);
                } else if let Some(c) = as_category() {
                    category = Some(c);
                } else {
                    return Err(format!(
                        "'{v}' is neither a province of Iran nor a category; expected e.g. IR-11, Tehran, protester or province=IR-11,category=protester"
                    ));
                }
            }
        }
    }
    Ok((province, category))
}

impl App {
    pub(crate) fn append_one(&mut self, bodies: Vec<Body>) -> Result<EntryId, AppError> {
        let author = self.author.clone();
        self.append_all(&author, bodies)?
            .pop()
            .ok_or_else(|| AppError::Other("nothing to record".into()))
    }

    /// Appends entries by `author` in one transaction; their ids, in order.
    pub(crate) fn append_all(
        &mut self,
        author: &str,
        bodies: Vec<Body>,
    ) -> Result<Vec<EntryId>, AppError> {
        let key = self.store.team_key().clone();
        let node = self.store.node();
        let mut w = self.store.writer()?;
        let hlc = w.tick();
        let mut ids = Vec::with_capacity(bodies.len());
        for body in bodies {
            let e = gavah_entry::Entry::new(&key, node, author, hlc, body);
            w.append(&e)?;
            ids.push(e.id);
        }
        w.commit()?;
        Ok(ids)
    }

    /// Records a source's published figure. Returns its id.
    pub fn add_figure(&mut self, f: &FigureInput) -> Result<EntryId, AppError> {
        let existing = self.store.sources()?;
        let (source_body, source_id, _, _) = resolve_source(
            self.store.team_key(),
            &existing,
            &f.source,
            f.source_type,
            false,
        )?;
        let figure = Body::Figure(FigureBody {
            source: source_id,
            metric: f.metric.as_str().to_string(),
            value: f.value,
            qualifier: f.qualifier.as_str().to_string(),
            as_of: f.as_of.to_string(),
            province: f.province.clone(),
            category: f.category.map(|c| c.as_str().to_string()),
            citation: f.citation.clone(),
        });
        self.append_one(vec![source_body, figure])
    }

    /// Records a statement. Returns the claim's id.
    pub fn add_claim(&mut self, c: &ClaimInput) -> Result<EntryId, AppError> {
        let text = gavah_core::normalize::normalize_text(&c.text);
        let by = gavah_core::normalize::normalize_text(&c.by);
        if text.is_empty() || by.is_empty() {
            return Err(AppError::Invalid(
                "a claim needs --by WHO and --text TEXT, both non-empty".into(),
            ));
        }
        self.append_one(vec![Body::Claim(ClaimBody {
            by,
            date: c.date.to_string(),
            text,
            citation: c.citation.clone(),
        })])
    }

    /// Finds a claim by its id or a unique prefix of at least 6 hex digits.
    pub fn find_claim(&self, id_or_prefix: &str) -> Result<EntryId, AppError> {
        let p = id_or_prefix.trim().to_ascii_lowercase();
        if p.len() < 6 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(AppError::Invalid(format!(
                "'{id_or_prefix}' is not a claim id; expected at least 6 hex digits of an id shown by `gavah claim list`"
            )));
        }
        let found = self.store.claims_with_prefix(&p)?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(AppError::Invalid(format!(
                "no claim has an id starting with '{p}'; see `gavah claim list`"
            ))),
            _ => Err(AppError::Invalid(format!(
                "{} claims have ids starting with '{p}'; give more digits",
                found.len()
            ))),
        }
    }

    /// Records a change of a claim's status, with who set it.
    pub fn set_claim_status(
        &mut self,
        claim: EntryId,
        status: ClaimStatus,
        by: &str,
        date: Date,
        note: Option<String>,
    ) -> Result<EntryId, AppError> {
        if !self.store.claim_exists(claim)? {
            return Err(AppError::Invalid(format!(
                "no claim {claim}; see `gavah claim list`"
            )));
        }
        let by = gavah_core::normalize::normalize_text(by);
        if by.is_empty() {
            return Err(AppError::Invalid(
                "--by WHO is empty; say who set the status".into(),
            ));
        }
        self.append_one(vec![Body::ClaimStatus(ClaimStatusBody {
            claim,
            status: status.as_str().to_string(),
            by,
            date: date.to_string(),
            note,
        })])
    }

    pub fn claims(&self) -> Result<Vec<gavah_store::ClaimRow>, AppError> {
        Ok(self.store.claims()?)
    }
}
