//! Who is online, per room. Counts users, not connections.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::StoreError;
use crate::room::RoomName;
use crate::user::{User, UserId};

/// Who is online in which room. A seam, so several nodes can share it.
#[async_trait]
pub trait Presence: Send + Sync + 'static {
    /// One more connection of `user` is in `room`; `true` if the user was
    /// not online there before.
    async fn connect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError>;

    /// One connection of `user` left `room`; `true` if it was the user's last.
    async fn disconnect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError>;

    /// Users online in `room`, ordered by id.
    async fn online(&self, room: &RoomName) -> Result<Vec<User>, StoreError>;
}

/// In-process presence: a connection count per user per room.
#[derive(Debug, Default)]
pub struct LocalPresence {
    rooms: Mutex<HashMap<RoomName, Members>>,
}

/// Each online user with their connection count.
type Members = BTreeMap<UserId, (User, usize)>;

impl LocalPresence {
    /// Nobody online.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Presence for LocalPresence {
    async fn connect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let entry = rooms
            .entry(room.clone())
            .or_default()
            .entry(user.id)
            .or_insert_with(|| (user.clone(), 0));
        entry.1 += 1;
        Ok(entry.1 == 1)
    }

    async fn disconnect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let Some(members) = rooms.get_mut(room) else {
            return Ok(false);
        };
        let Some(entry) = members.get_mut(&user.id) else {
            return Ok(false);
        };
        entry.1 -= 1;
        if entry.1 > 0 {
            return Ok(false);
        }
        members.remove(&user.id);
        if members.is_empty() {
            rooms.remove(room);
        }
        Ok(true)
    }

    async fn online(&self, room: &RoomName) -> Result<Vec<User>, StoreError> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        Ok(rooms
            .get(room)
            .map(|m| m.values().map(|(u, _)| u.clone()).collect())
            .unwrap_or_default())
    }
}
