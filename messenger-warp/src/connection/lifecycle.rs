//! A socket's share of the message lifecycle: edit, delete and search
//! requests, history around a message, and keeping a v2 client's copy of
//! a room in step with edits and deletes (docs/protocol.md, "Editing,
//! deleting, searching").

use messenger_core::{CHANGES_PAGE_MAX, Error, HistoryQuery, MessageId, RoomName};

use super::{Conn, End, close};
use crate::frames::{ServerFrame, v1_page};

impl Conn {
    pub(super) async fn history_around(
        &mut self,
        raw: &str,
        around: MessageId,
        limit: Option<usize>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let room = self.room(raw).await?;
        let limit = limit.unwrap_or(m.config().limits.history_default);
        if limit == 0 || limit > m.config().limits.history_max {
            // The same answer as for any history page out of bounds.
            m.history(&self.authed.user, &room, HistoryQuery::latest(limit))
                .await?;
        }
        let page = m
            .history_around(&self.authed.user, &room, around, limit)
            .await?;
        let (last_id, _) = m.room_head(&self.authed.user, &room).await?;
        let has_more = page.first().is_some_and(|f| f.id.0 > 1);
        let has_newer = page.last().is_some_and(|l| l.id < last_id);
        self.metrics.delivered(page.len());
        let messages = if self.v2 {
            std::borrow::Cow::Borrowed(&page[..])
        } else {
            v1_page(&page)
        };
        let frame = ServerFrame::History {
            room: &room,
            messages: &messages,
            has_more,
            around: Some(around),
            has_newer: Some(has_newer),
        }
        .encode();
        self.push(frame);
        Ok(())
    }

    /// v2, after a join's history: the edits and deletes since the client's
    /// `rev` of the messages it already had (ids up to its `since`), then
    /// `synced` with the room's newest id and change number.
    pub(super) async fn sync_changes(
        &mut self,
        room: &RoomName,
        seen: Option<(MessageId, u64)>,
    ) -> Result<(), Error> {
        if !self.v2 {
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
        if !self.v2 {
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
