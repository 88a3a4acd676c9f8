//! Joining and leaving rooms, typing, and the history pages a client asks
//! for: a join's history from `since` (in pages until caught up), older
//! pages, and a page around one message.

use messenger_core::{Error, HistoryQuery, Message, MessageId, RoomName};

use super::{Conn, Room};
use crate::frames::ServerFrame;

impl Conn {
    pub(super) async fn join(
        &mut self,
        raw: &str,
        since: Option<MessageId>,
        rev: Option<u64>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let room = self.room(raw).await?;
        if !self.rooms.contains_key(&room) {
            let joined = m.join(&room, &self.authed.user).await?;
            // Joined rooms deliver everything; no need to watch them too.
            self.watched.remove(&room);
            self.subs.insert(room.clone(), joined.subscription);
            self.metrics.joined();
            self.rooms.insert(
                room.clone(),
                Room {
                    last: MessageId(0),
                    rev: 0,
                    _presence: joined.presence,
                },
            );
            self.send_history_for_join(&room, since).await?;
            self.sync_changes(&room, since.zip(rev)).await?;
            let online = ServerFrame::Presence {
                room: &room,
                online: &joined.online,
            }
            .encode();
            self.push(online);
        } else {
            self.send_history_for_join(&room, since).await?;
            self.sync_changes(&room, since.zip(rev)).await?;
        }
        Ok(())
    }

    /// The history a join answers: everything after `since`, in pages until
    /// caught up, or else the latest page. Sets the room's delivery mark.
    pub(super) async fn send_history_for_join(
        &mut self,
        room: &RoomName,
        since: Option<MessageId>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let limits = &m.config().limits;
        let mut last = match since {
            None => {
                let page = m
                    .history(
                        &self.authed.user,
                        room,
                        HistoryQuery::latest(limits.history_default),
                    )
                    .await?;
                let has_more = page.first().is_some_and(|first| first.id.0 > 1);
                self.push_history(room, &page, has_more);
                page.last().map_or(MessageId(0), |l| l.id)
            }
            Some(since) => {
                let mut last = since;
                loop {
                    let page = m
                        .history(
                            &self.authed.user,
                            room,
                            HistoryQuery::after(last, limits.history_max),
                        )
                        .await?;
                    let full = page.len() == limits.history_max;
                    self.push_history(room, &page, full);
                    if let Some(l) = page.last() {
                        last = l.id;
                    }
                    if !full {
                        break;
                    }
                    self.flush()
                        .await
                        .map_err(|()| Error::Internal("client too slow".into()))?;
                }
                last
            }
        };
        if since.is_some_and(|s| s == last && s.0 > 0) {
            // A `since` beyond the newest message must not hide the next ones.
            let newest = m
                .history(&self.authed.user, room, HistoryQuery::latest(1))
                .await?;
            last = last.min(newest.last().map_or(MessageId(0), |n| n.id));
        }
        if let Some(r) = self.rooms.get_mut(room) {
            r.last = r.last.max(last);
        }
        Ok(())
    }

    pub(super) fn push_history(&mut self, room: &RoomName, messages: &[Message], has_more: bool) {
        self.metrics.delivered(messages.len());
        let messages = self.dialect.page(messages);
        let frame = ServerFrame::History {
            room,
            messages: &messages,
            has_more,
            around: None,
            has_newer: None,
        }
        .encode();
        self.push(frame);
    }

    pub(super) async fn history(
        &mut self,
        raw: &str,
        before: Option<u64>,
        limit: Option<usize>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let room = self.room(raw).await?;
        let limit = limit.unwrap_or(m.config().limits.history_default);
        let query = match before {
            Some(b) => HistoryQuery::before(MessageId(b), limit),
            None => HistoryQuery::latest(limit),
        };
        let page = m.history(&self.authed.user, &room, query).await?;
        let has_more = page.first().is_some_and(|f| f.id.0 > 1);
        self.push_history(&room, &page, has_more);
        Ok(())
    }

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
        let messages = self.dialect.page(&page);
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

    pub(super) async fn leave(&mut self, raw: &str) -> Result<(), Error> {
        let room = RoomName::parse(raw, &self.web.messenger().config().limits)?;
        if !self.rooms.contains_key(&room) {
            // Not joined here: answer as for a room one cannot read.
            self.room(raw).await?;
            return Ok(());
        }
        self.unjoin(&room).await?;
        // A v2 socket keeps an eye on its other rooms.
        self.watch(&room).await;
        Ok(())
    }

    /// Stops delivering a joined room here and leaves its presence.
    pub(super) async fn unjoin(&mut self, room: &RoomName) -> Result<(), Error> {
        self.subs.remove(room);
        if let Some(r) = self.rooms.remove(room) {
            self.metrics.left();
            r._presence.leave().await?;
        }
        Ok(())
    }

    pub(super) async fn typing(&mut self, raw: &str) -> Result<(), Error> {
        let room = self.room(raw).await?;
        self.web
            .messenger()
            .typing(&room, &self.authed.user)
            .await?;
        Ok(())
    }
}
