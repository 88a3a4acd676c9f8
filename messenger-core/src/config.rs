//! Limits and policies, with the defaults of the wire contract.

use std::num::NonZeroU32;
use std::ops::RangeInclusive;
use std::time::Duration;

/// Size limits on everything a client can send. Defaults follow docs/protocol.md ("Limits").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Allowed username length, in characters.
    pub username_chars: RangeInclusive<usize>,
    /// Allowed password length, in bytes.
    pub password_bytes: RangeInclusive<usize>,
    /// Allowed room name length, in characters.
    pub room_chars: RangeInclusive<usize>,
    /// Maximum message body length after trimming, in Unicode scalar values.
    pub body_chars: usize,
    /// Maximum client id length, in characters.
    pub client_id_chars: usize,
    /// Maximum size of one WebSocket text frame, in bytes.
    pub frame_bytes: usize,
    /// Largest history page a client may ask for.
    pub history_max: usize,
    /// History page size when the client does not say.
    pub history_default: usize,
    /// Most distinct reactions (keys) on one message.
    pub reaction_keys: usize,
    /// Reactions by name besides emoji, each used as `:name:` (custom
    /// emoji the page shows as text).
    pub reaction_names: Vec<String>,
    /// Most pinned messages in one room.
    pub pins_per_room: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            username_chars: 3..=32,
            password_bytes: 8..=1024,
            room_chars: 1..=64,
            body_chars: 4000,
            client_id_chars: 64,
            frame_bytes: 16 * 1024,
            history_max: 200,
            history_default: 50,
            reaction_keys: 20,
            reaction_names: Vec::new(),
            pins_per_room: 100,
        }
    }
}

/// How long sessions live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long expires.
    pub idle_timeout: Duration,
    /// Absolute lifetime of a session created without "remember me".
    pub short_lifetime: Duration,
    /// Absolute lifetime of a "remember me" session.
    pub remember_lifetime: Duration,
    /// `last_seen` is written back at most this often per session, so that
    /// authenticating a request is not a write each time.
    pub touch_interval: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(7 * 24 * 3600),
            short_lifetime: Duration::from_secs(24 * 3600),
            remember_lifetime: Duration::from_secs(30 * 24 * 3600),
            touch_interval: Duration::from_secs(60),
        }
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashingCost {
    /// OWASP's recommendation for argon2id: m=19 MiB, t=2, p=1.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest valid cost. Only for tests that are not about hashing.
    pub const INSECURE_FAST: Self = Self {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for HashingCost {
    fn default() -> Self {
        Self::OWASP
    }
}

/// A token-bucket rate: `per_second` sustained, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained rate.
    pub per_second: NonZeroU32,
    /// Bucket size.
    pub burst: NonZeroU32,
}

/// A token bucket: `burst` tokens, one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateQuota {
    /// Bucket size: how many may pass at once.
    pub burst: NonZeroU32,
    /// Time for one token to come back.
    pub period: Duration,
}

impl RateQuota {
    /// `n` an hour, all of them at once if need be.
    pub fn per_hour(n: NonZeroU32) -> Self {
        Self {
            burst: n,
            period: Duration::from_secs(3600) / n.get(),
        }
    }

    /// One per `period`, never two closer together.
    pub fn once_per(period: Duration) -> Self {
        Self {
            burst: NonZeroU32::MIN,
            period,
        }
    }

    /// How far ahead of now a key's next free time may run: the burst.
    pub(crate) fn tolerance(&self) -> Duration {
        self.period * (self.burst.get() - 1)
    }
}

impl From<Rate> for RateQuota {
    fn from(rate: Rate) -> Self {
        Self {
            burst: rate.burst,
            period: Duration::from_secs(1) / rate.per_second.get(),
        }
    }
}

/// Per-user limits on the actions that reach other people: each one fans
/// out (an edit or delete to a room, a new room or member to someone's room
/// list), so each is an amplifier with a limit. `None` turns one off. They
/// are counted by the messenger's [`RateCounter`](crate::RateCounter), so a
/// cluster on Redis holds them across nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLimits {
    /// Edits of one's own messages.
    pub edit: Option<RateQuota>,
    /// Deletes (one's own messages, or anyone's by a moderator).
    pub delete: Option<RateQuota>,
    /// Rooms created by a user (host code creating rooms is not limited).
    pub create_room: Option<RateQuota>,
    /// Members added to rooms by a user.
    pub add_member: Option<RateQuota>,
    /// Direct conversations opened.
    pub open_direct: Option<RateQuota>,
    /// Reactions added or removed.
    pub react: Option<RateQuota>,
    /// Messages pinned or unpinned.
    pub pin: Option<RateQuota>,
}

impl ActionLimits {
    /// No limits: for tests that are not about them.
    pub const NONE: Self = Self {
        edit: None,
        delete: None,
        create_room: None,
        add_member: None,
        open_direct: None,
        react: None,
        pin: None,
    };
}

impl Default for ActionLimits {
    /// Bursts that never slow a person down, sustained rates that hold a
    /// script to a trickle: 100 edits take 90 s, 1,000 rooms take 16 hours.
    fn default() -> Self {
        let quota = |burst: u32, period_ms: u64| {
            Some(RateQuota {
                burst: NonZeroU32::new(burst).expect("non-zero"),
                period: Duration::from_millis(period_ms),
            })
        };
        Self {
            edit: quota(10, 1_000),
            delete: quota(30, 500),
            create_room: quota(10, 60_000),
            add_member: quota(30, 2_000),
            open_direct: quota(30, 2_000),
            react: quota(30, 500),
            pin: quota(10, 1_000),
        }
    }
}

/// A limit on failures: at most `max` within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    /// Failures allowed inside one window.
    pub max: u32,
    /// Length of the window.
    pub window: Duration,
}

/// The community room's name,
/// [`RoomName::GENERAL`](crate::RoomName::GENERAL). It lives here, below
/// room names (which are checked against [`Limits`]), because the default
/// configuration lists it.
pub(crate) const GENERAL_ROOM: &str = "general";

/// Who may create rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoomCreation {
    /// Every user (the default).
    #[default]
    Anyone,
    /// Moderators and admins (and host code); other users get `forbidden`.
    Moderators,
    /// Only host code through [`Messenger::create_room`](crate::Messenger::create_room)
    /// with no creator; users get `forbidden`.
    Nobody,
}

/// Everything the [`Messenger`](crate::Messenger) is configured with.
#[derive(Debug, Clone)]
pub struct MessengerConfig {
    /// Input limits.
    pub limits: Limits,
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// Password hashing cost.
    pub hashing: HashingCost,
    /// Threads that hash passwords, so how many hashes run at once
    /// (defaults to the core count, at most 4). Each thread keeps its
    /// working memory (`hashing.memory_kib`) once it has hashed.
    pub hashing_concurrency: usize,
    /// Messages per user; `None` turns the limit off.
    pub send_rate: Option<Rate>,
    /// Limits on the other actions that reach other people.
    pub actions: ActionLimits,
    /// Failed logins per username before logins for it are refused for a while.
    pub login_failures_per_user: FailureLimit,
    /// Rooms created (public) at first use, so they always exist. The
    /// community room `general` is always among them.
    pub rooms: Vec<String>,
    /// Who may create rooms.
    pub room_creation: RoomCreation,
    /// Capacity of each room's broadcast ring, used by [`LocalBroadcast`](crate::LocalBroadcast).
    pub broadcast_capacity: usize,
    /// Minimum time between two `presence_diff` events of one room.
    pub presence_interval: Duration,
    /// Minimum time between two typing events of one user in one room.
    pub typing_interval: Duration,
    /// Most messages the per-room sequencer writes in one batch.
    pub max_batch: usize,
}

impl Default for MessengerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            sessions: SessionPolicy::default(),
            hashing: HashingCost::default(),
            // Four threads log in ~300 users a second; more would mostly
            // hold memory.
            hashing_concurrency: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4),
            send_rate: Some(Rate {
                per_second: NonZeroU32::new(10).expect("non-zero"),
                burst: NonZeroU32::new(30).expect("non-zero"),
            }),
            actions: ActionLimits::default(),
            login_failures_per_user: FailureLimit {
                max: 10,
                window: Duration::from_secs(15 * 60),
            },
            rooms: vec![GENERAL_ROOM.to_owned()],
            room_creation: RoomCreation::Anyone,
            broadcast_capacity: 1024,
            presence_interval: Duration::from_secs(1),
            typing_interval: Duration::from_secs(2),
            max_batch: 512,
        }
    }
}
