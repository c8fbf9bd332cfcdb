//! The Atom feed of the timeline and the open-data exports at stable URLs.
//! The same bytes come from `gavah export` (see [`people_csv_bytes`] and
//! [`incidents_geojson_bytes`]).

use crate::cached;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use gavah_app::public::Reader;
use maud::{PreEscaped, html};

/// The attribution every export that names places carries.
pub const PLACE_ATTRIBUTION: &str = "Place data © GeoNames (geonames.org), CC BY 4.0.";

/// Public people as CSV: a header row, an HXL hashtag row, then one row per
/// person and outcome as counted in the figures.
pub fn people_csv_bytes(r: &Reader) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "person_id",
        "name",
        "outcome",
        "category",
        "date",
        "province_code",
        "province",
        "city_geonameid",
        "city",
        "sources",
        "verification",
    ];
    let hxl = [
        "#affected+id",
        "#affected+name",
        "#affected+outcome",
        "#affected+category",
        "#date+occurred",
        "#adm1+code",
        "#adm1+name",
        "#loc+code",
        "#loc+name",
        "#meta+sources+num",
        "#status+verification",
    ];
    let err = |e: csv::Error| ApiError::internal(format!("writing the CSV export: {e}"));
    w.write_record(header).map_err(err)?;
    w.write_record(hxl).map_err(err)?;
    let mut failed = None;
    r.export_people(|id, name, sources, o| {
        if failed.is_some() {
            return;
        }
        let row = [
            id.to_string(),
            name.unwrap_or("").to_string(),
            o.outcome.clone(),
            o.category.clone(),
            o.day.clone().unwrap_or_default(),
            o.province
                .as_ref()
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            o.province
                .as_ref()
                .map(|p| p.name_en.clone())
                .unwrap_or_default(),
            o.city.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
            o.city
                .as_ref()
                .map(|c| c.name_en.clone())
                .unwrap_or_default(),
            sources.to_string(),
            if sources >= 2 {
                "corroborated"
            } else {
                "single-source"
            }
            .to_string(),
        ];
        if let Err(e) = w.write_record(&row) {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(err(e));
    }
    let mut bytes = w
        .into_inner()
        .map_err(|e| ApiError::internal(format!("writing the CSV export: {e}")))?;
    // The attribution goes in a comment line at the end, where HXL and CSV
    // readers that skip comments will not take it for data.
    bytes.extend_from_slice(format!("# {PLACE_ATTRIBUTION}\n").as_bytes());
    Ok(bytes)
}

/// Incidents as a GeoJSON FeatureCollection of points at their city.
pub fn incidents_geojson_bytes(r: &Reader) -> Result<Vec<u8>, ApiError> {
    let features: Vec<serde_json::Value> = r
        .all_incidents()?
        .into_iter()
        .map(|i| {
            serde_json::json!({
                "type": "Feature",
                "id": i.id,
                "geometry": { "type": "Point", "coordinates": [i.lon, i.lat] },
                "properties": {
                    "day": i.day,
                    "province_code": i.province.code,
                    "province": i.province.name_en,
                    "province_fa": i.province.name_fa,
                    "city_geonameid": i.city.code,
                    "city": i.city.name_en,
                    "city_fa": i.city.name_fa,
                    "reports": i.reports,
                },
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "type": "FeatureCollection",
        "attribution": PLACE_ATTRIBUTION,
        "features": features,
    }))
    .map_err(|e| ApiError::internal(e.to_string()))
}

async fn export(
    s: AppState,
    headers: HeaderMap,
    what: &'static str,
    content_type: &'static str,
    make: fn(&Reader) -> Result<Vec<u8>, ApiError>,
) -> Response {
    let snap = s.snapshot();
    // Answer a revalidation without building the file.
    if headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == snap.etag(what))
    {
        return cached(&headers, &snap, what, content_type, Vec::<u8>::new());
    }
    match s.read(make).await {
        Ok(bytes) => cached(&headers, &snap, what, content_type, bytes),
        Err(e) => e.into_response(),
    }
}

pub async fn people_csv(State(s): State<AppState>, headers: HeaderMap) -> Response {
    export(
        s,
        headers,
        "people-csv",
        "text/csv; charset=utf-8",
        people_csv_bytes,
    )
    .await
}

pub async fn incidents_geojson(State(s): State<AppState>, headers: HeaderMap) -> Response {
    export(
        s,
        headers,
        "incidents-geojson",
        "application/geo+json",
        incidents_geojson_bytes,
    )
    .await
}

/// The timeline as an Atom feed, newest first, in English.
pub async fn atom(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    let updated = gavah_app::public::rfc3339(snap.modified_ms);
    let feed = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns="http://www.w3.org/2005/Atom" {
            title { "Gavah: documented casualties — timeline" }
            id { "urn:gavah:timeline" }
            updated { (updated) }
            link rel="self" href="/feed.atom" {}
            link rel="alternate" href="/en/timeline" {}
            author { name { "Gavah" } }
            rights { (PLACE_ATTRIBUTION) }
            @for item in snap.timeline.iter().take(100) {
                @let text = crate::pages::timeline_item(Lang::En, item).into_string();
                entry {
                    id { "urn:gavah:entry:" (item.id) }
                    title { (item_title(item)) }
                    updated { (item.recorded) }
                    link rel="alternate" href=(format!("/en/timeline#{}", item.id)) {}
                    content type="html" { (text) }
                }
            }
        }
    };
    cached(
        &headers,
        &snap,
        "atom",
        "application/atom+xml; charset=utf-8",
        feed.into_string().into_bytes(),
    )
}

fn item_title(t: &gavah_app::public::TimelineItem) -> String {
    let source = t.source.as_ref().map_or("", |s| s.name.as_str());
    match t.kind.as_str() {
        "records" => format!("{} new records from {source}", t.rows.unwrap_or(0)),
        "figure" => format!(
            "{source}: {} {} {}",
            t.qualifier.as_deref().unwrap_or(""),
            t.value.unwrap_or(0),
            t.metric.as_deref().unwrap_or("")
        ),
        "claim" => format!("Statement by {}", t.by.as_deref().unwrap_or("")),
        _ => format!(
            "Claim by {} now {}",
            t.by.as_deref().unwrap_or(""),
            t.status.as_deref().unwrap_or("")
        ),
    }
}

/// Public people as Parquet: the same rows and columns as the CSV export (no
/// HXL row: Parquet has a schema), snappy-compressed, with the place
/// attribution in the file's key-value metadata.
pub fn people_parquet_bytes(r: &Reader) -> Result<Vec<u8>, ApiError> {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    const SCHEMA: &str = "message person_outcome {
        REQUIRED BYTE_ARRAY person_id (UTF8);
        OPTIONAL BYTE_ARRAY name (UTF8);
        REQUIRED BYTE_ARRAY outcome (UTF8);
        REQUIRED BYTE_ARRAY category (UTF8);
        OPTIONAL BYTE_ARRAY date (UTF8);
        OPTIONAL BYTE_ARRAY province_code (UTF8);
        OPTIONAL BYTE_ARRAY province (UTF8);
        OPTIONAL INT64 city_geonameid;
        OPTIONAL BYTE_ARRAY city (UTF8);
        REQUIRED INT64 sources;
        REQUIRED BYTE_ARRAY verification (UTF8);
    }";
    /// Rows per row group: bounds the memory a large export holds at once.
    const GROUP: usize = 100_000;

    #[derive(Default)]
    struct Columns {
        text: [Vec<Option<ByteArray>>; 9],
        city: Vec<Option<i64>>,
        sources: Vec<i64>,
    }
    let err = |e: parquet::errors::ParquetError| {
        ApiError::internal(format!("writing the Parquet export: {e}"))
    };
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(err)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "attribution".to_string(),
                PLACE_ATTRIBUTION.to_string(),
            )]))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, props).map_err(err)?;

    fn write_group(
        w: &mut SerializedFileWriter<Vec<u8>>,
        c: &mut Columns,
    ) -> Result<(), parquet::errors::ParquetError> {
        if c.sources.is_empty() {
            return Ok(());
        }
        let mut group = w.next_row_group()?;
        // Columns in schema order: text columns 0..=6, city id, city name,
        // sources, verification.
        let order: [Option<usize>; 11] = [
            Some(0),
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            Some(5),
            Some(6),
            None,
            Some(7),
            None,
            Some(8),
        ];
        for (i, slot) in order.iter().enumerate() {
            let Some(mut col) = group.next_column()? else {
                break;
            };
            match (slot, i) {
                (Some(t), _) => {
                    let values: Vec<ByteArray> = c.text[*t].iter().flatten().cloned().collect();
                    let defs: Vec<i16> =
                        c.text[*t].iter().map(|v| i16::from(v.is_some())).collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)?;
                }
                (None, 7) => {
                    let values: Vec<i64> = c.city.iter().flatten().copied().collect();
                    let defs: Vec<i16> = c.city.iter().map(|v| i16::from(v.is_some())).collect();
                    col.typed::<Int64Type>()
                        .write_batch(&values, Some(&defs), None)?;
                }
                _ => {
                    col.typed::<Int64Type>()
                        .write_batch(&c.sources, None, None)?;
                }
            }
            col.close()?;
        }
        group.close()?;
        *c = Columns::default();
        Ok(())
    }

    let mut cols = Columns::default();
    let mut failed = None;
    r.export_people(|id, name, sources, o| {
        if failed.is_some() {
            return;
        }
        let text = |s: Option<&str>| s.map(|s| ByteArray::from(s.as_bytes().to_vec()));
        let values = [
            text(Some(id)),
            text(name),
            text(Some(&o.outcome)),
            text(Some(&o.category)),
            text(o.day.as_deref()),
            text(o.province.as_ref().map(|p| p.code.as_str())),
            text(o.province.as_ref().map(|p| p.name_en.as_str())),
            text(o.city.as_ref().map(|c| c.name_en.as_str())),
            text(Some(if sources >= 2 {
                "corroborated"
            } else {
                "single-source"
            })),
        ];
        for (col, v) in cols.text.iter_mut().zip(values) {
            col.push(v);
        }
        cols.city
            .push(o.city.as_ref().and_then(|c| c.code.parse::<i64>().ok()));
        cols.sources
            .push(i64::try_from(sources).unwrap_or(i64::MAX));
        if cols.sources.len() >= GROUP
            && let Err(e) = write_group(&mut writer, &mut cols)
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(err(e));
    }
    write_group(&mut writer, &mut cols).map_err(err)?;
    writer.into_inner().map_err(err)
}

pub async fn people_parquet(State(s): State<AppState>, headers: HeaderMap) -> Response {
    export(
        s,
        headers,
        "people-parquet",
        "application/vnd.apache.parquet",
        people_parquet_bytes,
    )
    .await
}
