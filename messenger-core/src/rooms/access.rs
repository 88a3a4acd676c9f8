//! The access rule every entry point goes through ([`Rooms::readable`]),
//! the cache of room kinds it reads, the seeding of the configured rooms,
//! and who manages a room.

use chrono::Utc;

use super::{Room, RoomKind, RoomTitle, RoomTopic, Rooms};
use crate::error::{Error, Result};
use crate::message::MessageId;
use crate::metrics::store_call;
use crate::moderation::model::Role;
use crate::room::RoomName;
use crate::store::StoreError;
use crate::user::User;

impl Rooms {
    /// Creates the configured rooms once per process (public, made by no
    /// one); existing ones are kept as they are.
    pub(super) async fn seed(&self) -> Result<()> {
        self.seeded
            .get_or_try_init(|| async {
                for name in &self.configured {
                    if self.store.find_room(name).await?.is_some() {
                        continue;
                    }
                    let room = Room {
                        name: name.clone(),
                        title: RoomTitle::from_trusted(name.to_string()),
                        topic: RoomTopic::from_trusted(if name.as_str() == RoomName::GENERAL {
                            "The community room. Be kind.".into()
                        } else {
                            String::new()
                        }),
                        kind: RoomKind::Public,
                        created_by: None,
                        created_at: Utc::now(),
                        archived_at: None,
                    };
                    match self.store.create_room(&room, &[], MessageId(0)).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(Error::from(e)),
                    }
                }
                Ok::<(), Error>(())
            })
            .await?;
        Ok(())
    }

    pub(super) async fn find(&self, name: &RoomName) -> Result<Option<Room>> {
        self.seed().await?;
        let found = store_call("find_room", self.store.find_room(name)).await?;
        if let Some(room) = &found {
            self.kinds
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone(), room.kind);
        }
        Ok(found)
    }

    pub(super) async fn kind(&self, name: &RoomName) -> Result<Option<RoomKind>> {
        let cached = self
            .kinds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied();
        match cached {
            Some(kind) => Ok(Some(kind)),
            None => Ok(self.find(name).await?.map(|r| r.kind)),
        }
    }

    /// Drops a room from the kind cache: it was deleted.
    pub(super) fn forget(&self, name: &RoomName) {
        self.kinds
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }

    pub(super) fn not_found(name: &RoomName) -> Error {
        Error::NotFound(format!("no room named '{name}'"))
    }

    /// The room, if `user` may read it: public rooms to everyone, the others
    /// to their members. Anything else is `not_found`, whether the room
    /// exists or not.
    pub(crate) async fn readable(&self, name: &RoomName, user: &User) -> Result<RoomKind> {
        let kind = self
            .kind(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        if kind.members_only()
            && store_call("read_state", self.store.read_state(name, user.id))
                .await?
                .is_none()
        {
            return Err(Self::not_found(name));
        }
        Ok(kind)
    }

    /// Parses a client's room name and checks that `user` may read it.
    pub(crate) async fn parse_readable(&self, raw: &str, user: &User) -> Result<RoomName> {
        // A name outside the grammar is `invalid` (as in v1): it cannot
        // name any room, so saying so tells nothing.
        let name = RoomName::parse(raw, &self.limits)?;
        self.readable(&name, user).await?;
        Ok(name)
    }

    /// The room `by` manages: one they may read (else `not_found`), not a
    /// direct conversation (its two people own it alike: `invalid`), and
    /// created by them or `by_role` a moderator's (else `forbidden`, saying
    /// that only they may `what`).
    pub(super) async fn managed(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        what: &str,
    ) -> Result<Room> {
        if self.readable(name, by).await? == RoomKind::Direct {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "a direct conversation belongs to its two people alike",
            )));
        }
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        if room.created_by != Some(by.id) && !by_role.moderates() {
            return Err(Error::Forbidden(format!(
                "only the room's owner and moderators {what}"
            )));
        }
        Ok(room)
    }

    /// Whether `by` may pin messages in `name`: either person of a direct
    /// conversation, else the room's owner and moderators.
    pub(crate) async fn may_pin(&self, by: &User, by_role: Role, name: &RoomName) -> Result<()> {
        if self.readable(name, by).await? == RoomKind::Direct {
            return Ok(());
        }
        self.managed(by, by_role, name, "pin messages")
            .await
            .map(drop)
    }

    /// The names of the rooms `user` may read: their rooms and every public one.
    pub(crate) async fn readable_names(&self, user: &User) -> Result<Vec<RoomName>> {
        self.seed().await?;
        let mut names: std::collections::BTreeSet<RoomName> = self
            .store
            .memberships(user.id)
            .await?
            .into_iter()
            .map(|m| m.room.name)
            .collect();
        // Public rooms are readable by all; searching them all is the point.
        let public = self.store.public_rooms(1_000_000).await?;
        names.extend(public.into_iter().map(|(room, _)| room.name));
        Ok(names.into_iter().collect())
    }
}
