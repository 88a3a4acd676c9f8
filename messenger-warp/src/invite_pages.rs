//! `/invite/{code}`: the page an invite link opens. A GET only shows what
//! the link is for (a link followed by a preview bot or another site must
//! not join anyone); joining is the page's form, a POST.

use messenger_core::InviteCode;
use serde_json::json;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::error::ApiError;
use crate::handler::handler;
use crate::pages::{Form, PageCtx, current_user, error_page, form_body, redirect, render, to_room};
use crate::web::Web;

pub(crate) fn filter(web: Web) -> BoxedFilter<(Response,)> {
    let headers = warp::header::headers_cloned;
    let w = web.clone();
    let show = warp::path!("invite" / String)
        .and(warp::get())
        .and(headers())
        .then(move |code: String, h: HeaderMap| {
            let web = w.clone();
            handler(async move { show(web, code, h).await })
        });
    let w = web.clone();
    let accept = warp::path!("invite" / String)
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |code: String, h: HeaderMap, f: Form| {
            let web = w.clone();
            handler(async move { accept(web, code, h, f).await })
        });
    show.or(accept).unify().boxed()
}

/// Any failure is the page of a link that leads nowhere (404), saying why.
fn invite_error(web: &Web, e: messenger_core::Error) -> Response {
    let e = ApiError::from(e);
    let status = if e.status == StatusCode::BAD_REQUEST {
        StatusCode::NOT_FOUND
    } else {
        e.status
    };
    error_page(web, status, &e.message)
}

async fn show(web: Web, raw: String, h: HeaderMap) -> Response {
    let page = PageCtx::new(&web, &h);
    let Some(authed) = current_user(&web, &h).await else {
        return redirect("/login", &page.set_cookies);
    };
    let m = web.messenger();
    let code = match InviteCode::parse(&raw) {
        Ok(code) => code,
        Err(e) => return invite_error(&web, e.into()),
    };
    let (invite, room) = match m.peek_invite(&authed.user, &code).await {
        Ok((_, room, true)) => return to_room(&room.name, &page.set_cookies),
        Ok((invite, room, false)) => (invite, room),
        Err(e) => return invite_error(&web, e),
    };
    let ctx = page.context(
        &format!("Join {}", room.title.as_str()),
        Some(&authed.user),
        json!({
            "code": code.expose(),
            "room": room,
            "inviter": invite.created_by.username,
            "expires_at": invite
                .expires_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        }),
    );
    render(&web, "invite", StatusCode::OK, &ctx, &page.set_cookies)
}

async fn accept(web: Web, raw: String, h: HeaderMap, form: Form) -> Response {
    let page = PageCtx::new(&web, &h);
    let Some(authed) = current_user(&web, &h).await else {
        return redirect("/login", &page.set_cookies);
    };
    if !page.form_ok(&web, &h, &form) {
        return error_page(
            &web,
            StatusCode::FORBIDDEN,
            "This form has expired. Go back, reload the page and try again.",
        );
    }
    let joined = match InviteCode::parse(&raw) {
        Ok(code) => web.messenger().accept_invite(&authed.user, &code).await,
        Err(e) => Err(e.into()),
    };
    match joined {
        Ok(info) => to_room(&info.room.name, &page.set_cookies),
        Err(e) => invite_error(&web, e),
    }
}
