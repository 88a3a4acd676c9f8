//! The JSON API of rooms as data (docs/protocol.md, "Rooms"): the same
//! operations as the socket's room frames, for programs. Every route asks
//! the service, which checks that the asking user may read the room (else
//! 404, as for a room that does not exist).

use messenger_core::{
    InviteCode, InviteTerms, MessageId, NewRoom, Reason, RoomName, RoomTitle, RoomTopic, User,
    Username,
};
use serde::Deserialize;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::api::{check_origin, json_body};
use crate::auth::{self, Authed};
use crate::error::{ApiError, json_reply, reject};
use crate::web::Web;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    name: String,
    title: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    private: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    username: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadUpTo {
    #[serde(deserialize_with = "crate::ids::store_id")]
    id: u64,
}

/// `PATCH /api/rooms/{room}`: the new title and topic.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomDetails {
    title: String,
    #[serde(default)]
    topic: String,
}

/// `POST /api/rooms/{room}/archive`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Archive {
    archived: bool,
    #[serde(default)]
    reason: String,
}

/// `?reason=` of `DELETE /api/rooms/{room}`.
#[derive(Deserialize)]
struct WhyQuery {
    #[serde(default)]
    reason: String,
}

/// `POST /api/rooms/{room}/invites`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInviteBody {
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    max_uses: Option<u32>,
}

/// What a room route does once it knows who asks (and, for a state
/// change, that the origin is allowed).
enum Op {
    List,
    Create(CreateRoom),
    Directory,
    Info(String),
    Enter(String),
    Exit(String),
    Members(String),
    AddMember(String, Named),
    RemoveMember(String, String),
    SetRoom(String, RoomDetails),
    Blocked,
    Block(Named),
    Unblock(String),
    OpenDm(Named),
    Read(String, ReadUpTo),
    Archive(String, Archive),
    Delete(String, WhyQuery),
    Invites(String),
    CreateInvite(String, NewInviteBody),
    RevokeInvite(String, u64),
    PeekInvite(String),
    AcceptInvite(String),
}

impl Op {
    fn changes_state(&self) -> bool {
        !matches!(
            self,
            Op::List
                | Op::Directory
                | Op::Info(_)
                | Op::Members(_)
                | Op::Blocked
                | Op::Invites(_)
                | Op::PeekInvite(_)
        )
    }
}

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let list = warp::path!("rooms").and(warp::get()).map(|| Op::List);
    let create = warp::path!("rooms")
        .and(warp::post())
        .and(json_body::<CreateRoom>(limit))
        .map(Op::Create);
    let directory = warp::path!("directory")
        .and(warp::get())
        .map(|| Op::Directory);
    let info = warp::path!("rooms" / String).and(warp::get()).map(Op::Info);
    let enter = warp::path!("rooms" / String / "join")
        .and(warp::post())
        .map(Op::Enter);
    let exit = warp::path!("rooms" / String / "leave")
        .and(warp::post())
        .map(Op::Exit);
    let members = warp::path!("rooms" / String / "members")
        .and(warp::get())
        .map(Op::Members);
    let add = warp::path!("rooms" / String / "members")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(Op::AddMember);
    let remove = warp::path!("rooms" / String / "members" / String)
        .and(warp::delete())
        .map(Op::RemoveMember);
    let set = warp::path!("rooms" / String)
        .and(warp::patch())
        .and(json_body::<RoomDetails>(limit))
        .map(Op::SetRoom);
    let blocked = warp::path!("blocks").and(warp::get()).map(|| Op::Blocked);
    let block = warp::path!("blocks")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(Op::Block);
    let unblock = warp::path!("blocks" / String)
        .and(warp::delete())
        .map(Op::Unblock);
    let dm = warp::path!("dms")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(Op::OpenDm);
    let read = warp::path!("rooms" / String / "read")
        .and(warp::post())
        .and(json_body::<ReadUpTo>(limit))
        .map(Op::Read);
    let archive = warp::path!("rooms" / String / "archive")
        .and(warp::post())
        .and(json_body::<Archive>(limit))
        .map(Op::Archive);
    let delete = warp::path!("rooms" / String)
        .and(warp::delete())
        .and(warp::query::<WhyQuery>())
        .map(Op::Delete);
    let invites = warp::path!("rooms" / String / "invites")
        .and(warp::get())
        .map(Op::Invites);
    let invite = warp::path!("rooms" / String / "invites")
        .and(warp::post())
        .and(json_body::<NewInviteBody>(limit))
        .map(Op::CreateInvite);
    let revoke = warp::path!("rooms" / String / "invites" / u64)
        .and(warp::delete())
        .map(Op::RevokeInvite);
    let peek = warp::path!("invites" / String)
        .and(warp::get())
        .map(Op::PeekInvite);
    let accept = warp::path!("invites" / String)
        .and(warp::post())
        .map(Op::AcceptInvite);
    // Boxed in groups: a long `.or()` chain nests its type once per route,
    // and type-checking it grows far faster than the chain (minutes).
    let rooms = list
        .or(create)
        .unify()
        .or(directory)
        .unify()
        .or(info)
        .unify()
        .or(enter)
        .unify()
        .or(exit)
        .unify()
        .boxed();
    let members = members
        .or(add)
        .unify()
        .or(remove)
        .unify()
        .or(set)
        .unify()
        .boxed();
    let people = blocked
        .or(block)
        .unify()
        .or(unblock)
        .unify()
        .or(dm)
        .unify()
        .or(read)
        .unify()
        .boxed();
    let closing = archive
        .or(delete)
        .unify()
        .or(invites)
        .unify()
        .or(invite)
        .unify()
        .boxed();
    let invited = revoke.or(peek).unify().or(accept).unify().boxed();
    let ops = rooms
        .or(members)
        .unify()
        .or(people)
        .unify()
        .or(closing)
        .unify()
        .or(invited)
        .unify();
    ops.and(auth::required(web.clone()))
        .and(warp::header::headers_cloned())
        .and_then(move |op: Op, authed: Authed, headers: HeaderMap| {
            let web = web.clone();
            async move {
                if op.changes_state() {
                    check_origin(&web, &authed, &headers)?;
                }
                answer(&web, &authed.user, op).await.map_err(reject)
            }
        })
        .boxed()
}

fn no_content() -> Response {
    warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response()
}

fn room_name(web: &Web, raw: &str) -> Result<RoomName, ApiError> {
    Ok(RoomName::parse(raw, &web.messenger().config().limits)?)
}

async fn answer(web: &Web, user: &User, op: Op) -> Result<Response, ApiError> {
    let m = web.messenger();
    let limits = &m.config().limits;
    let body = match op {
        Op::List => json!({ "rooms": m.my_rooms(user).await? }),
        Op::Create(c) => {
            let room = m
                .create_room(
                    Some(user),
                    NewRoom {
                        name: RoomName::parse(&c.name, limits)?,
                        title: RoomTitle::parse(&c.title)?,
                        topic: RoomTopic::parse(&c.topic)?,
                        private: c.private,
                    },
                    &[],
                )
                .await?;
            let info = m.room_info(user, &room.name).await?;
            return Ok(json_reply(StatusCode::CREATED, &json!({ "room": info })));
        }
        Op::Directory => json!({ "rooms": m.directory().await? }),
        Op::Info(raw) => {
            let room = m.room_for(&raw, user).await?;
            json!({ "room": m.room_info(user, &room).await? })
        }
        Op::Enter(raw) => {
            let room = m.room_for(&raw, user).await?;
            json!({ "room": m.enter_room(user, &room).await? })
        }
        Op::Exit(raw) => {
            m.exit_room(user, &room_name(web, &raw)?).await?;
            return Ok(no_content());
        }
        Op::Members(raw) => {
            let room = room_name(web, &raw)?;
            json!({ "room": room, "members": m.members(user, &room).await? })
        }
        Op::AddMember(raw, who) => {
            let room = room_name(web, &raw)?;
            let username = Username::parse(&who.username, limits)?;
            json!({ "room": room, "members": m.add_member(user, &room, &username).await? })
        }
        Op::RemoveMember(raw, who) => {
            let room = room_name(web, &raw)?;
            let username = Username::parse(&who, limits)?;
            json!({ "room": room, "members": m.remove_member(user, &room, &username).await? })
        }
        Op::SetRoom(raw, details) => {
            let room = room_name(web, &raw)?;
            let (title, topic) = (
                RoomTitle::parse(&details.title)?,
                RoomTopic::parse(&details.topic)?,
            );
            m.set_room_details(user, &room, title, topic).await?;
            json!({ "room": m.room_info(user, &room).await? })
        }
        Op::Blocked => json!({ "blocked": m.blocked(user).await? }),
        Op::Block(who) => {
            let username = Username::parse(&who.username, limits)?;
            json!({ "blocked": m.block(user, &username, true).await? })
        }
        Op::Unblock(who) => {
            let username = Username::parse(&who, limits)?;
            json!({ "blocked": m.block(user, &username, false).await? })
        }
        Op::OpenDm(who) => {
            let username = Username::parse(&who.username, limits)?;
            json!({ "room": m.open_direct(user, &username).await? })
        }
        Op::Archive(raw, a) => {
            let room = room_name(web, &raw)?;
            m.archive_room(user, &room, a.archived, Reason::parse(&a.reason)?)
                .await?;
            json!({ "room": m.room_info(user, &room).await? })
        }
        Op::Delete(raw, why) => {
            let room = room_name(web, &raw)?;
            m.delete_room(user, &room, Reason::parse(&why.reason)?)
                .await?;
            return Ok(no_content());
        }
        Op::Invites(raw) => {
            let room = room_name(web, &raw)?;
            json!({ "room": room, "invites": m.invites(user, &room).await? })
        }
        Op::CreateInvite(raw, terms) => {
            let room = room_name(web, &raw)?;
            let terms = InviteTerms::parse(terms.expires_in, terms.max_uses)?;
            let made = m.create_invite(user, &room, terms).await?;
            let body = json!({ "invite": made.invite, "code": made.code.expose() });
            return Ok(json_reply(StatusCode::CREATED, &body));
        }
        Op::RevokeInvite(raw, id) => {
            m.revoke_invite(user, &room_name(web, &raw)?, id).await?;
            return Ok(no_content());
        }
        Op::PeekInvite(code) => {
            let (invite, room, member) = m.peek_invite(user, &InviteCode::parse(&code)?).await?;
            json!({ "invite": invite, "room": room, "member": member })
        }
        Op::AcceptInvite(code) => {
            json!({ "room": m.accept_invite(user, &InviteCode::parse(&code)?).await? })
        }
        Op::Read(raw, up_to) => {
            let room = room_name(web, &raw)?;
            let state = m.mark_read(user, &room, MessageId(up_to.id)).await?;
            json!({ "room": room, "last_read": state.last_read, "mentions": state.mentions })
        }
    };
    Ok(json_reply(StatusCode::OK, &body))
}
