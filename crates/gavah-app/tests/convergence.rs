//! Convergence of nodes that exchange bundles over bad channels, on real
//! SQLite stores: any number of nodes write entries (some the same entries,
//! written on two nodes), seal bundles to random subsets of each other, and a
//! courier delivers them whole, twice, never, damaged, or as fountain-coded
//! chunks that are lost, repeated, reordered and mixed with other bundles'
//! chunks. After a final round in which every node sends to every other
//! (acknowledgements decide what is sent), every node holds the same set of
//! entries and its state digest is identical: nothing lost, nothing twice.

// A test writes its scratch lists directly: a half-written one fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use gavah_app::{App, ImportKind, ImportRequest, NoProgress, NodeKeys, Since};
use gavah_sync::bundle::{NodePublicKey, NodeSecret, PrekeyPolicy, PrekeyRing};
use gavah_sync::chunk::{Channel, Joiner, Pushed, split};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

struct Node {
    app: App,
    db: PathBuf,
    secret: NodeSecret,
    ring: PrekeyRing,
}

impl Node {
    fn keys(&mut self) -> (NodeKeys<'_>, &mut App) {
        (
            NodeKeys {
                secret: &self.secret,
                ring: &mut self.ring,
            },
            &mut self.app,
        )
    }

    fn ids(&self) -> BTreeSet<Vec<u8>> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut stmt = conn.prepare("SELECT id FROM entries").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

/// What the courier does with one bundle for one recipient.
#[derive(Debug, Clone)]
enum How {
    Whole,
    Twice,
    Lost,
    /// One byte flipped: refused, nothing changes.
    Corrupt(usize),
    /// Fountain-coded chunks: `drop` of every 16 lost, some repeated, all
    /// shuffled by `seed`, with another bundle's chunks mixed in.
    Chunks {
        drop: u8,
        seed: u64,
    },
}

#[derive(Debug, Clone)]
enum Op {
    /// A node imports a small list (rows drawn from a small vocabulary, so
    /// two nodes sometimes write the very same entries).
    Write { node: usize, rows: Vec<u8> },
    /// A node seals a bundle to the nodes in `mask`.
    Send { from: usize, mask: u8 },
    /// The courier takes a bundle in flight to one of its recipients.
    Deliver { flight: usize, to: usize, how: How },
}

fn op() -> impl Strategy<Value = Op> {
    let how = prop_oneof![
        3 => Just(How::Whole),
        1 => Just(How::Twice),
        1 => Just(How::Lost),
        1 => any::<usize>().prop_map(How::Corrupt),
        2 => (0u8..3, any::<u64>()).prop_map(|(drop, seed)| How::Chunks { drop, seed }),
    ];
    prop_oneof![
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(node, rows)| Op::Write { node, rows }),
        1 => (any::<usize>(), 1u8..=255).prop_map(|(from, mask)| Op::Send { from, mask }),
        2 => (any::<usize>(), any::<usize>(), how)
            .prop_map(|(flight, to, how)| Op::Deliver { flight, to, how }),
    ]
}

fn list(dir: &Path, n: usize, rows: &[u8]) -> PathBuf {
    const GIVEN: [&str; 4] = ["محمد", "Zahra", "Ali", "سارا"];
    const SURNAME: [&str; 3] = ["رضایی", "Karimi", "Ahmadi"];
    const CITY: [&str; 3] = ["Zahedan", "تهران", "Rasht"];
    let mut csv = String::from("name,city,date,status\n");
    for r in rows {
        let r = usize::from(*r);
        csv.push_str(&format!(
            "{} {},{},2026-01-{:02},killed\n",
            GIVEN[r % 4],
            SURNAME[(r / 4) % 3],
            CITY[(r / 12) % 3],
            8 + r % 3
        ));
    }
    let path = dir.join(format!("list-{n}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

fn import(node: &mut Node, file: &Path) {
    let r = node
        .app
        .import(
            &ImportRequest {
                file: file.to_path_buf(),
                kind: ImportKind::People,
                source: Some("Field list".into()),
                source_type: Some(gavah_core::SourceType::FieldReport),
                ..ImportRequest::default()
            },
            &NoProgress,
        )
        .unwrap();
    assert!(r.committed);
}

fn deliver(node: &mut Node, bundle: &[u8]) -> Result<(), gavah_app::AppError> {
    let (mut keys, app) = node.keys();
    app.import_bundle(&mut keys, bundle, bundle.len() as u64, NOW, &NoProgress)
        .map(|_| ())
}

const NOW: u64 = 1_800_000_000;

/// A simple deterministic shuffle source for the courier.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

fn run(n: usize, ops: &[Op]) {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("n0.db");
    App::init(&first, "records").unwrap();
    let team = App::open(&first, "t").unwrap().store().team_key().clone();
    let mut nodes: Vec<Node> = (0..n)
        .map(|i| {
            let db = dir.path().join(format!("n{i}.db"));
            if i > 0 {
                App::init_with_team_key(&db, "records", Some(team.clone())).unwrap();
            }
            Node {
                app: App::open(&db, &format!("node{i}")).unwrap(),
                db,
                secret: NodeSecret::generate().unwrap(),
                ring: PrekeyRing::new(PrekeyPolicy::default()),
            }
        })
        .collect();
    let publics: Vec<NodePublicKey> = nodes.iter().map(|x| *x.secret.public()).collect();
    for (i, node) in nodes.iter_mut().enumerate() {
        for (j, key) in publics.iter().enumerate() {
            if i != j {
                node.app
                    .trust_peer(&node.secret, key, Some(&format!("n{j}")))
                    .unwrap();
            }
        }
    }
    // Bundles in flight: bytes and recipients.
    let mut flights: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        match op {
            Op::Write { node, rows } => {
                let file = list(dir.path(), k, rows);
                import(&mut nodes[node % n], &file);
            }
            Op::Send { from, mask } => {
                let from = from % n;
                let to: Vec<usize> = (0..n)
                    .filter(|&j| j != from && mask & (1 << j) != 0)
                    .collect();
                if to.is_empty() {
                    continue;
                }
                let keys: Vec<NodePublicKey> = to.iter().map(|&j| publics[j]).collect();
                let (mut nk, app) = nodes[from].keys();
                let r = app
                    .export_bundle(&mut nk, &keys, Since::Acknowledged, NOW)
                    .unwrap();
                flights.push((r.bytes, to));
            }
            Op::Deliver { flight, to, how } => {
                if flights.is_empty() {
                    continue;
                }
                let f = flight % flights.len();
                let (bytes, recipients) = flights[f].clone();
                let to = recipients[to % recipients.len()];
                let node = &mut nodes[to];
                match how {
                    How::Whole => deliver(node, &bytes).unwrap(),
                    How::Twice => {
                        deliver(node, &bytes).unwrap();
                        deliver(node, &bytes).unwrap();
                    }
                    How::Lost => {}
                    How::Corrupt(at) => {
                        let before = node.app.store().digest().unwrap();
                        let mut bad = bytes.clone();
                        let at = at % bad.len();
                        bad[at] ^= 0x01;
                        assert!(deliver(node, &bad).is_err(), "a flipped byte was accepted");
                        assert_eq!(node.app.store().digest().unwrap(), before);
                    }
                    How::Chunks { drop, seed } => {
                        let mut seed = *seed;
                        let chunks = split(&bytes, Channel::Udp, Some(600), 25).unwrap();
                        let mut carried: Vec<Vec<u8>> = chunks
                            .iter()
                            .filter(|_| next(&mut seed) % 16 >= u64::from(*drop))
                            .map(|c| c.as_bytes().to_vec())
                            .collect();
                        let again: Vec<Vec<u8>> = carried.iter().step_by(3).cloned().collect();
                        carried.extend(again);
                        if let Some((other, _)) = flights.get((f + 1) % flights.len()) {
                            let extra = split(other, Channel::Udp, Some(600), 0).unwrap();
                            carried.extend(extra.iter().take(2).map(|c| c.as_bytes().to_vec()));
                        }
                        for i in (1..carried.len()).rev() {
                            let j = usize::try_from(next(&mut seed)).unwrap() % (i + 1);
                            carried.swap(i, j);
                        }
                        let mut joiner = Joiner::new();
                        let mut joined = None;
                        for c in &carried {
                            if let Ok(Pushed::Joined(b)) = joiner.push_bytes(c)
                                && b.bytes == bytes
                            {
                                joined = Some(b.bytes);
                            }
                        }
                        // Too many chunks lost is a lost bundle.
                        if let Some(b) = joined {
                            deliver(node, &b).unwrap();
                        }
                    }
                }
            }
        }
    }
    let union: BTreeSet<Vec<u8>> = nodes.iter().flat_map(Node::ids).collect();
    // The link heals: each node sends every other what it has not acknowledged,
    // twice round (the first round's imports carry the acknowledgements).
    for _ in 0..2 {
        let mut round = Vec::new();
        for (from, node) in nodes.iter_mut().enumerate() {
            for to in (0..n).filter(|&j| j != from) {
                let (mut nk, app) = node.keys();
                let r = app
                    .export_bundle(&mut nk, &[publics[to]], Since::Acknowledged, NOW)
                    .unwrap();
                round.push((to, r.bytes));
            }
        }
        for (to, bytes) in round {
            deliver(&mut nodes[to], &bytes).unwrap();
        }
    }
    let digest = nodes[0].app.store().digest().unwrap();
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node.ids(), union, "node {i} does not hold every entry");
        assert_eq!(
            node.app.store().digest().unwrap(),
            digest,
            "node {i}'s state differs from node 0's"
        );
        assert!(node.app.store().quarantine_groups().unwrap().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn nodes_converge_whatever_the_courier_does(
        n in 2usize..=4,
        ops in prop::collection::vec(op(), 1..14),
    ) {
        run(n, &ops);
    }
}

#[test]
fn the_same_entries_written_on_two_nodes_converge_to_one_copy() {
    run(
        3,
        &[
            Op::Write {
                node: 0,
                rows: vec![1, 2],
            },
            Op::Write {
                node: 1,
                rows: vec![1, 2],
            },
            Op::Write {
                node: 2,
                rows: vec![7],
            },
            Op::Send {
                from: 1,
                mask: 0b101,
            },
            Op::Deliver {
                flight: 0,
                to: 1,
                how: How::Chunks { drop: 2, seed: 9 },
            },
            Op::Deliver {
                flight: 0,
                to: 0,
                how: How::Corrupt(5000),
            },
        ],
    );
}
