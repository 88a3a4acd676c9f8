//! The message lifecycle (docs/protocol.md, "Editing, deleting,
//! searching", "Reactions" and "Pins"): edit, delete, react, who reacted,
//! pin, a room's pins, the changes after a change number, search.

use messenger_core::{
    CHANGES_PAGE_MAX, Error, Limits, MessageBody, MessageId, Messenger, ReactionKey, Reason,
    RoomName, SearchQuery, User,
};

use super::{Answer, Applied};

/// Search hits per page when the client names no limit.
pub(crate) const SEARCH_PAGE_DEFAULT: usize = 20;

/// A message request, its fields parsed.
pub(crate) enum MessageRequest {
    Edit(RoomName, MessageId, MessageBody),
    Delete(RoomName, MessageId, Reason),
    /// Adds (`true`) or removes the user's reaction.
    React(RoomName, MessageId, ReactionKey, bool),
    /// Who reacted.
    Reactions(RoomName, MessageId),
    /// Pins (`true`) or unpins a message.
    Pin(RoomName, MessageId, bool),
    /// A room's pinned messages.
    Pins(RoomName),
    Changes {
        room: RoomName,
        after_rev: u64,
        limit: usize,
    },
    Search {
        query: SearchQuery,
        before: Option<u64>,
        limit: usize,
    },
}

impl MessageRequest {
    pub(crate) fn edit(room: &str, id: u64, body: &str, limits: &Limits) -> Result<Self, Error> {
        Ok(MessageRequest::Edit(
            RoomName::parse(room, limits)?,
            MessageId(id),
            MessageBody::parse(body, limits)?,
        ))
    }

    pub(crate) fn delete(
        room: &str,
        id: u64,
        reason: &str,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(MessageRequest::Delete(
            RoomName::parse(room, limits)?,
            MessageId(id),
            Reason::parse(reason)?,
        ))
    }

    pub(crate) fn react(
        room: &str,
        id: u64,
        key: &str,
        on: bool,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(MessageRequest::React(
            RoomName::parse(room, limits)?,
            MessageId(id),
            ReactionKey::parse(key, limits)?,
            on,
        ))
    }

    pub(crate) fn reactions(room: &str, id: u64, limits: &Limits) -> Result<Self, Error> {
        Ok(MessageRequest::Reactions(
            RoomName::parse(room, limits)?,
            MessageId(id),
        ))
    }

    pub(crate) fn pin(room: &str, id: u64, pinned: bool, limits: &Limits) -> Result<Self, Error> {
        Ok(MessageRequest::Pin(
            RoomName::parse(room, limits)?,
            MessageId(id),
            pinned,
        ))
    }

    pub(crate) fn pins(room: &str, limits: &Limits) -> Result<Self, Error> {
        Ok(MessageRequest::Pins(RoomName::parse(room, limits)?))
    }

    pub(crate) fn changes(
        room: &str,
        after_rev: u64,
        limit: Option<usize>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(MessageRequest::Changes {
            room: RoomName::parse(room, limits)?,
            after_rev,
            limit: limit.unwrap_or(CHANGES_PAGE_MAX),
        })
    }

    pub(crate) fn search(
        q: &str,
        before: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Self, Error> {
        Ok(MessageRequest::Search {
            query: SearchQuery::parse(q)?,
            before,
            limit: limit.unwrap_or(SEARCH_PAGE_DEFAULT),
        })
    }

    /// Boxed: the future's type ends here, so an edit to a handler
    /// rebuilds this file's code, not every async caller's that would
    /// otherwise embed it (the socket's loop, the HTTP filter).
    pub(crate) fn apply<'a>(self, m: &'a Messenger, user: &'a User) -> Applied<'a> {
        Box::pin(self.run(m, user))
    }

    async fn run(self, m: &Messenger, user: &User) -> Result<Answer, Error> {
        Ok(match self {
            MessageRequest::Edit(room, id, body) => {
                m.room_for(room.as_str(), user).await?;
                Answer::Changed(m.edit_message(user, &room, id, body).await?)
            }
            MessageRequest::Delete(room, id, reason) => {
                m.room_for(room.as_str(), user).await?;
                Answer::Changed(m.delete_message(user, &room, id, reason).await?)
            }
            MessageRequest::React(room, id, key, on) => {
                m.room_for(room.as_str(), user).await?;
                Answer::Changed(m.react(user, &room, id, key, on).await?)
            }
            MessageRequest::Reactions(room, id) => {
                m.room_for(room.as_str(), user).await?;
                let reactions = m.reactions(user, &room, id).await?;
                Answer::Reactions {
                    room,
                    id,
                    reactions,
                }
            }
            MessageRequest::Pin(room, id, pinned) => {
                m.room_for(room.as_str(), user).await?;
                Answer::Changed(m.pin(user, &room, id, pinned).await?)
            }
            MessageRequest::Pins(room) => {
                m.room_for(room.as_str(), user).await?;
                let messages = m.pins(user, &room).await?;
                Answer::Pins { room, messages }
            }
            MessageRequest::Changes {
                room,
                after_rev,
                limit,
            } => {
                m.room_for(room.as_str(), user).await?;
                let messages = m.changes(user, &room, after_rev, limit).await?;
                let (last_id, rev) = m.room_head(user, &room).await?;
                Answer::Changes {
                    messages,
                    last_id,
                    rev,
                }
            }
            MessageRequest::Search {
                query,
                before,
                limit,
            } => Answer::Search(m.search(user, &query, before, limit).await?),
        })
    }
}
