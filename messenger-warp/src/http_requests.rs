//! The JSON API's side of the request layer: the tail every request route
//! shares (authentication, the origin check for state changes, applying
//! the request) and rendering an [`Answer`] as a status and JSON.

use messenger_core::Error;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::api::check_origin;
use crate::auth::{self, Authed};
use crate::error::{json_reply, reject};
use crate::requests::{self, Answer, Request};
use crate::web::Web;

/// Serves the routes of `decode`: each decodes its path, query and body
/// into a request (or the reason it cannot), answered once the caller is
/// authenticated, so a stranger learns only `unauthorized`. Anything but
/// GET changes state and must come from an allowed origin.
pub(crate) fn serve(
    web: Web,
    decode: BoxedFilter<(Result<Request, Error>,)>,
) -> BoxedFilter<(Response,)> {
    decode
        .and(auth::required(web.clone()))
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and_then(
            move |request: Result<Request, Error>,
                  authed: Authed,
                  method: Method,
                  headers: HeaderMap| {
                let web = web.clone();
                async move {
                    if method != Method::GET {
                        check_origin(&web, &authed, &headers)?;
                    }
                    let request = request.map_err(reject)?;
                    let answer = requests::apply(web.messenger(), &authed.user, request)
                        .await
                        .map_err(reject)?;
                    Ok::<_, warp::Rejection>(render(answer))
                }
            },
        )
        .boxed()
}

fn no_content() -> Response {
    warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response()
}

/// The answer as docs/protocol.md gives it for the JSON API.
fn render(answer: Answer) -> Response {
    let body = match answer {
        Answer::Rooms(rooms) => json!({ "rooms": rooms }),
        Answer::Room { room, created } => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            return json_reply(status, &json!({ "room": room }));
        }
        Answer::Directory(rooms) => json!({ "rooms": rooms }),
        Answer::Members { room, members } => json!({ "room": room, "members": members }),
        Answer::RoomGone(_) => return no_content(),
        Answer::Blocked(users) => json!({ "blocked": users }),
        Answer::Invite(made) => {
            let body = json!({ "invite": made.invite, "code": made.code.expose() });
            return json_reply(StatusCode::CREATED, &body);
        }
        Answer::Invites { revoked: true, .. } => return no_content(),
        Answer::Invites { room, invites, .. } => json!({ "room": room, "invites": invites }),
        Answer::InvitePeek {
            invite,
            room,
            member,
        } => json!({ "invite": invite, "room": room, "member": member }),
        Answer::Read { room, state } => {
            json!({ "room": room, "last_read": state.last_read, "mentions": state.mentions })
        }
        Answer::Changed(message) => json!({ "message": message }),
        Answer::Changes {
            messages,
            last_id,
            rev,
        } => json!({ "messages": messages, "last_id": last_id, "rev": rev }),
        Answer::Search(page) => json!(page),
    };
    json_reply(StatusCode::OK, &body)
}
