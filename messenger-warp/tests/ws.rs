//! The WebSocket contract, over real sockets.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{GeneralRoom, Server};
use futures_util::StreamExt;
use messenger_core::store::{Appended, MessageStore, NewMessage, StoreError};
use messenger_core::{ClientId, HistoryQuery, MemoryStore, Messenger, RoomName, UserId};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn ids(history: &Value) -> Vec<u64> {
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn upgrade_needs_a_session_and_our_origin() {
    let s = Server::start().await;
    let (token, _) = s.user("wsauth").await;
    assert_eq!(s.try_ws(None, None).await.err(), Some(401));
    assert_eq!(s.try_ws(Some("not-a-token"), None).await.err(), Some(401));
    assert_eq!(
        s.try_ws(Some(&token), Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    let own = format!("http://{}", s.addr);
    assert!(s.try_ws(Some(&token), Some(&own)).await.is_ok());
    assert!(s.try_ws(Some(&token), None).await.is_ok());
}

#[tokio::test]
async fn ready_join_history_presence_and_chat_between_two_users() {
    let s = Server::start().await;
    let (ta, a_id) = s.user("alice").await;
    let (tb, _) = s.user("bob").await;
    let mut a = s.ws(&ta).await;
    let (history, presence) = a.join(None).await;
    assert_eq!(history["room"], "general");
    assert_eq!(history["messages"], json!([]));
    assert_eq!(history["has_more"], false);
    assert_eq!(
        presence["online"],
        json!([{ "id": a_id, "username": "alice" }])
    );

    let mut b = s.ws(&tb).await;
    let (_, presence) = b.join(None).await;
    let names: Vec<&str> = presence["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"bob"));
    // Diffs are coalesced; the one naming bob arrives within a second or so.
    loop {
        let diff = a.until("presence_diff").await;
        if diff["joined"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "bob")
        {
            break;
        }
    }

    a.say("hello <b>bob</b>", "a-1").await;
    for ws in [&mut a, &mut b] {
        let m = ws.until("message").await;
        assert_eq!(m["message"]["id"], 1);
        assert_eq!(m["message"]["body"], "hello <b>bob</b>");
        assert_eq!(m["message"]["author"]["username"], "alice");
        assert_eq!(m["message"]["client_id"], "a-1");
        assert_eq!(m["message"]["room"], "general");
    }

    b.send(json!({ "type": "typing", "room": "general" })).await;
    let t = a.until("typing").await;
    assert_eq!(t["user"]["username"], "bob");

    drop(b);
    let diff = a.until("presence_diff").await;
    assert_eq!(diff["left"][0]["username"], "bob");
}

#[tokio::test]
async fn a_resent_client_id_stores_nothing_new() {
    let s = Server::start().await;
    let (t, _) = s.user("retry").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    ws.say("only once", "same-id").await;
    let first = ws.until("message").await;
    // Joined: the resend is answered too (the stored message, as a reply),
    // and the room's own stream goes on once, in order.
    ws.say("only once", "same-id").await;
    let answer = ws.until("message").await;
    assert_eq!(answer["message"], first["message"]);
    ws.say("next", "other-id").await;
    let next = ws.until("message").await;
    assert_eq!(next["message"]["body"], "next");
    assert_eq!(
        next["message"]["id"],
        first["message"]["id"].as_u64().unwrap() + 1
    );

    // Pipelined twice before either is answered: two answers, the room's
    // delivery of the original first.
    ws.say("twice", "pipelined").await;
    ws.say("twice", "pipelined").await;
    ws.say("after", "after-id").await;
    let mut seen = Vec::new();
    loop {
        let f = ws.until("message").await;
        seen.push((
            f["message"]["id"].as_u64().unwrap(),
            f["message"]["client_id"].as_str().unwrap().to_owned(),
        ));
        if seen.last().unwrap().1 == "after-id" {
            break;
        }
    }
    let twice = next["message"]["id"].as_u64().unwrap() + 1;
    assert_eq!(
        seen,
        [
            (twice, "pipelined".to_owned()),
            (twice, "pipelined".to_owned()),
            (twice + 1, "after-id".to_owned())
        ]
    );

    // Not joined: the retry answers the stored message directly.
    let mut other = s.ws(&t).await;
    other.say("only once", "same-id").await;
    let echo = other.until("message").await;
    assert_eq!(echo["message"], first["message"]);
    let r = s
        .http
        .get(s.url("/api/rooms/general/messages"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["messages"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "only once, next, twice, after"
    );
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_socket_stays_usable() {
    let s = Server::start().await;
    let (t, _) = s.user("fuzzer").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    let cases: Vec<(Message, &str)> = vec![
        (Message::text("not json"), "invalid"),
        (Message::text("[1,2]"), "invalid"),
        (Message::text(r#"{"type":"dance"}"#), "invalid"),
        (Message::text(r#"{"no_type":1}"#), "invalid"),
        (Message::text(r#"{"type":"join","room":5}"#), "invalid"),
        (
            Message::text(r#"{"type":"join","room":"Nope!"}"#),
            "invalid",
        ),
        (
            Message::text(r#"{"type":"join","room":"nowhere"}"#),
            "not_found",
        ),
        // An id past the store's range would wrap to -1 and replay the room.
        (
            Message::text(r#"{"type":"join","room":"general","since":18446744073709551615}"#),
            "invalid",
        ),
        (
            Message::text(
                r#"{"type":"send","room":"general","body":"see https://example.com/\u202Egnp.exe","client_id":"bidi"}"#,
            ),
            "invalid",
        ),
        (
            Message::text(r#"{"type":"send","room":"general","body":"   ","client_id":"c1"}"#),
            "invalid",
        ),
        (
            Message::text(r#"{"type":"send","room":"general","body":"x","client_id":""}"#),
            "invalid",
        ),
        (
            Message::text(
                r#"{"type":"send","room":"general","body":"bell\u0007","client_id":"c2"}"#,
            ),
            "invalid",
        ),
        (
            Message::text(
                json!({"type":"send","room":"general","body":"x".repeat(4001),"client_id":"c3"})
                    .to_string(),
            ),
            "too_large",
        ),
        (
            Message::text(
                json!({"type":"send","room":"general","body":"x".repeat(20_000),"client_id":"c4"})
                    .to_string(),
            ),
            "too_large",
        ),
        (
            Message::text(r#"{"type":"history","room":"general","limit":500}"#),
            "invalid",
        ),
        (Message::binary(vec![1u8, 2, 3]), "invalid"),
    ];
    for (frame, code) in cases {
        let shown = format!("{frame:?}").chars().take(80).collect::<String>();
        ws.send_raw(frame).await;
        let e = ws.until("error").await;
        assert_eq!(e["code"], code, "{shown}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    // The error of a send echoes its client_id.
    ws.send(json!({ "type": "send", "room": "general", "body": "", "client_id": "echo-me" }))
        .await;
    assert_eq!(ws.until("error").await["client_id"], "echo-me");
    // Still usable.
    ws.say("still here", "ok-1").await;
    assert_eq!(ws.until("message").await["message"]["body"], "still here");
}

#[tokio::test]
async fn reconnecting_with_since_backfills_exactly_once_in_order() {
    let s = Server::start().await;
    let (ta, _) = s.user("reader").await;
    let (tb, _) = s.user("writer").await;
    let mut writer = s.ws(&tb).await;
    writer.join(None).await;
    let mut reader = s.ws(&ta).await;
    reader.join(None).await;
    for i in 1..=10 {
        writer.say(&format!("before {i}"), &format!("b{i}")).await;
    }
    let mut seen = Vec::new();
    while seen.len() < 10 {
        seen.push(
            reader.until("message").await["message"]["id"]
                .as_u64()
                .unwrap(),
        );
    }
    drop(reader);

    // 450 messages while the reader is away: more than two history pages.
    for i in 1..=450 {
        writer.say(&format!("away {i}"), &format!("w{i}")).await;
    }
    loop {
        if writer.until("message").await["message"]["id"] == 460 {
            break;
        }
    }
    let mut reader = s.ws(&ta).await;
    reader
        .send(json!({ "type": "join", "room": "general", "since": 10 }))
        .await;
    let mut got = Vec::new();
    loop {
        let h = reader.until("history").await;
        got.extend(ids(&h));
        if h["has_more"] == false {
            break;
        }
    }
    reader.until("presence").await;
    writer.say("after", "after-1").await;
    let live = reader.until("message").await;
    got.push(live["message"]["id"].as_u64().unwrap());
    assert_eq!(got, (11..=461).collect::<Vec<_>>());
    // Nothing is delivered twice.
    assert!(
        reader
            .next_within(Duration::from_millis(300))
            .await
            .is_none_or(|f| f["type"] != "message")
    );
}

#[tokio::test]
async fn join_without_since_gives_the_latest_page_and_older_pages_on_request() {
    let s = Server::start().await;
    let (t, _) = s.user("pager").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    for i in 1..=70 {
        ws.say(&format!("n{i}"), &format!("p{i}")).await;
    }
    loop {
        if ws.until("message").await["message"]["id"] == 70 {
            break;
        }
    }
    let mut fresh = s.ws(&t).await;
    let (h, _) = fresh.join(None).await;
    assert_eq!(ids(&h), (21..=70).collect::<Vec<_>>());
    assert_eq!(h["has_more"], true);
    fresh
        .send(json!({ "type": "history", "room": "general", "before": 21, "limit": 15 }))
        .await;
    let older = fresh.until("history").await;
    assert_eq!(ids(&older), (6..=20).collect::<Vec<_>>());
    assert_eq!(older["has_more"], true);
    fresh
        .send(json!({ "type": "history", "room": "general", "before": 6 }))
        .await;
    let oldest = fresh.until("history").await;
    assert_eq!(ids(&oldest), (1..=5).collect::<Vec<_>>());
    assert_eq!(oldest["has_more"], false);

    // Joining again only answers the history again.
    fresh
        .send(json!({ "type": "join", "room": "general", "since": 68 }))
        .await;
    assert_eq!(ids(&fresh.until("history").await), [69, 70]);
}

#[tokio::test]
async fn leave_stops_delivery() {
    let s = Server::start().await;
    let (t, _) = s.user("leaver").await;
    let (t2, _) = s.user("stayer").await;
    let mut a = s.ws(&t).await;
    a.join(None).await;
    let mut b = s.ws(&t2).await;
    b.join(None).await;
    a.send(json!({ "type": "leave", "room": "general" })).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    b.say("anyone?", "q").await;
    b.until("message").await;
    let f = a.next_within(Duration::from_millis(400)).await;
    assert!(f.as_ref().is_none_or(|f| f["type"] != "message"), "{f:?}");
}

#[tokio::test]
async fn logout_closes_the_users_sockets() {
    let s = Server::start().await;
    let (t, _) = s.user("leaving").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    let r = s
        .http
        .post(s.url("/api/logout"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let e = ws.until("error").await;
    assert_eq!(e["code"], "unauthorized");
    let close = ws.until("__close").await;
    assert_eq!(close["code"], 1008);
    assert_eq!(s.try_ws(Some(&t), None).await.err(), Some(401));
}

#[tokio::test]
async fn sending_is_rate_limited_per_user_over_the_socket() {
    let s = Server::with(
        messenger_core::MessengerConfig {
            send_rate: messenger_core::MessengerConfig::default().send_rate,
            ..common::messenger_config()
        },
        common::web_config(),
    )
    .await;
    let (t, _) = s.user("spammer").await;
    let mut ws = s.ws(&t).await;
    for i in 0..40 {
        ws.say("spam", &format!("s{i}")).await;
    }
    let e = ws.until("error").await;
    assert_eq!(e["code"], "rate_limited");
    assert!(e["client_id"].as_str().unwrap().starts_with('s'));
}

/// A client that stops reading never delays the others by more than 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_does_not_delay_a_fast_one() {
    let s = Server::start().await;
    let (ts, _) = s.user("sloth").await;
    let (tf, _) = s.user("hare").await;
    let (tw, _) = s.user("talker").await;
    let mut slow = s.ws(&ts).await;
    slow.join(None).await;
    let mut fast = s.ws(&tf).await;
    fast.join(None).await;
    let mut talker = s.ws(&tw).await;
    talker.join(None).await;
    // `slow` never reads again; its socket buffers fill up.
    let big = "x".repeat(3900);
    let mut worst = Duration::ZERO;
    for i in 0..600 {
        let sent = Instant::now();
        talker.say(&format!("{i} {big}"), &format!("t{i}")).await;
        loop {
            let f = fast.next().await;
            if f["type"] == "message" && f["message"]["client_id"] == format!("t{i}") {
                break;
            }
        }
        worst = worst.max(sent.elapsed());
    }
    assert!(
        worst < Duration::from_millis(100),
        "fast reader waited {worst:?}"
    );
    drop(slow);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let mut s = Server::start().await;
    let (t, _) = s.user("bye").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    s.stop();
    let close = ws.until("__close").await;
    assert_eq!(close["code"], 1001);
    let done = s.done.take().unwrap();
    tokio::time::timeout(Duration::from_secs(5), done)
        .await
        .expect("server stops")
        .unwrap();
    // The stream ends after the close.
    assert!(
        ws.stream
            .next()
            .await
            .is_none_or(|m| m.is_err() || m.unwrap().is_close())
    );
}

#[tokio::test]
async fn pipelined_sends_are_stored_and_answered_in_the_order_sent() {
    let s = Server::start().await;
    let (t, _) = s.user("pipeliner").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    // Far more than the per-socket window, without waiting for answers; a
    // bad one in the middle is refused on its own (errors may overtake
    // posts still in flight: clients reconcile by client_id).
    for i in 0..200 {
        let body = if i == 100 {
            String::new()
        } else {
            format!("m{i}")
        };
        ws.send(json!({ "type": "send", "room": "general", "body": body, "client_id": format!("p{i}") }))
            .await;
    }
    let (mut stored, mut refused) = (Vec::new(), Vec::new());
    let mut last_id = 0;
    while stored.len() + refused.len() < 200 {
        let f = ws.next().await;
        match f["type"].as_str() {
            Some("message") => {
                let id = f["message"]["id"].as_u64().unwrap();
                assert!(id > last_id, "ids grow");
                last_id = id;
                stored.push(f["message"]["client_id"].as_str().unwrap().to_owned());
            }
            Some("error") => refused.push(f["client_id"].as_str().unwrap().to_owned()),
            _ => {}
        }
    }
    let expected: Vec<String> = (0..200)
        .filter(|&i| i != 100)
        .map(|i| format!("p{i}"))
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(refused, ["p100"]);
}

#[tokio::test]
async fn a_text_frame_of_invalid_utf8_closes_with_1007() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::start().await;
    let (t, _) = s.user("bytes").await;
    // tungstenite's client will not send such a frame: the handshake and
    // the frame are written by hand, the answers read by tungstenite.
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Bearer {t}\r\n\r\n",
        s.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // FIN + text, masked, a 4-byte payload with bytes that are never UTF-8.
    let payload = [b'"', 0x80, 0xFF, b'"'];
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    tcp.write_all(&frame).await.unwrap();
    let mut ws = common::Ws::from_stream(
        tokio_tungstenite::WebSocketStream::from_raw_socket(
            tokio_tungstenite::MaybeTlsStream::Plain(tcp),
            tokio_tungstenite::tungstenite::protocol::Role::Client,
            None,
        )
        .await,
    );
    assert_eq!(ws.next().await["type"], "ready");
    let close = ws.until("__close").await;
    assert_eq!(close["code"], 1007);
    // The server is fine.
    let mut again = s.ws(&t).await;
    again.join(None).await;
}

#[tokio::test]
async fn a_close_from_the_client_is_answered_with_a_close() {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let s = Server::start().await;
    let (t, _) = s.user("leaving").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    ws.send_raw(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })))
    .await;
    // RFC 6455 §5.5.1: the server echoes the close; without it a browser
    // reports 1006 (abnormal) instead of the code it sent.
    let close = ws.until("__close").await;
    assert_eq!(close["code"], 1000);
}

#[tokio::test]
async fn a_message_over_the_hard_limit_closes_with_1009() {
    let s = Server::start().await;
    let (t, _) = s.user("huge").await;
    let mut ws = s.ws(&t).await;
    ws.send_raw(Message::text("x".repeat(2 * 1024 * 1024)))
        .await;
    let close = ws.until("__close").await;
    assert_eq!(close["code"], 1009);
}

/// Messages that are stored only once the test opens the gate, so posts
/// are surely in flight when something else happens.
struct GatedMessages {
    inner: Arc<MemoryStore>,
    open: tokio::sync::watch::Receiver<bool>,
}

#[async_trait::async_trait]
impl MessageStore for GatedMessages {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        let mut open = self.open.clone();
        open.wait_for(|o| *o).await.expect("gate kept");
        self.inner.append(batch).await
    }

    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<messenger_core::Message>, StoreError> {
        self.inner.history(room, query).await
    }

    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<messenger_core::Message>, StoreError> {
        self.inner.find_by_client_id(author, client_id).await
    }

    async fn room_heads(
        &self,
        rooms: &[RoomName],
    ) -> Result<Vec<Option<messenger_core::store::RoomHead>>, StoreError> {
        self.inner.room_heads(rooms).await
    }

    async fn find_message(
        &self,
        room: &RoomName,
        id: messenger_core::MessageId,
    ) -> Result<Option<messenger_core::Message>, StoreError> {
        self.inner.find_message(room, id).await
    }

    async fn change(
        &self,
        change: &messenger_core::store::MessageChange,
    ) -> Result<Option<messenger_core::Message>, StoreError> {
        self.inner.change(change).await
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<messenger_core::Message>, StoreError> {
        self.inner.changes(room, after_rev, limit).await
    }

    async fn pins(&self, room: &RoomName) -> Result<Vec<messenger_core::Message>, StoreError> {
        self.inner.pins(room).await
    }

    async fn deleted_after(
        &self,
        rooms: &[(RoomName, messenger_core::MessageId)],
    ) -> Result<Vec<u64>, StoreError> {
        self.inner.deleted_after(rooms).await
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        self.inner.close_room(room, closed).await
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        self.inner.erase_room(room).await
    }

    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, messenger_core::Message)>, StoreError> {
        self.inner.search(rooms, terms, before, limit).await
    }
}

#[tokio::test]
async fn shutdown_answers_the_posts_in_flight_before_closing() {
    let store = Arc::new(MemoryStore::new());
    let (gate, open) = tokio::sync::watch::channel(false);
    let messenger = Messenger::builder()
        .config(common::messenger_config())
        .store(store.clone())
        .messages(Arc::new(GatedMessages { inner: store, open }))
        .build()
        .unwrap();
    let mut s = Server::with_messenger(messenger, common::web_config()).await;
    let (t, _) = s.user("lastwords").await;
    let mut ws = s.ws(&t).await;
    ws.join(None).await;
    for i in 0..20 {
        ws.say(&format!("m{i}"), &format!("w{i}")).await;
    }
    // Frames are handled in order: once this is answered, all 20 were taken,
    // and none can be stored yet.
    ws.send(json!({ "type": "history", "room": "general", "limit": 1 }))
        .await;
    ws.until("history").await;
    s.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.send(true).unwrap();
    let mut answered = Vec::new();
    loop {
        let f = ws.next().await;
        match f["type"].as_str() {
            Some("message") => {
                answered.push(f["message"]["client_id"].as_str().unwrap().to_owned())
            }
            Some("__close") => {
                assert_eq!(f["code"], 1001);
                break;
            }
            _ => {}
        }
    }
    let expected: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    assert_eq!(answered, expected);
}
