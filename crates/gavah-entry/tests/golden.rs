//! Golden tests of the entry log's wire format, version 1: the canonical bytes
//! and ids of one entry of each kind under a fixed key, node and clock, so that
//! any change to the format shows as a diff here. Also the JSON round trip and
//! the privacy of ids (keyed with the team key, never a plain content hash).
//!
//! A change to the golden text is a change to a promise: it needs a new
//! `FORMAT_VERSION`, not an `UPDATE_EXPECT=1`.

// Helpers panic on failure like the tests that call them; clippy's
// `allow-unwrap-in-tests` only covers `#[test]` functions themselves.
#![allow(clippy::unwrap_used)]

use expect_test::expect;
use gavah_core::{EntryId, NodeId};
use gavah_entry::{
    BatchBody, Body, ClaimBody, ClaimStatusBody, ColumnBody, Entry, FORMAT_VERSION, FigureBody,
    Hlc, OutcomeBody, PersonBody, PlaceBody, ReportBody, SourceBody, TeamKey,
};
use proptest::prelude::*;

/// Bytes 0, 1, …, 31.
fn key() -> TeamKey {
    TeamKey::from_bytes(std::array::from_fn(|i| u8::try_from(i).unwrap()))
}

fn node() -> NodeId {
    NodeId(std::array::from_fn(|i| 0xA0 + u8::try_from(i).unwrap()))
}

/// 2026-01-08T00:00:00Z, counter 0.
const HLC: Hlc = Hlc(1_767_830_400_000 << 16);

fn source() -> Body {
    Body::Source(SourceBody {
        name: "Hengaw".into(),
        source_type: "rights-group".into(),
        protected: false,
    })
}

fn batch(source: EntryId) -> Body {
    Body::Batch(BatchBody {
        source,
        list_kind: "people".into(),
        file_name: "list.csv".into(),
        file_hash: hex::encode(key().hasher("file").bytes(b"name,status\n").finish_bytes()),
        format: "csv".into(),
        encoding: "utf-8".into(),
        rows: 1,
        columns: vec![
            ColumnBody {
                header: "نام".into(),
                field: Some("name".into()),
            },
            ColumnBody {
                header: "وضعیت".into(),
                field: Some("status".into()),
            },
            ColumnBody {
                header: "شاهد".into(),
                field: Some("witness".into()),
            },
            ColumnBody {
                header: "extra".into(),
                field: None,
            },
        ],
    })
}

fn person() -> PersonBody {
    PersonBody {
        name: Some("مهسا امینی".into()),
        sex: Some("female".into()),
        age: Some(22),
        category: Some("protester".into()),
        outcomes: vec![OutcomeBody {
            outcome: "killed".into(),
            date: Some("2022-09-16".into()),
            precision: "day".into(),
            place: PlaceBody {
                province: Some("IR-23".into()),
                city: Some(112_931),
                text: Some("تهران".into()),
                ..PlaceBody::default()
            },
        }],
        witness: Some("a witness".into()),
        ..PersonBody::default()
    }
}

fn report(source: EntryId, batch: EntryId) -> ReportBody {
    ReportBody {
        source,
        batch,
        row: 2,
        occurrence: 0,
        raw: vec![
            ["نام".into(), "مهسا امینی".into()],
            ["وضعیت".into(), "کشته".into()],
            ["شاهد".into(), "a witness".into()],
            ["extra".into(), String::new()],
        ],
        person: person(),
    }
}

fn figure(source: EntryId) -> Body {
    Body::Figure(FigureBody {
        source,
        metric: "killed".into(),
        value: 500,
        qualifier: "at-least".into(),
        as_of: "2026-01-08".into(),
        province: None,
        category: Some("protester".into()),
        citation: Some("https://example.org/report".into()),
    })
}

fn claim() -> Body {
    Body::Claim(ClaimBody {
        by: "Ministry of the Interior".into(),
        date: "2026-01-09".into(),
        text: "No one was killed in Tehran".into(),
        citation: None,
    })
}

fn claim_status(claim: EntryId) -> Body {
    Body::ClaimStatus(ClaimStatusBody {
        claim,
        status: "disputed".into(),
        by: "documenter".into(),
        date: "2026-01-10".into(),
        note: Some("contradicted by the hospital list".into()),
    })
}

/// One body of each kind, each referring to the ones before it by id.
fn bodies() -> Vec<Body> {
    let key = key();
    let source = source();
    let source_id = source.id(&key);
    let batch = batch(source_id);
    let batch_id = batch.id(&key);
    let claim = claim();
    let claim_id = claim.id(&key);
    vec![
        source,
        batch,
        Body::Report(report(source_id, batch_id)),
        figure(source_id),
        claim,
        claim_status(claim_id),
    ]
}

#[test]
fn canonical_bytes_and_ids_of_each_kind() {
    assert_eq!(FORMAT_VERSION, 1);
    let key = key();
    let mut golden = String::new();
    for body in bodies() {
        let entry = Entry::new(&key, node(), "documenter", HLC, body);
        let bytes = String::from_utf8(entry.canonical_bytes()).unwrap();
        golden.push_str(&format!("{} {}\n{bytes}\n\n", entry.body.kind(), entry.id));
    }
    expect![[r#"
        source 5b8028f99d4aec87881a073d1564ce06
        {"v":1,"id":"5b8028f99d4aec87881a073d1564ce06","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"source","name":"Hengaw","source_type":"rights-group","protected":false}}

        batch c64c9d65f092d6cee8ad0c5c25ee9f29
        {"v":1,"id":"c64c9d65f092d6cee8ad0c5c25ee9f29","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"batch","source":"5b8028f99d4aec87881a073d1564ce06","list_kind":"people","file_name":"list.csv","file_hash":"b94dfd36d3d920df1f2184fcc2c36dfc7eaedef22676f73d60c576ebd17ba327","format":"csv","encoding":"utf-8","rows":1,"columns":[{"header":"نام","field":"name"},{"header":"وضعیت","field":"status"},{"header":"شاهد","field":"witness"},{"header":"extra"}]}}

        report 8a03ce4b091a5612ffef4abd7d8fd2e9
        {"v":1,"id":"8a03ce4b091a5612ffef4abd7d8fd2e9","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"report","source":"5b8028f99d4aec87881a073d1564ce06","batch":"c64c9d65f092d6cee8ad0c5c25ee9f29","row":2,"occurrence":0,"raw":[["نام","مهسا امینی"],["وضعیت","کشته"],["شاهد","a witness"],["extra",""]],"person":{"name":"مهسا امینی","sex":"female","age":22,"category":"protester","outcomes":[{"outcome":"killed","date":"2022-09-16","precision":"day","place":{"province":"IR-23","city":112931,"text":"تهران"}}],"witness":"a witness"}}}

        figure 354c276c9c9bcb5abe2750062b62af00
        {"v":1,"id":"354c276c9c9bcb5abe2750062b62af00","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"figure","source":"5b8028f99d4aec87881a073d1564ce06","metric":"killed","value":500,"qualifier":"at-least","as_of":"2026-01-08","category":"protester","citation":"https://example.org/report"}}

        claim f790436b968e8de1565e16e09b8afb29
        {"v":1,"id":"f790436b968e8de1565e16e09b8afb29","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"claim","by":"Ministry of the Interior","date":"2026-01-09","text":"No one was killed in Tehran"}}

        claim-status 216bf0cbd555c1e3633c7f61e67d254b
        {"v":1,"id":"216bf0cbd555c1e3633c7f61e67d254b","node":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","author":"documenter","hlc":115856533094400000,"body":{"kind":"claim-status","claim":"f790436b968e8de1565e16e09b8afb29","status":"disputed","by":"documenter","date":"2026-01-10","note":"contradicted by the hospital list"}}

    "#]]
    .assert_eq(&golden);
}

#[test]
fn bodies_round_trip_through_json() {
    let key = key();
    for body in bodies() {
        let json = body.to_json();
        let back = Body::from_json(&json).unwrap();
        assert_eq!(back, body);
        assert_eq!(back.id(&key), body.id(&key));
        assert_eq!(
            back.to_json(),
            json,
            "the JSON of {} is not stable",
            body.kind()
        );
    }
}

#[test]
fn person_round_trips_through_the_domain_type() {
    let person = person();
    let report = person.to_report().unwrap();
    assert_eq!(PersonBody::from(&report), person);
}

#[test]
fn unknown_codes_are_refused_with_the_field() {
    let mut person = person();
    person.outcomes[0].outcome = "vanished".into();
    let e = person.to_report().unwrap_err();
    expect!["entry field 'outcome' holds 'vanished', which this version of Gavah does not know"]
        .assert_eq(&e.to_string());
}

/// What an id would be without the team key: the same field sequence the id
/// is made from, hashed with unkeyed BLAKE3, or the whole body's JSON hashed.
fn report_id_by_hand(r: &ReportBody, keyed: Option<&TeamKey>) -> EntryId {
    let mut h = match keyed {
        Some(key) => blake3::Hasher::new_keyed(key.as_bytes()),
        None => blake3::Hasher::new(),
    };
    let mut field = |b: &[u8]| {
        h.update(&(b.len() as u64).to_le_bytes());
        h.update(b);
    };
    field(b"gavah/id/v1");
    field(b"report");
    h.update(r.source.as_bytes());
    h.update(&u64::from(r.occurrence).to_le_bytes());
    for [header, value] in &r.raw {
        h.update(&(header.len() as u64).to_le_bytes());
        h.update(header.as_bytes());
        h.update(&(value.len() as u64).to_le_bytes());
        h.update(value.as_bytes());
    }
    EntryId::from_slice(&h.finalize().as_bytes()[..16]).unwrap()
}

fn first_16(hash: blake3::Hash) -> EntryId {
    EntryId::from_slice(&hash.as_bytes()[..16]).unwrap()
}

#[test]
fn a_captor_without_the_key_cannot_recompute_ids() {
    let key = key();
    let bodies = bodies();
    let Body::Report(r) = &bodies[2] else {
        panic!("the third body is a report")
    };
    let id = bodies[2].id(&key);
    // The construction is what we think it is: keyed with the team key, it gives
    // the id exactly.
    assert_eq!(report_id_by_hand(r, Some(&key)), id);
    // Without the key, neither the same construction nor a hash of the content
    // gives it.
    assert_ne!(report_id_by_hand(r, None), id);
    assert_ne!(first_16(blake3::hash(&bodies[2].to_json())), id);
    let mut raw = Vec::new();
    for [h, v] in &r.raw {
        raw.extend_from_slice(h.as_bytes());
        raw.extend_from_slice(v.as_bytes());
    }
    assert_ne!(first_16(blake3::hash(&raw)), id);
    // Every kind's id changes with the key, even by one bit.
    let mut other = *key.as_bytes();
    other[31] ^= 1;
    let other = TeamKey::from_bytes(other);
    for body in &bodies {
        assert_ne!(body.id(&key), body.id(&other), "{}", body.kind());
    }
    // And the key never appears in what is written.
    for body in bodies {
        let entry = Entry::new(&key, node(), "documenter", HLC, body);
        let bytes = entry.canonical_bytes();
        let hex_key = hex::encode(key.as_bytes());
        assert!(!bytes.windows(32).any(|w| w == key.as_bytes()));
        assert!(!String::from_utf8(bytes).unwrap().contains(&hex_key));
    }
}

#[test]
fn a_report_is_its_source_raw_row_and_occurrence() {
    let key = key();
    let Body::Report(r) = &bodies()[2] else {
        panic!("the third body is a report")
    };
    let id = |r: &ReportBody| Body::Report(r.clone()).id(&key);
    // How the row was parsed, where it sits and which batch read it do not make it
    // another report: two nodes importing the same list get the same ids.
    let mut same = r.clone();
    same.person = PersonBody::default();
    same.row = 40;
    same.batch = EntryId([7; 16]);
    assert_eq!(id(&same), id(r));
    // Its raw content, its occurrence in the file and its source do.
    let mut other = r.clone();
    other.raw[3][1] = " ".into();
    assert_ne!(id(&other), id(r));
    let mut other = r.clone();
    other.occurrence = 1;
    assert_ne!(id(&other), id(r));
    let mut other = r.clone();
    other.source = EntryId([7; 16]);
    assert_ne!(id(&other), id(r));
    // Fields are length-prefixed: moving text between header and value changes it.
    let mut other = r.clone();
    other.raw[0] = ["نام مهسا".into(), "امینی".into()];
    let mut moved = r.clone();
    moved.raw[0] = ["نام".into(), "مهسا امینی".into()];
    assert_ne!(id(&other), id(&moved));
}

#[test]
fn a_source_is_its_name_key() {
    let key = key();
    let named = |name: &str, protected: bool| {
        Body::Source(SourceBody {
            name: name.into(),
            source_type: "other".into(),
            protected,
        })
        .id(&key)
    };
    assert_eq!(named("Hengaw", false), named(" hengaw ", true));
    assert_ne!(named("Hengaw", false), named("HRANA", false));
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "\\PC{0,12}", any::<String>()]
}

fn entry_id() -> impl Strategy<Value = EntryId> {
    any::<[u8; 16]>().prop_map(EntryId)
}

fn place() -> impl Strategy<Value = PlaceBody> {
    (
        proptest::option::of(text()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(text()),
        proptest::option::of(any::<i32>()),
        proptest::option::of(any::<i32>()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(province, city, district, lat_e6, lon_e6, text)| PlaceBody {
                province,
                city,
                district,
                lat_e6,
                lon_e6,
                text,
            },
        )
}

fn any_person() -> impl Strategy<Value = PersonBody> {
    let outcome = (text(), proptest::option::of(text()), text(), place()).prop_map(
        |(outcome, date, precision, place)| OutcomeBody {
            outcome,
            date,
            precision,
            place,
        },
    );
    (
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<i32>()),
            place(),
        ),
        (
            proptest::option::of(text()),
            prop::collection::vec(outcome, 0..3),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(any::<u8>()),
        ),
    )
        .prop_map(
            |(
                (name, sex, age, birth_year, home),
                (category, outcomes, witness, notes, confidence),
            )| {
                PersonBody {
                    name,
                    sex,
                    age,
                    birth_year,
                    home,
                    category,
                    outcomes,
                    witness,
                    notes,
                    confidence,
                    ..PersonBody::default()
                }
            },
        )
}

fn any_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (text(), text(), any::<bool>()).prop_map(|(name, source_type, protected)| {
            Body::Source(SourceBody {
                name,
                source_type,
                protected,
            })
        }),
        (
            entry_id(),
            text(),
            any::<u64>(),
            proptest::option::of(text())
        )
            .prop_map(|(source, file_name, rows, field)| Body::Batch(BatchBody {
                source,
                list_kind: "people".into(),
                file_name,
                file_hash: String::new(),
                format: "csv".into(),
                encoding: "utf-8".into(),
                rows,
                columns: vec![ColumnBody {
                    header: "h".into(),
                    field,
                }],
            })),
        (
            entry_id(),
            entry_id(),
            any::<u64>(),
            any::<u32>(),
            prop::collection::vec((text(), text()), 0..4),
            any_person()
        )
            .prop_map(|(source, batch, row, occurrence, raw, person)| {
                Body::Report(ReportBody {
                    source,
                    batch,
                    row,
                    occurrence,
                    raw: raw.into_iter().map(|(h, v)| [h, v]).collect(),
                    person,
                })
            }),
        (
            entry_id(),
            text(),
            any::<u64>(),
            proptest::option::of(text()),
            proptest::option::of(text())
        )
            .prop_map(|(source, metric, value, province, citation)| {
                Body::Figure(FigureBody {
                    source,
                    metric,
                    value,
                    qualifier: "about".into(),
                    as_of: "2026-01-08".into(),
                    province,
                    category: None,
                    citation,
                })
            }),
        (text(), text(), text(), proptest::option::of(text())).prop_map(
            |(by, date, text, citation)| Body::Claim(ClaimBody {
                by,
                date,
                text,
                citation,
            })
        ),
        (entry_id(), text(), proptest::option::of(text())).prop_map(|(claim, status, note)| {
            Body::ClaimStatus(ClaimStatusBody {
                claim,
                status,
                by: "documenter".into(),
                date: "2026-01-10".into(),
                note,
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/golden.txt"),
        )),
        ..ProptestConfig::default()
    })]

    /// Any body, whatever its text, reads back from its JSON as itself, with the
    /// same id and the same bytes.
    #[test]
    fn any_body_round_trips_through_json(body in any_body()) {
        let key = key();
        let json = body.to_json();
        let back = Body::from_json(&json).unwrap();
        prop_assert_eq!(&back, &body);
        prop_assert_eq!(back.id(&key), body.id(&key));
        prop_assert_eq!(back.to_json(), json);
    }

    /// Any entry reads back from its canonical bytes as itself: what a node
    /// signs is what another node stores and signs again when it relays.
    #[test]
    fn any_entry_round_trips_through_canonical_bytes(
        body in any_body(), author in text(), hlc in any::<u64>()
    ) {
        let entry = Entry::new(&key(), node(), &author, Hlc(hlc), body);
        let bytes = entry.canonical_bytes();
        let back = Entry::from_canonical_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &entry);
        prop_assert_eq!(back.canonical_bytes(), bytes);
    }
}

#[test]
fn other_spellings_of_an_entry_are_refused() {
    let entry = Entry::new(&key(), node(), "ana", Hlc(7), source());
    let bytes = entry.canonical_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    // The same JSON with a space added, fields reordered or one unknown field
    // reads as the same entry to a lax parser; it must not be accepted.
    let spaced = text.replacen(':', ": ", 1);
    assert_eq!(
        Entry::from_canonical_bytes(spaced.as_bytes()),
        Err(gavah_entry::DecodeError::NotCanonical)
    );
    let extra = format!("{},\"x\":1}}", &text[..text.len() - 1]);
    assert!(matches!(
        Entry::from_canonical_bytes(extra.as_bytes()),
        Err(gavah_entry::DecodeError::Malformed { .. })
    ));
    let v2 = text.replacen("\"v\":1", "\"v\":2", 1);
    assert_eq!(
        Entry::from_canonical_bytes(v2.as_bytes()),
        Err(gavah_entry::DecodeError::Version(2))
    );
    assert!(Entry::from_canonical_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert_eq!(Entry::from_canonical_bytes(&bytes).unwrap(), entry);
}

/// A body whose `kind` is not the first key (Gavah always writes it first, but
/// JSON objects are unordered) reads the same, through the slower path.
#[test]
fn a_body_reads_the_same_whichever_key_comes_first() {
    for body in bodies() {
        let json: serde_json::Value = serde_json::from_slice(&body.to_json()).unwrap();
        let serde_json::Value::Object(fields) = json else {
            panic!("a body is a map")
        };
        // Move `kind` to the end (written by hand: serde_json's map sorts keys).
        let mut text = String::from("{");
        for (k, v) in fields.iter().filter(|(k, _)| *k != "kind") {
            text.push_str(&format!("{}:{},", serde_json::to_string(k).unwrap(), v));
        }
        text.push_str(&format!("\"kind\":{}}}", fields["kind"]));
        let text = text.into_bytes();
        assert!(!text.starts_with(b"{\"kind\""), "the test moved the kind");
        assert_eq!(Body::from_json(&text).unwrap(), body);
    }
}

#[test]
fn a_body_without_a_known_kind_is_refused_with_the_reason() {
    let err = |text: &str| Body::from_json(text.as_bytes()).unwrap_err().to_string();
    assert!(err(r#"{"kind":"rumour","text":"x"}"#).contains("unknown variant `rumour`"));
    assert!(err(r#"{"text":"x","kind":"rumour"}"#).contains("unknown variant `rumour`"));
    assert!(err(r#"{"name":"x"}"#).contains("missing field `kind`"));
    assert!(err(r#"{}"#).contains("missing field `kind`"));
    assert!(err(r#"{"name":"x","kind":7}"#).contains("kind is not a string"));
    assert!(err(r#"{"name":"x","kind":"source","name":"y"}"#).contains("duplicate field"));
    assert!(err(r#"["kind","source"]"#).contains("a map with a kind"));
    // A report missing a required field names it, on either path.
    assert!(err(r#"{"kind":"report","row":1}"#).contains("missing field"));
    assert!(err(r#"{"row":1,"kind":"report"}"#).contains("missing field"));
}
