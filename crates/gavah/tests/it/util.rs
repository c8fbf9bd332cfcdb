//! Test helpers: `Dir`, a temporary folder holding a store and input files, and
//! `TestCommand`, which runs the real `gavah` binary cut off from the user's
//! configuration (the idea of ripgrep's `tests/util.rs`, written for Gavah).

use std::ffi::OsStr;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Who every test command says it is.
pub const AUTHOR: &str = "tester";

/// The binary under test.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_gavah"))
}

/// A file of `crates/gavah/tests/data`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Writes a file whole. (`std::fs::write` is banned by the workspace's clippy.toml
/// in favour of an atomic write; a test's scratch files need no atomicity.)
pub fn write_file(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::File::create(path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    f.write_all(bytes)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A temporary folder with a store path (`store/gavah.db`, not created until
/// `init`) and room for input files. Removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
    db: PathBuf,
}

impl Dir {
    pub fn new() -> Dir {
        let tmp = tempfile::Builder::new()
            .prefix("gavah-it-")
            .tempdir()
            .expect("cannot create a temporary folder");
        let db = tmp.path().join("store").join("gavah.db");
        Dir { tmp, db }
    }

    /// A new folder with a store created by `gavah init`.
    pub fn with_store() -> Dir {
        let d = Dir::new();
        d.init();
        d
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// The store file, as `GAVAH_DB` names it.
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// Writes `bytes` to `name` in the folder and returns its path.
    pub fn create(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(name);
        write_file(&p, bytes.as_ref());
        p
    }

    /// Copies a fixture of `tests/data` into the folder, so that messages name
    /// a path inside it.
    pub fn fixture(&self, name: &str) -> PathBuf {
        let p = self.join(name);
        std::fs::copy(data(name), &p)
            .unwrap_or_else(|e| panic!("cannot copy the fixture {name}: {e}"));
        p
    }

    /// `gavah --quiet ARGS…`, isolated: its own store, author, home and data
    /// directory, and none of the caller's `GAVAH_*` settings.
    pub fn cmd<I, S>(&self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(bin());
        for var in [
            "GAVAH_CONFIG",
            "GAVAH_LOG",
            "GAVAH_DB",
            "GAVAH_AUTHOR",
            "GAVAH_PASSPHRASE",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("GAVAH_DB", &self.db)
            .env("GAVAH_AUTHOR", AUTHOR)
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.join("xdg-data"))
            .env("XDG_CONFIG_HOME", self.join("xdg-config"))
            .current_dir(self.path())
            .stdin(Stdio::null())
            .arg("--quiet")
            .args(args);
        TestCommand { cmd }
    }

    pub fn init(&self) {
        let r = self.cmd(["init"]).ok();
        assert!(r.stdout.contains("created a Gavah store"), "init said: {r}");
    }

    /// `gavah import FILE --source SOURCE --source-type rights-group EXTRA…`, which must succeed.
    pub fn import(&self, file: &Path, source: &str, extra: &[&str]) -> Run {
        let mut c = self.cmd(["import"]);
        c.arg(file)
            .args(["--source", source, "--source-type", "rights-group"])
            .args(extra);
        c.ok()
    }

    /// `gavah figures --format json`, parsed.
    pub fn figures(&self) -> serde_json::Value {
        let r = self.cmd(["figures", "--format", "json"]).ok();
        serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("figures --format json is not JSON ({e}): {r}"))
    }

    /// `gavah status`'s output.
    pub fn status(&self) -> String {
        self.cmd(["status"]).ok().stdout
    }

    /// How many reports `gavah status` says the store holds.
    pub fn reports(&self) -> u64 {
        let s = self.status();
        status_number(&s, "reports")
    }

    /// The store file's bytes. Call only when no gavah process is running: the
    /// store runs in WAL mode and a closed store has everything in this file.
    pub fn db_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.db).unwrap_or_else(|e| panic!("cannot read {}: {e}", self.db.display()))
    }

    /// The store's WAL file, with the store's name and `-wal` appended.
    pub fn wal(&self) -> PathBuf {
        PathBuf::from(format!("{}-wal", self.db.display()))
    }

    /// What the store holds, seen three ways: its bytes, its figures and its status.
    pub fn snapshot(&self) -> Snapshot {
        // Bytes first: `figures` and `status` must not change them, which the
        // comparison in `assert_unchanged` then also checks.
        let db = self.db_bytes();
        Snapshot {
            db,
            figures: self.cmd(["figures", "--format", "json"]).ok().stdout,
            status: self.status(),
        }
    }

    /// Asserts the store is exactly as `before` found it.
    pub fn assert_unchanged(&self, before: &Snapshot, after_what: &str) {
        let wal_len = std::fs::metadata(self.wal()).map_or(0, |m| m.len());
        assert_eq!(
            wal_len, 0,
            "after {after_what}: a closed store left {wal_len} bytes in its WAL"
        );
        let now = self.snapshot();
        assert_eq!(
            before.figures, now.figures,
            "after {after_what}: the figures changed"
        );
        assert_eq!(
            before.status, now.status,
            "after {after_what}: the status changed"
        );
        assert!(
            before.db == now.db,
            "after {after_what}: the store file's bytes changed ({} → {} bytes)",
            before.db.len(),
            now.db.len()
        );
    }
}

/// The number before `what` in status's `entries:` line, e.g. `12 reports`.
pub fn status_number(status: &str, what: &str) -> u64 {
    let line = status
        .lines()
        .find(|l| l.starts_with("entries:"))
        .unwrap_or_else(|| panic!("no entries line in status:\n{status}"));
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    if what == "entries" {
        return words[1].parse().expect("entries count");
    }
    let i = words
        .iter()
        .position(|w| *w == what)
        .unwrap_or_else(|| panic!("no '{what}' in {line}"));
    words[i - 1]
        .parse()
        .unwrap_or_else(|_| panic!("no number before '{what}' in {line}"))
}

pub struct Snapshot {
    db: Vec<u8>,
    figures: String,
    status: String,
}

/// A command about to run.
pub struct TestCommand {
    cmd: Command,
}

impl TestCommand {
    /// Starts the command with standard output and error piped, not waiting.
    pub fn spawn_piped(&mut self) -> std::process::Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start gavah: {e}"))
    }

    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(&mut self, k: &str, v: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(k, v);
        self
    }

    /// Runs it to the end, whatever its exit status.
    pub fn run(&mut self) -> Run {
        let out = self
            .cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.cmd));
        Run {
            command: format!("{:?}", self.cmd),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs it and asserts it succeeded.
    pub fn ok(&mut self) -> Run {
        let r = self.run();
        assert_eq!(r.code, Some(0), "expected success: {r}");
        r
    }

    /// Runs it and asserts it failed with exit status 1 (an error the command
    /// itself reported, not a usage error or a crash).
    pub fn fails(&mut self) -> Run {
        let r = self.run();
        assert_eq!(r.code, Some(1), "expected exit status 1: {r}");
        assert!(!r.stderr.is_empty(), "a failure must say why: {r}");
        assert!(
            !r.stderr.contains("panicked"),
            "a failure must not be a panic: {r}"
        );
        r
    }

    /// Runs it and asserts clap rejected the arguments (exit status 2).
    pub fn usage_error(&mut self) -> Run {
        let r = self.run();
        assert_eq!(r.code, Some(2), "expected a usage error: {r}");
        r
    }

    /// Starts it in the background, output discarded.
    pub fn spawn(&mut self) -> Child {
        self.cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.cmd))
    }
}

/// A finished command's exit status and output.
pub struct Run {
    command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output and standard error together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Asserts standard error holds every piece.
    pub fn assert_stderr_has(&self, pieces: &[&str]) {
        for p in pieces {
            assert!(self.stderr.contains(p), "stderr lacks {p:?}: {self}");
        }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n$ {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// `label: a, b, c` and a newline (no trailing space when there is nothing).
fn line(label: &str, items: &[String]) -> String {
    if items.is_empty() {
        format!("{label}:\n")
    } else {
        format!("{label}: {}\n", items.join(", "))
    }
}

/// The figures JSON in a few sorted lines, for comparing with what a fixture
/// says: totals, then every count as `outcome/key n`.
pub fn summary(f: &serde_json::Value) -> String {
    let n = |k: &str| {
        f[k].as_u64()
            .unwrap_or_else(|| panic!("no number {k} in {f}"))
    };
    let mut out = format!(
        "people {}, reports {}, cities {}, provinces {}\n",
        n("people"),
        n("reports"),
        n("cities"),
        n("provinces")
    );
    let obj = |k: &str| {
        f[k].as_object()
            .unwrap_or_else(|| panic!("no object {k} in {f}"))
            .clone()
    };
    let outcome: Vec<String> = obj("by_outcome")
        .iter()
        .map(|(o, c)| format!("{o} {c}"))
        .collect();
    out += &line("outcome", &outcome);
    let mut category = Vec::new();
    for (o, m) in obj("by_category") {
        for (c, v) in m.as_object().expect("category map") {
            category.push(format!("{o}/{c} {v}"));
        }
    }
    out += &line("category", &category);
    for (label, key, field) in [
        ("province", "by_province", "code"),
        ("day", "by_day", "day"),
    ] {
        let mut rows: Vec<String> = f[key]
            .as_array()
            .unwrap_or_else(|| panic!("no array {key} in {f}"))
            .iter()
            .map(|r| {
                format!(
                    "{}/{} {}",
                    r["outcome"].as_str().expect("outcome"),
                    r[field].as_str().expect("key"),
                    r["count"]
                )
            })
            .collect();
        rows.sort();
        out += &line(label, &rows);
    }
    out
}
