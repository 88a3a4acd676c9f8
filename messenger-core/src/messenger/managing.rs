//! The room owner's tools beyond members and details: archiving, deleting
//! (moderators), and invite links to private rooms.

use super::Messenger;
use crate::error::Result;
use crate::moderation::{ModActionKind, NewModAction, Reason};
use crate::room::RoomName;
use crate::rooms::{CreatedInvite, Invite, InviteCode, InviteTerms, MyRoom, Room};
use crate::user::User;

impl Messenger {
    /// `by` archives `room` (`archived: true`: read-only from now on: no
    /// posts, edits, new members or invites; moderators may still delete
    /// messages) or opens it again. The room's owner and moderators may,
    /// in any room but direct conversations; recorded in the moderation
    /// log. Members' v2 sockets get the room again. Answers the room after.
    pub async fn archive_room(
        &self,
        by: &User,
        room: &RoomName,
        archived: bool,
        reason: Reason,
    ) -> Result<Room> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        let now = self.inner.clock.now();
        let after = self
            .inner
            .rooms
            .archive(by, role, room, archived, now)
            .await?;
        let kind = if archived {
            ModActionKind::ArchiveRoom { room: room.clone() }
        } else {
            ModActionKind::UnarchiveRoom { room: room.clone() }
        };
        self.log_room_action(by, kind, reason).await?;
        Ok(after)
    }

    /// `by`, a moderator, deletes `room` (not a configured room or a direct
    /// conversation): every message is erased as a deleted message is,
    /// members, invites and read states go, members' sockets drop the
    /// room, and the name stays taken. Recorded in the moderation log.
    /// Answers the room as it was.
    pub async fn delete_room(&self, by: &User, room: &RoomName, reason: Reason) -> Result<Room> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        let deleted = self.inner.rooms.delete(by, role, room).await?;
        self.log_room_action(by, ModActionKind::DeleteRoom { room: room.clone() }, reason)
            .await?;
        Ok(deleted)
    }

    async fn log_room_action(&self, by: &User, kind: ModActionKind, reason: Reason) -> Result<()> {
        self.inner
            .moderation
            .log(NewModAction {
                at: self.inner.clock.now(),
                actor: Some(by.id),
                target: None,
                kind,
                reason,
            })
            .await
    }

    /// `by`, a member of private room `room`, makes an invite link to it.
    /// Muted users cannot; counted with member adds
    /// ([`ActionLimits::add_member`](crate::ActionLimits::add_member)).
    /// The answer holds the code: stores keep only its hash, so this is the
    /// one time it is shown.
    pub async fn create_invite(
        &self,
        by: &User,
        room: &RoomName,
        terms: InviteTerms,
    ) -> Result<CreatedInvite> {
        self.inner.rooms.readable(room, by).await?;
        self.inner.moderation.may_send(by).await?;
        self.limit("add_member", by, self.inner.config.actions.add_member)
            .await?;
        let now = self.inner.clock.now();
        self.inner.rooms.create_invite(by, room, terms, now).await
    }

    /// The usable invites of a room `by` may read, newest first.
    pub async fn invites(&self, by: &User, room: &RoomName) -> Result<Vec<Invite>> {
        let now = self.inner.clock.now();
        self.inner.rooms.invites(by, room, now).await
    }

    /// `by` revokes invite `id` of `room`: its maker, the room's owner and
    /// moderators may. The link stops working at once.
    pub async fn revoke_invite(&self, by: &User, room: &RoomName, id: u64) -> Result<()> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        self.inner.rooms.revoke_invite(by, role, room, id).await
    }

    /// What an invite code opens for `user`: the invite, its room, and
    /// whether `user` is a member already (for a page that asks whether to
    /// join, or goes straight to the room). A wrong, revoked, expired or
    /// used-up code is `not_found`, saying which, unless `user` is a
    /// member.
    pub async fn peek_invite(
        &self,
        user: &User,
        code: &InviteCode,
    ) -> Result<(Invite, Room, bool)> {
        let now = self.inner.clock.now();
        self.inner.rooms.peek_invite(user, code, now).await
    }

    /// `user` joins the room an invite opens (one use of it, unless they
    /// are a member already). Answers the room as their list shows it.
    pub async fn accept_invite(&self, user: &User, code: &InviteCode) -> Result<MyRoom> {
        let now = self.inner.clock.now();
        self.inner.rooms.accept_invite(user, code, now).await
    }
}
