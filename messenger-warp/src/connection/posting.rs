//! Posting: a `send` queued and kept in flight (pipelined, answered in
//! order), and its one answer on this socket.

use messenger_core::{ClientId, Error, MessageBody, MessageId, Posted, RoomName};

use futures_util::FutureExt;

use super::{Conn, End, Step};

impl Conn {
    /// Queues the post and keeps it in flight; [`Conn::posted`] answers it.
    pub(super) async fn send(
        &mut self,
        raw_room: &str,
        body: &str,
        client_id: &str,
        reply_to: Option<MessageId>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let limits = &m.config().limits;
        let room = self.room(raw_room).await?;
        let client_id = ClientId::parse(client_id, limits)?;
        let body = MessageBody::parse(body, limits)?;
        let raw_client_id = client_id.as_str().to_owned();
        let user = &self.authed.user;
        let pending = match reply_to {
            Some(to) => m.enqueue_reply(user, &room, body, client_id, to).await?,
            None => m.enqueue_post(user, &room, body, client_id).await?,
        };
        self.posts
            .push_back(pending.map(move |r| (room, raw_client_id, r)).boxed());
        Ok(())
    }

    /// [`Conn::posted`], its future's type ending here (see [`Step`]).
    pub(super) fn on_posted<'a>(
        &'a mut self,
        room: &'a RoomName,
        client_id: &'a str,
        result: Result<Posted, Error>,
    ) -> Step<'a> {
        Box::pin(self.posted(room, client_id, result))
    }

    /// Answers a send with exactly one frame on this socket: a new message
    /// by the room's own stream (in order, once), anything else here.
    pub(super) async fn posted(
        &mut self,
        room: &RoomName,
        client_id: &str,
        result: Result<Posted, Error>,
    ) -> Option<End> {
        let posted = match result {
            Ok(posted) => posted,
            Err(e) => {
                self.refuse(e, Some(client_id));
                return None;
            }
        };
        if let Some(state) = self.rooms.get(room) {
            if posted.created {
                return None;
            }
            // A resend. Keep the room's stream in order: deliver it up to
            // the original first, if this socket has not had it yet.
            let id = posted.message.id;
            if id > state.last
                && let Some(end) = self.catch_up(room, Some(MessageId(id.0 + 1))).await
            {
                return Some(end);
            }
        }
        let frame = self.dialect.message_frame(&posted.message);
        self.metrics.delivered(1);
        self.push(frame);
        None
    }
}
