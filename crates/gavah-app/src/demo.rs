//! The demonstration data set: a seeded synthetic crisis, written as the files
//! each source would have sent and imported through the normal import path.

use crate::import::{ImportKind, ImportRequest};
use crate::{App, AppError, ClaimInput, Progress};
use gavah_demo::{DemoConfig, write_demo};
use std::path::Path;

/// What `gavah demo` built.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub people: usize,
    /// Distinct people after linkage (the generator's truth has `people`).
    pub people_linked: u64,
    pub lists: Vec<(String, String, u64)>,
    pub figures: u64,
    pub claims: usize,
}

/// Builds the demo store at `store` from lists written to `lists_dir`.
/// `store` must not exist, or must be an earlier demo store (which is replaced).
pub fn build_demo(
    store: &Path,
    lists_dir: &Path,
    cfg: &DemoConfig,
    author: &str,
    progress: &dyn Progress,
) -> Result<DemoReport, AppError> {
    if store.exists() {
        let purpose = gavah_store::Store::open(store)?.meta("purpose")?;
        if purpose.as_deref() != Some("demo") {
            return Err(AppError::Invalid(format!(
                "{} holds real data, not a demo store; give the demo another --db path",
                store.display()
            )));
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{suffix}", store.display()));
            if p.exists() {
                std::fs::remove_file(&p)
                    .map_err(|e| AppError::Other(format!("cannot remove {}: {e}", p.display())))?;
            }
        }
    }
    let out = write_demo(cfg, lists_dir)
        .map_err(|e| AppError::Other(format!("cannot write the demo lists: {e}")))?;
    App::init(store, "demo")?;
    let mut app = App::open(store, author)?;
    let mut report = DemoReport {
        people: out.people,
        people_linked: 0,
        lists: Vec::new(),
        figures: 0,
        claims: out.claims.len(),
    };
    for list in &out.lists {
        let req = ImportRequest {
            file: lists_dir.join(&list.file_name),
            kind: ImportKind::People,
            source: Some(list.source_name.clone()),
            source_type: Some(list.source_type),
            protected: list.protected,
            ..ImportRequest::default()
        };
        let r = app.import(&req, progress)?;
        if !r.committed {
            return Err(AppError::Other(format!(
                "the demo list {} did not import ({} errors; first: {})",
                list.file_name,
                r.errors(),
                first_error(&r)
            )));
        }
        report
            .lists
            .push((list.source_name.clone(), list.file_name.clone(), r.added));
    }
    let req = ImportRequest {
        file: lists_dir.join(&out.figures_file),
        kind: ImportKind::Figures,
        ..ImportRequest::default()
    };
    let r = app.import(&req, progress)?;
    if !r.committed {
        return Err(AppError::Other(format!(
            "the demo figures did not import: {}",
            first_error(&r)
        )));
    }
    report.figures = r.added;
    for c in &out.claims {
        let id = app.add_claim(&ClaimInput {
            by: c.by.clone(),
            date: c.date,
            text: c.text.clone(),
            citation: c.citation.clone(),
        })?;
        for s in &c.statuses {
            app.set_claim_status(id, s.status, &s.by, s.date, s.note.clone())?;
        }
    }
    // The demo's figures count linked people, as a documenter's would.
    let linked = app.link(&crate::LinkRequest::default(), progress)?;
    report.people_linked = linked.people_after;
    Ok(report)
}

/// The first error of a failed import, for a one-line message.
fn first_error(r: &crate::ImportReport) -> String {
    r.problems
        .iter()
        .find(|p| p.is_error())
        .map(ToString::to_string)
        .unwrap_or_default()
}
