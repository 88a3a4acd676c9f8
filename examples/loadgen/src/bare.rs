//! `bare`: the floor. A minimal WebSocket broadcast server speaking the same
//! frames, with no authentication and no storage. Whatever it reaches on a
//! machine is what the transport alone costs there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

type WebSocket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A room: its channel, and the last id, locked while a message is both
/// numbered and sent so ids reach every subscriber in order.
struct Room {
    tx: broadcast::Sender<Arc<str>>,
    last_id: Mutex<u64>,
}

#[derive(Default)]
struct Rooms {
    rooms: Mutex<HashMap<String, Arc<Room>>>,
}

impl Rooms {
    fn room(&self, name: &str) -> Arc<Room> {
        let mut rooms = self.rooms.lock().unwrap();
        rooms
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(Room {
                    tx: broadcast::channel(4096).0,
                    last_id: Mutex::new(0),
                })
            })
            .clone()
    }
}

/// Serves the floor on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) {
    let rooms = Arc::new(Rooms::default());
    let ids = Arc::new(AtomicU64::new(0));
    let user = move |name: &str| json!({ "id": ids.fetch_add(1, Ordering::Relaxed) + 1, "username": name });
    let user = Arc::new(user);
    let u = user.clone();
    let register = warp::path!("api" / "register")
        .and(warp::post())
        .and(warp::body::json())
        .map(move |b: Value| {
            let name = b["username"].as_str().unwrap_or("anon");
            warp::reply::with_status(
                warp::reply::json(&json!({ "user": u(name) })),
                warp::http::StatusCode::CREATED,
            )
        });
    let u = user.clone();
    let login = warp::path!("api" / "login").and(warp::post()).and(warp::body::json()).map(move |b: Value| {
        let name = b["username"].as_str().unwrap_or("anon");
        warp::reply::json(&json!({ "token": name, "user": u(name), "expires_at": "2099-01-01T00:00:00.000Z" }))
    });
    let me = warp::path!("api" / "me")
        .map(|| warp::reply::json(&json!({ "user": { "id": 1, "username": "bare" } })));
    // Upgraded by hand, like the real server, so both use the same small
    // read buffer (warp's `ws()` leaves tungstenite's 128 KiB, zeroed on
    // every read): the floor must not be handicapped.
    let ws = warp::path!("ws")
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<OnUpgrade>())
        .map(move |headers: HeaderMap, on_upgrade: Option<OnUpgrade>| {
            let (Some(key), Some(on_upgrade)) = (headers.get("sec-websocket-key"), on_upgrade)
            else {
                return warp::reply::with_status(
                    "expected a WebSocket upgrade",
                    StatusCode::BAD_REQUEST,
                )
                .into_response();
            };
            let name = headers
                .get("authorization")
                .and_then(|a| a.to_str().ok()?.strip_prefix("Bearer ").map(str::to_owned))
                .unwrap_or_else(|| "anon".into());
            let (rooms, me) = (rooms.clone(), user(&name));
            tokio::spawn(async move {
                if let Ok(upgraded) = on_upgrade.await {
                    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
                    let socket = WebSocketStream::from_raw_socket(
                        TokioIo::new(upgraded),
                        Role::Server,
                        Some(config),
                    )
                    .await;
                    connection(socket, rooms, me).await;
                }
            });
            let mut res = Response::default();
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let h = res.headers_mut();
            h.insert("connection", "upgrade".parse().expect("valid"));
            h.insert("upgrade", "websocket".parse().expect("valid"));
            h.insert(
                "sec-websocket-accept",
                derive_accept_key(key.as_bytes()).parse().expect("base64"),
            );
            res
        });
    warp::serve(register.or(login).or(me).or(ws))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}

async fn connection(socket: WebSocket, rooms: Arc<Rooms>, me: Value) {
    let (mut tx, mut rx) = socket.split();
    let ready = json!({ "type": "ready", "user": me, "rooms": ["general"] }).to_string();
    if tx.send(Message::text(ready)).await.is_err() {
        return;
    }
    let mut sub: Option<broadcast::Receiver<Arc<str>>> = None;
    loop {
        tokio::select! {
            frame = rx.next() => {
                let Some(Ok(Message::Text(text))) = frame else {
                    if matches!(frame, Some(Ok(_))) { continue } else { return }
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let room = v["room"].as_str().unwrap_or("general").to_owned();
                match v["type"].as_str() {
                    Some("join") => {
                        sub = Some(rooms.room(&room).tx.subscribe());
                        let _ = tx.feed(Message::text(json!({ "type": "history", "room": room, "messages": [], "has_more": false }).to_string())).await;
                        let _ = tx.feed(Message::text(json!({ "type": "presence", "room": room, "online": [me] }).to_string())).await;
                    }
                    Some("send") => {
                        let r = rooms.room(&room);
                        let mut last_id = r.last_id.lock().unwrap();
                        *last_id += 1;
                        let frame = json!({ "type": "message", "message": {
                            "id": *last_id, "room": room, "author": me, "body": v["body"],
                            "sent_at": "2026-01-01T00:00:00.000Z", "client_id": v["client_id"],
                        }});
                        let _ = r.tx.send(frame.to_string().into());
                    }
                    _ => {}
                }
                if tx.flush().await.is_err() {
                    return;
                }
            }
            Ok(text) = async { sub.as_mut().expect("guarded").recv().await }, if sub.is_some() => {
                let _ = tx.feed(Message::text(&*text)).await;
                // Take what else is ready, then flush once.
                while let Some(Ok(text)) = sub.as_mut().and_then(|s| s.recv().now_or_never()) {
                    let _ = tx.feed(Message::text(&*text)).await;
                }
                if tx.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
