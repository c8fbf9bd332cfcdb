//! The bundle module's fuzz check, run by the `bundle` target in `fuzz/` and by
//! ordinary tests: parsers never panic on any bytes, and what they accept
//! round-trips.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::entry::SignedEntry;
use super::keys::{NodePublicKey, NodeSecret};
use super::prekey::{PrekeyPolicy, PrekeyRing};
use super::seal::{SealRequest, open, parse_payload, seal_with_rng};
use super::summary::Summary;

/// Feeds `data` to every parser of the module and checks round-trips:
/// a signed entry, a public key line, a prekey ring, a bundle summary, a bundle payload's
/// plaintext, a whole bundle file; then seals `data` as an entry and as the ack
/// and checks that the bundle opens to them.
///
/// # Panics
/// When a parser panics or a round-trip fails: that is the bug fuzzing looks for.
pub fn check(data: &[u8]) {
    if let Ok(entry) = SignedEntry::decode(data) {
        assert_eq!(
            entry.encode(),
            data,
            "signed entry does not re-encode to its input"
        );
        let _ = entry.verify();
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = NodePublicKey::parse(text)
    {
        assert_eq!(
            NodePublicKey::parse(&key.to_string()).ok(),
            Some(key),
            "key line round-trip"
        );
    }
    if let Ok(ring) = PrekeyRing::from_bytes(data) {
        let again = PrekeyRing::from_bytes(&ring.to_bytes()).map(|r| r.to_bytes());
        assert_eq!(again.ok(), Some(ring.to_bytes()), "prekey ring round-trip");
    }
    let _ = parse_payload(&mut &data[..], &mut blake3::Hasher::new());
    if let Ok(summary) = Summary::decode(data) {
        assert_eq!(
            summary.encode(),
            data,
            "summary does not re-encode to its input"
        );
    }

    let mut rng = ChaCha20Rng::seed_from_u64(0x0067_6176_6168);
    let sender = NodeSecret::generate_with(&mut rng);
    let me = NodeSecret::generate_with(&mut rng);
    let ring = PrekeyRing::new(PrekeyPolicy::default());
    let _ = open(&me, &ring, data);

    let entries = [SignedEntry::sign(&sender, data.to_vec())];
    let request = SealRequest {
        sender: &sender,
        ring: &ring,
        recipients: &[*me.public()],
        entries: &entries,
        ack: data,
        now: 0,
    };
    let sealed = seal_with_rng(&request, &mut rng).unwrap_or_else(|e| panic!("seal failed: {e}"));
    let opened = open(&me, &ring, &sealed.bytes).unwrap_or_else(|e| panic!("open failed: {e}"));
    assert_eq!(opened.entries.as_slice(), entries.as_slice());
    assert_eq!(opened.ack, data);
    assert_eq!(opened.id, sealed.id);
}
