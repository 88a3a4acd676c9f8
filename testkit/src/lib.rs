//! The one WebSocket client of Community Messenger's tests and load
//! generator: it opens a server's `/ws` (with a bearer token, or any header
//! such as a host's cookie; v1 or `?v=2`), waits for `ready`, and reads and
//! writes the protocol's JSON frames (docs/protocol.md).
//!
//! The tests call the panicking methods ([`WsClient::next`],
//! [`WsClient::until`], ...): a frame that does not come within the
//! client's patience (10 s unless told) fails the test with a message
//! saying what was awaited. Clients that must survive a lost socket (the
//! chaos test, the load generator) call the `try_` ones, which answer an
//! [`Error`] instead. A close frame reads as the frame
//! `{"type": "__close", "code": .., "reason": ..}`, so `until("__close")`
//! waits for the server to close. [`WsClient::stream`] is the socket itself,
//! for binary or hand-made frames and for splitting it: the load generator
//! connects with this crate and then reads the raw socket in its hot loops.
//!
//! ```no_run
//! # async fn demo(token: &str) {
//! use messenger_testkit::WsClient;
//! use serde_json::json;
//!
//! let mut ws = WsClient::builder("ws://127.0.0.1:8080/ws")
//!     .token(token)
//!     .connect()
//!     .await;
//! assert_eq!(ws.ready()["type"], "ready");
//! ws.send(json!({ "type": "join", "room": "general" })).await;
//! let history = ws.until("history").await;
//! # let _ = history;
//! ws.close().await;
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite::Message;

/// The socket under a [`WsClient`].
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a client waits for the upgrade and for each frame unless
/// told otherwise ([`Connect::timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `/ws` URL of a server at `base` (`http://host:port`, or `https://`).
pub fn ws_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}/ws"),
        None => format!("{}/ws", base.replacen("http://", "ws://", 1)),
    }
}

/// What went wrong opening or reading a socket.
#[derive(Debug)]
pub enum Error {
    /// The server answered the upgrade with an HTTP status instead.
    Refused {
        /// The status, e.g. 401 or 403.
        status: u16,
        /// The answer's body (the JSON error envelope), lossily decoded.
        body: String,
    },
    /// The connection or the WebSocket protocol failed.
    Ws(tungstenite::Error),
    /// Nothing came within this long.
    Timeout(Duration),
    /// The socket ended (after its close frame, or without one).
    Ended,
    /// A text frame that is not JSON.
    NotJson(String),
    /// The first frame was not `ready`: another frame, or the
    /// `{"type": "__close"}` of a socket the server closed at once (4029 for
    /// one socket too many).
    NotReady(Value),
}

impl Error {
    /// The HTTP status of a refused upgrade.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { status, body } => {
                write!(f, "the upgrade was refused with HTTP {status}: {body}")
            }
            Self::Ws(e) => write!(f, "WebSocket error: {e}"),
            Self::Timeout(d) => write!(f, "nothing within {d:?}"),
            Self::Ended => f.write_str("the socket ended"),
            Self::NotJson(t) => write!(f, "a text frame that is not JSON: {t:?}"),
            Self::NotReady(v) => write!(f, "the first frame was not `ready`: {v}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Ws(e) => Some(e),
            _ => None,
        }
    }
}

impl From<tungstenite::Error> for Error {
    fn from(e: tungstenite::Error) -> Self {
        match e {
            tungstenite::Error::Http(res) => Self::Refused {
                status: res.status().as_u16(),
                body: res
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
            },
            e => Self::Ws(e),
        }
    }
}

/// How to open a socket: [`WsClient::builder`], then [`Connect::connect`]
/// (a test's way: panics unless `ready` arrives), [`Connect::try_connect`]
/// (the same, answering an [`Error`]) or [`Connect::open`] (the upgrade
/// only, no frame read).
#[derive(Debug, Clone)]
#[must_use = "nothing is opened until `connect`, `try_connect` or `open`"]
pub struct Connect {
    url: String,
    headers: Vec<(String, String)>,
    v2: bool,
    nodelay: bool,
    timeout: Duration,
}

impl Connect {
    /// The socket at `url` (`ws://host:port/ws`; see [`ws_url`]).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            headers: Vec::new(),
            v2: false,
            nodelay: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Authenticates with `Authorization: Bearer token` (the server takes
    /// no token in the URL).
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends the header `name: value` with the upgrade (a cookie, an
    /// `Origin`, a host's own session header); replaces one of that name.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Asks for the v2 additions (`?v=2`).
    pub fn v2(mut self) -> Self {
        self.v2 = true;
        self
    }

    /// Turns Nagle's algorithm off, so small frames leave at once rather
    /// than wait for the previous one's ACK (the load generator's latency).
    pub fn nodelay(mut self) -> Self {
        self.nodelay = true;
        self
    }

    /// How long to wait for the upgrade and then, on the client, for each
    /// frame ([`DEFAULT_TIMEOUT`] unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn url(&self) -> String {
        if !self.v2 {
            self.url.clone()
        } else if self.url.contains('?') {
            format!("{}&v=2", self.url)
        } else {
            format!("{}?v=2", self.url)
        }
    }

    /// The upgrade only: a socket whose first frame (`ready`, or a close)
    /// is still to be read.
    pub async fn open(self) -> Result<WsClient, Error> {
        let mut req = self.url().into_client_request()?;
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(tungstenite::Error::from)?;
            let value = HeaderValue::from_str(value).map_err(tungstenite::Error::from)?;
            req.headers_mut().insert(name, value);
        }
        let upgrade = tokio_tungstenite::connect_async_with_config(req, None, self.nodelay);
        let (stream, _) = tokio::time::timeout(self.timeout, upgrade)
            .await
            .map_err(|_| Error::Timeout(self.timeout))??;
        Ok(WsClient {
            stream,
            timeout: self.timeout,
            ready: Value::Null,
        })
    }

    /// The upgrade and its `ready` frame ([`WsClient::ready`]).
    pub async fn try_connect(self) -> Result<WsClient, Error> {
        let mut ws = self.open().await?;
        let first = ws.try_next().await?;
        if first["type"] != "ready" {
            return Err(Error::NotReady(first));
        }
        ws.ready = first;
        Ok(ws)
    }

    /// The upgrade and its `ready` frame; panics if either fails.
    pub async fn connect(self) -> WsClient {
        let url = self.url();
        match self.try_connect().await {
            Ok(ws) => ws,
            Err(e) => panic!("connecting to {url}: {e}"),
        }
    }
}

/// A protocol client on a socket: JSON frames in and out.
pub struct WsClient {
    /// The socket, for what the methods do not cover: binary or hand-made
    /// frames, reading a close frame's details, splitting it.
    pub stream: Socket,
    timeout: Duration,
    ready: Value,
}

impl fmt::Debug for WsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClient")
            .field("timeout", &self.timeout)
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

/// The frame a close frame reads as.
fn close_frame(c: Option<&CloseFrame>) -> Value {
    json!({
        "type": "__close",
        "code": c.map(|c| u16::from(c.code)),
        "reason": c.map(|c| c.reason.as_str().to_owned()),
    })
}

impl WsClient {
    /// How to open a socket at `url` (`ws://host:port/ws`; see [`ws_url`]).
    pub fn builder(url: impl Into<String>) -> Connect {
        Connect::new(url)
    }

    /// A client on a socket opened some other way (a hand-written
    /// handshake); its `ready` is still to be read.
    pub fn from_stream(stream: Socket) -> Self {
        Self {
            stream,
            timeout: DEFAULT_TIMEOUT,
            ready: Value::Null,
        }
    }

    /// The `ready` frame [`Connect::connect`] read (null if none was).
    pub fn ready(&self) -> &Value {
        &self.ready
    }

    /// The socket itself, e.g. to split it into a sink and a stream.
    pub fn into_inner(self) -> Socket {
        self.stream
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        if let Err(e) = self.try_send(frame).await {
            panic!("sending a frame: {e}");
        }
    }

    /// Sends a JSON frame; an error if the socket is gone.
    pub async fn try_send(&mut self, frame: Value) -> Result<(), Error> {
        self.stream
            .send(Message::text(frame.to_string()))
            .await
            .map_err(Error::from)
    }

    /// Sends any frame (binary, not JSON, too large...).
    pub async fn send_raw(&mut self, message: Message) {
        if let Err(e) = self.stream.send(message).await {
            panic!("sending a frame: {e}");
        }
    }

    /// The next JSON frame (pings, pongs and binary frames skipped; a close
    /// as `__close`); panics if none comes within the client's patience.
    pub async fn next(&mut self) -> Value {
        match self.try_next().await {
            Ok(frame) => frame,
            Err(e) => panic!("waiting for a frame: {e}"),
        }
    }

    /// The next JSON frame, or why there is none.
    pub async fn try_next(&mut self) -> Result<Value, Error> {
        self.read(self.timeout).await
    }

    /// The next JSON frame within `within`; `None` if none came (or the
    /// socket ended or failed). Panics on a text frame that is not JSON.
    pub async fn next_within(&mut self, within: Duration) -> Option<Value> {
        match self.read(within).await {
            Ok(frame) => Some(frame),
            Err(Error::NotJson(t)) => panic!("a text frame that is not JSON: {t:?}"),
            Err(_) => None,
        }
    }

    /// Skips frames until one of type `ty`, and answers it.
    pub async fn until(&mut self, ty: &str) -> Value {
        match self.try_until_where(|f| f["type"] == ty).await {
            Ok(frame) => frame,
            Err(e) => panic!("waiting for a {ty:?} frame: {e}"),
        }
    }

    /// Skips frames until one for which `wanted` holds, and answers it.
    pub async fn until_where(&mut self, wanted: impl FnMut(&Value) -> bool) -> Value {
        match self.try_until_where(wanted).await {
            Ok(frame) => frame,
            Err(e) => panic!("waiting for a wanted frame: {e}"),
        }
    }

    /// Skips frames until one for which `wanted` holds; an error if a
    /// frame does not come in time or the socket ends first.
    pub async fn try_until_where(
        &mut self,
        mut wanted: impl FnMut(&Value) -> bool,
    ) -> Result<Value, Error> {
        loop {
            let frame = self.try_next().await?;
            if wanted(&frame) {
                return Ok(frame);
            }
        }
    }

    /// Closes the socket normally. Errors are ignored: the socket is done
    /// either way.
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    async fn read(&mut self, within: Duration) -> Result<Value, Error> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Err(Error::Timeout(within)),
                Ok(None) => return Err(Error::Ended),
                Ok(Some(Err(e))) => return Err(e.into()),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(t) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|_| Error::NotJson(t.as_str().to_owned()));
                }
                Message::Close(c) => return Ok(close_frame(c.as_ref())),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("http://127.0.0.1:8080/"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("https://chat.example"), "wss://chat.example/ws");
        assert_eq!(Connect::new("ws://h/ws").v2().url(), "ws://h/ws?v=2");
        assert_eq!(
            Connect::new("ws://h/ws?a=b").v2().url(),
            "ws://h/ws?a=b&v=2"
        );
        assert_eq!(Connect::new("ws://h/ws").url(), "ws://h/ws");
    }

    #[test]
    fn a_header_replaces_one_of_its_name() {
        let c = Connect::new("ws://h/ws")
            .token("one")
            .header("Authorization", "Bearer two");
        assert_eq!(
            c.headers,
            [("Authorization".to_owned(), "Bearer two".to_owned())]
        );
    }
}
