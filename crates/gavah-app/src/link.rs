//! Linkage on the store: which reports are the same person. `gavah link` trains
//! (or reuses) the linkage model, clusters every named report honouring the
//! human decisions, and rewrites each report's person id so that the figures
//! count distinct people; `gavah review` records decisions.
//!
//! Architecture invariant: the people a store counts are a function of its
//! entries. The model is an entry (`link-model`), the decisions are entries
//! (`link-decision`), and clustering with a given model is deterministic, so a
//! rebuild, or another node holding the same entries, counts the same people.
//!
//! Architecture invariant: an unnamed report is never merged by the machine
//! (merging two unnamed victims would erase one); only a human decision can
//! join it to another report.

use crate::now_ms;
use crate::{App, AppError, Progress};
use gavah_core::EntryId;
use gavah_entry::{Body, LinkDecisionBody, LinkModelBody};
use gavah_link::blocking::{BlockingRule, KeyPart};
use gavah_link::cluster::{ClusterOptions, Clustering, Constraints, ReviewItem, review_queue};
use gavah_link::data::{Dataset, FieldKind};
use gavah_link::model::{Explanation, Model, TermFrequencies};
use gavah_link::{LinkOptions, Phase};
use gavah_store::{LinkKey, LinkRecord, StoredDecision, Writer};
use rustc_hash::FxHashMap;
use std::time::Instant;

/// The fields a report is compared on, in the order the data set holds them.
const SCHEMA: [(&str, FieldKind); 5] = [
    ("name", FieldKind::FullName),
    ("sex", FieldKind::Text),
    ("age", FieldKind::Age),
    ("date", FieldKind::Date),
    ("place", FieldKind::Place),
];

/// What `gavah link` is asked to do.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// Estimate a new model even when the store has one.
    pub retrain: bool,
    /// Match probability at or above which reports may join (default 0.5, or
    /// the stored model's).
    pub threshold: Option<f64>,
    /// Seed of the random pairs that estimate u.
    pub seed: u64,
}

impl Default for LinkRequest {
    fn default() -> Self {
        LinkRequest {
            retrain: false,
            threshold: None,
            seed: 42,
        }
    }
}

/// What a linkage run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkReport {
    /// Reports in the store.
    pub reports: u64,
    /// Named reports, the ones the machine compares.
    pub named: u64,
    /// Candidate pairs scored.
    pub pairs: u64,
    /// Distinct people before and after.
    pub people_before: u64,
    pub people_after: u64,
    /// Reports whose person id changed.
    pub changed: u64,
    /// Whether a new model was estimated (and recorded as an entry).
    pub trained: bool,
    pub threshold: f64,
    /// Human decisions honoured.
    pub decisions: u64,
    /// Uncertain pairs waiting for review.
    pub review_pending: u64,
    /// Seconds per phase.
    pub timings: Vec<(String, f64)>,
}

/// One pair for review: both reports' public fields and why the model scored
/// them as it did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewPair {
    pub a: ReviewSide,
    pub b: ReviewSide,
    pub probability: f64,
    /// Whether the two reports are counted as one person now.
    pub together: bool,
    pub explanation: Explanation,
}

/// One side of a review pair: the report's compared fields and where it came
/// from (source, batch file and row), never its protected fields.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewSide {
    pub report: String,
    pub source: String,
    pub file: String,
    pub row: u64,
    pub fields: Vec<(String, String)>,
}

/// Bridges the linker's progress phases to the app's progress bars.
struct PhaseProgress<'a>(&'a dyn Progress);

impl gavah_link::Progress for PhaseProgress<'_> {
    fn start(&self, phase: Phase, total: u64) {
        self.0.start(&phase.to_string(), total);
    }
    fn set(&self, done: u64) {
        self.0.set(done);
    }
    fn finish(&self) {
        self.0.finish();
    }
}

/// The raw value of each schema field for one report.
fn values(r: &LinkRecord) -> [String; 5] {
    let g = gavah_core::gazetteer::gazetteer();
    let event_year = r
        .date
        .as_ref()
        .and_then(|(d, _)| d.get(..4))
        .and_then(|y| y.parse::<i64>().ok());
    // An age, or the age a birth year gives at the event: lists give either.
    let age = match (r.age, r.birth_year, event_year) {
        (Some(a), _, _) => a.to_string(),
        (None, Some(b), Some(y)) if (0..=130).contains(&(y - b)) => (y - b).to_string(),
        _ => String::new(),
    };
    let date = match &r.date {
        Some((d, p)) => match p.as_str() {
            "day" => d.clone(),
            "month" => d.get(..7).unwrap_or("").to_string(),
            "year" => d.get(..4).unwrap_or("").to_string(),
            _ => String::new(),
        },
        None => String::new(),
    };
    let place = match (r.city, &r.province) {
        (Some(c), _) => u32::try_from(c)
            .ok()
            .and_then(|c| g.city_by_id(c))
            .map(|c| c.name_en.clone())
            .unwrap_or_default(),
        (None, Some(p)) => g
            .province_by_iso(p)
            .map(|p| p.name_en.clone())
            .unwrap_or_default(),
        (None, None) => r.place_text.clone().unwrap_or_default(),
    };
    [
        r.name.clone().unwrap_or_default(),
        r.sex.clone().unwrap_or_default(),
        age,
        date,
        place,
    ]
}

/// The data set of named reports, and the report index of each of its rows.
fn dataset(records: &[LinkRecord]) -> (Dataset, Vec<usize>) {
    let schema: Vec<(String, FieldKind)> =
        SCHEMA.iter().map(|(n, k)| ((*n).to_string(), *k)).collect();
    let mut data = Dataset::new(&schema);
    let mut rows = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.name.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            data.push(0, &values(r));
            rows.push(i);
        }
    }
    data.finish();
    (data, rows)
}

/// A finished clustering of every report (not only the named ones).
struct Linked {
    records: Vec<LinkRecord>,
    data: Dataset,
    rows: Vec<usize>,
    scores: Option<Scores>,
    /// Final cluster label (a report index) per report.
    label: Vec<usize>,
    decisions: Vec<StoredDecision>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Runs the linker over the records with the decisions as constraints.
/// Runs the linker over the records with the decisions as constraints; `keep`
/// lists pairs of records (indexes into `records`) that must stay together:
/// the people an incremental link finds already formed.
///
/// With `new_from`, the records from that index on are new and the ones
/// before were linked by an earlier run (`keep` holds their people together):
/// earlier people merge only through a new record (see
/// `ClusterOptions::new_from`).
fn cluster_records(
    records: Vec<LinkRecord>,
    decisions: Vec<StoredDecision>,
    keep: &[(usize, usize)],
    new_from: Option<usize>,
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Linked, AppError> {
    let (data, rows) = dataset(&records);
    // The first new record's row in the data (unnamed records have none).
    let new_row = new_from.map(|first| {
        let row = rows.iter().position(|&i| i >= first).unwrap_or(rows.len());
        u32::try_from(row).unwrap_or(u32::MAX)
    });
    let by_id: FxHashMap<EntryId, usize> =
        records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut row_of = vec![usize::MAX; records.len()];
    for (row, &i) in rows.iter().enumerate() {
        row_of[i] = row;
    }
    let mut constraints = Constraints::default();
    // Must-links touching an unnamed report are applied after clustering.
    let mut late: Vec<(usize, usize)> = Vec::new();
    for d in &decisions {
        let (Some(&a), Some(&b)) = (by_id.get(&d.a), by_id.get(&d.b)) else {
            continue;
        };
        let (ra, rb) = (row_of[a], row_of[b]);
        if ra == usize::MAX || rb == usize::MAX {
            if d.same {
                late.push((a, b));
            }
            continue;
        }
        let pair = (
            u32::try_from(ra).unwrap_or(u32::MAX),
            u32::try_from(rb).unwrap_or(u32::MAX),
        );
        if d.same {
            constraints.must_link.push(pair);
        } else {
            constraints.cannot_link.push(pair);
        }
    }
    for &(a, b) in keep {
        let (ra, rb) = (row_of[a], row_of[b]);
        if ra == usize::MAX || rb == usize::MAX {
            late.push((a, b));
        } else {
            constraints.must_link.push((
                u32::try_from(ra).unwrap_or(u32::MAX),
                u32::try_from(rb).unwrap_or(u32::MAX),
            ));
        }
    }
    let scores = if data.len() >= 2 {
        Some(score_passes(&data, run, &constraints, new_row, progress)?)
    } else {
        None
    };
    let mut parent: Vec<usize> = (0..records.len()).collect();
    if let Some(sc) = &scores {
        for (row, &c) in sc.clustering.cluster_of.iter().enumerate() {
            let (a, b) = (rows[row], rows[c as usize]);
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra] = rb;
            }
        }
    }
    for (a, b) in late {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
        }
    }
    let label: Vec<usize> = (0..records.len()).map(|i| find(&mut parent, i)).collect();
    Ok(Linked {
        records,
        data,
        rows,
        scores,
        label,
        decisions,
    })
}

/// The linkage model a store records: one Fellegi–Sunter model per blocking
/// pass, each estimated on that pass's candidate pairs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StoreModel {
    version: u32,
    /// Trained on pairs that share a name key or phonetic key.
    by_name: Model,
    /// Trained on pairs that share the event date and place; `None` when the
    /// reports carry no dates and places.
    by_place: Option<Model>,
}

impl StoreModel {
    const VERSION: u32 = 1;
}

/// How a run links: the stored models (or `None` to estimate new ones) and
/// the clustering settings.
#[derive(Debug, Clone)]
struct RunOptions {
    models: Option<StoreModel>,
    threshold: f64,
    min_support: f64,
    seed: u64,
}

/// Scored pairs of both passes and the clustering made from them.
struct Scores {
    pairs: Vec<(u32, u32)>,
    probabilities: Vec<f32>,
    /// Which pass scored each pair: 0 by name, 1 by date and place.
    pass: Vec<u8>,
    models: StoreModel,
    clustering: Clustering,
    timings: Vec<(String, f64)>,
}

/// Candidate pairs below which u stays as sampled from random pairs.
const MIN_PAIRS_FOR_U_BY_EM: usize = 200;

/// Two blocking passes, each with its own model, then one clustering.
///
/// Pairs that share a name key are scored by a model trained on such pairs;
/// pairs that share the event date and place by one trained on those. Each
/// model's u is estimated among its own candidates (EM on m and u), so it
/// measures how often *candidate* non-matches agree: among name-blocked pairs
/// the date, place and age tell people apart, among date-and-place-blocked
/// pairs the name does. One model over the union would see non-matches that
/// agree on the date (from the second pass) and learn the date as the mark of
/// a non-match; a model with u from random pairs alone puts nearly every
/// candidate in the match class (on the demo: F1 0.11 and 0.84 against 0.97).
fn score_passes(
    data: &Dataset,
    run: &RunOptions,
    constraints: &Constraints,
    new_from: Option<u32>,
    progress: &dyn Progress,
) -> Result<Scores, AppError> {
    let failed = |e: gavah_link::LinkError| AppError::Other(format!("linkage failed: {e}"));
    let name_rules: Vec<BlockingRule> = gavah_link::blocking::default_rules(data)
        .into_iter()
        .filter(|r| {
            r.parts.iter().all(|p| {
                !matches!(
                    p,
                    KeyPart::Exact(_) | KeyPart::Year(_) | KeyPart::Province(_)
                )
            })
        })
        .collect();
    let (date, place) = (3usize, 4usize);
    let place_rules = vec![BlockingRule {
        name: "event date + place".into(),
        parts: vec![KeyPart::Exact(date), KeyPart::Exact(place)],
        optional: false,
    }];
    let opts = |rules: Vec<BlockingRule>, model: Option<Model>, term_frequency: bool| LinkOptions {
        threshold: run.threshold,
        min_support: run.min_support,
        rules: Some(rules),
        seed: run.seed,
        model,
        min_pairs_for_u_by_em: MIN_PAIRS_FOR_U_BY_EM,
        term_frequency,
        ..LinkOptions::default()
    };
    let pp = PhaseProgress(progress);
    let by_name = gavah_link::score(
        data,
        // Pairs here share a name key, and u is estimated among them: the
        // frequency adjustment of the name (which assumes u of random pairs)
        // would add eight bits to every common name. Neither pass adjusts by
        // term frequency, so a pair's probability depends only on the pair and
        // the model, not on which other reports are in the store (demo F1
        // 0.9719 without it in the second pass, 0.9733 with).
        &opts(
            name_rules,
            run.models.as_ref().map(|m| m.by_name.clone()),
            false,
        ),
        &pp,
        None,
    )
    .map_err(failed)?;
    let has_places = data.columns[date].present > 0 && data.columns[place].present > 0;
    let by_place = match &run.models {
        Some(m) => match &m.by_place {
            Some(model) => Some(
                gavah_link::score(
                    data,
                    &opts(place_rules, Some(model.clone()), false),
                    &pp,
                    None,
                )
                .map_err(failed)?,
            ),
            None => None,
        },
        None if has_places => {
            let s = gavah_link::score(data, &opts(place_rules, None, false), &pp, None)
                .map_err(failed)?;
            // A model estimated from no pairs says nothing: leave it out.
            (!s.pairs.is_empty()).then_some(s)
        }
        None => None,
    };
    // The date-and-place pass may only join reports whose names are variants
    // of one another (exact, same transliteration key, same sound, Jaro–Winkler
    // at least 0.92, or given name and surname swapped). On the same day in the
    // same city, two people of one age with loosely similar names are common,
    // and a wrong merge erases a victim.
    let by_place = by_place.map(|mut s| {
        let cmp = gavah_link::compare::Comparator::new(data);
        let mut levels = vec![0u8; cmp.fields.len()];
        let keep: Vec<bool> = s
            .pairs
            .iter()
            .map(|&(a, b)| {
                cmp.levels(a as usize, b as usize, &mut levels);
                let label = gavah_link::compare::level_label(
                    FieldKind::FullName,
                    levels.first().copied().unwrap_or(0),
                );
                matches!(
                    label,
                    "exact" | "same key" | "same sound" | "jw>=0.92" | "swapped"
                )
            })
            .collect();
        let mut k = keep.iter();
        s.probabilities.retain(|_| *k.next().unwrap_or(&false));
        let mut k = keep.iter();
        s.pairs.retain(|_| *k.next().unwrap_or(&false));
        s
    });
    let mut best: FxHashMap<(u32, u32), (f32, u8)> = FxHashMap::default();
    let mut timings: Vec<(String, f64)> = Vec::new();
    for (pass, scored) in [Some(&by_name), by_place.as_ref()].into_iter().enumerate() {
        let Some(scored) = scored else { continue };
        for (&pair, &p) in scored.pairs.iter().zip(&scored.probabilities) {
            let e = best.entry(pair).or_insert((p, pass as u8));
            if p > e.0 {
                *e = (p, pass as u8);
            }
        }
        let label = if pass == 0 {
            "by name"
        } else {
            "by date and place"
        };
        timings.extend(
            scored
                .timings
                .iter()
                .map(|t| (format!("{} ({label})", t.phase), t.seconds)),
        );
    }
    let mut merged: Vec<((u32, u32), (f32, u8))> = best.into_iter().collect();
    merged.sort_unstable_by_key(|(pair, _)| *pair);
    let pairs: Vec<(u32, u32)> = merged.iter().map(|(p, _)| *p).collect();
    let probabilities: Vec<f32> = merged.iter().map(|(_, (p, _))| *p).collect();
    let pass: Vec<u8> = merged.iter().map(|(_, (_, s))| *s).collect();
    let clock = Instant::now();
    progress.start("clustering", 0);
    let clustering = gavah_link::cluster::cluster(
        data.len(),
        &pairs,
        &probabilities,
        constraints,
        ClusterOptions {
            threshold: run.threshold,
            min_support: run.min_support,
            new_from,
        },
    )
    .map_err(failed)?;
    progress.finish();
    timings.push(("clustering".into(), clock.elapsed().as_secs_f64()));
    Ok(Scores {
        pairs,
        probabilities,
        pass,
        models: StoreModel {
            version: StoreModel::VERSION,
            by_name: by_name.model,
            by_place: by_place.map(|s| s.model),
        },
        clustering,
        timings,
    })
}

impl Linked {
    /// Each report's person id: the id of its cluster's earliest report (by
    /// clock, then id), so a person's id stays when later reports join.
    /// (report seq, new person id) of every report whose person id changes:
    /// a relink mostly confirms the ids it finds, and writing only the
    /// changes saves a million row updates on a million-report store.
    fn changed_pids(&self) -> Vec<(i64, i64)> {
        let mut founder: FxHashMap<usize, usize> = FxHashMap::default();
        for (i, &l) in self.label.iter().enumerate() {
            let r = &self.records[i];
            founder
                .entry(l)
                .and_modify(|f| {
                    let cur = &self.records[*f];
                    if (r.hlc, r.id.as_bytes()) < (cur.hlc, cur.id.as_bytes()) {
                        *f = i;
                    }
                })
                .or_insert(i);
        }
        self.label
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let pid = cluster_pid(self.records[founder[l]].id);
                let r = &self.records[i];
                (r.pid != pid).then_some((r.seq, pid))
            })
            .collect()
    }

    fn people(&self) -> u64 {
        self.label
            .iter()
            .enumerate()
            .filter(|&(i, &l)| i == l)
            .count() as u64
    }

    /// The engine's clustering over named rows, for the review queue.
    fn clustering(&self) -> Clustering {
        let mut first: FxHashMap<usize, u32> = FxHashMap::default();
        let cluster_of = self
            .rows
            .iter()
            .enumerate()
            .map(|(row, &i)| *first.entry(self.label[i]).or_insert(row as u32))
            .collect();
        Clustering { cluster_of }
    }

    /// Uncertain pairs not yet decided, most consequential first.
    fn review(&self, limit: usize) -> Vec<ReviewItem> {
        let Some(out) = &self.scores else {
            return Vec::new();
        };
        let decided: rustc_hash::FxHashSet<(EntryId, EntryId)> =
            self.decisions.iter().map(|d| (d.a, d.b)).collect();
        let clustering = self.clustering();
        review_queue(&clustering, &out.pairs, &out.probabilities, 0.4, usize::MAX)
            .into_iter()
            .filter(|item| {
                let (a, b) = ordered(
                    self.records[self.rows[item.a as usize]].id,
                    self.records[self.rows[item.b as usize]].id,
                );
                !decided.contains(&(a, b))
            })
            .take(limit)
            .collect()
    }
}

/// The public id of a cluster named by its founding report.
fn cluster_pid(founder: EntryId) -> i64 {
    gavah_store::person_id(&format!("c:{founder}"))
}

fn ordered(a: EntryId, b: EntryId) -> (EntryId, EntryId) {
    if a.as_bytes() <= b.as_bytes() {
        (a, b)
    } else {
        (b, a)
    }
}

fn ppm(x: f64) -> u32 {
    // Probabilities are checked to lie in 0..=1 before this.
    (x * 1_000_000.0).round().clamp(0.0, 1_000_000.0) as u32
}

fn distinct(pids: impl Iterator<Item = i64>) -> u64 {
    pids.collect::<rustc_hash::FxHashSet<i64>>().len() as u64
}

impl App {
    /// Links the store: clusters every report, with the stored model or a newly
    /// estimated one, and rewrites person ids so the figures count people.
    /// One transaction: the model entry and the new ids commit together.
    pub fn link(
        &mut self,
        req: &LinkRequest,
        progress: &dyn Progress,
    ) -> Result<LinkReport, AppError> {
        if let Some(t) = req.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(AppError::Invalid(format!(
                "the threshold must be a probability between 0 and 1, not {t}"
            )));
        }
        let key = self.store.team_key().clone();
        let node = self.store.node();
        let author = self.author.clone();
        let mut w = self.store.writer()?;
        let report = link_in(&mut w, req, progress, |w, body| {
            let hlc = w.tick();
            let e = gavah_entry::Entry::new(&key, node, &author, hlc, body);
            w.append(&e)?;
            Ok(())
        })?;
        w.commit()?;
        Ok(report)
    }

    /// Re-links with the stored model after reports or decisions changed;
    /// does nothing on a store that was never linked.
    pub fn relink(&mut self, progress: &dyn Progress) -> Result<Option<LinkReport>, AppError> {
        if self.store.link_model()?.is_none() {
            return Ok(None);
        }
        self.link(&LinkRequest::default(), progress).map(Some)
    }

    /// Uncertain pairs for a human to decide, most consequential first.
    pub fn review_queue(
        &self,
        limit: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<ReviewPair>, AppError> {
        let Some(stored) = self.store.link_model()? else {
            return Err(AppError::Invalid(
                "this store has not been linked yet; run `gavah link` first".into(),
            ));
        };
        let run = run_options(&stored)?;
        let linked = cluster_records(
            self.store.link_records()?,
            self.store.link_decisions()?,
            &[],
            None,
            &run,
            progress,
        )?;
        let Some(scores) = &linked.scores else {
            return Ok(Vec::new());
        };
        let cmp = gavah_link::compare::Comparator::new(&linked.data);
        let models: Vec<&Model> = [
            Some(&scores.models.by_name),
            scores.models.by_place.as_ref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let tfs: Vec<TermFrequencies> = models
            .iter()
            .map(|m| TermFrequencies::new(m, &cmp))
            .collect();
        let pass_of: FxHashMap<(u32, u32), u8> = scores
            .pairs
            .iter()
            .copied()
            .zip(scores.pass.iter().copied())
            .collect();
        let batches: FxHashMap<EntryId, (String, String)> = self
            .store
            .batch_labels()?
            .into_iter()
            .map(|(id, source, file)| (id, (source, file)))
            .collect();
        let side = |row: u32| -> ReviewSide {
            let i = linked.rows[row as usize];
            let r = &linked.records[i];
            let (source, file) = batches.get(&r.batch).cloned().unwrap_or_default();
            let fields = SCHEMA
                .iter()
                .zip(values(r))
                .map(|((n, _), v)| ((*n).to_string(), v))
                .collect();
            ReviewSide {
                report: r.id.to_string(),
                source,
                file,
                row: r.row,
                fields,
            }
        };
        Ok(linked
            .review(limit)
            .into_iter()
            .map(|item| ReviewPair {
                a: side(item.a),
                b: side(item.b),
                probability: f64::from(item.probability),
                together: item.together,
                explanation: {
                    let pass = usize::from(pass_of.get(&(item.a, item.b)).copied().unwrap_or(0))
                        .min(models.len() - 1);
                    models[pass].explain(&cmp, &tfs[pass], item.a as usize, item.b as usize)
                },
            })
            .collect())
    }

    /// Records a human decision on two reports (by their ids). Returns the
    /// decision's entry id. The clusters change at the next [`App::relink`].
    pub fn decide(
        &mut self,
        a: &str,
        b: &str,
        same: bool,
        note: Option<String>,
    ) -> Result<EntryId, AppError> {
        let body = self.decision(a, b, same, note)?;
        self.append_one(vec![body])
    }

    /// The entry body of a decision on reports `a` and `b` (ids as text),
    /// both checked to be reports of this store.
    pub(crate) fn decision(
        &self,
        a: &str,
        b: &str,
        same: bool,
        note: Option<String>,
    ) -> Result<Body, AppError> {
        let a = self.report_id(a)?;
        let b = self.report_id(b)?;
        if a == b {
            return Err(AppError::Invalid(
                "a decision needs two different reports".into(),
            ));
        }
        let (a, b) = ordered(a, b);
        Ok(Body::LinkDecision(LinkDecisionBody {
            a,
            b,
            same,
            note,
            made_ms: now_ms(),
        }))
    }

    fn report_id(&self, text: &str) -> Result<EntryId, AppError> {
        let id: EntryId = text.trim().parse().map_err(|_| {
            AppError::Invalid(format!(
                "'{text}' is not a report id (32 hexadecimal digits, as `gavah review` shows them)"
            ))
        })?;
        if !self.store.report_exists(id)? {
            return Err(AppError::Invalid(format!(
                "no report has the id {id} in this store"
            )));
        }
        Ok(id)
    }
}

/// Re-links inside an open transaction with the stored model, when the store
/// has one. With the stored model and its own threshold, a run records no
/// entry, so nothing is appended here.
pub(crate) fn relink_in(w: &mut Writer<'_>, progress: &dyn Progress) -> Result<(), AppError> {
    let Some(stored) = w.link_model()? else {
        return Ok(());
    };
    let through: Option<i64> = w.meta("linked_through")?.and_then(|v| v.parse().ok());
    let decisions_then: Option<u64> = w.meta("linked_decisions")?.and_then(|v| v.parse().ok());
    match (through, decisions_then) {
        (Some(through), Some(d)) if d == w.link_decision_count()? => {
            link_new(w, &stored, through, progress)
        }
        // Never linked with keys, or decisions changed: a whole link.
        _ => relink_whole(w, progress),
    }
}

/// Re-links the whole store inside an open transaction with the stored model,
/// when the store has one. The people are then a function of the set of
/// entries, whatever order they arrived in (what merging entries from other
/// nodes needs).
pub(crate) fn relink_whole(w: &mut Writer<'_>, progress: &dyn Progress) -> Result<(), AppError> {
    if w.link_model()?.is_none() {
        return Ok(());
    }
    link_in(w, &LinkRequest::default(), progress, |_, _| {
        Err(AppError::Other(
            "a re-link with the stored model tried to record a new model".into(),
        ))
    })?;
    Ok(())
}

/// Records how far the store is linked, for the next incremental link.
fn mark_linked(w: &mut Writer<'_>) -> Result<(), AppError> {
    let last = w.last_report_seq()?;
    let decisions = w.link_decision_count()?;
    w.set_meta("linked_through", &last.to_string())?;
    w.set_meta("linked_decisions", &decisions.to_string())?;
    Ok(())
}

/// The blocking keys of a report, as both passes block: its name's
/// transliteration key and phonetic key, and its event date with its place.
/// Hashed to 64 bits (a collision only adds a neighbour to compare). Each key
/// carries the name's sort key, the order a whole link sorts a large block in.
fn blocking_keys(r: &LinkRecord) -> Vec<LinkKey> {
    let v = values(r);
    if v[0].trim().is_empty() {
        return Vec::new();
    }
    // The same 64-bit BLAKE3 prefix as person ids; the kind keeps keys of
    // different rules apart.
    let hash = |kind: &str, text: &str| gavah_store::person_id(&format!("{kind}\u{0}{text}"));
    let k = gavah_link::translit::name_keys(v[0].trim());
    let mut keys = Vec::with_capacity(3);
    if !k.key.is_empty() {
        keys.push(hash("name", &k.key));
    }
    if !k.phonetic.is_empty() {
        keys.push(hash("phonetic", &k.phonetic));
    }
    let (date, place) = (v[3].trim(), v[4].trim());
    if !date.is_empty() && !place.is_empty() {
        keys.push(hash("date+place", &format!("{date}\u{1f}{place}")));
    }
    // As the dataset prepares the one name column (see `SCHEMA`).
    let sort = if k.key.is_empty() {
        String::new()
    } else {
        gavah_link::blocking::name_sort_key([k.key.as_str()])
    };
    keys.into_iter()
        .map(|key| LinkKey {
            key,
            sort: sort.clone(),
            report: r.seq,
        })
        .collect()
}

/// Links the reports added since the last link: each new report is compared
/// with the stored reports that share a blocking key, and the people those
/// belong to stay together (they may grow or merge, never split). A whole
/// `gavah link` may still place a few reports differently (the greedy
/// clustering sees the pairs in another order); `gavah link` re-does it all.
fn link_new(
    w: &mut Writer<'_>,
    stored: &gavah_store::StoredLinkModel,
    through: i64,
    progress: &dyn Progress,
) -> Result<(), AppError> {
    let fresh = w.link_records_after(through)?;
    if fresh.is_empty() {
        return Ok(());
    }
    let run = run_options(stored)?;
    let clock = Instant::now();
    progress.start("linking new reports", fresh.len() as u64);
    let mut keys: Vec<LinkKey> = fresh.iter().flat_map(blocking_keys).collect();
    let mut distinct: Vec<(i64, String)> = keys.iter().map(|k| (k.key, k.sort.clone())).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // The neighbours a whole link's blocking would give each new report.
    let blocking = gavah_link::blocking::BlockingOptions::default();
    let neighbours = w.link_neighbours(&distinct, blocking.max_block, blocking.window)?;
    // Whole people: every report of every person a neighbour belongs to.
    let near = w.link_records_of(&neighbours)?;
    let mut pids: Vec<i64> = near.iter().map(|r| r.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    let members = w.seqs_of_pids(&pids)?;
    let mut old = w.link_records_of(&members)?;
    let read = clock.elapsed();
    let old_count = old.len();
    old.extend(fresh);
    let records = old;
    // The people already formed stay together.
    let mut keep = Vec::new();
    let mut first_of: FxHashMap<i64, usize> = FxHashMap::default();
    for (i, r) in records.iter().enumerate().take(old_count) {
        match first_of.get(&r.pid) {
            Some(&f) => keep.push((f, i)),
            None => {
                first_of.insert(r.pid, i);
            }
        }
    }
    let decisions = w.link_decisions()?;
    let linked = cluster_records(
        records,
        decisions,
        &keep,
        Some(old_count),
        &run,
        &crate::NoProgress,
    )?;
    let clustered = clock.elapsed();
    w.set_pids(&linked.changed_pids())?;
    w.add_link_keys(&mut keys)?;
    mark_linked(w)?;
    progress.finish();
    tracing::debug!(
        new = linked.records.len() - old_count,
        neighbours = neighbours.len(),
        earlier = old_count,
        read_ms = read.as_millis(),
        cluster_ms = (clustered - read).as_millis(),
        write_ms = (clock.elapsed() - clustered).as_millis(),
        "incremental link"
    );
    Ok(())
}

impl App {
    /// Pairwise precision, recall and F1 of the store's people against a
    /// ground truth CSV with the columns `file,row,person_id` (as the demo
    /// writes it: the file name an import batch came from and the row number).
    /// Reports with no truth row are left out.
    pub fn link_scores(
        &self,
        truth: &std::path::Path,
    ) -> Result<gavah_link::metrics::PairwiseScores, AppError> {
        let bad = |why: String| AppError::Invalid(format!("{}: {why}", truth.display()));
        let mut reader = csv::Reader::from_path(truth).map_err(|e| bad(e.to_string()))?;
        let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| bad(format!("no '{name}' column (expected file,row,person_id)")))
        };
        let (fc, rc, pc) = (col("file")?, col("row")?, col("person_id")?);
        let mut person: FxHashMap<(String, u64), u32> = FxHashMap::default();
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        for (n, rec) in reader.records().enumerate() {
            let rec = rec.map_err(|e| bad(e.to_string()))?;
            let row: u64 =
                rec.get(rc).unwrap_or("").parse().map_err(|_| {
                    bad(format!("row {}: column 'row' must be a row number", n + 2))
                })?;
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            let pid = *ids
                .entry(rec.get(pc).unwrap_or("").to_string())
                .or_insert(next);
            person.insert((rec.get(fc).unwrap_or("").to_string(), row), pid);
        }
        let files: FxHashMap<EntryId, String> = self
            .store
            .batch_labels()?
            .into_iter()
            .map(|(id, _, file)| (id, file))
            .collect();
        let mut cluster = Vec::new();
        let mut truth_of = Vec::new();
        let mut clusters: FxHashMap<i64, u32> = FxHashMap::default();
        for r in self.store.link_records()? {
            let Some(file) = files.get(&r.batch) else {
                continue;
            };
            let Some(&t) = person.get(&(file.clone(), r.row)) else {
                continue;
            };
            let next = u32::try_from(clusters.len()).unwrap_or(u32::MAX);
            cluster.push(*clusters.entry(r.pid).or_insert(next));
            truth_of.push(t);
        }
        if cluster.is_empty() {
            return Err(bad(
                "no report of this store matches a row of the truth file".into(),
            ));
        }
        Ok(gavah_link::metrics::pairwise(&cluster, &truth_of, None))
    }
}

/// The stored models and settings of a store's model entry.
fn run_options(stored: &gavah_store::StoredLinkModel) -> Result<RunOptions, AppError> {
    let unreadable = |why: String| {
        AppError::Other(format!(
            "the stored linkage model {} cannot be read ({why}); run `gavah link --retrain`",
            stored.id
        ))
    };
    let models: StoreModel =
        serde_json::from_str(&stored.model).map_err(|e| unreadable(e.to_string()))?;
    if models.version != StoreModel::VERSION {
        return Err(unreadable(format!(
            "format version {} is not {}",
            models.version,
            StoreModel::VERSION
        )));
    }
    Ok(RunOptions {
        models: Some(models),
        threshold: f64::from(stored.threshold_ppm) / 1e6,
        min_support: f64::from(stored.min_support_ppm) / 1e6,
        seed: LinkRequest::default().seed,
    })
}

/// The link run inside an open transaction; `record` appends an entry.
fn link_in(
    w: &mut Writer<'_>,
    req: &LinkRequest,
    progress: &dyn Progress,
    record: impl Fn(&mut Writer<'_>, Body) -> Result<(), AppError>,
) -> Result<LinkReport, AppError> {
    let started = Instant::now();
    let stored = w.link_model()?;
    let (mut run, trained) = match (&stored, req.retrain) {
        (Some(s), false) => (run_options(s)?, false),
        _ => (
            RunOptions {
                models: None,
                threshold: LinkOptions::default().threshold,
                min_support: LinkOptions::default().min_support,
                seed: req.seed,
            },
            true,
        ),
    };
    if let Some(t) = req.threshold {
        run.threshold = t;
    }
    progress.start("reading reports", 0);
    let mut records = w.link_records()?;
    // In id order, so that the people are a function of the set of reports,
    // not of the order they arrived in (nodes receive them in any order).
    records.sort_unstable_by_key(|r| r.id);
    let decisions = w.link_decisions()?;
    progress.finish();
    let read = started.elapsed().as_secs_f64();
    let people_before = distinct(records.iter().map(|r| r.pid));
    let linked = cluster_records(records, decisions, &[], None, &run, progress)?;
    let pids = linked.changed_pids();
    let t = Instant::now();
    progress.start("writing person ids", pids.len() as u64);
    let changed = w.set_pids(&pids)?;
    let mut keys: Vec<LinkKey> = linked.records.iter().flat_map(blocking_keys).collect();
    w.replace_link_keys(&mut keys)?;
    mark_linked(w)?;
    progress.finish();
    let mut timings = vec![("reading".to_string(), read)];
    if let Some(sc) = &linked.scores {
        timings.extend(sc.timings.iter().cloned());
    }
    timings.push(("writing".to_string(), t.elapsed().as_secs_f64()));
    let model_changed = trained
        || stored
            .as_ref()
            .is_some_and(|s| s.threshold_ppm != ppm(run.threshold));
    if model_changed && let Some(sc) = &linked.scores {
        let model = serde_json::to_string(&sc.models)
            .map_err(|e| AppError::Other(format!("cannot record the linkage model: {e}")))?;
        record(
            w,
            Body::LinkModel(LinkModelBody {
                model,
                threshold_ppm: ppm(run.threshold),
                min_support_ppm: ppm(run.min_support),
                made_ms: now_ms(),
            }),
        )?;
    }
    let review_pending = linked.review(usize::MAX).len() as u64;
    Ok(LinkReport {
        reports: linked.records.len() as u64,
        named: linked.rows.len() as u64,
        pairs: linked.scores.as_ref().map_or(0, |o| o.pairs.len() as u64),
        people_before,
        people_after: linked.people(),
        changed,
        trained: model_changed && linked.scores.is_some(),
        threshold: run.threshold,
        decisions: linked.decisions.len() as u64,
        review_pending,
        timings,
    })
}
