//! The `/ws` endpoint: checks before the upgrade, then one task per socket.

use messenger_core::ErrorCode;
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::ws::Ws;
use warp::{Filter, Rejection, Reply};

use crate::auth;
use crate::connection;
use crate::error::ApiError;
use crate::web::Web;

pub(crate) fn filter(web: Web) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws")
        .and(warp::get())
        .and(warp::ws().map(Some).or(warp::any().map(|| None)).unify())
        .and(warp::header::headers_cloned())
        .then(move |ws: Option<Ws>, headers: HeaderMap| {
            let web = web.clone();
            async move { upgrade(web, ws, headers).await }
        })
}

async fn upgrade(web: Web, ws: Option<Ws>, headers: HeaderMap) -> Response {
    // Cross-Site WebSocket Hijacking: browsers send cookies on cross-site
    // upgrades, so the Origin must be ours.
    if !auth::origin_allowed(&headers, web.config()) {
        return ApiError::new(ErrorCode::Forbidden, "origin not allowed").into_response();
    }
    let Some((token, _)) = auth::presented_token(&headers, web.config()) else {
        return ApiError::new(ErrorCode::Unauthorized, "not logged in").into_response();
    };
    let session = match web.messenger().authenticate(&token).await {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(ws) = ws else {
        return ApiError::new(ErrorCode::Invalid, "expected a WebSocket upgrade").into_response();
    };
    if web.shutdown_token().is_cancelled() {
        return ApiError::new(ErrorCode::Internal, "server is shutting down")
            .with_status(warp::http::StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    let limit = web.config().ws_hard_limit;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| {
            let tracker = web.sockets().clone();
            tracker.track_future(connection::run(web, session, token, socket))
        })
        .into_response()
}
