//! One WebSocket connection: a task that reads client frames, delivers its
//! rooms' events in id order, and resyncs from the store when it falls
//! behind.

mod lifecycle;
mod requests;
mod rooms;

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use messenger_core::{
    ClientId, Delivery, Error, ErrorCode, EventKind, HistoryQuery, Message, MessageBody, MessageId,
    Posted, PresenceGuard, RoomEvent, RoomName, Subscription,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_stream::StreamMap;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use crate::auth::{self, Authed};
use crate::frames::{ClientFrame, ServerFrame, client_id_of, encode_event, v1_page, v1_view};
use crate::metrics::SocketMetrics;
use crate::web::Web;
use crate::wire::{CoalescingIo, fragments};

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
    socket: Socket,
    out: Vec<WsMessage>,
    /// The socket's posts in flight, answered in the order they were sent.
    posts: FuturesOrdered<InFlight>,
    rooms: HashMap<RoomName, Room>,
    subs: StreamMap<RoomName, Subscription>,
    lags: VecDeque<Instant>,
    metrics: SocketMetrics,
    /// Speaks the v2 additions (`/ws?v=2`): room list, activity, mentions, reads.
    v2: bool,
    /// The user's own events (rooms added or removed, reads, mentions).
    user_events: Subscription,
    /// v2: the member rooms this socket has not joined, watched for activity.
    watched: StreamMap<RoomName, Subscription>,
    /// v2: the newest id announced by `activity` per watched room.
    activity: HashMap<RoomName, MessageId>,
}

/// Why the loop ends.
enum End {
    /// Send this close frame.
    Close(u16, std::borrow::Cow<'static, str>),
    /// The peer is gone or broke the connection; nothing to send.
    Gone,
}

pub(crate) async fn run(web: Web, authed: Authed, socket: Socket, v2: bool) {
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
        out: Vec::new(),
        posts: FuturesOrdered::new(),
        rooms: HashMap::new(),
        subs: StreamMap::new(),
        lags: VecDeque::new(),
        metrics: SocketMetrics::open(),
        v2,
        user_events,
        watched: StreamMap::new(),
        activity: HashMap::new(),
    };
    let (ping_interval, idle_timeout) = (web.config().ping_interval, web.config().idle_timeout);
    let mut revocations = web.messenger().revocations();
    let shutdown = web.shutdown_token().clone();
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    let mut last_heard = Instant::now();
    let mut pings = 0u32;

    Box::pin(conn.ready()).await;

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
                                Ok(r) if conn.authed.revoked_by(&r) => Some(Box::pin(conn.logged_out()).await),
                Ok(_) | Err(RecvError::Closed) => None,
                // Missed some revocations: ask the store whether ours is among them.
                Err(RecvError::Lagged(_)) => Box::pin(conn.recheck()).await,
            },
            Some((room, client_id, result)) = conn.posts.next(), if !conn.posts.is_empty() => {
                Box::pin(conn.posted(&room, &client_id, result)).await
            }
            frame = conn.socket.next(), if conn.posts.len() < MAX_POSTS_IN_FLIGHT => match frame {
                Some(Ok(msg)) => {
                    last_heard = Instant::now();
                    Box::pin(conn.incoming(msg)).await
                }
                Some(Err(WsError::Capacity(_))) => Some(End::Close(close::MESSAGE_TOO_BIG, "message exceeds the server's hard limit".into())),
                // RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection with 1007.
                Some(Err(WsError::Utf8(_))) => Some(End::Close(close::INVALID_PAYLOAD, "text frame is not valid UTF-8".into())),
                _ => Some(End::Gone),
            },
                        Some(delivery) = conn.user_events.next() => Box::pin(conn.user_event(delivery)).await,
            Some((room, delivery)) = conn.watched.next(), if !conn.watched.is_empty() => {
                conn.watched_event(room, delivery);
                None
            }
            Some((room, delivery)) = conn.subs.next(), if !conn.subs.is_empty() => {
                let mut step = conn.deliver(room, delivery).await;
                // Take whatever else is ready now, then flush once.
                for _ in 0..COALESCE {
                    if step.is_some() {
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
                    Box::pin(conn.recheck()).await
                } else {
                    conn.out.push(WsMessage::Ping(Bytes::new()));
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
    // Dropping `conn` drops the presence guards: the user leaves its rooms.
}

impl Conn {
    fn push(&mut self, text: String) {
        self.out.extend(fragments(Bytes::from(text)));
    }

    fn error(&mut self, code: ErrorCode, message: &str, client_id: Option<&str>) {
        let frame = ServerFrame::Error {
            code,
            message,
            client_id,
        }
        .encode();
        self.push(frame);
    }

    fn refuse(&mut self, e: Error, client_id: Option<&str>) {
        let message = crate::requests::public_message(&e);
        self.error(e.code(), &message, client_id);
    }

    /// Writes what is queued. A client that does not take it within the
    /// send timeout cannot keep up and is disconnected.
    async fn flush(&mut self) -> Result<(), ()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.metrics.flush();
        let timeout = self.web.config().send_timeout;
        let out = std::mem::take(&mut self.out);
        let tx = &mut self.socket;
        let write = async move {
            for m in out {
                tx.feed(m).await?;
            }
            tx.flush().await
        };
        // Boxed: the task of every idle socket would otherwise carry room
        // for this future (and its timer) all the time.
        match Box::pin(tokio::time::timeout(timeout, write)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }

    /// The session ended: logged out, or the user was banned (then the
    /// error and the close frame say so, with the moderator's reason).
    async fn logged_out(&mut self) -> End {
        let banned = self
            .web
            .messenger()
            .standing(self.authed.user.id)
            .await
            .ok()
            .and_then(|s| s.ban);
        let Some(ban) = banned else {
            self.error(ErrorCode::Unauthorized, "logged out", None);
            return End::Close(close::POLICY, "logged out".into());
        };
        let message = Error::Banned {
            reason: ban.reason.as_str().to_owned(),
        }
        .to_string();
        self.error(ErrorCode::Forbidden, &message, None);
        // A close reason is at most 123 bytes (RFC 6455 §5.5).
        let mut reason = message;
        while reason.len() > 123 {
            reason.pop();
        }
        End::Close(close::POLICY, reason.into())
    }

    async fn recheck(&mut self) -> Option<End> {
        match auth::still_valid(&self.web, &self.authed).await {
            Ok(true) => {
                self.out.push(WsMessage::Ping(Bytes::new()));
                None
            }
            Ok(false) => Some(self.logged_out().await),
            // Cannot tell now (the store or the host is down): ask again later.
            Err(_) => None,
        }
    }

    async fn incoming(&mut self, msg: WsMessage) -> Option<End> {
        let text = match &msg {
            WsMessage::Text(text) => text.as_str(),
            WsMessage::Binary(_) => {
                self.error(
                    ErrorCode::Invalid,
                    "binary frames are not supported; send JSON text frames",
                    None,
                );
                return None;
            }
            WsMessage::Close(_) => return Some(End::Gone),
            // Pings are answered by tungstenite; pongs only prove liveness.
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => return None,
        };
        let limit = self.web.messenger().config().limits.frame_bytes;
        if text.len() > limit {
            self.error(
                ErrorCode::TooLarge,
                &format!("frame exceeds {limit} bytes"),
                None,
            );
            return None;
        }
        let raw: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.error(ErrorCode::Invalid, &format!("frame is not JSON: {e}"), None);
                return None;
            }
        };
        let client_id = client_id_of(&raw);
        let frame: ClientFrame = match serde_json::from_value(raw) {
            Ok(f) => f,
            Err(e) => {
                self.error(
                    ErrorCode::Invalid,
                    &format!("bad frame: {e}"),
                    client_id.as_deref(),
                );
                return None;
            }
        };
        let result = match frame {
            ClientFrame::Join { room, since, rev } => {
                self.join(&room, since.map(MessageId), rev).await
            }
            ClientFrame::Send {
                room,
                body,
                client_id,
            } => self.send(&room, &body, &client_id).await,
            ClientFrame::Typing { room } => self.typing(&room).await,
            ClientFrame::History {
                room,
                around: Some(around),
                limit,
                ..
            } => self.history_around(&room, MessageId(around), limit).await,
            ClientFrame::History {
                room,
                before,
                limit,
                around: None,
            } => self.history(&room, before, limit).await,
            ClientFrame::Leave { room } => self.leave(&room).await,
            other => self.request(other).await,
        };
        if let Err(e) = result {
            self.refuse(e, client_id.as_deref());
        }
        None
    }

    /// A client's room name, if its user may read the room.
    async fn room(&mut self, raw: &str) -> Result<RoomName, Error> {
        self.web.messenger().room_for(raw, &self.authed.user).await
    }

    async fn join(
        &mut self,
        raw: &str,
        since: Option<MessageId>,
        rev: Option<u64>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let room = self.room(raw).await?;
        if !self.rooms.contains_key(&room) {
            let joined = m.join(&room, &self.authed.user).await?;
            // Joined rooms deliver everything; no need to watch them too.
            self.watched.remove(&room);
            self.subs.insert(room.clone(), joined.subscription);
            self.metrics.joined();
            self.rooms.insert(
                room.clone(),
                Room {
                    last: MessageId(0),
                    rev: 0,
                    _presence: joined.presence,
                },
            );
            self.send_history_for_join(&room, since).await?;
            self.sync_changes(&room, since.zip(rev)).await?;
            let online = ServerFrame::Presence {
                room: &room,
                online: &joined.online,
            }
            .encode();
            self.push(online);
        } else {
            self.send_history_for_join(&room, since).await?;
            self.sync_changes(&room, since.zip(rev)).await?;
        }
        Ok(())
    }

    /// The history a join answers: everything after `since`, in pages until
    /// caught up, or else the latest page. Sets the room's delivery mark.
    async fn send_history_for_join(
        &mut self,
        room: &RoomName,
        since: Option<MessageId>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let limits = &m.config().limits;
        let mut last = match since {
            None => {
                let page = m
                    .history(
                        &self.authed.user,
                        room,
                        HistoryQuery::latest(limits.history_default),
                    )
                    .await?;
                let has_more = page.first().is_some_and(|first| first.id.0 > 1);
                self.push_history(room, &page, has_more);
                page.last().map_or(MessageId(0), |l| l.id)
            }
            Some(since) => {
                let mut last = since;
                loop {
                    let page = m
                        .history(
                            &self.authed.user,
                            room,
                            HistoryQuery::after(last, limits.history_max),
                        )
                        .await?;
                    let full = page.len() == limits.history_max;
                    self.push_history(room, &page, full);
                    if let Some(l) = page.last() {
                        last = l.id;
                    }
                    if !full {
                        break;
                    }
                    self.flush()
                        .await
                        .map_err(|()| Error::Internal("client too slow".into()))?;
                }
                last
            }
        };
        if since.is_some_and(|s| s == last && s.0 > 0) {
            // A `since` beyond the newest message must not hide the next ones.
            let newest = m
                .history(&self.authed.user, room, HistoryQuery::latest(1))
                .await?;
            last = last.min(newest.last().map_or(MessageId(0), |n| n.id));
        }
        if let Some(r) = self.rooms.get_mut(room) {
            r.last = r.last.max(last);
        }
        Ok(())
    }

    fn push_history(&mut self, room: &RoomName, messages: &[Message], has_more: bool) {
        self.metrics.delivered(messages.len());
        let messages = if self.v2 {
            std::borrow::Cow::Borrowed(messages)
        } else {
            v1_page(messages)
        };
        let frame = ServerFrame::History {
            room,
            messages: &messages,
            has_more,
            around: None,
            has_newer: None,
        }
        .encode();
        self.push(frame);
    }

    /// A message as this socket's protocol version shows it.
    fn message_frame(&self, message: &Message) -> String {
        if self.v2 {
            ServerFrame::Message { message }.encode()
        } else {
            ServerFrame::Message {
                message: &v1_view(message),
            }
            .encode()
        }
    }

    /// Queues the post and keeps it in flight; [`Conn::posted`] answers it.
    async fn send(&mut self, raw_room: &str, body: &str, client_id: &str) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let limits = &m.config().limits;
        let room = self.room(raw_room).await?;
        let client_id = ClientId::parse(client_id, limits)?;
        let body = MessageBody::parse(body, limits)?;
        let raw_client_id = client_id.as_str().to_owned();
        let pending = m
            .enqueue_post(&self.authed.user, &room, body, client_id)
            .await?;
        self.posts
            .push_back(pending.map(move |r| (room, raw_client_id, r)).boxed());
        Ok(())
    }

    /// Answers a send with exactly one frame on this socket: a new message
    /// by the room's own stream (in order, once), anything else here.
    async fn posted(
        &mut self,
        room: &RoomName,
        client_id: &str,
        result: Result<Posted, Error>,
    ) -> Option<End> {
        let posted = match result {
            Ok(posted) => posted,
            Err(e) => {
                self.refuse(e, Some(client_id));
                return None;
            }
        };
        if let Some(state) = self.rooms.get(room) {
            if posted.created {
                return None;
            }
            // A resend. Keep the room's stream in order: deliver it up to
            // the original first, if this socket has not had it yet.
            let id = posted.message.id;
            if id > state.last
                && let Some(end) = self.catch_up(room, Some(MessageId(id.0 + 1))).await
            {
                return Some(end);
            }
        }
        let frame = self.message_frame(&posted.message);
        self.metrics.delivered(1);
        self.push(frame);
        None
    }

    async fn typing(&mut self, raw: &str) -> Result<(), Error> {
        let room = self.room(raw).await?;
        self.web
            .messenger()
            .typing(&room, &self.authed.user)
            .await?;
        Ok(())
    }

    async fn history(
        &mut self,
        raw: &str,
        before: Option<u64>,
        limit: Option<usize>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let room = self.room(raw).await?;
        let limit = limit.unwrap_or(m.config().limits.history_default);
        let query = match before {
            Some(b) => HistoryQuery::before(MessageId(b), limit),
            None => HistoryQuery::latest(limit),
        };
        let page = m.history(&self.authed.user, &room, query).await?;
        let has_more = page.first().is_some_and(|f| f.id.0 > 1);
        self.push_history(&room, &page, has_more);
        Ok(())
    }

    async fn leave(&mut self, raw: &str) -> Result<(), Error> {
        let room = RoomName::parse(raw, &self.web.messenger().config().limits)?;
        if !self.rooms.contains_key(&room) {
            // Not joined here: answer as for a room one cannot read.
            self.room(raw).await?;
            return Ok(());
        }
        self.unjoin(&room).await?;
        // A v2 socket keeps an eye on its other rooms.
        self.watch(&room).await;
        Ok(())
    }

    /// Stops delivering a joined room here and leaves its presence.
    async fn unjoin(&mut self, room: &RoomName) -> Result<(), Error> {
        self.subs.remove(room);
        if let Some(r) = self.rooms.remove(room) {
            self.metrics.left();
            r._presence.leave().await?;
        }
        Ok(())
    }

    async fn deliver(&mut self, room: RoomName, delivery: Delivery) -> Option<End> {
        match delivery {
            Delivery::Event(event) => self.deliver_event(&room, event).await,
            Delivery::Lagged { missed } => {
                let now = Instant::now();
                let window = self.web.config().lag_window;
                self.lags.retain(|t| now.duration_since(*t) < window);
                self.lags.push_back(now);
                if self.lags.len() > self.web.config().max_lags as usize {
                    return Some(End::Close(
                        close::TRY_AGAIN_LATER,
                        "too slow: reconnect and join with since".into(),
                    ));
                }
                tracing::debug!(room = %room, missed, "socket lagged; resyncing from the store");
                SocketMetrics::resynced();
                if let Some(end) = Box::pin(self.catch_up(&room, None)).await {
                    return Some(end);
                }
                Box::pin(self.catch_up_changes(&room, u64::MAX)).await
            }
        }
    }

    async fn deliver_event(&mut self, room: &RoomName, event: RoomEvent) -> Option<End> {
        match event.kind() {
            EventKind::Message(message) => {
                let state = self.rooms.get_mut(room)?;
                if message.id <= state.last {
                    return None; // already delivered (history or resync)
                }
                if message.id.0 > state.last.0 + 1 {
                    // A gap: fetch what is missing from the store first.
                    if let Some(end) = Box::pin(self.catch_up(room, Some(message.id))).await {
                        return Some(end);
                    }
                    let state = self.rooms.get_mut(room)?;
                    if state.last >= message.id {
                        return None;
                    }
                    state.last = message.id;
                } else {
                    state.last = message.id;
                }
                self.metrics.delivered(1);
                self.out.extend(fragments(event.encoded(encode_event)));
                None
            }
            EventKind::Changed(message) => {
                if !self.v2 {
                    return None;
                }
                let last_rev = self.rooms.get(room)?.rev;
                if message.rev <= last_rev {
                    return None; // already delivered (join or resync)
                }
                if message.rev > last_rev + 1 {
                    // A gap in change numbers: the store has the missing ones.
                    if let Some(end) = Box::pin(self.catch_up_changes(room, message.rev)).await {
                        return Some(end);
                    }
                }
                let state = self.rooms.get_mut(room)?;
                if message.rev <= state.rev {
                    return None;
                }
                state.rev = message.rev;
                self.out.extend(fragments(event.encoded(encode_event)));
                None
            }
            EventKind::Typing { user, .. } if user.id == self.authed.user.id => None,
            _ => {
                self.out.extend(fragments(event.encoded(encode_event)));
                None
            }
        }
    }

    /// Delivers from the store every message after the room's mark, in
    /// pages, up to (not including) `until` when given.
    async fn catch_up(&mut self, room: &RoomName, until: Option<MessageId>) -> Option<End> {
        let m = self.web.messenger().clone();
        let page_size = m.config().limits.history_max;
        loop {
            let last = self.rooms.get(room)?.last;
            let query = HistoryQuery {
                before: until,
                after: Some(last),
                limit: page_size,
            };
            let page = match m.history(&self.authed.user, room, query).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "resync from the store failed");
                    return None;
                }
            };
            let newest = page.last().map(|l| l.id)?;
            self.metrics.delivered(page.len());
            for message in &page {
                let frame = self.message_frame(message);
                self.push(frame);
            }
            self.rooms.get_mut(room)?.last = newest;
            if page.len() < page_size {
                return None;
            }
            if self.flush().await.is_err() {
                return Some(End::Close(
                    close::TRY_AGAIN_LATER,
                    "too slow: reconnect and join with since".into(),
                ));
            }
        }
    }
}
