//! Killing an import: SIGKILL at several moments of a large import leaves a
//! store that passes its integrity check and holds all of the file or none of
//! it; importing again then completes with every row exactly once.

use crate::util::{Dir, status_number};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// Rows in the large list: about four seconds of import in a debug build, long
/// enough to kill it part-way through.
const ROWS: u64 = 40_000;

fn large_list(d: &Dir) -> PathBuf {
    let mut text = String::with_capacity(ROWS as usize * 48);
    text.push_str("name,status,date,province,city\n");
    for i in 0..ROWS {
        let day = i % 28 + 1;
        text.push_str(&format!(
            "Crash Test Person {i},killed,2026-01-{day:02},Tehran,Tehran\n"
        ));
    }
    d.create("large.csv", text)
}

/// A child process killed and reaped when dropped, so that a failing
/// assertion never leaves an import running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// When to kill the import.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This fraction of a whole import's time after it started.
    Fraction(f64),
    /// Once the transaction is being written out, which (SQLite's page cache
    /// holding the whole import) happens at commit. A list this large is
    /// imported in a bulk transaction, with a rollback journal: the store
    /// file grows as its pages are written. (In WAL mode, the WAL would.)
    Writing,
}

/// How much written means the commit is being written: some 60 pages of 4 KiB.
const WRITTEN_BYTES: u64 = 256 * 1024;

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// Waits for the moment; `false` if the import ended first.
fn wait_for(child: &mut Child, moment: Moment, whole: Duration, db: &Path, wal: &Path) -> bool {
    let started = Instant::now();
    let db_before = file_len(db);
    let deadline = started + whole * 4 + Duration::from_secs(10);
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return false;
        }
        let now = Instant::now();
        assert!(
            now < deadline,
            "the import ran far longer than a whole import"
        );
        let due = match moment {
            Moment::Fraction(f) => now - started >= whole.mul_f64(f),
            Moment::Writing => {
                file_len(wal) > WRITTEN_BYTES || file_len(db) > db_before + WRITTEN_BYTES
            }
        };
        if due {
            return true;
        }
        std::thread::sleep(Duration::from_millis(match moment {
            Moment::Fraction(_) => 5,
            Moment::Writing => 1,
        }));
    }
}

#[test]
fn killing_an_import_leaves_all_or_nothing() {
    // A whole import, timed, and its figures for comparison.
    let reference = Dir::with_store();
    let file = large_list(&reference);
    let started = Instant::now();
    let r = reference.import(&file, "Large list", &[]);
    let whole = started.elapsed();
    assert!(r.stdout.contains(&format!("{ROWS} new")), "{r}");
    let expected = reference.figures();
    assert_eq!(expected["reports"], ROWS);
    assert_eq!(expected["people"], ROWS);

    let d = Dir::with_store();
    let file = large_list(&d);
    let mut landed = Vec::new();
    for moment in [
        Moment::Fraction(0.2),
        Moment::Fraction(0.55),
        Moment::Writing,
    ] {
        assert_eq!(file_len(&d.wal()), 0, "a closed store leaves no WAL");
        let mut child = Reaped(
            d.cmd(["import"])
                .arg(&file)
                .args(["--source", "Large list", "--source-type", "rights-group"])
                .spawn(),
        );
        let child = &mut child.0;
        let mut running = wait_for(child, moment, whole, d.db(), &d.wal());
        if running && matches!(moment, Moment::Fraction(f) if f < 0.5) {
            // Readers are not blocked by the import, and do not see it.
            let s = d.cmd(["status"]).ok().stdout;
            assert_eq!(status_number(&s, "entries"), 0, "during the import:\n{s}");
            assert_eq!(d.figures()["reports"], 0, "during the import");
            running = child.try_wait().expect("try_wait").is_none();
        }
        let written_at_kill = (file_len(d.db()), file_len(&d.wal()));
        if running {
            child.kill().expect("kill");
        }
        let status = child.wait().expect("wait");
        if running {
            assert!(!status.success(), "{moment:?}: killed, yet it succeeded");
            let (db, wal) = written_at_kill;
            landed.push(format!("{moment:?} (store {db} bytes, WAL {wal} bytes)"));
        }

        let s = d.cmd(["status"]).ok().stdout;
        assert!(s.contains("integrity: ok"), "{moment:?}: {s}");
        let reports = status_number(&s, "reports");
        assert!(
            reports == 0 || reports == ROWS,
            "{moment:?}: a killed import left {reports} of {ROWS} reports:\n{s}"
        );
        if reports == 0 {
            assert_eq!(
                status_number(&s, "entries"),
                0,
                "{moment:?}: nothing of the import may remain:\n{s}"
            );
        }
        let f = d.figures();
        assert_eq!(
            f["reports"], reports,
            "{moment:?}: figures agree with status"
        );
    }
    eprintln!("whole import {whole:?}; kills landed at {landed:?}");
    assert!(
        landed.len() >= 2,
        "most kills must land while the import runs (whole import {whole:?}); landed: {landed:?}"
    );

    // Importing again completes, with every row exactly once.
    let before = status_number(&d.status(), "reports");
    let r = d.import(&file, "Large list", &[]);
    assert!(
        r.stdout.contains(&format!(
            "{} new, {before} already in the store",
            ROWS - before
        )),
        "{r}"
    );
    let s = d.status();
    assert_eq!(status_number(&s, "reports"), ROWS, "{s}");
    assert!(s.contains("integrity: ok"), "{s}");
    assert_eq!(
        d.figures(),
        expected,
        "the same figures as an uninterrupted import"
    );
    let again = d.import(&file, "Large list", &[]);
    assert!(
        again.stdout.contains(&format!("0 new, {ROWS} already")),
        "{again}"
    );
}

#[test]
fn two_imports_at_once_both_land() {
    // The second waits for the first's transaction instead of failing.
    let d = Dir::with_store();
    let mut files = Vec::new();
    for (n, city) in [(0, "Tabriz"), (1, "Rasht")] {
        let mut text = String::from("name,status,date,city\n");
        for i in 0..3000 {
            text.push_str(&format!("Person {n}-{i},detained,2026-01-10,{city}\n"));
        }
        files.push(d.create(&format!("list-{n}.csv"), text));
    }
    let mut children: Vec<Reaped> = files
        .iter()
        .enumerate()
        .map(|(n, f)| {
            d.cmd(["import"])
                .arg(f)
                .args(["--source", &format!("Group {n}")])
                .spawn()
        })
        .map(Reaped)
        .collect();
    for c in &mut children {
        assert!(c.0.wait().expect("wait").success(), "both imports succeed");
    }
    let f = d.figures();
    assert_eq!(f["reports"], 6000, "{f}");
    assert_eq!(f["by_outcome"]["detained"], 6000, "{f}");
    assert_eq!(f["cities"], 2, "{f}");
    assert!(d.status().contains("integrity: ok"));
}
