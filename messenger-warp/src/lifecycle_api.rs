//! The JSON API of the message lifecycle (docs/protocol.md, "Editing,
//! deleting, searching"): edit, delete, the changes since a change
//! number, and search. The rules are the service's.

use messenger_core::moderation::Reason;
use messenger_core::{MessageBody, MessageId, SearchQuery, User};
use serde::Deserialize;
use serde_json::json;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::api::{check_origin, json_body};
use crate::auth::{self, Authed};
use crate::error::{ApiError, json_reply, reject};
use crate::web::Web;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    body: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Delete {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct ChangesParams {
    #[serde(default)]
    after_rev: u64,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct SearchParams {
    q: String,
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    before: Option<u64>,
    limit: Option<usize>,
}

enum Op {
    Edit(String, u64, Edit),
    Delete(String, u64, Delete),
    Changes(String, ChangesParams),
    Search(SearchParams),
}

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let edit = warp::path!("rooms" / String / "messages" / u64 / "edit")
        .and(warp::post())
        .and(json_body::<Edit>(limit))
        .map(Op::Edit);
    let delete = warp::path!("rooms" / String / "messages" / u64 / "delete")
        .and(warp::post())
        .and(json_body::<Delete>(limit))
        .map(Op::Delete);
    let changes = warp::path!("rooms" / String / "changes")
        .and(warp::get())
        .and(warp::query::<ChangesParams>())
        .map(Op::Changes);
    let search = warp::path!("search")
        .and(warp::get())
        .and(warp::query::<SearchParams>())
        .map(Op::Search);
    edit.or(delete)
        .unify()
        .or(changes)
        .unify()
        .or(search)
        .unify()
        .and(auth::required(web.clone()))
        .and(warp::header::headers_cloned())
        .and_then(move |op: Op, authed: Authed, headers: HeaderMap| {
            let web = web.clone();
            async move {
                if matches!(op, Op::Edit(..) | Op::Delete(..)) {
                    check_origin(&web, &authed, &headers)?;
                }
                answer(&web, &authed.user, op).await.map_err(reject)
            }
        })
        .boxed()
}

async fn answer(web: &Web, user: &User, op: Op) -> Result<Response, ApiError> {
    let m = web.messenger();
    let body = match op {
        Op::Edit(raw, id, e) => {
            let room = m.room_for(&raw, user).await?;
            let body = MessageBody::parse(&e.body, &m.config().limits)?;
            json!({ "message": m.edit_message(user, &room, MessageId(id), body).await? })
        }
        Op::Delete(raw, id, d) => {
            let room = m.room_for(&raw, user).await?;
            let reason = Reason::parse(&d.reason)?;
            json!({ "message": m.delete_message(user, &room, MessageId(id), reason).await? })
        }
        Op::Changes(raw, p) => {
            let room = m.room_for(&raw, user).await?;
            let limit = p.limit.unwrap_or(messenger_core::CHANGES_PAGE_MAX);
            let messages = m.changes(user, &room, p.after_rev, limit).await?;
            let (last_id, rev) = m.room_head(user, &room).await?;
            json!({ "messages": messages, "last_id": last_id, "rev": rev })
        }
        Op::Search(p) => {
            let query = SearchQuery::parse(&p.q)?;
            let page = m
                .search(user, &query, p.before, p.limit.unwrap_or(20))
                .await?;
            json!(page)
        }
    };
    Ok(json_reply(StatusCode::OK, &body))
}
