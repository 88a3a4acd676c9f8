//! Rooms, members with read positions, mentions and invites in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, State};
use crate::message::MessageId;
use crate::room::RoomName;
use crate::rooms::model::{
    Invite, Membership, NewInvite, ReadState, Room, RoomKind, RoomTitle, RoomTopic,
};
use crate::session::TokenHash;
use crate::store::{RoomStore, StoreError};
use crate::user::{User, UserId};

impl State {
    fn read_state(&self, room: &RoomName, user: UserId) -> Option<ReadState> {
        let last_read = *self.members.get(room)?.get(&user)?;
        let mentions = self.mentions.get(&(user, room.clone())).map_or(0, |ids| {
            ids.range(MessageId(last_read.0 + 1)..).count() as u64
        });
        Some(ReadState {
            last_read,
            mentions,
        })
    }

    fn invite(&self, id: u64, (_, invite, uses): &(TokenHash, NewInvite, u32)) -> Option<Invite> {
        Some(Invite {
            id,
            room: invite.room.clone(),
            created_by: self.user_of(invite.created_by)?,
            created_at: invite.created_at,
            expires_at: invite.expires_at,
            max_uses: invite.max_uses,
            uses: *uses,
        })
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(
        &self,
        room: &Room,
        members: &[UserId],
        last_read: MessageId,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.room_defs.contains_key(&room.name) || s.deleted_rooms.contains(&room.name) {
            return Err(StoreError::Conflict("room name is taken".into()));
        }
        s.room_defs.insert(room.name.clone(), room.clone());
        s.members.insert(
            room.name.clone(),
            members.iter().map(|m| (*m, last_read)).collect(),
        );
        Ok(())
    }

    async fn find_room(&self, name: &RoomName) -> Result<Option<Room>, StoreError> {
        Ok(self.state().room_defs.get(name).cloned())
    }

    async fn set_room_details(
        &self,
        name: &RoomName,
        title: &RoomTitle,
        topic: &RoomTopic,
    ) -> Result<bool, StoreError> {
        Ok(match self.state().room_defs.get_mut(name) {
            Some(room) => {
                room.title = title.clone();
                room.topic = topic.clone();
                true
            }
            None => false,
        })
    }

    async fn public_rooms(&self, limit: usize) -> Result<Vec<(Room, u64)>, StoreError> {
        let s = self.state();
        let mut out: Vec<(Room, u64)> = s
            .room_defs
            .values()
            .filter(|r| r.kind == RoomKind::Public)
            .map(|r| {
                let n = s.members.get(&r.name).map_or(0, |m| m.len() as u64);
                (r.clone(), n)
            })
            .collect();
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out.truncate(limit);
        Ok(out)
    }

    async fn add_member(
        &self,
        room: &RoomName,
        user: UserId,
        last_read: MessageId,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        if !s.room_defs.contains_key(room) {
            return Err(StoreError::backend(format!("no room {room}")));
        }
        let members = s.members.entry(room.clone()).or_default();
        if members.contains_key(&user) {
            return Ok(false);
        }
        members.insert(user, last_read);
        Ok(true)
    }

    async fn remove_member(&self, room: &RoomName, user: UserId) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .members
            .get_mut(room)
            .is_some_and(|m| m.remove(&user).is_some()))
    }

    async fn members(&self, room: &RoomName) -> Result<Vec<User>, StoreError> {
        let s = self.state();
        let mut users: Vec<User> = s
            .members
            .get(room)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter_map(|id| s.user(*id).cloned())
            .collect();
        users.sort_by_key(|u| u.username.canonical());
        Ok(users)
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let s = self.state();
        let mut out: Vec<Membership> = s
            .members
            .iter()
            .filter(|(_, m)| m.contains_key(&user))
            .filter_map(|(name, _)| {
                Some(Membership {
                    room: s.room_defs.get(name)?.clone(),
                    read: s.read_state(name, user)?,
                })
            })
            .collect();
        out.sort_by(|a, b| a.room.name.cmp(&b.room.name));
        Ok(out)
    }

    async fn read_state(
        &self,
        room: &RoomName,
        user: UserId,
    ) -> Result<Option<ReadState>, StoreError> {
        Ok(self.state().read_state(room, user))
    }

    async fn mark_read(
        &self,
        room: &RoomName,
        user: UserId,
        id: MessageId,
    ) -> Result<Option<ReadState>, StoreError> {
        let mut s = self.state();
        let Some(pos) = s.members.get_mut(room).and_then(|m| m.get_mut(&user)) else {
            return Ok(None);
        };
        *pos = (*pos).max(id);
        Ok(s.read_state(room, user))
    }

    async fn clear_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Vec<UserId>, StoreError> {
        let mut s = self.state();
        let mut out = Vec::new();
        for ((user, r), ids) in s.mentions.iter_mut() {
            if r == room && ids.remove(&id) {
                out.push(*user);
            }
        }
        out.sort();
        Ok(out)
    }

    async fn add_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        for u in users {
            s.mentions.entry((*u, room.clone())).or_default().insert(id);
        }
        Ok(())
    }

    async fn set_archived(
        &self,
        name: &RoomName,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(match self.state().room_defs.get_mut(name) {
            Some(room) => {
                room.archived_at = at;
                true
            }
            None => false,
        })
    }

    async fn delete_room(&self, name: &RoomName) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.room_defs.remove(name).is_none() {
            return Ok(false);
        }
        s.deleted_rooms.insert(name.clone());
        s.members.remove(name);
        s.mentions.retain(|(_, room), _| room != name);
        s.invites.retain(|_, (_, invite, _)| invite.room != *name);
        Ok(true)
    }

    async fn create_invite(&self, invite: &NewInvite) -> Result<u64, StoreError> {
        let mut s = self.state();
        let id = s.invites.keys().next_back().map_or(1, |last| last + 1);
        s.invites.insert(id, (invite.hash, invite.clone(), 0));
        Ok(id)
    }

    async fn invites(&self, room: &RoomName) -> Result<Vec<Invite>, StoreError> {
        let s = self.state();
        Ok(s.invites
            .iter()
            .rev()
            .filter(|(_, (_, invite, _))| invite.room == *room)
            .filter_map(|(id, record)| s.invite(*id, record))
            .collect())
    }

    async fn find_invite(&self, hash: &TokenHash) -> Result<Option<Invite>, StoreError> {
        let s = self.state();
        Ok(s.invites
            .iter()
            .find(|(_, (h, _, _))| h == hash)
            .and_then(|(id, record)| s.invite(*id, record)))
    }

    async fn use_invite(
        &self,
        id: u64,
        user: UserId,
        last_read: MessageId,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        let Some((_, invite, uses)) = s.invites.get_mut(&id) else {
            return Ok(false);
        };
        if invite.max_uses.is_some_and(|max| *uses >= max) {
            return Ok(false);
        }
        *uses += 1;
        let room = invite.room.clone();
        s.members
            .entry(room)
            .or_default()
            .entry(user)
            .or_insert(last_read);
        Ok(true)
    }

    async fn delete_invite(&self, room: &RoomName, id: u64) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.invites.get(&id).is_none_or(|(_, i, _)| i.room != *room) {
            return Ok(false);
        }
        s.invites.remove(&id);
        Ok(true)
    }
}
