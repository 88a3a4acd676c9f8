//! The account settings page (password, sessions) and the moderation log
//! page for admins. Server-rendered forms, so they work without scripts;
//! the rules are the service's.

use chrono::{DateTime, Utc};
use messenger_core::{Error, ModAction, ModActionKind, Password, Role};
use serde::Deserialize;
use serde_json::{Value, json};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::auth::Authed;
use crate::cookies;
use crate::error::ApiError;
use crate::handler::handler;
use crate::pages::{
    Form, PageCtx, current_user, error_page, field, flash_cookie, form_body, redirect, render,
};
use crate::web::Web;

/// Entries per page of the moderation log page.
const LOG_PAGE: usize = 50;

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[derive(Deserialize)]
struct LogQuery {
    #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
    before: Option<u64>,
}

/// Boxed: the API is many routes, and their unboxed type would outgrow the
/// compiler's recursion limit in crates that combine it further.
pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let headers = warp::header::headers_cloned;
    let w = web.clone();
    let settings = warp::path!("settings")
        .and(warp::get())
        .and(headers())
        .then(move |h: HeaderMap| {
            let web = w.clone();
            handler(async move { settings_page(&web, &h, StatusCode::OK, None).await })
        });
    let w = web.clone();
    let password = warp::path!("settings" / "password")
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |h: HeaderMap, form: Form| {
            let web = w.clone();
            handler(async move { change_password(&web, &h, &form).await })
        });
    let w = web.clone();
    let logout_one = warp::path!("settings" / "sessions" / String / "logout")
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |id: String, h: HeaderMap, form: Form| {
            let web = w.clone();
            handler(async move { logout(&web, &h, &form, Some(id)).await })
        });
    let w = web.clone();
    let logout_all = warp::path!("settings" / "logout-everywhere")
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |h: HeaderMap, form: Form| {
            let web = w.clone();
            handler(async move { logout(&web, &h, &form, None).await })
        });
    let w = web;
    let log = warp::path!("moderation")
        .and(warp::get())
        .and(headers())
        .and(warp::query::<LogQuery>())
        .then(move |h: HeaderMap, q: LogQuery| {
            let web = w.clone();
            handler(async move { log_page(&web, &h, q.before).await })
        });
    settings
        .or(password)
        .unify()
        .or(logout_one)
        .unify()
        .or(logout_all)
        .unify()
        .or(log)
        .unify()
        .boxed()
}

async fn settings_page(
    web: &Web,
    h: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let page = PageCtx::new(web, h);
    let Some(authed) = current_user(web, h).await else {
        return redirect("/login", &page.set_cookies);
    };
    let m = web.messenger();
    let sessions: Vec<Value> = match authed.session() {
        Some(s) => match m.sessions(s).await {
            Ok(list) => list
                .into_iter()
                .map(|s| {
                    json!({
                        "id": s.id,
                        "created": when(s.created_at),
                        "last_seen": when(s.last_seen_at),
                        "user_agent": s.user_agent.unwrap_or_else(|| "Unknown client".into()),
                        "current": s.current,
                    })
                })
                .collect(),
            Err(e) => {
                let e = ApiError::from(e);
                return error_page(web, e.status, &e.message);
            }
        },
        None => Vec::new(),
    };
    let muted_until = m
        .standing(authed.user.id)
        .await
        .ok()
        .and_then(|s| s.muted_at(Utc::now()))
        .map(when);
    let ctx = page
        .user_context(
            web,
            "Settings",
            &authed.user,
            json!({
                "sessions": sessions,
                "own_sessions": authed.session().is_some(),
                "muted_until": muted_until,
                "error": error,
            }),
        )
        .await;
    render(web, "settings", status, &ctx, &page.set_cookies)
}

/// The signed-in user of a posted settings form, if its CSRF token holds.
async fn form_user(web: &Web, h: &HeaderMap, form: &Form) -> Result<(PageCtx, Authed), Response> {
    let page = PageCtx::new(web, h);
    if !page.form_ok(web, h, form) {
        return Err(error_page(
            web,
            StatusCode::FORBIDDEN,
            "This form has expired. Go back, reload the page and try again.",
        ));
    }
    match current_user(web, h).await {
        Some(a) => Ok((page, a)),
        None => Err(redirect("/login", &page.set_cookies)),
    }
}

async fn change_password(web: &Web, h: &HeaderMap, form: &Form) -> Response {
    let (page, authed) = match form_user(web, h, form).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some(session) = authed.session() else {
        return error_page(
            web,
            StatusCode::FORBIDDEN,
            "This account's password belongs to the host application.",
        );
    };
    let limits = &web.messenger().config().limits;
    let fail =
        |status, text: String| async move { settings_page(web, h, status, Some(&text)).await };
    let Ok(current) = Password::parse(field(form, "current_password"), limits) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "The current password is not right.".into(),
        )
        .await;
    };
    let new = match Password::parse(field(form, "new_password"), limits) {
        Ok(p) => p,
        Err(e) => {
            let text = format!("The new password {}.", e.reason);
            return fail(StatusCode::BAD_REQUEST, text).await;
        }
    };
    if field(form, "new_password") != field(form, "confirm") {
        return fail(
            StatusCode::BAD_REQUEST,
            "The new passwords do not match.".into(),
        )
        .await;
    }
    match web
        .messenger()
        .change_password(session, &current, &new)
        .await
    {
        Ok(()) => {
            let mut set = page.set_cookies;
            set.push(flash_cookie(
                web,
                "Password changed. Your other sessions were logged out.",
            ));
            redirect("/settings", &set)
        }
        Err(Error::Invalid(_)) => {
            fail(
                StatusCode::BAD_REQUEST,
                "The current password is not right.".into(),
            )
            .await
        }
        Err(e) => {
            let e = ApiError::from(e);
            fail(e.status, e.message).await
        }
    }
}

async fn logout(web: &Web, h: &HeaderMap, form: &Form, id: Option<String>) -> Response {
    let (page, authed) = match form_user(web, h, form).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some(session) = authed.session() else {
        return error_page(
            web,
            StatusCode::FORBIDDEN,
            "This account's sessions belong to the host application.",
        );
    };
    let m = web.messenger();
    let ends_this = id
        .as_deref()
        .is_none_or(|id| id == session.record.token_hash.public_id());
    let done = match &id {
        Some(id) => m.logout_session(session, id).await,
        None => m.logout_everywhere(authed.user.id).await.map(drop),
    };
    if let Err(e) = done {
        let e = ApiError::from(e);
        return error_page(web, e.status, &e.message);
    }
    let mut set = page.set_cookies;
    if ends_this {
        set.push(cookies::removal(
            &web.config().cookie_name,
            web.config().secure_cookies,
        ));
        let text = if id.is_none() {
            "You have been logged out everywhere."
        } else {
            "You have been logged out."
        };
        set.push(flash_cookie(web, text));
        return redirect("/login", &set);
    }
    set.push(flash_cookie(web, "That session was logged out."));
    redirect("/settings", &set)
}

fn describe(a: &ModAction) -> (String, String) {
    match &a.kind {
        ModActionKind::Role { role } => ("Role".into(), format!("now {role}")),
        ModActionKind::Mute { until } => ("Mute".into(), format!("until {}", when(*until))),
        ModActionKind::Unmute => ("Unmute".into(), String::new()),
        ModActionKind::Ban => ("Ban".into(), String::new()),
        ModActionKind::Unban => ("Unban".into(), String::new()),
        ModActionKind::DeleteMessage { room, message_id } => (
            "Delete message".into(),
            format!("message {message_id} in #{room}"),
        ),
        ModActionKind::PinMessage { room, message_id } => (
            "Pin message".into(),
            format!("message {message_id} in #{room}"),
        ),
        ModActionKind::UnpinMessage { room, message_id } => (
            "Unpin message".into(),
            format!("message {message_id} in #{room}"),
        ),
        ModActionKind::ArchiveRoom { room } => ("Archive room".into(), format!("#{room}")),
        ModActionKind::UnarchiveRoom { room } => ("Unarchive room".into(), format!("#{room}")),
        ModActionKind::DeleteRoom { room } => ("Delete room".into(), format!("#{room}")),
    }
}

async fn log_page(web: &Web, h: &HeaderMap, before: Option<u64>) -> Response {
    let page = PageCtx::new(web, h);
    let Some(authed) = current_user(web, h).await else {
        return redirect("/login", &page.set_cookies);
    };
    let m = web.messenger();
    let role = m
        .standing(authed.user.id)
        .await
        .map(|s| s.role)
        .unwrap_or_default();
    if role != Role::Admin {
        return error_page(
            web,
            StatusCode::FORBIDDEN,
            "Only admins can read the moderation log.",
        );
    }
    let entries = match m.moderation_log(&authed.user, before, LOG_PAGE).await {
        Ok(e) => e,
        Err(e) => {
            let e = ApiError::from(e);
            return error_page(web, e.status, &e.message);
        }
    };
    let older = (entries.len() == LOG_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows: Vec<Value> = entries
        .iter()
        .map(|a| {
            let (action, detail) = describe(a);
            json!({
                "at": when(a.at),
                "actor": a.actor.as_ref().map(|u| u.username.to_string()),
                "target": a.target.as_ref().map(|u| u.username.to_string()),
                "action": action,
                "detail": detail,
                "reason": a.reason,
            })
        })
        .collect();
    let ctx = page
        .user_context(
            web,
            "Moderation log",
            &authed.user,
            json!({ "entries": rows, "older": older, "paged": before.is_some() }),
        )
        .await;
    render(web, "moderation", StatusCode::OK, &ctx, &page.set_cookies)
}
