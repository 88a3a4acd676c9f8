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
    /// The users whose coming (`true`) or going (`false`) this node saw
    /// since its last flush. With several nodes, `published` can be stale
    /// (another node published changes this one never flushed), so the
    /// diff carries these whatever `published` says: a user whose first
    /// tab opened on another node and whose last tab closes here still
    /// shows as leaving.
    pending: BTreeMap<UserId, (User, bool)>,
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

    /// `user` came online in the room (`joined`) or left it; schedules a
    /// diff unless one is due.
    pub(crate) fn changed(self: &Arc<Self>, room: &RoomName, user: &User, joined: bool) {
        let delay = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            let feed = rooms.entry(room.clone()).or_default();
            feed.pending.insert(user.id, (user.clone(), joined));
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
            let pending = std::mem::take(&mut feed.pending);
            // The registry (`now`) decides; what this node saw only adds
            // what a stale `published` would hide.
            let mut joined: BTreeMap<UserId, User> = now
                .values()
                .filter(|u| !feed.published.contains_key(&u.id))
                .map(|u| (u.id, u.clone()))
                .collect();
            let mut left: BTreeMap<UserId, User> = feed
                .published
                .values()
                .filter(|u| !now.contains_key(&u.id))
                .map(|u| (u.id, u.clone()))
                .collect();
            for (id, (user, came)) in pending {
                match (came, now.contains_key(&id)) {
                    (true, true) => {
                        joined.insert(id, user);
                    }
                    (false, false) => {
                        left.insert(id, user);
                    }
                    // Undone since: the registry's word stands.
                    _ => {}
                }
            }
            feed.published = now;
            (
                joined.into_values().collect::<Vec<_>>(),
                left.into_values().collect::<Vec<_>>(),
            )
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
