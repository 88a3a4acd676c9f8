//! The JSON API of a user's own account (docs/protocol.md, "Account"):
//! their standing, their sessions, password change and logging out one
//! session or all.

use messenger_core::{Error, Password, Session};
use serde::Deserialize;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::api::{check_origin, json_body};
use crate::auth::{self, Authed};
use crate::cookies;
use crate::error::{ApiError, json_reply, reject};
use crate::handler::handler;
use crate::web::Web;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

enum Op {
    Show,
    Password(ChangePassword),
    LogoutSession(String),
    LogoutEverywhere,
}

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let limit = web.config().body_limit;
    let show = warp::path!("account").and(warp::get()).map(|| Op::Show);
    let password = warp::path!("account" / "password")
        .and(warp::post())
        .and(json_body::<ChangePassword>(limit))
        .map(Op::Password);
    let one = warp::path!("account" / "sessions" / String / "logout")
        .and(warp::post())
        .map(Op::LogoutSession);
    let all = warp::path!("account" / "logout-everywhere")
        .and(warp::post())
        .map(|| Op::LogoutEverywhere);
    show.or(password)
        .unify()
        .or(one)
        .unify()
        .or(all)
        .unify()
        .and(auth::required(web.clone()))
        .and(warp::header::headers_cloned())
        .and_then(move |op: Op, authed: Authed, headers: HeaderMap| {
            let web = web.clone();
            handler(async move {
                if !matches!(op, Op::Show) {
                    check_origin(&web, &authed, &headers)?;
                }
                answer(&web, &authed, op).await.map_err(reject)
            })
        })
        .boxed()
}

/// The session a request came with; a user of the host application has
/// none here (the host owns their sessions).
fn own_session(authed: &Authed) -> Result<&Session, ApiError> {
    authed.session().ok_or_else(|| {
        Error::Forbidden("this account's sessions belong to the host application".into()).into()
    })
}

async fn answer(web: &Web, authed: &Authed, op: Op) -> Result<Response, ApiError> {
    let m = web.messenger();
    let user = &authed.user;
    match op {
        Op::Show => {
            let standing = m.standing(user.id).await?;
            let sessions = match authed.session() {
                Some(s) => m.sessions(s).await?,
                None => Vec::new(),
            };
            Ok(json_reply(
                StatusCode::OK,
                &json!({
                    "user": user,
                    "role": standing.role,
                    "muted_until": standing.muted_until.map(messenger_core::rfc3339_string),
                    "sessions": sessions,
                }),
            ))
        }
        Op::Password(c) => {
            let session = own_session(authed)?;
            let limits = &m.config().limits;
            let current = Password::parse(&c.current_password, limits).map_err(|_| {
                Error::Invalid(messenger_core::ValidationError {
                    field: "current_password",
                    reason: "is not your current password".into(),
                    too_large: false,
                })
            })?;
            let new = Password::parse(&c.new_password, limits).map_err(|mut e| {
                e.field = "new_password";
                Error::Invalid(e)
            })?;
            m.change_password(session, &current, &new).await?;
            Ok(no_content())
        }
        Op::LogoutSession(id) => {
            let session = own_session(authed)?;
            m.logout_session(session, &id).await?;
            if id == session.record.token_hash.public_id() {
                return Ok(cookies::attach(
                    no_content(),
                    &[cookies::removal(
                        &web.config().cookie_name,
                        web.config().secure_cookies,
                    )],
                ));
            }
            Ok(no_content())
        }
        Op::LogoutEverywhere => {
            own_session(authed)?;
            m.logout_everywhere(user.id).await?;
            Ok(cookies::attach(
                no_content(),
                &[cookies::removal(
                    &web.config().cookie_name,
                    web.config().secure_cookies,
                )],
            ))
        }
    }
}

fn no_content() -> Response {
    warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response()
}
