//! A list imported into a linked store is linked in the import's own
//! transaction against only the reports that share a blocking key with it
//! (the incremental link). It must land where a whole link of the store puts
//! it, keep every earlier person whole, and keep the earlier people's ids.

use gavah_app::{App, ImportKind, ImportRequest, LinkRequest, NoProgress};
use gavah_demo::{DemoConfig, DemoList, write_demo};
use std::collections::HashMap;
use std::path::Path;

fn import(app: &mut App, dir: &Path, list: &DemoList) {
    let r = app
        .import(
            &ImportRequest {
                file: dir.join(&list.file_name),
                kind: ImportKind::People,
                source: Some(list.source_name.clone()),
                source_type: Some(list.source_type),
                protected: list.protected,
                ..ImportRequest::default()
            },
            &NoProgress,
        )
        .expect("the list imports");
    assert!(r.committed, "{} did not import", list.file_name);
}

/// Every report's person id, by report id.
fn pids(app: &App) -> HashMap<gavah_core::EntryId, i64> {
    app.store()
        .link_records()
        .expect("the reports read")
        .into_iter()
        .map(|r| (r.id, r.pid))
        .collect()
}

#[test]
fn a_list_linked_into_a_linked_store_lands_where_a_whole_link_puts_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let lists = dir.path().join("lists");
    let out = write_demo(
        &DemoConfig {
            people: 1_500,
            seed: 7,
        },
        &lists,
    )
    .expect("the demo lists");
    let db = dir.path().join("store.db");
    App::init(&db, "test").expect("a new store");
    let mut app = App::open(&db, "test").expect("the store opens");
    // The biggest list last, so that the incremental link has work to do.
    let mut order: Vec<&DemoList> = out.lists.iter().collect();
    order.sort_by_key(|l| l.rows);
    let (last, earlier) = order.split_last().expect("several lists");
    for list in earlier {
        import(&mut app, &lists, list);
    }
    app.link(&LinkRequest::default(), &NoProgress)
        .expect("the store links");
    let before = pids(&app);

    import(&mut app, &lists, last);
    let after = pids(&app);
    assert!(
        after.len() > before.len() + 100,
        "the last list added little"
    );

    // Every earlier person is still whole, under the id it had (people may
    // only merge, when a new report shows two were one).
    let mut people: HashMap<i64, Vec<gavah_core::EntryId>> = HashMap::new();
    for (id, pid) in &before {
        people.entry(*pid).or_default().push(*id);
    }
    let mut kept = 0;
    for (pid, reports) in &people {
        let now: std::collections::BTreeSet<i64> = reports.iter().map(|r| after[r]).collect();
        assert_eq!(now.len(), 1, "person {pid} was split by an import");
        kept += usize::from(now.contains(pid));
    }
    assert!(
        kept * 100 >= people.len() * 99,
        "only {kept} of {} people kept their id",
        people.len()
    );

    // A whole link of the same store puts (nearly) every report in the same
    // person: pairwise agreement of the two partitions.
    app.link(&LinkRequest::default(), &NoProgress)
        .expect("the store links again");
    let whole = pids(&app);
    let mut ids: Vec<&gavah_core::EntryId> = whole.keys().collect();
    ids.sort();
    let label = |of: &HashMap<gavah_core::EntryId, i64>| -> Vec<u32> {
        let mut names: HashMap<i64, u32> = HashMap::new();
        ids.iter()
            .map(|id| {
                let next = u32::try_from(names.len()).expect("few people");
                *names.entry(of[*id]).or_insert(next)
            })
            .collect()
    };
    let scores = gavah_link::metrics::pairwise(&label(&after), &label(&whole), None);
    assert!(
        scores.f1 >= 0.99,
        "the incremental link and a whole link disagree: {scores:?}"
    );
}
