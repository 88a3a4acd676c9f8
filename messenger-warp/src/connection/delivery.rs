//! Delivering a joined room's live events in id order (and, v2, change
//! order), once each: the decision is `order.rs`'s; filling a gap, a lag
//! and a join's changes come from the store, in pages.

use messenger_core::{
    CHANGES_PAGE_MAX, Delivery, Error, EventKind, HistoryQuery, MessageId, RoomEvent, RoomName,
};

use tokio::time::Instant;

use super::order::{self, Step};
use super::{Conn, End, close};
use crate::frames::{ServerFrame, encode_event};
use crate::metrics::SocketMetrics;

impl Conn {
    pub(super) async fn deliver(&mut self, room: RoomName, delivery: Delivery) -> Option<End> {
        match delivery {
            Delivery::Event(event) => self.deliver_event(&room, event).await,
            Delivery::Lagged { missed } => {
                let now = Instant::now();
                let window = self.web.config().lag_window;
                self.lags.retain(|t| now.duration_since(*t) < window);
                self.lags.push_back(now);
                if self.lags.len() > self.web.config().max_lags as usize {
                    return Some(End::Close(
                        close::TRY_AGAIN_LATER,
                        "too slow: reconnect and join with since".into(),
                    ));
                }
                tracing::debug!(room = %room, missed, "socket lagged; resyncing from the store");
                SocketMetrics::resynced();
                if let Some(end) = Box::pin(self.catch_up(&room, None)).await {
                    return Some(end);
                }
                Box::pin(self.catch_up_changes(&room, u64::MAX)).await
            }
        }
    }

    pub(super) async fn deliver_event(&mut self, room: &RoomName, event: RoomEvent) -> Option<End> {
        match event.kind() {
            EventKind::Message(message) => {
                let id = message.id;
                let state = self.rooms.get_mut(room)?;
                match order::by_id(state.last, id) {
                    Step::Skip => return None,
                    Step::Deliver => state.last = id,
                    Step::FillGap => {
                        if let Some(end) = Box::pin(self.catch_up(room, Some(id))).await {
                            return Some(end);
                        }
                        let state = self.rooms.get_mut(room)?;
                        if order::by_id(state.last, id) == Step::Skip {
                            return None;
                        }
                        state.last = id;
                    }
                }
                self.metrics.delivered(1);
            }
            EventKind::Changed { message, .. } => {
                if !self.dialect.follows_changes() {
                    return None;
                }
                let rev = message.rev;
                let state = self.rooms.get_mut(room)?;
                match order::by_rev(state.rev, rev) {
                    Step::Skip => return None,
                    Step::Deliver => state.rev = rev,
                    Step::FillGap => {
                        if let Some(end) = Box::pin(self.catch_up_changes(room, rev)).await {
                            return Some(end);
                        }
                        let state = self.rooms.get_mut(room)?;
                        if order::by_rev(state.rev, rev) == Step::Skip {
                            return None;
                        }
                        state.rev = rev;
                    }
                }
            }
            EventKind::Typing { user, .. } if user.id == self.authed.user.id => return None,
            _ => {}
        }
        // The room's encoding is v2's; v1 sees a reply as a plain message.
        if let EventKind::Message(m) = event.kind()
            && m.reply_to.is_some()
            && !self.dialect.shows_replies()
        {
            let frame = self.dialect.message_frame(m);
            self.socket.get_mut().text(frame.as_bytes());
            return None;
        }
        self.socket.get_mut().text(event.encoded(encode_event));
        None
    }

    /// Delivers from the store every message after the room's mark, in
    /// pages, up to (not including) `until` when given.
    pub(super) async fn catch_up(
        &mut self,
        room: &RoomName,
        until: Option<MessageId>,
    ) -> Option<End> {
        let m = self.web.messenger().clone();
        let page_size = m.config().limits.history_max;
        loop {
            let last = self.rooms.get(room)?.last;
            let query = HistoryQuery {
                before: until,
                after: Some(last),
                limit: page_size,
            };
            let page = match m.history(&self.authed.user, room, query).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "resync from the store failed");
                    return None;
                }
            };
            let newest = page.last().map(|l| l.id)?;
            self.metrics.delivered(page.len());
            for message in &page {
                let frame = self.dialect.message_frame(message);
                self.push(frame);
            }
            self.rooms.get_mut(room)?.last = newest;
            if page.len() < page_size {
                return None;
            }
            if self.flush().await.is_err() {
                return Some(End::Close(
                    close::TRY_AGAIN_LATER,
                    "too slow: reconnect and join with since".into(),
                ));
            }
        }
    }

    /// v2, after a join's history: the edits and deletes since the client's
    /// `rev` of the messages it already had (ids up to its `since`), then
    /// `synced` with the room's newest id and change number.
    pub(super) async fn sync_changes(
        &mut self,
        room: &RoomName,
        seen: Option<(MessageId, u64)>,
    ) -> Result<(), Error> {
        if !self.dialect.follows_changes() {
            return Ok(());
        }
        let m = self.web.messenger().clone();
        let (_, head_rev) = m.room_head(&self.authed.user, room).await?;
        let mut rev = head_rev;
        if let Some((since, from)) = seen {
            let mut after = from;
            loop {
                let page = m
                    .changes(&self.authed.user, room, after, CHANGES_PAGE_MAX)
                    .await?;
                for message in page.iter().filter(|c| c.id <= since) {
                    let frame = ServerFrame::Changed {
                        reaction: None,
                        message,
                        client_id: None,
                    }
                    .encode();
                    self.push(frame);
                }
                let Some(last) = page.last() else { break };
                after = last.rev;
                rev = rev.max(after);
                if page.len() < CHANGES_PAGE_MAX {
                    break;
                }
            }
        }
        let Some(state) = self.rooms.get_mut(room) else {
            return Ok(());
        };
        state.rev = state.rev.max(rev);
        let (last_id, rev) = (state.last, state.rev);
        let frame = ServerFrame::Synced { room, last_id, rev }.encode();
        self.push(frame);
        Ok(())
    }

    /// Delivers from the store the room's changes after this socket's
    /// mark, up to (not including) change number `until`.
    pub(super) async fn catch_up_changes(&mut self, room: &RoomName, until: u64) -> Option<End> {
        if !self.dialect.follows_changes() {
            return None;
        }
        let m = self.web.messenger().clone();
        loop {
            let after = self.rooms.get(room)?.rev;
            let page = match m
                .changes(&self.authed.user, room, after, CHANGES_PAGE_MAX)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "reading changes from the store failed");
                    return None;
                }
            };
            let mut last = after;
            for message in page.iter().filter(|c| c.rev < until) {
                let frame = ServerFrame::Changed {
                    reaction: None,
                    message,
                    client_id: None,
                }
                .encode();
                self.push(frame);
                last = message.rev;
            }
            self.rooms.get_mut(room)?.rev = last;
            if page.len() < CHANGES_PAGE_MAX || page.last().is_some_and(|l| l.rev >= until) {
                return None;
            }
            if self.flush().await.is_err() {
                return Some(End::Close(
                    close::TRY_AGAIN_LATER,
                    "too slow: reconnect and join with since".into(),
                ));
            }
        }
    }
}
