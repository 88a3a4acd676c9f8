//! The posting load every store's `posts` benchmark measures, written once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{ActionLimits, HashingCost, MessengerConfig};
use crate::message::{ClientId, MessageBody};
use crate::messenger::Messenger;
use crate::room::RoomName;
use crate::store::{MessageStore, ModerationStore, RoomStore, SessionStore, UserStore};
use crate::user::{Password, Username};

/// Acknowledged posts per second into `general`: `posters` users
/// (registered first, outside the timed part) each post one message after
/// another, the next once the last is acknowledged, for `time`. Give the
/// messenger cheap hashing and no send limit.
pub async fn posts_per_second(m: &Messenger, posters: usize, time: Duration) -> f64 {
    let limits = m.config().limits.clone();
    let general = RoomName::general();
    let mut users = Vec::new();
    for p in 0..posters {
        users.push(
            m.register(
                Username::parse(&format!("poster{p}"), &limits).expect("a valid name"),
                Password::parse("password123", &limits).expect("a valid password"),
            )
            .await
            .expect("registering a poster"),
        );
    }
    let start = Instant::now();
    let deadline = start + time;
    let mut tasks = Vec::new();
    for (p, user) in users.into_iter().enumerate() {
        let (m, general, limits) = (m.clone(), general.clone(), limits.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body = MessageBody::parse(
                    "a benchmark message of ordinary length, about sixty bytes",
                    &limits,
                )
                .expect("a valid body");
                let cid = ClientId::parse(&format!("{p}-{n}"), &limits).expect("a valid id");
                m.post(&user, &general, body, cid).await.expect("a post");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("a poster task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// Latencies of reading history pages with reactions, measured by every
/// store's `history` benchmark.
#[derive(Debug, Clone)]
pub struct HistoryTimes {
    /// Each read of the latest page, sorted.
    pub latest: Vec<Duration>,
    /// Each read of a page further back (still among reacted messages), sorted.
    pub older: Vec<Duration>,
    /// Reaction rows on the latest page.
    pub reactions_on_latest: usize,
}

impl HistoryTimes {
    /// The `p`-quantile (0 to 1) of `sorted`.
    pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }

    /// One line for a benchmark's output.
    pub fn summary(&self) -> String {
        let p = |s: &[Duration], q| Self::percentile(s, q).as_secs_f64() * 1e3;
        format!(
            "{} reactions on the latest page: latest page p50 {:.3} ms p99 {:.3} ms; older pages p50 {:.3} ms p99 {:.3} ms",
            self.reactions_on_latest,
            p(&self.latest, 0.5),
            p(&self.latest, 0.99),
            p(&self.older, 0.5),
            p(&self.older, 0.99),
        )
    }
}

/// Fills `general` with `messages` messages and `reactions` reactions
/// (five users' each on the newest `reactions / 5` messages, so that every
/// page read is full of them), then reads the latest page of 50 `reads`
/// times and as many pages further back, as one of the reactors. Give the
/// messenger cheap hashing, no send limit and no action limits.
pub async fn history_with_reactions(
    m: &Messenger,
    messages: usize,
    reactions: usize,
    reads: usize,
) -> HistoryTimes {
    use crate::message::{HistoryQuery, MessageId};
    use crate::reaction::ReactionKey;
    let limits = m.config().limits.clone();
    let general = RoomName::general();
    let mut users = Vec::new();
    for p in 0..5 {
        users.push(
            m.register(
                Username::parse(&format!("reactor{p}"), &limits).expect("a valid name"),
                Password::parse("password123", &limits).expect("a valid password"),
            )
            .await
            .expect("registering a reactor"),
        );
    }
    // Posted in waves of concurrent posts, so the sequencer batches them.
    let mut posted = 0;
    while posted < messages {
        let wave = (messages - posted).min(1000);
        let mut pending = Vec::with_capacity(wave);
        for n in posted..posted + wave {
            let body = MessageBody::parse(
                "a history message of ordinary length, about sixty bytes long",
                &limits,
            )
            .expect("a valid body");
            let cid = ClientId::parse(&format!("h-{n}"), &limits).expect("a valid id");
            pending.push(
                m.enqueue_post(&users[n % 5], &general, body, cid)
                    .await
                    .expect("queued"),
            );
        }
        for p in pending {
            p.await.expect("a post");
        }
        posted += wave;
    }
    let keys: Vec<ReactionKey> = ["👍", "🎉", "👀", "🚀", "❤️"]
        .iter()
        .map(|k| ReactionKey::parse(k, &limits).expect("a valid key"))
        .collect();
    let reacted = reactions / 5;
    for i in 0..reacted {
        let id = MessageId((messages - i) as u64);
        for (u, user) in users.iter().enumerate() {
            m.react(user, &general, id, keys[(i + u) % keys.len()].clone(), true)
                .await
                .expect("a reaction");
        }
    }
    let reader = &users[0];
    let mut latest = Vec::with_capacity(reads);
    let mut older = Vec::with_capacity(reads);
    let mut reactions_on_latest = 0;
    for r in 0..reads {
        let t = Instant::now();
        let page = m
            .history(reader, &general, HistoryQuery::latest(50))
            .await
            .expect("a page");
        latest.push(t.elapsed());
        reactions_on_latest = page
            .iter()
            .map(|m| m.reactions.iter().map(|r| r.count as usize).sum::<usize>())
            .sum();
        let before =
            MessageId((messages - 50 - (r * 37) % reacted.saturating_sub(100).max(1)) as u64);
        let t = Instant::now();
        m.history(reader, &general, HistoryQuery::before(before, 50))
            .await
            .expect("a page");
        older.push(t.elapsed());
    }
    latest.sort();
    older.sort();
    HistoryTimes {
        latest,
        older,
        reactions_on_latest,
    }
}

/// The `history` benchmark of a store: [`history_with_reactions`] on a
/// messenger over `store` (cheap hashing, no limits), sized by the
/// environment (`HISTORY_MESSAGES`, default 100,000; `HISTORY_REACTIONS`,
/// default 20,000), as one line to print.
pub async fn history_bench<S>(store: Arc<S>) -> String
where
    S: UserStore + SessionStore + MessageStore + RoomStore + ModerationStore,
{
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (messages, reactions) = (
        env("HISTORY_MESSAGES", 100_000),
        env("HISTORY_REACTIONS", 20_000),
    );
    let m = Messenger::builder()
        .config(MessengerConfig {
            hashing: HashingCost::INSECURE_FAST,
            send_rate: None,
            actions: ActionLimits::NONE,
            ..MessengerConfig::default()
        })
        .store(store)
        .build()
        .expect("a messenger");
    let t = history_with_reactions(&m, messages, reactions, 2000).await;
    format!(
        "{messages} messages, {reactions} reactions: {}",
        t.summary()
    )
}
