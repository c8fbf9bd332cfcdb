//! The dashboard in a real browser: Debian's headless Chromium driven over
//! WebDriver (chromedriver) by fantoccini, against the real `gavah serve`.
//! Screenshots are saved under `target/screenshots/` for people to look at.
//!
//! In CI (`CI` set) a missing chromedriver fails the test: `.ci/run` installs
//! it. Elsewhere the test says it is skipped and passes.

use crate::web::{Server, persian_digits, public_store};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn start_driver() -> Option<Driver> {
    let Some(exe) = find(&["chromedriver"]) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is not installed; .ci/run installs Debian's chromium-driver"
        );
        #[allow(clippy::print_stderr, reason = "a skipped test says why")]
        {
            eprintln!("skipping the browser test: chromedriver is not installed");
        }
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        child,
        port,
        profile: tempfile::tempdir().expect("a profile folder"),
    })
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("screenshots"))
        .expect("target/");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    crate::util::write_file(&screenshots().join(name), &png);
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[test]
fn the_dashboard_works_in_a_real_browser_in_both_languages() {
    let Some(driver) = start_driver() else {
        return;
    };
    let d = public_store();
    let figures = d.figures();
    let killed = figures["by_outcome"]["killed"].as_u64().expect("killed");
    let server = Server::start(&d);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": find(&["chromium", "chromium-browser", "google-chrome"]).map(|p| p.display().to_string()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--window-size=1200,1600",
                    format!("--user-data-dir={}", driver.profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a WebDriver session");

        // English overview: the headline's first number is `gavah figures`' killed.
        c.goto(&format!("{base}/en/")).await.expect("load /en/");
        assert_eq!(text(&c, "p.headline a.num").await, killed.to_string());
        let dir = c.execute("return getComputedStyle(document.body).direction", vec![]).await.expect("js");
        assert_eq!(dir, "ltr");
        shot(&c, "overview-en.png").await;

        // Persian overview: right to left, Persian digits, the shipped font.
        c.goto(&format!("{base}/fa/")).await.expect("load /fa/");
        assert_eq!(text(&c, "p.headline a.num").await, persian_digits(killed));
        let dir = c.execute("return getComputedStyle(document.body).direction", vec![]).await.expect("js");
        assert_eq!(dir, "rtl");
        let font = c
            .execute_async(
                "const done = arguments[0]; document.fonts.load('16px Vazirmatn', 'گواه').then(() => done(document.fonts.check('16px Vazirmatn', 'گواه')));",
                vec![],
            )
            .await
            .expect("js");
        assert_eq!(font, true, "the shipped Persian font loads");
        let overflow = c
            .execute("return document.documentElement.scrollWidth <= window.innerWidth + 1", vec![])
            .await
            .expect("js");
        assert_eq!(overflow, true, "the right-to-left page does not overflow sideways");
        shot(&c, "overview-fa.png").await;

        // Follow the number to the people it counts.
        c.find(Locator::Css("p.headline a.num"))
            .await
            .expect("the number")
            .click()
            .await
            .expect("click");
        let url = c.current_url().await.expect("url");
        assert!(url.as_str().contains("/fa/people?outcome=killed"), "{url}");
        assert_eq!(text(&c, "#total").await, persian_digits(killed));
        let rows = c.find_all(Locator::Css("table.people tbody tr")).await.expect("rows");
        assert_eq!(rows.len() as u64, killed.min(50));
        shot(&c, "people-fa.png").await;

        // The timeline gains an entry for an import while the page is open.
        c.goto(&format!("{base}/en/timeline")).await.expect("load the timeline");
        let before = c.find_all(Locator::Css("#timeline li")).await.expect("items").len();
        // Give the page's event stream a moment to connect before importing.
        c.execute_async(
            "const done = arguments[0]; setTimeout(() => done(true), 500);",
            vec![],
        )
        .await
        .expect("wait");
        let more = d.create("browser-more.csv", "name,status,date,city\nLive Entry,killed,2026-01-12,Tabriz\n");
        d.import(&more, "Live Update Group", &[]);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let items = c.find_all(Locator::Css("#timeline li")).await.expect("items");
            if items.len() > before {
                let first = text(&c, "#timeline li").await;
                assert!(first.contains("Live Update Group"), "{first}");
                break;
            }
            assert!(Instant::now() < deadline, "no timeline entry appeared without a reload");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        shot(&c, "timeline-live-en.png").await;
        c.close().await.expect("close the session");
    });
}
