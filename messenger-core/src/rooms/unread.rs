//! A user's rooms as their list shows them: unread counts, read positions
//! and mentions.

use chrono::Utc;

use super::{Membership, MyRoom, ReadState, Room, RoomKind, Rooms, mentioned};
use crate::broadcast::UserEvent;
use crate::error::Result;
use crate::message::{Message, MessageId};
use crate::metrics::store_call;
use crate::room::RoomName;
use crate::user::{User, UserId};

impl Rooms {
    /// The rooms `user` is a member of (`general` always among them, first),
    /// with unread and mention counts.
    pub(crate) async fn mine(&self, user: &User) -> Result<Vec<MyRoom>> {
        self.seed().await?;
        let mut list = store_call("memberships", self.store.memberships(user.id)).await?;
        let general = RoomName::general();
        if !list.iter().any(|m| m.room.name == general) {
            // Everyone is in the community room; the row keeps their place.
            let last = self.last_id(&general).await?;
            self.store
                .add_member(&general, user.id, last, Utc::now())
                .await?;
            if let Some(room) = self.find(&general).await? {
                list.push(Membership {
                    room,
                    read: ReadState {
                        last_read: last,
                        mentions: 0,
                    },
                });
            }
        }
        list.sort_by(|a, b| {
            (a.room.name != general, &a.room.name).cmp(&(b.room.name != general, &b.room.name))
        });
        let names: Vec<RoomName> = list.iter().map(|m| m.room.name.clone()).collect();
        let heads = self.heads(&names).await?;
        let deleted = self.deleted(&list, &heads).await?;
        let mut out = Vec::with_capacity(list.len());
        for ((m, head), deleted) in list.into_iter().zip(heads).zip(deleted) {
            out.push(self.my_room(user, m.room, m.read, head, deleted).await?);
        }
        Ok(out)
    }

    /// Per membership, the deleted messages past its read position (read
    /// only for rooms with something unread and something ever deleted).
    async fn deleted(
        &self,
        list: &[Membership],
        heads: &[Option<crate::store::RoomHead>],
    ) -> Result<Vec<u64>> {
        let ask: Vec<(usize, (RoomName, MessageId))> = list
            .iter()
            .zip(heads)
            .enumerate()
            .filter_map(|(i, (m, h))| {
                h.filter(|h| h.rev > 0 && h.last_id > m.read.last_read)
                    .map(|_| (i, (m.room.name.clone(), m.read.last_read)))
            })
            .collect();
        let mut out = vec![0; list.len()];
        if ask.is_empty() {
            return Ok(out);
        }
        let (at, pairs): (Vec<usize>, Vec<_>) = ask.into_iter().unzip();
        let counts = store_call("deleted_after", self.messages.deleted_after(&pairs)).await?;
        for (i, n) in at.into_iter().zip(counts) {
            out[i] = n;
        }
        Ok(out)
    }

    async fn my_room(
        &self,
        user: &User,
        room: Room,
        read: ReadState,
        head: Option<crate::store::RoomHead>,
        deleted: u64,
    ) -> Result<MyRoom> {
        let last_id = head.map_or(MessageId(0), |h| h.last_id);
        let last_read = read.last_read.min(last_id);
        let peer = if room.kind == RoomKind::Direct {
            self.store
                .members(&room.name)
                .await?
                .into_iter()
                .find(|m| m.id != user.id)
        } else {
            None
        };
        Ok(MyRoom {
            last_id,
            last_read,
            unread: (last_id.0 - last_read.0).saturating_sub(deleted),
            mentions: read.mentions,
            peer,
            room,
        })
    }

    /// One room as `user` sees it (read access needed). A public room they
    /// are not a member of shows nothing unread.
    pub(crate) async fn info(&self, user: &User, name: &RoomName) -> Result<MyRoom> {
        self.readable(name, user).await?;
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let head = self
            .heads(std::slice::from_ref(name))
            .await?
            .pop()
            .flatten();
        let read = match self.store.read_state(name, user.id).await? {
            Some(r) => r,
            None => ReadState {
                last_read: head.map_or(MessageId(0), |h| h.last_id),
                mentions: 0,
            },
        };
        let deleted = match head {
            Some(h) if h.rev > 0 && h.last_id > read.last_read => self
                .messages
                .deleted_after(&[(name.clone(), read.last_read)])
                .await?
                .pop()
                .unwrap_or(0),
            _ => 0,
        };
        self.my_room(user, room, read, head, deleted).await
    }

    /// Moves `user`'s read position in a room forward to `id` (clamped to
    /// the newest message); tells their other connections.
    pub(crate) async fn mark_read(
        &self,
        user: &User,
        name: &RoomName,
        id: MessageId,
    ) -> Result<ReadState> {
        self.readable(name, user).await?;
        let id = id.min(self.last_id(name).await?);
        let state = match self.store.mark_read(name, user.id, id).await? {
            Some(s) => s,
            None => {
                // Reading a public room one is not a member of joins it.
                self.store.add_member(name, user.id, id, Utc::now()).await?;
                self.tell(user.id, UserEvent::RoomAdded(name.clone())).await;
                ReadState {
                    last_read: id,
                    mentions: 0,
                }
            }
        };
        self.tell(
            user.id,
            UserEvent::Read {
                room: name.clone(),
                last_read: state.last_read,
                mentions: state.mentions,
            },
        )
        .await;
        Ok(state)
    }

    /// Records and signals the mentions of a stored message: to every
    /// named user who may read the room, but its author.
    pub(crate) async fn mentions(&self, message: &Message) -> Result<()> {
        let users = self.mentioned_users(message).await?;
        if users.is_empty() {
            return Ok(());
        }
        self.store
            .add_mentions(&message.room, message.id, &users)
            .await?;
        for u in users {
            self.tell(u, UserEvent::Mention(message.clone())).await;
        }
        Ok(())
    }

    /// Brings the mentions of an edited or deleted message in step: users
    /// no longer mentioned lose the mention (and their badges are told),
    /// users newly mentioned are told as for a new message.
    pub(crate) async fn remention(&self, message: &Message) -> Result<()> {
        let room = &message.room;
        let before = self.store.clear_mentions(room, message.id).await?;
        let now = if message.is_deleted() {
            Vec::new()
        } else {
            self.mentioned_users(message).await?
        };
        if !now.is_empty() {
            self.store.add_mentions(room, message.id, &now).await?;
        }
        for u in &now {
            if !before.contains(u) {
                self.tell(*u, UserEvent::Mention(message.clone())).await;
            }
        }
        for u in before.into_iter().filter(|u| !now.contains(u)) {
            if let Some(state) = self.store.read_state(room, u).await? {
                self.tell(
                    u,
                    UserEvent::Read {
                        room: room.clone(),
                        last_read: state.last_read,
                        mentions: state.mentions,
                    },
                )
                .await;
            }
        }
        Ok(())
    }

    /// Who a message mentions that may read its room, but its author.
    async fn mentioned_users(&self, message: &Message) -> Result<Vec<UserId>> {
        let names = mentioned(message.body.as_str(), &self.limits);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let room = &message.room;
        let kind = self
            .kind(room)
            .await?
            .ok_or_else(|| Self::not_found(room))?;
        let mut users = Vec::new();
        for name in names {
            let Some(record) = self.users.find_user_by_name(&name).await? else {
                continue;
            };
            let u = record.user;
            if u.id == message.author.id {
                continue;
            }
            if kind.members_only() && self.store.read_state(room, u.id).await?.is_none() {
                continue;
            }
            users.push(u.id);
        }
        Ok(users)
    }
}
