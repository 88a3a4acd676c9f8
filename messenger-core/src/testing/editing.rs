//! Conformance cases: edits, deletes, change numbers and search.

use super::*;
use crate::message::{ChangeKind, MessageChange};

fn edit(room: &RoomName, id: u64, body: &str, at: i64) -> MessageChange {
    MessageChange {
        room: room.clone(),
        id: MessageId(id),
        kind: ChangeKind::Edit(MessageBody::parse(body, &Limits::default()).unwrap()),
        at: t(at),
    }
}

fn delete(room: &RoomName, id: u64, at: i64) -> MessageChange {
    MessageChange {
        room: room.clone(),
        id: MessageId(id),
        kind: ChangeKind::Delete,
        at: t(at),
    }
}

async fn post(s: &Stores, room: &RoomName, author: &User, bodies: &[&str]) {
    let batch = bodies
        .iter()
        .map(|b| {
            let cid = format!("{}-{}-{b}", room, author.id);
            new_message(room, author, b, &cid.chars().take(64).collect::<String>())
        })
        .collect();
    s.messages.append(batch).await.unwrap();
}

pub async fn edits_and_deletes_take_dense_change_numbers(s: Stores) {
    let u = s.users.create_user(&name("eve"), "h", t(0)).await.unwrap();
    let (a, b) = (room("alpha"), room("beta"));
    post(&s, &a, &u, &["one", "two", "three"]).await;
    post(&s, &b, &u, &["uno"]).await;

    let edited = s.messages.change(&edit(&a, 2, "TWO", 20)).await.unwrap();
    let edited = edited.expect("message 2 exists");
    assert_eq!(
        (edited.body.as_str(), edited.edited_at, edited.rev),
        ("TWO", Some(t(20)), 1)
    );
    assert_eq!(edited.id, MessageId(2));
    assert_eq!(edited.sent_at, t(10), "the posting time stays");
    assert_eq!(edited.client_id.as_str(), "alpha-1-two");

    let other_room = s.messages.change(&edit(&b, 1, "UNO", 21)).await.unwrap();
    assert_eq!(other_room.unwrap().rev, 1, "change numbers are per room");

    let deleted = s
        .messages
        .change(&delete(&a, 1, 22))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (deleted.body.as_str(), deleted.deleted_at, deleted.rev),
        ("", Some(t(22)), 2)
    );
    assert!(deleted.is_deleted());

    // A deleted message cannot change again; a missing one never could.
    assert_eq!(
        s.messages.change(&edit(&a, 1, "back", 23)).await.unwrap(),
        None
    );
    assert_eq!(s.messages.change(&delete(&a, 1, 23)).await.unwrap(), None);
    assert_eq!(s.messages.change(&delete(&a, 9, 23)).await.unwrap(), None);
    assert_eq!(
        s.messages
            .change(&delete(&room("nowhere"), 1, 23))
            .await
            .unwrap(),
        None
    );

    let again = s
        .messages
        .change(&edit(&a, 2, "two again", 24))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.rev, 3, "refused changes used no number");

    // History shows the tombstone and the edit; ids stay dense.
    let page = s
        .messages
        .history(&a, HistoryQuery::latest(10))
        .await
        .unwrap();
    let seen: Vec<(u64, &str, bool, u64)> = page
        .iter()
        .map(|m| (m.id.0, m.body.as_str(), m.is_deleted(), m.rev))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "", true, 2),
            (2, "two again", false, 3),
            (3, "three", false, 0)
        ]
    );
    assert_eq!(
        s.messages.find_message(&a, MessageId(1)).await.unwrap(),
        Some(page[0].clone())
    );
    assert_eq!(
        s.messages.find_message(&a, MessageId(4)).await.unwrap(),
        None
    );

    let heads = s
        .messages
        .room_heads(&[a.clone(), b.clone(), room("empty")])
        .await
        .unwrap();
    let heads: Vec<Option<(u64, u64)>> = heads
        .iter()
        .map(|h| h.map(|h| (h.last_id.0, h.rev)))
        .collect();
    assert_eq!(heads, [Some((3, 3)), Some((1, 1)), None]);

    // New posts still take the next id, and a retry still finds its message.
    post(&s, &a, &u, &["four"]).await;
    let retry = s
        .messages
        .append(vec![new_message(&a, &u, "ignored", "alpha-1-two")])
        .await
        .unwrap();
    assert!(!retry[0].created);
    assert_eq!(retry[0].message.body.as_str(), "two again");
    assert_eq!(
        s.messages
            .room_heads(std::slice::from_ref(&a))
            .await
            .unwrap()[0]
            .map(|h| h.last_id),
        Some(MessageId(4))
    );
}

pub async fn changes_are_read_back_in_change_order(s: Stores) {
    let u = s.users.create_user(&name("fay"), "h", t(0)).await.unwrap();
    let a = room("alpha");
    post(&s, &a, &u, &["m1", "m2", "m3", "m4"]).await;
    s.messages.change(&edit(&a, 3, "m3 v2", 20)).await.unwrap();
    s.messages.change(&edit(&a, 1, "m1 v2", 21)).await.unwrap();
    s.messages.change(&delete(&a, 4, 22)).await.unwrap();
    s.messages.change(&edit(&a, 3, "m3 v3", 23)).await.unwrap();

    let all = s.messages.changes(&a, 0, 100).await.unwrap();
    let all: Vec<(u64, u64, &str)> = all
        .iter()
        .map(|m| (m.rev, m.id.0, m.body.as_str()))
        .collect();
    // Message 3 changed twice: it appears once, at its latest change.
    assert_eq!(all, [(2, 1, "m1 v2"), (3, 4, ""), (4, 3, "m3 v3")]);

    let after = s.messages.changes(&a, 2, 100).await.unwrap();
    assert_eq!(after.iter().map(|m| m.rev).collect::<Vec<_>>(), [3, 4]);
    let limited = s.messages.changes(&a, 0, 1).await.unwrap();
    assert_eq!(limited.iter().map(|m| m.rev).collect::<Vec<_>>(), [2]);
    assert!(s.messages.changes(&a, 4, 100).await.unwrap().is_empty());
    assert!(
        s.messages
            .changes(&room("none"), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn deleted_messages_are_counted_past_a_position(s: Stores) {
    let u = s.users.create_user(&name("gus"), "h", t(0)).await.unwrap();
    let (a, b) = (room("alpha"), room("beta"));
    post(&s, &a, &u, &["1", "2", "3", "4", "5"]).await;
    post(&s, &b, &u, &["1"]).await;
    for id in [2, 4, 5] {
        s.messages.change(&delete(&a, id, 20)).await.unwrap();
    }
    let counts = s
        .messages
        .deleted_after(&[
            (a.clone(), MessageId(0)),
            (a.clone(), MessageId(2)),
            (a.clone(), MessageId(4)),
            (a.clone(), MessageId(5)),
            (b.clone(), MessageId(0)),
            (room("none"), MessageId(0)),
        ])
        .await
        .unwrap();
    assert_eq!(counts, [3, 2, 1, 0, 0, 0]);
}

pub async fn search_finds_word_prefixes_in_given_rooms_newest_first(s: Stores) {
    let u = s.users.create_user(&name("hal"), "h", t(0)).await.unwrap();
    let (a, b, c) = (room("alpha"), room("beta"), room("secret"));
    post(&s, &a, &u, &["Deploying on Friday", "lunch?"]).await;
    post(&s, &c, &u, &["deploy the secret thing"]).await;
    post(&s, &b, &u, &["The DEPLOY went fine", "redeploy later"]).await;
    post(&s, &a, &u, &["deployment friday, again"]).await;
    let terms = |q: &str| {
        crate::search::SearchQuery::parse(q)
            .unwrap()
            .terms()
            .to_vec()
    };
    let rooms = [a.clone(), b.clone()];

    let hits = s
        .messages
        .search(&rooms, &terms("deploy"), None, 10)
        .await
        .unwrap();
    let bodies: Vec<&str> = hits.iter().map(|(_, m)| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "deployment friday, again",
            "The DEPLOY went fine",
            "Deploying on Friday"
        ],
        "newest first, case-insensitive word prefixes, never the room not asked for"
    );
    assert!(hits.windows(2).all(|w| w[0].0 > w[1].0), "cursors fall");
    assert_eq!(hits[1].1.room, b);
    assert_eq!(hits[1].1.author, u);

    let both = s
        .messages
        .search(&rooms, &terms("FRI deploy"), None, 10)
        .await
        .unwrap();
    assert_eq!(both.len(), 2, "every term must match");

    // Paging: strictly older than the cursor.
    let first = s
        .messages
        .search(&rooms, &terms("deploy"), None, 2)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let rest = s
        .messages
        .search(&rooms, &terms("deploy"), Some(first[1].0), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.iter()
            .map(|(_, m)| m.body.as_str())
            .collect::<Vec<_>>(),
        ["Deploying on Friday"]
    );
    assert!(
        s.messages
            .search(&rooms, &terms("nothing"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.messages
            .search(&[], &terms("deploy"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let secret = s
        .messages
        .search(&[c], &terms("secret"), None, 10)
        .await
        .unwrap();
    assert_eq!(secret.len(), 1);
}

pub async fn search_follows_edits_and_deletes(s: Stores) {
    let u = s.users.create_user(&name("ida"), "h", t(0)).await.unwrap();
    let a = room("alpha");
    post(&s, &a, &u, &["apples and pears", "apples again", "plums"]).await;
    let terms = |q: &str| {
        crate::search::SearchQuery::parse(q)
            .unwrap()
            .terms()
            .to_vec()
    };
    let rooms = [a.clone()];
    s.messages
        .change(&edit(&a, 1, "oranges and pears", 20))
        .await
        .unwrap();
    s.messages.change(&delete(&a, 2, 21)).await.unwrap();
    assert!(
        s.messages
            .search(&rooms, &terms("apples"), None, 10)
            .await
            .unwrap()
            .is_empty(),
        "neither the old body of an edit nor a deleted message is found"
    );
    let found = s
        .messages
        .search(&rooms, &terms("oranges"), None, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.body.as_str(), "oranges and pears");
    assert_eq!(found[0].1.rev, 1);
    assert_eq!(
        s.messages
            .search(&rooms, &terms("pears"), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn mentions_are_cleared_per_message(s: Stores) {
    let u = s.users.create_user(&name("jon"), "h", t(0)).await.unwrap();
    let v = s.users.create_user(&name("kim"), "h", t(0)).await.unwrap();
    let a = room("alpha");
    let r = Room {
        name: a.clone(),
        title: RoomTitle::parse("Alpha").unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        kind: RoomKind::Public,
        created_by: None,
        created_at: t(0),
        archived_at: None,
    };
    s.rooms
        .create_room(&r, &[u.id, v.id], MessageId(0))
        .await
        .unwrap();
    s.rooms
        .add_mentions(&a, MessageId(1), &[u.id, v.id])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&a, MessageId(2), &[v.id])
        .await
        .unwrap();
    assert_eq!(
        s.rooms
            .read_state(&a, v.id)
            .await
            .unwrap()
            .unwrap()
            .mentions,
        2
    );
    let cleared = s.rooms.clear_mentions(&a, MessageId(1)).await.unwrap();
    assert_eq!(cleared, [u.id, v.id]);
    assert_eq!(
        s.rooms
            .read_state(&a, v.id)
            .await
            .unwrap()
            .unwrap()
            .mentions,
        1
    );
    assert_eq!(
        s.rooms
            .read_state(&a, u.id)
            .await
            .unwrap()
            .unwrap()
            .mentions,
        0
    );
    assert!(
        s.rooms
            .clear_mentions(&a, MessageId(1))
            .await
            .unwrap()
            .is_empty()
    );
}
