//! Who is asking: sessions from the cookie or a bearer token, client
//! addresses, and origin checks.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use messenger_core::{ErrorCode, Revocation, Session, SessionToken, User};
use warp::http::HeaderMap;
use warp::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use warp::{Filter, Rejection};

use crate::config::WebConfig;
use crate::cookies;
use crate::error::{ApiError, reject};
use crate::handler::handler;
use crate::web::Web;

/// How a request proved its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Cookie,
    Bearer,
}

/// What proved who is asking.
#[derive(Debug, Clone)]
pub(crate) enum Proof {
    /// One of the chat's own sessions, and the token presented for it.
    Session {
        session: Session,
        token: SessionToken,
    },
    /// The host application's [`Authenticator`](crate::Authenticator)
    /// vouched for the user on these headers.
    Host { headers: HeaderMap },
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub user: User,
    pub proof: Proof,
    pub via: Via,
}

impl Authed {
    /// The chat's own session, if that is what proved the request.
    pub fn session(&self) -> Option<&Session> {
        match &self.proof {
            Proof::Session { session, .. } => Some(session),
            Proof::Host { .. } => None,
        }
    }

    /// Whether `revocation` ends this request's right to go on.
    pub fn revoked_by(&self, revocation: &Revocation) -> bool {
        match (&self.proof, revocation) {
            (Proof::Session { session, .. }, r) => r.applies_to(session),
            (Proof::Host { .. }, Revocation::User(id)) => *id == self.user.id,
            (Proof::Host { .. }, Revocation::Session(_)) => false,
        }
    }
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

/// Who asks, if anyone valid: by the host's authenticator when one is set,
/// else by the chat's own session.
pub(crate) async fn session_of(web: &Web, headers: &HeaderMap) -> Result<Option<Authed>, ApiError> {
    if let Some(host) = web.authenticator() {
        let Some(identity) = host.identify(headers).await? else {
            return Ok(None);
        };
        let user = web.messenger().host_user(&identity).await?;
        // Unknown how the host proves it: anything but a bearer token may
        // be ambient (a cookie), so origin checks apply.
        let via = if headers.contains_key(AUTHORIZATION) {
            Via::Bearer
        } else {
            Via::Cookie
        };
        return Ok(Some(Authed {
            user,
            proof: Proof::Host {
                headers: headers.clone(),
            },
            via,
        }));
    }
    let Some((token, via)) = presented_token(headers, web.config()) else {
        return Ok(None);
    };
    match web.messenger().authenticate(&token).await {
        Ok(session) => Ok(Some(Authed {
            user: session.user.clone(),
            proof: Proof::Session { session, token },
            via,
        })),
        Err(e) if e.code() == ErrorCode::Unauthorized => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether `authed` still holds: the chat session is still valid, or the
/// host still names the same person on the same headers.
pub(crate) async fn still_valid(web: &Web, authed: &Authed) -> Result<bool, ApiError> {
    match &authed.proof {
        Proof::Session { token, .. } => match web.messenger().authenticate(token).await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == ErrorCode::Unauthorized => Ok(false),
            Err(e) => Err(e.into()),
        },
        Proof::Host { headers } => {
            let Some(host) = web.authenticator() else {
                return Ok(false);
            };
            match host.identify(headers).await? {
                None => Ok(false),
                Some(identity) => Ok(web
                    .messenger()
                    .host_user(&identity)
                    .await
                    .is_ok_and(|u| u.id == authed.user.id)),
            }
        }
    }
}

/// Refuses a route of the chat's own accounts (register, login, logout)
/// when the host application owns accounts: the host's routes of the same
/// names then answer.
pub(crate) fn own_accounts(web: Web) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::any()
        .and_then(move || {
            let own = web.authenticator().is_none();
            handler(async move {
                if own {
                    Ok(())
                } else {
                    Err(warp::reject::not_found())
                }
            })
        })
        .untuple_one()
}

/// Extracts the request's session or rejects with 401 in the envelope.
pub(crate) fn required(web: Web) -> impl Filter<Extract = (Authed,), Error = Rejection> + Clone {
    warp::header::headers_cloned().and_then(move |headers: HeaderMap| {
        let web = web.clone();
        handler(async move {
            match session_of(&web, &headers).await {
                Ok(Some(a)) => Ok(a),
                Ok(None) => Err(reject(ApiError::new(
                    ErrorCode::Unauthorized,
                    "not logged in",
                ))),
                Err(e) => Err(reject(e)),
            }
        })
    })
}

/// Whether the request's `Origin` (if any) is the server's own or allowed.
pub(crate) fn origin_allowed(headers: &HeaderMap, config: &WebConfig) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let listed = |list: &[String]| {
        list.iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    };
    if listed(&config.allowed_origins) {
        return true;
    }
    if !config.public_origins.is_empty() {
        // The Host header is the client's to write: a page on a rebound
        // DNS name sends its own name in both headers.
        return listed(&config.public_origins);
    }
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let scheme = if config.secure_cookies {
        "https://"
    } else {
        "http://"
    };
    origin
        .strip_prefix(scheme)
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

/// The client's address, for per-address limits (see
/// [`WebConfig::trusted_proxies`](crate::WebConfig::trusted_proxies)).
pub(crate) fn client_addr(
    web: &Web,
) -> impl Filter<Extract = (IpAddr,), Error = std::convert::Infallible> + Clone + use<> {
    let trusted: std::sync::Arc<[ipnet::IpNet]> = web.config().trusted_proxies.clone().into();
    warp::addr::remote()
        .and(warp::ext::optional::<crate::server::PeerAddr>())
        .and(warp::header::headers_cloned())
        .map(
            move |addr: Option<SocketAddr>,
                  ours: Option<crate::server::PeerAddr>,
                  headers: HeaderMap| {
                let peer = ours
                    .map(|p| p.0)
                    .or(addr)
                    .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
                forwarded_client(peer, &headers, &trusted)
            },
        )
}

/// Walks `X-Forwarded-For` from the right (the hop nearest us) while the
/// address in hand is a trusted proxy's: each proxy appends the address it
/// was connected from, so the first untrusted one is the client, and
/// whatever a client wrote further left is never believed.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break; // garbled: believe nothing further left
        };
        client = ip;
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let h = xff(&["203.0.113.7"]);
        // A client saying who it is, directly: ignored.
        assert_eq!(
            forwarded_client(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        // The same through the proxy: believed.
        assert_eq!(
            forwarded_client(ip("10.0.0.5"), &h, &trusted),
            ip("203.0.113.7")
        );
        // Nothing trusted: ignored.
        assert_eq!(forwarded_client(ip("10.0.0.5"), &h, &[]), ip("10.0.0.5"));
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_whatever_it_wrote_before() {
        let trusted: Vec<ipnet::IpNet> = vec![
            "10.0.0.0/24".parse().unwrap(),
            "2001:db8::1/128".parse().unwrap(),
        ];
        let peer = ip("10.0.0.5");
        // The client forged a first entry; the proxy appended the real one.
        let h = xff(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(forwarded_client(peer, &h, &trusted), ip("203.0.113.7"));
        // Two proxies in a row, over two header lines.
        let h = xff(&["203.0.113.7", "10.0.0.9"]);
        assert_eq!(forwarded_client(peer, &h, &trusted), ip("203.0.113.7"));
        let h = xff(&["2001:db8::7, 2001:db8::1"]);
        assert_eq!(forwarded_client(peer, &h, &trusted), ip("2001:db8::7"));
        // A garbled hop stops the walk at the last address believed.
        let h = xff(&["203.0.113.7, unknown, 10.0.0.9"]);
        assert_eq!(forwarded_client(peer, &h, &trusted), ip("10.0.0.9"));
        // No header: the proxy itself.
        assert_eq!(forwarded_client(peer, &HeaderMap::new(), &trusted), peer);
    }
}
