//! The public face through the real binary: `gavah serve` on a real store,
//! every page and endpoint fetched over a real socket.

use crate::util::Dir;
use serde_json::Value;
use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Protected values planted in the fixture (and the name of the documenter who
/// set a claim's status): none may appear anywhere public.
pub const CANARIES: [&str; 8] = [
    "CANARY-DOCUMENTER",
    "CANARY-WITNESS-7731",
    "09120000000",
    "CANARY-NOTE-4410",
    "CANARY-SOURCE",
    "CANARY-GPS",
    "35.712345",
    "51.404321",
];

/// A running `gavah serve` on a free port; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// What the server logged to standard error.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(d: &Dir) -> Server {
        Server::start_with(d, &[])
    }

    /// `gavah serve` with more arguments (e.g. `--sync`).
    pub fn start_with(d: &Dir, extra: &[&str]) -> Server {
        let mut child = d
            .cmd(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env("GAVAH_LOG", "info")
            .spawn_piped();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the serve line");
        let addr = line
            .trim()
            .strip_prefix("serving the dashboard at http://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("serve printed {line:?}"));
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Server { child, addr, log }
    }

    pub fn get(&self, path: &str) -> Response {
        get(self.addr, path, &[])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.body[..self.body.len().min(300)])
        })
    }
}

/// A number in Persian digits, as the Persian pages write it.
pub fn persian_digits(n: u64) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x06F0 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect()
}

/// One HTTP/1.1 GET over a fresh connection. Written here because it is a
/// screenful and a client crate would add dozens of crates to the test build.
pub fn get(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Response {
    request(addr, "GET", path, extra, &[])
}

/// One HTTP/1.1 request with a body (empty for none) over a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(120))).ok();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send the request");
    s.write_all(body).expect("send the body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16)
                .expect("a chunk size");
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
            rest = &rest[nl + 2 + size + 2..];
        }
        body = out;
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A store with a protected list (witness, contact, notes, coordinates), a
/// public list, figures from both sources, and a claim with a status change.
pub fn public_store() -> Dir {
    let d = Dir::with_store();
    let protected = d.create(
        "field.csv",
        "نام و نام خانوادگی,وضعیت,تاریخ,شهر,شاهد,شماره تماس,یادداشت,latitude,longitude\n\
         علی کریمی,کشته,۱۴۰۴/۱۰/۱۸,تهران,CANARY-WITNESS-7731,09120000000,CANARY-NOTE-4410 CANARY-GPS,35.712345,51.404321\n\
         مینا رضایی,زخمی,۱۴۰۴/۱۰/۱۹,شیراز,CANARY-WITNESS-7731 و برادرش,09120000000,CANARY-NOTE-4410,35.712345,51.404321\n",
    );
    d.cmd(["import"])
        .arg(&protected)
        .args([
            "--source",
            "CANARY-SOURCE",
            "--source-type",
            "field-report",
            "--protected",
        ])
        .ok();
    let public = d.create(
        "group.csv",
        "name,status,date,city,category,age\n\
         Ali Karimi,killed,2026-01-08,Tehran,protester,23\n\
         Reza Ahmadi,killed,2026-01-09,Isfahan,protester,31\n\
         Sara Mohammadi,detained,2026-01-09,Tehran,protester,\n\
         Hamid Zamani,killed,2026-01-10,Tehran,security forces,40\n",
    );
    d.import(&public, "Public Rights Group", &[]);
    for (source, kind, value) in [
        ("CANARY-SOURCE", None, "17"),
        ("Public Rights Group", Some("rights-group"), "21"),
    ] {
        let mut c = d.cmd([
            "figure",
            "add",
            "--source",
            source,
            "--metric",
            "killed",
            "--value",
            value,
            "--as-of",
            "2026-01-11",
        ]);
        if let Some(k) = kind {
            c.args(["--source-type", k]);
        }
        c.ok();
    }
    let claim = d
        .cmd([
            "claim",
            "add",
            "--by",
            "State news agency",
            "--date",
            "2026-01-10",
            "--text",
            "Internet access has been restored",
        ])
        .ok();
    let id = claim
        .stdout
        .split_whitespace()
        .find(|w| w.len() >= 8 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("claim add printed no id: {claim}"))
        .to_string();
    d.cmd([
        "claim",
        "status",
        &id,
        "denied",
        "--by",
        "CANARY-DOCUMENTER",
        "--date",
        "2026-01-11",
        "--note",
        "monitoring shows the shutdown continues",
    ])
    .ok();
    d
}

fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = body;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                let link = rest[..end].replace("&amp;", "&");
                if link.starts_with('/') {
                    out.push(link.split('#').next().unwrap_or("").to_string());
                }
            }
        }
    }
    out
}

#[test]
fn figures_endpoint_answers_what_the_cli_prints_and_pages_show_it_in_both_languages() {
    let d = public_store();
    let cli = d.figures();
    let s = Server::start(&d);
    let api = s.get("/api/v1/figures");
    assert_eq!(api.status, 200);
    assert_eq!(
        api.json(),
        cli,
        "/api/v1/figures differs from gavah figures --format json"
    );
    let killed = cli["by_outcome"]["killed"].as_u64().expect("killed");
    assert_eq!(
        killed, 4,
        "Ali Karimi is one person in two scripts? not before linkage: {cli}"
    );

    let en = s.get("/en/");
    assert_eq!(en.status, 200);
    assert!(en.body.contains("lang=\"en\"") && en.body.contains("dir=\"ltr\""));
    assert!(
        en.body.contains(&format!(">{killed}</a> killed")),
        "{}",
        en.body
    );
    assert!(
        en.body.contains("application/atom+xml"),
        "every page announces the feed"
    );
    let fa = s.get("/fa/");
    assert_eq!(fa.status, 200);
    assert!(fa.body.contains("lang=\"fa\"") && fa.body.contains("dir=\"rtl\""));
    let fa_killed = persian_digits(killed);
    assert!(
        fa.body.contains(&format!(">{fa_killed}</a> کشته")),
        "{}",
        fa.body
    );
    assert!(
        fa.body.contains("دی ۱۴۰۴"),
        "Persian pages give Jalali dates"
    );

    // Every figure on the overview leads to exactly the people it counts.
    let list = s.get("/api/v1/people?outcome=killed");
    assert_eq!(list.json()["total"].as_u64(), Some(killed));
    let protesters = cli["by_category"]["killed"]["protester"]
        .as_u64()
        .unwrap_or(0);
    let list = s.get("/api/v1/people?outcome=killed&category=protester");
    assert_eq!(list.json()["total"].as_u64(), Some(protesters));
    let page = s.get("/en/people?outcome=killed&category=protester");
    assert!(
        page.body
            .contains(&format!("<strong id=\"total\">{protesters}</strong>"))
    );
    // And to a person page with the sources behind them.
    let id = list.json()["people"][0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let person = s.get(&format!("/api/v1/people/{id}")).json();
    assert!(person["reports"].as_array().is_some_and(|r| !r.is_empty()));
    assert_eq!(s.get(&format!("/fa/people/{id}")).status, 200);

    // Protected sources appear by their type only, on pages and in the API.
    let sources = s.get("/api/v1/sources").json();
    let names: Vec<&str> = sources["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .filter_map(|f| f["source"].as_str())
        .collect();
    assert!(
        names.contains(&"a field report") && names.contains(&"Public Rights Group"),
        "{names:?}"
    );
    let claims = s.get("/api/v1/claims").json();
    assert_eq!(claims[0]["status"], "denied");
    assert!(
        s.get("/en/claims")
            .body
            .contains("monitoring shows the shutdown continues")
    );
    // Places credit GeoNames.
    for path in [
        "/en/map",
        "/fa/about",
        "/data/people.csv",
        "/data/incidents.geojson",
    ] {
        assert!(
            s.get(path).body.contains("GeoNames"),
            "{path} does not credit GeoNames"
        );
    }
}

#[test]
fn no_page_feed_export_or_log_shows_a_protected_value() {
    let d = public_store();
    let s = Server::start(&d);
    let mut queue: VecDeque<String> = [
        "/",
        "/en/",
        "/fa/",
        "/api/openapi.json",
        "/api/v1/figures",
        "/api/v1/sources",
        "/api/v1/daily",
        "/api/v1/people",
        "/api/v1/incidents",
        "/api/v1/claims",
        "/api/v1/timeline",
        "/feed.atom",
        "/data/people.csv",
        "/data/incidents.geojson",
        "/en/people?q=karimi",
        "/fa/people?q=%D8%B9%D9%84%DB%8C",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || path.starts_with("/api/v1/events") {
            continue;
        }
        assert!(seen.len() < 2000, "the crawl does not end");
        let r = s.get(&path);
        assert!(r.status < 500, "{path} answered {}", r.status);
        for canary in CANARIES {
            assert!(!r.body.contains(canary), "{canary} leaked at {path}");
            for (k, v) in &r.headers {
                assert!(
                    !v.contains(canary),
                    "{canary} leaked in header {k} at {path}"
                );
            }
        }
        for link in links(&r.body) {
            // Each person and incident page has its API twin: crawl both.
            for (page, api) in [
                ("/en/people/", "/api/v1/people/"),
                ("/en/incidents/", "/api/v1/incidents/"),
            ] {
                if let Some(id) = link.strip_prefix(page) {
                    queue.push_back(format!("{api}{id}"));
                }
            }
            queue.push_back(link);
        }
        if path.starts_with("/api/v1/people") && r.status == 200 {
            for p in r.json()["people"].as_array().into_iter().flatten() {
                if let Some(id) = p["id"].as_str() {
                    queue.push_back(format!("/api/v1/people/{id}"));
                }
            }
        }
    }
    assert!(
        seen.iter().any(|p| p.starts_with("/en/people/")),
        "the crawl reached person pages"
    );
    assert!(
        seen.iter().any(|p| p.starts_with("/fa/incidents/")),
        "the crawl reached incident pages"
    );
    let log = s.log.lock().map(|l| l.clone()).unwrap_or_default();
    for canary in CANARIES {
        assert!(!log.contains(canary), "{canary} leaked into the server log");
    }
}

#[test]
fn bad_requests_get_a_4xx_that_explains_never_a_5xx() {
    let d = public_store();
    let s = Server::start(&d);
    for (path, status) in [
        ("/api/v1/people/0000000000000000", 404),
        ("/api/v1/people/not-an-id", 404),
        ("/en/people/zzzz", 404),
        ("/api/v1/incidents/2026-01-08_IR-23_1", 404),
        ("/api/v1/incidents/garbage", 404),
        ("/en/incidents/garbage", 404),
        ("/xx/", 404),
        ("/nowhere/at/all", 404),
        ("/api/v1/people?page=0", 400),
        ("/api/v1/people?page=-1", 400),
        ("/api/v1/people?page=99999999999999999999999", 400),
        ("/api/v1/people?page=999999", 404),
        ("/en/people?page=999999", 404),
        ("/api/v1/people?per_page=100000", 400),
        ("/api/v1/people?outcome=happy", 400),
        ("/api/v1/people?category=x", 400),
        ("/api/v1/people?province=Tehran", 400),
        ("/api/v1/people?city=abc", 400),
        ("/api/v1/people?day=2026-02-30", 400),
        ("/api/v1/people?source=12", 400),
        (
            "/api/v1/people?source=00000000000000000000000000000000",
            404,
        ),
        ("/api/v1/people?outcome=killed&outcome=wounded", 400),
        ("/api/v1/people?bogus=1", 400),
        ("/api/v1/people?q=%ZZ", 400),
        ("/api/v1/incidents?page=abc", 400),
        ("/api/v1/events?lang=de", 400),
        ("/fa/people?category=nope", 400),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        if path.starts_with("/api/") {
            let body = r.json();
            assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{path}: {body}"
            );
        } else {
            assert!(r.body.contains("<html"), "{path} answers with a page");
        }
    }
}

#[test]
fn caching_headers_let_clients_revalidate() {
    let d = public_store();
    let s = Server::start(&d);
    for path in [
        "/api/v1/figures",
        "/en/",
        "/fa/sources",
        "/feed.atom",
        "/data/people.csv",
    ] {
        let r = s.get(path);
        let etag = r
            .header("etag")
            .unwrap_or_else(|| panic!("{path} has no ETag"))
            .to_string();
        assert!(
            r.header("last-modified")
                .is_some_and(|v| v.ends_with("GMT")),
            "{path}"
        );
        let zipped = get(s.addr, path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(
            zipped.header("content-encoding"),
            Some("gzip"),
            "{path} is not compressed"
        );
        let again = get(s.addr, path, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
    }
}

#[test]
fn export_command_writes_what_the_stable_urls_serve() {
    let d = public_store();
    let csv_out = d.join("people.csv");
    d.cmd(["export", "--format", "csv", "--out"])
        .arg(&csv_out)
        .ok();
    let geo = d.cmd(["export", "--format", "geojson"]).ok();
    let s = Server::start(&d);
    let file = std::fs::read_to_string(&csv_out).expect("the export");
    assert_eq!(file, s.get("/data/people.csv").body);
    let mut lines = file.lines();
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("person_id,name,outcome"))
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("#affected+id,#affected+name")),
        "an HXL row"
    );
    // Parquet holds the same rows as the CSV, and credits GeoNames.
    let pq_out = d.join("people.parquet");
    d.cmd(["export", "--format", "parquet", "--out"])
        .arg(&pq_out)
        .ok();
    let reader = {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let f = std::fs::File::open(&pq_out).expect("the Parquet export");
        let r = SerializedFileReader::new(f).expect("a Parquet file");
        let meta = r.metadata().file_metadata();
        let kv = meta.key_value_metadata().expect("key-value metadata");
        assert!(kv.iter().any(|k| k.key == "attribution"
            && k.value.as_deref().is_some_and(|v| v.contains("GeoNames"))));
        let rows: Vec<String> = r
            .get_row_iter(None)
            .expect("rows")
            .map(|row| row.expect("a row").to_string())
            .collect();
        rows
    };
    let csv_rows = file.lines().count() - 3; // header, HXL row, attribution comment
    assert_eq!(reader.len(), csv_rows);
    assert!(
        reader
            .iter()
            .any(|r| r.contains("Ali Karimi") && r.contains("killed")),
        "{reader:?}"
    );
    let geojson: Value = serde_json::from_str(&geo.stdout).expect("GeoJSON");
    assert_eq!(geojson, s.get("/data/incidents.geojson").json());
    assert_eq!(geojson["type"], "FeatureCollection");
    let first = &geojson["features"][0];
    assert_eq!(first["geometry"]["type"], "Point");
    assert!(
        first["properties"]["reports"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
}

/// Checks a JSON value against a schema of the OpenAPI document: types,
/// required properties, properties, items, `$ref`, `oneOf` and nullable types.
/// By hand because the document is OpenAPI 3.1 with local references, which
/// is a small subset to check and a large crate to pull in for it.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], v, at);
    }
    if let Some(any) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return if any.iter().any(|s| check(doc, s, v, at).is_ok()) {
            Ok(())
        } else {
            Err(format!("{at}: {v} matches none of {any:?}"))
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let ok = types.iter().any(|t| match *t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    });
    if !ok {
        return Err(format!("{at}: {v} is not {types:?}"));
    }
    if let (Some(obj), Some(props)) = (v.as_object(), schema["properties"].as_object()) {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap_or("");
            if !obj.contains_key(req) {
                return Err(format!("{at}: required '{req}' is missing"));
            }
        }
        for (k, val) in obj {
            match props.get(k) {
                Some(s) => check(doc, s, val, &format!("{at}.{k}"))?,
                None if schema["additionalProperties"].is_object() => {
                    check(
                        doc,
                        &schema["additionalProperties"],
                        val,
                        &format!("{at}.{k}"),
                    )?;
                }
                None => return Err(format!("{at}: '{k}' is not in the document")),
            }
        }
    } else if let (Some(obj), true) = (v.as_object(), schema["additionalProperties"].is_object()) {
        for (k, val) in obj {
            check(
                doc,
                &schema["additionalProperties"],
                val,
                &format!("{at}.{k}"),
            )?;
        }
    }
    if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            check(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn every_api_answer_matches_the_openapi_document() {
    let d = public_store();
    let s = Server::start(&d);
    let doc = s.get("/api/openapi.json").json();
    let person = s.get("/api/v1/people").json()["people"][0]["id"]
        .as_str()
        .expect("a person")
        .to_string();
    let incident = s.get("/api/v1/incidents").json()["incidents"][0]["id"]
        .as_str()
        .expect("an incident")
        .to_string();
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, item) in paths {
        if template.ends_with("/events") {
            continue;
        }
        let url = template
            .replace("/people/{id}", &format!("/people/{person}"))
            .replace("/incidents/{id}", &format!("/incidents/{incident}"));
        let r = s.get(&url);
        assert_eq!(r.status, 200, "{url}");
        let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{template} documents no 200 body");
        check(&doc, schema, &r.json(), &url).unwrap_or_else(|e| panic!("{e}"));
        checked += 1;
        // Errors match the document too.
        if template.contains("{id}") {
            let bad = template.replace("{id}", "0000000000000000");
            let r = s.get(&bad);
            assert_eq!(r.status, 404);
            let schema = &item["get"]["responses"]["404"]["content"]["application/json"]["schema"];
            check(&doc, schema, &r.json(), &bad).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert!(checked >= 9, "only {checked} endpoints are documented");
}

#[test]
fn a_new_import_reaches_the_event_stream_while_a_client_listens() {
    let d = public_store();
    let s = Server::start(&d);
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .write_all(
            format!(
                "GET /api/v1/events?lang=fa HTTP/1.1\r\nHost: {}\r\n\r\n",
                s.addr
            )
            .as_bytes(),
        )
        .expect("subscribe");
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    assert!(line.contains("200"), "{line}");
    let more = d.create(
        "more.csv",
        "name,status,date,city\nNew Person,killed,2026-01-12,Tabriz\n",
    );
    d.import(&more, "Another Group", &[]);
    let mut got = String::new();
    for _ in 0..200 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if line.contains("data:") && line.contains("\"records\"") {
            got = line.clone();
            break;
        }
    }
    assert!(
        got.contains("Another Group"),
        "no timeline event for the import: {got:?}"
    );
    assert!(
        got.contains("رکورد تازه"),
        "the event carries the Persian rendering"
    );
}

#[test]
fn the_dashboard_shows_the_estimate_beside_the_floor() {
    let d = Dir::new();
    d.cmd(["demo", "--no-serve"]).ok();
    let s = Server::start(&d);
    let e = s.get("/api/v1/estimate").json();
    let total = &e["total"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {e}"));
    let (documented, median, low, high) = (
        n(&total["documented"]),
        n(&total["median"]),
        n(&total["low"]),
        n(&total["high"]),
    );
    assert!(documented > 0 && low <= median && median <= high, "{e}");
    assert!(median >= documented, "the estimate is below the floor: {e}");
    let killed = s.get("/api/v1/figures").json()["by_outcome"]["killed"]
        .as_u64()
        .expect("killed");
    assert_eq!(
        documented, killed,
        "the estimate's floor is not the documented count"
    );
    // Lists are named by source type only: a protected source's name never shows.
    let types = [
        "rights-group",
        "official",
        "media",
        "family",
        "hospital-morgue",
        "field-report",
        "other",
    ];
    for l in e["lists"].as_array().expect("lists") {
        assert!(
            types.contains(&l.as_str().unwrap_or("")),
            "{l} is not a source type"
        );
    }
    let doc = s.get("/api/openapi.json").json();
    let schema = &doc["paths"]["/api/v1/estimate"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    check(&doc, schema, &e, "/api/v1/estimate").unwrap_or_else(|e| panic!("{e}"));
    let en = s.get("/en/").body;
    assert!(
        en.contains("id=\"estimate\""),
        "no estimate on the overview"
    );
    assert!(
        en.contains(&format!("about {median}")),
        "the overview does not show {median}"
    );
    let fa = s.get("/fa/").body;
    assert!(
        fa.contains(&persian_digits(median)),
        "the Persian overview does not show {median}"
    );
}
