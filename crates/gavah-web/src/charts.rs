//! Charts drawn on the server as SVG: they need no script, weigh little, and
//! read the same in both languages (labels come from `i18n`).

use crate::i18n::Lang;
use gavah_app::public::DailyCount;
use gavah_core::Date;
use maud::{Markup, PreEscaped, html};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Categories in the order charts stack them, with their colours.
pub const CATEGORIES: [(&str, &str); 4] = [
    ("protester", "#b3261e"),
    ("bystander", "#e08a00"),
    ("security-forces", "#3b5b92"),
    ("unknown", "#8a8a8a"),
];

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

/// Every day from the first to the last in the data, so gaps show as gaps.
fn day_range(days: impl Iterator<Item = Date>) -> Vec<Date> {
    let days: Vec<Date> = days.collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return Vec::new();
    };
    (first.to_days()..=last.to_days())
        .map(Date::from_days)
        .collect()
}

/// A y-axis step that gives four to six gridlines.
fn nice_step(max: u64) -> u64 {
    let raw = (max as f64 / 5.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step as u64
}

fn axes(svg: &mut String, lang: Lang, max: u64, days: &[Date], bar: f64) {
    let step = nice_step(max);
    let top = max.div_ceil(step).max(1) * step;
    let plot_h = H - TOP - BOTTOM;
    let mut v = 0;
    while v <= top {
        let y = TOP + plot_h * (1.0 - v as f64 / top as f64);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{W}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#555">{}</text>"##,
            LEFT - 4.0,
            y + 4.0,
            lang.num(v)
        );
        v += step;
    }
    let every = (days.len() / 8).max(1);
    for (i, d) in days.iter().enumerate().step_by(every) {
        let x = LEFT + bar * (i as f64 + 0.5);
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#555">{}</text>"##,
            H - 8.0,
            lang.short_date(*d)
        );
    }
}

fn scale(max: u64) -> f64 {
    let step = nice_step(max);
    (max.div_ceil(step).max(1) * step) as f64
}

/// People with one outcome per day, by category in `CATEGORIES` order.
fn by_day_and_category(rows: &[DailyCount], outcome: &str) -> BTreeMap<Date, [u64; 4]> {
    let mut by_day: BTreeMap<Date, [u64; 4]> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.outcome == outcome) {
        if let Some(d) = Date::parse_iso(&r.day) {
            let i = CATEGORIES
                .iter()
                .position(|(c, _)| *c == r.category)
                .unwrap_or(3);
            by_day.entry(d).or_default()[i] += r.count;
        }
    }
    by_day
}

/// Stacked daily bars of one outcome by category; each bar links to the
/// people behind it.
pub fn daily(lang: Lang, rows: &[DailyCount], outcome: &str, title: &str) -> Markup {
    let by_day = by_day_and_category(rows, outcome);
    let days = day_range(by_day.keys().copied());
    if days.is_empty() {
        return html! {};
    }
    let max = by_day
        .values()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1);
    let top = scale(max);
    let bar = (W - LEFT) / days.len() as f64;
    let plot_h = H - TOP - BOTTOM;
    let mut svg = String::new();
    axes(&mut svg, lang, max, &days, bar);
    for (i, d) in days.iter().enumerate() {
        let Some(counts) = by_day.get(d) else {
            continue;
        };
        let x = LEFT + bar * i as f64;
        let mut y = TOP + plot_h;
        let iso = d.to_string();
        let total: u64 = counts.iter().sum();
        let _ = write!(
            svg,
            r#"<a href="/{}/people?outcome={outcome}&amp;day={iso}"><title>{}: {}</title>"#,
            lang.code(),
            lang.full_date(*d),
            lang.num(total)
        );
        for (n, (_, colour)) in counts.iter().zip(CATEGORIES) {
            if *n == 0 {
                continue;
            }
            let h = plot_h * *n as f64 / top;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{colour}"/>"#,
                x + bar * 0.1,
                bar * 0.8
            );
        }
        svg.push_str("</a>");
    }
    chart(lang, title, &svg, true)
}

/// The running total of one outcome, overall (thick) and per category.
pub fn cumulative(lang: Lang, rows: &[DailyCount], outcome: &str, title: &str) -> Markup {
    let by_day = by_day_and_category(rows, outcome);
    let days = day_range(by_day.keys().copied());
    if days.is_empty() {
        return html! {};
    }
    let total: u64 = by_day.values().flatten().sum();
    let top = scale(total);
    let bar = (W - LEFT) / days.len() as f64;
    let plot_h = H - TOP - BOTTOM;
    let mut svg = String::new();
    axes(&mut svg, lang, total, &days, bar);
    let mut running = [0u64; 5];
    let mut points: [String; 5] = Default::default();
    for (i, d) in days.iter().enumerate() {
        let counts = by_day.get(d).copied().unwrap_or_default();
        for (c, n) in counts.iter().enumerate() {
            running[c] += n;
            running[4] += n;
        }
        let x = LEFT + bar * (i as f64 + 0.5);
        for (line, value) in points.iter_mut().zip(running) {
            let y = TOP + plot_h * (1.0 - value as f64 / top);
            let _ = write!(line, "{x:.1},{y:.1} ");
        }
    }
    for (line, (code, colour)) in points.iter().zip(CATEGORIES) {
        if running[CATEGORIES.iter().position(|(c, _)| *c == code).unwrap_or(3)] == 0 {
            continue;
        }
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            line.trim_end()
        );
    }
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#1d1d1f" stroke-width="2.5"><title>{}: {}</title></polyline>"##,
        points[4].trim_end(),
        lang.t(crate::i18n::L::Total),
        lang.num(total)
    );
    chart(lang, title, &svg, true)
}

fn chart(lang: Lang, title: &str, svg: &str, legend: bool) -> Markup {
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) direction="ltr" {
                (PreEscaped(svg))
            }
            @if legend {
                ul.legend {
                    @for (i, (code, _)) in CATEGORIES.iter().enumerate() {
                        li { span class=(format!("swatch c{i}")) {} (lang.value(code)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, outcome: &str, category: &str, count: u64) -> DailyCount {
        DailyCount {
            day: day.into(),
            outcome: outcome.into(),
            category: category.into(),
            count,
        }
    }

    #[test]
    fn bars_link_to_their_people_and_gaps_stay_empty() {
        let rows = [
            row("2026-01-08", "killed", "protester", 3),
            row("2026-01-08", "killed", "security-forces", 1),
            row("2026-01-10", "killed", "protester", 2),
            row("2026-01-09", "detained", "protester", 9),
        ];
        let svg = daily(Lang::En, &rows, "killed", "t").into_string();
        assert!(svg.contains("/en/people?outcome=killed&amp;day=2026-01-08"));
        assert!(svg.contains("/en/people?outcome=killed&amp;day=2026-01-10"));
        assert!(!svg.contains("day=2026-01-09"), "no killed on the 9th");
        assert_eq!(svg.matches("<rect").count(), 3);
        let fa = cumulative(Lang::Fa, &rows, "killed", "t").into_string();
        assert_eq!(
            fa.matches("<polyline").count(),
            3,
            "total, protesters and security forces"
        );
        assert!(
            fa.contains("۱۸ دی"),
            "Persian axis labels use the Jalali calendar"
        );
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(48), 10);
        assert_eq!(nice_step(1234), 500);
        assert_eq!(nice_step(0), 1);
    }
}
