//! `gavah node` and `gavah bundle split|join` through the real binary: keys made
//! once and kept private, chunks for each channel joined back in any order,
//! and a short folder told how many more chunks it needs.

use crate::util::Dir;

#[test]
fn a_bundle_cut_into_chunks_comes_back_whole_from_any_enough_of_them() {
    let d = Dir::new();
    // Random bytes stand for an encrypted bundle.
    let bytes: Vec<u8> = (0..30_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bundle = d.create("b.bundle", &bytes);
    for channel in ["qr", "sms", "email", "udp"] {
        let dir = d.join(channel);
        let r = d
            .cmd(["bundle", "split"])
            .arg(&bundle)
            .args(["--channel", channel, "--out"])
            .arg(&dir)
            .ok();
        assert!(r.stdout.contains("chunks for"), "{r}");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let total = files.len();
        // Lose one chunk in fifteen, spread out: the 10 % of repair chunks cover
        // it with room for the rare split that needs K + 2 (the run is
        // deterministic: the same bytes give the same chunks).
        let lost = total / 15;
        for f in files.iter().step_by(total / lost.max(1)).take(lost) {
            std::fs::remove_file(f).unwrap();
        }
        let back = d.join(&format!("{channel}.back"));
        let r = d
            .cmd(["bundle", "join"])
            .arg(&dir)
            .arg("--out")
            .arg(&back)
            .ok();
        assert!(r.stdout.contains("rebuilt bundle"), "{channel}: {r}");
        assert_eq!(std::fs::read(&back).unwrap(), bytes, "{channel}");
    }
    // Too few chunks: a clear count of what is missing, non-zero exit.
    let dir = d.join("sms");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().take(files.len() / 2) {
        std::fs::remove_file(f).unwrap();
    }
    let r = d
        .cmd(["bundle", "join"])
        .arg(&dir)
        .arg("--out")
        .arg(d.join("short"))
        .fails();
    assert!(r.stdout.contains("more needed"), "{r}");
    r.assert_stderr_has(&["no bundle could be rebuilt yet"]);
    assert!(!d.join("short").exists());
    d.cmd(["bundle", "split"])
        .arg(&bundle)
        .args(["--channel", "pigeon", "--out", "x"])
        .usage_error();
}

#[test]
fn a_node_key_is_made_once_kept_private_and_printed_as_one_line() {
    let d = Dir::new();
    let made = d.cmd(["node", "init"]).ok().stdout;
    let line = made.trim();
    assert!(line.starts_with("gavah1") && !line.contains(' '), "{line}");
    let again = d
        .cmd(["node", "key", "--qr"])
        .arg(d.join("key.png"))
        .ok()
        .stdout;
    assert_eq!(again.trim(), line);
    let png = std::fs::read(d.join("key.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    d.cmd(["node", "init"])
        .fails()
        .assert_stderr_has(&["already holds this node's key"]);
    let key_file = std::path::PathBuf::from(format!("{}.node-key", d.db().display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is readable by others: {mode:o}"
        );
    }
    std::fs::remove_file(&key_file).unwrap();
    d.cmd(["node", "key"])
        .fails()
        .assert_stderr_has(&["gavah node init"]);
}

#[test]
fn wipe_overwrites_the_key_and_the_store_in_place_then_removes_them() {
    let d = Dir::with_store();
    let list = d.create(
        "list.csv",
        "name,city,date,status\nCANARY-WIPE Rezaei,Zahedan,2026-01-08,killed\n",
    );
    d.import(&list, "Field team", &[]);
    d.cmd(["node", "init"]).ok();
    let key = std::path::PathBuf::from(format!("{}.node-key", d.db().display()));
    // Hard links keep the files' blocks reachable after removal, so the test
    // can read what the wipe left in them.
    let db_link = d.join("db-link");
    let key_link = d.join("key-link");
    std::fs::hard_link(d.db(), &db_link).unwrap();
    std::fs::hard_link(&key, &key_link).unwrap();
    let key_before = std::fs::read(&key).unwrap();
    assert!(
        String::from_utf8_lossy(&std::fs::read(d.db()).unwrap()).contains("CANARY-WIPE"),
        "the test's name is not in the store file to begin with"
    );

    d.cmd(["node", "wipe"])
        .fails()
        .assert_stderr_has(&["--yes"]);
    assert!(
        d.db().exists() && key.exists(),
        "wipe without --yes destroyed something"
    );

    let r = d.cmd(["node", "wipe", "--yes"]).ok();
    assert!(r.stdout.contains("destroyed"), "{r}");
    assert!(!d.db().exists() && !key.exists());
    let db_after = std::fs::read(&db_link).unwrap();
    assert!(!String::from_utf8_lossy(&db_after).contains("CANARY-WIPE"));
    assert!(!db_after.windows(15).any(|w| w == b"SQLite format 3"));
    let key_after = std::fs::read(&key_link).unwrap();
    assert_eq!(key_after.len(), key_before.len());
    assert_ne!(key_after, key_before, "the key file was not overwritten");
    d.cmd(["node", "wipe", "--yes"])
        .fails()
        .assert_stderr_has(&["nothing to destroy"]);
}

/// Report ids of a store, sorted.
fn report_ids(d: &Dir) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(d.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the store opens");
    let mut stmt = conn
        .prepare("SELECT hex(id) FROM reports ORDER BY id")
        .expect("a query");
    stmt.query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("a row"))
        .collect()
}

#[test]
fn nodes_that_share_the_team_key_make_the_same_entries_from_the_same_rows() {
    let a = Dir::with_store();
    let key = a.join("team.key");
    a.cmd(["node", "team-key", "--out"]).arg(&key).ok();
    a.cmd(["node", "team-key", "--out"])
        .arg(&key)
        .fails()
        .assert_stderr_has(&["exists"]);
    let b = Dir::new();
    b.cmd(["init", "--team-key-file"]).arg(&key).ok();
    let other = Dir::with_store();
    let csv = "name,city,date,status\nMohammad Rezaei,Zahedan,2026-01-08,killed\nZahra Karimi,Tehran,2026-01-09,detained\n";
    for d in [&a, &b, &other] {
        let list = d.create("list.csv", csv);
        d.import(&list, "Field team", &[]);
    }
    assert_eq!(report_ids(&a).len(), 2);
    assert_eq!(
        report_ids(&a),
        report_ids(&b),
        "same team key, same rows: same ids"
    );
    assert_ne!(
        report_ids(&a),
        report_ids(&other),
        "another team's ids must differ"
    );

    let bad = b.create("bad.key", "not a key\n");
    Dir::new()
        .cmd(["init", "--team-key-file"])
        .arg(&bad)
        .fails()
        .assert_stderr_has(&["64 hexadecimal digits"]);
}

/// A node of a team for the bundle tests: its own store and key, and its
/// public key line.
struct Node {
    dir: Dir,
    key: String,
}

impl Node {
    /// A new node; `team` is a team key file (a new team when `None`).
    fn new(team: Option<&std::path::Path>) -> Node {
        let dir = Dir::new();
        match team {
            Some(t) => {
                dir.cmd(["init", "--team-key-file"]).arg(t).ok();
            }
            None => dir.init(),
        }
        let key = dir.cmd(["node", "init"]).ok().stdout.trim().to_string();
        Node { dir, key }
    }

    fn trust(&self, other: &Node, name: &str) -> String {
        self.dir
            .cmd(["node", "trust", &other.key, "--name", name])
            .ok()
            .stdout
    }

    /// `bundle export --to TO --out NAME` (more arguments after), its path.
    fn export(&self, to: &str, name: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
        let out = self.dir.join(name);
        let r = self
            .dir
            .cmd(["bundle", "export", "--to", to])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .ok();
        (out, r.stdout)
    }

    fn import(&self, bundle: &std::path::Path) -> String {
        self.dir.cmd(["bundle", "import"]).arg(bundle).ok().stdout
    }

    /// The state digest `gavah rebuild` prints (it must find nothing to repair).
    fn digest(&self) -> String {
        let r = self.dir.cmd(["rebuild"]).ok();
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with("state digest"))
            .unwrap_or_else(|| panic!("no digest in {r}"));
        assert!(line.ends_with("(unchanged)"), "{r}");
        line.to_string()
    }
}

/// The number before `what` (one or more words) in a command's output.
fn count(out: &str, what: &str) -> u64 {
    let words: Vec<&str> = out
        .split(char::is_whitespace)
        .flat_map(|w| w.split([',', ':', '(', ')']))
        .filter(|w| !w.is_empty())
        .collect();
    let phrase: Vec<&str> = what.split(' ').collect();
    (0..words.len().saturating_sub(phrase.len()))
        .find(|&i| words[i + 1..].starts_with(&phrase) && words[i].parse::<u64>().is_ok())
        .and_then(|i| words[i].parse().ok())
        .unwrap_or_else(|| panic!("no count of {what:?} in {out}"))
}

fn three_nodes() -> (Node, Node, Node) {
    let a = Node::new(None);
    let team = a.dir.join("team.key");
    a.dir.cmd(["node", "team-key", "--out"]).arg(&team).ok();
    let b = Node::new(Some(&team));
    let c = Node::new(Some(&team));
    (a, b, c)
}

#[test]
fn nodes_converge_through_bundles_in_any_order_delivered_twice() {
    let (a, b, c) = three_nodes();
    for (x, y, nx, ny) in [(&a, &b, "a", "b"), (&a, &c, "a", "c"), (&b, &c, "b", "c")] {
        x.trust(y, ny);
        y.trust(x, nx);
    }
    let fa = a.dir.fixture("people_fa.csv");
    a.dir.import(&fa, "Field team", &[]);
    // The same list imported on two nodes makes the same entries.
    let tsv = a.dir.fixture("people.tsv");
    a.dir.import(&tsv, "Group B", &[]);
    let tsv = b.dir.fixture("people.tsv");
    b.dir.import(&tsv, "Group B", &[]);
    let hxl = b.dir.fixture("hxl.csv");
    b.dir.import(&hxl, "Hospital", &[]);
    // A links: its model travels as an entry and every node counts people with it.
    a.dir.cmd(["link"]).ok();

    let (a1, said) = a.export("b,c", "a1.bundle", &[]);
    assert!(said.contains("sealed to its long-term key"), "{said}");
    let b_first = b.import(&a1);
    assert!(count(&b_first, "merged") > 0, "{b_first}");
    assert!(
        count(&b_first, "already held") > 0,
        "the shared list is held already: {b_first}"
    );
    // B relays A's entries with its own to C, which gets them out of order and twice.
    let (b1, _) = b.export("a,c", "b1.bundle", &[]);
    c.import(&b1);
    let c_again = c.import(&a1);
    assert_eq!(count(&c_again, "merged"), 0, "{c_again}");
    let twice = c.import(&a1);
    assert!(
        twice.contains("imported before; nothing changed"),
        "{twice}"
    );
    a.import(&b1);

    let digest = a.digest();
    assert_eq!(b.digest(), digest, "A and B differ");
    assert_eq!(c.digest(), digest, "A and C differ");
    assert_eq!(a.dir.figures(), c.dir.figures());
    assert_eq!(a.dir.figures()["linked"], serde_json::json!(true));

    // Acknowledgements: A heard from B what B holds, so a new bundle carries
    // nothing; with --since all it carries everything again.
    let (a2, said) = a.export("b", "a2.bundle", &[]);
    assert!(said.contains(": 0 entries"), "{said}");
    assert!(said.contains("sealed to its prekey"), "{said}");
    let r = b.import(&a2);
    assert_eq!(count(&r, "merged"), 0, "{r}");
    let (a3, said) = a.export("b", "a3.bundle", &["--since", "all"]);
    assert!(!said.contains(": 0 entries"), "{said}");
    let r = b.import(&a3);
    assert_eq!(count(&r, "merged"), 0, "{r}");
    assert_eq!(b.digest(), digest);
}

#[test]
fn an_unknown_sender_waits_in_quarantine_until_trusted_and_a_revoked_key_is_refused() {
    let (a, b, _) = three_nodes();
    a.trust(&b, "b");
    let fa = a.dir.fixture("people_fa.csv");
    a.dir.import(&fa, "Field team", &[]);
    let before = b.dir.figures();
    let (a1, _) = a.export("b", "a1.bundle", &[]);
    // B has not accepted A's key: nothing merges.
    let r = b.import(&a1);
    assert!(count(&r, "in quarantine") > 0, "{r}");
    assert_eq!(count(&r, "merged"), 0, "{r}");
    assert!(r.contains("not a trusted peer"), "{r}");
    assert_eq!(b.dir.figures(), before, "quarantined entries were counted");
    let status = b.dir.status();
    assert!(count(&status, "entries in quarantine") > 0, "{status}");
    let peers = b.dir.cmd(["node", "peers"]).ok().stdout;
    assert!(
        peers.contains("unknown") && peers.contains("in quarantine"),
        "{peers}"
    );
    // Accepting the key merges what waited.
    let r = b.trust(&a, "a");
    assert!(r.contains("entries merged"), "{r}");
    assert_eq!(b.digest(), a.digest());
    let peers = b.dir.cmd(["node", "peers"]).ok().stdout;
    assert!(
        peers.contains("trusted") && !peers.contains("quarantine"),
        "{peers}"
    );

    // A's laptop is seized: B revokes its key; what A signs later is refused.
    b.dir.cmd(["node", "revoke", "a"]).ok();
    let tsv = a.dir.fixture("people.tsv");
    a.dir.import(&tsv, "Group B", &[]);
    let figures = b.dir.figures();
    let (a2, _) = a.export("b", "a2.bundle", &[]);
    let r = b.import(&a2);
    assert!(count(&r, "refused") > 0, "{r}");
    assert_eq!(count(&r, "merged"), 0, "{r}");
    assert_eq!(b.dir.figures(), figures);
    // And no bundle is sealed to a revoked or unknown key.
    b.dir
        .cmd(["bundle", "export", "--to", "a", "--out", "x.bundle"])
        .fails()
        .assert_stderr_has(&["not a trusted peer"]);
    b.dir
        .cmd(["bundle", "export", "--to", "nobody", "--out", "x.bundle"])
        .fails()
        .assert_stderr_has(&["no peer is named 'nobody'"]);
}

#[test]
fn a_tampered_cut_foreign_or_misaddressed_bundle_is_refused_and_changes_nothing() {
    let (a, b, c) = three_nodes();
    a.trust(&b, "b");
    b.trust(&a, "a");
    let fa = a.dir.fixture("protected.csv");
    a.dir.import(&fa, "Clinic", &["--protected"]);
    let (a1, _) = a.export("b", "a1.bundle", &[]);
    let good = std::fs::read(&a1).unwrap();
    let before = b.dir.snapshot();
    for (i, at) in [0, 40, 500, good.len() / 2, good.len() - 1]
        .into_iter()
        .enumerate()
    {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        let f = b.dir.create(&format!("bad{i}.bundle"), &bad);
        b.dir.cmd(["bundle", "import"]).arg(&f).fails();
        b.dir
            .assert_unchanged(&before, &format!("a bundle with byte {at} flipped"));
    }
    let cut = b.dir.create("cut.bundle", &good[..good.len() - 256]);
    let r = b.dir.cmd(["bundle", "import"]).arg(&cut).fails();
    assert!(
        r.stderr.contains("cut short") || r.stderr.contains("chunk"),
        "{r}"
    );
    b.dir.assert_unchanged(&before, "a truncated bundle");
    // C was not a recipient.
    c.trust(&a, "a");
    c.dir
        .cmd(["bundle", "import"])
        .arg(&a1)
        .fails()
        .assert_stderr_has(&["not addressed to this node"]);
    // A node of another team, even trusted, cannot merge into this one.
    let other = Node::new(None);
    other.trust(&b, "b");
    b.trust(&other, "other");
    let before = b.dir.snapshot();
    let list = other.dir.fixture("people.tsv");
    other.dir.import(&list, "Group B", &[]);
    let (o1, _) = other.export("b", "o1.bundle", &[]);
    b.dir
        .cmd(["bundle", "import"])
        .arg(&o1)
        .fails()
        .assert_stderr_has(&["another team key", "nothing was imported"]);
    b.dir.assert_unchanged(&before, "another team's bundle");
    // The good one still merges.
    let r = b.import(&a1);
    assert!(count(&r, "merged") > 0, "{r}");
}

#[test]
fn a_collector_bundle_its_chunks_and_its_store_name_nothing_yet_the_chunks_import() {
    let (a, b, _) = three_nodes();
    a.trust(&b, "b");
    b.trust(&a, "a");
    // A is a field collector that keeps what it sent only as ciphertext.
    a.dir.cmd(["node", "forget-sent", "on"]).ok();
    let list = a.dir.fixture("protected.csv");
    a.dir.import(&list, "Clinic", &["--protected"]);
    let (a1, said) = a.export("b", "a1.bundle", &[]);
    assert!(said.contains("this node forgot those entries"), "{said}");
    let chunks = a.dir.join("sms");
    a.dir
        .cmd(["bundle", "split"])
        .arg(&a1)
        .args(["--channel", "sms", "--out"])
        .arg(&chunks)
        .ok();
    // What a captor finds on the courier: no name, city, date or witness, in
    // either script, raw or in base64.
    let csv = std::fs::read_to_string(crate::util::data("protected.csv")).unwrap();
    let mut secrets: Vec<String> = Vec::new();
    for line in csv.lines().skip(1) {
        for field in line.split(',') {
            for word in field.split(['/', ' ']).filter(|w| w.chars().count() >= 4) {
                secrets.push(word.to_string());
            }
        }
    }
    assert!(
        secrets.iter().any(|s| s.contains("CANARY-WITNESS")),
        "{secrets:?}"
    );
    let mut carried = vec![std::fs::read(&a1).unwrap()];
    for f in std::fs::read_dir(&chunks).unwrap() {
        carried.push(std::fs::read(f.unwrap().path()).unwrap());
    }
    // The collector's own store, its log and its key files.
    let store_dir = a.dir.db().parent().unwrap().to_path_buf();
    for f in std::fs::read_dir(&store_dir).unwrap() {
        carried.push(std::fs::read(f.unwrap().path()).unwrap());
    }
    secrets.push("Clinic".into());
    use base64::Engine as _;
    for bytes in &carried {
        let text = String::from_utf8_lossy(bytes);
        for s in &secrets {
            let b64 = base64::engine::general_purpose::STANDARD.encode(s);
            let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            for needle in [
                s.as_str(),
                &b64[..b64.len().min(12)],
                &b64url[..b64url.len().min(12)],
            ] {
                assert!(!text.contains(needle), "a carried file holds {needle:?}");
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "a carried file holds {needle:?}"
                );
            }
        }
    }
    let r = b.import(&chunks);
    assert!(count(&r, "merged") > 0, "{r}");
    // The collector counts nothing now; the documenters hold it all.
    assert_eq!(a.dir.figures()["reports"], serde_json::json!(0));
    assert_eq!(b.dir.figures()["reports"], serde_json::json!(2));
    // A courier lost the file: the outbox writes the same bundle again.
    let again = a.dir.join("again");
    a.dir.cmd(["bundle", "outbox", "--out"]).arg(&again).ok();
    let kept: Vec<_> = std::fs::read_dir(&again).unwrap().collect();
    assert_eq!(kept.len(), 1);
    let kept = std::fs::read(kept.into_iter().next().unwrap().unwrap().path()).unwrap();
    assert_eq!(kept, std::fs::read(&a1).unwrap());
    // And a forgetting node does not fetch its entries back over a live link.
    a.dir
        .cmd(["sync", "http://127.0.0.1:9", "--peer", "b"])
        .fails()
        .assert_stderr_has(&["forgets what it sends"]);
    // Nor through a bundle that carries them back (the documenters send
    // everything they hold, this collector's entries among them).
    let (back, _) = b.export("a", "back.bundle", &["--since", "all"]);
    let r = a.import(&back);
    assert!(r.contains("sent by this node and forgotten"), "{r}");
    assert_eq!(a.dir.figures()["reports"], serde_json::json!(0));
    for f in std::fs::read_dir(&store_dir).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        for s in &secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "the collector's store holds {s:?} again"
            );
        }
    }
}

/// A TCP relay to `to` on a free local port that cuts every connection once
/// `limit` bytes in total have gone from the client to the server: a link
/// that dies mid-transfer.
fn cutting_relay(to: std::net::SocketAddr, limit: u64) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("its address");
    let sent = Arc::new(AtomicU64::new(0));
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let Ok(server) = std::net::TcpStream::connect(to) else {
                break;
            };
            let (mut c_in, mut s_out) = (
                client.try_clone().expect("a socket handle"),
                server.try_clone().expect("a socket handle"),
            );
            let (mut s_in, mut c_out) = (server, client);
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let total = sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                    if total > limit {
                        // The link dies: both directions, mid-request.
                        let _ = c_in.shutdown(std::net::Shutdown::Both);
                        let _ = s_out.shutdown(std::net::Shutdown::Both);
                        break;
                    }
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 || c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c_out.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    addr
}

#[test]
fn two_served_nodes_sync_live_and_resume_after_the_link_is_cut() {
    let (a, b, _) = three_nodes();
    a.trust(&b, "b");
    b.trust(&a, "a");
    let mut csv = String::from("name,city,date,status\n");
    for i in 0..6_000 {
        csv.push_str(&format!(
            "Person{i} Rezaei,Zahedan,2026-01-{:02},killed\n",
            1 + i % 28
        ));
    }
    let big = a.dir.create("big.csv", &csv);
    a.dir.import(&big, "Field team", &[]);
    let hxl = b.dir.fixture("hxl.csv");
    b.dir.import(&hxl, "Hospital", &[]);
    let entries = |n: &Node| -> u64 {
        let status = n.dir.status();
        status
            .lines()
            .find_map(|l| l.strip_prefix("entries:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no entries line in {status}"))
    };
    let b_before = entries(&b);

    let server = crate::web::Server::start_with(&b.dir, &["--sync"]);
    // The link dies after about one batch of entries has gone up.
    let relay = cutting_relay(server.addr, 2_500_000);
    let r = a
        .dir
        .cmd(["sync", &format!("http://{relay}"), "--peer", "b"])
        .fails();
    r.assert_stderr_has(&["running the sync again resumes"]);
    let b_mid = entries(&b);
    assert!(
        b_mid > b_before + 1_000 && b_mid < b_before + 6_000,
        "B holds {b_mid} entries after the cut (had {b_before})"
    );

    let r = a
        .dir
        .cmd(["sync", &format!("http://{}", server.addr), "--peer", "b"])
        .ok();
    let sent = count(&r.stdout, "entries");
    assert!(
        sent > 0 && sent < 6_000,
        "the resumed sync sent {sent} entries: {r}"
    );
    assert!(count(&r.stdout, "new here") > 0, "{r}");
    let again = a
        .dir
        .cmd(["sync", &format!("http://{}", server.addr), "--peer", "b"])
        .ok();
    assert!(again.stdout.contains("sent 0 entries"), "{again}");
    assert!(again.stdout.contains("received 0"), "{again}");
    drop(server);
    assert_eq!(a.digest(), b.digest());

    // A node B does not trust is refused, and changes nothing.
    let stranger = Node::new(Some(&a.dir.join("team.key")));
    stranger.trust(&b, "b");
    let server = crate::web::Server::start_with(&b.dir, &["--sync"]);
    stranger
        .dir
        .cmd(["sync", &format!("http://{}", server.addr), "--peer", "b"])
        .fails()
        .assert_stderr_has(&["does not trust the key"]);
}

#[test]
fn locked_keys_need_the_passphrase_and_leave_no_plain_copy() {
    let (a, b, _) = three_nodes();
    a.trust(&b, "b");
    b.trust(&a, "a");
    let key_file = std::path::PathBuf::from(format!("{}.node-key", a.dir.db().display()));
    let plain = std::fs::read(&key_file).expect("the key file");
    // A hard link keeps the old file's blocks reachable, so the test sees
    // whether locking overwrote them.
    let old = a.dir.join("old-key");
    std::fs::hard_link(&key_file, &old).expect("a hard link");

    a.dir
        .cmd(["node", "lock"])
        .env("GAVAH_PASSPHRASE", "short")
        .fails()
        .assert_stderr_has(&["fewer than 8 characters"]);
    let r = a
        .dir
        .cmd(["node", "lock"])
        .env("GAVAH_PASSPHRASE", "a long enough passphrase")
        .ok();
    assert!(r.stdout.contains("locked"), "{r}");
    assert!(
        a.dir
            .status()
            .contains("exchange: node key locked; 1 trusted")
    );
    let locked = std::fs::read(&key_file).expect("the locked key file");
    assert!(!locked.windows(plain.len()).any(|w| w == plain.as_slice()));
    assert_ne!(std::fs::read(&old).expect("the old blocks"), plain);

    // Without the passphrase, nothing that needs the key runs.
    a.dir
        .cmd(["node", "key"])
        .fails()
        .assert_stderr_has(&["locked", "GAVAH_PASSPHRASE"]);
    a.dir
        .cmd(["node", "key"])
        .env("GAVAH_PASSPHRASE", "a wrong passphrase")
        .fails()
        .assert_stderr_has(&["passphrase is wrong"]);
    let list = a.dir.fixture("people.tsv");
    a.dir.import(&list, "Group B", &[]);
    let out = a.dir.join("a1.bundle");
    a.dir
        .cmd(["bundle", "export", "--to", "b", "--out"])
        .arg(&out)
        .env("GAVAH_PASSPHRASE", "a long enough passphrase")
        .ok();
    // The prekeys made by that export were saved locked too.
    let prekeys = std::path::PathBuf::from(format!("{}.prekeys", a.dir.db().display()));
    assert!(
        std::fs::read(&prekeys)
            .expect("prekeys")
            .starts_with(b"GVHLOCK1")
    );
    let r = b.import(&out);
    assert!(count(&r, "merged") > 0, "{r}");

    a.dir
        .cmd(["node", "unlock"])
        .env("GAVAH_PASSPHRASE", "a long enough passphrase")
        .ok();
    assert_eq!(std::fs::read(&key_file).expect("the key file"), plain);
    a.dir.cmd(["node", "key"]).ok();
    assert!(a.dir.status().contains("node key on disk, not locked"));
}

#[test]
fn a_qr_chunk_folder_imports_even_when_a_picture_has_a_bundles_size() {
    let (a, b, _) = three_nodes();
    a.trust(&b, "b");
    b.trust(&a, "a");
    let list = a.dir.fixture("people.tsv");
    a.dir.import(&list, "Group B", &[]);
    let (a1, _) = a.export("b", "a1.bundle", &[]);
    let qr = a.dir.join("qr");
    a.dir
        .cmd(["bundle", "split"])
        .arg(&a1)
        .args(["--channel", "qr", "--out"])
        .arg(&qr)
        .ok();
    // Pad one picture (after its end marker) to a size a bundle can have.
    let mut pictures: Vec<_> = std::fs::read_dir(&qr)
        .expect("the chunk folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    pictures.sort();
    let mut png = std::fs::read(&pictures[0]).expect("a picture");
    let size = gavah_sync::bundle::bucket_size(png.len() as u64).expect("a bucket");
    png.resize(usize::try_from(size).expect("small"), 0);
    assert!(gavah_sync::bundle::is_bucket_size(png.len() as u64));
    crate::util::write_file(&pictures[0], &png);
    let r = b.import(&qr);
    assert!(count(&r, "merged") > 0, "{r}");
    assert_eq!(b.digest(), a.digest());
}
