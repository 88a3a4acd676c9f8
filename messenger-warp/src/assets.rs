//! Static files compiled into the binary, served under `/static/`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::handler::handler;

#[derive(Clone)]
struct Asset {
    body: Bytes,
    content_type: &'static str,
    etag: String,
}

/// A set of static files, by path below `/static/`.
#[derive(Clone, Default)]
pub struct Assets {
    files: Arc<HashMap<String, Asset>>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.files.keys()).finish()
    }
}

/// The content type for a file name.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl Assets {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file at `path` (below `/static/`, no leading slash); the
    /// content type follows the extension.
    pub fn with(mut self, path: &str, body: &'static [u8]) -> Self {
        let mut h = DefaultHasher::new();
        body.hash(&mut h);
        let asset = Asset {
            body: Bytes::from_static(body),
            content_type: content_type(path),
            etag: format!("\"{:016x}\"", h.finish()),
        };
        Arc::make_mut(&mut self.files).insert(path.trim_start_matches('/').to_owned(), asset);
        self
    }

    /// The crate's own files: the chat client (ES modules: `chat.js` is the
    /// page's entry and `protocol.js` the WebSocket client a frontend of
    /// one's own can import) and the plain stylesheet.
    pub fn builtin() -> Self {
        Self::new()
            .with("messenger/chat.js", include_bytes!("../assets/chat.js"))
            .with(
                "messenger/protocol.js",
                include_bytes!("../assets/protocol.js"),
            )
            .with("messenger/state.js", include_bytes!("../assets/state.js"))
            .with(
                "messenger/session.js",
                include_bytes!("../assets/session.js"),
            )
            .with(
                "messenger/messages.js",
                include_bytes!("../assets/messages.js"),
            )
            .with("messenger/rooms.js", include_bytes!("../assets/rooms.js"))
            .with("messenger/people.js", include_bytes!("../assets/people.js"))
            .with(
                "messenger/dialogs.js",
                include_bytes!("../assets/dialogs.js"),
            )
            .with(
                "messenger/notifications.js",
                include_bytes!("../assets/notifications.js"),
            )
            .with("messenger/ui.js", include_bytes!("../assets/ui.js"))
            .with(
                "messenger/messenger.css",
                include_bytes!("../assets/messenger.css"),
            )
    }

    /// `self` with every file of `other` added (replacing same paths).
    pub fn merge(mut self, other: Assets) -> Self {
        let files = Arc::make_mut(&mut self.files);
        for (k, v) in other.files.iter() {
            files.insert(k.clone(), v.clone());
        }
        self
    }

    /// Whether a file exists at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

/// `/static/...`: takes the files, not the whole [`Web`](crate::Web)
/// that holds them, so the state does not depend on its routes.
pub(crate) fn filter(
    assets: Assets,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path("static")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::path::tail())
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(move |tail: warp::path::Tail, inm: Option<String>| {
            let asset = assets.files.get(tail.as_str()).cloned();
            handler(async move {
                let asset = asset.ok_or_else(warp::reject::not_found)?;
                let mut res = if inm.as_deref() == Some(asset.etag.as_str()) {
                    warp::reply::with_status(warp::reply(), StatusCode::NOT_MODIFIED)
                        .into_response()
                } else {
                    let mut r = Response::new(asset.body.clone().into());
                    r.headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
                    r
                };
                let h = res.headers_mut();
                if let Ok(v) = HeaderValue::from_str(&asset.etag) {
                    h.insert(ETAG, v);
                }
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                h.insert(
                    "x-content-type-options",
                    HeaderValue::from_static("nosniff"),
                );
                Ok::<_, Rejection>(res)
            })
        })
}
