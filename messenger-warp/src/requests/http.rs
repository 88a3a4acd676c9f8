//! The JSON API's table of routes (docs/protocol.md, "Rooms" and "Editing,
//! deleting, searching"): an HTTP request's method, path below `/api/`,
//! query and body decoded into a [`Request`]. One plain function over
//! plain values, so any HTTP server can carry the API; warp's side is
//! `http_requests.rs`.
//!
//! Why not one warp filter per route: each filter chain is a type of its
//! own, and compiling those types was most of this crate's build.

use messenger_core::{Error, Limits, MessageId};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::rooms::NewRoomFields;
use super::{MessageRequest, Request, RoomRequest};

/// An HTTP request as the table reads it.
pub(crate) struct HttpRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path below `/api/`, percent-encoded, without a leading slash.
    pub path: &'a str,
    /// The raw query string (empty when there is none).
    pub query: &'a str,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The body, once read: the table asks for it ([`Decoded::NeedsBody`])
    /// only for a route that takes one, so no other request is read.
    pub body: Option<&'a [u8]>,
}

/// What the table makes of a request.
pub(crate) enum Decoded {
    /// Not a route of this table (another may answer it).
    NotFound,
    /// Refused before authentication, as a malformed request.
    Refused(Refusal),
    /// The route takes a JSON body: read it (bounded) and decode again.
    NeedsBody,
    /// A request, or why one of its fields is invalid (told only to an
    /// authenticated caller).
    Request(Result<Request, Error>),
}

/// Why a request of this table is refused outright.
pub(crate) enum Refusal {
    /// The path is in the table, the method is not.
    MethodNotAllowed,
    /// The route takes a JSON body and the `Content-Type` says otherwise.
    NotJson,
    /// The body is not the JSON the route takes.
    MalformedBody(String),
    /// The query string is not what the route takes.
    MalformedQuery(String),
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomDetails {
    title: String,
    #[serde(default)]
    topic: String,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    max_uses: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct React {
    key: String,
    #[serde(default = "yes")]
    on: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pin {
    #[serde(default = "yes")]
    pinned: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Delete {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after_rev: u64,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    before: Option<u64>,
    limit: Option<usize>,
}

/// Why decoding stops short of a request.
enum Halt {
    Refused(Refusal),
    NeedsBody,
}

impl From<Refusal> for Halt {
    fn from(r: Refusal) -> Self {
        Halt::Refused(r)
    }
}

impl HttpRequest<'_> {
    /// The body as `T`, if it is JSON and well-formed.
    fn json<T: DeserializeOwned>(&self) -> Result<T, Halt> {
        let is_json = self.content_type.is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json {
            return Err(Refusal::NotJson.into());
        }
        let body = self.body.ok_or(Halt::NeedsBody)?;
        serde_json::from_slice(body).map_err(|e| Refusal::MalformedBody(e.to_string()).into())
    }

    fn query<T: DeserializeOwned>(&self) -> Result<T, Halt> {
        serde_urlencoded::from_str(self.query)
            .map_err(|e| Refusal::MalformedQuery(e.to_string()).into())
    }
}

/// Decodes `req` against the table.
pub(crate) fn decode(req: &HttpRequest<'_>, l: &Limits) -> Decoded {
    // As warp's paths: one trailing slash is the same path.
    let path = req.path.strip_suffix('/').unwrap_or(req.path);
    let mut segments = Vec::new();
    for raw in path.split('/') {
        match percent_encoding::percent_decode_str(raw).decode_utf8() {
            Ok(s) => segments.push(s),
            Err(_) => return Decoded::NotFound,
        }
    }
    let s: Vec<&str> = segments.iter().map(|c| c.as_ref()).collect();
    match route(req, &s, l) {
        Ok(Some(request)) => Decoded::Request(request),
        Ok(None) => Decoded::NotFound,
        Err(Halt::Refused(refusal)) => Decoded::Refused(refusal),
        Err(Halt::NeedsBody) => Decoded::NeedsBody,
    }
}

type Routed = Result<Option<Result<Request, Error>>, Halt>;

fn ok(r: impl Into<Request>) -> Routed {
    Ok(Some(Ok(r.into())))
}

fn parsed<R: Into<Request>>(r: Result<R, Error>) -> Routed {
    Ok(Some(r.map(Into::into)))
}

fn route(req: &HttpRequest<'_>, s: &[&str], l: &Limits) -> Routed {
    use RoomRequest as R;
    let wrong = || Err(Halt::Refused(Refusal::MethodNotAllowed));
    match (s, req.method) {
        (["rooms"], "GET") => ok(R::List),
        (["rooms"], "POST") => {
            let c: CreateRoom = req.json()?;
            let fields = NewRoomFields {
                name: &c.name,
                title: &c.title,
                topic: &c.topic,
                private: c.private,
            };
            parsed(R::create(fields, l))
        }
        (["rooms"], _) => wrong(),
        (["directory"], "GET") => ok(R::Directory),
        (["directory"], _) => wrong(),
        (["rooms", room], "GET") => parsed(R::about(room, l, R::Info)),
        (["rooms", room], "PATCH") => {
            let d: RoomDetails = req.json()?;
            parsed(R::set_details(room, &d.title, &d.topic, l))
        }
        (["rooms", room], "DELETE") => {
            let why: WhyQuery = req.query()?;
            parsed(R::delete(room, &why.reason, l))
        }
        (["rooms", _], _) => wrong(),
        (["rooms", room, "join"], "POST") => parsed(R::about(room, l, R::Enter)),
        (["rooms", room, "leave"], "POST") => parsed(R::about(room, l, R::Exit)),
        (["rooms", _, "join" | "leave"], _) => wrong(),
        (["rooms", room, "members"], "GET") => parsed(R::about(room, l, R::Members)),
        (["rooms", room, "members"], "POST") => {
            let who: Named = req.json()?;
            parsed(R::member(room, &who.username, true, l))
        }
        (["rooms", _, "members"], _) => wrong(),
        (["rooms", room, "members", who], "DELETE") => parsed(R::member(room, who, false, l)),
        (["rooms", _, "members", _], _) => wrong(),
        (["rooms", room, "read"], "POST") => {
            let r: ReadUpTo = req.json()?;
            parsed(R::about(room, l, |room| R::Read(room, MessageId(r.id))))
        }
        (["rooms", _, "read"], _) => wrong(),
        (["rooms", room, "archive"], "POST") => {
            let a: Archive = req.json()?;
            parsed(R::archive(room, a.archived, &a.reason, l))
        }
        (["rooms", _, "archive"], _) => wrong(),
        (["rooms", room, "invites"], "GET") => parsed(R::about(room, l, R::Invites)),
        (["rooms", room, "invites"], "POST") => {
            let t: NewInvite = req.json()?;
            parsed(R::create_invite(room, t.expires_in, t.max_uses, l))
        }
        (["rooms", _, "invites"], _) => wrong(),
        (["rooms", room, "invites", id], method) => match id.parse::<u64>() {
            Err(_) => Ok(None),
            Ok(id) if method == "DELETE" => {
                parsed(R::about(room, l, |room| R::RevokeInvite(room, id)))
            }
            Ok(_) => wrong(),
        },
        (["blocks"], "GET") => ok(R::Blocked),
        (["blocks"], "POST") => {
            let who: Named = req.json()?;
            parsed(R::user(&who.username, l, |u| R::Block(u, true)))
        }
        (["blocks"], _) => wrong(),
        (["blocks", who], "DELETE") => parsed(R::user(who, l, |u| R::Block(u, false))),
        (["blocks", _], _) => wrong(),
        (["dms"], "POST") => {
            let who: Named = req.json()?;
            parsed(R::user(&who.username, l, R::OpenDm))
        }
        (["dms"], _) => wrong(),
        (["invites", code], "GET") => parsed(R::invite(code, false)),
        (["invites", code], "POST") => parsed(R::invite(code, true)),
        (["invites", _], _) => wrong(),
        (["rooms", room, "messages", id, action @ ("edit" | "delete")], method) => {
            let Ok(id) = id.parse::<u64>() else {
                return Ok(None);
            };
            if method != "POST" {
                return wrong();
            }
            if *action == "edit" {
                let e: Edit = req.json()?;
                parsed(MessageRequest::edit(room, id, &e.body, l))
            } else {
                let d: Delete = req.json()?;
                parsed(MessageRequest::delete(room, id, &d.reason, l))
            }
        }
        (["rooms", room, "messages", id, "reactions"], method) => {
            let Ok(id) = id.parse::<u64>() else {
                return Ok(None);
            };
            match method {
                "GET" => parsed(MessageRequest::reactions(room, id, l)),
                "POST" => {
                    let r: React = req.json()?;
                    parsed(MessageRequest::react(room, id, &r.key, r.on, l))
                }
                _ => wrong(),
            }
        }
        (["rooms", room, "messages", id, "pin"], method) => {
            let Ok(id) = id.parse::<u64>() else {
                return Ok(None);
            };
            if method != "POST" {
                return wrong();
            }
            let p: Pin = req.json()?;
            parsed(MessageRequest::pin(room, id, p.pinned, l))
        }
        (["rooms", room, "pins"], "GET") => parsed(MessageRequest::pins(room, l)),
        (["rooms", _, "pins"], _) => wrong(),
        (["rooms", room, "changes"], "GET") => {
            let q: ChangesQuery = req.query()?;
            parsed(MessageRequest::changes(room, q.after_rev, q.limit, l))
        }
        (["rooms", _, "changes"], _) => wrong(),
        (["search"], "GET") => {
            let q: SearchQuery = req.query()?;
            parsed(MessageRequest::search(&q.q, q.before, q.limit))
        }
        (["search"], _) => wrong(),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(method: &'a str, path: &'a str, body: &'a str) -> HttpRequest<'a> {
        HttpRequest {
            method,
            path,
            query: "",
            content_type: Some("application/json"),
            body: Some(body.as_bytes()),
        }
    }

    fn kind(d: Decoded) -> &'static str {
        match d {
            Decoded::NotFound => "not found",
            Decoded::Refused(Refusal::MethodNotAllowed) => "method",
            Decoded::Refused(Refusal::NotJson) => "not json",
            Decoded::Refused(Refusal::MalformedBody(_)) => "body",
            Decoded::Refused(Refusal::MalformedQuery(_)) => "query",
            Decoded::NeedsBody => "needs body",
            Decoded::Request(Ok(_)) => "request",
            Decoded::Request(Err(_)) => "invalid",
        }
    }

    #[test]
    fn routes_methods_and_bodies() {
        let l = Limits::default();
        let d = |m, p, b| kind(decode(&req(m, p, b), &l));
        assert_eq!(d("GET", "rooms", ""), "request");
        assert_eq!(d("GET", "rooms/", ""), "request");
        assert_eq!(d("PUT", "rooms", ""), "method");
        assert_eq!(d("GET", "nowhere", ""), "not found");
        assert_eq!(d("POST", "rooms", "{"), "body");
        assert_eq!(
            d("POST", "rooms", r#"{"name":"x","title":"X","extra":1}"#),
            "body"
        );
        assert_eq!(
            d("POST", "rooms", r#"{"name":"Not A Name","title":"X"}"#),
            "invalid"
        );
        assert_eq!(d("POST", "rooms/team/join", ""), "request");
        assert_eq!(d("DELETE", "rooms/team/invites/7", ""), "request");
        assert_eq!(d("DELETE", "rooms/team/invites/seven", ""), "not found");
        assert_eq!(d("GET", "rooms/team/invites/7", ""), "method");
        assert_eq!(
            d("POST", "rooms/team/messages/3/edit", r#"{"body":"hi"}"#),
            "request"
        );
        assert_eq!(d("GET", "rooms/team/messages/3/edit", ""), "method");
        assert_eq!(
            d("POST", "rooms/team/messages/3/reactions", r#"{"key":"👍"}"#),
            "request"
        );
        assert_eq!(
            d("POST", "rooms/team/messages/3/reactions", r#"{"key":"x"}"#),
            "invalid"
        );
        assert_eq!(d("GET", "rooms/team/messages/3/reactions", ""), "request");
        assert_eq!(d("PUT", "rooms/team/messages/3/reactions", ""), "method");
        assert_eq!(d("POST", "rooms/team/messages/3/pin", "{}"), "request");
        assert_eq!(d("GET", "rooms/team/messages/3/pin", ""), "method");
        assert_eq!(d("GET", "rooms/team/pins", ""), "request");
        assert_eq!(d("POST", "rooms/team/pins", ""), "method");
        // The history route is another table's.
        assert_eq!(d("GET", "rooms/team/messages", ""), "not found");
        assert_eq!(d("DELETE", "blocks/bo%62", ""), "request");
        assert_eq!(d("DELETE", "blocks/%FF", ""), "not found");
    }

    #[test]
    fn a_body_must_say_it_is_json() {
        let l = Limits::default();
        let mut r = req("POST", "dms", r#"{"username":"bob"}"#);
        r.content_type = Some("text/plain");
        assert_eq!(kind(decode(&r, &l)), "not json");
        r.content_type = Some("application/json; charset=utf-8");
        assert_eq!(kind(decode(&r, &l)), "request");
        // Not read until a route asks for it.
        r.body = None;
        assert_eq!(kind(decode(&r, &l)), "needs body");
        assert_eq!(kind(decode(&req("GET", "rooms", "{"), &l)), "request");
    }

    #[test]
    fn queries_are_read_where_routes_take_them() {
        let l = Limits::default();
        let mut r = req("GET", "search", "");
        r.query = "q=hello&limit=5";
        assert_eq!(kind(decode(&r, &l)), "request");
        r.query = "limit=many";
        assert_eq!(kind(decode(&r, &l)), "query");
    }
}
