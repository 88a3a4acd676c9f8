//! Messages on PostgreSQL: dense per-room ids and change numbers from the
//! room's counter row, reactions, and full-text search.

use crate::statements::Prepared;
use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use messenger_core::store::{
    Appended, ChangeKind, MessageChange, MessageStore, NewMessage, RoomHead, StoreError,
    group_reactions,
};
use messenger_core::{
    ClientId, HistoryQuery, Message, MessageBody, MessageId, Pinned, ReactionKey, ReplyTo,
    RoomName, User, UserId,
};
use tokio_postgres::Row;

use crate::users::user_of;
use crate::{PostgresStore, from_ms, ms, store_err};

/// A message with its author, what of the message it answers a reply
/// shows (from that message as it is now), and its pin.
const COLUMNS: &str = "m.room, m.id, m.body, m.sent_at, m.client_id, u.id, u.username, \
    m.edited_at, m.deleted_at, m.rev, m.seq, m.reply_to, o.body, o.deleted_at, ou.id, ou.username, \
    m.pinned_at, pu.id, pu.username \
    FROM messages m JOIN users u ON u.id = m.author_id \
    LEFT JOIN messages o ON o.room = m.room AND o.id = m.reply_to \
    LEFT JOIN users ou ON ou.id = o.author_id \
    LEFT JOIN users pu ON pu.id = m.pinned_by";

fn message(r: &Row) -> Message {
    Message {
        room: RoomName::from_trusted(r.get(0)),
        id: MessageId(r.get::<_, i64>(1) as u64),
        body: MessageBody::from_trusted(r.get(2)),
        sent_at: from_ms(r.get(3)),
        client_id: ClientId::from_trusted(r.get(4)),
        author: user_of(r, 5, 6),
        edited_at: r.get::<_, Option<i64>>(7).map(from_ms),
        deleted_at: r.get::<_, Option<i64>>(8).map(from_ms),
        rev: r.get::<_, i64>(9) as u64,
        reactions: Vec::new(),
        reply_to: match (r.get::<_, Option<i64>>(11), r.get::<_, Option<i64>>(14)) {
            (Some(id), Some(_)) => Some(Box::new(ReplyTo::from_parts(
                MessageId(id as u64),
                user_of(r, 14, 15),
                r.get::<_, &str>(12),
                r.get::<_, Option<i64>>(13).is_some(),
            ))),
            _ => None,
        },
        pinned: match (r.get::<_, Option<i64>>(16), r.get::<_, Option<i64>>(17)) {
            (Some(at), Some(_)) => Some(Box::new(Pinned {
                at: from_ms(at),
                by: user_of(r, 17, 18),
            })),
            _ => None,
        },
    }
}

/// Fills in the reactions of `messages`: one statement per room among them
/// (a page is one room: one index range scan), and none for the common
/// page where nothing was ever changed (a reaction gives its message a
/// change number).
async fn with_reactions(
    c: &impl GenericClient,
    mut messages: Vec<Message>,
) -> Result<Vec<Message>, tokio_postgres::Error> {
    let mut rooms: Vec<&str> = Vec::new();
    for m in messages.iter().filter(|m| m.rev > 0 && !m.is_deleted()) {
        if !rooms.contains(&m.room.as_str()) {
            rooms.push(m.room.as_str());
        }
    }
    let mut found: HashMap<(String, i64), Vec<(ReactionKey, User)>> = HashMap::new();
    for room in rooms {
        let ids: Vec<i64> = messages
            .iter()
            .filter(|m| m.rev > 0 && m.room.as_str() == room)
            .map(|m| m.id.0 as i64)
            .collect();
        let rows = c
            .query_cached(
                "SELECT r.message_id, r.key, u.id, u.username
                 FROM reactions r JOIN users u ON u.id = r.user_id
                 WHERE r.room = $1 AND r.message_id = ANY($2)
                 ORDER BY r.seq",
                &[&room, &ids],
            )
            .await?;
        for r in &rows {
            found
                .entry((room.to_owned(), r.get(0)))
                .or_default()
                .push((ReactionKey::from_trusted(r.get(1)), user_of(r, 2, 3)));
        }
    }
    if !found.is_empty() {
        for m in &mut messages {
            if let Some(rows) = found.remove(&(m.room.as_str().to_owned(), m.id.0 as i64)) {
                m.reactions = group_reactions(rows);
            }
        }
    }
    Ok(messages)
}

async fn with_reactions_one(
    c: &impl GenericClient,
    m: Option<Message>,
) -> Result<Option<Message>, tokio_postgres::Error> {
    Ok(match m {
        Some(m) => with_reactions(c, vec![m]).await?.pop(),
        None => None,
    })
}

async fn by_client_id(
    c: &impl GenericClient,
    author: UserId,
    client_id: &str,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let m = c
        .query_opt_cached(
            &format!("SELECT {COLUMNS} WHERE m.author_id = $1 AND m.client_id = $2"),
            &[&(author.0 as i64), &client_id],
        )
        .await?
        .as_ref()
        .map(message);
    with_reactions_one(c, m).await
}

async fn one(
    c: &impl GenericClient,
    room: &str,
    id: i64,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let m = c
        .query_opt_cached(
            &format!("SELECT {COLUMNS} WHERE m.room = $1 AND m.id = $2"),
            &[&room, &id],
        )
        .await?
        .as_ref()
        .map(message);
    with_reactions_one(c, m).await
}

/// Each term a prefix, all required. Terms hold only letters and digits,
/// so nothing in them is tsquery syntax.
fn tsquery(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

impl PostgresStore {
    /// The fast path: three statements for the whole batch (what is stored
    /// already, the ids, one insert). `None` when a retry of the batch was
    /// committed by another node in between (the caller starts over).
    async fn append_batch(
        &self,
        batch: &[NewMessage],
    ) -> Result<Option<Vec<Appended>>, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let authors: Vec<i64> = batch.iter().map(|n| n.author.id.0 as i64).collect();
        let cids: Vec<&str> = batch.iter().map(|n| n.client_id.as_str()).collect();
        let stored = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} JOIN unnest($1::bigint[], $2::text[]) AS b(a, c)
                   ON m.author_id = b.a AND m.client_id = b.c"
            ))
            .await
            .map_err(store_err)?;
        let mut known: HashMap<(u64, String), Message> = tx
            .query(&stored, &[&authors, &cids])
            .await
            .map_err(store_err)?
            .iter()
            .map(message)
            .map(|m| ((m.author.id.0, m.client_id.as_str().to_owned()), m))
            .collect();
        // Which items are new (a client id twice in the batch is one message).
        let mut fresh: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, n) in batch.iter().enumerate() {
            let key = (n.author.id.0, n.client_id.as_str().to_owned());
            if !known.contains_key(&key) && seen.insert(key) {
                fresh.push(i);
            }
        }
        // Number them: one counter update per room, rooms in name order so
        // that writers on several nodes lock them in one order.
        let mut per_room: std::collections::BTreeMap<&str, i64> = Default::default();
        for &i in &fresh {
            *per_room.entry(batch[i].room.as_str()).or_default() += 1;
        }
        let bump = tx.prepare_cached(BUMP).await.map_err(store_err)?;
        let mut next_id: HashMap<&str, i64> = HashMap::new();
        for (room, n) in &per_room {
            let row = tx.query_one(&bump, &[room, n]).await.map_err(store_err)?;
            refuse_closed(&row, room)?;
            let last: i64 = row.get(0);
            next_id.insert(room, last - n + 1);
        }
        let mut rooms = Vec::with_capacity(fresh.len());
        let mut ids = Vec::with_capacity(fresh.len());
        let (mut f_authors, mut bodies, mut sent, mut f_cids, mut replies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &i in &fresh {
            let n = &batch[i];
            let id = next_id.get_mut(n.room.as_str()).expect("counted above");
            rooms.push(n.room.as_str());
            ids.push(*id);
            *id += 1;
            f_authors.push(n.author.id.0 as i64);
            bodies.push(n.body.as_str());
            sent.push(ms(n.sent_at));
            f_cids.push(n.client_id.as_str());
            replies.push(n.reply_to.as_ref().map(|r| r.id.0 as i64));
        }
        if !fresh.is_empty() {
            let insert = tx
                .prepare_cached(
                    "INSERT INTO messages (room, id, author_id, body, sent_at, client_id, reply_to)
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
                     ON CONFLICT (author_id, client_id) DO NOTHING",
                )
                .await
                .map_err(store_err)?;
            let inserted = tx
                .execute(
                    &insert,
                    &[&rooms, &ids, &f_authors, &bodies, &sent, &f_cids, &replies],
                )
                .await
                .map_err(store_err)?;
            if inserted as usize != fresh.len() {
                tx.rollback().await.map_err(store_err)?;
                return Ok(None);
            }
        }
        tx.commit().await.map_err(store_err)?;
        for (&i, id) in fresh.iter().zip(&ids) {
            let n = batch[i].clone();
            let key = (n.author.id.0, n.client_id.as_str().to_owned());
            known.insert(key, Message::posted(n, MessageId(*id as u64)));
        }
        let mut created = std::collections::HashSet::new();
        for &i in &fresh {
            created.insert(i);
        }
        Ok(Some(
            batch
                .iter()
                .enumerate()
                .map(|(i, n)| Appended {
                    message: known[&(n.author.id.0, n.client_id.as_str().to_owned())].clone(),
                    created: created.contains(&i),
                })
                .collect(),
        ))
    }

    /// The careful path: one message at a time in one transaction, each
    /// retry race settled by giving its id back.
    async fn append_one_by_one(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            let (author, cid) = (new.author.id, new.client_id.as_str().to_owned());
            if let Some(message) = by_client_id(&tx, author, &cid).await.map_err(store_err)? {
                out.push(Appended {
                    message,
                    created: false,
                });
                continue;
            }
            // The room's row lock, held to commit, numbers the message:
            // writers of one room on every node take turns here.
            let row = tx
                .query_one_cached(BUMP, &[&new.room.as_str(), &1i64])
                .await
                .map_err(store_err)?;
            refuse_closed(&row, new.room.as_str())?;
            let id: i64 = row.get(0);
            let inserted = tx
                .execute_cached(
                    "INSERT INTO messages (room, id, author_id, body, sent_at, client_id, reply_to)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (author_id, client_id) DO NOTHING",
                    &[
                        &new.room.as_str(),
                        &id,
                        &(author.0 as i64),
                        &new.body.as_str(),
                        &ms(new.sent_at),
                        &cid,
                        &new.reply_to.as_ref().map(|r| r.id.0 as i64),
                    ],
                )
                .await
                .map_err(store_err)?;
            if inserted == 0 {
                // The same retry committed meanwhile on another node: give
                // the id back (the lock is still ours) and answer its message.
                tx.execute_cached(
                    "UPDATE room_counters SET last_id = last_id - 1 WHERE room = $1",
                    &[&new.room.as_str()],
                )
                .await
                .map_err(store_err)?;
                let message = by_client_id(&tx, author, &cid)
                    .await
                    .map_err(store_err)?
                    .ok_or_else(|| StoreError::backend("a conflicting retry vanished"))?;
                out.push(Appended {
                    message,
                    created: false,
                });
                continue;
            }
            out.push(Appended {
                message: Message::posted(new, MessageId(id as u64)),
                created: true,
            });
        }
        tx.commit().await.map_err(store_err)?;
        Ok(out)
    }
}

/// Numbers `$2` new messages of room `$1` under its row lock, unless the
/// room is closed (then nothing moves and `closed` says why).
const BUMP: &str = "INSERT INTO room_counters (room, last_id) VALUES ($1, $2)
     ON CONFLICT (room) DO UPDATE SET last_id = room_counters.last_id
         + CASE WHEN room_counters.closed IS NULL THEN EXCLUDED.last_id ELSE 0 END
     RETURNING last_id, closed";

/// [`StoreError::Closed`] if [`BUMP`] found the room closed. The caller's
/// transaction is dropped unfinished, so nothing of the batch is stored.
fn refuse_closed(row: &tokio_postgres::Row, room: &str) -> Result<(), StoreError> {
    match row.get::<_, Option<&str>>(1) {
        None => Ok(()),
        Some(why) => Err(StoreError::Closed {
            room: RoomName::from_trusted(room.to_owned()),
            erased: why == "erased",
        }),
    }
}

#[async_trait]
impl MessageStore for PostgresStore {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        if let Some(done) = self.append_batch(&batch).await? {
            return Ok(done);
        }
        // A retry of one of these committed on another node meanwhile:
        // go one by one, which settles each race on its own.
        self.append_one_by_one(batch).await
    }

    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, StoreError> {
        let c = self.conn().await?;
        let after = query.after.map_or(0, |a| a.0 as i64);
        let before = query.before.map_or(i64::MAX, |b| b.0 as i64);
        let limit = query.limit as i64;
        let order = if query.after.is_some() { "ASC" } else { "DESC" };
        let rows = c
            .query_cached(
                &format!(
                    "SELECT {COLUMNS} WHERE m.room = $1 AND m.id > $2 AND m.id < $3
                     ORDER BY m.id {order} LIMIT $4"
                ),
                &[&room.as_str(), &after, &before, &limit],
            )
            .await
            .map_err(store_err)?;
        let mut page: Vec<Message> = rows.iter().map(message).collect();
        if query.after.is_none() {
            page.reverse();
        }
        with_reactions(&c, page).await.map_err(store_err)
    }

    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>, StoreError> {
        let c = self.conn().await?;
        by_client_id(&c, author, client_id.as_str())
            .await
            .map_err(store_err)
    }

    async fn room_heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<RoomHead>>, StoreError> {
        let c = self.conn().await?;
        let names: Vec<&str> = rooms.iter().map(|r| r.as_str()).collect();
        // The counter's last_id is the newest message's id: both change in
        // one transaction.
        let rows = c
            .query_cached(
                "SELECT c.room, c.last_id, c.rev, m.sent_at FROM room_counters c
                 JOIN messages m ON m.room = c.room AND m.id = c.last_id
                 WHERE c.room = ANY($1)",
                &[&names],
            )
            .await
            .map_err(store_err)?;
        let heads: HashMap<String, RoomHead> = rows
            .iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    RoomHead {
                        last_id: MessageId(r.get::<_, i64>(1) as u64),
                        rev: r.get::<_, i64>(2) as u64,
                        sent_at: from_ms(r.get(3)),
                    },
                )
            })
            .collect();
        Ok(rooms
            .iter()
            .map(|r| heads.get(r.as_str()).copied())
            .collect())
    }

    async fn find_message(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let c = self.conn().await?;
        one(&c, room.as_str(), id.0 as i64).await.map_err(store_err)
    }

    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let room = change.room.as_str();
        let id = change.id.0 as i64;
        let live = tx
            .query_opt_cached(
                "SELECT 1 FROM messages WHERE room = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE",
                &[&room, &id],
            )
            .await
            .map_err(store_err)?;
        if live.is_none() {
            return Ok(None);
        }
        let rev: i64 = tx
            .query_one_cached(
                "UPDATE room_counters SET rev = rev + 1 WHERE room = $1 RETURNING rev",
                &[&room],
            )
            .await
            .map_err(store_err)?
            .get(0);
        let at = ms(change.at);
        match &change.kind {
            ChangeKind::Edit(body) => {
                tx.execute_cached(
                    "UPDATE messages SET body = $3, edited_at = $4, rev = $5 WHERE room = $1 AND id = $2",
                    &[&room, &id, &body.as_str(), &at, &rev],
                )
                .await
            }
            ChangeKind::Delete => {
                tx.execute_cached(
                    "DELETE FROM reactions WHERE room = $1 AND message_id = $2",
                    &[&room, &id],
                )
                .await
                .map_err(store_err)?;
                tx.execute_cached(
                    "UPDATE messages SET body = '', deleted_at = $3, rev = $4,
                         pinned_at = NULL, pinned_by = NULL
                     WHERE room = $1 AND id = $2",
                    &[&room, &id, &at, &rev],
                )
                .await
            }
            ChangeKind::Pin { by, pinned } => {
                let (pinned_at, by) = match pinned {
                    true => (Some(at), Some(by.id.0 as i64)),
                    false => (None, None),
                };
                tx.execute_cached(
                    "UPDATE messages SET pinned_at = $3, pinned_by = $4, rev = $5
                     WHERE room = $1 AND id = $2",
                    &[&room, &id, &pinned_at, &by, &rev],
                )
                .await
            }
            ChangeKind::React { user, key, on } => {
                let sql = if *on {
                    "INSERT INTO reactions (room, message_id, key, user_id) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM reactions
                     WHERE room = $1 AND message_id = $2 AND key = $3 AND user_id = $4"
                };
                tx.execute_cached(sql, &[&room, &id, &key.as_str(), &(user.id.0 as i64)])
                    .await
                    .map_err(store_err)?;
                tx.execute_cached(
                    "UPDATE messages SET rev = $3 WHERE room = $1 AND id = $2",
                    &[&room, &id, &rev],
                )
                .await
            }
        }
        .map_err(store_err)?;
        let after = one(&tx, room, id).await.map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        Ok(after)
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                &format!(
                    "SELECT {COLUMNS} WHERE m.room = $1 AND m.rev > $2 ORDER BY m.rev LIMIT $3"
                ),
                &[&room.as_str(), &(after_rev as i64), &(limit as i64)],
            )
            .await
            .map_err(store_err)?;
        with_reactions(&c, rows.iter().map(message).collect())
            .await
            .map_err(store_err)
    }

    async fn pins(&self, room: &RoomName) -> Result<Vec<Message>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                &format!(
                    "SELECT {COLUMNS} WHERE m.room = $1 AND m.pinned_at IS NOT NULL
                     ORDER BY m.pinned_at DESC, m.id DESC"
                ),
                &[&room.as_str()],
            )
            .await
            .map_err(store_err)?;
        with_reactions(&c, rows.iter().map(message).collect())
            .await
            .map_err(store_err)
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            "INSERT INTO room_counters (room, closed) VALUES ($1, $2)
             ON CONFLICT (room) DO UPDATE SET closed = CASE
                 WHEN room_counters.closed = 'erased' THEN 'erased' ELSE EXCLUDED.closed END",
            &[&room.as_str(), &closed.then_some("archived")],
        )
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        // The room's row lock first: a post being numbered on another node
        // commits before this (and is erased with the rest) or waits and
        // then finds the room closed.
        tx.execute_cached(
            "INSERT INTO room_counters (room, closed) VALUES ($1, 'erased')
             ON CONFLICT (room) DO UPDATE SET closed = 'erased'",
            &[&room.as_str()],
        )
        .await
        .map_err(store_err)?;
        tx.execute_cached("DELETE FROM reactions WHERE room = $1", &[&room.as_str()])
            .await
            .map_err(store_err)?;
        let n = tx
            .execute_cached("DELETE FROM messages WHERE room = $1", &[&room.as_str()])
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        Ok(n)
    }

    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError> {
        let c = self.conn().await?;
        let mut out = Vec::with_capacity(rooms.len());
        for (room, after) in rooms {
            let n: i64 = c
                .query_one_cached(
                    "SELECT count(*) FROM messages
                     WHERE room = $1 AND id > $2 AND deleted_at IS NOT NULL",
                    &[&room.as_str(), &(after.0 as i64)],
                )
                .await
                .map_err(store_err)?
                .get(0);
            out.push(n as u64);
        }
        Ok(out)
    }

    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError> {
        if rooms.is_empty() || terms.is_empty() {
            return Ok(Vec::new());
        }
        let c = self.conn().await?;
        let names: Vec<&str> = rooms.iter().map(|r| r.as_str()).collect();
        // Not prepared: how selective the words are decides the plan (the
        // GIN index, or the newest rows first), so each search is planned
        // for its own words.
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} WHERE m.tsv @@ to_tsquery('simple', $1)
                       AND m.room = ANY($2) AND m.deleted_at IS NULL AND m.seq < $3
                     ORDER BY m.seq DESC LIMIT $4"
                ),
                &[
                    &tsquery(terms),
                    &names,
                    &before.map_or(i64::MAX, |b| b as i64),
                    &(limit as i64),
                ],
            )
            .await
            .map_err(store_err)?;
        let cursors = rows.iter().map(|r| r.get::<_, i64>(10) as u64);
        let messages = with_reactions(&c, rows.iter().map(message).collect())
            .await
            .map_err(store_err)?;
        Ok(cursors.zip(messages).collect())
    }

    async fn health(&self) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.query_one_cached("SELECT 1", &[])
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
