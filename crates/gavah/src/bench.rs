//! `gavah bench`: end-to-end speed figures on generated data, printed for
//! docs/BENCHMARKS.md. Measures, never asserts: the machines are shared and noisy.

use crate::config::Config;
use anyhow::Context;
use gavah_app::{App, ImportKind, ImportRequest, NoProgress};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// How many rows the generated CSV has.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Where to put the generated CSV and the scratch store (removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// How many times to time `figures` (the median is reported).
    #[arg(long, default_value_t = 20)]
    pub repeat: usize,
    /// Keep the store (DIR/bench.db) for other measurements, e.g. of the
    /// dashboard under load (scripts/bench-web.sh). Needs --dir.
    #[arg(long, requires = "dir")]
    pub keep: bool,
    /// Also time a bundle exchange: every entry exported from the store to a
    /// second node of the team, then imported there (signatures checked);
    /// the import is timed `--bundle-runs` times, each into a fresh store.
    #[arg(long)]
    pub bundle: bool,
    /// How many fresh stores to import the bundle into (best and median
    /// reported).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub bundle_runs: usize,
    /// Also time linkage: the whole store linked, then 1,000 new rows from
    /// another source imported into the linked store (linked incrementally,
    /// in the import's transaction), counting the existing reports whose
    /// person id changed.
    #[arg(long)]
    pub link: bool,
}

const GIVEN: &[&str] = &[
    "محمد",
    "علی",
    "حسین",
    "رضا",
    "مهدی",
    "فاطمه",
    "زهرا",
    "امیر",
    "سارا",
    "نرگس",
    "Mohammad",
    "Ali",
    "Hossein",
    "Reza",
    "Sara",
];
const SURNAME: &[&str] = &[
    "رضایی",
    "احمدی",
    "حسینی",
    "محمدی",
    "کریمی",
    "موسوی",
    "Rezaei",
    "Ahmadi",
    "Hosseini",
    "Karimi",
    "Mousavi",
    "Jafari",
];
const CITY: &[&str] = &[
    "تهران",
    "Zahedan",
    "مشهد",
    "Isfahan",
    "کرمانشاه",
    "Rasht",
    "Tabriz",
    "شیراز",
    "Karaj",
    "سنندج",
    "Ahvaz",
    "Qom",
];
const STATUS: &[&str] = &[
    "killed",
    "کشته",
    "detained",
    "بازداشت",
    "wounded",
    "زخمی",
    "detained",
    "released",
];
const CATEGORY: &[&str] = &[
    "protester",
    "معترض",
    "bystander",
    "security forces",
    "unknown",
];

/// A deterministic CSV of `rows` people, mixing scripts and calendars, its row
/// numbers (and so its content) starting at `first`.
fn write_csv(path: &Path, first: u64, rows: u64) -> anyhow::Result<u64> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "row,name,age,sex,city,date,status,category,witness")?;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ first.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut next = |n: usize| {
        // xorshift: fast and deterministic; these are benchmark rows, not secrets.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        usize::try_from(x % n as u64).unwrap_or(0)
    };
    for i in first..first + rows {
        let day = next(31);
        let date = if i % 2 == 0 {
            gavah_core::Date::from_ymd(2025, 12, 28)
                .map(|d| d.add_days(i32::try_from(day).unwrap_or(0)).to_string())
                .unwrap_or_default()
        } else {
            let d = gavah_core::Date::from_ymd(2025, 12, 28)
                .map(|d| d.add_days(i32::try_from(day).unwrap_or(0)));
            d.map(|d| {
                let (y, m, dd) = gavah_core::jalali::gregorian_to_jalali(d);
                format!("{y}/{m:02}/{dd:02}")
            })
            .unwrap_or_default()
        };
        writeln!(
            w,
            "{i},{} {} {},{},{},{},{date},{},{},witness {i}",
            GIVEN[next(GIVEN.len())],
            SURNAME[next(SURNAME.len())],
            i % 9973,
            15 + next(40),
            if next(7) == 0 { "female" } else { "male" },
            CITY[next(CITY.len())],
            STATUS[next(STATUS.len())],
            CATEGORY[next(CATEGORY.len())],
        )?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn run(a: &BenchArgs, config: &Config, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = a.dir.clone().unwrap_or_else(|| {
        config
            .data_dir
            .join(format!("bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let csv = dir.join("bench.csv");
    let db = dir.join("bench.db");
    let _ = std::fs::remove_file(&db);
    let t = Instant::now();
    let bytes = write_csv(&csv, 0, a.rows)?;
    writeln!(
        out,
        "generated {} rows ({:.1} MB) in {:.1} s",
        a.rows,
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    )?;

    App::init(&db, "bench")?;
    let mut app = App::open(&db, "bench")?;
    let req = ImportRequest {
        file: csv.clone(),
        kind: ImportKind::People,
        source: Some("Benchmark list".into()),
        source_type: Some(gavah_core::SourceType::RightsGroup),
        ..ImportRequest::default()
    };
    let t = Instant::now();
    let r = app.import(&req, &NoProgress)?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        r.committed,
        "the benchmark import failed: {:?}",
        r.problems.iter().find(|p| p.is_error())
    );
    writeln!(
        out,
        "import: {} rows in {:.2} s = {:.0} rows/s; peak RSS {:.0} MiB",
        r.rows,
        secs,
        r.rows as f64 / secs,
        peak_rss_mib().unwrap_or(f64::NAN)
    )?;

    let t = Instant::now();
    let r2 = app.import(&req, &NoProgress)?;
    writeln!(
        out,
        "re-import of the same file: {} new in {:.2} s",
        r2.added,
        t.elapsed().as_secs_f64()
    )?;

    drop(app);
    let mut times = Vec::new();
    for _ in 0..a.repeat.max(1) {
        // A fresh open each time, as the `gavah figures` command does.
        let t = Instant::now();
        let app = App::open(&db, "bench")?;
        let f = app.figures()?;
        std::hint::black_box(f);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    writeln!(
        out,
        "figures: median {:.2} ms, max {:.2} ms over {} runs (open + query, {} reports)",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len(),
        a.rows
    )?;
    let app = App::open(&db, "bench")?;
    let t = Instant::now();
    let (n, before, after) = app_rebuild(app)?;
    writeln!(
        out,
        "rebuild: {n} entries in {:.2} s (digest {})",
        t.elapsed().as_secs_f64(),
        if before == after {
            "unchanged"
        } else {
            "CHANGED"
        }
    )?;
    if a.link {
        link_and_add(&dir, &db, a.rows, out)?;
    }
    if a.bundle {
        bundle_exchange(&dir, &db, a.bundle_runs, out)?;
    }
    if a.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else if !a.keep {
        let _ = std::fs::remove_file(&db);
    }
    Ok(())
}

/// Links the whole store, then imports 1,000 new rows into it (linked
/// incrementally), timing both.
fn link_and_add(dir: &Path, db: &Path, rows: u64, out: &mut impl Write) -> anyhow::Result<()> {
    let mut app = App::open(db, "bench")?;
    let t = Instant::now();
    let r = app.link(&gavah_app::LinkRequest::default(), &NoProgress)?;
    let phases: Vec<String> = r
        .timings
        .iter()
        .map(|(phase, s)| format!("{phase} {s:.1} s"))
        .collect();
    writeln!(
        out,
        "link: {} reports into {} people in {:.2} s ({}); peak RSS {:.0} MiB",
        r.reports,
        r.people_after,
        t.elapsed().as_secs_f64(),
        phases.join(", "),
        peak_rss_mib().unwrap_or(f64::NAN)
    )?;
    let pids = |app: &App| -> anyhow::Result<std::collections::HashMap<i64, i64>> {
        Ok(app
            .store()
            .link_records()?
            .into_iter()
            .map(|r| (r.seq, r.pid))
            .collect())
    };
    let before = pids(&app)?;
    let new = dir.join("bench-new.csv");
    write_csv(&new, rows, 1_000)?;
    let t = Instant::now();
    let added = app.import(
        &ImportRequest {
            file: new.clone(),
            kind: ImportKind::People,
            source: Some("Benchmark new list".into()),
            source_type: Some(gavah_core::SourceType::FieldReport),
            ..ImportRequest::default()
        },
        &NoProgress,
    )?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(added.committed, "the new rows were not imported");
    let after = pids(&app)?;
    let moved = before
        .iter()
        .filter(|(seq, pid)| after.get(seq) != Some(pid))
        .count();
    let people = app.figures()?;
    writeln!(
        out,
        "incremental: {} new rows imported and linked into {} linked reports in {:.2} s; \
         {moved} existing reports changed person (their people merged with another); {} people now",
        added.added,
        before.len(),
        secs,
        people.people
    )?;
    let _ = std::fs::remove_file(&new);
    Ok(())
}

fn app_rebuild(mut app: App) -> anyhow::Result<(u64, String, String)> {
    Ok(app.rebuild(&NoProgress)?)
}

/// Exports every entry of `db` to a second node of its team and imports the
/// bundle there, timing both.
fn bundle_exchange(dir: &Path, db: &Path, runs: usize, out: &mut impl Write) -> anyhow::Result<()> {
    use gavah_sync::bundle::{NodeSecret, PrekeyPolicy, PrekeyRing};
    let other = dir.join("bench-peer.db");
    let _ = std::fs::remove_file(&other);
    let mut a = App::open(db, "bench")?;
    App::init_with_team_key(&other, "bench", Some(a.store().team_key().clone()))?;
    let mut b = App::open(&other, "bench")?;
    let (ka, kb) = (NodeSecret::generate()?, NodeSecret::generate()?);
    let (mut ra, mut rb) = (
        PrekeyRing::new(PrekeyPolicy::default()),
        PrekeyRing::new(PrekeyPolicy::default()),
    );
    a.trust_peer(&ka, kb.public(), Some("b"))?;
    b.trust_peer(&kb, ka.public(), Some("a"))?;
    let now = 1_800_000_000;
    let t = Instant::now();
    let bundle = a.export_bundle(
        &mut gavah_app::NodeKeys {
            secret: &ka,
            ring: &mut ra,
        },
        &[*kb.public()],
        gavah_app::Since::All,
        now,
    )?;
    let export_s = t.elapsed().as_secs_f64();
    writeln!(
        out,
        "bundle export: {} entries ({:.1} MB sealed) in {:.2} s = {:.0} entries/s (each signed)",
        bundle.entries,
        bundle.bytes.len() as f64 / 1e6,
        export_s,
        bundle.entries as f64 / export_s
    )?;
    let mut import = |app: &mut App| -> anyhow::Result<f64> {
        let t = Instant::now();
        let r = app.import_bundle(
            &mut gavah_app::NodeKeys {
                secret: &kb,
                ring: &mut rb,
            },
            bundle.bytes.as_slice(),
            bundle.bytes.len() as u64,
            now,
            &NoProgress,
        )?;
        let import_s = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            r.merged == bundle.entries,
            "the bundle merged {} of {} entries",
            r.merged,
            bundle.entries
        );
        Ok(import_s)
    };
    let mut times = vec![import(&mut b)?];
    // The same bundle into more fresh stores, for a figure less at the mercy
    // of one noisy moment.
    for run in 1..runs.max(1) {
        let path = dir.join(format!("bench-peer-{run}.db"));
        let _ = std::fs::remove_file(&path);
        App::init_with_team_key(&path, "bench", Some(a.store().team_key().clone()))?;
        let mut fresh = App::open(&path, "bench")?;
        fresh.trust_peer(&kb, ka.public(), Some("a"))?;
        times.push(import(&mut fresh)?);
        drop(fresh);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("bench-peer-{run}.db{suffix}")));
        }
    }
    let each: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let n = bundle.entries as f64;
    writeln!(
        out,
        "bundle import: {} entries in {:.2} s best, {:.2} s median of {} runs ({} s) = {:.0} / {:.0} entries/s (decrypted, signatures and ids checked, merged)",
        bundle.entries,
        best,
        median,
        times.len(),
        each.join(", "),
        n / best,
        n / median
    )?;
    // Live sync of a small difference between the two stores, now equal:
    // 100 new rows on A (102 entries with their source and batch), the
    // same rows as another list's, so new entries with familiar content.
    let extra = dir.join("bench-extra.csv");
    write_csv(&extra, 0, 100)?;
    a.import(
        &ImportRequest {
            file: extra.clone(),
            kind: ImportKind::People,
            source: Some("Benchmark extra list".into()),
            source_type: Some(gavah_core::SourceType::Media),
            ..ImportRequest::default()
        },
        &NoProgress,
    )?;
    let mut sessions = gavah_app::LiveSessions::default();
    let t = Instant::now();
    let live = a.live_sync(
        &ka,
        &ra,
        kb.public(),
        |body| {
            b.live_answer(&kb, &rb, &mut sessions, &body, now)
                .map_err(|e| e.to_string())
        },
        now,
        &NoProgress,
    )?;
    let d = live.pushed + live.fetched;
    writeln!(
        out,
        "live sync, {} entries a side, d = {d}: {} round trips ({} to reconcile), reconciliation {} bytes = {:.1} bytes per difference; {} sealed bytes in all, {:.2} s",
        bundle.entries,
        live.round_trips,
        live.reconcile_round_trips,
        live.reconcile_bytes,
        live.reconcile_bytes as f64 / d.max(1) as f64,
        live.bytes_sent + live.bytes_received,
        t.elapsed().as_secs_f64()
    )?;
    drop(b);
    let _ = std::fs::remove_file(&other);
    Ok(())
}
