//! Server-rendered pages. Each works without JavaScript; `app.js` only adds
//! live timeline updates. Every label comes from `i18n`, every number is in
//! the page's digits, every date in its calendar.

use crate::charts;
use crate::i18n::{L, Lang};
use crate::map::{WIDTH, map};
use crate::state::Snapshot;
use gavah_app::public::{
    IncidentDetail, IncidentsPage, PeoplePage, PersonDetail, PersonSummary, PlaceRef, PublicSource,
    TimelineItem,
};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::collections::BTreeMap;

/// The sections of the site, for the navigation bar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Sources,
    Charts,
    Map,
    People,
    Incidents,
    Timeline,
    Claims,
    About,
    None,
}

const NAV: [(Nav, &str, L); 9] = [
    (Nav::Overview, "", L::Overview),
    (Nav::Sources, "sources", L::Sources),
    (Nav::Charts, "charts", L::Charts),
    (Nav::Map, "map", L::Map),
    (Nav::People, "people", L::People),
    (Nav::Incidents, "incidents", L::Incidents),
    (Nav::Timeline, "timeline", L::Timeline),
    (Nav::Claims, "claims", L::Claims),
    (Nav::About, "about", L::About),
];

/// The page frame. `here` is the path after the language prefix (with its
/// query), so the language switch lands on the same page.
pub fn layout(lang: Lang, title: &str, nav: Nav, here: &str, body: Markup) -> Markup {
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (lang.t(L::SiteName)) }
                link rel="stylesheet" href="/assets/style.css";
                link rel="alternate" type="application/atom+xml" title=(lang.t(L::Feed)) href="/feed.atom";
                link rel="alternate" hreflang=(other.code()) href=(format!("/{}{here}", other.code()));
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { (lang.t(L::SkipToContent)) }
                header {
                    div.brand {
                        a href=(format!("/{}/", lang.code())) { strong { (lang.t(L::SiteName)) } }
                        span.tagline { (lang.t(L::Tagline)) }
                    }
                    nav aria-label=(lang.t(L::Overview)) {
                        @for (n, path, label) in NAV {
                            @if n == nav {
                                a aria-current="page" href=(format!("/{}/{path}", lang.code())) { (lang.t(label)) }
                            } @else {
                                a href=(format!("/{}/{path}", lang.code())) { (lang.t(label)) }
                            }
                        }
                        a.lang hreflang=(other.code()) lang=(other.code()) href=(format!("/{}{here}", other.code())) { (other.own_name()) }
                    }
                }
                main #main { h1 { (title) } (body) }
                footer {
                    p { (lang.t(L::Attribution)) " " (lang.t(L::FontCredit)) }
                    p {
                        a href="/feed.atom" { (lang.t(L::Feed)) } " · "
                        a href="/api/openapi.json" { (lang.t(L::Api)) } " · "
                        a href=(format!("/{}/about#data", lang.code())) { (lang.t(L::OpenData)) }
                    }
                }
            }
        }
    }
}

fn people_link(lang: Lang, query: &str) -> String {
    format!("/{}/people?{query}", lang.code())
}

fn count_link(lang: Lang, n: u64, query: &str) -> Markup {
    html! { a.num href=(people_link(lang, query)) { (lang.num(n)) } }
}

fn place_name(lang: Lang, p: &PlaceRef) -> &str {
    match lang {
        Lang::Fa if !p.name_fa.is_empty() => &p.name_fa,
        _ => &p.name_en,
    }
}

fn source_name(lang: Lang, s: &PublicSource) -> String {
    if s.protected {
        lang.value(&s.name)
    } else {
        s.name.clone()
    }
}

/// The headline as a rights group states it.
fn headline(lang: Lang, snap: &Snapshot) -> Markup {
    let f = &snap.figures;
    let killed = f.by_outcome.get("killed").copied().unwrap_or(0);
    let detained = f.by_outcome.get("detained").copied().unwrap_or(0);
    let cat = |c: &str| {
        f.by_category
            .get("killed")
            .and_then(|m| m.get(c))
            .copied()
            .unwrap_or(0)
    };
    let since = f.by_day.iter().map(|d| d.day.as_str()).min();
    let sep = match lang {
        Lang::En => ", ",
        Lang::Fa => "، ",
    };
    html! {
        p.headline {
            (lang.t(L::AtLeastStart)) " "
            (count_link(lang, killed, "outcome=killed")) " " (lang.t(L::Killed))
            " ("
            (count_link(lang, cat("protester"), "outcome=killed&category=protester")) " " (lang.t(L::Protesters)) (sep)
            (count_link(lang, cat("security-forces"), "outcome=killed&category=security-forces")) " " (lang.t(L::Security))
            ")" (sep)
            (count_link(lang, detained, "outcome=detained")) " " (lang.t(L::Detained)) (sep)
            (lang.t(L::InCities)) " " a.num href=(format!("/{}/map", lang.code())) { (lang.num(f.cities)) } " " (lang.t(L::CitiesWord))
            @if let Some(day) = since {
                (sep) (lang.t(L::Since)) " " (lang.date(day))
            }
        }
    }
}

/// The estimate beside the floor: total, interval, what it rests on, and the
/// provinces with estimates of their own.
fn estimate_card(lang: Lang, snap: &Snapshot) -> Markup {
    let Some(e) = snap.estimate.as_deref() else {
        return html! { div.card.estimate { p { (lang.t(L::NoEstimate)) } } };
    };
    let t = &e.total;
    let lists: Vec<String> = e.lists.iter().map(|l| lang.value(l)).collect();
    html! {
        div.card.estimate #estimate {
            h2 { (lang.t(L::EstimatedTotal)) }
            p.big { (lang.t(L::EstimateAbout)) " " (lang.num(t.median)) }
            p { (lang.t(L::EstimateInterval)) ": " (lang.num(t.low)) "–" (lang.num(t.high)) "; "
                (lang.t(L::EstimateOf)) " " (lang.num(t.documented)) }
            p.note { (lang.t(L::EstimateLists)) " " (lists.join(", ")) ". " (lang.t(L::EstimateNote)) }
            @if !e.warnings.is_empty() {
                p.note { (lang.t(L::Caution)) " " (e.warnings.join("; ")) }
            }
            @if !e.by_province.is_empty() {
                details {
                    summary { (lang.t(L::EstimateByProvince)) }
                    table {
                        thead { tr { th { (lang.t(L::ProvinceCol)) } th.n { (lang.t(L::DocumentedCol)) } th.n { (lang.t(L::EstimateCol)) } } }
                        tbody {
                            @for r in &e.by_province {
                                tr {
                                    td { (scope(lang, Some(&r.key), None)) }
                                    td.n { (lang.num(r.documented)) }
                                    td.n { (lang.num(r.median)) " (" (lang.num(r.low)) "–" (lang.num(r.high)) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn overview(lang: Lang, snap: &Snapshot) -> Markup {
    let f = &snap.figures;
    let as_of = gavah_app::public::rfc3339(snap.modified_ms);
    let body = html! {
        @if f.people == 0 {
            p { (lang.t(L::NoData)) }
        } @else {
            (headline(lang, snap))
            p.asof { (lang.t(L::AsOf)) " " time datetime=(as_of) { (lang.date(&as_of[..10])) " " (lang.digits(&as_of[11..16])) " UTC" } }
            section.cards {
                div.card.floor {
                    h2 { (lang.t(L::DocumentedFloor)) }
                    p.big { (count_link(lang, f.by_outcome.get("killed").copied().unwrap_or(0), "outcome=killed")) " " (lang.t(L::Killed)) }
                    p { (count_link(lang, f.people, "")) " " (lang.t(L::DistinctPeople)) "; " (lang.num(f.reports)) " " (lang.t(L::ReportsBehind)) }
                }
                (estimate_card(lang, snap))
            }
            section {
                h2 { (lang.t(L::ByCategory)) }
                (category_table(lang, snap))
            }
            section.two {
                (charts::daily(lang, &snap.daily, "killed", lang.t(L::DailyKilled)))
                (province_map(lang, snap, 360))
            }
            section {
                h2 { (lang.t(L::Latest)) }
                ol.timeline #timeline {
                    @for item in snap.timeline.iter().take(8) { (timeline_item(lang, item)) }
                }
                p { a href=(format!("/{}/timeline", lang.code())) { (lang.t(L::SeeAll)) } }
            }
        }
    };
    layout(lang, lang.t(L::Overview), Nav::Overview, "/", body)
}

fn category_table(lang: Lang, snap: &Snapshot) -> Markup {
    let f = &snap.figures;
    let outcomes: Vec<&String> = f.by_category.keys().collect();
    html! {
        table {
            thead { tr { th { (lang.t(L::Category)) } @for o in &outcomes { th.n { (lang.value(o)) } } } }
            tbody {
                @for (code, _) in charts::CATEGORIES {
                    tr {
                        th { (lang.value(code)) }
                        @for o in &outcomes {
                            td.n { (count_link(lang, f.by_category.get(*o).and_then(|m| m.get(code)).copied().unwrap_or(0), &format!("outcome={o}&category={code}"))) }
                        }
                    }
                }
                tr.total {
                    th { (lang.t(L::Total)) }
                    @for o in &outcomes { td.n { (count_link(lang, f.by_outcome.get(*o).copied().unwrap_or(0), &format!("outcome={o}"))) } }
                }
            }
        }
    }
}

pub fn sources(lang: Lang, snap: &Snapshot) -> Markup {
    // Figures per metric, newest first, so each dispute reads down one table.
    let mut by_metric: BTreeMap<&str, Vec<&gavah_app::SourceFigure>> = BTreeMap::new();
    for f in &snap.sources.figures {
        by_metric.entry(f.metric.as_str()).or_default().push(f);
    }
    let body = html! {
        p { (lang.t(L::SourcesIntro)) }
        @if by_metric.is_empty() { p { (lang.t(L::NoData)) } }
        @for (metric, figures) in &by_metric {
            section {
                h2 { (lang.value(metric)) }
                table.sources {
                    thead { tr {
                        th { (lang.t(L::SourceCol)) } th { (lang.t(L::TypeCol)) } th.n { (lang.t(L::ValueCol)) }
                        th { (lang.t(L::DateCol)) } th { (lang.t(L::ScopeCol)) } th { (lang.t(L::CitationCol)) }
                    } }
                    tbody {
                        @if let Some(ours) = snap.sources.documented.get(*metric) {
                            tr.ours {
                                th { (lang.t(L::OurCount)) } td { "—" }
                                td.n { (lang.t(L::AtLeast)) " " (count_link(lang, *ours, &format!("outcome={metric}"))) }
                                td { (lang.date(&gavah_app::public::rfc3339(snap.modified_ms)[..10])) } td { (lang.t(L::Country)) } td {}
                            }
                        }
                        @for f in figures.iter().rev() {
                            tr {
                                th { (lang.value(&f.source)) }
                                td { (lang.value(&f.source_type)) }
                                td.n { (lang.value(&f.qualifier)) " " (lang.num(f.value)) }
                                td { (lang.date(&f.as_of)) }
                                td { (scope(lang, f.province.as_deref(), f.category.as_deref())) }
                                td { @if let Some(c) = &f.citation { (citation(c)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(lang, lang.t(L::Sources), Nav::Sources, "/sources", body)
}

fn scope(lang: Lang, province: Option<&str>, category: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(p) = province {
        let g = gavah_core::gazetteer::gazetteer().province_by_iso(p);
        parts.push(match (lang, g) {
            (Lang::Fa, Some(g)) => g.name_fa.clone(),
            (_, Some(g)) => g.name_en.clone(),
            _ => p.to_string(),
        });
    }
    if let Some(c) = category {
        parts.push(lang.value(c));
    }
    if parts.is_empty() {
        lang.t(L::Country).to_string()
    } else {
        parts.join(" · ")
    }
}

/// A citation: a link when it is a web address, text otherwise.
fn citation(c: &str) -> Markup {
    if c.starts_with("https://") || c.starts_with("http://") {
        html! { a href=(c) rel="nofollow noopener" { (c) } }
    } else {
        html! { (c) }
    }
}

pub fn charts_page(lang: Lang, snap: &Snapshot) -> Markup {
    let body = html! {
        @if snap.daily.is_empty() { p { (lang.t(L::NoData)) } }
        (charts::daily(lang, &snap.daily, "killed", lang.t(L::DailyKilled)))
        (charts::cumulative(lang, &snap.daily, "killed", lang.t(L::CumulativeKilled)))
        (charts::daily(lang, &snap.daily, "detained", lang.t(L::DailyDetained)))
        (charts::cumulative(lang, &snap.daily, "detained", lang.t(L::CumulativeDetained)))
    };
    layout(lang, lang.t(L::Charts), Nav::Charts, "/charts", body)
}

/// The province choropleth of killed, each province linking to its people.
fn province_map(lang: Lang, snap: &Snapshot, width: u32) -> Markup {
    let m = map();
    let counts: BTreeMap<&str, u64> = snap
        .figures
        .by_province
        .iter()
        .filter(|p| p.outcome == "killed")
        .map(|p| (p.code.as_str(), p.count))
        .collect();
    let max = counts.values().copied().max().unwrap_or(0).max(1);
    let shade = |n: u64| {
        if n == 0 {
            return "#f1efec".to_string();
        }
        // Five steps of one hue: readable in print and by colour-blind readers.
        let step = ((n as f64 / max as f64).sqrt() * 4.0).round() as usize;
        ["#fcd9cc", "#f6a58b", "#e8694d", "#c33a2a", "#8a1b12"][step.min(4)].to_string()
    };
    let g = gavah_core::gazetteer::gazetteer();
    let mut svg = String::new();
    for s in &m.shapes {
        let n = counts.get(s.iso.as_str()).copied().unwrap_or(0);
        let name = g
            .province_by_iso(&s.iso)
            .map_or(s.iso.clone(), |p| match lang {
                Lang::Fa => p.name_fa.clone(),
                Lang::En => p.name_en.clone(),
            });
        svg.push_str(&format!(
            r##"<a href="/{}/people?outcome=killed&amp;province={}"><path d="{}" fill="{}" stroke="#fff" stroke-width="0.8"><title>{}: {}</title></path></a>"##,
            lang.code(),
            s.iso,
            s.path,
            shade(n),
            html! { (name) }.into_string(),
            lang.num(n)
        ));
    }
    html! {
        figure.map {
            figcaption { (lang.t(L::ProvinceMapTitle)) }
            svg viewBox=(format!("0 0 {WIDTH} {:.0}", m.height)) width=(width) role="img" aria-label=(lang.t(L::ProvinceMapTitle)) {
                (PreEscaped(svg))
            }
        }
    }
}

pub fn map_page(lang: Lang, snap: &Snapshot) -> Markup {
    let cities: Vec<&gavah_app::PlaceCount> = snap
        .figures
        .by_city
        .iter()
        .filter(|c| c.outcome == "killed")
        .collect();
    let g = gavah_core::gazetteer::gazetteer();
    let body = html! {
        (province_map(lang, snap, 600))
        h2 { (lang.t(L::CityTable)) }
        @if cities.is_empty() { p { (lang.t(L::NoData)) } } @else {
            table {
                thead { tr { th { (lang.t(L::City)) } th { (lang.t(L::Province)) } th.n { (lang.value("killed")) } } }
                tbody {
                    @for c in &cities {
                        tr {
                            td { (if lang == Lang::Fa && !c.name_fa.is_empty() { &c.name_fa } else { &c.name_en }) }
                            td { (g.province_by_iso(&c.province).map_or(c.province.clone(), |p| if lang == Lang::Fa { p.name_fa.clone() } else { p.name_en.clone() })) }
                            td.n { (count_link(lang, c.count, &format!("outcome=killed&city={}", c.code))) }
                        }
                    }
                }
            }
        }
    };
    layout(lang, lang.t(L::Map), Nav::Map, "/map", body)
}

/// The query of a people list, echoed into its form and pager.
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    pub q: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub province: Option<String>,
    pub city: Option<u32>,
    pub day: Option<String>,
    pub source: Option<String>,
}

impl PeopleQuery {
    /// The query string for a page of this list.
    pub fn to_query(&self, page: u64) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", urlencode(&v)));
            }
        };
        push("q", self.q.clone());
        push("outcome", self.outcome.clone());
        push("category", self.category.clone());
        push("province", self.province.clone());
        push("city", self.city.map(|c| c.to_string()));
        push("day", self.day.clone());
        push("source", self.source.clone());
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn person_row(lang: Lang, p: &PersonSummary) -> Markup {
    html! {
        tr {
            td { a href=(format!("/{}/people/{}", lang.code(), p.id)) { (p.name.as_deref().unwrap_or(lang.t(L::Unnamed))) } }
            td {
                @for (i, o) in p.outcomes.iter().enumerate() {
                    @if i > 0 { ", " }
                    (lang.value(&o.outcome))
                    @if let Some(d) = &o.day { " " (lang.date(d)) }
                    @if let Some(c) = &o.city { " · " (place_name(lang, c)) }
                    @else if let Some(pr) = &o.province { " · " (place_name(lang, pr)) }
                }
            }
            td { @if let Some(o) = p.outcomes.first() { (lang.value(&o.category)) } }
            td.n { (lang.num(p.sources)) }
            td { (lang.value(&p.verification)) }
        }
    }
}

fn people_table(lang: Lang, people: &[PersonSummary]) -> Markup {
    html! {
        table.people {
            thead { tr {
                th { (lang.t(L::Name)) } th { (lang.t(L::Outcome)) } th { (lang.t(L::Category)) }
                th.n { (lang.t(L::SourcesCount)) } th { (lang.t(L::Verification)) }
            } }
            tbody { @for p in people { (person_row(lang, p)) } }
        }
    }
}

pub fn people(lang: Lang, page: &PeoplePage, q: &PeopleQuery) -> Markup {
    let here = format!("/people?{}", q.to_query(page.page));
    let select = |name: &str, any: L, options: &[&str], current: &Option<String>| {
        html! {
            select name=(name) {
                option value="" { (lang.t(any)) }
                @for o in options {
                    @if current.as_deref() == Some(*o) {
                        option value=(o) selected { (lang.value(o)) }
                    } @else {
                        option value=(o) { (lang.value(o)) }
                    }
                }
            }
        }
    };
    let body = html! {
        form.filter method="get" action=(format!("/{}/people", lang.code())) {
            label { (lang.t(L::SearchName)) " " input type="search" name="q" value=(q.q.as_deref().unwrap_or("")); }
            (select("outcome", L::AnyOutcome, &gavah_core::Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(), &q.outcome))
            (select("category", L::AnyCategory, &["protester", "bystander", "security-forces", "unknown"], &q.category))
            @if let Some(p) = &q.province { input type="hidden" name="province" value=(p); }
            @if let Some(c) = q.city { input type="hidden" name="city" value=(c); }
            @if let Some(d) = &q.day { input type="hidden" name="day" value=(d); }
            @if let Some(s) = &q.source { input type="hidden" name="source" value=(s); }
            button type="submit" { (lang.t(L::Search)) }
        }
        p.count { strong #total { (lang.num(page.total)) } " " (lang.t(L::Matching)) }
        (people_table(lang, &page.people))
        (pager(lang, page.page, page.pages, |p| format!("/{}/people?{}", lang.code(), q.to_query(p))))
    };
    layout(lang, lang.t(L::People), Nav::People, &here, body)
}

fn pager(lang: Lang, page: u64, pages: u64, href: impl Fn(u64) -> String) -> Markup {
    html! {
        @if pages > 1 {
            nav.pager {
                @if page > 1 { a rel="prev" href=(href(page - 1)) { (lang.t(L::Previous)) } }
                span { (lang.t(L::Page)) " " (lang.num(page)) " " (lang.t(L::Of)) " " (lang.num(pages)) }
                @if page < pages { a rel="next" href=(href(page + 1)) { (lang.t(L::Next)) } }
            }
        }
    }
}

pub fn person(lang: Lang, d: &PersonDetail) -> Markup {
    let p = &d.person;
    let title = p
        .name
        .clone()
        .unwrap_or_else(|| lang.t(L::Unnamed).to_string());
    let body = html! {
        dl.facts {
            dt { (lang.t(L::CountedAs)) }
            dd {
                @for (i, o) in p.outcomes.iter().enumerate() {
                    @if i > 0 { "; " }
                    (lang.value(&o.outcome)) " · " (lang.value(&o.category))
                    @if let Some(day) = &o.day { " · " (lang.date(day)) }
                    @if let Some(c) = &o.city { " · " (place_name(lang, c)) }
                    @if let Some(pr) = &o.province { " · " (place_name(lang, pr)) }
                }
            }
            dt { (lang.t(L::SourcesCount)) } dd { (lang.num(p.sources)) }
            dt { (lang.t(L::Verification)) } dd { (lang.value(&p.verification)) }
        }
        h2 { (lang.t(L::ReportsAbout)) }
        @for r in &d.reports {
            section.report {
                h3 { (source_name(lang, &r.source)) " — " (lang.value(&r.source.source_type)) }
                dl.facts {
                    dt { (lang.t(L::Name)) } dd { (r.name.as_deref().unwrap_or(lang.t(L::Unnamed))) }
                    @if let Some(s) = &r.sex { dt { (lang.t(L::Sex)) } dd { (lang.value(s)) } }
                    @if let Some(a) = r.age { dt { (lang.t(L::Age)) } dd { (lang.num(u64::from(a))) } }
                    @if let Some(y) = r.birth_year { dt { (lang.t(L::BirthYear)) } dd { (lang.digits(&y.to_string())) } }
                    @if let Some(o) = &r.occupation { dt { (lang.t(L::Occupation)) } dd { (o) } }
                    dt { (lang.t(L::Category)) } dd { (lang.value(&r.category)) }
                    @for o in &r.outcomes {
                        dt { (lang.value(&o.outcome)) }
                        dd {
                            @if let Some(d) = &o.date { (lang.date(d)) } @else { "—" }
                            @if let Some(c) = &o.city { " · " (place_name(lang, c)) }
                            @if let Some(pr) = &o.province { " · " (place_name(lang, pr)) }
                            @if let Some(t) = &o.place { " · " (t) }
                        }
                    }
                }
            }
        }
    };
    layout(
        lang,
        &title,
        Nav::People,
        &format!("/people/{}", p.id),
        body,
    )
}

pub fn incidents(lang: Lang, page: &IncidentsPage) -> Markup {
    let body = html! {
        @if page.incidents.is_empty() { p { (lang.t(L::NoData)) } } @else {
            table {
                thead { tr { th { (lang.t(L::Day)) } th { (lang.t(L::City)) } th { (lang.t(L::Province)) } th.n { (lang.t(L::ReportsCol)) } } }
                tbody {
                    @for i in &page.incidents {
                        tr {
                            td { a href=(format!("/{}/incidents/{}", lang.code(), i.id)) { (lang.date(&i.day)) } }
                            td { (place_name(lang, &i.city)) }
                            td { (place_name(lang, &i.province)) }
                            td.n { (lang.num(i.reports)) }
                        }
                    }
                }
            }
            (pager(lang, page.page, page.pages, |p| format!("/{}/incidents?page={p}", lang.code())))
        }
    };
    layout(
        lang,
        lang.t(L::Incidents),
        Nav::Incidents,
        &format!("/incidents?page={}", page.page),
        body,
    )
}

pub fn incident(lang: Lang, d: &IncidentDetail) -> Markup {
    let i = &d.incident;
    let title = format!("{} · {}", place_name(lang, &i.city), lang.date(&i.day));
    let body = html! {
        dl.facts {
            dt { (lang.t(L::Day)) } dd { (lang.date(&i.day)) }
            dt { (lang.t(L::City)) } dd { (place_name(lang, &i.city)) }
            dt { (lang.t(L::Province)) } dd { (place_name(lang, &i.province)) }
            dt { (lang.t(L::ReportsCol)) } dd { (lang.num(i.reports)) }
        }
        h2 { (lang.t(L::PeopleHere)) }
        (people_table(lang, &d.people))
    };
    layout(
        lang,
        &title,
        Nav::Incidents,
        &format!("/incidents/{}", i.id),
        body,
    )
}

/// One timeline entry; also sent, rendered, with each server-sent event.
pub fn timeline_item(lang: Lang, t: &TimelineItem) -> Markup {
    let src = t.source.as_ref().map(|s| source_name(lang, s));
    html! {
        li data-id=(t.id) {
            time datetime=(t.recorded) { (lang.date(&t.recorded[..10])) " " (lang.digits(&t.recorded[11..16])) }
            " "
            @match t.kind.as_str() {
                "records" => {
                    span.kind { (lang.num(t.rows.unwrap_or(0))) " " (lang.t(L::NewRecords)) }
                    @if let Some(s) = &src { " " (lang.t(L::FromSource)) " " (s) }
                    @if !t.outcomes.is_empty() {
                        " ("
                        @for (i, (o, n)) in t.outcomes.iter().enumerate() {
                            @if i > 0 { ", " }
                            (lang.num(*n)) " " (lang.value(o))
                        }
                        ")"
                    }
                }
                "figure" => {
                    @if let Some(s) = &src { (s) " " }
                    span.kind { (lang.t(L::PublishedFigure)) } ": "
                    (lang.value(t.qualifier.as_deref().unwrap_or(""))) " "
                    (lang.num(t.value.unwrap_or(0))) " "
                    (lang.value(t.metric.as_deref().unwrap_or("")))
                    @if let Some(d) = &t.date { " (" (lang.t(L::AsOf)) " " (lang.date(d)) ")" }
                }
                "claim" => {
                    span.kind { (lang.t(L::NewClaim)) } ": "
                    (t.by.as_deref().unwrap_or("")) " — “" (t.text.as_deref().unwrap_or("")) "”"
                }
                _ => {
                    span.kind { (lang.t(L::ClaimStatusChanged)) } ": "
                    strong { (lang.value(t.status.as_deref().unwrap_or(""))) } " — "
                    (t.by.as_deref().unwrap_or("")) ": “" (t.text.as_deref().unwrap_or("")) "”"
                }
            }
        }
    }
}

pub fn timeline(lang: Lang, snap: &Snapshot) -> Markup {
    let body = html! {
        p.live { (lang.t(L::LiveUpdates)) }
        ol.timeline #timeline data-lang=(lang.code()) {
            @for item in &snap.timeline { (timeline_item(lang, item)) }
        }
    };
    layout(lang, lang.t(L::Timeline), Nav::Timeline, "/timeline", body)
}

pub fn claims(lang: Lang, snap: &Snapshot) -> Markup {
    let body = html! {
        @if snap.claims.is_empty() { p { (lang.t(L::NoClaims)) } }
        @for c in snap.claims.iter().rev() {
            article.claim #(format!("claim-{}", c.id)) {
                p.status { span class=(format!("badge {}", c.status)) { (lang.value(&c.status)) } }
                blockquote { (c.text) }
                p { (lang.t(L::By)) ": " strong { (c.by) } " · " (lang.date(&c.date))
                    @if let Some(cit) = &c.citation { " · " (citation(cit)) } }
                @if !c.history.is_empty() {
                    details {
                        summary { (lang.t(L::StatusHistory)) }
                        ol {
                            li { (lang.value("claimed")) " · " (lang.date(&c.date)) }
                            @for s in &c.history {
                                li { (lang.value(&s.status)) " · " (lang.date(&s.date)) @if let Some(n) = &s.note { " — " (n) } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(lang, lang.t(L::Claims), Nav::Claims, "/claims", body)
}

pub fn about(lang: Lang) -> Markup {
    let body = html! {
        h2 { (lang.t(L::MethodTitle)) }
        p { (lang.t(L::MethodDocumented)) }
        p { (lang.t(L::MethodDistinct)) }
        p { (lang.t(L::MethodEstimated)) }
        p { (lang.t(L::MethodSources)) }
        p { (lang.t(L::MethodVerification)) }
        p { (lang.t(L::MethodClaims)) }
        h2 #data { (lang.t(L::Exports)) }
        ul {
            li { a href="/data/people.csv" { (lang.t(L::ExportPeople)) } }
            li { a href="/data/people.parquet" { (lang.t(L::ExportPeopleParquet)) } }
            li { a href="/data/incidents.geojson" { (lang.t(L::ExportIncidents)) } }
            li { a href="/api/v1/figures" { (lang.t(L::ExportFigures)) } }
            li { a href="/feed.atom" { (lang.t(L::Feed)) } }
            li { a href="/api/openapi.json" { (lang.t(L::Api)) } }
        }
        p { (lang.t(L::Attribution)) }
        p { (lang.t(L::FontCredit)) }
    };
    layout(lang, lang.t(L::About), Nav::About, "/about", body)
}

pub fn error(lang: Lang, title: L, message: &str) -> Markup {
    layout(
        lang,
        lang.t(title),
        Nav::None,
        "/",
        html! { p { (lang.t(L::NotFoundText)) } p.detail { (message) } },
    )
}
