//! Tests of the bundle module: round-trips, who can open, tampering and
//! truncation, size buckets, seizure, forward secrecy, the pinned layout.

use base64::Engine;
use gavah_sync::bundle::{
    self, BundleError, EntryError, HEADER_LEN, NodePublicKey, NodeSecret, OpenedWith, PrekeyPolicy,
    PrekeyRing, SLOTS, SealRequest, Sealed, SealedTo, SignedEntry, open, seal_with_rng,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const DAY: u64 = 86_400;
/// 2026-01-08, the day the shutdown began.
const NOW: u64 = 1_767_830_400;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn nodes(n: usize, seed: u64) -> Vec<NodeSecret> {
    let mut r = rng(seed);
    (0..n).map(|_| NodeSecret::generate_with(&mut r)).collect()
}

fn empty_ring() -> PrekeyRing {
    PrekeyRing::new(PrekeyPolicy::default())
}

fn entries(signer: &NodeSecret, texts: &[&str]) -> Vec<SignedEntry> {
    texts
        .iter()
        .map(|t| SignedEntry::sign(signer, t.as_bytes().to_vec()))
        .collect()
}

fn seal_to(
    sender: &NodeSecret,
    ring: &PrekeyRing,
    to: &[NodePublicKey],
    entries: &[SignedEntry],
    ack: &[u8],
    seed: u64,
) -> Result<Sealed, BundleError> {
    let request = SealRequest {
        sender,
        ring,
        recipients: to,
        entries,
        ack,
        now: NOW,
    };
    seal_with_rng(&request, &mut rng(seed))
}

#[test]
fn every_recipient_of_one_to_all_slots_opens_it() {
    let people = nodes(SLOTS + 2, 1);
    let (sender, recipients, outsider) = (&people[0], &people[1..=SLOTS], &people[SLOTS + 1]);
    let es = entries(sender, &["report 1", "report 2", "", "report 4"]);
    for k in 1..=SLOTS {
        let to: Vec<NodePublicKey> = recipients[..k].iter().map(|n| *n.public()).collect();
        let sealed = seal_to(sender, &empty_ring(), &to, &es, b"ack", k as u64).unwrap();
        assert_eq!(sealed.bytes.len(), 4096);
        assert!(
            sealed
                .sealed_to
                .iter()
                .all(|(_, s)| *s == SealedTo::LongTermKey)
        );
        for r in &recipients[..k] {
            let opened = open(r, &empty_ring(), &sealed.bytes).unwrap();
            assert_eq!(opened.entries, es);
            assert_eq!(opened.ack, b"ack");
            assert_eq!(opened.sender, *sender.public());
            assert_eq!(opened.id, sealed.id);
            assert_eq!(opened.opened_with, OpenedWith::LongTermKey);
        }
        for r in recipients[k..].iter().chain([outsider, sender]) {
            let err = open(r, &empty_ring(), &sealed.bytes).unwrap_err();
            assert!(matches!(err, BundleError::NotForMe), "{err}");
            assert!(
                err.to_string()
                    .contains("not addressed to this node's keys")
            );
        }
    }
}

#[test]
fn recipient_count_is_checked() {
    let people = nodes(SLOTS + 2, 2);
    let to: Vec<NodePublicKey> = people[1..].iter().map(|n| *n.public()).collect();
    let err = seal_to(&people[0], &empty_ring(), &to, &[], b"", 1).unwrap_err();
    assert!(matches!(err, BundleError::TooManyRecipients { count } if count == SLOTS + 1));
    assert!(err.to_string().contains("split the recipients"), "{err}");
    let err = seal_to(&people[0], &empty_ring(), &[], &[], b"", 1).unwrap_err();
    assert!(matches!(err, BundleError::NoRecipients));
    // The same recipient twice takes one slot.
    let twice = [*people[1].public(); SLOTS + 1];
    let sealed = seal_to(&people[0], &empty_ring(), &twice, &[], b"", 1).unwrap();
    assert_eq!(sealed.sealed_to.len(), 1);
}

#[test]
fn every_flipped_byte_is_detected() {
    let people = nodes(3, 3);
    let es = entries(&people[0], &["Mohammad Rezaei, Zahedan", "second"]);
    let to = [*people[1].public(), *people[2].public()];
    let sealed = seal_to(&people[0], &empty_ring(), &to, &es, b"ack", 3).unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for i in 0..sealed.bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut bad = sealed.bytes.clone();
            bad[i] ^= mask;
            let err =
                open(&people[1], &empty_ring(), &bad).expect_err(&format!("flip {mask:#x} at {i}"));
            let kind = format!("{err:?}");
            *kinds
                .entry(kind.split([' ', '{', '(']).next().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
    }
    // Flips in the ciphertext (and in the ephemeral key's top bit, which X25519
    // ignores but the payload key covers) fail authentication; in this
    // recipient's slot or the rest of the ephemeral key, no slot opens; in the
    // other 7 slots, used or not, the sender's signature fails.
    expect_test::expect![[r#"
        {
            "BadBundleSignature": 672,
            "NotForMe": 159,
            "Tampered": 7361,
        }
    "#]]
    .assert_debug_eq(&kinds);
}

#[test]
fn every_truncation_and_extension_is_detected() {
    let people = nodes(2, 4);
    let es = entries(&people[0], &["one", "two"]);
    let sealed = seal_to(
        &people[0],
        &empty_ring(),
        &[*people[1].public()],
        &es,
        b"",
        4,
    )
    .unwrap();
    for cut in 0..sealed.bytes.len() {
        let err = open(&people[1], &empty_ring(), &sealed.bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, BundleError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
    }
    for extra in [1usize, 16, 256, 4096] {
        let mut longer = sealed.bytes.clone();
        longer.resize(longer.len() + extra, 0);
        assert!(
            open(&people[1], &empty_ring(), &longer).is_err(),
            "{extra} bytes added"
        );
    }
}

#[test]
fn large_bundles_span_segments_that_cannot_be_reordered_or_dropped() {
    let people = nodes(2, 5);
    let texts: Vec<String> = (0..600)
        .map(|i| format!("entry {i:04} {}", "x".repeat(380)))
        .collect();
    let es: Vec<SignedEntry> = texts
        .iter()
        .map(|t| SignedEntry::sign(&people[0], t.clone().into_bytes()))
        .collect();
    let sealed = seal_to(
        &people[0],
        &empty_ring(),
        &[*people[1].public()],
        &es,
        b"",
        5,
    )
    .unwrap();
    let segment_ct = bundle::SEGMENT + 16;
    let segments = (sealed.bytes.len() - HEADER_LEN).div_ceil(segment_ct);
    assert!(
        segments >= 4,
        "{} bytes, {segments} segments",
        sealed.bytes.len()
    );
    assert!(bundle::is_bucket_size(sealed.bytes.len() as u64));
    assert_eq!(
        open(&people[1], &empty_ring(), &sealed.bytes)
            .unwrap()
            .entries,
        es
    );

    let body = |i: usize| HEADER_LEN + i * segment_ct..HEADER_LEN + (i + 1) * segment_ct;
    let mut swapped = sealed.bytes.clone();
    let second = sealed.bytes[body(2)].to_vec();
    swapped.copy_within(body(1), body(2).start);
    swapped[body(1)].copy_from_slice(&second);
    let err = open(&people[1], &empty_ring(), &swapped).unwrap_err();
    assert!(matches!(err, BundleError::Tampered { segment: 1 }), "{err}");

    let mut flipped = sealed.bytes.clone();
    flipped[body(2).start + 100] ^= 4;
    let err = open(&people[1], &empty_ring(), &flipped).unwrap_err();
    assert!(matches!(err, BundleError::Tampered { segment: 2 }), "{err}");
    assert!(err.to_string().contains("tampered with or damaged"));
}

#[test]
fn bundles_in_one_bucket_have_one_size() {
    let people = nodes(2, 6);
    let to = [*people[1].public()];
    let small = seal_to(
        &people[0],
        &empty_ring(),
        &to,
        &entries(&people[0], &["a"]),
        b"",
        6,
    )
    .unwrap();
    let texts: Vec<String> = (0..20)
        .map(|i| format!("report {i} with some words"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let more = seal_to(
        &people[0],
        &empty_ring(),
        &to,
        &entries(&people[0], &refs),
        b"",
        6,
    )
    .unwrap();
    assert_eq!(small.bytes.len(), more.bytes.len());
    assert_eq!(small.bytes.len() as u64, bundle::MIN_BUNDLE);
    // And sizes grow only in bucket steps.
    let mut sizes = std::collections::BTreeSet::new();
    for n in [40usize, 41, 80, 81, 400] {
        let texts: Vec<String> = (0..n)
            .map(|i| format!("report {i:05}{}", " ".repeat(90)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let b = seal_to(
            &people[0],
            &empty_ring(),
            &to,
            &entries(&people[0], &refs),
            b"",
            6,
        )
        .unwrap();
        assert!(bundle::is_bucket_size(b.bytes.len() as u64));
        sizes.insert(b.bytes.len());
    }
    assert!(sizes.len() < 5, "{sizes:?}");
}

fn utf16(s: &str, le: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

/// The base64 forms of `needle` wherever it sits in a longer text: for each
/// of the three alignments, the characters that depend only on the needle.
fn base64_forms(needle: &[u8]) -> Vec<Vec<u8>> {
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    let mut out = Vec::new();
    for engine in engines {
        for shift in 0..3 {
            let mut padded = vec![0u8; shift];
            padded.extend_from_slice(needle);
            let enc = engine.encode(&padded);
            let skip = if shift == 0 {
                0
            } else {
                (shift * 4).div_ceil(3) + 1
            };
            let core = enc.as_bytes()[skip..].to_vec();
            let keep = core.len().saturating_sub(4);
            out.push(core[..keep].to_vec());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_seized_bundle_shows_no_name_date_city_or_key() {
    let people = nodes(3, 7);
    let words = [
        "محمد رضایی",
        "Mohammad Rezaei",
        "Zahedan",
        "زاهدان",
        "2026-01-08",
        "۱۴۰۴/۱۰/۱۸",
        "Kahrizak",
        "کهریزک",
    ];
    let text = words.join(" | ");
    let es: Vec<SignedEntry> = (0..50)
        .map(|i| SignedEntry::sign(&people[0], format!("{i}: {text}").into_bytes()))
        .collect();
    let ack = format!("ack: {text}");
    let to = [*people[1].public(), *people[2].public()];
    let sealed = seal_to(&people[0], &empty_ring(), &to, &es, ack.as_bytes(), 7).unwrap();
    let hay = &sealed.bytes;
    // Sanity: the search finds what is there.
    let mut plain = Vec::new();
    for e in &es {
        plain.extend_from_slice(&e.encode());
    }
    for word in words {
        let mut forms = vec![
            word.as_bytes().to_vec(),
            utf16(word, true),
            utf16(word, false),
        ];
        forms.extend(base64_forms(word.as_bytes()));
        for form in &forms {
            assert!(!contains(hay, form), "{word} found in the sealed bundle");
        }
        assert!(contains(&plain, word.as_bytes()));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&plain);
        assert!(
            base64_forms(word.as_bytes())
                .iter()
                .any(|f| contains(b64.as_bytes(), f))
        );
    }
    for node in &people {
        let key = node.public().to_bytes();
        for part in [&key[..32], &key[32..], &key[..8], &key[32..40]] {
            assert!(
                !contains(hay, part),
                "a node key appears in the sealed bundle"
            );
        }
        assert!(!contains(hay, node.public().to_string().as_bytes()));
        assert!(!contains(hay, b"gavah"));
    }
}

#[test]
fn a_bad_entry_signature_refuses_the_whole_bundle_and_names_the_entry() {
    let people = nodes(2, 8);
    let mut es = entries(&people[0], &["0", "1", "2", "3"]);
    let mut enc = es[2].encode();
    enc[40] ^= 1; // inside the signature
    es[2] = SignedEntry::decode(&enc).unwrap();
    let sealed = seal_to(
        &people[0],
        &empty_ring(),
        &[*people[1].public()],
        &es,
        b"",
        8,
    )
    .unwrap();
    let err = open(&people[1], &empty_ring(), &sealed.bytes).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Entry {
                source: EntryError::BadSignature { index: 2 }
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("entry 3 of the bundle has a bad signature"),
        "{err}"
    );
}

#[test]
fn relayed_entries_keep_their_signers() {
    let people = nodes(3, 9);
    let (collector, relay, documenter) = (&people[0], &people[1], &people[2]);
    let es = entries(collector, &["from the field"]);
    let sealed = seal_to(relay, &empty_ring(), &[*documenter.public()], &es, b"", 9).unwrap();
    let opened = open(documenter, &empty_ring(), &sealed.bytes).unwrap();
    assert_eq!(opened.sender, *relay.public());
    assert_eq!(opened.entries[0].signer(), collector.public().signer());
}

#[test]
fn pruned_prekeys_make_old_bundles_unopenable_even_with_the_long_term_key() {
    let people = nodes(2, 10);
    let (collector, documenter) = (&people[0], &people[1]);
    let policy = PrekeyPolicy {
        lifetime: 7 * DAY,
        grace: 30 * DAY,
    };
    let mut r = rng(10);
    let mut doc_ring = PrekeyRing::new(policy);
    let mut col_ring = PrekeyRing::new(policy);
    assert!(doc_ring.rotate_with(documenter, NOW, &mut r));

    // Before the collector knows a prekey it falls back to the long-term key.
    let first = seal_to(collector, &col_ring, &[*documenter.public()], &[], b"", 1).unwrap();
    assert_eq!(first.sealed_to[0].1, SealedTo::LongTermKey);

    // The documenter's bundle announces its prekey; the collector learns it.
    let hello = seal_to(documenter, &doc_ring, &[*collector.public()], &[], b"", 2).unwrap();
    let opened = open(collector, &col_ring, &hello.bytes).unwrap();
    assert_eq!(opened.prekeys.len(), 1);
    assert_eq!(col_ring.learn(&opened.sender, &opened.prekeys, NOW), 1);
    // The ring survives being stored.
    let col_ring = PrekeyRing::from_bytes(&col_ring.to_bytes()).unwrap();

    let es = entries(collector, &["Mohammad Rezaei, Zahedan"]);
    let sealed = seal_to(collector, &col_ring, &[*documenter.public()], &es, b"", 3).unwrap();
    let SealedTo::Prekey { id, expires } = sealed.sealed_to[0].1 else {
        panic!("sealed to {:?}", sealed.sealed_to[0].1)
    };
    assert_eq!(expires, NOW + 7 * DAY);
    let opened = open(documenter, &doc_ring, &sealed.bytes).unwrap();
    assert_eq!(opened.opened_with, OpenedWith::Prekey { id });
    assert_eq!(opened.entries, es);

    // Within the grace period it still opens; after pruning, nothing opens it.
    assert_eq!(doc_ring.prune(expires + 30 * DAY - 1).own, 0);
    assert!(open(documenter, &doc_ring, &sealed.bytes).is_ok());
    assert_eq!(doc_ring.prune(expires + 30 * DAY).own, 1);
    let stored = PrekeyRing::from_bytes(&doc_ring.to_bytes()).unwrap();
    for ring in [&doc_ring, &stored, &empty_ring()] {
        let err = open(documenter, ring, &sealed.bytes).unwrap_err();
        assert!(matches!(err, BundleError::NotForMe), "{err}");
    }
    // The long-term fallback bundle still opens: it never had forward secrecy.
    assert!(open(documenter, &doc_ring, &first.bytes).is_ok());

    // Once the known prekey expires the collector falls back again.
    let later = SealRequest {
        sender: collector,
        ring: &col_ring,
        recipients: &[*documenter.public()],
        entries: &[],
        ack: b"",
        now: expires,
    };
    let sealed = seal_with_rng(&later, &mut r).unwrap();
    assert_eq!(sealed.sealed_to[0].1, SealedTo::LongTermKey);
}

#[test]
fn the_layout_is_pinned() {
    let people = nodes(3, 11);
    let mut r = rng(11);
    let mut ring = PrekeyRing::new(PrekeyPolicy::default());
    ring.rotate_with(&people[0], NOW, &mut r);
    let es = entries(&people[0], &["entry one", "entry two"]);
    let to = [*people[1].public(), *people[2].public()];
    let sealed = seal_to(&people[0], &ring, &to, &es, b"ack", 11).unwrap();
    let summary = format!(
        "len {}\nid {}\nblake3 {}\nhead {}",
        sealed.bytes.len(),
        hex(&sealed.id.0),
        blake3::hash(&sealed.bytes).to_hex(),
        hex(&sealed.bytes[..48]),
    );
    expect_test::expect![[r#"
        len 4096
        id 76ee9102f724f4c36245c5f6a8132e2f
        blake3 8664be9e7a37151cd0b7aa5426f4c7d4118f405639d6808772290a4d19706cdf
        head 3cd32846e94ac5691279295f1147a0c9f32d93470d804f5cbea91f68fd8e7a0f9c44e632c7c1f432d839148a22ff33d4"#]].assert_eq(&summary);
    let opened = open(&people[2], &empty_ring(), &sealed.bytes).unwrap();
    assert_eq!(opened.prekeys, ring.announcements(NOW));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn fuzz_failures_replay() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-failures/bundle");
    let mut n = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        bundle::fuzz::check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_then_open_gives_back_what_went_in(
        texts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..40),
        ack in proptest::collection::vec(any::<u8>(), 0..200),
        recipients in 1usize..=SLOTS,
        seed in any::<u64>(),
    ) {
        let people = nodes(SLOTS + 1, seed);
        let es: Vec<SignedEntry> = texts.into_iter().map(|t| SignedEntry::sign(&people[0], t)).collect();
        let to: Vec<NodePublicKey> = people[1..=recipients].iter().map(|n| *n.public()).collect();
        let sealed = seal_to(&people[0], &empty_ring(), &to, &es, &ack, seed).unwrap();
        prop_assert!(bundle::is_bucket_size(sealed.bytes.len() as u64));
        let opened = open(&people[recipients], &empty_ring(), &sealed.bytes).unwrap();
        prop_assert_eq!(opened.entries, es);
        prop_assert_eq!(opened.ack, ack);
    }

    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        bundle::fuzz::check(&data);
    }

    #[test]
    fn damaged_bundles_never_panic_and_never_open(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), 1u8..), 1..4)) {
        let people = nodes(2, seed);
        let es = entries(&people[0], &["a", "b"]);
        let sealed = seal_to(&people[0], &empty_ring(), &[*people[1].public()], &es, b"", seed).unwrap();
        let mut bad = sealed.bytes.clone();
        for (at, mask) in flips {
            let i = at % bad.len();
            bad[i] ^= mask;
        }
        prop_assume!(bad != sealed.bytes);
        prop_assert!(open(&people[1], &empty_ring(), &bad).is_err());
    }
}

#[test]
fn prekeys_announced_under_another_key_refuse_the_bundle() {
    let people = nodes(3, 12);
    let mut ring = empty_ring();
    // The ring's prekey is signed by people[2], but people[0] sends.
    ring.rotate_with(&people[2], NOW, &mut rng(12));
    let sealed = seal_to(&people[0], &ring, &[*people[1].public()], &[], b"", 12).unwrap();
    let err = open(&people[1], &empty_ring(), &sealed.bytes).unwrap_err();
    assert!(
        matches!(err, BundleError::BadPrekeySignature { index: 0 }),
        "{err}"
    );
}

#[test]
fn everything_after_the_ephemeral_key_looks_uniformly_random() {
    let people = nodes(2, 13);
    let texts: Vec<String> = (0..2000).map(|_| "a".repeat(100)).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let es = entries(&people[0], &refs);
    let sealed = seal_to(
        &people[0],
        &empty_ring(),
        &[*people[1].public()],
        &es,
        b"",
        13,
    )
    .unwrap();
    let body = &sealed.bytes[32..];
    let mut counts = [0f64; 256];
    for &b in body {
        counts[usize::from(b)] += 1.0;
    }
    let expected = body.len() as f64 / 256.0;
    let chi2: f64 = counts
        .iter()
        .map(|c| (c - expected).powi(2) / expected)
        .sum();
    // 255 degrees of freedom: above 360 happens by chance once in 10,000.
    assert!(
        chi2 < 360.0,
        "chi-square {chi2:.1} over {} bytes",
        body.len()
    );
}

#[test]
fn streaming_through_a_file_gives_the_same_bundle() {
    use std::io::{Seek, Write};
    let people = nodes(2, 14);
    let texts: Vec<String> = (0..700)
        .map(|i| format!("entry {i:04} {}", "y".repeat(300)))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let es = entries(&people[0], &refs);
    let to = [*people[1].public()];
    let in_memory = seal_to(&people[0], &empty_ring(), &to, &es, b"ack", 14).unwrap();

    let mut file = tempfile::tempfile().unwrap();
    let request = SealRequest {
        sender: &people[0],
        ring: &empty_ring(),
        recipients: &to,
        entries: &es,
        ack: b"ack",
        now: NOW,
    };
    let written =
        bundle::seal_to_writer(&request, &mut rng(14), std::io::BufWriter::new(&mut file)).unwrap();
    file.flush().unwrap();
    assert_eq!(written.len, in_memory.bytes.len() as u64);
    assert_eq!(written.id, in_memory.id);
    assert_eq!(file.metadata().unwrap().len(), written.len);

    file.rewind().unwrap();
    let opened = bundle::open_reader(&people[1], &empty_ring(), &mut file, written.len).unwrap();
    assert_eq!(opened.entries, es);
    assert_eq!(opened.id, in_memory.id);

    // A reader that ends before the stated length is a truncated bundle.
    let short = &in_memory.bytes[..in_memory.bytes.len() - 1000];
    let err = bundle::open_reader(&people[1], &empty_ring(), short, written.len).unwrap_err();
    assert!(matches!(err, BundleError::Truncated { .. }), "{err}");
}

/// Accepts `room` bytes, then fails like a full drive.
struct FullDrive {
    room: usize,
}

impl std::io::Write for FullDrive {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left",
            ));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Gives `good` bytes, then fails like a bad drive.
struct BadDrive<'a> {
    bytes: &'a [u8],
    good: usize,
}

impl std::io::Read for BadDrive<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.good == 0 {
            return Err(std::io::Error::other("input/output error"));
        }
        let n = buf.len().min(self.good).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.good -= n;
        Ok(n)
    }
}

#[test]
fn drive_errors_are_reported_as_such() {
    let people = nodes(2, 15);
    let es = entries(&people[0], &["one"]);
    let to = [*people[1].public()];
    let request = SealRequest {
        sender: &people[0],
        ring: &empty_ring(),
        recipients: &to,
        entries: &es,
        ack: b"",
        now: NOW,
    };
    for room in [0, 100, 1000] {
        let err = bundle::seal_to_writer(&request, &mut rng(15), FullDrive { room }).unwrap_err();
        assert!(matches!(err, BundleError::Write(_)), "{err}");
        assert!(err.to_string().contains("no space left"), "{err}");
    }
    let sealed = seal_to(&people[0], &empty_ring(), &to, &es, b"", 15).unwrap();
    for good in [1, 500, 2000] {
        let drive = BadDrive {
            bytes: &sealed.bytes,
            good,
        };
        let err = bundle::open_reader(&people[1], &empty_ring(), drive, sealed.bytes.len() as u64)
            .unwrap_err();
        assert!(matches!(err, BundleError::Read(_)), "{err}");
    }
}
