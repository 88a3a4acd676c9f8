//! `Web`: the web layer's shared state, and the filters built from it.

use std::net::IpAddr;
use std::sync::Arc;

use messenger_core::{
    Error, ErrorCode, LoginOutcome, Messenger, Password, RateQuota, SessionOptions, UserAgent,
    Username,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::assets::Assets;
use crate::auth;
use crate::authenticator::Authenticator;
use crate::config::WebConfig;
use crate::cookies;
use crate::error::ApiError;
use crate::templates::Templates;

/// The web layer over one [`Messenger`]: configuration, templates, assets,
/// per-address limits and the shutdown signal, shared by every filter it
/// makes. Cheap to clone.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    messenger: Messenger,
    config: WebConfig,
    templates: Templates,
    assets: Assets,

    shutdown: CancellationToken,
    sockets: TaskTracker,
    user_sockets: Arc<crate::sockets::UserSockets>,
    authenticator: Option<Arc<dyn Authenticator>>,
}

/// Builds a [`Web`].
pub struct WebBuilder {
    messenger: Messenger,
    config: WebConfig,
    templates: Option<Templates>,
    assets: Assets,
    authenticator: Option<Arc<dyn Authenticator>>,
}

impl WebBuilder {
    /// Uses `config` instead of the defaults.
    pub fn config(mut self, config: WebConfig) -> Self {
        self.config = config;
        self
    }

    /// Renders pages with `templates` instead of the plain built-in ones.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.templates = Some(templates);
        self
    }

    /// Serves `assets` under `/static/` besides the built-in ones.
    pub fn assets(mut self, assets: Assets) -> Self {
        self.assets = Assets::builtin().merge(assets);
        self
    }

    /// Lets the host application say who is asking, in place of the
    /// chat's own register, login and sessions (see [`Authenticator`]).
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Builds the web layer.
    pub fn build(self) -> Web {
        Web {
            inner: Arc::new(Inner {
                templates: self.templates.unwrap_or_else(Templates::builtin),
                assets: self.assets,
                messenger: self.messenger,
                config: self.config,
                shutdown: CancellationToken::new(),
                sockets: TaskTracker::new(),
                user_sockets: Arc::default(),
                authenticator: self.authenticator,
            }),
        }
    }
}

impl Web {
    /// Starts a builder with default config, built-in templates and assets.
    pub fn builder(messenger: Messenger) -> WebBuilder {
        WebBuilder {
            messenger,
            config: WebConfig::default(),
            templates: None,
            assets: Assets::builtin(),
            authenticator: None,
        }
    }

    /// A web layer with every default.
    pub fn new(messenger: Messenger) -> Self {
        Self::builder(messenger).build()
    }

    /// The chat service.
    pub fn messenger(&self) -> &Messenger {
        &self.inner.messenger
    }

    /// The configuration.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub(crate) fn authenticator(&self) -> Option<&dyn Authenticator> {
        self.inner.authenticator.as_deref()
    }

    pub(crate) fn templates(&self) -> &Templates {
        &self.inner.templates
    }

    pub(crate) fn asset_set(&self) -> &Assets {
        &self.inner.assets
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub(crate) fn sockets(&self) -> &TaskTracker {
        &self.inner.sockets
    }

    pub(crate) fn user_sockets(&self) -> &Arc<crate::sockets::UserSockets> {
        &self.inner.user_sockets
    }

    /// The JSON API (`/api/...`) and `/healthz`.
    pub fn api(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::api::filter(self.clone()).map(safe_to_keep)
    }

    /// The WebSocket endpoint `/ws`.
    pub fn ws(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::ws::filter(self.clone())
    }

    /// The HTML pages: `/`, `/login`, `/register`, `/logout`, `/chat`.
    pub fn pages(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::pages::filter(self.clone())
    }

    /// Static files under `/static/`.
    pub fn assets(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::assets::filter(self.clone())
    }

    /// Everything: API, WebSocket, pages and assets, with an HTML 404 page
    /// for any other path.
    pub fn routes(
        &self,
    ) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone + use<> {
        self.api()
            .or(self.ws())
            .unify()
            .or(self.pages())
            .unify()
            .or(self.assets())
            .unify()
            .recover(crate::pages::recover(self.clone()))
            .unify()
            .map(safe_to_keep)
    }

    /// Closes every WebSocket with 1001 (going away) after its in-flight
    /// work, and waits until all are closed. Call it when the server stops.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.sockets.close();
        self.inner.sockets.wait().await;
    }

    /// Registrations per address, counted where the messenger counts its
    /// rates (shared by a cluster).
    pub(crate) async fn check_register_rate(&self, addr: IpAddr) -> Result<(), ApiError> {
        if let Some(n) = self.inner.config.register_per_hour {
            let rates = self.inner.messenger.rates();
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
        let limit = self.inner.config.login_failures_per_addr;
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

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The scope of failed logins per client address in the messenger's
/// [`FailureCounter`](messenger_core::FailureCounter).
const ADDR_SCOPE: &str = "login-addr";

/// Headers every answer carries: never sniffed into another type, and JSON
/// (personal data, tokens) never kept by a browser or shared cache.
fn safe_to_keep(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        warp::http::header::X_CONTENT_TYPE_OPTIONS,
        warp::http::HeaderValue::from_static("nosniff"),
    );
    let json = h
        .get(warp::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json && !h.contains_key(warp::http::header::CACHE_CONTROL) {
        h.insert(
            warp::http::header::CACHE_CONTROL,
            warp::http::HeaderValue::from_static("no-store"),
        );
    }
    res
}
