//! The store conformance suite, and helpers for testing code built on this
//! crate. Enable the `testing` feature.
//!
//! Every store adapter runs the same suite against itself, one test per
//! case, so a run reports every failing case and `cargo test <case>` runs
//! one (the way matrix-rust-sdk's store integration tests do):
//!
//! ```
//! use std::sync::Arc;
//! use messenger_core::{MemoryStore, testing::Stores};
//!
//! messenger_core::store_conformance_tests!(|| async {
//!     Stores::from_one(Arc::new(MemoryStore::new()))
//! });
//! # fn main() {}
//! ```
//!
//! Where fresh stores are costly to make one by one (a database server
//! per test), [`run_conformance`] runs every case in one test with one
//! fixture, and still names every case that fails.

// The store cases are public (hidden) for `store_conformance_tests!`,
// which names each from the adapter's crate.
mod broadcast;
#[doc(hidden)]
pub mod closing;
#[doc(hidden)]
pub mod editing;
mod limits;
mod load;
#[doc(hidden)]
pub mod messages;
#[doc(hidden)]
pub mod moderation;
#[doc(hidden)]
pub mod pins;
mod port;
mod presence;
#[doc(hidden)]
pub mod reactions;
#[doc(hidden)]
pub mod replies;
#[doc(hidden)]
pub mod rooms;
#[doc(hidden)]
pub mod sessions;
#[doc(hidden)]
pub mod users;

pub use broadcast::{Nodes, run_broadcast_conformance};
pub use limits::{
    FailureNodes, HoldNodes, RateNodes, run_holds_conformance, run_limits_conformance,
};
pub use load::{HistoryTimes, history_bench, history_with_reactions, posts_per_second};
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
use crate::rooms::model::{Room, RoomKind, RoomTitle, RoomTopic};
use crate::session::{SessionRecord, SessionToken};
use crate::store::{MessageStore, ModerationStore, RoomStore, SessionStore, StoreError, UserStore};
use crate::user::{User, UserId, Username};

/// The five stores under test (often one object).
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
    /// What the stores need alive while they are used (a temporary folder).
    _keep: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl Stores {
    /// One object serving all five traits.
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
            _keep: None,
        }
    }

    /// The same stores, keeping `guard` alive as long as they are (a
    /// temporary folder their files are in).
    pub fn keeping(mut self, guard: impl std::any::Any + Send + Sync) -> Self {
        self._keep = Some(Arc::new(guard));
        self
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
        reply_to: None,
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

/// Runs every conformance case in one go, each against a fresh set of
/// stores from `fresh`; a failing case does not stop the others. Panics at
/// the end, naming every case that failed. Prefer
/// [`store_conformance_tests!`](crate::store_conformance_tests), one test
/// per case, where fresh stores are cheap.
pub async fn run_conformance<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Stores>,
{
    let mut failed: Vec<&str> = Vec::new();
    crate::__store_cases!(__store_cases_run[fresh failed]);
    assert!(
        failed.is_empty(),
        "{} conformance case(s) failed: {}",
        failed.len(),
        failed.join(", ")
    );
}

/// Calls `$crate::$then!` with `[$args]` and every store conformance case
/// as a `module::case` path below `testing`: the one list of cases.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_cases {
    ($then:ident [$($args:tt)*]) => {
        $crate::$then! {
            [$($args)*]
            users::users_round_trip,
            users::usernames_are_unique_case_insensitively,
            users::users_are_listed_and_passwords_replaced,
            users::external_users_are_created_once_and_renamed,
            users::external_user_names_share_the_namespace,
            users::blocks_are_one_way_and_listed,
            users::lookalike_names_are_found_by_skeleton,
            sessions::sessions_round_trip,
            sessions::deleting_a_users_sessions_spares_others,
            sessions::expired_sessions_are_purged,
            sessions::sessions_are_listed_per_user_with_their_agent,
            messages::message_ids_are_dense_per_room,
            messages::messages_round_trip_exactly,
            messages::client_ids_make_appends_idempotent,
            messages::history_pages,
            messages::concurrent_appends_keep_ids_dense,
            rooms::rooms_round_trip,
            rooms::memberships_and_members,
            rooms::read_positions_and_mentions,
            rooms::room_heads_follow_appends,
            editing::edits_and_deletes_take_dense_change_numbers,
            editing::changes_are_read_back_in_change_order,
            editing::deleted_messages_are_counted_past_a_position,
            editing::search_finds_word_prefixes_in_given_rooms_newest_first,
            editing::search_follows_edits_and_deletes,
            editing::mentions_are_cleared_per_message,
            reactions::reactions_take_change_numbers_and_read_back_everywhere,
            reactions::deleting_a_message_or_erasing_its_room_drops_its_reactions,
            reactions::reactions_in_one_room_do_not_touch_another,
            reactions::a_turn_of_mixed_writes_applies_in_order,
            replies::replies_show_what_they_answer_as_it_is_now,
            pins::pins_are_changes_listed_latest_first_and_go_with_a_delete,
            moderation::standing_defaults_and_changes,
            moderation::the_log_pages_newest_first,
            closing::closed_rooms_refuse_appends_and_open_again,
            closing::deleted_rooms_are_erased_and_keep_their_name,
            closing::invites_are_counted_and_revoked,
        }
    };
}

/// [`run_conformance`]'s body: each case in turn, its panic caught.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_cases_run {
    ([$fresh:ident $failed:ident] $($module:ident :: $case:ident),* $(,)?) => {$(
        let stores = $fresh().await;
        let case = ::std::panic::AssertUnwindSafe($crate::testing::$module::$case(stores));
        if ::futures_util::FutureExt::catch_unwind(case).await.is_err() {
            $failed.push(stringify!($case));
        }
    )*};
}

/// One test per case (see [`store_conformance_tests!`](crate::store_conformance_tests)).
#[doc(hidden)]
#[macro_export]
macro_rules! __store_case_tests {
    ([$fresh:ident] $($module:ident :: $case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let stores = $fresh().await;
            $crate::testing::$module::$case(stores).await;
        }
    )*};
}

/// Expands to one `#[tokio::test]` per store conformance case, named as
/// the case, each against fresh stores from `$fresh` (a closure returning
/// a future of [`Stores`]; what the stores need kept alive, such as a
/// temporary folder, goes in with [`Stores::keeping`]). Invoke it at the
/// top of a test file, or in a module per configuration. Needs `tokio`
/// (`macros`, `rt-multi-thread`) among the caller's dev-dependencies.
#[macro_export]
macro_rules! store_conformance_tests {
    ($fresh:expr) => {
        fn __fresh_stores() -> impl ::std::future::Future<Output = $crate::testing::Stores> {
            ($fresh)()
        }
        $crate::__store_cases!(__store_case_tests[__fresh_stores]);
    };
}
