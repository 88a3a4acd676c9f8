//! The session behind the socket: checked again now and then, and the end
//! of it (logged out, or banned with the moderator's reason).

use messenger_core::{Error, ErrorCode};

use futures_util::future::BoxFuture;

use super::{Conn, End, Step, close};
use crate::auth;

impl Conn {
    /// [`Conn::logged_out`], its future's type ending here (see [`Step`]).
    pub(super) fn on_logged_out(&mut self) -> BoxFuture<'_, End> {
        Box::pin(self.logged_out())
    }

    /// [`Conn::recheck`], its future's type ending here (see [`Step`]).
    pub(super) fn on_recheck(&mut self) -> Step<'_> {
        Box::pin(self.recheck())
    }

    /// The session ended: logged out, or the user was banned (then the
    /// error and the close frame say so, with the moderator's reason).
    pub(super) async fn logged_out(&mut self) -> End {
        let banned = self
            .web
            .messenger()
            .standing(self.authed.user.id)
            .await
            .ok()
            .and_then(|s| s.ban);
        let Some(ban) = banned else {
            self.error(ErrorCode::Unauthorized, "logged out", None);
            return End::Close(close::POLICY, "logged out".into());
        };
        let message = Error::Banned {
            reason: ban.reason.as_str().to_owned(),
        }
        .to_string();
        self.error(ErrorCode::Forbidden, &message, None);
        // A close reason is at most 123 bytes (RFC 6455 §5.5).
        let mut reason = message;
        while reason.len() > 123 {
            reason.pop();
        }
        End::Close(close::POLICY, reason.into())
    }

    pub(super) async fn recheck(&mut self) -> Option<End> {
        match auth::still_valid(&self.web, &self.authed).await {
            Ok(true) => {
                self.socket.get_mut().ping();
                None
            }
            Ok(false) => Some(self.logged_out().await),
            // Cannot tell now (the store or the host is down): ask again later.
            Err(_) => None,
        }
    }
}
