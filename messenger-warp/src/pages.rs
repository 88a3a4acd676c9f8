//! The HTML pages: login, register, chat, logout and the root redirect.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::SameSite;
use messenger_core::{Error, ErrorCode, Password, User, Username};
use rand::RngCore;
use serde_json::{Value, json};
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::auth::{self, Authed};
use crate::cookies;
use crate::error::{ApiError, api_error_of};
use crate::handler::handler;
use crate::web::Web;

const FLASH_COOKIE: &str = "cm_flash";

pub(crate) type Form = HashMap<String, String>;

/// A signed-in browser's CSRF token: derived from its session token, so it
/// is bound to the session (a token planted with a cookie from a sibling
/// site cannot match one, and it is worthless once the session ends).
/// Before login the token is a random cookie, submitted twice.
fn session_csrf(session_token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(b"community-messenger csrf\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(digest)
}

/// What every page needs from the request: its CSRF token (and the cookie
/// that sets it, when new) and a pending flash notice.
pub(crate) struct PageCtx {
    csrf: String,
    /// Whether `csrf` is new to this request (a form posted with it was not
    /// rendered for this browser).
    fresh: bool,
    pub(crate) set_cookies: Vec<String>,
    flash: Option<String>,
}

impl PageCtx {
    pub(crate) fn new(web: &Web, headers: &HeaderMap) -> Self {
        let header = headers.get(COOKIE).and_then(|v| v.to_str().ok());
        let secure = web.config().secure_cookies;
        let mut set_cookies = Vec::new();
        let session = cookies::get(header, &web.config().cookie_name).filter(|t| !t.is_empty());
        let cookie = cookies::get(header, &web.config().csrf_cookie_name).filter(|t| t.len() >= 32);
        let mut fresh = false;
        let csrf = match (session, cookie) {
            (Some(session), _) => session_csrf(&session),
            (None, Some(t)) => t,
            (None, None) => {
                fresh = true;
                {
                    let mut bytes = [0u8; 32];
                    rand::rngs::OsRng.fill_bytes(&mut bytes);
                    let t = URL_SAFE_NO_PAD.encode(bytes);
                    set_cookies.push(cookies::build(
                        &web.config().csrf_cookie_name,
                        &t,
                        SameSite::Strict,
                        secure,
                        None,
                    ));
                    t
                }
            }
        };
        let flash = cookies::get(header, FLASH_COOKIE).and_then(|v| {
            set_cookies.push(cookies::removal(FLASH_COOKIE, secure));
            URL_SAFE_NO_PAD
                .decode(v)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        });
        Self {
            csrf,
            fresh,
            set_cookies,
            flash,
        }
    }

    /// Whether a posted form carries this request's CSRF token.
    pub(crate) fn form_ok(&self, web: &Web, headers: &HeaderMap, form: &Form) -> bool {
        let sent = form
            .get("csrf_token")
            .map(String::as_bytes)
            .unwrap_or_default();
        // Only a token this browser already had counts, never a fresh one.
        !self.fresh
            && constant_time_eq(sent, self.csrf.as_bytes())
            && auth::origin_allowed(headers, web.config())
    }

    pub(crate) fn context(&self, title: &str, user: Option<&User>, extra: Value) -> Value {
        let mut ctx = json!({
            "title": title,
            "csrf_token": self.csrf,
            "flash": self.flash,
            "user": user.map(|u| json!({ "id": u.id, "username": u.username })),
        });
        if let (Some(obj), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
            obj.extend(extra);
        }
        ctx
    }

    /// [`context`](Self::context) for a signed-in user, with their role
    /// (`user.role`, `user.is_moderator`, `user.is_admin`) for the menus.
    pub(crate) async fn user_context(
        &self,
        web: &Web,
        title: &str,
        user: &User,
        extra: Value,
    ) -> Value {
        let mut ctx = self.context(title, Some(user), extra);
        let role = web
            .messenger()
            .standing(user.id)
            .await
            .map(|s| s.role)
            .unwrap_or_default();
        ctx["user"]["role"] = json!(role);
        ctx["user"]["is_moderator"] = json!(role.moderates());
        ctx["user"]["is_admin"] = json!(role == messenger_core::Role::Admin);
        ctx
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn flash_cookie(web: &Web, text: &str) -> String {
    cookies::build(
        FLASH_COOKIE,
        &URL_SAFE_NO_PAD.encode(text),
        SameSite::Lax,
        web.config().secure_cookies,
        Some(std::time::Duration::from_secs(60)),
    )
}

/// Headers every page carries: no caching of personal pages, and a CSP that
/// allows only our own scripts, styles and sockets.
fn harden(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    res
}

pub(crate) fn render(
    web: &Web,
    name: &str,
    status: StatusCode,
    ctx: &Value,
    set_cookies: &[String],
) -> Response {
    let res = match web.templates().render(name, ctx) {
        Ok(html) => {
            let mut r = warp::reply::with_status(html, status).into_response();
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "rendering a page failed");
            warp::reply::with_status("internal error", StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    };
    harden(cookies::attach(res, set_cookies))
}

pub(crate) fn redirect(to: &'static str, set_cookies: &[String]) -> Response {
    let mut res = warp::reply::with_status(warp::reply(), StatusCode::SEE_OTHER).into_response();
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_static(to));
    harden(cookies::attach(res, set_cookies))
}

pub(crate) async fn current_user(web: &Web, headers: &HeaderMap) -> Option<Authed> {
    auth::session_of(web, headers).await.ok().flatten()
}

pub(crate) fn form_body(limit: u64) -> impl Filter<Extract = (Form,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit).and(warp::body::form::<Form>())
}

pub(crate) fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

pub(crate) fn filter(web: Web) -> warp::filters::BoxedFilter<(Response,)> {
    let headers = warp::header::headers_cloned;
    let w = web.clone();
    let root = warp::path::end()
        .and(warp::get())
        .and(headers())
        .then(move |h: HeaderMap| handler(root(w.clone(), h)));
    let w = web.clone();
    let login_page = warp::path!("login")
        .and(warp::get())
        .and(headers())
        .then(move |h: HeaderMap| handler(login_form(w.clone(), h)));
    let w = web.clone();
    let login_post = warp::path!("login")
        .and(warp::post())
        .and(auth::client_addr(&web))
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |addr: IpAddr, h: HeaderMap, form: Form| {
            let web = w.clone();
            handler(async move { login_post(web, addr, h, form).await })
        });
    let w = web.clone();
    let register_page = warp::path!("register")
        .and(warp::get())
        .and(headers())
        .then(move |h: HeaderMap| handler(register_form(w.clone(), h)));
    let w = web.clone();
    let register_post = warp::path!("register")
        .and(warp::post())
        .and(auth::client_addr(&web))
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |addr: IpAddr, h: HeaderMap, form: Form| {
            let web = w.clone();
            handler(async move { register_post(web, addr, h, form).await })
        });
    let w = web.clone();
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |h: HeaderMap, form: Form| handler(logout(w.clone(), h, form)));
    let w = web.clone();
    let dm = warp::path!("dm" / String)
        .and(warp::get())
        .and(headers())
        .then(move |name: String, h: HeaderMap| {
            let web = w.clone();
            handler(async move { dm_page(web, name, h).await })
        });
    let w = web.clone();
    let dm_post = warp::path!("dm" / String)
        .and(warp::post())
        .and(headers())
        .and(form_body(web.config().body_limit))
        .then(move |name: String, h: HeaderMap, f: Form| {
            let web = w.clone();
            handler(async move { dm_open(web, name, h, f).await })
        });
    let w = web.clone();
    let chat = warp::path!("chat")
        .map(|| None)
        .or(warp::path!("chat" / String).map(Some))
        .unify()
        .and(warp::get())
        .and(headers())
        .then(move |room: Option<String>, h: HeaderMap| {
            let web = w.clone();
            handler(async move { chat_page(web, room, h).await })
        });
    // With a host authenticator, `/` and the account pages are the host's.
    let accounts = root
        .or(login_page)
        .unify()
        .or(login_post)
        .unify()
        .or(register_page)
        .unify()
        .or(register_post)
        .unify()
        .or(logout)
        .unify();
    auth::own_accounts(web.clone())
        .and(accounts)
        .or(chat)
        .unify()
        .or(dm)
        .unify()
        .or(dm_post)
        .unify()
        .boxed()
}

// The handlers are functions of their own, not closures in `filter`: an
// edit to one then compiles that one again, not every route built there.

async fn root(web: Web, h: HeaderMap) -> Response {
    match current_user(&web, &h).await {
        Some(_) => redirect("/chat", &[]),
        None => redirect("/login", &[]),
    }
}

async fn login_form(web: Web, h: HeaderMap) -> Response {
    let page = PageCtx::new(&web, &h);
    if current_user(&web, &h).await.is_some() {
        return redirect("/chat", &page.set_cookies);
    }
    let ctx = page.context("Log in", None, json!({ "username": "", "remember": false }));
    render(&web, "login", StatusCode::OK, &ctx, &page.set_cookies)
}

async fn register_form(web: Web, h: HeaderMap) -> Response {
    let page = PageCtx::new(&web, &h);
    if current_user(&web, &h).await.is_some() {
        return redirect("/chat", &page.set_cookies);
    }
    let ctx = page.context(
        "Create an account",
        None,
        json!({ "username": "", "errors": {} }),
    );
    render(&web, "register", StatusCode::OK, &ctx, &page.set_cookies)
}

async fn logout(web: Web, h: HeaderMap, form: Form) -> Response {
    let page = PageCtx::new(&web, &h);
    if !page.form_ok(&web, &h, &form) {
        return error_page(
            &web,
            StatusCode::FORBIDDEN,
            "This form has expired. Go back, reload the page and try again.",
        );
    }
    if let Some(authed) = current_user(&web, &h).await
        && let Some(session) = authed.session()
        && let Err(e) = web.messenger().logout(session).await
    {
        let e = ApiError::from(e);
        return error_page(&web, e.status, &e.message);
    }
    let secure = web.config().secure_cookies;
    let mut set = page.set_cookies;
    set.push(cookies::removal(&web.config().cookie_name, secure));
    set.push(flash_cookie(&web, "You have been logged out."));
    redirect("/login", &set)
}

/// `GET /dm/{username}`: the direct conversation with that user, if there
/// is one; what a linked `@mention` leads to. A GET changes nothing (a link
/// on another site must not open conversations in a visitor's name), so
/// without a conversation yet it asks, with a form that POSTs here.
async fn dm_page(web: Web, name: String, h: HeaderMap) -> Response {
    let page = PageCtx::new(&web, &h);
    let Some(authed) = current_user(&web, &h).await else {
        return redirect("/login", &page.set_cookies);
    };
    let m = web.messenger();
    let existing = match Username::parse(&name, &m.config().limits) {
        Ok(u) => m.find_direct(&authed.user, &u).await,
        Err(e) => Err(e.into()),
    };
    match existing {
        Ok(Some(info)) => to_room(&info.room.name, &page.set_cookies),
        Ok(None) => {
            let ctx = page.context(
                &format!("Message {name}"),
                Some(&authed.user),
                json!({ "peer": name }),
            );
            render(&web, "direct", StatusCode::OK, &ctx, &page.set_cookies)
        }
        Err(e) => dm_error(&web, e),
    }
}

/// `POST /dm/{username}`: opens (on first use, creates) the direct
/// conversation with that user and shows it.
async fn dm_open(web: Web, name: String, h: HeaderMap, form: Form) -> Response {
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
    let m = web.messenger();
    let opened = match Username::parse(&name, &m.config().limits) {
        Ok(u) => m.open_direct(&authed.user, &u).await,
        Err(e) => Err(e.into()),
    };
    match opened {
        Ok(info) => to_room(&info.room.name, &page.set_cookies),
        Err(e) => dm_error(&web, e),
    }
}

/// A 303 to a room's page.
pub(crate) fn to_room(room: &messenger_core::RoomName, set_cookies: &[String]) -> Response {
    let mut res = warp::reply::with_status(warp::reply(), StatusCode::SEE_OTHER).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/chat/{room}")) {
        res.headers_mut().insert(LOCATION, v);
    }
    harden(cookies::attach(res, set_cookies))
}

/// A bad name is a page that is not there, like an unknown user's.
fn dm_error(web: &Web, e: messenger_core::Error) -> Response {
    let e = ApiError::from(e);
    let status = if e.status == StatusCode::BAD_REQUEST {
        StatusCode::NOT_FOUND
    } else {
        e.status
    };
    error_page(web, status, &e.message)
}

/// `/chat` (the community room) and `/chat/{room}`: the page of a room the
/// user may read; any other name is a 404, as for a room that does not exist.
async fn chat_page(web: Web, room: Option<String>, h: HeaderMap) -> Response {
    let page = PageCtx::new(&web, &h);
    let Some(authed) = current_user(&web, &h).await else {
        return redirect("/login", &page.set_cookies);
    };
    let m = web.messenger();
    let raw = room.unwrap_or_else(|| messenger_core::RoomName::GENERAL.to_owned());
    let info = match m.room_for(&raw, &authed.user).await {
        Ok(name) => m.room_info(&authed.user, &name).await,
        Err(e) => Err(e),
    };
    let info = match info {
        Ok(info) => info,
        Err(e) => {
            let e = ApiError::from(e);
            let status = if e.status == StatusCode::BAD_REQUEST {
                StatusCode::NOT_FOUND
            } else {
                e.status
            };
            return error_page(
                &web,
                status,
                "There is no such room, or it is not open to you.",
            );
        }
    };
    let limits = &m.config().limits;
    let title = match &info.peer {
        Some(peer) => peer.username.to_string(),
        None => info.room.title.as_str().to_owned(),
    };
    let ctx = page
        .user_context(
            &web,
            &title,
            &authed.user,
            json!({
            "rooms": m.configured_rooms(),
            "room": info.room.name,
            "room_title": title,
            "room_topic": info.room.topic,
            "room_kind": info.room.kind,
            "history_limit": limits.history_default,
            "body_limit": limits.body_chars,
            }),
        )
        .await;
    render(&web, "chat", StatusCode::OK, &ctx, &page.set_cookies)
}

async fn login_post(web: Web, addr: IpAddr, h: HeaderMap, form: Form) -> Response {
    let page = PageCtx::new(&web, &h);
    let username = field(&form, "username").trim().to_owned();
    let remember = matches!(field(&form, "remember"), "on" | "true" | "1");
    let fail = |status: StatusCode, error: &str| {
        let ctx = page.context(
            "Log in",
            None,
            json!({ "username": username, "remember": remember, "error": error }),
        );
        render(&web, "login", status, &ctx, &page.set_cookies)
    };
    if !page.form_ok(&web, &h, &form) {
        return fail(
            StatusCode::FORBIDDEN,
            "This form has expired. Please try again.",
        );
    }
    match web
        .login(addr, &username, field(&form, "password"), remember, &h)
        .await
    {
        Ok(outcome) => {
            web.revoke_presented(&h).await;
            let mut set = page.set_cookies.clone();
            set.extend(web.login_cookies(&outcome));
            redirect("/chat", &set)
        }
        Err(e) => fail(e.status, &e.message),
    }
}

async fn register_post(web: Web, addr: IpAddr, h: HeaderMap, form: Form) -> Response {
    let page = PageCtx::new(&web, &h);
    let raw_name = field(&form, "username").trim().to_owned();
    let limits = web.messenger().config().limits.clone();
    let mut errors = serde_json::Map::new();
    let fail =
        |status: StatusCode, error: Option<&str>, errors: &serde_json::Map<String, Value>| {
            let ctx = page.context(
                "Create an account",
                None,
                json!({ "username": raw_name, "errors": errors, "error": error }),
            );
            render(&web, "register", status, &ctx, &page.set_cookies)
        };
    if !page.form_ok(&web, &h, &form) {
        return fail(
            StatusCode::FORBIDDEN,
            Some("This form has expired. Please try again."),
            &errors,
        );
    }
    let username = Username::parse(&raw_name, &limits)
        .map_err(|e| errors.insert("username".into(), json!(capitalise(&e.reason))))
        .ok();
    let password = Password::parse(field(&form, "password"), &limits)
        .map_err(|e| errors.insert("password".into(), json!(capitalise(&e.reason))))
        .ok();
    if field(&form, "password") != field(&form, "confirm") {
        errors.insert("confirm".into(), json!("Passwords do not match"));
    }
    let (Some(username), Some(password)) = (username, password) else {
        return fail(StatusCode::BAD_REQUEST, None, &errors);
    };
    if !errors.is_empty() {
        return fail(StatusCode::BAD_REQUEST, None, &errors);
    }
    if let Err(e) = web.check_register_rate(addr).await {
        return fail(e.status, Some(&e.message), &errors);
    }
    let m = web.messenger();
    match m.register(username.clone(), password.clone()).await {
        Ok(_) => {}
        Err(Error::Conflict(_)) => {
            errors.insert("username".into(), json!("This username is already taken"));
            return fail(StatusCode::CONFLICT, None, &errors);
        }
        Err(e) => {
            let e = ApiError::from(e);
            return fail(e.status, Some(&e.message), &errors);
        }
    }
    let options = web.session_options(false, &h);
    match m.login_with(&username, &password, options).await {
        Ok(outcome) => {
            web.revoke_presented(&h).await;
            let mut set = page.set_cookies.clone();
            set.extend(web.login_cookies(&outcome));
            set.push(flash_cookie(
                &web,
                &format!("Welcome, {}! Say hello to the community.", username),
            ));
            redirect("/chat", &set)
        }
        Err(e) => {
            let e = ApiError::from(e);
            fail(e.status, Some(&e.message), &errors)
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(crate) fn error_page(web: &Web, status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let ctx = json!({
        "title": title,
        "status": status.as_u16(),
        "message": message,
        "flash": null,
        "user": null,
    });
    render(web, "error", status, &ctx, &[])
}

/// The last `recover` of [`Web::routes`]: envelope errors stay JSON, the
/// rest become HTML pages (404 for unknown paths).
pub(crate) fn recover(
    web: Web,
) -> impl Fn(Rejection) -> std::future::Ready<Result<Response, Infallible>> + Clone {
    move |r: Rejection| {
        let res = if let Some(e) = r.find::<ApiError>() {
            e.clone().into_response()
        } else if r.is_not_found() {
            error_page(
                &web,
                StatusCode::NOT_FOUND,
                "There is nothing at this address.",
            )
        } else {
            let e = api_error_of(&r);
            let message = match e.code {
                ErrorCode::Internal => "Something went wrong on our side.".to_owned(),
                _ => e.message.clone(),
            };
            error_page(&web, e.status, &message)
        };
        std::future::ready(Ok(res))
    }
}
