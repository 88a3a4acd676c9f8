//! Handlebars templates of the pages.

use std::sync::Arc;

use handlebars::Handlebars;

/// Why a template set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template the pages need is not registered.
    #[error("template '{0}' is not registered")]
    Missing(&'static str),
    /// A template did not compile.
    #[error(transparent)]
    Syntax(#[from] Box<handlebars::TemplateError>),
}

/// The templates the pages render. HTML escaping is on for every `{{ }}`.
///
/// A set must register `login`, `register`, `chat`, `error`, `settings`,
/// `moderation`, `direct` and `invite` (see [`Templates::REQUIRED`]). Each page gets `title`,
/// `csrf_token`, `flash` (a one-time notice, or null) and `user` (`{id,
/// username}` when logged in; on `chat`, `settings` and `moderation` also
/// `role`, `is_moderator` and `is_admin`); `login` and `register` also get
/// `username` (as typed) and `error` (`register` also
/// `errors.username|password|confirm`); `chat` gets `rooms`, `room`,
/// `history_limit` and `body_limit`; `settings` gets `sessions` (each
/// `{id, created, last_seen, user_agent, current}`), `own_sessions`,
/// `muted_until` and `error`; `moderation` gets `entries` (each `{at,
/// actor, target, action, detail, reason}`), `older` (the `before` of the
/// next page) and `paged`; `direct` (asking before a direct conversation
/// is opened: its form POSTs to `/dm/{peer}`) gets `peer`; `invite`
/// (asking before joining a private room by an invite link: its form POSTs
/// to `/invite/{code}`) gets `code`, `room` (`{name, title, topic, ...}`),
/// `inviter` and `expires_at` (or null); `error` gets
/// `status` and `message`.
#[derive(Clone)]
pub struct Templates {
    registry: Arc<Handlebars<'static>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The template names every set must register.
    pub const REQUIRED: &'static [&'static str] = &[
        "login",
        "register",
        "chat",
        "error",
        "settings",
        "moderation",
        "direct",
        "invite",
    ];

    /// Uses `registry`, checking it has every required template.
    pub fn new(registry: Handlebars<'static>) -> Result<Self, TemplateError> {
        for name in Self::REQUIRED {
            if !registry.has_template(name) {
                return Err(TemplateError::Missing(name));
            }
        }
        Ok(Self {
            registry: Arc::new(registry),
        })
    }

    /// A registry with strict escaping, for building a set of your own.
    pub fn registry() -> Handlebars<'static> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(false);
        hb.set_dev_mode(false);
        hb
    }

    /// The plain templates shipped with this crate.
    pub fn builtin() -> Self {
        let mut hb = Self::registry();
        let sources = [
            ("layout", include_str!("../templates/layout.hbs")),
            ("login", include_str!("../templates/login.hbs")),
            ("register", include_str!("../templates/register.hbs")),
            ("chat", include_str!("../templates/chat.hbs")),
            ("error", include_str!("../templates/error.hbs")),
            ("settings", include_str!("../templates/settings.hbs")),
            ("moderation", include_str!("../templates/moderation.hbs")),
            ("direct", include_str!("../templates/direct.hbs")),
            ("invite", include_str!("../templates/invite.hbs")),
        ];
        for (name, src) in sources {
            hb.register_template_string(name, src)
                .expect("built-in templates compile");
        }
        Self::new(hb).expect("built-in templates are complete")
    }

    pub(crate) fn render(
        &self,
        name: &str,
        ctx: &serde_json::Value,
    ) -> Result<String, handlebars::RenderError> {
        self.registry.render(name, ctx)
    }
}
