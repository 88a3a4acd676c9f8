//! What a client sends: a frame decoded and dispatched (the socket's own
//! operations here and in their files, the rest through the request
//! layer), and refusals in the protocol's error envelope.

use messenger_core::{Error, ErrorCode, MessageId, RoomName};

use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::{Conn, End, Step};
use crate::frames::{ClientFrame, ServerFrame, client_id_of};

impl Conn {
    /// [`Conn::incoming`], its future's type ending here (see [`Step`]).
    pub(super) fn on_frame(&mut self, msg: WsMessage) -> Step<'_> {
        Box::pin(self.incoming(msg))
    }

    pub(super) async fn incoming(&mut self, msg: WsMessage) -> Option<End> {
        let text = match &msg {
            WsMessage::Text(text) => text.as_str(),
            WsMessage::Binary(_) => {
                self.error(
                    ErrorCode::Invalid,
                    "binary frames are not supported; send JSON text frames",
                    None,
                );
                return None;
            }
            WsMessage::Close(_) => return Some(End::Gone),
            // Pings are answered by tungstenite; pongs only prove liveness.
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => return None,
        };
        let limit = self.web.messenger().config().limits.frame_bytes;
        if text.len() > limit {
            self.error(
                ErrorCode::TooLarge,
                &format!("frame exceeds {limit} bytes"),
                None,
            );
            return None;
        }
        let raw: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.error(ErrorCode::Invalid, &format!("frame is not JSON: {e}"), None);
                return None;
            }
        };
        let client_id = client_id_of(&raw);
        let frame: ClientFrame = match serde_json::from_value(raw) {
            Ok(f) => f,
            Err(e) => {
                self.error(
                    ErrorCode::Invalid,
                    &format!("bad frame: {e}"),
                    client_id.as_deref(),
                );
                return None;
            }
        };
        let result = match frame {
            ClientFrame::Join { room, since, rev } => {
                self.join(&room, since.map(MessageId), rev).await
            }
            ClientFrame::Send {
                room,
                body,
                client_id,
                reply_to,
            } => {
                self.send(&room, &body, &client_id, reply_to.map(MessageId))
                    .await
            }
            ClientFrame::Typing { room } => self.typing(&room).await,
            ClientFrame::History {
                room,
                around: Some(around),
                limit,
                ..
            } => self.history_around(&room, MessageId(around), limit).await,
            ClientFrame::History {
                room,
                before,
                limit,
                around: None,
            } => self.history(&room, before, limit).await,
            ClientFrame::Leave { room } => self.leave(&room).await,
            other => self.request(other).await,
        };
        if let Err(e) = result {
            self.refuse(e, client_id.as_deref());
        }
        None
    }

    pub(super) fn error(&mut self, code: ErrorCode, message: &str, client_id: Option<&str>) {
        let frame = ServerFrame::Error {
            code,
            message,
            client_id,
        }
        .encode();
        self.push(frame);
    }

    pub(super) fn refuse(&mut self, e: Error, client_id: Option<&str>) {
        let message = crate::requests::public_message(&e);
        self.error(e.code(), &message, client_id);
    }

    /// A client's room name, if its user may read the room.
    pub(super) async fn room(&mut self, raw: &str) -> Result<RoomName, Error> {
        self.web.messenger().room_for(raw, &self.authed.user).await
    }
}
