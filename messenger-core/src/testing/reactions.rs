//! Conformance cases: reactions, as changes of their message.

use super::*;
use crate::message::{ChangeKind, Message, MessageChange};
use crate::reaction::ReactionKey;

fn react(room: &RoomName, id: u64, user: &User, key: &str, on: bool) -> MessageChange {
    MessageChange {
        room: room.clone(),
        id: MessageId(id),
        kind: ChangeKind::React {
            user: user.clone(),
            key: ReactionKey::from_trusted(key.into()),
            on,
        },
        at: t(40),
    }
}

/// Applies a reaction that must find its message; answers the message after.
async fn reacted(
    s: &Stores,
    room: &RoomName,
    id: u64,
    user: &User,
    key: &str,
    on: bool,
) -> Message {
    let change = react(room, id, user, key, on);
    s.messages
        .change(&change)
        .await
        .unwrap()
        .expect("the message is there")
}

/// `(key, usernames)` of each reaction, as a store answers them.
fn who(m: &Message) -> Vec<(String, Vec<String>)> {
    m.reactions
        .iter()
        .map(|r| {
            assert_eq!(r.count as usize, r.users.len(), "{:?}", r.key);
            assert!(!r.me, "stores mark nobody's reactions as theirs");
            (
                r.key.as_str().to_owned(),
                r.users
                    .iter()
                    .map(|u| u.username.as_str().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    list.iter()
        .map(|(k, us)| (k.to_string(), us.iter().map(|u| u.to_string()).collect()))
        .collect()
}

async fn three_messages(s: &Stores, r: &RoomName, author: &User) {
    let batch = ["one", "two", "three"]
        .iter()
        .map(|b| new_message(r, author, b, &format!("react-{b}")))
        .collect();
    s.messages.append(batch).await.unwrap();
}

pub async fn reactions_take_change_numbers_and_read_back_everywhere(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let r = room("likes");
    three_messages(&s, &r, &ada).await;

    let m = reacted(&s, &r, 2, &bob, "👍", true).await;
    assert_eq!((m.rev, m.body.as_str()), (1, "two"));
    assert_eq!(m.edited_at, None, "a reaction is not an edit");
    reacted(&s, &r, 2, &ada, "🎉", true).await;
    let m = reacted(&s, &r, 2, &ada, "👍", true).await;
    assert_eq!(m.rev, 3);
    let both = pairs(&[("👍", &["bob", "ada"]), ("🎉", &["ada"])]);
    assert_eq!(
        who(&m),
        both,
        "keys in the order first used, users in theirs"
    );

    // Adding again changes nothing but still takes a number.
    let m = reacted(&s, &r, 2, &bob, "👍", true).await;
    assert_eq!((m.rev, who(&m)), (4, both.clone()));

    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert!(page[0].reactions.is_empty() && page[2].reactions.is_empty());
    assert_eq!(who(&page[1]), both, "history carries them");
    let found = s
        .messages
        .find_message(&r, MessageId(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who(&found), both);
    let changed = s.messages.changes(&r, 0, 10).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(who(&changed[0]), both, "catch-up carries them");
    let hits = s
        .messages
        .search(std::slice::from_ref(&r), &["two".into()], None, 10)
        .await
        .unwrap();
    assert_eq!(who(&hits[0].1), both, "search hits carry them");
    let retry = s
        .messages
        .find_by_client_id(ada.id, &ClientId::from_trusted("react-two".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who(&retry), both);

    let m = reacted(&s, &r, 2, &bob, "👍", false).await;
    assert_eq!(
        who(&m),
        pairs(&[("🎉", &["ada"]), ("👍", &["ada"])]),
        "keys go in the order of their earliest reaction left"
    );
    let m = reacted(&s, &r, 2, &ada, "🎉", false).await;
    assert_eq!(
        who(&m),
        pairs(&[("👍", &["ada"])]),
        "a key nobody holds goes"
    );
    let m = reacted(&s, &r, 2, &ada, "🎉", false).await;
    assert_eq!(m.rev, 7, "removing what is not there takes a number too");
    let head = s
        .messages
        .room_heads(std::slice::from_ref(&r))
        .await
        .unwrap()[0]
        .unwrap();
    assert_eq!(head.rev, 7);
}

pub async fn deleting_a_message_or_erasing_its_room_drops_its_reactions(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let r = room("gone");
    three_messages(&s, &r, &ada).await;
    reacted(&s, &r, 1, &ada, "👍", true).await;
    reacted(&s, &r, 3, &ada, "👀", true).await;
    let deleted = s
        .messages
        .change(&MessageChange {
            room: r.clone(),
            id: MessageId(1),
            kind: ChangeKind::Delete,
            at: t(50),
        })
        .await
        .unwrap()
        .unwrap();
    assert!(deleted.reactions.is_empty());
    let none = s
        .messages
        .change(&react(&r, 1, &ada, "👍", true))
        .await
        .unwrap();
    assert_eq!(none, None, "a tombstone takes no reactions");
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert!(page[0].reactions.is_empty());
    assert_eq!(who(&page[2]), pairs(&[("👀", &["ada"])]));

    s.messages.erase_room(&r).await.unwrap();
    // The name's messages start again only if a store reused it; they do
    // not, but reactions must not outlive their room's messages either.
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert!(page.is_empty());
}

pub async fn reactions_in_one_room_do_not_touch_another(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let (a, b) = (room("aa"), room("bb"));
    three_messages(&s, &a, &ada).await;
    let batch = vec![new_message(&b, &ada, "one", "bb-1")];
    s.messages.append(batch).await.unwrap();
    reacted(&s, &a, 1, &ada, "👍", true).await;
    let m = reacted(&s, &b, 1, &ada, "🎉", true).await;
    assert_eq!((m.rev, who(&m)), (1, pairs(&[("🎉", &["ada"])])));
    let page = s
        .messages
        .history(&a, HistoryQuery::latest(1))
        .await
        .unwrap();
    assert!(page[0].reactions.is_empty(), "message 3 of aa has none");
    let page = s
        .messages
        .history(&a, HistoryQuery::before(MessageId(2), 1))
        .await
        .unwrap();
    assert_eq!(who(&page[0]), pairs(&[("👍", &["ada"])]));
}

pub async fn a_turn_of_mixed_writes_applies_in_order(s: Stores) {
    use crate::store::{Write, Written};
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let (r, shut) = (room("turn"), room("shut"));
    s.messages.close_room(&shut, true).await.unwrap();
    let written = s
        .messages
        .write(vec![
            Write::Append(vec![
                new_message(&r, &ada, "one", "t-1"),
                new_message(&r, &ada, "two", "t-2"),
            ]),
            Write::Change(react(&r, 2, &ada, "👍", true)),
            Write::Append(vec![new_message(&shut, &ada, "no", "t-x")]),
            Write::Append(vec![
                new_message(&r, &ada, "three", "t-3"),
                new_message(&r, &ada, "one", "t-1"),
            ]),
            Write::Change(react(&r, 9, &ada, "👍", true)),
        ])
        .await
        .unwrap();
    let ids = |w: &Written| -> Vec<(u64, bool)> {
        match w {
            Written::Appended(Ok(a)) => a.iter().map(|a| (a.message.id.0, a.created)).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(ids(&written[0]), vec![(1, true), (2, true)]);
    match &written[1] {
        Written::Changed(Some(m)) => {
            assert_eq!((m.id.0, m.rev, who(m)), (2, 1, pairs(&[("👍", &["ada"])])))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(
            &written[2],
            Written::Appended(Err(StoreError::Closed { .. }))
        ),
        "a closed room refuses its write alone: {:?}",
        written[2]
    );
    assert_eq!(
        ids(&written[3]),
        vec![(3, true), (1, false)],
        "a retry inside the turn"
    );
    assert!(
        matches!(&written[4], Written::Changed(None)),
        "no message 9"
    );
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
}
