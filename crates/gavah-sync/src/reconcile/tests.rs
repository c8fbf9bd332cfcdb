//! Unit tests of reconciliation: golden wire layout and short-id keys, and the
//! protocol run in memory on small sets.

use super::*;
use expect_test::{Expect, expect};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_frame(msg: Message, expect: Expect) {
    let bytes = msg.encode();
    assert_eq!(Message::decode(&bytes, 1 << 16), Ok(msg));
    expect.assert_eq(&hex(&bytes));
}

fn sid() -> SessionId {
    SessionId(*b"0123456789abcdef")
}

#[test]
fn golden_cells_frame() {
    check_frame(
        Message::Cells {
            session: sid(),
            start: 258,
            cells: vec![
                Cell {
                    sum: 0x0102_0304_0506_0708,
                    check: 0x0a0b_0c0d,
                    count: 1,
                },
                Cell {
                    sum: u64::MAX,
                    check: 0,
                    count: 255,
                },
            ],
        },
        expect![[
            r#"010130313233343536373839616263646566020100000200000008070605040302010d0c0b0a01ffffffffffffffff00000000ff"#
        ]],
    );
}

#[test]
fn golden_more_reject_frames() {
    check_frame(
        Message::More {
            session: sid(),
            received: 64,
            want: 300,
            found: 5,
        },
        expect!["010230313233343536373839616263646566400000002c01000005000000"],
    );
    check_frame(
        Message::Reject {
            session: sid(),
            reason: RejectReason::TooManyCells,
        },
        expect!["01043031323334353637383961626364656602"],
    );
}

#[test]
fn golden_done_frame() {
    check_frame(
        Message::Done {
            session: sid(),
            received: 7,
            part: 0,
            parts: 1,
            digest: [0xdd; 16],
            initiator_only: vec![ShortId(1), ShortId(0x100)],
            responder_only: vec![ShortId(u64::MAX)],
        },
        expect![
            "0103303132333435363738396162636465660700000000000100dddddddddddddddddddddddddddddddd020000000100000001000000000000000001000000000000ffffffffffffffff"
        ],
    );
}

/// The short-id hash, checksum and cell sequence are part of the wire format:
/// fixed ids and salt must always code into the same cells.
#[test]
fn golden_coded_cells() {
    let ids: Vec<EntryId> = (0u8..100).map(|i| EntryId([i; 16])).collect();
    let mut init = Initiator::with_salt(&ids[..], Config::default(), [7; 16]).unwrap();
    let flight = init.flight();
    assert_eq!(flight.len(), 1);
    let bytes = flight[0].encode();
    assert_eq!(bytes.len(), 26 + 13 * 64);
    let Message::Cells { cells, .. } = &flight[0] else {
        panic!("expected cells")
    };
    assert_eq!(cells[0].count, 100, "every id is coded into cell 0");
    expect![[r#"
        dc14a0b818391b7ffd5031bb79444ac0aa6a44b896a1595043e3dfb740955bc5
        Cell { sum: 12189230672719959007, check: 1643416837, count: 100 }
        Cell { sum: 13803807732079602668, check: 3239034416, count: 2 }"#]]
    .assert_eq(&format!(
        "{}\n{:?}\n{:?}",
        blake3::hash(&bytes).to_hex(),
        cells[0],
        cells[63]
    ));
}

#[test]
fn decode_refuses_bad_frames() {
    let good = Message::More {
        session: sid(),
        received: 1,
        want: 2,
        found: 0,
    }
    .encode();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "TooShort"),
        (good[..10].to_vec(), "TooShort"),
        ([&good[..], &[0]].concat(), "Length"),
        (
            {
                let mut b = good.clone();
                b[0] = 2;
                b
            },
            "Version",
        ),
        (
            {
                let mut b = good.clone();
                b[1] = 9;
                b
            },
            "Kind",
        ),
        (vec![0; 70_000], "TooLong"),
    ];
    for (bytes, want) in cases {
        let err = Message::decode(&bytes, 1 << 16).unwrap_err();
        assert!(
            format!("{err:?}").starts_with(want),
            "{err:?} is not {want}"
        );
        assert!(!err.to_string().ends_with('.'));
    }
    let unordered = Message::Done {
        session: sid(),
        received: 1,
        part: 0,
        parts: 1,
        digest: [0; 16],
        initiator_only: vec![ShortId(5), ShortId(5)],
        responder_only: vec![],
    }
    .encode();
    assert_eq!(
        Message::decode(&unordered, 1 << 16),
        Err(WireError::NotAscending)
    );
}

#[test]
fn config_is_validated() {
    let ids = [EntryId([1; 16])];
    for bad in [
        Config {
            max_frame: 100,
            ..Config::default()
        },
        Config {
            initial_cells: 0,
            ..Config::default()
        },
        Config {
            max_attempts: 0,
            ..Config::default()
        },
        Config {
            short_id_bits: 65,
            ..Config::default()
        },
    ] {
        assert!(matches!(
            Responder::new(&ids[..], bad),
            Err(ReconcileError::Config { .. })
        ));
    }
}
