//! Conformance cases: pins, as changes of their message.

use super::*;
use crate::message::{ChangeKind, Message, MessageChange};

fn pin(room: &RoomName, id: u64, by: &User, pinned: bool, at: i64) -> MessageChange {
    MessageChange {
        room: room.clone(),
        id: MessageId(id),
        kind: ChangeKind::Pin {
            by: by.clone(),
            pinned,
        },
        at: t(at),
    }
}

fn ids(list: &[Message]) -> Vec<u64> {
    list.iter().map(|m| m.id.0).collect()
}

pub async fn pins_are_changes_listed_latest_first_and_go_with_a_delete(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let (r, other) = (room("pinned"), room("other"));
    let batch = (1..=4)
        .map(|i| new_message(&r, &ada, &format!("m{i}"), &format!("p-{i}")))
        .collect();
    s.messages.append(batch).await.unwrap();
    s.messages
        .append(vec![new_message(&other, &ada, "x", "o-1")])
        .await
        .unwrap();
    assert!(s.messages.pins(&r).await.unwrap().is_empty());

    let m = s
        .messages
        .change(&pin(&r, 3, &ada, true, 20))
        .await
        .unwrap()
        .unwrap();
    let p = m.pinned.as_ref().expect("pinned");
    assert_eq!((p.at, p.by.username.as_str(), m.rev), (t(20), "ada", 1));
    assert_eq!(m.edited_at, None, "a pin is not an edit");
    s.messages
        .change(&pin(&r, 1, &ada, true, 21))
        .await
        .unwrap();
    s.messages
        .change(&pin(&other, 1, &ada, true, 22))
        .await
        .unwrap();
    assert_eq!(
        ids(&s.messages.pins(&r).await.unwrap()),
        [1, 3],
        "latest pinned first"
    );
    let page = s
        .messages
        .history(&r, HistoryQuery::latest(10))
        .await
        .unwrap();
    let pinned: Vec<bool> = page.iter().map(|m| m.pinned.is_some()).collect();
    assert_eq!(pinned, [true, false, true, false]);
    let changed = s.messages.changes(&r, 0, 10).await.unwrap();
    assert_eq!(ids(&changed), [3, 1], "in change order");

    let m = s
        .messages
        .change(&pin(&r, 1, &ada, false, 23))
        .await
        .unwrap()
        .unwrap();
    assert!(m.pinned.is_none() && m.rev == 3);
    assert_eq!(ids(&s.messages.pins(&r).await.unwrap()), [3]);
    let gone = MessageChange {
        room: r.clone(),
        id: MessageId(3),
        kind: ChangeKind::Delete,
        at: t(24),
    };
    let m = s.messages.change(&gone).await.unwrap().unwrap();
    assert!(m.pinned.is_none(), "a deleted message is unpinned");
    assert!(s.messages.pins(&r).await.unwrap().is_empty());
    assert_eq!(ids(&s.messages.pins(&other).await.unwrap()), [1]);
}
