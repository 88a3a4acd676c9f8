//! Signing in, shared by the JSON API and the pages: the per-address
//! limits on registrations and failed logins, the login itself, and the
//! cookies and session options it leaves.

use std::net::IpAddr;

use messenger_core::{
    Error, ErrorCode, LoginOutcome, Password, RateQuota, SessionOptions, UserAgent, Username,
};
use warp::http::HeaderMap;

use crate::auth;
use crate::cookies;
use crate::error::ApiError;
use crate::web::Web;

/// The scope of failed logins per client address in the messenger's
/// [`FailureCounter`](messenger_core::FailureCounter).
const ADDR_SCOPE: &str = "login-addr";

impl Web {
    /// Registrations per address, counted where the messenger counts its
    /// rates (shared by a cluster).
    pub(crate) async fn check_register_rate(&self, addr: IpAddr) -> Result<(), ApiError> {
        if let Some(n) = self.config().register_per_hour {
            let rates = self.messenger().rates();
            rates
                .take("register", &addr.to_string(), RateQuota::per_hour(n))
                .await
                .map_err(|retry_after| {
                    messenger_core::metrics::rate_limited("register");
                    ApiError::from(Error::RateLimited { retry_after })
                })?;
        }
        Ok(())
    }

    /// Logs in with raw form or JSON input. Any malformed name or password
    /// answers like a wrong one; failures are limited per address.
    pub(crate) async fn login(
        &self,
        addr: IpAddr,
        username: &str,
        password: &str,
        remember: bool,
        headers: &HeaderMap,
    ) -> Result<LoginOutcome, ApiError> {
        // Counted where the messenger counts failures: shared by a cluster.
        let failures = self.messenger().failures().clone();
        let limit = self.config().login_failures_per_addr;
        let key = addr.to_string();
        failures
            .check(ADDR_SCOPE, &key, limit)
            .await
            .map_err(|retry_after| {
                messenger_core::metrics::rate_limited("login");
                ApiError::from(Error::RateLimited { retry_after })
            })?;
        let limits = &self.messenger().config().limits;
        let result = match (
            Username::parse(username, limits),
            Password::parse(password, limits),
        ) {
            (Ok(u), Ok(p)) => {
                let options = self.session_options(remember, headers);
                self.messenger().login_with(&u, &p, options).await
            }
            _ => Err(Error::Unauthorized("invalid username or password")),
        };
        if let Err(e) = &result
            && e.code() == ErrorCode::Unauthorized
        {
            failures.record_failure(ADDR_SCOPE, &key, limit).await;
        }
        result.map_err(ApiError::from)
    }

    /// Revokes the session a request presents, if any (login rotation).
    pub(crate) async fn revoke_presented(&self, headers: &HeaderMap) {
        if let Ok(Some(old)) = auth::session_of(self, headers).await
            && let Some(session) = old.session()
            && let Err(e) = self.messenger().logout(session).await
        {
            tracing::warn!(error = %e, "revoking the previous session failed");
        }
    }

    /// The `Set-Cookie` values of a login: the session's (persistent with
    /// "remember me", a browser-session cookie otherwise) and, after a
    /// password login, the device cookie that exempts this browser from
    /// strangers' lockouts of the account (a year, HttpOnly).
    pub(crate) fn login_cookies(&self, outcome: &LoginOutcome) -> Vec<String> {
        let c = self.config();
        let max_age = outcome
            .session
            .record
            .remember
            .then(|| self.messenger().config().sessions.remember_lifetime);
        let mut set = vec![cookies::build(
            &c.cookie_name,
            outcome.token.expose(),
            cookie::SameSite::Lax,
            c.secure_cookies,
            max_age,
        )];
        if let Some(device) = &outcome.device {
            set.push(cookies::build(
                &c.device_cookie_name,
                device.as_str(),
                cookie::SameSite::Strict,
                c.secure_cookies,
                Some(std::time::Duration::from_secs(365 * 24 * 3600)),
            ));
        }
        set
    }

    /// How a login from a request with `headers` opens its session: with
    /// the client's `User-Agent` (for the account settings' list of
    /// sessions) and its device cookie.
    pub(crate) fn session_options(&self, remember: bool, headers: &HeaderMap) -> SessionOptions {
        let cookie_header = headers
            .get(warp::http::header::COOKIE)
            .and_then(|v| v.to_str().ok());
        SessionOptions {
            remember,
            user_agent: headers
                .get(warp::http::header::USER_AGENT)
                .and_then(|v| UserAgent::clean(&String::from_utf8_lossy(v.as_bytes()))),
            device: cookies::get(cookie_header, &self.config().device_cookie_name)
                .and_then(|t| messenger_core::DeviceToken::parse(&t)),
        }
    }
}
