//! Conformance cases: messages and their ids.

use super::*;

pub async fn message_ids_are_dense_per_room(s: Stores) {
    let u = s.users.create_user(&name("max"), "h", t(0)).await.unwrap();
    let (general, other) = (room("general"), room("other"));
    let batch = vec![
        new_message(&general, &u, "g1", "1"),
        new_message(&other, &u, "o1", "2"),
        new_message(&general, &u, "g2", "3"),
    ];
    let out = s.messages.append(batch).await.unwrap();
    let ids: Vec<(String, u64)> = out
        .iter()
        .map(|a| (a.message.room.to_string(), a.message.id.0))
        .collect();
    assert_eq!(
        ids,
        [
            ("general".into(), 1),
            ("other".into(), 1),
            ("general".into(), 2)
        ]
    );
    assert!(out.iter().all(|a| a.created));
    let next = s
        .messages
        .append(vec![new_message(&general, &u, "g3", "4")])
        .await
        .unwrap();
    assert_eq!(next[0].message.id, MessageId(3));
    s.messages.health().await.unwrap();
}

pub async fn messages_round_trip_exactly(s: Stores) {
    let u = s
        .users
        .create_user(&name("Zoe_X.9"), "h", t(0))
        .await
        .unwrap();
    let general = room("general");
    let text = "line one\n\tindented <b>not html</b> & “quotes” 😀";
    let stored = s
        .messages
        .append(vec![new_message(&general, &u, text, "rt-1")])
        .await
        .unwrap();
    let page = s
        .messages
        .history(&general, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page, vec![stored[0].message.clone()]);
    let m = &page[0];
    assert_eq!(m.body.as_str(), text);
    assert_eq!(m.author, u);
    assert_eq!(m.sent_at, t(10), "millisecond timestamps survive");
    assert_eq!(m.client_id.as_str(), "rt-1");
}

pub async fn client_ids_make_appends_idempotent(s: Stores) {
    let a = s.users.create_user(&name("ann"), "h", t(0)).await.unwrap();
    let b = s.users.create_user(&name("bea"), "h", t(0)).await.unwrap();
    let general = room("general");
    let first = s
        .messages
        .append(vec![new_message(&general, &a, "hello", "same")])
        .await
        .unwrap();
    assert!(first[0].created);

    // Retried alone, retried inside a batch twice, and reused by someone else.
    let out = s
        .messages
        .append(vec![
            new_message(&general, &a, "hello again?", "same"),
            new_message(&general, &a, "fresh", "new"),
            new_message(&general, &a, "fresh dup", "new"),
            new_message(&general, &b, "bea's own", "same"),
        ])
        .await
        .unwrap();
    assert!(!out[0].created);
    assert_eq!(
        out[0].message, first[0].message,
        "retry answers the stored message"
    );
    assert!(out[1].created);
    assert_eq!(out[1].message.id, MessageId(2));
    assert!(!out[2].created);
    assert_eq!(out[2].message, out[1].message);
    assert!(out[3].created, "client ids are per author");
    assert_eq!(out[3].message.id, MessageId(3));

    let all = s
        .messages
        .history(&general, HistoryQuery::latest(50))
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "retries store nothing");
    let found = s
        .messages
        .find_by_client_id(a.id, &out[1].message.client_id)
        .await
        .unwrap();
    assert_eq!(found, Some(out[1].message.clone()));
    let l = Limits::default();
    let missing = ClientId::parse("nope", &l).unwrap();
    assert_eq!(
        s.messages.find_by_client_id(a.id, &missing).await.unwrap(),
        None
    );
}

pub async fn history_pages(s: Stores) {
    let u = s.users.create_user(&name("hal"), "h", t(0)).await.unwrap();
    let general = room("general");
    let batch = (1..=30)
        .map(|i| new_message(&general, &u, &format!("m{i}"), &format!("c{i}")))
        .collect();
    s.messages.append(batch).await.unwrap();
    let ids = |page: Vec<crate::Message>| page.iter().map(|m| m.id.0).collect::<Vec<_>>();
    let h = |q| {
        let messages = s.messages.clone();
        let general = general.clone();
        async move { messages.history(&general, q).await.unwrap() }
    };

    assert_eq!(ids(h(HistoryQuery::latest(5)).await), [26, 27, 28, 29, 30]);
    assert_eq!(ids(h(HistoryQuery::latest(100)).await).len(), 30);
    assert_eq!(
        ids(h(HistoryQuery::before(MessageId(10), 3)).await),
        [7, 8, 9]
    );
    assert_eq!(ids(h(HistoryQuery::before(MessageId(3), 10)).await), [1, 2]);
    assert!(h(HistoryQuery::before(MessageId(1), 10)).await.is_empty());
    assert_eq!(
        ids(h(HistoryQuery::after(MessageId(27), 10)).await),
        [28, 29, 30]
    );
    assert_eq!(ids(h(HistoryQuery::after(MessageId(0), 2)).await), [1, 2]);
    assert!(h(HistoryQuery::after(MessageId(30), 10)).await.is_empty());
    assert!(h(HistoryQuery::after(MessageId(500), 10)).await.is_empty());
    let between = HistoryQuery {
        before: Some(MessageId(20)),
        after: Some(MessageId(10)),
        limit: 4,
    };
    assert_eq!(ids(h(between).await), [11, 12, 13, 14]);
    let between_all = HistoryQuery {
        limit: 50,
        ..between
    };
    assert_eq!(ids(h(between_all).await), (11..20).collect::<Vec<_>>());
    let empty = s
        .messages
        .history(&room("empty"), HistoryQuery::latest(10))
        .await
        .unwrap();
    assert!(empty.is_empty());
}

pub async fn concurrent_appends_keep_ids_dense(s: Stores) {
    let u = s.users.create_user(&name("cat"), "h", t(0)).await.unwrap();
    let general = room("general");
    let mut tasks = Vec::new();
    for task in 0..8 {
        let messages = s.messages.clone();
        let (u, general) = (u.clone(), general.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let m = new_message(&general, &u, "x", &format!("t{task}-{i}"));
                messages.append(vec![m]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let all = s
        .messages
        .history(&general, HistoryQuery::after(MessageId(0), 500))
        .await
        .unwrap();
    let ids: Vec<u64> = all.iter().map(|m| m.id.0).collect();
    assert_eq!(ids, (1..=200).collect::<Vec<_>>());
}
