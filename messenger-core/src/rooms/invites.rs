//! Invite links to private rooms: a secret code that makes whoever holds it
//! a member, until it expires, is used up or is revoked.
//!
//! The code is a bearer secret like a session token: stores keep only its
//! hash, so the link is shown once, when it is made; the room's list shows
//! each invite by id, with its terms and uses, for revoking. The invites
//! themselves, as data, are in `model`.

use chrono::{DateTime, Utc};

use super::{CreatedInvite, Invite, InviteCode, InviteTerms, MyRoom, NewInvite, RoomKind, Rooms};
use crate::broadcast::UserEvent;
use crate::error::{Error, Result};
use crate::moderation::model::Role;
use crate::room::RoomName;
use crate::user::User;
use crate::validation::ValidationError;

fn no_invite() -> Error {
    Error::NotFound("no such invite: the link is wrong or was revoked".into())
}

impl Rooms {
    /// `by`, a member of a private room, makes an invite to it.
    pub(crate) async fn create_invite(
        &self,
        by: &User,
        name: &RoomName,
        terms: InviteTerms,
        now: DateTime<Utc>,
    ) -> Result<CreatedInvite> {
        match self.readable(name, by).await? {
            RoomKind::Private => {}
            RoomKind::Public => {
                return Err(Error::Invalid(ValidationError::new(
                    "room",
                    "a public room needs no invite: anyone can join it",
                )));
            }
            RoomKind::Direct => {
                return Err(Error::Invalid(ValidationError::new(
                    "room",
                    "a direct conversation has exactly two people",
                )));
            }
        }
        self.writable(name).await?;
        let code = InviteCode::generate();
        let new = NewInvite {
            room: name.clone(),
            hash: code.hash(),
            created_by: by.id,
            created_at: now,
            expires_at: terms
                .expires_in
                .map(|d| now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)),
            max_uses: terms.max_uses,
        };
        let id = self.store.create_invite(&new).await?;
        Ok(CreatedInvite {
            invite: Invite {
                id,
                room: new.room,
                created_by: by.clone(),
                created_at: now,
                expires_at: new.expires_at,
                max_uses: new.max_uses,
                uses: 0,
            },
            code,
        })
    }

    /// The invites of a room `by` may read, newest first, those still
    /// usable at `now` only.
    pub(crate) async fn invites(
        &self,
        by: &User,
        name: &RoomName,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invite>> {
        self.readable(name, by).await?;
        let mut all = self.store.invites(name).await?;
        all.retain(|i| i.unusable_at(now).is_none());
        Ok(all)
    }

    /// `by` revokes invite `id` of a room they may read: its maker, the
    /// room's owner and moderators may.
    pub(crate) async fn revoke_invite(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        id: u64,
    ) -> Result<()> {
        self.readable(name, by).await?;
        let invite = self
            .store
            .invites(name)
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(no_invite)?;
        if invite.created_by.id != by.id {
            self.managed(by, by_role, name, "revoke others' invites")
                .await?;
        }
        self.store.delete_invite(name, id).await?;
        Ok(())
    }

    /// The invite with code `code` and its room, usable or not.
    async fn invite_and_room(&self, code: &InviteCode) -> Result<(Invite, super::Room)> {
        let invite = self
            .store
            .find_invite(&code.hash())
            .await?
            .ok_or_else(no_invite)?;
        let room = self.find(&invite.room).await?.ok_or_else(no_invite)?;
        Ok((invite, room))
    }

    /// What an invite code opens for `user`, for the page that asks
    /// whether to join: the invite and the room, if the code is good at
    /// `now` or `user` is a member already (then whatever its state: it
    /// tells nothing they cannot read), and whether they are.
    pub(crate) async fn peek_invite(
        &self,
        user: &User,
        code: &InviteCode,
        now: DateTime<Utc>,
    ) -> Result<(Invite, super::Room, bool)> {
        let (invite, room) = self.invite_and_room(code).await?;
        let member = self.store.read_state(&room.name, user.id).await?.is_some();
        if !member && let Some(why) = invite.unusable_at(now) {
            return Err(Error::NotFound(why.into()));
        }
        Ok((invite, room, member))
    }

    /// `user` joins the room an invite opens: one use of it, unless they
    /// are a member already (then even a used-up or expired invite answers
    /// the room: it tells nothing they cannot read). Answers the room as
    /// their list shows it.
    pub(crate) async fn accept_invite(
        &self,
        user: &User,
        code: &InviteCode,
        now: DateTime<Utc>,
    ) -> Result<MyRoom> {
        let (invite, room) = self.invite_and_room(code).await?;
        if self.store.read_state(&room.name, user.id).await?.is_some() {
            return self.info(user, &room.name).await;
        }
        if let Some(why) = invite.unusable_at(now) {
            return Err(Error::NotFound(why.into()));
        }
        if room.archived_at.is_some() {
            return Err(Error::Forbidden(format!(
                "#{} is archived: it takes no new members",
                room.name
            )));
        }
        let last = self.last_id(&room.name).await?;
        if !self.store.use_invite(invite.id, user.id, last, now).await? {
            return Err(Error::NotFound("this invite has been used up".into()));
        }
        self.tell(user.id, UserEvent::RoomAdded(room.name.clone()))
            .await;
        self.info(user, &room.name).await
    }
}
