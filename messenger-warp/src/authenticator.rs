//! The seam for host applications that have their own users and logins.

use async_trait::async_trait;
use messenger_core::HostIdentity;
use warp::http::HeaderMap;

use crate::error::ApiError;

/// Tells the chat who is asking, by the host application's own means (its
/// session cookie, a bearer JWT, a header set by its gateway), in place of
/// the chat's own sessions.
///
/// With one set ([`WebBuilder::authenticator`](crate::WebBuilder::authenticator)),
/// [`Web::api`](crate::Web::api), [`Web::ws`](crate::Web::ws) and the chat
/// page ask it on every request and WebSocket upgrade; the person it names
/// becomes a chat user on first sight ([`Messenger::host_user`](messenger_core::Messenger::host_user)).
/// The chat's own register, login and logout (API and pages) step aside
/// (404), so the host's routes of the same names answer instead.
///
/// Open sockets ask again every minute with the upgrade's headers, and close
/// (1008, as on logout) once the answer is nobody or someone else: a host
/// session that ended ends the chat too. A host that logs someone out can
/// close their sockets at once with
/// [`Messenger::logout_everywhere`](messenger_core::Messenger::logout_everywhere).
///
/// ```
/// use messenger_core::{ExternalId, HostIdentity, Username, Limits};
/// use messenger_warp::{ApiError, Authenticator, async_trait};
/// use warp::http::HeaderMap;
///
/// /// Trusts the `X-User` header that the host's gateway sets.
/// struct GatewayHeader;
///
/// #[async_trait]
/// impl Authenticator for GatewayHeader {
///     async fn identify(&self, headers: &HeaderMap) -> Result<Option<HostIdentity>, ApiError> {
///         let Some(name) = headers.get("x-user").and_then(|v| v.to_str().ok()) else {
///             return Ok(None);
///         };
///         Ok(Some(HostIdentity {
///             external_id: ExternalId::parse(name)?,
///             username: Username::parse(name, &Limits::default())?,
///         }))
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Who sends a request with these headers; `Ok(None)` for nobody, which
    /// answers 401 (the chat page redirects to `/login`). An `Err` is
    /// answered as it is.
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<HostIdentity>, ApiError>;
}
