//! The JSON API of the wire contract.

use std::net::IpAddr;

use bytes::Bytes;
use messenger_core::{
    Error, ErrorCode, HistoryQuery, Message, MessageId, Password, User, Username,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use warp::http::header::CONTENT_TYPE;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::auth::{self, Authed, Via};
use crate::cookies;
use crate::error::{ApiError, json_reply, reject};
use crate::handler::handler;
use crate::web::Web;

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
}

#[derive(Deserialize)]
struct HistoryParams {
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    before: Option<u64>,
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    after: Option<u64>,
    limit: Option<usize>,
    /// A page centred on this id (docs/protocol.md).
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    around: Option<u64>,
    /// `2`: messages with their edit and delete marks.
    v: Option<u8>,
}

fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({ "id": u.id, "username": u.username })
}

/// A JSON body: `application/json` only (415 otherwise), at most the
/// configured size (413), well-formed (400).
pub(crate) fn json_body<T: DeserializeOwned + Send>(
    limit: u64,
) -> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    warp::header::optional::<String>(CONTENT_TYPE.as_str())
        .and_then(|ct: Option<String>| async move {
            let is_json = ct.as_deref().is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            if is_json {
                Ok(())
            } else {
                Err(reject(
                    ApiError::new(
                        ErrorCode::Invalid,
                        "expected Content-Type: application/json",
                    )
                    .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                ))
            }
        })
        .untuple_one()
        .and(warp::body::content_length_limit(limit))
        .and(warp::body::bytes())
        .and_then(|body: Bytes| async move {
            serde_json::from_slice::<T>(&body).map_err(|e| {
                reject(ApiError::new(
                    ErrorCode::Invalid,
                    format!("malformed JSON body: {e}"),
                ))
            })
        })
}

/// Refuses a cookie-authenticated POST from a foreign origin (CSRF).
pub(crate) fn check_origin(
    web: &Web,
    authed: &Authed,
    headers: &HeaderMap,
) -> Result<(), Rejection> {
    if authed.via == Via::Cookie && !auth::origin_allowed(headers, web.config()) {
        return Err(reject(ApiError::new(
            ErrorCode::Forbidden,
            "cross-origin request refused",
        )));
    }
    Ok(())
}

/// The JSON API under `/api`, plus `/healthz`. Every failure below `/api`
/// is answered in the envelope, including unknown routes (404).
/// Registering, logging in and out, `me` and history, under `/api`.
pub(crate) fn filter(web: Web) -> warp::filters::BoxedFilter<(Response,)> {
    let w = web.clone();
    let register = warp::path!("register")
        .and(warp::post())
        .and(auth::own_accounts(web.clone()))
        .and(auth::client_addr(&web))
        .and(json_body::<Credentials>(web.config().body_limit))
        .and_then(move |addr: IpAddr, c: Credentials| {
            let web = w.clone();
            handler(async move { register(web, addr, c).await.map_err(reject) })
        });
    let w = web.clone();
    let login = warp::path!("login")
        .and(warp::post())
        .and(auth::own_accounts(web.clone()))
        .and(auth::client_addr(&web))
        .and(warp::header::headers_cloned())
        .and(json_body::<Credentials>(web.config().body_limit))
        .and_then(move |addr: IpAddr, headers: HeaderMap, c: Credentials| {
            let web = w.clone();
            handler(async move { login(web, addr, headers, c).await.map_err(reject) })
        });
    let w = web.clone();
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(auth::own_accounts(web.clone()))
        .and(auth::required(web.clone()))
        .and(warp::header::headers_cloned())
        .and_then(move |authed: Authed, headers: HeaderMap| {
            let web = w.clone();
            handler(async move {
                check_origin(&web, &authed, &headers)?;
                if let Some(session) = authed.session() {
                    web.messenger().logout(session).await.map_err(reject)?;
                }
                let res =
                    warp::reply::with_status(warp::reply(), StatusCode::NO_CONTENT).into_response();
                Ok::<_, Rejection>(cookies::attach(
                    res,
                    &[cookies::removal(
                        &web.config().cookie_name,
                        web.config().secure_cookies,
                    )],
                ))
            })
        });
    let me = warp::path!("me")
        .and(warp::get())
        .and(auth::required(web.clone()))
        .map(|authed: Authed| {
            json_reply(
                StatusCode::OK,
                &serde_json::json!({ "user": user_json(&authed.user) }),
            )
        });
    let w = web.clone();
    let history = warp::path!("rooms" / String / "messages")
        .and(warp::get())
        .and(auth::required(web.clone()))
        .and(warp::query::<HistoryParams>())
        .and_then(move |room: String, authed: Authed, p: HistoryParams| {
            let web = w.clone();
            handler(async move { history(web, authed.user, room, p).await.map_err(reject) })
        });

    register
        .or(login)
        .unify()
        .or(logout)
        .unify()
        .or(me)
        .unify()
        .or(history)
        .unify()
        .boxed()
}

/// `GET /healthz`: whether the store answers.
pub(crate) fn health(web: Web) -> warp::filters::BoxedFilter<(Response,)> {
    let w = web;
    warp::path!("healthz")
        .and(warp::get())
        .and_then(move || {
            let web = w.clone();
            handler(async move {
                let res = match web.messenger().health().await {
                    Ok(()) => warp::reply::with_status("ok", StatusCode::OK).into_response(),
                    Err(e) => {
                        tracing::warn!(error = ?e, "health check failed");
                        warp::reply::with_status(
                            "store unavailable",
                            StatusCode::SERVICE_UNAVAILABLE,
                        )
                        .into_response()
                    }
                };
                Ok::<_, Rejection>(res)
            })
        })
        .boxed()
}

async fn register(web: Web, addr: IpAddr, c: Credentials) -> Result<Response, ApiError> {
    let limits = &web.messenger().config().limits;
    let username = Username::parse(&c.username, limits).map_err(Error::from)?;
    let password = Password::parse(&c.password, limits).map_err(Error::from)?;
    web.check_register_rate(addr).await?;
    let user = web.messenger().register(username, password).await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &serde_json::json!({ "user": user_json(&user) }),
    ))
}

async fn login(
    web: Web,
    addr: IpAddr,
    headers: HeaderMap,
    c: Credentials,
) -> Result<Response, ApiError> {
    let outcome = web
        .login(addr, &c.username, &c.password, c.remember, &headers)
        .await?;
    // Rotation: a session the client already had is revoked.
    web.revoke_presented(&headers).await;
    let body = serde_json::json!({
        "token": outcome.token.expose(),
        "user": user_json(&outcome.session.user),
        "expires_at": messenger_core::rfc3339_string(outcome.session.record.expires_at),
    });
    let res = json_reply(StatusCode::OK, &body);
    Ok(cookies::attach(res, &web.login_cookies(&outcome)))
}

async fn history(
    web: Web,
    user: User,
    room: String,
    p: HistoryParams,
) -> Result<Response, ApiError> {
    let m = web.messenger();
    let room = m.room_for(&room, &user).await?;
    let limit = p.limit.unwrap_or(m.config().limits.history_default);
    let positive = |v: Option<u64>, name: &str| match v {
        Some(0) => Err(ApiError::new(
            ErrorCode::Invalid,
            format!("{name} must be a positive id"),
        )),
        other => Ok(other.map(MessageId)),
    };
    let messages: Vec<Message> = match positive(p.around, "around")? {
        Some(around) => {
            // Bounds as for any page.
            m.history(&user, &room, HistoryQuery::latest(limit)).await?;
            m.history_around(&user, &room, around, limit).await?
        }
        None => {
            let query = HistoryQuery {
                before: positive(p.before, "before")?,
                after: p.after.map(MessageId),
                limit,
            };
            m.history(&user, &room, query).await?
        }
    };
    // Version 1 shows messages as docs/protocol.md's v1 has them; `v=2` adds the marks.
    let messages = if p.v == Some(2) {
        std::borrow::Cow::Owned(messages)
    } else {
        crate::frames::v1_page(&messages).into_owned().into()
    };
    Ok(json_reply(
        StatusCode::OK,
        &serde_json::json!({ "messages": messages }),
    ))
}
