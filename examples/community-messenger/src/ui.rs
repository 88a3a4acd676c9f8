//! The Bootstrap templates and static files, compiled into the binary so it
//! runs from any folder and offline.

use include_dir::{Dir, include_dir};
use messenger_warp::{Assets, TemplateError, Templates};

static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Every file under `static/`, served at `/static/...`.
pub fn assets() -> Assets {
    fn add(assets: Assets, dir: &'static Dir<'static>) -> Assets {
        let assets = dir.files().fold(assets, |a, f| {
            a.with(&f.path().to_string_lossy(), f.contents())
        });
        dir.dirs().fold(assets, add)
    }
    add(Assets::new(), &STATIC)
}

/// The Bootstrap page templates.
pub fn templates() -> Result<Templates, TemplateError> {
    let mut hb = Templates::registry();
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
    for (name, source) in sources {
        hb.register_template_string(name, source)
            .map_err(Box::new)?;
    }
    Templates::new(hb)
}
