//! The JSON API of moderation (docs/protocol.md, "Moderation"): roles,
//! mutes, bans and the moderation log. Who may do what is the service's
//! rule; refusals are `forbidden`.

use std::time::Duration;

use messenger_core::{Actor, User, Username};
use messenger_core::{LOG_PAGE_MAX, Reason, Role};
use serde::Deserialize;
use serde_json::json;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::api::{check_origin, json_body};
use crate::auth::{self, Authed};
use crate::error::{ApiError, json_reply, reject};
use crate::handler::handler;
use crate::web::Web;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Act {
    role: Option<String>,
    minutes: Option<u64>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct LogParams {
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    before: Option<u64>,
    limit: Option<usize>,
}

enum Op {
    Act(String, String, Act),
    Log(LogParams),
}

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let act = warp::path!("moderation" / "users" / String / String)
        .and(warp::post())
        .and(json_body::<Act>(limit))
        .map(Op::Act);
    let log = warp::path!("moderation" / "log")
        .and(warp::get())
        .and(warp::query::<LogParams>())
        .map(Op::Log);
    act.or(log)
        .unify()
        .and(auth::required(web.clone()))
        .and(warp::header::headers_cloned())
        .and_then(move |op: Op, authed: Authed, headers: HeaderMap| {
            let web = web.clone();
            handler(async move {
                if matches!(op, Op::Act(..)) {
                    check_origin(&web, &authed, &headers)?;
                }
                answer(&web, &authed.user, op).await.map_err(reject)
            })
        })
        .boxed()
}

fn invalid(field: &'static str, reason: &str) -> ApiError {
    messenger_core::Error::Invalid(messenger_core::ValidationError {
        field,
        reason: reason.into(),
        too_large: false,
    })
    .into()
}

async fn answer(web: &Web, user: &User, op: Op) -> Result<Response, ApiError> {
    let m = web.messenger();
    let body = match op {
        Op::Act(name, action, a) => {
            let username = Username::parse(&name, &m.config().limits)?;
            let reason = Reason::parse(&a.reason)?;
            let actor = Actor::User(user);
            let (target, standing) = match action.as_str() {
                "role" => {
                    let role: Role = a
                        .role
                        .as_deref()
                        .ok_or_else(|| invalid("role", "is required"))?
                        .parse()?;
                    m.set_role(actor, &username, role, reason).await?
                }
                "mute" => {
                    let minutes = a.minutes.ok_or_else(|| invalid("minutes", "is required"))?;
                    let duration = Duration::from_secs(minutes.saturating_mul(60));
                    m.mute(actor, &username, duration, reason).await?
                }
                "unmute" => m.unmute(actor, &username, reason).await?,
                "ban" => m.ban(actor, &username, reason).await?,
                "unban" => m.unban(actor, &username, reason).await?,
                _ => {
                    return Err(ApiError::new(
                        messenger_core::ErrorCode::NotFound,
                        "no such moderation action (role, mute, unmute, ban, unban)",
                    ));
                }
            };
            json!({ "user": target, "standing": standing })
        }
        Op::Log(p) => {
            let limit = p.limit.unwrap_or(50).min(LOG_PAGE_MAX);
            let entries = m.moderation_log(user, p.before, limit).await?;
            json!({ "entries": entries })
        }
    };
    Ok(json_reply(StatusCode::OK, &body))
}
