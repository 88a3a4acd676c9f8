//! The JSON API's routes of the message lifecycle (docs/protocol.md,
//! "Editing, deleting, searching"): edit, delete, the changes since a
//! change number, and search. Each decodes into the request layer's
//! [`MessageRequest`].

use messenger_core::Error;
use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::api::json_body;
use crate::requests::{MessageRequest, Request};
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

type Decoded = Result<Request, Error>;

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let limits = web.messenger().config().limits.clone();
    let l = limits.clone();
    let edit = warp::path!("rooms" / String / "messages" / u64 / "edit")
        .and(warp::post())
        .and(json_body::<Edit>(limit))
        .map(move |room: String, id, e: Edit| -> Decoded {
            Ok(MessageRequest::edit(&room, id, &e.body, &l)?.into())
        });
    let l = limits.clone();
    let delete = warp::path!("rooms" / String / "messages" / u64 / "delete")
        .and(warp::post())
        .and(json_body::<Delete>(limit))
        .map(move |room: String, id, d: Delete| -> Decoded {
            Ok(MessageRequest::delete(&room, id, &d.reason, &l)?.into())
        });
    let l = limits;
    let changes = warp::path!("rooms" / String / "changes")
        .and(warp::get())
        .and(warp::query::<ChangesParams>())
        .map(move |room: String, p: ChangesParams| -> Decoded {
            Ok(MessageRequest::changes(&room, p.after_rev, p.limit, &l)?.into())
        });
    let search = warp::path!("search")
        .and(warp::get())
        .and(warp::query::<SearchParams>())
        .map(|p: SearchParams| -> Decoded {
            Ok(MessageRequest::search(&p.q, p.before, p.limit)?.into())
        });
    let decode = edit
        .or(delete)
        .unify()
        .or(changes)
        .unify()
        .or(search)
        .unify()
        .boxed();
    crate::http_requests::serve(web, decode)
}
