//! `gavah estimate`: the real binary on reference capture-history tables, on bad tables, and on a linked store by list and stratum.

use crate::util::Dir;

fn mse(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/mse")
        .join(name)
}

#[test]
fn loglinear_reproduces_rcapture_on_lesbian() {
    let d = Dir::new();
    let run = d
        .cmd([
            "estimate",
            "--method",
            "loglinear",
            "--format",
            "json",
            "--table",
        ])
        .arg(mse("lesbian.csv"))
        .ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["observed"], 2185);
    let bic = &v["loglinear"]["best_bic"];
    assert_eq!(bic["fit"]["name"], "[12,14,23,24,34]");
    // Rcapture: 6349.02421612, profile interval 5421.70967163 to 7536.28048242.
    let n = bic["fit"]["estimate"].as_f64().unwrap();
    assert!((n - 6_349.024_216_12).abs() < 1e-3, "{n}");
    let lower = bic["interval"]["lower"].as_f64().unwrap();
    assert!((lower - 5_421.709_671_63).abs() < 0.05, "{lower}");
    assert_eq!(v["loglinear"]["best_aic"]["fit"]["name"], "[124,134,23]");
}

/// The stepwise model is SparseMSE's (`estimatepopulation`, 5350.51275775 with
/// normal interval 4838.61948391 to 5961.1521877 on lesbian); `--bootstrap N`
/// adds seeded intervals for the best models by BIC and AIC and the stepwise
/// model, and without it there are none.
#[test]
fn stepwise_and_bootstrap_intervals() {
    let d = Dir::new();
    let json = |extra: &[&str]| -> serde_json::Value {
        let run = d
            .cmd(["estimate", "--method", "loglinear", "--format", "json"])
            .args(extra)
            .arg("--table")
            .arg(mse("lesbian.csv"))
            .ok();
        serde_json::from_str(&run.stdout).unwrap()
    };
    let v = json(&[]);
    let s = &v["loglinear"]["stepwise"];
    assert_eq!(s["fit"]["formula"], "[A:D, C:D, B:D, B:C]");
    let close = |x: &serde_json::Value, want: f64| {
        let x = x.as_f64().unwrap();
        assert!((x / want - 1.0).abs() < 1e-6, "{x} vs {want}");
    };
    close(&s["fit"]["estimate"], 5_350.512_757_75);
    close(&s["fit"]["interval_normal"]["lower"], 4_838.619_483_91);
    close(&s["fit"]["interval_normal"]["upper"], 5_961.152_187_7);
    assert!(s["bootstrap"].is_null());
    assert!(v["loglinear"]["best_bic"]["bootstrap"].is_null());

    let args = ["--bootstrap", "200", "--seed", "3"];
    let v = json(&args);
    assert_eq!(v, json(&args), "the same seed gives the same intervals");
    for key in ["best_bic", "best_aic"] {
        let c = &v["loglinear"][key];
        let b = &c["bootstrap"];
        assert_eq!(b["kind"], "parametric_percentile", "{key}");
        assert_eq!(b["replicates"], 200);
        assert_eq!(b["failed"], 0);
        let n = c["fit"]["estimate"].as_f64().unwrap();
        let (lo, hi) = (b["lower"].as_f64().unwrap(), b["upper"].as_f64().unwrap());
        assert!(lo < n && n < hi, "{key}: {lo} {n} {hi}");
    }
    let b = &v["loglinear"]["stepwise"]["bootstrap"];
    assert_eq!(b["kind"], "stepwise_bca");
    assert!(b["acceleration"].as_f64().is_some());

    let run = d
        .cmd([
            "estimate",
            "--method",
            "loglinear",
            "--bootstrap",
            "100",
            "--table",
        ])
        .arg(mse("HIV.csv"))
        .ok();
    for piece in [
        "stepwise      [c1, c2, c3, c4]",
        "N = 11125, 95% normal interval 9520 to 13068",
        "95% parametric bootstrap, percentile interval",
        "95% bootstrap with the search rerun, BCa interval",
        "(100 resamples, seed 1, 0 refits failed)",
    ] {
        assert!(
            run.stdout.contains(piece),
            "{piece} missing from:\n{}",
            run.stdout
        );
    }
    assert!(!run.all().contains("NaN"));
}

#[test]
fn both_methods_print_a_table() {
    let d = Dir::new();
    let run = d
        .cmd([
            "estimate", "--draws", "300", "--burnin", "300", "--seed", "7", "--table",
        ])
        .arg(mse("NewOrl_5.csv"))
        .ok();
    for piece in [
        "185 people observed",
        "best by BIC",
        "posterior median N =",
        "R-hat",
    ] {
        assert!(
            run.stdout.contains(piece),
            "{piece} missing from:\n{}",
            run.stdout
        );
    }
    // Lists with no overlap in NewOrl_5 are warned about.
    assert!(
        run.stdout
            .contains("warning: lists A and H have no person in common"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_tables_fail_with_located_errors() {
    let d = Dir::new();
    let one = d.create("one.csv", "A,count\n1,5\n");
    d.cmd(["estimate", "--table"])
        .arg(&one)
        .fails()
        .assert_stderr_has(&["one.csv: row 1", "expected at least 2 list columns"]);
    let bad = d.create(
        "bad.csv",
        "A,B,C,count\n1,0,0,5\n0,2,0,3\n0,0,1,-4\n0,0,0,2\n",
    );
    d.cmd(["estimate", "--table"])
        .arg(&bad)
        .fails()
        .assert_stderr_has(&[
            "bad.csv: row 3, column B: expected 0 or 1, found \"2\"",
            "bad.csv: row 4, column count: expected a count of 0 or more, found \"-4\"",
            "bad.csv: row 5: a row with 0 in every list",
        ]);
    let run = d
        .cmd(["estimate", "--table"])
        .arg(d.join("missing.csv"))
        .fails();
    assert!(run.stderr.contains("missing.csv"), "{}", run.stderr);
    assert!(!run.all().contains("NaN"));
}

#[test]
fn estimates_the_store_s_linked_people_by_list_and_stratum() {
    let d = Dir::new();
    d.cmd(["demo", "--no-serve"]).ok();
    let killed = d.figures()["by_outcome"]["killed"]
        .as_u64()
        .expect("killed");
    let r = d
        .cmd([
            "estimate", "--method", "lcmcr", "--draws", "2000", "--burnin", "2000", "--format",
            "json",
        ])
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(j["floor"].as_u64(), Some(killed), "{r}");
    assert!(j["lists"].as_array().expect("lists").len() >= 3, "{r}");
    let all = &j["strata"][0]["lcmcr"];
    let median = all["median"].as_f64().expect("a median");
    assert!(median >= killed as f64, "{r}");

    // Strata add up: the documented total is the floor, and the summed
    // posterior is an interval around a total at least the floor.
    let r = d
        .cmd([
            "estimate", "--by", "period", "--method", "lcmcr", "--draws", "2000", "--burnin",
            "2000", "--format", "json",
        ])
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let strata = j["strata"].as_array().expect("strata");
    assert!(strata.len() >= 2, "{r}");
    let observed: u64 = strata
        .iter()
        .map(|s| s["observed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(observed, killed, "{r}");
    let total = &j["total"];
    assert_eq!(total["documented"].as_u64(), Some(killed));
    let sum = total["lcmcr_sum"].as_array().expect("a summed posterior");
    let (m, lo, hi) = (
        sum[0].as_f64().unwrap(),
        sum[1].as_f64().unwrap(),
        sum[2].as_f64().unwrap(),
    );
    assert!(lo <= m && m <= hi && m >= killed as f64, "{r}");

    // Lists chosen by the user: sources joined with `+`, by name or type.
    let r = d
        .cmd([
            "estimate",
            "--lists",
            "rights-group+media,hospital-morgue,family+field-report+official",
            "--method",
            "loglinear",
        ])
        .ok();
    assert!(r.stdout.contains("captured by 3 lists"), "{r}");

    d.cmd(["estimate", "--lists", "rights-group,nobody"])
        .fails()
        .assert_stderr_has(&["no source is named or typed 'nobody'", "known:"]);
    d.cmd(["estimate", "--lists", "rights-group,rights-group+media"])
        .fails()
        .assert_stderr_has(&["is in two lists"]);
    d.cmd(["estimate", "--lists", "rights-group"])
        .fails()
        .assert_stderr_has(&["at least two lists"]);
    d.cmd(["estimate", "--table", "x.csv", "--by", "province"])
        .usage_error();
}
