//! The form a store keeps an entry body in: compact for reports, JSON for the
//! other kinds.
//!
//! Reports are nearly every entry, and their JSON (about 580 bytes for a row of
//! nine columns) repeats every key name and spells ids in hex: half of what a
//! store writes per imported row. The compact form writes the same fields in a
//! fixed order with length prefixes, about 45 % smaller, so that an import
//! writes (and the disk holds) fewer bytes. It is a local storage form only:
//! entries travel and are signed as their canonical bytes (JSON), and a body
//! read back from either form is the same [`Body`].
//!
//! Layout of a compact report: the tag byte [`COMPACT_REPORT`], the source and
//! batch ids (16 bytes each), the row and occurrence (LEB128), the raw row
//! (a count, then header and value of each cell), then the person: a bitmap of
//! the fields present, followed by those fields in declaration order. Strings
//! are a LEB128 byte length and UTF-8; signed integers are zigzag LEB128.
//! Written by hand: the body's serde form is an internally tagged map with
//! fields left out when empty, which binary serde formats cannot read back.
//! The encoder destructures every struct, so a field added to a body does not
//! compile until it is stored here too.

use crate::body::{Body, OutcomeBody, PersonBody, PlaceBody, ReportBody};
use gavah_core::EntryId;

/// First byte of a compact report. A JSON body starts with `{`.
pub const COMPACT_REPORT: u8 = 0x01;

/// Why stored bytes are not a body.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("the stored body is empty")]
    Empty,
    #[error("the stored body starts with byte {0:#04x}, which no stored form starts with")]
    UnknownForm(u8),
    #[error("the stored report ends early, reading {0}")]
    Truncated(&'static str),
    #[error("the stored report has {0} bytes after its end")]
    Trailing(usize),
    #[error("the stored report's {0} is not UTF-8")]
    NotUtf8(&'static str),
    #[error("the stored report's {0} is out of range")]
    OutOfRange(&'static str),
    #[error("the stored report's {0} is marked present but empty")]
    EmptyPlace(&'static str),
    #[error("stored body: {0}")]
    Json(#[from] serde_json::Error),
}

impl Body {
    /// The bytes a store keeps for this body (see the module's documentation).
    pub fn to_stored(&self) -> Vec<u8> {
        match self {
            Body::Report(r) => {
                // Most reports take 200–400 bytes.
                let mut out = Vec::with_capacity(384);
                out.push(COMPACT_REPORT);
                write_report(&mut out, r);
                out
            }
            _ => self.to_json(),
        }
    }

    /// Reads a body from the bytes [`Body::to_stored`] wrote, or from the JSON
    /// that stores kept before the compact form (and still keep for the other
    /// kinds).
    pub fn from_stored(bytes: &[u8]) -> Result<Body, StoredError> {
        match bytes.first() {
            None => Err(StoredError::Empty),
            Some(&COMPACT_REPORT) => {
                let mut r = Reader { rest: &bytes[1..] };
                let report = read_report(&mut r)?;
                if !r.rest.is_empty() {
                    return Err(StoredError::Trailing(r.rest.len()));
                }
                Ok(Body::Report(report))
            }
            Some(b'{') => Ok(Body::from_json(bytes)?),
            Some(&other) => Err(StoredError::UnknownForm(other)),
        }
    }
}

fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    write_uint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    write_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Bit `i` set for each `Some`/non-empty field, in order.
fn bitmap(present: &[bool]) -> u64 {
    present
        .iter()
        .enumerate()
        .fold(0, |m, (i, p)| if *p { m | (1 << i) } else { m })
}

fn write_report(out: &mut Vec<u8>, r: &ReportBody) {
    let ReportBody {
        source,
        batch,
        row,
        occurrence,
        raw,
        person,
    } = r;
    out.extend_from_slice(source.as_bytes());
    out.extend_from_slice(batch.as_bytes());
    write_uint(out, *row);
    write_uint(out, u64::from(*occurrence));
    write_uint(out, raw.len() as u64);
    for [header, value] in raw {
        write_str(out, header);
        write_str(out, value);
    }
    write_person(out, person);
}

fn write_person(out: &mut Vec<u8>, p: &PersonBody) {
    let PersonBody {
        name,
        given_name,
        surname,
        father_name,
        sex,
        age,
        birth_year,
        occupation,
        home,
        category,
        outcomes,
        description,
        witness,
        contact,
        notes,
        confidence,
        url,
    } = p;
    write_uint(
        out,
        bitmap(&[
            name.is_some(),
            given_name.is_some(),
            surname.is_some(),
            father_name.is_some(),
            sex.is_some(),
            age.is_some(),
            birth_year.is_some(),
            occupation.is_some(),
            !home.is_empty(),
            category.is_some(),
            !outcomes.is_empty(),
            description.is_some(),
            witness.is_some(),
            contact.is_some(),
            notes.is_some(),
            confidence.is_some(),
            url.is_some(),
        ]),
    );
    for s in [name, given_name, surname, father_name, sex]
        .into_iter()
        .flatten()
    {
        write_str(out, s);
    }
    if let Some(a) = age {
        write_uint(out, u64::from(*a));
    }
    if let Some(y) = birth_year {
        write_int(out, i64::from(*y));
    }
    if let Some(o) = occupation {
        write_str(out, o);
    }
    if !home.is_empty() {
        write_place(out, home);
    }
    if let Some(c) = category {
        write_str(out, c);
    }
    if !outcomes.is_empty() {
        write_uint(out, outcomes.len() as u64);
        for o in outcomes {
            write_outcome(out, o);
        }
    }
    for s in [description, witness, contact, notes].into_iter().flatten() {
        write_str(out, s);
    }
    if let Some(c) = confidence {
        write_uint(out, u64::from(*c));
    }
    if let Some(u) = url {
        write_str(out, u);
    }
}

fn write_place(out: &mut Vec<u8>, p: &PlaceBody) {
    let PlaceBody {
        province,
        city,
        district,
        lat_e6,
        lon_e6,
        text,
    } = p;
    write_uint(
        out,
        bitmap(&[
            province.is_some(),
            city.is_some(),
            district.is_some(),
            lat_e6.is_some(),
            lon_e6.is_some(),
            text.is_some(),
        ]),
    );
    if let Some(s) = province {
        write_str(out, s);
    }
    if let Some(c) = city {
        write_uint(out, u64::from(*c));
    }
    if let Some(s) = district {
        write_str(out, s);
    }
    for v in [lat_e6, lon_e6].into_iter().flatten() {
        write_int(out, i64::from(*v));
    }
    if let Some(s) = text {
        write_str(out, s);
    }
}

fn write_outcome(out: &mut Vec<u8>, o: &OutcomeBody) {
    let OutcomeBody {
        outcome,
        date,
        precision,
        place,
    } = o;
    write_uint(out, bitmap(&[date.is_some(), !place.is_empty()]));
    write_str(out, outcome);
    if let Some(d) = date {
        write_str(out, d);
    }
    write_str(out, precision);
    if !place.is_empty() {
        write_place(out, place);
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&[u8], StoredError> {
        if self.rest.len() < n {
            return Err(StoredError::Truncated(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn uint(&mut self, what: &'static str) -> Result<u64, StoredError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.bytes(1, what)?[0];
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StoredError::OutOfRange(what))
    }

    fn int(&mut self, what: &'static str) -> Result<i64, StoredError> {
        let z = self.uint(what)?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn small<T: TryFrom<u64>>(&mut self, what: &'static str) -> Result<T, StoredError> {
        T::try_from(self.uint(what)?).map_err(|_| StoredError::OutOfRange(what))
    }

    fn signed<T: TryFrom<i64>>(&mut self, what: &'static str) -> Result<T, StoredError> {
        T::try_from(self.int(what)?).map_err(|_| StoredError::OutOfRange(what))
    }

    fn string(&mut self, what: &'static str) -> Result<String, StoredError> {
        let n: usize = self.small(what)?;
        let b = self.bytes(n, what)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|_| StoredError::NotUtf8(what))
    }

    fn id(&mut self, what: &'static str) -> Result<EntryId, StoredError> {
        let b = self.bytes(16, what)?;
        EntryId::from_slice(b).ok_or(StoredError::Truncated(what))
    }

    /// A presence bitmap of `fields` bits.
    fn bitmap(&mut self, fields: u32, what: &'static str) -> Result<Bits, StoredError> {
        let m = self.uint(what)?;
        if m >> fields != 0 {
            return Err(StoredError::OutOfRange(what));
        }
        Ok(Bits { m, next: 0 })
    }
}

/// Reads a presence bitmap one field at a time, in order.
struct Bits {
    m: u64,
    next: u32,
}

impl Bits {
    fn has(&mut self) -> bool {
        let set = self.m & (1 << self.next) != 0;
        self.next += 1;
        set
    }
}

fn read_report(r: &mut Reader<'_>) -> Result<ReportBody, StoredError> {
    let source = r.id("source")?;
    let batch = r.id("batch")?;
    let row = r.uint("row")?;
    let occurrence = r.small("occurrence")?;
    let cells: usize = r.small("raw row")?;
    // Each cell takes at least two bytes: never reserve past the input.
    let mut raw = Vec::with_capacity(cells.min(r.rest.len() / 2));
    for _ in 0..cells {
        raw.push([r.string("raw header")?, r.string("raw value")?]);
    }
    let person = read_person(r)?;
    Ok(ReportBody {
        source,
        batch,
        row,
        occurrence,
        raw,
        person,
    })
}

fn read_person(r: &mut Reader<'_>) -> Result<PersonBody, StoredError> {
    let mut has = r.bitmap(17, "person's fields")?;
    let text = |r: &mut Reader<'_>, has: &mut Bits, what| -> Result<_, StoredError> {
        has.has().then(|| r.string(what)).transpose()
    };
    let name = text(r, &mut has, "name")?;
    let given_name = text(r, &mut has, "given name")?;
    let surname = text(r, &mut has, "surname")?;
    let father_name = text(r, &mut has, "father's name")?;
    let sex = text(r, &mut has, "sex")?;
    let age = has.has().then(|| r.small("age")).transpose()?;
    let birth_year = has.has().then(|| r.signed("birth year")).transpose()?;
    let occupation = text(r, &mut has, "occupation")?;
    let home = if has.has() {
        read_place(r, "home place")?
    } else {
        PlaceBody::default()
    };
    let category = text(r, &mut has, "category")?;
    let outcomes = if has.has() {
        let n: usize = r.small("outcomes")?;
        if n == 0 {
            return Err(StoredError::OutOfRange("outcomes"));
        }
        let mut v = Vec::with_capacity(n.min(r.rest.len() / 4));
        for _ in 0..n {
            v.push(read_outcome(r)?);
        }
        v
    } else {
        Vec::new()
    };
    let description = text(r, &mut has, "description")?;
    let witness = text(r, &mut has, "witness")?;
    let contact = text(r, &mut has, "contact")?;
    let notes = text(r, &mut has, "notes")?;
    let confidence = has.has().then(|| r.small("confidence")).transpose()?;
    let url = text(r, &mut has, "url")?;
    Ok(PersonBody {
        name,
        given_name,
        surname,
        father_name,
        sex,
        age,
        birth_year,
        occupation,
        home,
        category,
        outcomes,
        description,
        witness,
        contact,
        notes,
        confidence,
        url,
    })
}

fn read_place(r: &mut Reader<'_>, what: &'static str) -> Result<PlaceBody, StoredError> {
    let mut has = r.bitmap(6, what)?;
    let province = has.has().then(|| r.string("province")).transpose()?;
    let city = has.has().then(|| r.small("city")).transpose()?;
    let district = has.has().then(|| r.string("district")).transpose()?;
    let lat_e6 = has.has().then(|| r.signed("latitude")).transpose()?;
    let lon_e6 = has.has().then(|| r.signed("longitude")).transpose()?;
    let text = has.has().then(|| r.string("place text")).transpose()?;
    let place = PlaceBody {
        province,
        city,
        district,
        lat_e6,
        lon_e6,
        text,
    };
    // Written only when not empty: an empty one marked present would read
    // back differently from what was written.
    if place.is_empty() {
        return Err(StoredError::EmptyPlace(what));
    }
    Ok(place)
}

fn read_outcome(r: &mut Reader<'_>) -> Result<OutcomeBody, StoredError> {
    let mut has = r.bitmap(2, "outcome's fields")?;
    let outcome = r.string("outcome")?;
    let date = has.has().then(|| r.string("outcome date")).transpose()?;
    let precision = r.string("precision")?;
    let place = if has.has() {
        read_place(r, "outcome place")?
    } else {
        PlaceBody::default()
    };
    Ok(OutcomeBody {
        outcome,
        date,
        precision,
        place,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place() -> impl Strategy<Value = PlaceBody> {
        (
            proptest::option::of("\\PC{0,6}"),
            proptest::option::of(any::<u32>()),
            proptest::option::of("\\PC{0,6}"),
            proptest::option::of(any::<i32>()),
            proptest::option::of(any::<i32>()),
            proptest::option::of("\\PC{0,6}"),
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

    fn outcome() -> impl Strategy<Value = OutcomeBody> {
        (
            "\\PC{0,8}",
            proptest::option::of("\\PC{0,10}"),
            "\\PC{0,5}",
            place(),
        )
            .prop_map(|(outcome, date, precision, place)| OutcomeBody {
                outcome,
                date,
                precision,
                place,
            })
    }

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("\\PC{0,12}")
    }

    fn person() -> impl Strategy<Value = PersonBody> {
        (
            (text(), text(), text(), text(), text()),
            (
                proptest::option::of(any::<u16>()),
                proptest::option::of(any::<i32>()),
                text(),
                place(),
                text(),
            ),
            proptest::collection::vec(outcome(), 0..3),
            (text(), text(), text(), text()),
            (proptest::option::of(any::<u8>()), text()),
        )
            .prop_map(
                |(
                    (name, given_name, surname, father_name, sex),
                    (age, birth_year, occupation, home, category),
                    outcomes,
                    (description, witness, contact, notes),
                    (confidence, url),
                )| PersonBody {
                    name,
                    given_name,
                    surname,
                    father_name,
                    sex,
                    age,
                    birth_year,
                    occupation,
                    home,
                    category,
                    outcomes,
                    description,
                    witness,
                    contact,
                    notes,
                    confidence,
                    url,
                },
            )
    }

    fn report() -> impl Strategy<Value = ReportBody> {
        (
            any::<[u8; 16]>(),
            any::<[u8; 16]>(),
            any::<u64>(),
            any::<u32>(),
            proptest::collection::vec(("\\PC{0,8}", "\\PC{0,12}"), 0..6),
            person(),
        )
            .prop_map(|(s, b, row, occurrence, raw, person)| ReportBody {
                source: EntryId(s),
                batch: EntryId(b),
                row,
                occurrence,
                raw: raw.into_iter().map(|(h, v)| [h, v]).collect(),
                person,
            })
    }

    proptest! {
        #[test]
        fn a_report_reads_back_as_written(r in report()) {
            let body = Body::Report(r);
            let stored = body.to_stored();
            prop_assert_eq!(stored[0], COMPACT_REPORT);
            prop_assert_eq!(Body::from_stored(&stored).unwrap(), body.clone());
            // And the JSON a store kept before reads back the same.
            prop_assert_eq!(Body::from_stored(&body.to_json()).unwrap(), body);
        }

        #[test]
        fn a_cut_or_lengthened_report_is_refused(r in report(), cut in any::<prop::sample::Index>()) {
            let stored = Body::Report(r).to_stored();
            let at = cut.index(stored.len());
            prop_assert!(Body::from_stored(&stored[..at]).is_err(), "cut at {}", at);
            let mut longer = stored.clone();
            longer.push(0);
            prop_assert!(Body::from_stored(&longer).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut tagged = vec![COMPACT_REPORT];
            tagged.extend_from_slice(&bytes);
            let _ = Body::from_stored(&tagged);
            let _ = Body::from_stored(&bytes);
        }
    }

    fn typical() -> ReportBody {
        let cells = [
            ("row", "1"),
            ("name", "امیر احمدی 1"),
            ("age", "18"),
            ("sex", "female"),
            ("city", "Ahvaz"),
            ("date", "1404/10/15"),
            ("status", "released"),
            ("category", "security forces"),
            ("witness", "witness 1"),
        ];
        ReportBody {
            source: EntryId([0x2d; 16]),
            batch: EntryId([0x78; 16]),
            row: 3,
            occurrence: 0,
            raw: cells
                .iter()
                .map(|(h, v)| [h.to_string(), v.to_string()])
                .collect(),
            person: PersonBody {
                name: Some("امیر احمدی 1".into()),
                sex: Some("female".into()),
                age: Some(18),
                category: Some("security-forces".into()),
                outcomes: vec![OutcomeBody {
                    outcome: "released".into(),
                    date: Some("2026-01-05".into()),
                    precision: "day".into(),
                    place: PlaceBody {
                        province: Some("IR-06".into()),
                        city: Some(144_448),
                        text: Some("Ahvaz".into()),
                        ..PlaceBody::default()
                    },
                }],
                witness: Some("witness 1".into()),
                ..PersonBody::default()
            },
        }
    }

    #[test]
    fn a_typical_report_is_about_half_its_json() {
        let body = Body::Report(typical());
        let (stored, json) = (body.to_stored().len(), body.to_json().len());
        assert!(
            stored * 2 < json + json / 10,
            "{stored} bytes against {json} of JSON"
        );
    }

    #[test]
    fn other_kinds_are_kept_as_json() {
        let body = Body::Source(crate::SourceBody {
            name: "Hengaw".into(),
            source_type: "rights-group".into(),
            protected: false,
        });
        assert_eq!(body.to_stored(), body.to_json());
        assert_eq!(Body::from_stored(&body.to_stored()).unwrap(), body);
    }

    #[test]
    fn unknown_forms_and_empty_places_are_refused() {
        assert!(matches!(Body::from_stored(b""), Err(StoredError::Empty)));
        assert!(matches!(
            Body::from_stored(b"\x02abc"),
            Err(StoredError::UnknownForm(2))
        ));
        // A home place marked present but with no field set.
        let mut r = typical();
        r.person.home = PlaceBody {
            district: Some("x".into()),
            ..PlaceBody::default()
        };
        let mut stored = Body::Report(r).to_stored();
        let home = stored
            .windows(3)
            .rposition(|w| w == [0b100, 1, b'x'])
            .expect("the home place");
        stored.splice(home..home + 3, [0u8]);
        assert!(matches!(
            Body::from_stored(&stored),
            Err(StoredError::EmptyPlace(_))
        ));
    }
}
