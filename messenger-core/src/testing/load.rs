//! The posting load every store's `posts` benchmark measures, written once.

use std::time::{Duration, Instant};

use crate::message::{ClientId, MessageBody};
use crate::messenger::Messenger;
use crate::room::RoomName;
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
