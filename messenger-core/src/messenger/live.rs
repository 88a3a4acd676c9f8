//! Live state of rooms: who has joined (subscriptions), who is online,
//! who is typing.

use crate::config::RateQuota;

use super::Messenger;
use crate::broadcast::Subscription;
use crate::broadcast::{EventKind, RoomEvent};
use crate::error::{Error, Result};
use crate::room::RoomName;
use crate::user::User;

impl Messenger {
    /// Joins `user` to `room`: subscribes to its events and counts the user
    /// online there until the returned [`Joined::presence`] guard is dropped
    /// or left.
    pub async fn join(&self, room: &RoomName, user: &User) -> Result<Joined> {
        self.inner.rooms.readable(room, user).await?;
        // Subscribe first, so nothing published after the snapshot is missed.
        let subscription = self
            .inner
            .broadcast
            .subscribe(room)
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))?;
        if self.inner.presence.connect(room, user).await? {
            self.inner.presence_feed.changed(room, user, true);
        }
        let online = if self.inner.presence_shared {
            // Other nodes' users are in the registry, not in this node's
            // published set: ask it (diffs that follow are set operations).
            let mut online = self.inner.presence.online(room).await?;
            if !online.iter().any(|u| u.id == user.id) {
                online.push(user.clone());
                online.sort_by_key(|u| u.id);
            }
            online
        } else {
            self.inner.presence_feed.snapshot(room, user)
        };
        Ok(Joined {
            subscription,
            online,
            presence: PresenceGuard {
                messenger: Some(self.clone()),
                room: room.clone(),
                user: user.clone(),
            },
        })
    }

    /// Users online in `room` right now.
    pub async fn online(&self, room: &RoomName, user: &User) -> Result<Vec<User>> {
        self.inner.rooms.readable(room, user).await?;
        Ok(self.inner.presence.online(room).await?)
    }

    async fn leave(&self, room: &RoomName, user: &User) -> Result<()> {
        if self.inner.presence.disconnect(room, user).await? {
            self.inner.presence_feed.changed(room, user, false);
        }
        Ok(())
    }

    /// Tells the room `user` is typing. Passes on at most one per user per
    /// room per [`MessengerConfig::typing_interval`](crate::MessengerConfig::typing_interval); answers whether this one
    /// was passed on.
    pub async fn typing(&self, room: &RoomName, user: &User) -> Result<bool> {
        self.inner.rooms.readable(room, user).await?;
        let quota = RateQuota::once_per(self.inner.config.typing_interval);
        let key = format!("{}/{}", user.id.0, room);
        if self.inner.rates.take("typing", &key, quota).await.is_err() {
            return Ok(false);
        }
        let event = RoomEvent::new(EventKind::Typing {
            room: room.clone(),
            user: user.clone(),
        });
        self.inner
            .broadcast
            .publish(room, event)
            .await
            .map_err(|e| Error::Internal(format!("publishing failed: {e}")))?;
        Ok(true)
    }
}

/// A user's membership of a room, from [`Messenger::join`].
#[derive(Debug)]
pub struct Joined {
    /// The room's events from the moment of joining.
    pub subscription: Subscription,
    /// Who was online as of the last presence diff, plus the joiner. The
    /// `presence_diff` events that follow apply to this list.
    pub online: Vec<User>,
    /// Counts the user online in the room while it lives.
    pub presence: PresenceGuard,
}

/// Keeps a user counted online in a room. Dropping it leaves (in a spawned
/// task); [`PresenceGuard::leave`] leaves and waits.
#[derive(Debug)]
pub struct PresenceGuard {
    messenger: Option<Messenger>,
    room: RoomName,
    user: User,
}

impl PresenceGuard {
    /// The room.
    pub fn room(&self) -> &RoomName {
        &self.room
    }

    /// Leaves the room now.
    pub async fn leave(mut self) -> Result<()> {
        match self.messenger.take() {
            Some(m) => m.leave(&self.room, &self.user).await,
            None => Ok(()),
        }
    }
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        if let Some(m) = self.messenger.take() {
            let room = self.room.clone();
            let user = self.user.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    if let Err(e) = m.leave(&room, &user).await {
                        tracing::warn!(room = %room, error = %e, "leaving a room failed");
                    }
                });
            }
        }
    }
}
