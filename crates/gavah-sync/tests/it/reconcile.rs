//! Tests of the reconcile module: both state machines driven in memory through
//! the real encoding, on random sets, with lost messages and forced collisions.

// Test helpers outside `#[test]` functions unwrap too: a panic is the report.
#![allow(clippy::unwrap_used)]

use gavah_sync::reconcile::{
    Config, EntryId, Initiator, Message, ReconcileError, Responder, SessionId, ShortId,
    decode_flight, encode_flight, fuzz,
};
use proptest::prelude::*;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// Two sets: `shared` ids on both sides, plus ids only on one side.
struct Sets {
    a: Vec<EntryId>,
    b: Vec<EntryId>,
}

fn random_id(rng: &mut ChaCha8Rng) -> EntryId {
    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    EntryId(id)
}

fn sets(seed: u64, shared: usize, a_only: usize, b_only: usize) -> Sets {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let common: Vec<EntryId> = (0..shared).map(|_| random_id(&mut rng)).collect();
    let mut a = common.clone();
    let mut b = common;
    a.extend((0..a_only).map(|_| random_id(&mut rng)));
    b.extend((0..b_only).map(|_| random_id(&mut rng)));
    // Order must not matter: shuffle b's by a simple rotation.
    b.rotate_left(shared / 3);
    Sets { a, b }
}

/// Carries a flight through the real encoding, as the lead's HTTP body will.
fn wire(flight: &[Message], config: &Config) -> (Vec<Message>, usize) {
    let body = encode_flight(flight);
    for m in flight {
        assert!(m.encoded_len() <= config.max_frame, "frame over the limit");
    }
    let back = decode_flight(&body, config.max_frame, 1 << 16).unwrap();
    assert_eq!(back, flight);
    (back, body.len())
}

struct Run<'a> {
    init: Initiator<'a>,
    resp: Responder<'a>,
    round_trips: u32,
    bytes: usize,
}

fn run<'a>(s: &'a Sets, config: &Config, salt: [u8; 16]) -> Run<'a> {
    let mut init = Initiator::with_salt(&s.a[..], config.clone(), salt).unwrap();
    let mut resp = Responder::new(&s.b[..], config.clone()).unwrap();
    let mut round_trips = 0;
    let mut bytes = 0;
    loop {
        round_trips += 1;
        assert!(round_trips < 64, "no end to the exchange");
        let (flight, n) = wire(&init.flight(), config);
        bytes += n;
        let (reply, n) = wire(&resp.receive(&flight).unwrap(), config);
        bytes += n;
        if init.receive(&reply).unwrap() {
            break;
        }
    }
    Run {
        init,
        resp,
        round_trips,
        bytes,
    }
}

fn minus(x: &[EntryId], y: &[EntryId]) -> BTreeSet<EntryId> {
    let y: BTreeSet<_> = y.iter().collect();
    x.iter().filter(|i| !y.contains(i)).copied().collect()
}

/// Both sides' outcomes are exactly the set differences, short ids included.
fn assert_exact(s: &Sets, r: &Run<'_>) {
    let a_minus_b = minus(&s.a, &s.b);
    let b_minus_a = minus(&s.b, &s.a);
    let io = r.init.outcome().expect("initiator done");
    let ro = r.resp.outcome().expect("responder done");
    let set = |v: &[EntryId]| v.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(set(&io.have_not_they), a_minus_b);
    assert_eq!(set(&ro.have_not_they), b_minus_a);
    assert_eq!(io.have_not_they.len(), a_minus_b.len(), "no repeats");
    assert_eq!(ro.have_not_they.len(), b_minus_a.len(), "no repeats");
    let lookup_r = |v: &[ShortId]| {
        v.iter()
            .map(|s| r.resp.lookup(*s).expect("responder maps its short id"))
            .collect::<BTreeSet<_>>()
    };
    let lookup_i = |v: &[ShortId]| {
        v.iter()
            .map(|s| r.init.lookup(*s).expect("initiator maps its short id"))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(lookup_r(&io.they_have_i_lack), b_minus_a);
    assert_eq!(lookup_i(&ro.they_have_i_lack), a_minus_b);
    assert!(r.init.progress().done && r.resp.progress().done);
    assert_eq!(
        r.init.progress().found,
        (a_minus_b.len() + b_minus_a.len()) as u64
    );
}

#[test]
fn identical_sets_agree_in_one_round_trip() {
    for shared in [0, 1, 1000] {
        let s = sets(1, shared, 0, 0);
        let r = run(&s, &Config::default(), [1; 16]);
        assert_eq!(r.round_trips, 1);
        assert_exact(&s, &r);
        assert!(r.init.outcome().unwrap().have_not_they.is_empty());
        assert!(r.init.outcome().unwrap().they_have_i_lack.is_empty());
    }
}

#[test]
fn random_differences_are_found_exactly() {
    let mut seed = 10;
    for d in [1usize, 2, 5, 30, 100, 1000, 3000] {
        for (a_only, b_only) in [(d, 0), (0, d), (d / 2, d - d / 2)] {
            seed += 1;
            let s = sets(seed, 2000, a_only, b_only);
            let r = run(&s, &Config::default(), [seed as u8; 16]);
            assert_exact(&s, &r);
            // The bytes target of issue 7, at these small sizes too.
            if d >= 100 {
                let per_difference = r.bytes as f64 / d as f64;
                assert!(
                    per_difference <= 64.0,
                    "{per_difference:.1} bytes per difference for d = {d}"
                );
            }
        }
    }
}

#[test]
fn small_differences_take_at_most_three_round_trips() {
    for seed in 0..8u64 {
        for d in [1usize, 10, 30, 100, 150] {
            let s = sets(100 + seed, 5000, d / 2, d - d / 2);
            let r = run(&s, &Config::default(), [seed as u8; 16]);
            assert_exact(&s, &r);
            assert!(
                r.round_trips <= 3,
                "{} round trips for d = {d}",
                r.round_trips
            );
            if d <= 10 {
                assert_eq!(r.round_trips, 1, "d = {d}");
            }
        }
    }
}

#[test]
fn one_empty_side() {
    for (a, b) in [(0, 500), (500, 0)] {
        let s = sets(7, 0, a, b);
        let r = run(&s, &Config::default(), [3; 16]);
        assert_exact(&s, &r);
    }
}

#[test]
fn small_frames_split_cells_and_answers() {
    let config = Config {
        max_frame: 256,
        ..Config::default()
    };
    let s = sets(8, 3000, 400, 300);
    let r = run(&s, &config, [4; 16]);
    assert_exact(&s, &r);
}

/// Finds a salt under which an initiator-only and a responder-only id share a
/// 16-bit short id, while neither side has two ids with the same short id.
fn colliding_salt(s: &Sets, config: &Config) -> [u8; 16] {
    let a_only = minus(&s.a, &s.b);
    let b_only = minus(&s.b, &s.a);
    for k in 0u32..100_000 {
        let mut salt = [0u8; 16];
        salt[..4].copy_from_slice(&k.to_le_bytes());
        let Ok(init) = Initiator::with_salt(&s.a[..], config.clone(), salt) else {
            continue;
        };
        if init.progress().attempt != 1 {
            continue; // the initiator's own ids collided
        }
        let mut resp = Responder::new(&s.b[..], config.clone()).unwrap();
        let reply = resp
            .receive(&[Message::Cells {
                session: SessionId(salt),
                start: 0,
                cells: vec![],
            }])
            .unwrap();
        if matches!(reply[..], [Message::Reject { .. }]) {
            continue; // the responder's own ids collided
        }
        let short_a: BTreeSet<ShortId> = a_only.iter().map(|id| init.short_id(id)).collect();
        let cross = b_only
            .iter()
            .filter_map(|id| resp.short_id(id))
            .any(|x| short_a.contains(&x));
        if cross {
            return salt;
        }
    }
    panic!("no colliding salt found")
}

#[test]
fn a_forced_short_id_collision_is_detected_and_resolved() {
    let config = Config {
        short_id_bits: 16,
        ..Config::default()
    };
    let s = sets(9, 40, 15, 15);
    let salt = colliding_salt(&s, &config);
    let r = run(&s, &config, salt);
    let p = r.init.progress();
    assert!(p.collisions >= 1, "the collision went unseen: {p:?}");
    assert!(p.attempt >= 2);
    assert_ne!(r.init.session(), SessionId(salt));
    assert_exact(&s, &r);
}

#[test]
fn a_responder_whose_ids_always_collide_is_refused_then_given_up() {
    let config = Config {
        short_id_bits: 4,
        ..Config::default()
    };
    // Twenty ids in sixteen short ids always collide on the responder.
    let s = sets(11, 0, 1, 20);
    let mut init = Initiator::with_salt(&s.a[..], config.clone(), [5; 16]).unwrap();
    let mut resp = Responder::new(&s.b[..], config.clone()).unwrap();
    let err = loop {
        let reply = resp.receive(&init.flight()).unwrap();
        assert!(matches!(reply[..], [Message::Reject { .. }]));
        if let Err(e) = init.receive(&reply) {
            break e;
        }
    };
    assert_eq!(err, ReconcileError::TooManyAttempts { attempts: 4 });
    assert!(!err.is_permanent());
}

/// Drives an exchange where the link drops a message now and then: a lost
/// request, a lost reply, and a responder that loses its state.
#[test]
fn resumes_after_lost_messages_and_a_lost_responder() {
    let s = sets(12, 20_000, 1500, 1500);
    let config = Config::default();
    let mut init = Initiator::with_salt(&s.a[..], config.clone(), [6; 16]).unwrap();
    let mut resp = Responder::new(&s.b[..], config.clone()).unwrap();
    let mut round = 0;
    let mut cells_before_loss = 0;
    let mut responder_lost = false;
    loop {
        round += 1;
        assert!(round < 64);
        let flight = init.flight();
        match round {
            // The request never arrives.
            2 => continue,
            // The reply never arrives: the next flight repeats this one.
            3 => {
                resp.receive(&flight).unwrap();
                cells_before_loss = resp.progress().cells;
                continue;
            }
            4 => {
                // The repeated cells are skipped, not decoded twice.
                let reply = resp.receive(&flight).unwrap();
                assert_eq!(resp.progress().cells, cells_before_loss);
                if init.receive(&reply).unwrap() {
                    break;
                }
                // The responder restarts and forgets the session.
                resp = Responder::new(&s.b[..], config.clone()).unwrap();
                responder_lost = true;
            }
            _ => {
                let reply = resp.receive(&flight).unwrap();
                if init.receive(&reply).unwrap() {
                    break;
                }
            }
        }
    }
    let r = Run {
        init,
        resp,
        round_trips: round,
        bytes: 0,
    };
    assert!(
        responder_lost,
        "the exchange ended before the responder was lost"
    );
    assert_eq!(r.init.progress().attempt, 1, "resumed, not restarted");
    assert_exact(&s, &r);
}

#[test]
fn messages_of_the_wrong_side_are_errors() {
    let s = sets(13, 10, 1, 1);
    let mut init = Initiator::with_salt(&s.a[..], Config::default(), [1; 16]).unwrap();
    let mut resp = Responder::new(&s.b[..], Config::default()).unwrap();
    let flight = init.flight();
    assert!(matches!(
        init.receive(&flight),
        Err(ReconcileError::Unexpected { .. })
    ));
    let reply = resp.receive(&flight).unwrap();
    assert!(matches!(
        resp.receive(&reply),
        Err(ReconcileError::Unexpected { .. })
    ));
    assert!(resp.receive(&[]).unwrap().is_empty());
}

fn arb_message() -> impl Strategy<Value = Message> {
    let session = any::<[u8; 16]>().prop_map(SessionId);
    let ascending = || {
        proptest::collection::btree_set(any::<u64>(), 0..20)
            .prop_map(|s| s.into_iter().map(ShortId).collect::<Vec<_>>())
    };
    prop_oneof![
        (
            session.clone(),
            any::<u32>(),
            proptest::collection::vec(any::<(u64, u32, u8)>(), 0..40)
        )
            .prop_map(|(session, start, cells)| Message::Cells {
                session,
                start,
                cells: cells
                    .into_iter()
                    .map(|(sum, check, count)| gavah_sync::reconcile::Cell { sum, check, count })
                    .collect(),
            }),
        (session.clone(), any::<(u32, u32, u32)>()).prop_map(
            |(session, (received, want, found))| {
                Message::More {
                    session,
                    received,
                    want,
                    found,
                }
            }
        ),
        (
            session.clone(),
            any::<u32>(),
            (1u16..10).prop_flat_map(|parts| (0..parts, Just(parts))),
            any::<[u8; 16]>(),
            ascending(),
            ascending()
        )
            .prop_map(
                |(session, received, (part, parts), digest, initiator_only, responder_only)| {
                    Message::Done {
                        session,
                        received,
                        part,
                        parts,
                        digest,
                        initiator_only,
                        responder_only,
                    }
                }
            ),
        (session, any::<bool>()).prop_map(|(session, collision)| Message::Reject {
            session,
            reason: if collision {
                gavah_sync::reconcile::RejectReason::ShortIdCollision
            } else {
                gavah_sync::reconcile::RejectReason::TooManyCells
            },
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sets_reconcile_exactly(
        seed in any::<u64>(),
        shared in 0usize..400,
        a_only in 0usize..120,
        b_only in 0usize..120,
        salt in any::<[u8; 16]>(),
    ) {
        let s = sets(seed, shared, a_only, b_only);
        let r = run(&s, &Config::default(), salt);
        assert_exact(&s, &r);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn messages_round_trip(msg in arb_message()) {
        let bytes = msg.encode();
        prop_assert_eq!(bytes.len(), msg.encoded_len());
        prop_assert_eq!(Message::decode(&bytes, 1 << 16), Ok(msg.clone()));
        let flight = encode_flight(std::slice::from_ref(&msg));
        prop_assert_eq!(decode_flight(&flight, 1 << 16, 4), Ok(vec![msg]));
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        fuzz::check(&bytes);
    }

    #[test]
    fn the_parser_never_panics_on_damaged_frames(
        msg in arb_message(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        let mut bytes = msg.encode();
        for (at, x) in flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        fuzz::check(&bytes);
        bytes.truncate(cut % (bytes.len() + 1));
        fuzz::check(&bytes);
    }
}

#[test]
fn oversize_and_cut_flights_are_refused() {
    let msg = Message::More {
        session: SessionId([0; 16]),
        received: 1,
        want: 2,
        found: 3,
    };
    let body = encode_flight(&[msg.clone(), msg.clone()]);
    assert!(decode_flight(&body[..body.len() - 1], 1 << 16, 4).is_err());
    assert!(decode_flight(&body, 1 << 16, 1).is_err());
    assert!(decode_flight(&body, 20, 4).is_err());
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    for _ in 0..2000 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        fuzz::check(&bytes);
    }
}

#[test]
fn a_difference_past_max_cells_is_an_error_not_a_hang() {
    let config = Config {
        max_cells: 256,
        ..Config::default()
    };
    let s = sets(15, 100, 500, 500);
    let mut init = Initiator::with_salt(&s.a[..], config.clone(), [8; 16]).unwrap();
    let mut resp = Responder::new(&s.b[..], config).unwrap();
    let mut rounds = 0;
    let err = loop {
        rounds += 1;
        assert!(rounds < 20);
        let reply = resp.receive(&init.flight()).unwrap();
        match init.receive(&reply) {
            Ok(done) => assert!(!done),
            Err(e) => break e,
        }
    };
    assert_eq!(err, ReconcileError::DifferenceTooLarge { cells: 256 });
    assert!(err.is_permanent());
}

#[test]
fn cells_after_a_gap_are_dropped_and_the_reply_says_where_to_go_on() {
    let s = sets(16, 1000, 300, 300);
    let mut init = Initiator::with_salt(&s.a[..], Config::default(), [9; 16]).unwrap();
    let mut resp = Responder::new(&s.b[..], Config::default()).unwrap();
    let first = init.flight();
    let reply = resp.receive(&first).unwrap();
    assert!(!init.receive(&reply).unwrap());
    let second = init.flight();
    let Message::Cells {
        session,
        start,
        cells,
    } = &second[0]
    else {
        panic!("cells expected")
    };
    assert_eq!(*start, 64);
    // A frame that skips cells the responder never got.
    let gap = Message::Cells {
        session: *session,
        start: start + 10,
        cells: cells.clone(),
    };
    let reply = resp.receive(&[gap]).unwrap();
    assert!(matches!(reply[..], [Message::More { received: 64, .. }]));
    assert_eq!(resp.progress().cells, 64);
}
