//! The filters a [`Web`] makes: the JSON API, the WebSocket, the pages,
//! the static files, and all of them as one service. Every route of the
//! application is reached from here.

use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::web::Web;

// Each filter is boxed here, in a function that is not generic, so its
// chain of types is compiled once, in this crate, not again in every binary
// that serves it (the binary compiled them all, most of its build).
impl Web {
    /// The JSON API (`/api/...`) and `/healthz`.
    pub fn api(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        let web = self.clone();
        let api = warp::path("api").and(
            crate::api::filter(web.clone())
                .or(crate::account_api::filter(web.clone()))
                .unify()
                .or(crate::moderation_api::filter(web.clone()))
                .unify()
                // Last: it takes the body before it knows the route, and a
                // body once taken is gone for the routes after it.
                .or(crate::http_requests::filter(web.clone()))
                .unify()
                .recover(crate::error::recover_api)
                .unify(),
        );
        api.or(crate::api::health(web))
            .unify()
            .map(safe_to_keep)
            .boxed()
    }

    /// The WebSocket endpoint `/ws`.
    pub fn ws(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::ws::filter(self.clone()).boxed()
    }

    /// The HTML pages: `/`, `/login`, `/register`, `/logout`, `/chat`, `/dm`,
    /// invitations, settings and the moderation log.
    pub fn pages(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        let web = self.clone();
        crate::pages::filter(web.clone())
            .or(crate::invite_pages::filter(web.clone()))
            .unify()
            .or(crate::account_pages::filter(web))
            .unify()
            .boxed()
    }

    /// Static files under `/static/`.
    pub fn assets(&self) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
        crate::assets::filter(self.asset_set().clone()).boxed()
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
}

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
