//! Making rooms and finding them: creation, a room's title and topic, and
//! the directory of public rooms.

use chrono::{DateTime, Utc};

use super::{DirectoryEntry, NewRoom, Room, RoomKind, RoomTitle, RoomTopic, Rooms};
use crate::broadcast::UserEvent;
use crate::config::RoomCreation;
use crate::error::{Error, Result};
use crate::message::MessageId;
use crate::metrics::store_call;
use crate::moderation::model::Role;
use crate::room::RoomName;
use crate::store::StoreError;
use crate::user::{User, UserId};

/// Most rooms the directory lists.
const DIRECTORY_MAX: usize = 500;

impl Rooms {
    /// Creates a room. With a `creator`, the room creation setting applies
    /// and the creator is its first member; host code passes `None` and the
    /// members it wants.
    pub(crate) async fn create(
        &self,
        creator: Option<(&User, Role)>,
        new: NewRoom,
        members: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<Room> {
        if let Some((_, role)) = creator {
            match self.creation {
                RoomCreation::Anyone => {}
                RoomCreation::Moderators if role.moderates() => {}
                RoomCreation::Moderators => {
                    return Err(Error::Forbidden(
                        "only moderators can create rooms here".into(),
                    ));
                }
                RoomCreation::Nobody => {
                    return Err(Error::Forbidden("creating rooms is turned off here".into()));
                }
            }
        }
        let creator = creator.map(|(u, _)| u);
        if new.name.is_direct() {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "names starting with 'dm-' belong to direct conversations",
            )));
        }
        self.seed().await?;
        let room = Room {
            name: new.name,
            title: new.title,
            topic: new.topic,
            kind: if new.private {
                RoomKind::Private
            } else {
                RoomKind::Public
            },
            created_by: creator.map(|c| c.id),
            created_at: now,
            archived_at: None,
        };
        let mut all: Vec<UserId> = creator.map(|c| c.id).into_iter().collect();
        for m in members {
            if !all.contains(m) {
                all.push(*m);
            }
        }
        self.store
            .create_room(&room, &all, MessageId(0))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Conflict("that room name is taken".into()),
                other => other.into(),
            })?;
        for member in &all {
            self.tell(*member, UserEvent::RoomAdded(room.name.clone()))
                .await;
        }
        Ok(room)
    }

    /// Public rooms with member counts and last activity, most recently
    /// active first.
    pub(crate) async fn directory(&self) -> Result<Vec<DirectoryEntry>> {
        self.seed().await?;
        let rooms = store_call("public_rooms", self.store.public_rooms(DIRECTORY_MAX)).await?;
        let names: Vec<RoomName> = rooms.iter().map(|(r, _)| r.name.clone()).collect();
        let heads = self.heads(&names).await?;
        let mut out: Vec<DirectoryEntry> = rooms
            .into_iter()
            .zip(heads)
            .map(|((room, member_count), head)| DirectoryEntry {
                room,
                member_count,
                last_activity: head.map(|h| h.sent_at),
            })
            .collect();
        out.sort_by(|a, b| {
            b.last_activity
                .cmp(&a.last_activity)
                .then_with(|| a.room.name.cmp(&b.room.name))
        });
        Ok(out)
    }

    /// `by` sets a room's title and topic: its creator (owner) or a
    /// moderator, in any room but direct conversations. Every member's
    /// sockets are told (a `RoomAdded` event makes them fetch the room
    /// again). Answers the room after.
    pub(crate) async fn set_details(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        title: RoomTitle,
        topic: RoomTopic,
    ) -> Result<Room> {
        let room = self
            .managed(by, by_role, name, "change its title and topic")
            .await?;
        self.store.set_room_details(name, &title, &topic).await?;
        for member in self.store.members(name).await? {
            self.tell(member.id, UserEvent::RoomAdded(name.clone()))
                .await;
        }
        Ok(Room {
            title,
            topic,
            ..room
        })
    }
}
