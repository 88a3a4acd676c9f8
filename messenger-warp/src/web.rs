//! `Web`: the web layer's shared state. The filters built from it are in
//! `routes.rs`; signing in, which the JSON API and the pages share, in
//! `login.rs`.

use std::sync::Arc;

use messenger_core::Messenger;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::assets::Assets;
use crate::authenticator::Authenticator;
use crate::config::WebConfig;
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

    /// Closes every WebSocket with 1001 (going away) after its in-flight
    /// work, and waits until all are closed. Call it when the server stops.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.sockets.close();
        self.inner.sockets.wait().await;
    }
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
