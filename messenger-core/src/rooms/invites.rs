//! Invite links to private rooms: a secret code that makes whoever holds it
//! a member, until it expires, is used up or is revoked.
//!
//! The code is a bearer secret like a session token: stores keep only its
//! hash, so the link is shown once, when it is made; the room's list shows
//! each invite by id, with its terms and uses, for revoking.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{MyRoom, RoomKind, Rooms};
use crate::broadcast::UserEvent;
use crate::error::{Error, Result, ValidationError};
use crate::moderation::Role;
use crate::room::RoomName;
use crate::session::TokenHash;
use crate::user::{User, UserId};

/// An invite's secret: 128 random bits, base64url (22 characters). Never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    const LEN: usize = 22;

    /// A fresh random code from the OS generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Validates a code from a link.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = raw.len() == Self::LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ValidationError::new("code", "is not an invite code"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The code, to put in the link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stores keep instead of the code.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl std::fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteCode(<redacted>)")
    }
}

/// How long an invite lasts and how often it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteTerms {
    /// It expires this long after it was made; `None`: never.
    pub expires_in: Option<Duration>,
    /// It may make this many members; `None`: any number.
    pub max_uses: Option<u32>,
}

impl InviteTerms {
    /// Shortest lifetime: 5 minutes.
    pub const MIN_LIFETIME: Duration = Duration::from_secs(5 * 60);
    /// Longest lifetime with an expiry: 30 days.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
    /// Most uses an invite with a limit may have.
    pub const MAX_USES: u32 = 1000;

    /// The default lifetime: a week.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

    /// Validates terms from a client: a lifetime in seconds (absent: the
    /// default week; 0: never expires) and a use count (absent: any).
    pub fn parse(
        expires_in_secs: Option<u64>,
        max_uses: Option<u32>,
    ) -> Result<Self, ValidationError> {
        let expires_in = match expires_in_secs {
            None => Some(Self::DEFAULT_LIFETIME),
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs)),
        };
        if expires_in.is_some_and(|d| !(Self::MIN_LIFETIME..=Self::MAX_LIFETIME).contains(&d)) {
            return Err(ValidationError::new(
                "expires_in",
                "must be from 300 seconds (5 minutes) to 2592000 (30 days), or 0 for never",
            ));
        }
        if max_uses.is_some_and(|n| !(1..=Self::MAX_USES).contains(&n)) {
            return Err(ValidationError::new(
                "max_uses",
                "must be from 1 to 1000, or absent for any number",
            ));
        }
        Ok(Self {
            expires_in,
            max_uses,
        })
    }
}

impl Default for InviteTerms {
    /// A week, any number of uses.
    fn default() -> Self {
        Self {
            expires_in: Some(Self::DEFAULT_LIFETIME),
            max_uses: None,
        }
    }
}

/// An invite to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    /// The room it opens.
    pub room: RoomName,
    /// The hash of its code.
    pub hash: TokenHash,
    /// Who made it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// How many members it may make, if limited.
    pub max_uses: Option<u32>,
}

/// An invite as stored and listed (never with its code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    /// Its id, to revoke it by.
    pub id: u64,
    /// The room it opens.
    pub room: RoomName,
    /// Who made it.
    pub created_by: User,
    /// When.
    #[serde(with = "crate::clock::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it stops working; `null`: never.
    #[serde(with = "crate::clock::rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    /// How many members it may make; `null`: any number.
    pub max_uses: Option<u32>,
    /// How many it has made.
    pub uses: u32,
}

impl Invite {
    /// Why it cannot be used at `now`, if it cannot.
    fn unusable_at(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.expires_at.is_some_and(|at| at <= now) {
            Some("this invite has expired")
        } else if self.max_uses.is_some_and(|n| self.uses >= n) {
            Some("this invite has been used up")
        } else {
            None
        }
    }
}

/// A fresh invite with the code for its link (shown this once).
#[derive(Debug, Clone)]
pub struct CreatedInvite {
    /// The invite.
    pub invite: Invite,
    /// Its code.
    pub code: InviteCode,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_terms() {
        let code = InviteCode::generate();
        assert_eq!(code.expose().len(), 22);
        assert_eq!(InviteCode::parse(code.expose()).unwrap(), code);
        assert!(InviteCode::parse("short").is_err());
        assert!(InviteCode::parse(&"a".repeat(21).replace('a', "%")).is_err());
        assert!(!format!("{code:?}").contains(code.expose()));
        assert!(InviteTerms::parse(Some(299), None).is_err());
        assert!(InviteTerms::parse(Some(2_592_001), None).is_err());
        assert!(InviteTerms::parse(Some(300), Some(0)).is_err());
        assert!(InviteTerms::parse(None, Some(1001)).is_err());
        let t = InviteTerms::parse(Some(3600), Some(1)).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(3600)));
        assert_eq!(t.max_uses, Some(1));
        assert_eq!(
            InviteTerms::parse(None, None).unwrap(),
            InviteTerms::default()
        );
        assert_eq!(InviteTerms::parse(Some(0), None).unwrap().expires_in, None);
    }
}
