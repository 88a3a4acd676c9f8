//! Messages in memory: posting, history, edits and deletes, and search.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::message::{
    Appended, ChangeKind, ClientId, HistoryQuery, Message, MessageBody, MessageChange, MessageId,
    NewMessage, Pinned, ReplyTo,
};
use crate::room::RoomName;
use crate::search::SearchQuery;
use crate::store::{MessageStore, RoomHead, StoreError};
use crate::user::UserId;

impl State {
    /// `m` with its author's name as it is now (users from the host can be
    /// renamed), as a store that joins on the users table answers.
    fn current(&self, m: &Message) -> Message {
        let mut m = m.clone();
        if let Some(r) = self.users.get((m.author.id.0 - 1) as usize) {
            m.author.username = r.user.username.clone();
        }
        if let Some(to) = &m.reply_to
            && let Some(answered) = self.message(&m.room, to.id)
        {
            let author = self
                .user_of(answered.author.id)
                .unwrap_or(answered.author.clone());
            m.reply_to = Some(Box::new(ReplyTo::from_parts(
                answered.id,
                author,
                answered.body.as_str(),
                answered.is_deleted(),
            )));
        }
        if let Some(rows) = self.reactions.get(&(m.room.clone(), m.id)) {
            m.reactions = crate::store::group_reactions(
                rows.iter()
                    .filter_map(|(k, u)| Some((k.clone(), self.user_of(*u)?))),
            );
        }
        m
    }

    fn message(&self, room: &RoomName, id: MessageId) -> Option<&Message> {
        self.rooms.get(room)?.get((id.0 - 1) as usize)
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        let mut s = self.state();
        if let Some(new) = batch.iter().find(|n| s.closed.contains_key(&n.room)) {
            return Err(StoreError::Closed {
                room: new.room.clone(),
                erased: s.closed[&new.room],
            });
        }
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            let key = (new.author.id, new.client_id.clone());
            if let Some((room, id)) = s.by_client_id.get(&key) {
                let message = s
                    .message(room, *id)
                    .cloned()
                    .ok_or_else(|| StoreError::backend("client id index points nowhere"))?;
                out.push(Appended {
                    message,
                    created: false,
                });
                continue;
            }
            let list = s.rooms.entry(new.room.clone()).or_default();
            let id = MessageId(list.len() as u64 + 1);
            let message = Message::posted(new, id);
            list.push(message.clone());
            s.order.push((message.room.clone(), id));
            s.by_client_id
                .insert(key, (message.room.clone(), message.id));
            out.push(Appended {
                message,
                created: true,
            });
        }
        Ok(out)
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        let mut s = self.state();
        match (closed, s.closed.get(room)) {
            (_, Some(true)) => {}
            (true, _) => {
                s.closed.insert(room.clone(), false);
            }
            (false, _) => {
                s.closed.remove(room);
            }
        }
        Ok(())
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        let mut s = self.state();
        s.closed.insert(room.clone(), true);
        s.revs.remove(room);
        s.reactions.retain(|(r, _), _| r != room);
        s.by_client_id.retain(|_, (r, _)| r != room);
        // `order` keeps its places (search cursors are indexes into it);
        // search skips what no longer resolves.
        Ok(s.rooms.remove(room).map_or(0, |list| list.len() as u64))
    }

    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, StoreError> {
        let s = self.state();
        let Some(list) = s.rooms.get(room) else {
            return Ok(Vec::new());
        };
        // Ids are dense from 1, so an id is its index plus one.
        let lo = query.after.map_or(0, |a| (a.0 as usize).min(list.len()));
        let hi = query.before.map_or(list.len(), |b| {
            (b.0.saturating_sub(1) as usize).min(list.len())
        });
        if lo >= hi {
            return Ok(Vec::new());
        }
        let range = if query.after.is_some() {
            lo..hi.min(lo + query.limit)
        } else {
            hi.saturating_sub(query.limit).max(lo)..hi
        };
        Ok(list[range].iter().map(|m| s.current(m)).collect())
    }

    async fn room_heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<RoomHead>>, StoreError> {
        let s = self.state();
        Ok(rooms
            .iter()
            .map(|r| {
                s.rooms
                    .get(r)
                    .and_then(|list| list.last())
                    .map(|m| RoomHead {
                        last_id: m.id,
                        sent_at: m.sent_at,
                        rev: s.revs.get(r).copied().unwrap_or(0),
                    })
            })
            .collect())
    }

    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>, StoreError> {
        let s = self.state();
        Ok(s.by_client_id
            .get(&(author, client_id.clone()))
            .and_then(|(room, id)| s.message(room, *id))
            .map(|m| s.current(m)))
    }

    async fn find_message(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let s = self.state();
        Ok(s.message(room, id).map(|m| s.current(m)))
    }

    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError> {
        let mut s = self.state();
        let live = s
            .message(&change.room, change.id)
            .is_some_and(|m| !m.is_deleted());
        if !live {
            return Ok(None);
        }
        let rev = s.revs.entry(change.room.clone()).or_default();
        *rev += 1;
        let rev = *rev;
        let list = s.rooms.get_mut(&change.room).expect("checked above");
        let m = &mut list[(change.id.0 - 1) as usize];
        match &change.kind {
            ChangeKind::Edit(body) => {
                m.body = body.clone();
                m.edited_at = Some(change.at);
            }
            ChangeKind::Delete => {
                m.body = MessageBody::erased();
                m.deleted_at = Some(change.at);
                m.pinned = None;
            }
            ChangeKind::Pin { by, pinned } => {
                m.pinned = pinned.then(|| {
                    Box::new(Pinned {
                        at: change.at,
                        by: by.clone(),
                    })
                });
            }
            ChangeKind::React { .. } => {}
        }
        m.rev = rev;
        let m = m.clone();
        let at = (change.room.clone(), change.id);
        match &change.kind {
            ChangeKind::Delete => {
                s.reactions.remove(&at);
            }
            ChangeKind::React { user, key, on } => {
                let rows = s.reactions.entry(at).or_default();
                let row = (key.clone(), user.id);
                let had = rows.iter().position(|r| *r == row);
                match (had, on) {
                    (None, true) => rows.push(row),
                    (Some(i), false) => {
                        rows.remove(i);
                    }
                    _ => {}
                }
            }
            ChangeKind::Edit(_) | ChangeKind::Pin { .. } => {}
        }
        Ok(Some(s.current(&m)))
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let s = self.state();
        let mut out: Vec<Message> = s
            .rooms
            .get(room)
            .map(|list| list.iter().filter(|m| m.rev > after_rev).cloned().collect())
            .unwrap_or_default();
        out.sort_by_key(|m| m.rev);
        out.truncate(limit);
        Ok(out.iter().map(|m| s.current(m)).collect())
    }

    async fn pins(&self, room: &RoomName) -> Result<Vec<Message>, StoreError> {
        let s = self.state();
        let mut pinned: Vec<Message> = s
            .rooms
            .get(room)
            .map(|list| {
                list.iter()
                    .filter(|m| m.pinned.is_some())
                    .map(|m| s.current(m))
                    .collect()
            })
            .unwrap_or_default();
        pinned.sort_by_key(|m| std::cmp::Reverse((m.pinned.as_ref().map(|p| p.at), m.id)));
        Ok(pinned)
    }

    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError> {
        let s = self.state();
        Ok(rooms
            .iter()
            .map(|(room, after)| {
                s.rooms.get(room).map_or(0, |list| {
                    list.iter()
                        .skip(after.0 as usize)
                        .filter(|m| m.is_deleted())
                        .count() as u64
                })
            })
            .collect())
    }

    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError> {
        let s = self.state();
        let Ok(query) = SearchQuery::parse(&terms.join(" ")) else {
            return Ok(Vec::new());
        };
        let rooms: std::collections::HashSet<&RoomName> = rooms.iter().collect();
        let end = before.map_or(s.order.len(), |b| {
            (b.saturating_sub(1) as usize).min(s.order.len())
        });
        Ok(s.order[..end]
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, (room, _))| rooms.contains(room))
            .filter_map(|(i, (room, id))| {
                let m = s.message(room, *id)?;
                (!m.is_deleted() && query.matches(m.body.as_str()))
                    .then(|| (i as u64 + 1, s.current(m)))
            })
            .take(limit)
            .collect())
    }
}
