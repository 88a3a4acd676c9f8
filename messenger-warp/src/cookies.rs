//! Reading and writing the session, CSRF and flash cookies.

use std::time::Duration;

use cookie::{Cookie, SameSite};
use warp::http::HeaderValue;
use warp::reply::Response;

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn get(header: Option<&str>, name: &str) -> Option<String> {
    Cookie::split_parse(header?)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Builds a `Set-Cookie` value: HttpOnly, Path=/, the given SameSite,
/// Secure when asked, persistent for `max_age` (a browser-session cookie
/// without it).
pub(crate) fn build(
    name: &str,
    value: &str,
    same_site: SameSite,
    secure: bool,
    max_age: Option<Duration>,
) -> String {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .http_only(true)
        .path("/")
        .same_site(same_site)
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age.as_secs() as i64));
    }
    c.build().to_string()
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub(crate) fn removal(name: &str, secure: bool) -> String {
    build(name, "", SameSite::Lax, secure, Some(Duration::ZERO))
}

/// Appends `Set-Cookie` headers to a response.
pub(crate) fn attach(mut res: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(warp::http::header::SET_COOKIE, v);
        }
    }
    res
}
