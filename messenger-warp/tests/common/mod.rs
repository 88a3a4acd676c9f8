//! A real server on an ephemeral port, and real HTTP and WebSocket clients.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use messenger_core::{HashingCost, MemoryStore, Messenger, MessengerConfig};
use messenger_warp::{Web, WebConfig};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

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

    pub async fn try_ws(&self, token: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
        let mut req = self.ws_url().into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((stream, _)) => {
                let mut ws = Ws { stream };
                let ready = ws.next_frame().await;
                assert_eq!(ready["type"], "ready", "{ready}");
                Ok(ws)
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("unexpected upgrade error {e}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::text(v.to_string()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.stream.send(m).await.unwrap();
    }

    /// The next JSON frame (pings and pongs skipped), within 5 s.
    pub async fn next_frame(&mut self) -> Value {
        self.try_next_frame(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    pub async fn try_next_frame(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
                Message::Close(c) => {
                    return Some(json!({
                        "type": "__close",
                        "code": c.as_ref().map(|c| u16::from(c.code)),
                        "reason": c.as_ref().map(|c| c.reason.as_str().to_owned()),
                    }));
                }
                _ => continue,
            }
        }
    }

    /// Frames until one of type `ty` arrives; returns it.
    pub async fn until(&mut self, ty: &str) -> Value {
        loop {
            let f = self.next_frame().await;
            if f["type"] == ty {
                return f;
            }
        }
    }

    /// Joins `general` and returns (history frame, presence frame).
    pub async fn join(&mut self, since: Option<u64>) -> (Value, Value) {
        let mut frame = json!({ "type": "join", "room": "general" });
        if let Some(s) = since {
            frame["since"] = json!(s);
        }
        self.send(frame).await;
        let history = self.until("history").await;
        let presence = self.until("presence").await;
        (history, presence)
    }

    /// Sends a message to `general`.
    pub async fn say(&mut self, body: &str, client_id: &str) {
        self.send(
            json!({ "type": "send", "room": "general", "body": body, "client_id": client_id }),
        )
        .await;
    }
}
