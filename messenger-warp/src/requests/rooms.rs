//! Rooms as data (docs/protocol.md, "Rooms"): the list, the directory,
//! creating, entering and leaving, members, details, archiving and
//! deleting, invites, blocks, direct conversations and read markers.

use messenger_core::{
    Error, InviteCode, InviteTerms, Limits, MessageId, Messenger, NewRoom, Reason, RoomName,
    RoomTitle, RoomTopic, User, Username,
};

use super::{Answer, Applied};

/// A room request, its fields parsed.
pub(crate) enum RoomRequest {
    List,
    Create(NewRoom),
    Directory,
    Info(RoomName),
    Enter(RoomName),
    Exit(RoomName),
    Members(RoomName),
    AddMember(RoomName, Username),
    RemoveMember(RoomName, Username),
    SetDetails(RoomName, RoomTitle, RoomTopic),
    Archive(RoomName, bool, Reason),
    Delete(RoomName, Reason),
    Invites(RoomName),
    CreateInvite(RoomName, InviteTerms),
    RevokeInvite(RoomName, u64),
    PeekInvite(InviteCode),
    AcceptInvite(InviteCode),
    OpenDm(Username),
    Blocked,
    Block(Username, bool),
    Read(RoomName, MessageId),
}

/// The raw fields of a new room, as both transports carry them.
pub(crate) struct NewRoomFields<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub topic: &'a str,
    pub private: bool,
}

impl RoomRequest {
    pub(crate) fn create(f: NewRoomFields<'_>, limits: &Limits) -> Result<Self, Error> {
        Ok(RoomRequest::Create(NewRoom {
            name: RoomName::parse(f.name, limits)?,
            title: RoomTitle::parse(f.title)?,
            topic: RoomTopic::parse(f.topic)?,
            private: f.private,
        }))
    }

    /// A request about one room, by the name the client gave.
    pub(crate) fn about(
        room: &str,
        limits: &Limits,
        make: impl FnOnce(RoomName) -> Self,
    ) -> Result<Self, Error> {
        Ok(make(RoomName::parse(room, limits)?))
    }

    pub(crate) fn member(
        room: &str,
        username: &str,
        add: bool,
        limits: &Limits,
    ) -> Result<Self, Error> {
        let room = RoomName::parse(room, limits)?;
        let username = Username::parse(username, limits)?;
        Ok(if add {
            RoomRequest::AddMember(room, username)
        } else {
            RoomRequest::RemoveMember(room, username)
        })
    }

    pub(crate) fn set_details(
        room: &str,
        title: &str,
        topic: &str,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(RoomRequest::SetDetails(
            RoomName::parse(room, limits)?,
            RoomTitle::parse(title)?,
            RoomTopic::parse(topic)?,
        ))
    }

    pub(crate) fn archive(
        room: &str,
        archived: bool,
        reason: &str,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(RoomRequest::Archive(
            RoomName::parse(room, limits)?,
            archived,
            Reason::parse(reason)?,
        ))
    }

    pub(crate) fn delete(room: &str, reason: &str, limits: &Limits) -> Result<Self, Error> {
        Ok(RoomRequest::Delete(
            RoomName::parse(room, limits)?,
            Reason::parse(reason)?,
        ))
    }

    pub(crate) fn create_invite(
        room: &str,
        expires_in: Option<u64>,
        max_uses: Option<u32>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Ok(RoomRequest::CreateInvite(
            RoomName::parse(room, limits)?,
            InviteTerms::parse(expires_in, max_uses)?,
        ))
    }

    pub(crate) fn invite(code: &str, accept: bool) -> Result<Self, Error> {
        let code = InviteCode::parse(code)?;
        Ok(if accept {
            RoomRequest::AcceptInvite(code)
        } else {
            RoomRequest::PeekInvite(code)
        })
    }

    /// A request about another user, by the name the client gave.
    pub(crate) fn user(
        username: &str,
        limits: &Limits,
        make: impl FnOnce(Username) -> Self,
    ) -> Result<Self, Error> {
        Ok(make(Username::parse(username, limits)?))
    }

    /// Boxed: the future's type ends here, so an edit to a handler
    /// rebuilds this file's code, not every async caller's that would
    /// otherwise embed it (the socket's loop, the HTTP filter).
    pub(crate) fn apply<'a>(self, m: &'a Messenger, user: &'a User) -> Applied<'a> {
        Box::pin(self.run(m, user))
    }

    async fn run(self, m: &Messenger, user: &User) -> Result<Answer, Error> {
        // Readable first, whatever the request: an outsider learns only
        // `not_found`, as for a room that does not exist.
        if let Some(room) = self.room() {
            m.room_for(room.as_str(), user).await?;
        }
        Ok(match self {
            RoomRequest::List => Answer::Rooms(m.my_rooms(user).await?),
            RoomRequest::Create(new) => {
                let made = m.create_room(Some(user), new, &[]).await?;
                Answer::Room {
                    room: m.room_info(user, &made.name).await?,
                    created: true,
                }
            }
            RoomRequest::Directory => Answer::Directory(m.directory().await?),
            RoomRequest::Info(room) => Answer::Room {
                room: m.room_info(user, &room).await?,
                created: false,
            },
            RoomRequest::Enter(room) => Answer::Room {
                room: m.enter_room(user, &room).await?,
                created: false,
            },
            RoomRequest::Exit(room) => {
                m.exit_room(user, &room).await?;
                Answer::RoomGone(room)
            }
            RoomRequest::Members(room) => Answer::Members {
                members: m.members(user, &room).await?,
                room,
            },
            RoomRequest::AddMember(room, who) => Answer::Members {
                members: m.add_member(user, &room, &who).await?,
                room,
            },
            RoomRequest::RemoveMember(room, who) => Answer::Members {
                members: m.remove_member(user, &room, &who).await?,
                room,
            },
            RoomRequest::SetDetails(room, title, topic) => {
                m.set_room_details(user, &room, title, topic).await?;
                Answer::Room {
                    room: m.room_info(user, &room).await?,
                    created: false,
                }
            }
            RoomRequest::Archive(room, archived, reason) => {
                m.archive_room(user, &room, archived, reason).await?;
                Answer::Room {
                    room: m.room_info(user, &room).await?,
                    created: false,
                }
            }
            RoomRequest::Delete(room, reason) => {
                m.delete_room(user, &room, reason).await?;
                Answer::RoomGone(room)
            }
            RoomRequest::Invites(room) => Answer::Invites {
                invites: m.invites(user, &room).await?,
                room,
                revoked: false,
            },
            RoomRequest::CreateInvite(room, terms) => {
                Answer::Invite(m.create_invite(user, &room, terms).await?)
            }
            RoomRequest::RevokeInvite(room, id) => {
                m.revoke_invite(user, &room, id).await?;
                Answer::Invites {
                    invites: m.invites(user, &room).await?,
                    room,
                    revoked: true,
                }
            }
            RoomRequest::PeekInvite(code) => {
                let (invite, room, member) = m.peek_invite(user, &code).await?;
                Answer::InvitePeek {
                    invite,
                    room,
                    member,
                }
            }
            RoomRequest::AcceptInvite(code) => Answer::Room {
                room: m.accept_invite(user, &code).await?,
                created: false,
            },
            RoomRequest::OpenDm(who) => Answer::Room {
                room: m.open_direct(user, &who).await?,
                created: false,
            },
            RoomRequest::Blocked => Answer::Blocked(m.blocked(user).await?),
            RoomRequest::Block(who, blocked) => {
                Answer::Blocked(m.block(user, &who, blocked).await?)
            }
            RoomRequest::Read(room, id) => Answer::Read {
                state: m.mark_read(user, &room, id).await?,
                room,
            },
        })
    }

    /// The existing room the request is about, if it is about one.
    fn room(&self) -> Option<&RoomName> {
        match self {
            RoomRequest::Info(r)
            | RoomRequest::Enter(r)
            | RoomRequest::Exit(r)
            | RoomRequest::Members(r)
            | RoomRequest::AddMember(r, _)
            | RoomRequest::RemoveMember(r, _)
            | RoomRequest::SetDetails(r, ..)
            | RoomRequest::Archive(r, ..)
            | RoomRequest::Delete(r, _)
            | RoomRequest::Invites(r)
            | RoomRequest::CreateInvite(r, _)
            | RoomRequest::RevokeInvite(r, _)
            | RoomRequest::Read(r, _) => Some(r),
            RoomRequest::List
            | RoomRequest::Create(_)
            | RoomRequest::Directory
            | RoomRequest::PeekInvite(_)
            | RoomRequest::AcceptInvite(_)
            | RoomRequest::OpenDm(_)
            | RoomRequest::Blocked
            | RoomRequest::Block(..) => None,
        }
    }
}
