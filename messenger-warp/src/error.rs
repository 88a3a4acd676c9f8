//! The protocol's error envelope, and turning rejections into it.

use std::convert::Infallible;
use std::time::Duration;

use messenger_core::{Error, ErrorCode};
use serde::Serialize;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Rejection, Reply};

/// An error answered in the protocol's envelope:
/// `{"error":{"code","message"}}` with the matching HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Wire code.
    pub code: ErrorCode,
    /// Human text.
    pub message: String,
    /// HTTP status (usually implied by the code).
    pub status: StatusCode,
    /// For `rate_limited`: seconds until a retry may succeed.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with the status implied by `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: status_of(code),
            retry_after: None,
        }
    }

    /// The same error with another status (415 for a wrong content type).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The envelope's JSON.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } })
    }
}

/// The HTTP status of each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Invalid => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // A code added to core after this build: a server error is the
        // safe reading.
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let code = e.code();
        let message = crate::requests::public_message(&e);
        let retry_after = match e {
            Error::RateLimited { retry_after } => Some(retry_after),
            _ => None,
        };
        Self {
            retry_after,
            ..Self::new(code, message)
        }
    }
}

impl From<messenger_core::ValidationError> for ApiError {
    fn from(e: messenger_core::ValidationError) -> Self {
        Error::from(e).into()
    }
}

impl warp::reject::Reject for ApiError {}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let mut res =
            warp::reply::with_status(warp::reply::json(&self.body()), self.status).into_response();
        if let Some(after) = self.retry_after {
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                res.headers_mut().insert(warp::http::header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// Rejects a request with `e`.
pub(crate) fn reject(e: impl Into<ApiError>) -> Rejection {
    warp::reject::custom(e.into())
}

/// Maps warp's own rejections (and ours) to the envelope.
pub(crate) fn api_error_of(r: &Rejection) -> ApiError {
    if let Some(e) = r.find::<ApiError>() {
        return e.clone();
    }
    if r.is_not_found() {
        return ApiError::new(ErrorCode::NotFound, "no such endpoint");
    }
    if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        return ApiError::new(ErrorCode::TooLarge, "request body is too large");
    }
    if r.find::<warp::reject::UnsupportedMediaType>().is_some() {
        return ApiError::new(
            ErrorCode::Invalid,
            "expected Content-Type: application/json",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    if let Some(e) = r.find::<warp::filters::body::BodyDeserializeError>() {
        return ApiError::new(ErrorCode::Invalid, format!("malformed JSON body: {e}"));
    }
    if let Some(e) = r.find::<warp::reject::InvalidQuery>() {
        return ApiError::new(ErrorCode::Invalid, format!("malformed query: {e}"));
    }
    if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        return ApiError::new(ErrorCode::NotFound, "no such endpoint for this method")
            .with_status(StatusCode::METHOD_NOT_ALLOWED);
    }
    if r.find::<warp::reject::LengthRequired>().is_some() {
        return ApiError::new(ErrorCode::Invalid, "a Content-Length is required")
            .with_status(StatusCode::LENGTH_REQUIRED);
    }
    if r.find::<warp::reject::MissingHeader>().is_some()
        || r.find::<warp::reject::InvalidHeader>().is_some()
    {
        return ApiError::new(
            ErrorCode::Invalid,
            "a required header is missing or malformed",
        );
    }
    tracing::warn!(rejection = ?r, "unhandled rejection");
    ApiError::new(ErrorCode::Internal, "internal error")
}

/// `recover` handler for the JSON API: every rejection becomes the envelope.
pub(crate) async fn recover_api(r: Rejection) -> Result<Response, Infallible> {
    Ok(api_error_of(&r).into_response())
}

/// A JSON reply with a status.
pub(crate) fn json_reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}
