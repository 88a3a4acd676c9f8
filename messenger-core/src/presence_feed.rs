//! Coalesced presence: at most one `presence_diff` per room per interval, so
//! a crowd connecting at once costs linear, not quadratic, traffic.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::broadcast::{EventKind, RoomBroadcast, RoomEvent};
use crate::presence::Presence;
use crate::room::RoomName;
use crate::user::{User, UserId};

#[derive(Default)]
struct RoomFeed {
    /// The online set as of the last published diff: what every subscriber
    /// has been told. Snapshots are taken from here so that the diffs that
    /// follow always apply to them.
    published: BTreeMap<UserId, User>,
    flush_scheduled: bool,
    last_flush: Option<Instant>,
}

pub(crate) struct PresenceFeed {
    interval: Duration,
    presence: Arc<dyn Presence>,
    broadcast: Arc<dyn RoomBroadcast>,
    rooms: Mutex<HashMap<RoomName, RoomFeed>>,
}

impl PresenceFeed {
    pub(crate) fn new(
        interval: Duration,
        presence: Arc<dyn Presence>,
        broadcast: Arc<dyn RoomBroadcast>,
    ) -> Self {
        Self {
            interval,
            presence,
            broadcast,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    /// What a client joining now is told: the published set plus itself.
    pub(crate) fn snapshot(&self, room: &RoomName, joiner: &User) -> Vec<User> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let mut online = rooms
            .get(room)
            .map(|f| f.published.clone())
            .unwrap_or_default();
        online.insert(joiner.id, joiner.clone());
        online.into_values().collect()
    }

    /// The room's online set changed; schedules a diff unless one is due.
    pub(crate) fn changed(self: &Arc<Self>, room: &RoomName) {
        let delay = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            let feed = rooms.entry(room.clone()).or_default();
            if feed.flush_scheduled {
                return;
            }
            feed.flush_scheduled = true;
            feed.last_flush
                .map(|t| (t + self.interval).saturating_duration_since(Instant::now()))
                .unwrap_or_default()
        };
        let this = Arc::clone(self);
        let room = room.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            this.flush(&room).await;
        });
    }

    async fn flush(&self, room: &RoomName) {
        {
            // From here on a change schedules the next flush, one interval on.
            let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            let feed = rooms.entry(room.clone()).or_default();
            feed.flush_scheduled = false;
            feed.last_flush = Some(Instant::now());
        }
        let online = match self.presence.online(room).await {
            Ok(users) => users,
            Err(e) => {
                tracing::warn!(room = %room, error = ?e, "reading presence failed");
                return;
            }
        };
        let (joined, left) = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            let feed = rooms.entry(room.clone()).or_default();
            let now: BTreeMap<UserId, User> = online.into_iter().map(|u| (u.id, u)).collect();
            let joined: Vec<User> = now
                .values()
                .filter(|u| !feed.published.contains_key(&u.id))
                .cloned()
                .collect();
            let left: Vec<User> = feed
                .published
                .values()
                .filter(|u| !now.contains_key(&u.id))
                .cloned()
                .collect();
            feed.published = now;
            (joined, left)
        };
        if joined.is_empty() && left.is_empty() {
            return;
        }
        let event = RoomEvent::new(EventKind::PresenceDiff {
            room: room.clone(),
            joined,
            left,
        });
        if let Err(e) = self.broadcast.publish(room, event).await {
            tracing::warn!(room = %room, error = %e, "publishing presence failed");
        }
    }
}
