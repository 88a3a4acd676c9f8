//! Headless Chromium through chromedriver, and the page helpers the
//! browser tests share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
pub use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::App;

pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, url }
    }

    pub async fn browser(&self, profile: &Path, width: u32, height: u32) -> Client {
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ];
        let mut options = json!({ "binary": "/usr/bin/chromium", "args": args });
        if width < 500 {
            // Desktop windows are at least 500 px wide: emulate the phone.
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2, "touch": true }
            });
        }
        let caps = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.wait().for_element(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

pub async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// Polls `js` until it returns `true`. A script that fails is tried again:
/// after a form submit or a link, the page may be mid-navigation, and
/// WebDriver aborts a command that a navigation interrupts ("aborted by
/// navigation"); only the deadline ends the wait.
pub async fn wait_until(c: &Client, js: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let last = match c.execute(js, vec![]).await {
            Ok(Value::Bool(true)) => return,
            Ok(v) => format!("{v}"),
            Err(e) => format!("{e}"),
        };
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} (last: {last})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the browser is on `path` and `css` matches there.
pub async fn wait_for_page(c: &Client, path: &str, css: &str) {
    let js = format!(
        "return location.pathname === {} && document.querySelector({}) !== null",
        json!(path),
        json!(css)
    );
    wait_until(c, &js, &format!("{path} with {css}")).await;
}

pub async fn wait_online(c: &Client) {
    wait_until(
        c,
        "return document.getElementById('chat')?.dataset.connection === 'online'",
        "the socket",
    )
    .await;
}

/// Registers through the form; ends on the chat page, connected.
pub async fn register(c: &Client, app: &App, name: &str) {
    c.goto(&app.url("/register")).await.unwrap();
    fill(c, "#username", name).await;
    fill(c, "#password", "browser-password").await;
    fill(c, "#confirm", "browser-password").await;
    click(c, "form[action='/register'] button[type=submit]").await;
    wait_for_page(c, "/chat", "#chat").await;
    wait_online(c).await;
}

pub async fn say(c: &Client, text: &str) {
    let input = c.find(Locator::Css("#message-input")).await.unwrap();
    input.send_keys(text).await.unwrap();
    input.send_keys("\u{E007}").await.unwrap(); // Enter sends
}

/// Waits for a confirmed message whose text is `text`; returns its classes.
pub async fn wait_for_message(c: &Client, text: &str) -> String {
    let js = "const [t] = arguments; const el = Array.from(document.querySelectorAll('#message-list .msg[data-id]')).find(e => e.querySelector('.msg-body').textContent === t); return el ? el.className : null;";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = c.execute(js, vec![json!(text)]).await.unwrap();
        if let Some(classes) = v.as_str() {
            return classes.to_owned();
        }
        assert!(Instant::now() < deadline, "message {text:?} never appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// axe-core, installed by `npm install --prefix tests/axe`.
pub const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/axe/node_modules/axe-core/axe.min.js"
);

/// Serious and critical WCAG 2.0/2.1 A and AA violations on the page as it
/// is now, in the theme `theme`.
pub async fn violations(c: &Client, theme: &str) -> Vec<Value> {
    let axe = std::fs::read_to_string(AXE)
        .unwrap_or_else(|e| panic!("{AXE}: {e}; run npm install --prefix tests/axe"));
    c.execute(
        "document.documentElement.dataset.bsTheme = arguments[0]; return true;",
        vec![json!(theme)],
    )
    .await
    .unwrap();
    // Let Bootstrap's colour transitions (0.15 s) settle before measuring.
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.execute(&format!("{axe}\n;return true;"), vec![])
        .await
        .unwrap();
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
              .then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({ id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary) }))))
              .catch(e => done([{ id: 'axe-failed', help: String(e) }]));"#,
            vec![],
        )
        .await
        .unwrap();
    found.as_array().unwrap().clone()
}

pub async fn assert_accessible(c: &Client, what: &str) {
    for theme in ["light", "dark"] {
        let v = violations(c, theme).await;
        assert!(
            v.is_empty(),
            "{what} ({theme}): {}",
            serde_json::to_string_pretty(&v).unwrap()
        );
    }
    c.execute(
        "document.documentElement.dataset.bsTheme = 'light'; return true;",
        vec![],
    )
    .await
    .unwrap();
}
