//! Runs the real `community-messenger` binary on an ephemeral port, with
//! an HTTP client and the shared WebSocket test client (`messenger-testkit`)
//! for it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The shared WebSocket test client.
pub use messenger_testkit::WsClient as Ws;

pub struct App {
    pub child: Child,
    pub base: String,
    pub db: PathBuf,
    /// `http://ADDR/metrics` when started with `--metrics-addr`.
    pub metrics: Option<String>,
}

impl App {
    /// Starts the binary on `db` and waits for `/healthz`.
    pub async fn start(db: &Path) -> Self {
        Self::start_with(db, &[]).await
    }

    /// Starts the binary on `db` with more flags.
    pub async fn start_with(db: &Path, flags: &[&str]) -> Self {
        let mut child = Command::new(crate::binary::community_messenger())
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(flags)
            .env("MESSENGER_REGISTER_LIMIT", "0")
            .env("MESSENGER_SEND_LIMIT", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut metrics = None;
        let base = loop {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "the binary exited before it listened");
            let url = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(|u| u.trim_end_matches('/').to_owned());
            if line.starts_with("Metrics at") {
                metrics = url;
            } else if line.contains("is running at") {
                break url.unwrap_or_else(|| panic!("no URL in {line:?}"));
            }
        };
        let app = Self {
            child,
            base,
            db: db.to_owned(),
            metrics,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = reqwest::get(app.url("/healthz")).await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "healthz never answered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn ws_url(&self) -> String {
        messenger_testkit::ws_url(&self.base)
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` with a bearer token: the status and the JSON body (null if none).
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// `POST path` with a JSON body and a bearer token: the status and the
    /// JSON body (null if none).
    pub async fn post(&self, path: &str, body: Value, token: &str) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// SIGKILL: the node dies without a word, as a crashed machine would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn register_and_login(&self, username: &str, password: &str) -> String {
        let http = reqwest::Client::new();
        let r = http
            .post(self.url("/api/register"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        self.login(username, password).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = reqwest::Client::new()
            .post(self.url("/api/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A socket of `token`, past its `ready`.
    pub async fn ws(&self, token: &str) -> Ws {
        Ws::builder(self.ws_url()).token(token).connect().await
    }

    /// A v2 socket (`/ws?v=2`) of `token`, past its `ready`.
    pub async fn ws_v2(&self, token: &str) -> Ws {
        Ws::builder(format!("{}?v=2", self.ws_url()))
            .token(token)
            .connect()
            .await
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
