//! Live sync between two nodes on real SQLite stores, the link carried in
//! memory: the difference moves both ways, a link cut mid-transfer keeps
//! what was merged and the next sync moves only what is left, and an
//! untrusted node is not served.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use gavah_app::{App, ImportKind, ImportRequest, LiveRefusal, LiveSessions, NoProgress};
use gavah_sync::bundle::{NodeSecret, PrekeyPolicy, PrekeyRing};
use std::path::Path;

const NOW: u64 = 1_800_000_000;

struct Node {
    app: App,
    secret: NodeSecret,
    ring: PrekeyRing,
    sessions: LiveSessions,
}

fn node(db: &Path, team: Option<gavah_entry::TeamKey>) -> Node {
    App::init_with_team_key(db, "records", team).unwrap();
    Node {
        app: App::open(db, "t").unwrap(),
        secret: NodeSecret::generate().unwrap(),
        ring: PrekeyRing::new(PrekeyPolicy::default()),
        sessions: LiveSessions::default(),
    }
}

fn import(n: &mut Node, dir: &Path, name: &str, rows: std::ops::Range<u32>) {
    let mut csv = String::from("name,city,date,status\n");
    for i in rows {
        csv.push_str(&format!(
            "Person {i} Rezaei,Zahedan,2026-01-{:02},killed\n",
            1 + i % 28
        ));
    }
    let file = dir.join(name);
    std::fs::write(&file, csv).unwrap();
    let r = n
        .app
        .import(
            &ImportRequest {
                file,
                kind: ImportKind::People,
                source: Some(name.into()),
                source_type: Some(gavah_core::SourceType::FieldReport),
                ..ImportRequest::default()
            },
            &NoProgress,
        )
        .unwrap();
    assert!(r.committed);
}

fn trust(a: &mut Node, b: &Node) {
    a.app
        .trust_peer(&a.secret, b.secret.public(), None)
        .unwrap();
}

/// A bundle of everything `from` holds, sealed to `to`.
fn export_all(from: &mut Node, to: &Node) -> gavah_app::ExportReport {
    from.app
        .export_bundle(
            &mut gavah_app::NodeKeys {
                secret: &from.secret,
                ring: &mut from.ring,
            },
            &[*to.secret.public()],
            gavah_app::Since::All,
            NOW,
        )
        .unwrap()
}

fn import_bundle(n: &mut Node, bytes: &[u8]) -> Result<gavah_app::BundleImportReport, String> {
    n.app
        .import_bundle(
            &mut gavah_app::NodeKeys {
                secret: &n.secret,
                ring: &mut n.ring,
            },
            bytes,
            bytes.len() as u64,
            NOW,
            &NoProgress,
        )
        .map_err(|e| e.to_string())
}

/// Syncs `a` with `b`; with `cut`, the link fails when it has carried that
/// many large requests (batches of entries; reconciliation flights are small).
fn sync(a: &mut Node, b: &mut Node, cut: Option<u64>) -> Result<gavah_app::LiveReport, String> {
    let mut trips = 0;
    let peer = *b.secret.public();
    a.app
        .live_sync(
            &a.secret,
            &a.ring,
            &peer,
            |body| {
                trips += u64::from(body.len() > 100_000);
                if cut.is_some_and(|c| trips > c) {
                    return Err("connection reset".into());
                }
                b.app
                    .live_answer(&b.secret, &b.ring, &mut b.sessions, &body, NOW)
                    .map_err(|e| e.to_string())
            },
            NOW,
            &NoProgress,
        )
        .map_err(|e| e.to_string())
}

#[test]
fn two_nodes_converge_over_a_link_cut_mid_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = node(&dir.path().join("a.db"), None);
    let team = a.app.store().team_key().clone();
    let mut b = node(&dir.path().join("b.db"), Some(team));
    trust(&mut a, &b);
    trust(&mut b, &a);
    import(&mut a, dir.path(), "a.csv", 0..5_000);
    import(&mut b, dir.path(), "b.csv", 10_000..10_300);
    // Entries both hold already do not move.
    import(&mut a, dir.path(), "both.csv", 20_000..20_050);
    import(&mut b, dir.path(), "both.csv", 20_000..20_050);

    // The link dies after reconciling and the first pushed batch.
    let err = sync(&mut a, &mut b, Some(1)).unwrap_err();
    assert!(err.contains("running the sync again resumes"), "{err}");
    let b_now = b.app.store().totals().unwrap().entries;
    assert!(
        b_now > 300 + 50 + 4,
        "the first batch was not kept: {b_now}"
    );

    let r = sync(&mut a, &mut b, None).unwrap();
    let total = a.app.store().totals().unwrap().entries;
    assert!(
        r.pushed < 5_000 && r.pushed > 0,
        "the second sync resent what had arrived: {r:?}"
    );
    // B's reports, source and batch are new here; of the entries both wrote,
    // the copies written later on either side are exchanged and replaced.
    assert_eq!(r.merged, 300 + 2, "{r:?}");
    assert!(r.fetched >= r.merged && r.fetched <= r.merged + 52, "{r:?}");
    assert_eq!(
        b.app.store().totals().unwrap().entries,
        a.app.store().totals().unwrap().entries
    );
    assert_eq!(
        a.app.store().digest().unwrap(),
        b.app.store().digest().unwrap()
    );
    // The reconciliation itself is small beside the entries it found.
    assert!(
        r.reconcile_bytes < 64 * (r.pushed + r.fetched) + 4_096,
        "{r:?}"
    );

    // Nothing left to move.
    let again = sync(&mut a, &mut b, None).unwrap();
    assert_eq!((again.pushed, again.fetched), (0, 0), "{again:?}");
    assert_eq!(a.app.store().totals().unwrap().entries, total);
}

#[test]
fn an_untrusted_node_is_not_served_and_a_stranger_cannot_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = node(&dir.path().join("a.db"), None);
    let team = a.app.store().team_key().clone();
    let mut b = node(&dir.path().join("b.db"), Some(team));
    import(&mut a, dir.path(), "a.csv", 0..10);
    // A trusts B, B does not know A.
    trust(&mut a, &b);
    let before = b.app.store().digest().unwrap();
    let err = sync(&mut a, &mut b, None).unwrap_err();
    assert!(err.contains("does not trust the key"), "{err}");
    assert_eq!(b.app.store().digest().unwrap(), before);
    // B's refusal as the server returns it.
    let body = vec![0u8; 4096];
    assert!(matches!(
        b.app
            .live_answer(&b.secret, &b.ring, &mut b.sessions, &body, NOW),
        Err(LiveRefusal::Unreadable(_))
    ));
}

#[test]
fn linked_people_agree_after_a_live_sync_with_one_relink_a_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = node(&dir.path().join("a.db"), None);
    let team = a.app.store().team_key().clone();
    let mut b = node(&dir.path().join("b.db"), Some(team));
    trust(&mut a, &b);
    trust(&mut b, &a);
    import(&mut a, dir.path(), "a.csv", 0..150);
    // B's list names some of the same people.
    import(&mut b, dir.path(), "b.csv", 100..220);
    a.app
        .link(&gavah_app::LinkRequest::default(), &NoProgress)
        .unwrap();
    sync(&mut a, &mut b, None).unwrap();
    assert!(a.app.store().meta("relink_needed").unwrap().is_none());
    assert!(b.app.store().meta("relink_needed").unwrap().is_none());
    assert_eq!(
        a.app.store().digest().unwrap(),
        b.app.store().digest().unwrap()
    );
    let fa = a.app.figures().unwrap();
    let fb = b.app.figures().unwrap();
    assert!(
        fa.linked && fb.linked,
        "the model travelled and B linked with it"
    );
    assert_eq!(fa.people, fb.people);
}

#[test]
fn a_trusted_key_cannot_write_in_another_nodes_name_nor_fake_what_it_carried() {
    use gavah_sync::bundle::{SealRequest, SignedEntry, Summary};
    let dir = tempfile::tempdir().unwrap();
    let mut a = node(&dir.path().join("a.db"), None);
    let team = a.app.store().team_key().clone();
    let b = node(&dir.path().join("b.db"), Some(team.clone()));
    let mut c = node(&dir.path().join("c.db"), Some(team.clone()));
    trust(&mut a, &c);
    trust(&mut c, &a);
    trust(&mut c, &b);
    import(&mut a, dir.path(), "a.csv", 0..3);
    // C hears from A first: A's node is bound to A's key.
    let to_c = export_all(&mut a, &c);
    let import = |c: &mut Node, bytes: &[u8]| import_bundle(c, bytes).unwrap();
    assert_eq!(import(&mut c, &to_c.bytes).merged, to_c.entries);
    let before = c.app.store().digest().unwrap();
    let entries_before = c.app.store().totals().unwrap().entries;

    // B, trusted by C, forges a claim in A's name and says its bundle carries
    // all of A's entries up to the end of time.
    let forged = gavah_entry::Entry::new(
        &team,
        a.app.store().node(),
        "mallory",
        gavah_entry::Hlc(u64::MAX / 2),
        gavah_entry::Body::Claim(gavah_entry::ClaimBody {
            by: "Government".into(),
            date: "2026-01-09".into(),
            text: "Nobody was killed".into(),
            citation: None,
        }),
    );
    let signed = SignedEntry::sign(&b.secret, forged.canonical_bytes());
    let summary = Summary {
        holds: vec![],
        carries: vec![gavah_sync::bundle::Range {
            node: a.app.store().node(),
            lo: 0,
            hi: u64::MAX,
        }],
    };
    let sealed = gavah_sync::bundle::seal(&SealRequest {
        sender: &b.secret,
        ring: &b.ring,
        recipients: &[*c.secret.public()],
        entries: &[signed],
        ack: &summary.encode(),
        now: NOW,
    })
    .unwrap();
    let r = import(&mut c, &sealed.bytes);
    assert_eq!((r.merged, r.rejected), (0, 1), "{r:?}");
    assert_eq!(c.app.store().digest().unwrap(), before);
    assert_eq!(c.app.store().totals().unwrap().entries, entries_before);
    // C still acknowledges only what it received from A, so A's next entries
    // still reach it.
    let held: Vec<_> = c.app.store().holdings().unwrap();
    let of_a = held
        .iter()
        .find(|(n, _)| *n == a.app.store().node())
        .map(|(_, h)| *h)
        .unwrap_or(0);
    assert!(
        of_a < u64::MAX / 4,
        "C believes it holds A's entries up to {of_a}"
    );
}

#[test]
fn a_bad_signature_in_a_later_batch_of_a_big_bundle_refuses_it_whole() {
    // Entry signatures are checked a batch of 4,096 at a time while the batch
    // before is merged: a bad one past the first batch must still leave the
    // store as it was, and the error must number it in the whole bundle.
    use gavah_sync::bundle::{SealRequest, SignedEntry};
    let dir = tempfile::tempdir().unwrap();
    let team = gavah_entry::TeamKey::generate().unwrap();
    let mut a = node(&dir.path().join("a.db"), Some(team.clone()));
    let mut c = node(&dir.path().join("c.db"), Some(team));
    trust(&mut a, &c);
    trust(&mut c, &a);
    import(&mut a, dir.path(), "a.csv", 0..5_000);
    let bundle = export_all(&mut a, &c);
    let opened = gavah_sync::bundle::open(&c.secret, &c.ring, &bundle.bytes).unwrap();
    let bad = 4_500;
    assert!(opened.entries.len() > bad);
    let mut entries = opened.entries;
    let mut signature = *entries[bad].signature();
    signature[10] ^= 1;
    entries[bad] = SignedEntry::from_parts(
        entries[bad].signer().0,
        signature,
        entries[bad].bytes().to_vec(),
    );
    let resealed = gavah_sync::bundle::seal(&SealRequest {
        sender: &a.secret,
        ring: &a.ring,
        recipients: &[*c.secret.public()],
        entries: &entries,
        ack: &opened.ack,
        now: NOW,
    })
    .unwrap();
    let digest = c.app.store().digest().unwrap();
    let err = import_bundle(&mut c, &resealed.bytes).unwrap_err();
    assert!(
        err.contains(&format!(
            "entry {} of the bundle has a bad signature",
            bad + 1
        )),
        "{err}"
    );
    assert_eq!(c.app.store().digest().unwrap(), digest);
    assert_eq!(c.app.store().totals().unwrap().entries, 0);

    // The bundle as sent merges whole.
    let r = import_bundle(&mut c, &bundle.bytes).unwrap();
    assert_eq!(r.merged, bundle.entries);
}
