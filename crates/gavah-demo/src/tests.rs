//! Tests of the whole generator: determinism, the truth file's coverage of every
//! row, and that each list looks like what its source would send.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

fn small() -> DemoConfig {
    DemoConfig {
        people: 800,
        seed: 7,
    }
}

fn file<'a>(r: &'a Rendered, name: &str) -> &'a [u8] {
    &r.files.iter().find(|(n, _)| n == name).unwrap().1
}

/// The records of a CSV file (header excluded), skipping a UTF-8 BOM.
fn csv_records(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
    let mut rdr = csv::Reader::from_reader(bytes);
    let headers = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

fn column(headers: &[String], rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[i].clone()).collect()
}

fn is_persian_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&c) || matches!(c, 'پ' | 'چ' | 'ژ' | 'گ' | 'ک' | 'ی')
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = render(&small()).unwrap();
    let b = render(&small()).unwrap();
    assert_eq!(a.files.len(), b.files.len());
    for ((na, ba), (nb, bb)) in a.files.iter().zip(&b.files) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs between two runs with the same seed");
    }
    assert_eq!(a.output, b.output);

    let c = render(&DemoConfig { seed: 8, ..small() }).unwrap();
    for ((name, ba), (_, bc)) in a.files.iter().zip(&c.files) {
        assert!(ba != bc, "{name} is the same for seeds 7 and 8");
    }
}

#[test]
fn write_demo_writes_the_rendered_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/demo");
    let out = write_demo(&small(), &target).unwrap();
    let rendered = render(&small()).unwrap();
    assert_eq!(out, rendered.output);
    for (name, bytes) in &rendered.files {
        assert_eq!(&std::fs::read(target.join(name)).unwrap(), bytes, "{name}");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = rendered.files.iter().map(|(n, _)| n.clone()).collect();
    expected.sort();
    assert_eq!(on_disk, expected, "no temporary files are left behind");
}

#[test]
fn truth_covers_every_row_once_and_every_person() {
    let cfg = DemoConfig::default();
    let r = render(&cfg).unwrap();
    assert_eq!(r.output.people, cfg.people);
    let (headers, truth) = csv_records(file(&r, TRUTH_FILE));
    assert_eq!(headers, ["file", "row", "person_id"]);

    let mut rows_by_file: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut people = BTreeSet::new();
    for t in &truth {
        assert!(
            rows_by_file
                .entry(t[0].clone())
                .or_default()
                .insert(t[1].parse().unwrap()),
            "{t:?} twice"
        );
        people.insert(t[2].parse::<usize>().unwrap());
    }
    assert_eq!(
        people.len(),
        cfg.people,
        "every person appears in at least one list"
    );
    assert_eq!(people.first(), Some(&1));
    assert_eq!(people.last(), Some(&cfg.people));

    for list in &r.output.lists {
        let rows = &rows_by_file[&list.file_name];
        let expected: BTreeSet<usize> = (2..list.rows + 2).collect();
        assert_eq!(
            rows,
            &expected,
            "{}: rows 2..={} each once",
            list.file_name,
            list.rows + 1
        );
        if list.file_name.ends_with(".csv") {
            let (_, data) = csv_records(file(&r, &list.file_name));
            assert_eq!(data.len(), list.rows, "{}", list.file_name);
        }
    }
    assert_eq!(rows_by_file.len(), r.output.lists.len());

    // Overlap is realistic: many people once, some up to four times, none more.
    let mut lists_per_person: BTreeMap<usize, usize> = BTreeMap::new();
    for t in &truth {
        *lists_per_person.entry(t[2].parse().unwrap()).or_default() += 1;
    }
    let once = lists_per_person.values().filter(|&&n| n == 1).count();
    assert!(once * 2 > cfg.people, "most people appear once ({once})");
    assert!(lists_per_person.values().all(|&n| n <= 4));
    assert!(lists_per_person.values().any(|&n| n == 4));
}

#[test]
fn lists_have_their_sources_style() {
    let r = render(&DemoConfig::default()).unwrap();
    assert!((6..=8).contains(&r.output.lists.len()));
    let names: Vec<&str> = r
        .output
        .lists
        .iter()
        .map(|l| l.file_name.as_str())
        .collect();
    expect_test::expect![[r#"
        [
            "rights_group_victims.xlsx",
            "persian_rights_network.csv",
            "hospital_morgue.csv",
            "field_reports.csv",
            "media_reports.xlsx",
            "families_reports.csv",
            "official_security_forces.csv",
            "detainee_committee.csv",
        ]
    "#]]
    .assert_debug_eq(&names);
    for l in &r.output.lists {
        assert!(l.rows > 0, "{} is empty", l.file_name);
    }

    // XLSX files are zip archives of a plausible size.
    for l in r
        .output
        .lists
        .iter()
        .filter(|l| l.file_name.ends_with(".xlsx"))
    {
        let bytes = file(&r, &l.file_name);
        assert!(bytes.starts_with(b"PK\x03\x04"), "{}", l.file_name);
        assert!(
            bytes.len() > 5_000,
            "{} is {} bytes",
            l.file_name,
            bytes.len()
        );
    }

    // The Persian network: Persian names, Persian-digit Jalali dates, Excel's BOM.
    let bytes = file(&r, "persian_rights_network.csv");
    assert!(bytes.starts_with("\u{FEFF}".as_bytes()));
    let (h, rows) = csv_records(bytes);
    assert_eq!(h[1], "نام و نام خانوادگی");
    for d in column(&h, &rows, "تاریخ") {
        assert!(d.starts_with("۱۴۰۴/") || d.starts_with("۱۴۰۵/"), "{d}");
    }
    assert!(
        column(&h, &rows, "نام و نام خانوادگی")
            .iter()
            .all(|n| n.chars().any(is_persian_letter))
    );

    // The hospital: killed and wounded only, Latin-digit Jalali dates, a few rows
    // without a category.
    let (h, rows) = csv_records(file(&r, "hospital_morgue.csv"));
    assert!(
        column(&h, &rows, "وضعیت")
            .iter()
            .all(|s| ["کشته", "فوت", "زخمی"].contains(&s.as_str()))
    );
    assert!(
        column(&h, &rows, "تاریخ")
            .iter()
            .all(|d| d.starts_with("1404/"))
    );
    assert!(column(&h, &rows, "دسته").iter().any(String::is_empty));

    // The field reports carry the protected witness, contact and notes columns.
    let spec = r
        .output
        .lists
        .iter()
        .find(|l| l.file_name == "field_reports.csv")
        .unwrap();
    assert!(spec.protected);
    let (h, rows) = csv_records(file(&r, "field_reports.csv"));
    for col in ["شاهد", "شماره تماس", "یادداشت"] {
        assert!(h.iter().any(|x| x == col), "field reports lack {col}");
    }
    assert!(
        column(&h, &rows, "تاریخ")
            .iter()
            .all(|d| d.ends_with(" ۱۴۰۴") || d.ends_with(" ۱۴۰۵"))
    );
    assert!(
        column(&h, &rows, "شماره تماس")
            .iter()
            .filter(|p| !p.is_empty())
            .all(|p| p.chars().count() == 11)
    );

    // The families: birth years in both calendars.
    let (h, rows) = csv_records(file(&r, "families_reports.csv"));
    let years = column(&h, &rows, "Year of birth");
    assert!(
        years
            .iter()
            .any(|y| y.starts_with("13") || y.starts_with("۱۳"))
    );
    assert!(
        years
            .iter()
            .any(|y| y.starts_with("19") || y.starts_with("20"))
    );

    // The official list names security forces only.
    let (h, rows) = csv_records(file(&r, "official_security_forces.csv"));
    assert!(
        column(&h, &rows, "دسته")
            .iter()
            .all(|c| ["نیروی امنیتی", "نیروی انتظامی", "بسیج", "سپاه"].contains(&c.as_str()))
    );
}

#[test]
fn names_carry_realistic_noise() {
    let r = render(&DemoConfig::default()).unwrap();
    let all: String = r
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".csv"))
        .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
        .collect();
    assert!(all.contains('ي') && all.contains('ك'), "Arabic yeh and kaf");
    assert!(all.contains('\u{200C}'), "ZWNJ in compound names");
    assert!(all.contains("سید "), "the title Seyed");
    let (h, rows) = csv_records(file(&r, "families_reports.csv"));
    let first: BTreeSet<String> = column(&h, &rows, "First name").into_iter().collect();
    let spellings = |family: &[&str]| family.iter().filter(|n| first.contains(**n)).count();
    assert!(
        spellings(&["Mohammad", "Mohammed", "Muhammad", "Mohamad"]) >= 2
            || spellings(&["Hossein", "Hussein", "Hosein", "Husain"]) >= 2,
        "one name spelt more than one way: {first:?}"
    );
    assert!(
        first.iter().any(|n| n.chars().any(is_persian_letter)),
        "families write in both scripts"
    );
}

#[test]
fn people_follow_the_crisis_shape() {
    let names = NameTables::load();
    let places = Places::load();
    let people = people::generate(&mut rng(1404, STREAM_PEOPLE), 3000, &names, &places);
    let share = |f: &dyn Fn(&people::Person) -> bool| {
        people.iter().filter(|p| f(p)).count() as f64 / 3000.0
    };
    let killed = share(&|p| p.outcome == Outcome::Killed);
    let detained = share(&|p| p.outcome == Outcome::Detained);
    let female = share(&|p| p.sex == gavah_core::Sex::Female);
    assert!((0.08..0.18).contains(&killed), "killed {killed}");
    assert!((0.55..0.75).contains(&detained), "detained {detained}");
    assert!((0.10..0.20).contains(&female), "female {female}");
    let peak = share(&|p| {
        let d = p.event_date.to_string();
        ("2026-01-06".to_string().."2026-01-11".to_string()).contains(&d)
    });
    assert!(peak > 0.3, "peak days hold {peak}");
    let mut cities: Vec<usize> = people.iter().map(|p| p.place).collect();
    cities.sort_unstable();
    cities.dedup();
    assert!(cities.len() > 186, "{} cities", cities.len());
    let zahedan = people
        .iter()
        .filter(|p| places.places[p.place].city_en == "Zahedan")
        .count();
    assert!(zahedan > 60, "Zahedan {zahedan}");
}

#[test]
fn figures_and_claims() {
    let r = render(&DemoConfig::default()).unwrap();
    let (h, rows) = csv_records(file(&r, FIGURES_FILE));
    assert_eq!(h, FIGURE_HEADERS);
    let rg_killed: Vec<u64> = rows
        .iter()
        .filter(|f| {
            f[0] == sources::RIGHTS_GROUP && f[2] == "killed" && f[6].is_empty() && f[7].is_empty()
        })
        .map(|f| f[3].parse().unwrap())
        .collect();
    assert!(rg_killed.len() > 8);
    assert!(
        rg_killed.windows(2).all(|w| w[0] <= w[1]),
        "the rights group's count only grows: {rg_killed:?}"
    );
    assert!(rg_killed[0] * 10 < *rg_killed.last().unwrap());
    for f in &rows {
        assert!(
            ["at-least", "about", "exactly", "at-most"].contains(&f[4].as_str()),
            "{f:?}"
        );
        assert!(
            ["killed", "detained", "wounded", "cities"].contains(&f[2].as_str()),
            "{f:?}"
        );
        assert!(Date::parse_iso(&f[5]).is_some(), "{f:?}");
        assert!(f[6].is_empty() || f[6].starts_with("IR-"), "{f:?}");
        assert!(f[8].starts_with("https://example."), "{f:?}");
    }
    let official_last: u64 = rows
        .iter()
        .filter(|f| f[0] == sources::OFFICIAL && f[2] == "killed" && f[7].is_empty())
        .map(|f| f[3].parse().unwrap())
        .next_back()
        .unwrap();
    assert!(
        official_last < *rg_killed.last().unwrap(),
        "the state's figure is lower"
    );

    assert!((3..=5).contains(&r.output.claims.len()));
    for c in &r.output.claims {
        assert!(!c.statuses.is_empty());
        assert!(
            c.statuses.windows(2).all(|w| w[0].date <= w[1].date),
            "{c:?}"
        );
    }
    let statuses: BTreeSet<&str> = r
        .output
        .claims
        .iter()
        .filter_map(|c| c.statuses.last())
        .map(|s| s.status.as_str())
        .collect();
    for s in ["disputed", "unconfirmed", "confirmed"] {
        assert!(statuses.contains(s), "a claim ends {s}");
    }
}

/// Every CSV list's dates, statuses, categories, sexes and places are read by
/// gavah-core's own parsers, the ones the importer uses.
#[test]
fn core_parsers_read_every_csv_value() {
    use gavah_core::date::{CalendarHint, parse_date};
    use gavah_core::gazetteer::gazetteer;
    use gavah_core::vocab::{self, Recognised};
    let r = render(&DemoConfig::default()).unwrap();
    let start = Date::from_ymd(2025, 12, 27).unwrap();
    let end = Date::from_ymd(2026, 3, 31).unwrap();
    for l in r
        .output
        .lists
        .iter()
        .filter(|l| l.file_name.ends_with(".csv"))
    {
        let (h, rows) = csv_records(file(&r, &l.file_name));
        for (i, name) in h.iter().enumerate() {
            for row in &rows {
                let v = row[i].as_str();
                if v.is_empty() {
                    continue;
                }
                let ctx = format!("{} {name} {v:?}", l.file_name);
                match name.as_str() {
                    "تاریخ" | "Date" | "تاریخ بازداشت" => {
                        let d = parse_date(v, CalendarHint::Auto)
                            .expect(&ctx)
                            .value
                            .date
                            .expect(&ctx);
                        assert!(start <= d && d <= end, "{ctx} read as {d}");
                    }
                    "وضعیت" | "Status" => {
                        assert!(
                            matches!(vocab::outcome(v), Some(Recognised::Value(_))),
                            "{ctx}"
                        );
                    }
                    "دسته" => assert!(vocab::category(v).is_some(), "{ctx}"),
                    "جنسیت" => {
                        assert!(matches!(vocab::sex(v), Some(Recognised::Value(_))), "{ctx}")
                    }
                    "شهر" | "City" => assert!(gazetteer().city(v, None).is_some(), "{ctx}"),
                    "استان" => assert!(gazetteer().province(v).is_some(), "{ctx}"),
                    _ => {}
                }
            }
        }
    }
}
