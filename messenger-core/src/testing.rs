//! The store conformance suite, and helpers for testing code built on this
//! crate. Enable the `testing` feature.
//!
//! Every store adapter runs the same suite against itself:
//!
//! ```
//! use std::sync::Arc;
//! use messenger_core::{MemoryStore, testing::{Stores, run_conformance}};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! run_conformance(|| async { Stores::from_one(Arc::new(MemoryStore::new())) }).await;
//! # }
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::clock::Clock;
use crate::config::Limits;
use crate::external::ExternalId;
use crate::message::{ClientId, HistoryQuery, MessageBody, MessageId, NewMessage};
use crate::room::RoomName;
use crate::rooms::{Room, RoomKind, RoomTitle, RoomTopic};
use crate::session::{SessionRecord, SessionToken};
use crate::store::{MessageStore, RoomStore, SessionStore, StoreError, UserStore};
use crate::user::{User, UserId, Username};

/// The three stores under test (often one object).
#[derive(Clone)]
pub struct Stores {
    /// Users.
    pub users: Arc<dyn UserStore>,
    /// Sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Messages.
    pub messages: Arc<dyn MessageStore>,
    /// Rooms, members, read positions and mentions.
    pub rooms: Arc<dyn RoomStore>,
}

impl Stores {
    /// One object serving all three traits.
    pub fn from_one<S>(store: Arc<S>) -> Self
    where
        S: UserStore + SessionStore + MessageStore + RoomStore,
    {
        Self {
            users: store.clone(),
            sessions: store.clone(),
            messages: store.clone(),
            rooms: store,
        }
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += TimeDelta::from_std(by).expect("duration in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap() + TimeDelta::milliseconds(123)
}

fn name(s: &str) -> Username {
    Username::parse(s, &Limits::default()).expect("valid test username")
}

fn room(s: &str) -> RoomName {
    RoomName::parse(s, &Limits::default()).expect("valid test room")
}

fn new_message(room_name: &RoomName, author: &User, body: &str, client_id: &str) -> NewMessage {
    let l = Limits::default();
    NewMessage {
        room: room_name.clone(),
        author: author.clone(),
        body: MessageBody::parse(body, &l).expect("valid test body"),
        client_id: ClientId::parse(client_id, &l).expect("valid test client id"),
        sent_at: t(10),
    }
}

fn session(user: UserId, created: i64, expires: i64) -> SessionRecord {
    SessionRecord {
        token_hash: SessionToken::generate().hash(),
        user_id: user,
        created_at: t(created),
        last_seen_at: t(created),
        expires_at: t(expires),
        remember: false,
    }
}

/// Runs every conformance case, each against a fresh set of stores from
/// `fresh`. Panics, naming the case, on the first failure.
pub async fn run_conformance<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Stores>,
{
    macro_rules! case {
        ($f:ident) => {{
            let stores = fresh().await;
            $f(stores).await;
        }};
    }
    case!(users_round_trip);
    case!(usernames_are_unique_case_insensitively);
    case!(users_are_listed_and_passwords_replaced);
    case!(external_users_are_created_once_and_renamed);
    case!(external_user_names_share_the_namespace);
    case!(sessions_round_trip);
    case!(deleting_a_users_sessions_spares_others);
    case!(expired_sessions_are_purged);
    case!(message_ids_are_dense_per_room);
    case!(messages_round_trip_exactly);
    case!(client_ids_make_appends_idempotent);
    case!(history_pages);
    case!(concurrent_appends_keep_ids_dense);
    case!(rooms_round_trip);
    case!(memberships_and_members);
    case!(read_positions_and_mentions);
    case!(room_heads_follow_appends);
}

async fn users_round_trip(s: Stores) {
    let ada = s
        .users
        .create_user(&name("Ada"), "$argon2id$x", t(0))
        .await
        .unwrap();
    let bob = s
        .users
        .create_user(&name("bob"), "$argon2id$y", t(1))
        .await
        .unwrap();
    assert_ne!(ada.id, bob.id, "user ids must differ");
    assert_eq!(ada.username.as_str(), "Ada");

    let found = s
        .users
        .find_user_by_name(&name("aDA"))
        .await
        .unwrap()
        .expect("found in any case");
    assert_eq!(found.user, ada);
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$x"));
    assert_eq!(found.created_at, t(0));
    assert_eq!(s.users.find_user(bob.id).await.unwrap(), Some(bob));
    assert_eq!(
        s.users.find_user_by_name(&name("carol")).await.unwrap(),
        None
    );
    assert_eq!(s.users.find_user(UserId(9_999)).await.unwrap(), None);
    s.users.health().await.unwrap();
}

async fn usernames_are_unique_case_insensitively(s: Stores) {
    s.users
        .create_user(&name("Alice"), "h", t(0))
        .await
        .unwrap();
    for taken in ["Alice", "alice", "ALICE"] {
        let err = s
            .users
            .create_user(&name(taken), "h", t(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{taken}: {err:?}");
    }
    assert!(
        s.users
            .create_user(&name("Alice2"), "h", t(0))
            .await
            .is_ok()
    );
}

async fn users_are_listed_and_passwords_replaced(s: Stores) {
    let mut made = Vec::new();
    for (i, n) in ["ann", "ben", "cat", "dan", "eve"].iter().enumerate() {
        made.push(
            s.users
                .create_user(&name(n), &format!("h{i}"), t(i as i64))
                .await
                .unwrap(),
        );
    }
    let first = s.users.list_users(UserId(0), 2).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.user.clone()).collect::<Vec<_>>(),
        made[..2]
    );
    assert_eq!(first[1].password_hash.as_deref(), Some("h1"));
    assert_eq!(first[1].created_at, t(1));
    let rest = s.users.list_users(first[1].user.id, 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|r| r.user.clone()).collect::<Vec<_>>(),
        made[2..]
    );
    assert!(s.users.list_users(made[4].id, 10).await.unwrap().is_empty());

    assert!(
        s.users
            .set_password_hash(made[2].id, "new-hash")
            .await
            .unwrap()
    );
    let cat = s
        .users
        .find_user_by_name(&name("cat"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cat.password_hash.as_deref(), Some("new-hash"));
    assert!(!s.users.set_password_hash(UserId(9_999), "x").await.unwrap());
}

fn external(s: &str) -> ExternalId {
    ExternalId::parse(s).expect("valid test external id")
}

async fn external_users_are_created_once_and_renamed(s: Stores) {
    let users = &s.users;
    assert_eq!(
        users
            .find_user_by_external_id(&external("42"))
            .await
            .unwrap(),
        None
    );
    let ada = users
        .upsert_external_user(&external("42"), &name("ada"), t(0))
        .await
        .unwrap();
    let again = users
        .upsert_external_user(&external("42"), &name("ada"), t(5))
        .await
        .unwrap();
    assert_eq!(again, ada, "the same host id is the same user");
    assert_eq!(
        users
            .find_user_by_external_id(&external("42"))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    let record = users
        .find_user_by_name(&name("ADA"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.user, ada);
    assert_eq!(record.password_hash, None, "no password: no password login");
    assert_eq!(record.created_at, t(0));

    // Posted under the old name, shown under the new one.
    let appended = s
        .messages
        .append(vec![new_message(&room("general"), &ada, "hi", "c1")])
        .await
        .unwrap();
    assert!(appended[0].created);
    let renamed = users
        .upsert_external_user(&external("42"), &name("Ada.Lovelace"), t(9))
        .await
        .unwrap();
    assert_eq!(renamed.id, ada.id);
    assert_eq!(renamed.username.as_str(), "Ada.Lovelace");
    assert_eq!(
        users.find_user(ada.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(users.find_user_by_name(&name("ada")).await.unwrap(), None);
    let page = s
        .messages
        .history(&room("general"), HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page[0].author, renamed);
    // A case-only rename is a rename of one's own name, not a clash.
    let cased = users
        .upsert_external_user(&external("42"), &name("ada.lovelace"), t(10))
        .await
        .unwrap();
    assert_eq!(cased.username.as_str(), "ada.lovelace");

    let other = users
        .upsert_external_user(&external("43"), &name("bob"), t(0))
        .await
        .unwrap();
    assert_ne!(other.id, ada.id);
}

async fn external_user_names_share_the_namespace(s: Stores) {
    let users = &s.users;
    let registered = users.create_user(&name("Carol"), "h", t(0)).await.unwrap();
    let err = users
        .upsert_external_user(&external("7"), &name("carol"), t(0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users
            .find_user_by_external_id(&external("7"))
            .await
            .unwrap(),
        None,
        "a refused upsert creates nothing"
    );
    let dave = users
        .upsert_external_user(&external("7"), &name("dave"), t(0))
        .await
        .unwrap();
    let err = users
        .upsert_external_user(&external("7"), &name("CAROL"), t(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users
            .find_user_by_external_id(&external("7"))
            .await
            .unwrap(),
        Some(dave),
        "a refused rename changes nothing"
    );
    let err = users
        .create_user(&name("DAVE"), "h", t(2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users.find_user(registered.id).await.unwrap(),
        Some(registered)
    );
}

async fn sessions_round_trip(s: Stores) {
    let u = s.users.create_user(&name("sam"), "h", t(0)).await.unwrap();
    let mut rec = session(u.id, 0, 100);
    rec.remember = true;
    s.sessions.create_session(&rec).await.unwrap();
    assert_eq!(
        s.sessions.find_session(&rec.token_hash).await.unwrap(),
        Some(rec.clone())
    );

    s.sessions
        .touch_session(&rec.token_hash, t(50))
        .await
        .unwrap();
    let touched = s
        .sessions
        .find_session(&rec.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, t(50));
    assert_eq!(touched.expires_at, rec.expires_at);

    assert!(s.sessions.delete_session(&rec.token_hash).await.unwrap());
    assert!(!s.sessions.delete_session(&rec.token_hash).await.unwrap());
    assert_eq!(
        s.sessions.find_session(&rec.token_hash).await.unwrap(),
        None
    );
    let unknown = SessionToken::generate().hash();
    assert_eq!(s.sessions.find_session(&unknown).await.unwrap(), None);
}

async fn deleting_a_users_sessions_spares_others(s: Stores) {
    let a = s.users.create_user(&name("amy"), "h", t(0)).await.unwrap();
    let b = s.users.create_user(&name("ben"), "h", t(0)).await.unwrap();
    let (a1, a2, b1) = (
        session(a.id, 0, 100),
        session(a.id, 0, 100),
        session(b.id, 0, 100),
    );
    for r in [&a1, &a2, &b1] {
        s.sessions.create_session(r).await.unwrap();
    }
    assert_eq!(s.sessions.delete_user_sessions(a.id).await.unwrap(), 2);
    assert_eq!(s.sessions.find_session(&a1.token_hash).await.unwrap(), None);
    assert_eq!(s.sessions.find_session(&a2.token_hash).await.unwrap(), None);
    assert!(
        s.sessions
            .find_session(&b1.token_hash)
            .await
            .unwrap()
            .is_some()
    );
}

async fn expired_sessions_are_purged(s: Stores) {
    let u = s.users.create_user(&name("eve"), "h", t(0)).await.unwrap();
    let past_absolute = session(u.id, 0, 10);
    let idle = session(u.id, 0, 1_000);
    let mut fresh = session(u.id, 0, 1_000);
    fresh.last_seen_at = t(90);
    for r in [&past_absolute, &idle, &fresh] {
        s.sessions.create_session(r).await.unwrap();
    }
    // At t=100, sessions unused since before t=50 are idle.
    let purged = s
        .sessions
        .delete_expired_sessions(t(100), t(50))
        .await
        .unwrap();
    assert_eq!(purged, 2);
    assert!(
        s.sessions
            .find_session(&fresh.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.sessions.find_session(&idle.token_hash).await.unwrap(),
        None
    );
}

async fn message_ids_are_dense_per_room(s: Stores) {
    let u = s.users.create_user(&name("max"), "h", t(0)).await.unwrap();
    let (general, other) = (room("general"), room("other"));
    let batch = vec![
        new_message(&general, &u, "g1", "1"),
        new_message(&other, &u, "o1", "2"),
        new_message(&general, &u, "g2", "3"),
    ];
    let out = s.messages.append(batch).await.unwrap();
    let ids: Vec<(String, u64)> = out
        .iter()
        .map(|a| (a.message.room.to_string(), a.message.id.0))
        .collect();
    assert_eq!(
        ids,
        [
            ("general".into(), 1),
            ("other".into(), 1),
            ("general".into(), 2)
        ]
    );
    assert!(out.iter().all(|a| a.created));
    let next = s
        .messages
        .append(vec![new_message(&general, &u, "g3", "4")])
        .await
        .unwrap();
    assert_eq!(next[0].message.id, MessageId(3));
    s.messages.health().await.unwrap();
}

async fn messages_round_trip_exactly(s: Stores) {
    let u = s
        .users
        .create_user(&name("Zoe_X.9"), "h", t(0))
        .await
        .unwrap();
    let general = room("general");
    let text = "line one\n\tindented <b>not html</b> & “quotes” 😀";
    let stored = s
        .messages
        .append(vec![new_message(&general, &u, text, "rt-1")])
        .await
        .unwrap();
    let page = s
        .messages
        .history(&general, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page, vec![stored[0].message.clone()]);
    let m = &page[0];
    assert_eq!(m.body.as_str(), text);
    assert_eq!(m.author, u);
    assert_eq!(m.sent_at, t(10), "millisecond timestamps survive");
    assert_eq!(m.client_id.as_str(), "rt-1");
}

async fn client_ids_make_appends_idempotent(s: Stores) {
    let a = s.users.create_user(&name("ann"), "h", t(0)).await.unwrap();
    let b = s.users.create_user(&name("bea"), "h", t(0)).await.unwrap();
    let general = room("general");
    let first = s
        .messages
        .append(vec![new_message(&general, &a, "hello", "same")])
        .await
        .unwrap();
    assert!(first[0].created);

    // Retried alone, retried inside a batch twice, and reused by someone else.
    let out = s
        .messages
        .append(vec![
            new_message(&general, &a, "hello again?", "same"),
            new_message(&general, &a, "fresh", "new"),
            new_message(&general, &a, "fresh dup", "new"),
            new_message(&general, &b, "bea's own", "same"),
        ])
        .await
        .unwrap();
    assert!(!out[0].created);
    assert_eq!(
        out[0].message, first[0].message,
        "retry answers the stored message"
    );
    assert!(out[1].created);
    assert_eq!(out[1].message.id, MessageId(2));
    assert!(!out[2].created);
    assert_eq!(out[2].message, out[1].message);
    assert!(out[3].created, "client ids are per author");
    assert_eq!(out[3].message.id, MessageId(3));

    let all = s
        .messages
        .history(&general, HistoryQuery::latest(50))
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "retries store nothing");
    let found = s
        .messages
        .find_by_client_id(a.id, &out[1].message.client_id)
        .await
        .unwrap();
    assert_eq!(found, Some(out[1].message.clone()));
    let l = Limits::default();
    let missing = ClientId::parse("nope", &l).unwrap();
    assert_eq!(
        s.messages.find_by_client_id(a.id, &missing).await.unwrap(),
        None
    );
}

async fn history_pages(s: Stores) {
    let u = s.users.create_user(&name("hal"), "h", t(0)).await.unwrap();
    let general = room("general");
    let batch = (1..=30)
        .map(|i| new_message(&general, &u, &format!("m{i}"), &format!("c{i}")))
        .collect();
    s.messages.append(batch).await.unwrap();
    let ids = |page: Vec<crate::Message>| page.iter().map(|m| m.id.0).collect::<Vec<_>>();
    let h = |q| {
        let messages = s.messages.clone();
        let general = general.clone();
        async move { messages.history(&general, q).await.unwrap() }
    };

    assert_eq!(ids(h(HistoryQuery::latest(5)).await), [26, 27, 28, 29, 30]);
    assert_eq!(ids(h(HistoryQuery::latest(100)).await).len(), 30);
    assert_eq!(
        ids(h(HistoryQuery::before(MessageId(10), 3)).await),
        [7, 8, 9]
    );
    assert_eq!(ids(h(HistoryQuery::before(MessageId(3), 10)).await), [1, 2]);
    assert!(h(HistoryQuery::before(MessageId(1), 10)).await.is_empty());
    assert_eq!(
        ids(h(HistoryQuery::after(MessageId(27), 10)).await),
        [28, 29, 30]
    );
    assert_eq!(ids(h(HistoryQuery::after(MessageId(0), 2)).await), [1, 2]);
    assert!(h(HistoryQuery::after(MessageId(30), 10)).await.is_empty());
    assert!(h(HistoryQuery::after(MessageId(500), 10)).await.is_empty());
    let between = HistoryQuery {
        before: Some(MessageId(20)),
        after: Some(MessageId(10)),
        limit: 4,
    };
    assert_eq!(ids(h(between).await), [11, 12, 13, 14]);
    let between_all = HistoryQuery {
        limit: 50,
        ..between
    };
    assert_eq!(ids(h(between_all).await), (11..20).collect::<Vec<_>>());
    let empty = s
        .messages
        .history(&room("empty"), HistoryQuery::latest(10))
        .await
        .unwrap();
    assert!(empty.is_empty());
}

async fn concurrent_appends_keep_ids_dense(s: Stores) {
    let u = s.users.create_user(&name("cat"), "h", t(0)).await.unwrap();
    let general = room("general");
    let mut tasks = Vec::new();
    for task in 0..8 {
        let messages = s.messages.clone();
        let (u, general) = (u.clone(), general.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let m = new_message(&general, &u, "x", &format!("t{task}-{i}"));
                messages.append(vec![m]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let all = s
        .messages
        .history(&general, HistoryQuery::after(MessageId(0), 500))
        .await
        .unwrap();
    let ids: Vec<u64> = all.iter().map(|m| m.id.0).collect();
    assert_eq!(ids, (1..=200).collect::<Vec<_>>());
}

fn a_room(name: &str, kind: RoomKind, created_by: Option<UserId>) -> Room {
    Room {
        name: room(name),
        title: RoomTitle::parse(&format!("The {name} room")).unwrap(),
        topic: RoomTopic::parse("what it is about\nline two").unwrap(),
        kind,
        created_by,
        created_at: t(3),
    }
}

async fn rooms_round_trip(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let open = a_room("open", RoomKind::Public, Some(ada.id));
    let secret = a_room("secret", RoomKind::Private, Some(ada.id));
    let direct = a_room("dm-1-2", RoomKind::Direct, None);
    for r in [&open, &secret, &direct] {
        s.rooms
            .create_room(r, &[ada.id], MessageId(0))
            .await
            .unwrap();
    }
    assert_eq!(
        s.rooms.find_room(&room("open")).await.unwrap(),
        Some(open.clone())
    );
    assert_eq!(
        s.rooms.find_room(&room("secret")).await.unwrap(),
        Some(secret.clone())
    );
    assert_eq!(
        s.rooms.find_room(&room("dm-1-2")).await.unwrap(),
        Some(direct)
    );
    assert_eq!(s.rooms.find_room(&room("nope")).await.unwrap(), None);
    let taken = s
        .rooms
        .create_room(&a_room("open", RoomKind::Private, None), &[], MessageId(0))
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
    assert_eq!(
        s.rooms.find_room(&room("open")).await.unwrap(),
        Some(open.clone()),
        "a refused create changes nothing"
    );
    let mut zed = a_room("zed", RoomKind::Public, None);
    zed.topic = RoomTopic::default();
    s.rooms.create_room(&zed, &[], MessageId(0)).await.unwrap();
    // Only public rooms, in name order, with their member counts.
    let public = s.rooms.public_rooms(10).await.unwrap();
    assert_eq!(public, vec![(open, 1), (zed, 0)]);
    assert_eq!(s.rooms.public_rooms(1).await.unwrap().len(), 1);
}

async fn memberships_and_members(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("Bob"), "h", t(0)).await.unwrap();
    let cy = s.users.create_user(&name("cyd"), "h", t(0)).await.unwrap();
    let team = a_room("team", RoomKind::Private, Some(ada.id));
    s.rooms
        .create_room(&team, &[ada.id, bob.id], MessageId(4))
        .await
        .unwrap();
    let lobby = a_room("lobby", RoomKind::Public, None);
    s.rooms
        .create_room(&lobby, &[], MessageId(0))
        .await
        .unwrap();

    assert_eq!(
        s.rooms.members(&room("team")).await.unwrap(),
        [ada.clone(), bob.clone()]
    );
    assert!(
        s.rooms
            .add_member(&room("team"), cy.id, MessageId(7), t(5))
            .await
            .unwrap()
    );
    assert!(
        !s.rooms
            .add_member(&room("team"), cy.id, MessageId(9), t(6))
            .await
            .unwrap(),
        "already a member"
    );
    assert_eq!(
        s.rooms
            .read_state(&room("team"), cy.id)
            .await
            .unwrap()
            .unwrap()
            .last_read,
        MessageId(7),
        "a second add changes nothing"
    );
    assert_eq!(
        s.rooms.read_state(&room("lobby"), cy.id).await.unwrap(),
        None
    );
    s.rooms
        .add_member(&room("lobby"), cy.id, MessageId(0), t(5))
        .await
        .unwrap();

    let mine = s.rooms.memberships(cy.id).await.unwrap();
    let names: Vec<&str> = mine.iter().map(|m| m.room.name.as_str()).collect();
    assert_eq!(names, ["lobby", "team"]);
    assert_eq!(mine[1].room, team);
    assert_eq!(mine[1].read.last_read, MessageId(7));
    assert_eq!(s.rooms.memberships(bob.id).await.unwrap().len(), 1);

    assert!(s.rooms.remove_member(&room("team"), bob.id).await.unwrap());
    assert!(!s.rooms.remove_member(&room("team"), bob.id).await.unwrap());
    assert_eq!(
        s.rooms.read_state(&room("team"), bob.id).await.unwrap(),
        None
    );
    assert!(s.rooms.memberships(bob.id).await.unwrap().is_empty());
    assert_eq!(s.rooms.members(&room("team")).await.unwrap(), [ada, cy]);
    let (_, count) = s
        .rooms
        .public_rooms(10)
        .await
        .unwrap()
        .into_iter()
        .find(|(r, _)| r.name == room("lobby"))
        .unwrap();
    assert_eq!(count, 1);
}

async fn read_positions_and_mentions(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let r = a_room("talk", RoomKind::Public, None);
    s.rooms
        .create_room(&r, &[ada.id], MessageId(0))
        .await
        .unwrap();
    let talk = room("talk");
    s.rooms
        .add_mentions(&talk, MessageId(2), &[ada.id, bob.id])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&talk, MessageId(5), &[ada.id])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&talk, MessageId(5), &[ada.id])
        .await
        .unwrap();
    let state = s.rooms.read_state(&talk, ada.id).await.unwrap().unwrap();
    assert_eq!((state.last_read, state.mentions), (MessageId(0), 2));

    let after = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.last_read, after.mentions), (MessageId(3), 1));
    let back = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.last_read, MessageId(3), "never moves back");
    let all = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((all.last_read, all.mentions), (MessageId(5), 0));
    assert_eq!(s.rooms.memberships(ada.id).await.unwrap()[0].read, all);
    // Not a member: nothing to mark.
    assert_eq!(
        s.rooms
            .mark_read(&talk, bob.id, MessageId(5))
            .await
            .unwrap(),
        None
    );
    // Joining later counts only the mentions after the position given.
    s.rooms
        .add_member(&talk, bob.id, MessageId(1), t(9))
        .await
        .unwrap();
    assert_eq!(
        s.rooms
            .read_state(&talk, bob.id)
            .await
            .unwrap()
            .unwrap()
            .mentions,
        1
    );
}

async fn room_heads_follow_appends(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let (a, b, empty) = (room("a"), room("b"), room("empty"));
    let mut m1 = new_message(&a, &ada, "one", "c1");
    m1.sent_at = t(20);
    let mut m2 = new_message(&a, &ada, "two", "c2");
    m2.sent_at = t(21);
    let m3 = new_message(&b, &ada, "three", "c3");
    s.messages.append(vec![m1, m2, m3]).await.unwrap();
    let heads = s
        .messages
        .room_heads(&[a.clone(), empty.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(heads.len(), 3);
    let ha = heads[0].unwrap();
    assert_eq!((ha.last_id, ha.sent_at), (MessageId(2), t(21)));
    assert_eq!(heads[1], None);
    assert_eq!(heads[2].unwrap().last_id, MessageId(1));
    assert!(s.messages.room_heads(&[]).await.unwrap().is_empty());
}
