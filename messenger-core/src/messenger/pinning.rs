//! Pins: messages a room keeps at hand.

use super::Messenger;
use crate::error::{Error, Result};
use crate::message::{ChangeKind, Message, MessageId};
use crate::moderation::{ModActionKind, NewModAction, Reason};
use crate::room::RoomName;
use crate::user::User;

impl Messenger {
    /// `by` pins message `id` of `room` (`pinned`) or unpins it, and
    /// answers the message as they see it. The room's owner and moderators
    /// may (either person in a direct conversation); everyone in the room
    /// is told (a [`Changed`](crate::EventKind::Changed) event), and the
    /// moderation log records it. Pinning a pinned message (or unpinning
    /// one that is not) changes nothing; a room holds at most
    /// [`Limits::pins_per_room`](crate::Limits::pins_per_room) pins.
    pub async fn pin(
        &self,
        by: &User,
        room: &RoomName,
        id: MessageId,
        pinned: bool,
    ) -> Result<Message> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        self.inner.rooms.may_pin(by, role, room).await?;
        self.inner.moderation.may_send(by).await?;
        self.inner.rooms.writable(room).await?;
        let message = self.live_message(room, id).await?;
        if message.pinned.is_some() == pinned {
            return Ok(message.seen_by(Some(by.id)));
        }
        if pinned {
            let max = self.inner.config.limits.pins_per_room;
            let held = self.inner.messages.pins(room).await?.len();
            if held >= max {
                return Err(Error::Invalid(crate::ValidationError::too_large(
                    "id",
                    format!("a room holds at most {max} pins: unpin one first"),
                )));
            }
        }
        self.limit("pin", by, self.inner.config.actions.pin).await?;
        let kind = ChangeKind::Pin {
            by: by.clone(),
            pinned,
        };
        let changed = self.change(room, id, kind).await?;
        let (room, message_id) = (room.clone(), id);
        self.inner
            .moderation
            .log(NewModAction {
                at: self.inner.clock.now(),
                actor: Some(by.id),
                target: Some(message.author.id),
                kind: if pinned {
                    ModActionKind::PinMessage { room, message_id }
                } else {
                    ModActionKind::UnpinMessage { room, message_id }
                },
                reason: Reason::default(),
            })
            .await?;
        Ok(changed.seen_by(Some(by.id)))
    }

    /// The pinned messages of `room`, the latest pinned first. Read access
    /// needed.
    pub async fn pins(&self, user: &User, room: &RoomName) -> Result<Vec<Message>> {
        self.inner.rooms.readable(room, user).await?;
        let pinned = crate::metrics::store_call("pins", self.inner.messages.pins(room)).await?;
        Ok(super::posting::seen_by(pinned, user))
    }
}
