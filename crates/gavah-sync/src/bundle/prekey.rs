//! Rotating prekeys for forward secrecy over store-and-forward links (after
//! Briar's design): a node makes short-lived signed X25519 prekeys, announces them
//! in the bundles it sends, and deletes their secrets a grace period after they
//! expire, after which bundles sealed to them cannot be opened by anyone.

use std::collections::BTreeMap;

use ed25519_dalek::Signature;
use rand::CryptoRng;
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use super::error::KeyError;
use super::keys::{NodePublicKey, NodeSecret, SignerKey, verifying_key};
use super::wire::{Short, Source, read_array, read_u32, read_u64};

const PREKEY_CONTEXT: &str = "gavah 2026 prekey v1";
const RING_VERSION: u8 = 1;
/// Encoded length of a [`Prekey`]: id, created, expires, X25519 key, signature.
pub const PREKEY_LEN: usize = 8 + 8 + 8 + 32 + 64;
/// Prekeys a node announces in one bundle at most (its newest unexpired ones).
pub const MAX_ANNOUNCED: usize = 4;
/// Prekeys kept per peer at most (the newest by creation time), so a peer
/// cannot fill the ring.
pub const MAX_PEER_PREKEYS: usize = 8;

/// How long prekeys live. Times everywhere in this module are seconds since the
/// Unix epoch, passed in by the caller (the library reads no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrekeyPolicy {
    /// Seconds from a prekey's creation to its expiry. Senders use only
    /// unexpired prekeys; a new one is made when the newest is half this old.
    pub lifetime: u64,
    /// Seconds a prekey's secret is kept after it expires, for bundles sealed
    /// just before expiry that travel slowly. Forward secrecy: a bundle cannot be
    /// opened once `expires + grace` has passed and [`PrekeyRing::prune`] ran.
    pub grace: u64,
}

impl Default for PrekeyPolicy {
    /// Seven days of use and thirty days of grace: a courier crossing a border
    /// may take weeks, and a seized laptop opens nothing older than about five
    /// weeks.
    fn default() -> Self {
        Self {
            lifetime: 7 * 86_400,
            grace: 30 * 86_400,
        }
    }
}

/// A signed X25519 prekey as announced in bundles.
///
/// Encoding (120 bytes): id (u64 LE), created (u64 LE), expires (u64 LE),
/// X25519 public key (32), ed25519 signature (64) by the owner's node key over
/// the BLAKE3 digest, context `gavah 2026 prekey v1`, of the owner's ed25519 key
/// followed by the first 56 bytes of this encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prekey {
    /// The owner's number for this prekey.
    pub id: u64,
    /// When it was made.
    pub created: u64,
    /// From when senders must stop using it.
    pub expires: u64,
    /// The X25519 public key.
    pub public: [u8; 32],
    signature: [u8; 64],
}

fn prekey_digest(
    owner: &SignerKey,
    id: u64,
    created: u64,
    expires: u64,
    public: &[u8; 32],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key(PREKEY_CONTEXT);
    h.update(&owner.0);
    h.update(&id.to_le_bytes());
    h.update(&created.to_le_bytes());
    h.update(&expires.to_le_bytes());
    h.update(public);
    *h.finalize().as_bytes()
}

impl Prekey {
    /// Whether `owner` signed this prekey.
    pub fn verify(&self, owner: &SignerKey) -> bool {
        let Some(key) = verifying_key(&owner.0) else {
            return false;
        };
        let digest = prekey_digest(owner, self.id, self.created, self.expires, &self.public);
        key.verify_strict(&digest, &Signature::from_bytes(&self.signature))
            .is_ok()
    }

    /// The 120-byte encoding.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.created.to_le_bytes());
        out.extend_from_slice(&self.expires.to_le_bytes());
        out.extend_from_slice(&self.public);
        out.extend_from_slice(&self.signature);
    }

    pub(crate) fn read<S: Source + ?Sized>(src: &mut S) -> Result<Self, Short> {
        Ok(Self {
            id: read_u64(src)?,
            created: read_u64(src)?,
            expires: read_u64(src)?,
            public: read_array(src)?,
            signature: read_array(src)?,
        })
    }
}

/// One of this node's own prekeys with its secret. The secret is boxed so that
/// growing the ring's vector moves a pointer, not a copy of the secret.
#[derive(Clone)]
struct OwnPrekey {
    prekey: Prekey,
    secret: Box<StaticSecret>,
}

/// What [`PrekeyRing::prune`] deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Own prekey secrets deleted (bundles sealed to them can no longer be opened).
    pub own: usize,
    /// Expired peer prekeys forgotten.
    pub peers: usize,
}

/// A node's prekey state, which the lead persists with [`PrekeyRing::to_bytes`]:
/// its own prekeys with their secrets, and the prekeys it learnt from peers.
///
/// Typical use: before sending, [`PrekeyRing::rotate`]; [`super::seal`] announces
/// the ring's current prekeys and seals to the newest known prekey of each
/// recipient; after [`super::open`], [`PrekeyRing::learn`] the sender's
/// announced prekeys; now and then (and before persisting), [`PrekeyRing::prune`].
#[derive(Clone)]
pub struct PrekeyRing {
    policy: PrekeyPolicy,
    next_id: u64,
    own: Vec<OwnPrekey>,
    peers: BTreeMap<NodePublicKey, Vec<Prekey>>,
}

impl std::fmt::Debug for PrekeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrekeyRing")
            .field("policy", &self.policy)
            .field(
                "own",
                &self.own.iter().map(|o| o.prekey.id).collect::<Vec<_>>(),
            )
            .field("peers", &self.peers.len())
            .finish()
    }
}

impl PrekeyRing {
    /// An empty ring.
    pub fn new(policy: PrekeyPolicy) -> Self {
        Self {
            policy,
            next_id: 1,
            own: Vec::new(),
            peers: BTreeMap::new(),
        }
    }

    /// The ring's policy.
    pub fn policy(&self) -> PrekeyPolicy {
        self.policy
    }

    /// Makes a new prekey if none is younger than half the lifetime, drawing from
    /// the operating system's random source. Returns whether one was made.
    ///
    /// # Errors
    /// [`KeyError::Randomness`] if the operating system gives no random bytes.
    pub fn rotate(&mut self, node: &NodeSecret, now: u64) -> Result<bool, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|e| KeyError::Randomness(e.to_string()))?;
        let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_seed(*seed);
        Ok(self.rotate_with(node, now, &mut rng))
    }

    /// [`PrekeyRing::rotate`] with the randomness from `rng` (tests seed it).
    pub fn rotate_with<R: CryptoRng + ?Sized>(
        &mut self,
        node: &NodeSecret,
        now: u64,
        rng: &mut R,
    ) -> bool {
        let half = self.policy.lifetime / 2;
        if self
            .own
            .iter()
            .any(|o| o.prekey.created.saturating_add(half) > now && o.prekey.created <= now)
        {
            return false;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut_slice());
        let secret = Box::new(StaticSecret::from(*bytes));
        let public = XPublic::from(secret.as_ref()).to_bytes();
        let (id, created, expires) = (self.next_id, now, now.saturating_add(self.policy.lifetime));
        self.next_id = self.next_id.saturating_add(1);
        let signature = node.sign_digest(&prekey_digest(
            &node.public().signer(),
            id,
            created,
            expires,
            &public,
        ));
        self.own.push(OwnPrekey {
            prekey: Prekey {
                id,
                created,
                expires,
                public,
                signature,
            },
            secret,
        });
        true
    }

    /// This node's unexpired prekeys, newest first, at most [`MAX_ANNOUNCED`]:
    /// what [`super::seal`] announces.
    pub fn announcements(&self, now: u64) -> Vec<Prekey> {
        let mut out: Vec<Prekey> = self
            .own
            .iter()
            .map(|o| o.prekey)
            .filter(|p| p.expires > now)
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        out.truncate(MAX_ANNOUNCED);
        out
    }

    /// This node's own prekeys (public parts), secrets not yet pruned.
    pub fn own_prekeys(&self) -> impl Iterator<Item = &Prekey> {
        self.own.iter().map(|o| &o.prekey)
    }

    /// Remembers prekeys `peer` announced (from [`super::OpenedBundle::prekeys`]).
    /// Prekeys with a bad signature or already expired are ignored; at most the
    /// [`MAX_PEER_PREKEYS`] newest are kept. Returns how many were new.
    pub fn learn(&mut self, peer: &NodePublicKey, prekeys: &[Prekey], now: u64) -> usize {
        let known = self.peers.entry(*peer).or_default();
        let mut new = 0;
        for p in prekeys {
            if p.expires <= now
                || !p.verify(&peer.signer())
                || known.iter().any(|k| k.public == p.public)
            {
                continue;
            }
            known.push(*p);
            new += 1;
        }
        known.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        known.truncate(MAX_PEER_PREKEYS);
        if known.is_empty() {
            self.peers.remove(peer);
        }
        new
    }

    /// The newest unexpired prekey known for `peer`, the one [`super::seal`]
    /// seals to.
    pub fn newest_for(&self, peer: &NodePublicKey, now: u64) -> Option<&Prekey> {
        self.peers
            .get(peer)?
            .iter()
            .filter(|p| p.expires > now)
            .max_by_key(|p| (p.created, p.id))
    }

    /// Deletes own prekey secrets whose grace period has ended
    /// (`expires + grace <= now`) and forgets expired peer prekeys. The deleted
    /// secrets are zeroised; persist the ring afterwards so the stored copy
    /// loses them too.
    pub fn prune(&mut self, now: u64) -> Pruned {
        let before = self.own.len();
        let grace = self.policy.grace;
        self.own
            .retain(|o| o.prekey.expires.saturating_add(grace) > now);
        let mut peers = 0;
        self.peers.retain(|_, list| {
            let n = list.len();
            list.retain(|p| p.expires > now);
            peers += n - list.len();
            !list.is_empty()
        });
        Pruned {
            own: before - self.own.len(),
            peers,
        }
    }

    /// Secrets to try when opening a bundle, with the prekey id each belongs to.
    pub(crate) fn secrets(&self) -> impl Iterator<Item = (u64, &StaticSecret, &[u8; 32])> {
        self.own
            .iter()
            .map(|o| (o.prekey.id, o.secret.as_ref(), &o.prekey.public))
    }

    /// The ring as bytes for the lead to store (it holds secrets: zeroised on drop).
    ///
    /// Layout, integers little-endian: version u8 (1); lifetime u64; grace u64;
    /// next id u64; own count u32, then per own prekey its 120-byte [`Prekey`]
    /// encoding and its 32-byte X25519 secret; peer count u32, then per peer its
    /// 64-byte [`NodePublicKey::to_bytes`], a count u32 and that many prekeys.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        out.push(RING_VERSION);
        out.extend_from_slice(&self.policy.lifetime.to_le_bytes());
        out.extend_from_slice(&self.policy.grace.to_le_bytes());
        out.extend_from_slice(&self.next_id.to_le_bytes());
        out.extend_from_slice(&len_u32(self.own.len()).to_le_bytes());
        for o in &self.own {
            o.prekey.encode_into(&mut out);
            out.extend_from_slice(o.secret.as_bytes());
        }
        out.extend_from_slice(&len_u32(self.peers.len()).to_le_bytes());
        for (peer, list) in &self.peers {
            out.extend_from_slice(&peer.to_bytes());
            out.extend_from_slice(&len_u32(list.len()).to_le_bytes());
            for p in list {
                p.encode_into(&mut out);
            }
        }
        out
    }

    /// Reads what [`PrekeyRing::to_bytes`] wrote, strictly.
    ///
    /// # Errors
    /// [`KeyError::RingMalformed`] naming what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = |detail| move |_| KeyError::RingMalformed { detail };
        let mut src = bytes;
        let [version] = read_array::<1, _>(&mut src).map_err(bad("empty"))?;
        if version != RING_VERSION {
            return Err(KeyError::RingMalformed {
                detail: "unknown version",
            });
        }
        let lifetime = read_u64(&mut src).map_err(bad("cut short in the policy"))?;
        let grace = read_u64(&mut src).map_err(bad("cut short in the policy"))?;
        let next_id = read_u64(&mut src).map_err(bad("cut short in the policy"))?;
        let mut ring = Self::new(PrekeyPolicy { lifetime, grace });
        ring.next_id = next_id;
        let own = read_u32(&mut src).map_err(bad("cut short in own prekeys"))? as usize;
        if own > src.len() / (PREKEY_LEN + 32) {
            return Err(KeyError::RingMalformed {
                detail: "own prekey count too large",
            });
        }
        for _ in 0..own {
            let prekey = Prekey::read(&mut src).map_err(bad("cut short in own prekeys"))?;
            let secret = Zeroizing::new(
                read_array::<32, _>(&mut src).map_err(bad("cut short in own prekeys"))?,
            );
            let secret = Box::new(StaticSecret::from(*secret));
            if XPublic::from(secret.as_ref()).to_bytes() != prekey.public {
                return Err(KeyError::RingMalformed {
                    detail: "a prekey secret does not match its public key",
                });
            }
            ring.own.push(OwnPrekey { prekey, secret });
        }
        let peers = read_u32(&mut src).map_err(bad("cut short in peer prekeys"))? as usize;
        if peers > src.len() / 68 {
            return Err(KeyError::RingMalformed {
                detail: "peer count too large",
            });
        }
        for _ in 0..peers {
            let key = read_array::<64, _>(&mut src).map_err(bad("cut short in peer prekeys"))?;
            let peer = NodePublicKey::from_bytes(&key).map_err(|_| KeyError::RingMalformed {
                detail: "a peer key is not a usable key",
            })?;
            let n = read_u32(&mut src).map_err(bad("cut short in peer prekeys"))? as usize;
            if n > src.len() / PREKEY_LEN {
                return Err(KeyError::RingMalformed {
                    detail: "peer prekey count too large",
                });
            }
            let mut list = Vec::with_capacity(n);
            for _ in 0..n {
                list.push(Prekey::read(&mut src).map_err(bad("cut short in peer prekeys"))?);
            }
            if ring.peers.insert(peer, list).is_some() {
                return Err(KeyError::RingMalformed {
                    detail: "a peer appears twice",
                });
            }
        }
        if !src.is_empty() {
            return Err(KeyError::RingMalformed {
                detail: "bytes after the end",
            });
        }
        Ok(ring)
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const DAY: u64 = 86_400;

    #[test]
    fn rotation_learning_and_pruning_follow_the_policy() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let alice = NodeSecret::generate_with(&mut rng);
        let bob = NodeSecret::generate_with(&mut rng);
        let policy = PrekeyPolicy {
            lifetime: 10 * DAY,
            grace: 5 * DAY,
        };
        let mut ring = PrekeyRing::new(policy);
        let t0 = 1_767_225_600; // 2026-01-01
        assert!(ring.rotate_with(&alice, t0, &mut rng));
        assert!(!ring.rotate_with(&alice, t0 + 4 * DAY, &mut rng));
        assert!(ring.rotate_with(&alice, t0 + 5 * DAY, &mut rng));
        let ann = ring.announcements(t0 + 5 * DAY);
        assert_eq!(ann.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2, 1]);
        assert!(ann.iter().all(|p| p.verify(&alice.public().signer())));
        assert!(!ann[0].verify(&bob.public().signer()));

        let mut bobs = PrekeyRing::new(policy);
        assert_eq!(bobs.learn(alice.public(), &ann, t0 + 5 * DAY), 2);
        assert_eq!(bobs.learn(alice.public(), &ann, t0 + 5 * DAY), 0);
        assert_eq!(
            bobs.learn(bob.public(), &ann, t0 + 5 * DAY),
            0,
            "signed by someone else"
        );
        assert_eq!(
            bobs.newest_for(alice.public(), t0 + 6 * DAY).map(|p| p.id),
            Some(2)
        );
        assert_eq!(bobs.newest_for(alice.public(), t0 + 16 * DAY), None);

        // The first expires at day 10, its secret goes at day 15.
        assert_eq!(ring.prune(t0 + 15 * DAY - 1).own, 0);
        assert_eq!(ring.prune(t0 + 15 * DAY).own, 1);
        assert_eq!(
            ring.own_prekeys().map(|p| p.id).collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(bobs.prune(t0 + 15 * DAY), Pruned { own: 0, peers: 2 });

        let back = PrekeyRing::from_bytes(&ring.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), ring.to_bytes());
        let back = PrekeyRing::from_bytes(&bobs.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), bobs.to_bytes());
        let bytes = ring.to_bytes();
        expect_test::expect![
            "185 bytes, blake3 85343013772de0e9c2abe231e5ab91a08ece6c2010e4db3427cba7fd3a35414a"
        ]
        .assert_eq(&format!(
            "{} bytes, blake3 {}",
            bytes.len(),
            blake3::hash(&bytes).to_hex()
        ));
        for cut in 0..bytes.len() {
            assert!(PrekeyRing::from_bytes(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn a_peer_cannot_fill_the_ring() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let peer = NodeSecret::generate_with(&mut rng);
        let mut theirs = PrekeyRing::new(PrekeyPolicy {
            lifetime: 10,
            grace: 0,
        });
        let mut announced = Vec::new();
        for t in 0..50 {
            theirs.rotate_with(&peer, t * 10, &mut rng);
            announced.extend(theirs.announcements(t * 10));
        }
        let mut ours = PrekeyRing::new(PrekeyPolicy::default());
        ours.learn(peer.public(), &announced, 0);
        assert_eq!(
            ours.peers.get(peer.public()).map(Vec::len),
            Some(MAX_PEER_PREKEYS)
        );
        assert_eq!(
            ours.newest_for(peer.public(), 0).map(|p| p.created),
            Some(490)
        );
    }
}
