//! The JSON API's routes of rooms as data (docs/protocol.md, "Rooms"): the
//! same operations as the socket's room frames, for programs. Each route
//! decodes into the request layer's [`RoomRequest`]; the service checks
//! that the asking user may read the room (else 404, as for a room that
//! does not exist).

use messenger_core::{Error, MessageId};
use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::api::json_body;
use crate::requests::rooms::NewRoomFields;
use crate::requests::{Request, RoomRequest};
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

type Decoded = Result<Request, Error>;

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let limits = web.messenger().config().limits.clone();
    // Each route's decoder owns a copy of the limits it parses against.
    macro_rules! with_limits {
        (|$l:ident| $body:expr) => {{
            let $l = limits.clone();
            $body
        }};
    }
    let list = warp::path!("rooms")
        .and(warp::get())
        .map(|| -> Decoded { Ok(RoomRequest::List.into()) });
    let create = with_limits!(|l| warp::path!("rooms")
        .and(warp::post())
        .and(json_body::<CreateRoom>(limit))
        .map(move |c: CreateRoom| -> Decoded {
            let fields = NewRoomFields {
                name: &c.name,
                title: &c.title,
                topic: &c.topic,
                private: c.private,
            };
            Ok(RoomRequest::create(fields, &l)?.into())
        }));
    let directory = warp::path!("directory")
        .and(warp::get())
        .map(|| -> Decoded { Ok(RoomRequest::Directory.into()) });
    let info = with_limits!(|l| warp::path!("rooms" / String).and(warp::get()).map(
        move |room: String| -> Decoded {
            Ok(RoomRequest::about(&room, &l, RoomRequest::Info)?.into())
        }
    ));
    let enter = with_limits!(|l| warp::path!("rooms" / String / "join")
        .and(warp::post())
        .map(move |room: String| -> Decoded {
            Ok(RoomRequest::about(&room, &l, RoomRequest::Enter)?.into())
        }));
    let exit = with_limits!(|l| warp::path!("rooms" / String / "leave")
        .and(warp::post())
        .map(move |room: String| -> Decoded {
            Ok(RoomRequest::about(&room, &l, RoomRequest::Exit)?.into())
        }));
    let members = with_limits!(|l| warp::path!("rooms" / String / "members")
        .and(warp::get())
        .map(move |room: String| -> Decoded {
            Ok(RoomRequest::about(&room, &l, RoomRequest::Members)?.into())
        }));
    let add = with_limits!(|l| warp::path!("rooms" / String / "members")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(move |room: String, who: Named| -> Decoded {
            Ok(RoomRequest::member(&room, &who.username, true, &l)?.into())
        }));
    let remove = with_limits!(|l| warp::path!("rooms" / String / "members" / String)
        .and(warp::delete())
        .map(move |room: String, who: String| -> Decoded {
            Ok(RoomRequest::member(&room, &who, false, &l)?.into())
        }));
    let set = with_limits!(|l| warp::path!("rooms" / String)
        .and(warp::patch())
        .and(json_body::<RoomDetails>(limit))
        .map(move |room: String, d: RoomDetails| -> Decoded {
            Ok(RoomRequest::set_details(&room, &d.title, &d.topic, &l)?.into())
        }));
    let blocked = warp::path!("blocks")
        .and(warp::get())
        .map(|| -> Decoded { Ok(RoomRequest::Blocked.into()) });
    let block = with_limits!(|l| warp::path!("blocks")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(move |who: Named| -> Decoded {
            Ok(RoomRequest::user(&who.username, &l, |u| RoomRequest::Block(u, true))?.into())
        }));
    let unblock = with_limits!(|l| warp::path!("blocks" / String).and(warp::delete()).map(
        move |who: String| -> Decoded {
            Ok(RoomRequest::user(&who, &l, |u| RoomRequest::Block(u, false))?.into())
        }
    ));
    let dm = with_limits!(|l| warp::path!("dms")
        .and(warp::post())
        .and(json_body::<Named>(limit))
        .map(move |who: Named| -> Decoded {
            Ok(RoomRequest::user(&who.username, &l, RoomRequest::OpenDm)?.into())
        }));
    let read = with_limits!(|l| warp::path!("rooms" / String / "read")
        .and(warp::post())
        .and(json_body::<ReadUpTo>(limit))
        .map(move |room: String, r: ReadUpTo| -> Decoded {
            Ok(
                RoomRequest::about(&room, &l, |room| RoomRequest::Read(room, MessageId(r.id)))?
                    .into(),
            )
        }));
    let archive = with_limits!(|l| warp::path!("rooms" / String / "archive")
        .and(warp::post())
        .and(json_body::<Archive>(limit))
        .map(move |room: String, a: Archive| -> Decoded {
            Ok(RoomRequest::archive(&room, a.archived, &a.reason, &l)?.into())
        }));
    let delete = with_limits!(|l| warp::path!("rooms" / String)
        .and(warp::delete())
        .and(warp::query::<WhyQuery>())
        .map(move |room: String, why: WhyQuery| -> Decoded {
            Ok(RoomRequest::delete(&room, &why.reason, &l)?.into())
        }));
    let invites = with_limits!(|l| warp::path!("rooms" / String / "invites")
        .and(warp::get())
        .map(move |room: String| -> Decoded {
            Ok(RoomRequest::about(&room, &l, RoomRequest::Invites)?.into())
        }));
    let invite = with_limits!(|l| warp::path!("rooms" / String / "invites")
        .and(warp::post())
        .and(json_body::<NewInviteBody>(limit))
        .map(move |room: String, t: NewInviteBody| -> Decoded {
            Ok(RoomRequest::create_invite(&room, t.expires_in, t.max_uses, &l)?.into())
        }));
    let revoke = with_limits!(|l| warp::path!("rooms" / String / "invites" / u64)
        .and(warp::delete())
        .map(move |room: String, id: u64| -> Decoded {
            Ok(RoomRequest::about(&room, &l, |room| RoomRequest::RevokeInvite(room, id))?.into())
        }));
    let peek = warp::path!("invites" / String)
        .and(warp::get())
        .map(|code: String| -> Decoded { Ok(RoomRequest::invite(&code, false)?.into()) });
    let accept = warp::path!("invites" / String)
        .and(warp::post())
        .map(|code: String| -> Decoded { Ok(RoomRequest::invite(&code, true)?.into()) });
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
    let decode = rooms
        .or(members)
        .unify()
        .or(people)
        .unify()
        .or(closing)
        .unify()
        .or(invited)
        .unify()
        .boxed();
    crate::http_requests::serve(web, decode)
}
