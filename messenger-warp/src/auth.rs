//! Who is asking: sessions from the cookie or a bearer token, client
//! addresses, and origin checks.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use messenger_core::{ErrorCode, Session, SessionToken};
use warp::http::HeaderMap;
use warp::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use warp::{Filter, Rejection};

use crate::config::WebConfig;
use crate::cookies;
use crate::error::{ApiError, reject};
use crate::web::Web;

/// How a request proved its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Cookie,
    Bearer,
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub session: Session,
    pub via: Via,
}

/// The token a request presents: a bearer token wins over the cookie.
pub(crate) fn presented_token(
    headers: &HeaderMap,
    config: &WebConfig,
) -> Option<(SessionToken, Via)> {
    if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = auth.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (SessionToken::from_client(token.trim()), Via::Bearer));
    }
    let header = headers.get(COOKIE).and_then(|v| v.to_str().ok());
    cookies::get(header, &config.cookie_name).map(|t| (SessionToken::from_client(&t), Via::Cookie))
}

/// The session of a request, if it presents a valid one.
pub(crate) async fn session_of(web: &Web, headers: &HeaderMap) -> Result<Option<Authed>, ApiError> {
    let Some((token, via)) = presented_token(headers, web.config()) else {
        return Ok(None);
    };
    match web.messenger().authenticate(&token).await {
        Ok(session) => Ok(Some(Authed { session, via })),
        Err(e) if e.code() == ErrorCode::Unauthorized => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Extracts the request's session or rejects with 401 in the envelope.
pub(crate) fn required(web: Web) -> impl Filter<Extract = (Authed,), Error = Rejection> + Clone {
    warp::header::headers_cloned().and_then(move |headers: HeaderMap| {
        let web = web.clone();
        async move {
            match session_of(&web, &headers).await {
                Ok(Some(a)) => Ok(a),
                Ok(None) => Err(reject(ApiError::new(
                    ErrorCode::Unauthorized,
                    "not logged in",
                ))),
                Err(e) => Err(reject(e)),
            }
        }
    })
}

/// Whether the request's `Origin` (if any) is the server's own or allowed.
pub(crate) fn origin_allowed(headers: &HeaderMap, config: &WebConfig) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if config
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    ["http://", "https://"].iter().any(|scheme| {
        origin
            .strip_prefix(scheme)
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
    })
}

/// The client's address, for per-address limits.
pub(crate) fn client_addr()
-> impl Filter<Extract = (IpAddr,), Error = std::convert::Infallible> + Clone {
    warp::addr::remote()
        .map(|addr: Option<SocketAddr>| addr.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip()))
}
