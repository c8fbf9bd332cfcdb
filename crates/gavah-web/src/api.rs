//! The JSON API under `/api/v1`, its OpenAPI document (generated from these
//! handlers and the DTOs' derives), and the query parsing it shares with the
//! pages.

use crate::error::{ApiError, ErrorBody};
use crate::pages::PeopleQuery;
use crate::state::AppState;
use crate::{cached, query_map};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use gavah_app::public::{
    CountedOutcome, DailyCount, Incident, IncidentDetail, IncidentsPage, PeopleFilter, PeoplePage,
    PersonDetail, PersonSummary, PlaceRef, PublicClaim, PublicReport, PublicSource, PublicStatus,
    ReportedOutcome, TimelineItem, parse_person_id,
};
use gavah_app::{
    DayCount, EstimateRow, EstimateSummary, FiguresReport, PlaceCount, SourceFigure, SourcesReport,
};
use std::convert::Infallible;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use utoipa::OpenApi;

/// Most rows one page of a list may ask for.
pub const MAX_PER_PAGE: u64 = 500;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gavah public API",
        description = "Documented casualties: figures, sources, people (public fields only), incidents, claims and the timeline. Protected sources appear by type only; no witness or contact field is ever served.",
        license(name = "Data: CC BY 4.0 (place data © GeoNames)")
    ),
    paths(
        figures, estimate, sources, daily, people, person, incidents, incident, claims, timeline,
        events
    ),
    components(schemas(
        EstimateSummary,
        EstimateRow,
        FiguresReport,
        PlaceCount,
        DayCount,
        SourcesReport,
        SourceFigure,
        PeoplePage,
        PersonSummary,
        CountedOutcome,
        PlaceRef,
        PersonDetail,
        PublicReport,
        PublicSource,
        ReportedOutcome,
        IncidentsPage,
        Incident,
        IncidentDetail,
        PublicClaim,
        PublicStatus,
        TimelineItem,
        DailyCount,
        ErrorBody
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}

/// Documented counts, as `gavah figures --format json` prints them.
#[utoipa::path(get, path = "/api/v1/figures", responses((status = 200, body = FiguresReport)))]
pub async fn figures(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    cached(
        &headers,
        &snap,
        "figures",
        "application/json",
        snap.figures_json.clone(),
    )
}

/// The estimated total killed (documented and undocumented) beside the
/// documented floor, in total and per province: `null` until the store holds
/// lists of at least three kinds of source and the estimate has been computed.
#[utoipa::path(get, path = "/api/v1/estimate", responses((status = 200, body = Option<EstimateSummary>)))]
pub async fn estimate(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    json_cached(&headers, &snap, "estimate", &snap.estimate.as_deref())
}

/// Every source's published figures beside the documented count.
#[utoipa::path(get, path = "/api/v1/sources", responses((status = 200, body = SourcesReport)))]
pub async fn sources(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    json_cached(&headers, &snap, "sources", &snap.sources)
}

/// Documented people per day, outcome and category.
#[utoipa::path(get, path = "/api/v1/daily", responses((status = 200, body = [DailyCount])))]
pub async fn daily(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    json_cached(&headers, &snap, "daily", &snap.daily)
}

/// The claims register.
#[utoipa::path(get, path = "/api/v1/claims", responses((status = 200, body = [PublicClaim])))]
pub async fn claims(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    json_cached(&headers, &snap, "claims", &snap.claims)
}

/// The timeline, newest first.
#[utoipa::path(get, path = "/api/v1/timeline", responses((status = 200, body = [TimelineItem])))]
pub async fn timeline(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    json_cached(&headers, &snap, "timeline", &snap.timeline)
}

fn json_cached<T: serde::Serialize>(
    headers: &HeaderMap,
    snap: &crate::state::Snapshot,
    what: &str,
    value: &T,
) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => cached(headers, snap, what, "application/json", bytes),
        Err(e) => ApiError::internal(e.to_string()).into_response(),
    }
}

/// A people list's filter, page and page size, checked.
pub struct PeopleRequest {
    pub filter: PeopleFilter,
    pub query: PeopleQuery,
    pub page: u64,
    pub per_page: u64,
}

fn parse_page(v: Option<&String>, name: &str, default: u64, max: u64) -> Result<u64, ApiError> {
    match v {
        None => Ok(default),
        Some(t) => match t.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "{name} must be a whole number from 1 to {max}, not '{}'",
                t.chars().take(40).collect::<String>()
            ))),
        },
    }
}

/// Reads a people query: every value is checked against the vocabulary, the
/// gazetteer or its format, and an unknown parameter is refused.
pub fn people_request(raw: Option<String>) -> Result<PeopleRequest, ApiError> {
    let m = query_map(raw.as_deref())?;
    for k in m.keys() {
        if ![
            "q", "outcome", "category", "province", "city", "day", "source", "page", "per_page",
        ]
        .contains(&k.as_str())
        {
            return Err(ApiError::bad_request(format!(
                "unknown query parameter '{k}'; expected q, outcome, category, province, city, day, source, page or per_page"
            )));
        }
    }
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty());
    let mut query = PeopleQuery::default();
    let mut filter = PeopleFilter::default();
    if let Some(o) = get("outcome") {
        if gavah_core::Outcome::from_code(o).is_none() {
            return Err(ApiError::bad_request(format!(
                "outcome '{o}' is not one of: {}",
                gavah_core::Outcome::expected()
            )));
        }
        filter.outcome = Some(o.clone());
        query.outcome = Some(o.clone());
    }
    if let Some(c) = get("category") {
        if gavah_core::Category::from_code(c).is_none() {
            return Err(ApiError::bad_request(format!(
                "category '{c}' is not one of: {}",
                gavah_core::Category::expected()
            )));
        }
        filter.category = Some(c.clone());
        query.category = Some(c.clone());
    }
    if let Some(p) = get("province") {
        if gavah_core::gazetteer::gazetteer()
            .province_by_iso(p)
            .is_none()
        {
            return Err(ApiError::bad_request(format!(
                "province '{p}' is not an ISO 3166-2 code of a province of Iran (e.g. IR-23)"
            )));
        }
        filter.province = Some(p.clone());
        query.province = Some(p.clone());
    }
    if let Some(c) = get("city") {
        let id = c.parse::<u32>().map_err(|_| {
            ApiError::bad_request(format!("city must be a GeoNames id (a number), not '{c}'"))
        })?;
        filter.city = Some(id);
        query.city = Some(id);
    }
    if let Some(d) = get("day") {
        if gavah_core::Date::parse_iso(d).is_none() {
            return Err(ApiError::bad_request(format!(
                "day must be a date written YYYY-MM-DD, not '{d}'"
            )));
        }
        filter.day = Some(d.clone());
        query.day = Some(d.clone());
    }
    if let Some(q) = get("q") {
        if q.chars().count() > 200 {
            return Err(ApiError::bad_request("q is longer than 200 characters"));
        }
        let key = gavah_core::normalize::match_key(q);
        if !key.is_empty() {
            filter.name_key = Some(key);
        }
        query.q = Some(q.clone());
    }
    if let Some(src) = get("source") {
        if src.len() != 32 || !src.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::bad_request(
                "source must be a source id of 32 hexadecimal digits",
            ));
        }
        query.source = Some(src.clone());
    }
    Ok(PeopleRequest {
        filter,
        query,
        page: parse_page(get("page"), "page", 1, 1_000_000)?,
        per_page: parse_page(get("per_page"), "per_page", 50, MAX_PER_PAGE)?,
    })
}

/// Runs a people request, refusing a page past the last.
pub async fn people_page(
    s: &AppState,
    mut req: PeopleRequest,
) -> Result<(PeoplePage, PeopleQuery), ApiError> {
    let source = req.query.source.clone();
    let (page, per_page) = (req.page, req.per_page);
    let filter_query = req.query.clone();
    let result = s
        .read(move |r| {
            if let Some(src) = &source {
                match r.public_source_id(src)? {
                    Some(id) => req.filter.source = Some(id),
                    None => {
                        return Err(ApiError::not_found(format!(
                            "no public source has the id {src}"
                        )));
                    }
                }
            }
            Ok(r.people(&req.filter, page, per_page)?)
        })
        .await?;
    if page > result.pages {
        return Err(ApiError::not_found(format!(
            "page {page} is past the last page ({})",
            result.pages
        )));
    }
    Ok((result, filter_query))
}

/// People matching a filter; the filter is the one a figure was reached from,
/// so `total` equals that figure.
#[utoipa::path(get, path = "/api/v1/people",
    params(
        ("q" = Option<String>, Query, description = "Part of a name, in any script"),
        ("outcome" = Option<String>, Query, description = "killed, executed, wounded, detained, disappeared, sentenced, released"),
        ("category" = Option<String>, Query, description = "protester, bystander, security-forces, unknown"),
        ("province" = Option<String>, Query, description = "ISO 3166-2 code, e.g. IR-23"),
        ("city" = Option<u32>, Query, description = "GeoNames id"),
        ("day" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("source" = Option<String>, Query, description = "A public source's id"),
        ("page" = Option<u64>, Query, description = "1-based"),
        ("per_page" = Option<u64>, Query, description = "1 to 500, default 50"),
    ),
    responses((status = 200, body = PeoplePage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn people(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<PeoplePage>, ApiError> {
    let req = people_request(q)?;
    Ok(Json(people_page(&s, req).await?.0))
}

/// Reads a person id from a path, or answers 404.
pub fn person_id(text: &str) -> Result<i64, ApiError> {
    parse_person_id(text).ok_or_else(|| {
        ApiError::not_found(format!(
            "'{}' is not a person id (16 hexadecimal digits)",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// One person with every report behind them (public fields only).
#[utoipa::path(get, path = "/api/v1/people/{id}", params(("id" = String, Path, description = "16 hexadecimal digits")),
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
pub async fn person(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PersonDetail>, ApiError> {
    Ok(Json(load_person(&s, &id).await?))
}

pub async fn load_person(s: &AppState, id: &str) -> Result<PersonDetail, ApiError> {
    let pid = person_id(id)?;
    s.read(move |r| {
        r.person(pid)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "no person has the id {}",
                gavah_app::public::person_public_id(pid)
            ))
        })
    })
    .await
}

/// Reads `page` and `per_page` only.
pub fn page_request(raw: Option<String>) -> Result<(u64, u64), ApiError> {
    let m = query_map(raw.as_deref())?;
    if let Some(k) = m.keys().find(|k| *k != "page" && *k != "per_page") {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter '{k}'; expected page or per_page"
        )));
    }
    Ok((
        parse_page(m.get("page"), "page", 1, 1_000_000)?,
        parse_page(m.get("per_page"), "per_page", 50, MAX_PER_PAGE)?,
    ))
}

pub async fn incidents_page(s: &AppState, raw: Option<String>) -> Result<IncidentsPage, ApiError> {
    let (page, per_page) = page_request(raw)?;
    let result = s.read(move |r| Ok(r.incidents(page, per_page)?)).await?;
    if page > result.pages {
        return Err(ApiError::not_found(format!(
            "page {page} is past the last page ({})",
            result.pages
        )));
    }
    Ok(result)
}

/// Incidents (a day and a city where reports place an outcome), newest first.
#[utoipa::path(get, path = "/api/v1/incidents",
    params(("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = IncidentsPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn incidents(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<IncidentsPage>, ApiError> {
    Ok(Json(incidents_page(&s, q).await?))
}

pub async fn load_incident(s: &AppState, id: &str) -> Result<IncidentDetail, ApiError> {
    let key = id.to_string();
    s.read(move |r| {
        r.incident(&key)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "no incident has the id '{}'",
                key.chars().take(60).collect::<String>()
            ))
        })
    })
    .await
}

/// One incident and the people reported there.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", params(("id" = String, Path, description = "DAY_PROVINCE_CITY")),
    responses((status = 200, body = IncidentDetail), (status = 404, body = ErrorBody)))]
pub async fn incident(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    Ok(Json(load_incident(&s, &id).await?))
}

/// New timeline items as server-sent events (`event: timeline`), each with the
/// item as JSON; pages add `?lang=en|fa` to also receive it rendered as HTML.
#[utoipa::path(get, path = "/api/v1/events", params(("lang" = Option<String>, Query)),
    responses((status = 200, description = "text/event-stream of TimelineItem")))]
pub async fn events(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let m = query_map(q.as_deref())?;
    let lang = match m.get("lang") {
        None => None,
        Some(l) => Some(
            crate::i18n::Lang::from_code(l)
                .ok_or_else(|| ApiError::bad_request("lang must be en or fa"))?,
        ),
    };
    let stream = BroadcastStream::new(s.0.events.subscribe()).filter_map(move |item| {
        // A slow client that missed items gets the next ones; it can reload.
        let item = item.ok()?;
        let data = serde_json::json!({
            "item": item,
            "html": lang.map(|l| crate::pages::timeline_item(l, &item).into_string()),
        });
        Some(Ok::<Event, Infallible>(
            Event::default().event("timeline").data(data.to_string()),
        ))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
