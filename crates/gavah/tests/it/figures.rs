//! The documented figures across lists: distinct people (not rows) per outcome,
//! category, place and day, whichever source named them.

use crate::util::{Dir, summary};

#[test]
fn the_same_person_in_two_sources_counts_once() {
    let d = Dir::with_store();
    let file = d.fixture("people.tsv");
    d.import(&file, "Source A", &[]);
    let one = summary(&d.figures());
    d.import(&file, "Source B", &[]);
    let f = d.figures();
    assert_eq!(f["reports"], 6, "two sources, three reports each: {f}");
    assert_eq!(f["people"], 3, "the same three people: {f}");
    // Apart from the number of reports, nothing moved.
    assert_eq!(
        one.replacen("reports 3", "reports 6", 1),
        summary(&f),
        "a second source naming the same people changes no figure"
    );
}

#[test]
fn days_carry_a_running_total() {
    let d = Dir::with_store();
    let file = d.fixture("people_fa.csv");
    d.import(&file, "Source A", &[]);
    let f = d.figures();
    let killed: Vec<(String, u64, u64)> = f["by_day"]
        .as_array()
        .expect("by_day")
        .iter()
        .filter(|r| r["outcome"] == "killed")
        .map(|r| {
            (
                r["day"].as_str().expect("day").to_string(),
                r["count"].as_u64().expect("count"),
                r["cumulative"].as_u64().expect("cumulative"),
            )
        })
        .collect();
    assert_eq!(
        killed,
        [
            ("2026-01-08".to_string(), 2, 2),
            ("2026-01-09".to_string(), 1, 3)
        ]
    );
    let csv = d
        .cmd(["figures", "--by", "day", "--format", "csv"])
        .ok()
        .stdout;
    assert!(csv.contains("day,2026-01-08,,killed,2\n"), "{csv}");
}

#[test]
fn the_category_breakdown_adds_up_to_the_total() {
    // One person, named by two sources: one says protester, the other gives no
    // category. "At least 1 killed (1 protesters, …, 1 unknown)" would count
    // them twice inside the parentheses.
    //
    // Regression, fixed in the same change that added this test: `by_category` counts distinct people per (outcome, category)
    // in crates/gavah-store/src/project.rs `refresh_counts`, so a person whose
    // reports disagree on the category is counted in each; the demo shows it
    // too ("at least 88 killed (49 protesters, 0 bystanders, 6 security
    // forces, 39 unknown)" sums to 94).
    let d = Dir::with_store();
    let a = d.create(
        "a.csv",
        "name,status,date,city,category\nSara Tehrani,killed,2026-01-08,Tehran,protester\n",
    );
    let b = d.create(
        "b.csv",
        "name,status,date,city\nSara Tehrani,killed,2026-01-08,Tehran\n",
    );
    d.import(&a, "Source A", &[]);
    d.import(&b, "Source B", &[]);
    let f = d.figures();
    assert_eq!(f["people"], 1, "{f}");
    assert_eq!(f["by_outcome"]["killed"], 1, "{f}");
    let by_category: u64 = f["by_category"]["killed"]
        .as_object()
        .expect("killed categories")
        .values()
        .map(|v| v.as_u64().expect("count"))
        .sum();
    assert_eq!(
        by_category, 1,
        "the killed by category must add up to the killed: {}",
        f["by_category"]
    );
}
