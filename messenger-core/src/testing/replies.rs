//! Conformance cases: replies, read back with what they answer as it is.

use super::*;
use crate::message::{ChangeKind, Message, MessageChange, ReplyTo};

fn shown(m: &Message) -> Option<(u64, String, String, bool)> {
    m.reply_to.as_ref().map(|r| {
        (
            r.id.0,
            r.author.username.as_str().to_owned(),
            r.excerpt.clone(),
            r.deleted,
        )
    })
}

pub async fn replies_show_what_they_answer_as_it_is_now(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let r = room("talk");
    let long = "é".repeat(150);
    let first = s
        .messages
        .append(vec![new_message(&r, &ada, &long, "q-1")])
        .await
        .unwrap()
        .remove(0)
        .message;
    let mut reply = new_message(&r, &bob, "agreed", "a-1");
    reply.reply_to = Some(Box::new(ReplyTo::of(&first)));
    let posted = s.messages.append(vec![reply]).await.unwrap().remove(0);
    let want = Some((1, "ada".to_owned(), "é".repeat(100), false));
    assert_eq!(shown(&posted.message), want, "as appended");
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!((shown(&page[0]), shown(&page[1])), (None, want.clone()));
    let retry = s
        .messages
        .find_by_client_id(bob.id, &ClientId::from_trusted("a-1".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown(&retry), want);

    // It follows the answered message's edit, then its delete.
    let edit = MessageChange {
        room: r.clone(),
        id: MessageId(1),
        kind: ChangeKind::Edit(MessageBody::parse("short now", &Limits::default()).unwrap()),
        at: t(20),
    };
    s.messages.change(&edit).await.unwrap().unwrap();
    let found = s
        .messages
        .find_message(&r, MessageId(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        shown(&found),
        Some((1, "ada".into(), "short now".into(), false))
    );
    let hits = s
        .messages
        .search(std::slice::from_ref(&r), &["agreed".into()], None, 10)
        .await
        .unwrap();
    assert_eq!(
        shown(&hits[0].1),
        Some((1, "ada".into(), "short now".into(), false))
    );
    let delete = MessageChange {
        room: r.clone(),
        id: MessageId(1),
        kind: ChangeKind::Delete,
        at: t(30),
    };
    s.messages.change(&delete).await.unwrap().unwrap();
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(
        shown(&page[1]),
        Some((1, "ada".into(), String::new(), true))
    );
    // A change of the reply itself keeps what it answers.
    let react = MessageChange {
        room: r.clone(),
        id: MessageId(2),
        kind: ChangeKind::React {
            user: ada.clone(),
            key: crate::ReactionKey::from_trusted("👍".into()),
            on: true,
        },
        at: t(40),
    };
    let m = s.messages.change(&react).await.unwrap().unwrap();
    assert_eq!(shown(&m), Some((1, "ada".into(), String::new(), true)));
    let changed = s.messages.changes(&r, 0, 10).await.unwrap();
    assert_eq!(shown(changed.last().unwrap()), shown(&m));
}
