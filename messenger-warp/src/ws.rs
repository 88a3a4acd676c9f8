//! The `/ws` endpoint: checks before the upgrade, then one task per socket.
//!
//! The upgrade is done here rather than with `warp::ws()` because warp does
//! not expose tungstenite's buffer sizes, and its 128 KiB read buffer per
//! socket (zeroed again on every read) would cost both memory at 10,000
//! idle sockets and CPU on the broadcast path.

use futures_util::future::BoxFuture;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use messenger_core::ErrorCode;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use warp::http::{HeaderMap, HeaderValue, StatusCode, header};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::auth::{self, Authed};
use crate::connection::{self, Dialect};
use crate::error::ApiError;
use crate::handler::handler;
use crate::sockets::SocketSlot;
use crate::web::Web;
use crate::wire::CoalescingIo;

pub(crate) fn filter(web: Web) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws")
        .and(warp::get())
        .and(version())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<OnUpgrade>())
        .then(
            move |dialect: Dialect, headers: HeaderMap, on_upgrade: Option<OnUpgrade>| {
                handler(upgrade(web.clone(), dialect, headers, on_upgrade))
            },
        )
}

/// v2 if the client asked for the v2 additions (`/ws?v=2`); anything
/// else, no query included, is v1 (docs/protocol.md).
fn version() -> impl Filter<Extract = (Dialect,), Error = std::convert::Infallible> + Clone {
    warp::query::raw()
        .map(|q: String| {
            if q.split('&').any(|pair| pair == "v=2") {
                Dialect::V2
            } else {
                Dialect::V1
            }
        })
        .or(warp::any().map(|| Dialect::V1))
        .unify()
}

async fn upgrade(
    web: Web,
    dialect: Dialect,
    headers: HeaderMap,
    on_upgrade: Option<OnUpgrade>,
) -> Response {
    // Cross-Site WebSocket Hijacking: browsers send cookies on cross-site
    // upgrades, so the Origin must be ours.
    if !auth::origin_allowed(&headers, web.config()) {
        return ApiError::new(ErrorCode::Forbidden, "origin not allowed").into_response();
    }
    let authed = match auth::session_of(&web, &headers).await {
        Ok(Some(authed)) => authed,
        Ok(None) => {
            return ApiError::new(ErrorCode::Unauthorized, "not logged in").into_response();
        }
        Err(e) => return e.into_response(),
    };
    let (Some(key), Some(on_upgrade)) = (websocket_key(&headers), on_upgrade) else {
        return ApiError::new(ErrorCode::Invalid, "expected a WebSocket upgrade").into_response();
    };
    if web.shutdown_token().is_cancelled() {
        return ApiError::new(ErrorCode::Internal, "server is shutting down")
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    let config = socket_config(web.config().ws_hard_limit);
    let max = web.config().max_sockets_per_user;
    let slot = web
        .user_sockets()
        .admit(web.messenger().holds(), authed.user.id, max)
        .await;
    let tracker = web.sockets().clone();
    tracker.spawn(socket_task(
        web, authed, dialect, on_upgrade, slot, config, max,
    ));
    let mut res = Response::default();
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .expect("base64 is a valid header"),
    );
    res
}

/// Finishes the upgrade, then serves the socket. A function of its own,
/// boxed: the task machinery tokio compiles for it is then instantiated
/// for one type that edits to [`upgrade`] do not change.
fn socket_task(
    web: Web,
    authed: Authed,
    dialect: Dialect,
    on_upgrade: OnUpgrade,
    slot: Option<SocketSlot>,
    config: WebSocketConfig,
    max: usize,
) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let io = CoalescingIo::new(TokioIo::new(upgraded));
                let mut socket =
                    WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                // Refused after the upgrade rather than before it: a
                // browser sees a close code and reason, never an HTTP status.
                let Some(_slot) = slot else {
                    let reason = format!("too many open sockets for this account (at most {max})");
                    let _ = socket
                        .close(Some(CloseFrame {
                            code: CloseCode::from(connection::close::TOO_MANY_SOCKETS),
                            reason: reason.into(),
                        }))
                        .await;
                    return;
                };
                connection::run(web, authed, socket, dialect).await;
            }
            Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
        }
    })
}

/// The client's `Sec-WebSocket-Key` when the request is a version-13
/// WebSocket upgrade (RFC 6455 §4.2.1).
fn websocket_key(headers: &HeaderMap) -> Option<&str> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let upgrade =
        has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket");
    let version = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?.to_str().ok()?;
    (upgrade && version && !key.is_empty()).then_some(key)
}

/// Small buffers: most sockets are idle most of the time, and the read
/// buffer is zeroed up to its size on every read. Frames go straight
/// through to the [`CoalescingIo`], which batches them (see `wire`).
fn socket_config(hard_limit: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(hard_limit))
        .max_frame_size(Some(hard_limit))
}
