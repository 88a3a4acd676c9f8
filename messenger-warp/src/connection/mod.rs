//! One WebSocket connection: a task that reads client frames, delivers its
//! rooms' events in id order, and resyncs from the store when it falls
//! behind.

mod delivery;
mod dialect;
pub(crate) use dialect::Dialect;
mod incoming;
mod joining;
mod order;
mod posting;
mod requests;
mod rooms;
mod session;

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use messenger_core::{Error, MessageId, Posted, PresenceGuard, RoomName, Subscription};
use tokio::io::AsyncWrite;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_stream::StreamMap;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use crate::auth::Authed;
use crate::metrics::SocketMetrics;
use crate::web::Web;
use crate::wire::CoalescingIo;

/// Close codes this server uses.
pub mod close {
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The session was revoked (logout).
    pub const POLICY: u16 = 1008;
    /// A message over the hard size limit arrived.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The client cannot keep up with its rooms even after resyncs.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The user already has as many sockets open as allowed
    /// ([`WebConfig::max_sockets_per_user`](crate::WebConfig::max_sockets_per_user)).
    pub const TOO_MANY_SOCKETS: u16 = 4029;
}

/// An upgraded socket.
pub(crate) type Socket = WebSocketStream<CoalescingIo<TokioIo<Upgraded>>>;

/// Events delivered in one go before the socket is flushed.
const COALESCE: usize = 256;

/// Posts of one socket in flight at once (stored, not yet answered). The
/// socket reads no further frames while this many are pending.
const MAX_POSTS_IN_FLIGHT: usize = 64;

/// A pipelined post: its room, the `client_id` it answers, its outcome.
type InFlight = BoxFuture<'static, (RoomName, String, Result<Posted, Error>)>;

/// Looked up for every delivery: foldhash, not SipHash (SipHash was 4 % of
/// the server's CPU in a fan-out). Its seed is random per process, and
/// the keys are this socket's own joins: nothing for an outsider to flood.
type RoomMap<V> = HashMap<RoomName, V, foldhash::fast::RandomState>;

struct Room {
    /// The last message id delivered to this socket; everything up to it
    /// was delivered once, in order.
    last: MessageId,
    /// v2: the room's last change number delivered (edits and deletes up
    /// to it were delivered, in order).
    rev: u64,
    _presence: PresenceGuard,
}

struct Conn {
    web: Web,
    /// Who the socket belongs to, and what proved it (checked again now and then).
    authed: Authed,
    /// Not split: reads and writes take turns in one task anyway.
    /// Frames queue in its [`CoalescingIo`] until [`Conn::flush`].
    socket: Socket,
    /// The socket's posts in flight, answered in the order they were sent.
    posts: FuturesOrdered<InFlight>,
    rooms: RoomMap<Room>,
    subs: StreamMap<RoomName, Subscription>,
    lags: VecDeque<Instant>,
    metrics: SocketMetrics,
    /// v1, or v1 with the v2 additions (`/ws?v=2`).
    dialect: Dialect,
    /// The user's own events (rooms added or removed, reads, mentions).
    user_events: Subscription,
    /// v2: the member rooms this socket has not joined, watched for activity.
    watched: StreamMap<RoomName, Subscription>,
    /// v2: the newest id announced by `activity` per watched room.
    activity: RoomMap<MessageId>,
}

/// A handler's future, boxed where it is defined. Boxing at the call
/// site would still name the handler's future type in the loop's, so
/// editing any handler would compile the whole loop again (~45 s of a
/// release rebuild); erased here, an edit compiles its own file's code.
/// The per-event delivery path is not boxed: it is the hot one.
type Step<'a> = BoxFuture<'a, Option<End>>;

/// Why the loop ends.
enum End {
    /// Send this close frame.
    Close(u16, std::borrow::Cow<'static, str>),
    /// The peer is gone or broke the connection; nothing to send.
    Gone,
}

/// Serves one socket until it ends. Erased, like the handlers (see
/// [`Step`]): the upgrade's code does not embed the loop's.
pub(crate) fn run(
    web: Web,
    authed: Authed,
    socket: Socket,
    dialect: Dialect,
) -> BoxFuture<'static, ()> {
    Box::pin(serve_socket(web, authed, socket, dialect))
}

async fn serve_socket(web: Web, authed: Authed, socket: Socket, dialect: Dialect) {
    let user_events = match web.messenger().user_events(&authed.user).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "no user events for this socket");
            Subscription::new(futures_util::stream::pending())
        }
    };
    let mut conn = Conn {
        web: web.clone(),
        authed,
        socket,
        posts: FuturesOrdered::new(),
        rooms: RoomMap::default(),
        subs: StreamMap::new(),
        lags: VecDeque::new(),
        metrics: SocketMetrics::open(),
        dialect,
        user_events,
        watched: StreamMap::new(),
        activity: RoomMap::default(),
    };
    let (ping_interval, idle_timeout) = (web.config().ping_interval, web.config().idle_timeout);
    let mut revocations = web.messenger().revocations();
    let shutdown = web.shutdown_token().clone();
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    let mut last_heard = Instant::now();
    let mut pings = 0u32;

    conn.on_ready().await;

    let end = loop {
        if conn.flush().await.is_err() {
            break End::Close(
                close::TRY_AGAIN_LATER,
                "too slow: reconnect and join with since".into(),
            );
        }
        let step = tokio::select! {
            biased;
            _ = shutdown.cancelled() => Some(End::Close(close::GOING_AWAY, "server shutting down".into())),
            revoked = revocations.recv() => match revoked {
                                Ok(r) if conn.authed.revoked_by(&r) => Some(conn.on_logged_out().await),
                Ok(_) | Err(RecvError::Closed) => None,
                // Missed some revocations: ask the store whether ours is among them.
                Err(RecvError::Lagged(_)) => conn.on_recheck().await,
            },
            Some((room, client_id, result)) = conn.posts.next(), if !conn.posts.is_empty() => {
                conn.on_posted(&room, &client_id, result).await
            }
            frame = conn.socket.next(), if conn.posts.len() < MAX_POSTS_IN_FLIGHT => match frame {
                Some(Ok(msg)) => {
                    last_heard = Instant::now();
                    conn.on_frame(msg).await
                }
                Some(Err(WsError::Capacity(_))) => Some(End::Close(close::MESSAGE_TOO_BIG, "message exceeds the server's hard limit".into())),
                // RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection with 1007.
                Some(Err(WsError::Utf8(_))) => Some(End::Close(close::INVALID_PAYLOAD, "text frame is not valid UTF-8".into())),
                _ => Some(End::Gone),
            },
                        Some(delivery) = conn.user_events.next() => conn.on_user_event(delivery).await,
            Some((room, delivery)) = conn.watched.next(), if !conn.watched.is_empty() => {
                conn.watched_event(room, delivery);
                None
            }
            Some((room, delivery)) = conn.subs.next(), if !conn.subs.is_empty() => {
                let mut step = conn.deliver(room, delivery).await;
                // Take whatever else is ready now, then flush once.
                for _ in 0..COALESCE {
                    if step.is_some() || conn.socket.get_ref().is_full() {
                        break;
                    }
                    match conn.subs.next().now_or_never() {
                        Some(Some((room, delivery))) => step = conn.deliver(room, delivery).await,
                        _ => break,
                    }
                }
                step
            }
            _ = ping.tick() => {
                pings += 1;
                if last_heard.elapsed() > idle_timeout {
                    Some(End::Gone)
                } else if pings.is_multiple_of(3) {
                    // Revocations on other nodes reach us through the store;
                    // a host session that ended, through its authenticator.
                    conn.on_recheck().await
                } else {
                    conn.socket.get_mut().ping();
                    None
                }
            }
        };
        if let Some(end) = step {
            break end;
        }
    };
    // Boxed, like every await that is not the idle loop's: a task's size is
    // that of its largest state, and an idle socket should pay for idling only.
    Box::pin(close(conn, end)).await;
}

/// Ends the connection: answers what is in flight, says why, closes.
async fn close(mut conn: Conn, end: End) {
    if let End::Close(code, reason) = end {
        if code == close::TRY_AGAIN_LATER {
            SocketMetrics::closed_slow();
        }
        if code == close::GOING_AWAY {
            // Posts in flight are stored either way. Answer them, and bring
            // the joined rooms up to date from the store (in order, once),
            // so a client shut out by a restart knows what landed.
            let settle = async {
                while let Some((room, client_id, result)) = conn.posts.next().await {
                    if conn.posted(&room, &client_id, result).await.is_some() {
                        return;
                    }
                }
                let rooms: Vec<RoomName> = conn.rooms.keys().cloned().collect();
                for room in rooms {
                    if conn.catch_up(&room, None).await.is_some() {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), Box::pin(settle)).await;
        }
        let _ = conn.flush().await;
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            conn.socket.send(WsMessage::Close(Some(CloseFrame {
                code: code.into(),
                reason: reason.into_owned().into(),
            }))),
        )
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), SinkExt::close(&mut conn.socket)).await;
    // After the peer's close, tungstenite queues its reply in our buffer
    // but stops flushing (the connection counts as closed): write it out,
    // so the peer sees a clean close rather than 1006.
    let io = conn.socket.get_mut();
    let drain = std::future::poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx));
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    // Dropping `conn` drops the presence guards: the user leaves its rooms.
}

impl Conn {
    fn push(&mut self, text: String) {
        self.socket.get_mut().text(text.as_bytes());
    }

    /// Writes what is queued. A client that does not take it within the
    /// send timeout cannot keep up and is disconnected.
    async fn flush(&mut self) -> Result<(), ()> {
        if !self.socket.get_ref().has_pending() {
            return Ok(());
        }
        self.metrics.flush();
        let timeout = self.web.config().send_timeout;
        // Boxed: the task of every idle socket would otherwise carry room
        // for this future (and its timer) all the time.
        match Box::pin(tokio::time::timeout(timeout, self.socket.flush())).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }
}
