//! The JSON API's side of the request layer, on warp: the table of routes
//! (`requests/http.rs`) run on a request, the body read only when a route
//! takes one, then authentication, the origin check for state changes,
//! applying the request, and rendering its [`Answer`] as a status and JSON.

use bytes::Buf;
use futures_util::{Stream, StreamExt};
use messenger_core::{Error, ErrorCode};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use warp::http::{HeaderMap, Method, StatusCode};
use warp::path::Tail;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::api::check_origin;
use crate::auth::{self, Authed};
use crate::error::{ApiError, json_reply, reject};
use crate::handler::handler;
use crate::requests::http::{self, Decoded, HttpRequest, Refusal};
use crate::requests::{self, Answer, Request};
use crate::web::Web;

/// The JSON API's requests about rooms and messages (the request layer's
/// table, `requests/http.rs`), below `/api/`. A path the table does not
/// know is rejected as not found, for the API's other routes to answer.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let w = web.clone();
    warp::method()
        .and(warp::path::tail())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .and_then(
            move |method: Method, tail: Tail, query: String, headers: HeaderMap, body| {
                let web = w.clone();
                handler(async move {
                    decode(&web, &method, tail.as_str(), &query, &headers, body).await
                })
            },
        )
        .and(auth::required(web.clone()))
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and_then(
            move |request: Result<Request, Error>,
                  authed: Authed,
                  method: Method,
                  headers: HeaderMap| {
                let web = web.clone();
                handler(async move {
                    if method != Method::GET {
                        check_origin(&web, &authed, &headers)?;
                    }
                    let request = request.map_err(reject)?;
                    let answer = requests::apply(web.messenger(), &authed.user, request)
                        .await
                        .map_err(reject)?;
                    Ok::<_, warp::Rejection>(render(answer))
                })
            },
        )
        .boxed()
}

/// Runs the table; reads the body only for a route that takes one, at
/// most the configured size: refused from `Content-Length` before any byte
/// is read (411 without one), and counted while reading.
async fn decode(
    web: &Web,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Result<Result<Request, Error>, warp::Rejection> {
    let limits = &web.messenger().config().limits;
    let mut req = HttpRequest {
        method: method.as_str(),
        path,
        query,
        content_type: headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        body: None,
    };
    let read;
    let decoded = match http::decode(&req, limits) {
        Decoded::NeedsBody => {
            read = read_body(web.config().body_limit, headers, body).await?;
            req.body = Some(&read);
            http::decode(&req, limits)
        }
        other => other,
    };
    match decoded {
        Decoded::Request(request) => Ok(request),
        Decoded::NotFound => Err(warp::reject::not_found()),
        Decoded::Refused(refusal) => Err(reject(refused(refusal))),
        Decoded::NeedsBody => Err(reject(ApiError::new(ErrorCode::Internal, "internal error"))),
    }
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::MethodNotAllowed => {
            ApiError::new(ErrorCode::NotFound, "no such endpoint for this method")
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
        }
        Refusal::NotJson => ApiError::new(
            ErrorCode::Invalid,
            "expected Content-Type: application/json",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        Refusal::MalformedBody(e) => {
            ApiError::new(ErrorCode::Invalid, format!("malformed JSON body: {e}"))
        }
        Refusal::MalformedQuery(e) => {
            ApiError::new(ErrorCode::Invalid, format!("malformed query: {e}"))
        }
    }
}

async fn read_body(
    limit: u64,
    headers: &HeaderMap,
    mut body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Result<Vec<u8>, warp::Rejection> {
    let too_large = || {
        reject(ApiError::new(
            ErrorCode::TooLarge,
            "request body is too large",
        ))
    };
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            reject(
                ApiError::new(ErrorCode::Invalid, "a Content-Length is required")
                    .with_status(StatusCode::LENGTH_REQUIRED),
            )
        })?;
    if length > limit {
        return Err(too_large());
    }
    let mut read = Vec::with_capacity(length as usize);
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| {
            reject(ApiError::new(
                ErrorCode::Invalid,
                "the request body was cut off",
            ))
        })?;
        if read.len() as u64 + chunk.remaining() as u64 > limit {
            return Err(too_large());
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            read.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(read)
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
        Answer::Pins { room, messages } => json!({ "room": room, "messages": messages }),
        Answer::Reactions {
            room,
            id,
            reactions,
        } => {
            json!({ "room": room, "id": id, "reactions": reactions })
        }
        Answer::Changes {
            messages,
            last_id,
            rev,
        } => json!({ "messages": messages, "last_id": last_id, "rev": rev }),
        Answer::Search(page) => json!(page),
    };
    json_reply(StatusCode::OK, &body)
}
