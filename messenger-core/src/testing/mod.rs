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

mod broadcast;
mod closing;
mod lifecycle;
mod limits;
mod load;
mod messages;
mod moderation;
mod port;
mod presence;
mod rooms;
mod sessions;
mod users;

pub use broadcast::{Nodes, run_broadcast_conformance};
pub use limits::{
    FailureNodes, HoldNodes, RateNodes, run_holds_conformance, run_limits_conformance,
};
pub use load::posts_per_second;
pub use port::server_port;
pub use presence::{PresenceNodes, run_presence_conformance};

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
use crate::store::{MessageStore, ModerationStore, RoomStore, SessionStore, StoreError, UserStore};
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
    /// Roles, mutes, bans and the moderation log.
    pub moderation: Arc<dyn ModerationStore>,
}

impl Stores {
    /// One object serving all three traits.
    pub fn from_one<S>(store: Arc<S>) -> Self
    where
        S: UserStore + SessionStore + MessageStore + RoomStore + ModerationStore,
    {
        Self {
            users: store.clone(),
            sessions: store.clone(),
            messages: store.clone(),
            rooms: store.clone(),
            moderation: store,
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
        user_agent: None,
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
        ($f:path) => {{
            let stores = fresh().await;
            $f(stores).await;
        }};
    }
    case!(users::users_round_trip);
    case!(users::usernames_are_unique_case_insensitively);
    case!(users::users_are_listed_and_passwords_replaced);
    case!(users::external_users_are_created_once_and_renamed);
    case!(users::external_user_names_share_the_namespace);
    case!(users::blocks_are_one_way_and_listed);
    case!(users::lookalike_names_are_found_by_skeleton);
    case!(sessions::sessions_round_trip);
    case!(sessions::deleting_a_users_sessions_spares_others);
    case!(sessions::expired_sessions_are_purged);
    case!(messages::message_ids_are_dense_per_room);
    case!(messages::messages_round_trip_exactly);
    case!(messages::client_ids_make_appends_idempotent);
    case!(messages::history_pages);
    case!(messages::concurrent_appends_keep_ids_dense);
    case!(rooms::rooms_round_trip);
    case!(rooms::memberships_and_members);
    case!(rooms::read_positions_and_mentions);
    case!(rooms::room_heads_follow_appends);
    case!(sessions::sessions_are_listed_per_user_with_their_agent);
    case!(lifecycle::edits_and_deletes_take_dense_change_numbers);
    case!(lifecycle::changes_are_read_back_in_change_order);
    case!(lifecycle::deleted_messages_are_counted_past_a_position);
    case!(lifecycle::search_finds_word_prefixes_in_given_rooms_newest_first);
    case!(lifecycle::search_follows_edits_and_deletes);
    case!(lifecycle::mentions_are_cleared_per_message);
    case!(moderation::standing_defaults_and_changes);
    case!(moderation::the_log_pages_newest_first);
    case!(closing::closed_rooms_refuse_appends_and_open_again);
    case!(closing::deleted_rooms_are_erased_and_keep_their_name);
    case!(closing::invites_are_counted_and_revoked);
}
