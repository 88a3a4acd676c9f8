//! A real server on an ephemeral port, a real HTTP client, and the shared
//! WebSocket test client (`messenger-testkit`).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use messenger_core::{HashingCost, MemoryStore, Messenger, MessengerConfig};
use messenger_warp::{Web, WebConfig};
use serde_json::{Value, json};

/// The shared WebSocket test client (messenger-testkit).
pub use messenger_testkit::WsClient as Ws;

pub struct Server {
    pub addr: SocketAddr,
    pub web: Web,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<()>>,
}

pub fn messenger_config() -> MessengerConfig {
    MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    }
}

pub fn web_config() -> WebConfig {
    WebConfig {
        register_per_hour: None,
        ..WebConfig::default()
    }
}

impl Server {
    pub async fn start() -> Self {
        Self::with(messenger_config(), web_config()).await
    }

    pub async fn with(mc: MessengerConfig, wc: WebConfig) -> Self {
        let messenger = Messenger::builder()
            .config(mc)
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap();
        Self::with_messenger(messenger, wc).await
    }

    pub async fn with_messenger(messenger: Messenger, wc: WebConfig) -> Self {
        Self::with_web(Web::builder(messenger).config(wc).build()).await
    }

    pub async fn with_web(web: Web) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let w = web.clone();
        let done = tokio::spawn(async move {
            messenger_warp::serve(&w, w.routes(), listener, async move {
                let _ = stopped.await;
            })
            .await
        });
        Self {
            addr,
            web,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop: Some(stop),
            done: Some(done),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn register(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/register",
            json!({ "username": username, "password": password }),
            None,
        )
        .await
    }

    /// Registers and logs in; returns the bearer token and the user id.
    pub async fn user(&self, username: &str) -> (String, u64) {
        let r = self.register(username, "password123").await;
        assert_eq!(r.status(), 201, "register {username}");
        let r = self
            .post_json(
                "/api/login",
                json!({ "username": username, "password": "password123" }),
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        (
            v["token"].as_str().unwrap().to_owned(),
            v["user"]["id"].as_u64().unwrap(),
        )
    }

    pub async fn ws(&self, token: &str) -> Ws {
        self.try_ws(Some(token), None)
            .await
            .expect("upgrade succeeds")
    }

    /// A socket of `token` (or none), sending `origin` if given, past its
    /// `ready`; the HTTP status if the upgrade is refused.
    pub async fn try_ws(&self, token: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
        let mut connect = Ws::builder(self.ws_url());
        if let Some(t) = token {
            connect = connect.token(t);
        }
        if let Some(o) = origin {
            connect = connect.header("origin", o);
        }
        connect.try_connect().await.map_err(|e| {
            e.status()
                .unwrap_or_else(|| panic!("unexpected upgrade error {e}"))
        })
    }

    /// A `/ws?v=2` socket of `token`, past its `ready` (`ws.ready()`).
    pub async fn ws_v2(&self, token: &str) -> Ws {
        Ws::builder(self.ws_url()).token(token).v2().connect().await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The shared test client's shorthand for the room `general`.
#[allow(async_fn_in_trait)]
pub trait GeneralRoom {
    /// Joins `general` and returns (history frame, presence frame).
    async fn join(&mut self, since: Option<u64>) -> (Value, Value);
    /// Sends a message to `general`.
    async fn say(&mut self, body: &str, client_id: &str);
}

impl GeneralRoom for Ws {
    async fn join(&mut self, since: Option<u64>) -> (Value, Value) {
        let mut frame = json!({ "type": "join", "room": "general" });
        if let Some(s) = since {
            frame["since"] = json!(s);
        }
        self.send(frame).await;
        let history = self.until("history").await;
        let presence = self.until("presence").await;
        (history, presence)
    }

    async fn say(&mut self, body: &str, client_id: &str) {
        self.send(
            json!({ "type": "send", "room": "general", "body": body, "client_id": client_id }),
        )
        .await;
    }
}
