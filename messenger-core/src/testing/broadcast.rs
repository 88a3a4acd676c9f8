//! The broadcast conformance suite: what every [`RoomBroadcast`] keeps,
//! whether one process ([`LocalBroadcast`](crate::LocalBroadcast)) or
//! several nodes on one medium (Redis).

use std::time::Duration;

use futures_util::StreamExt;

use super::*;
use crate::broadcast::{Delivery, EventKind, RoomBroadcast, RoomEvent, Subscription, UserEvent};
use crate::message::Message;
use crate::reaction::{ReactionChange, ReactionKey};
use crate::session::Revocation;

/// Two handles on one broadcast medium: two nodes, or one engine twice.
pub type Nodes = (Arc<dyn RoomBroadcast>, Arc<dyn RoomBroadcast>);

async fn next_event(sub: &mut Subscription) -> EventKind {
    loop {
        let d = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("an event within 5 s")
            .expect("the subscription lives");
        if let Delivery::Event(e) = d {
            return e.kind().clone();
        }
    }
}

async fn nothing_within(sub: &mut Subscription, wait: Duration) {
    if let Ok(Some(Delivery::Event(e))) = tokio::time::timeout(wait, sub.next()).await {
        panic!("unexpected event {e:?}");
    }
}

fn message(room: &RoomName, id: u64, body: &str) -> Message {
    let author = User {
        id: UserId(3),
        username: name("sender"),
    };
    let mut m = Message::posted(
        new_message(room, &author, body, &format!("c{id}")),
        MessageId(id),
    );
    m.rev = id % 3;
    m
}

/// Runs every broadcast case against fresh nodes from `fresh`.
pub async fn run_broadcast_conformance<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Nodes>,
{
    every_node_gets_every_event_once_in_order(fresh().await).await;
    rooms_are_separate_and_subscriptions_start_now(fresh().await).await;
    every_kind_of_event_arrives_intact(fresh().await).await;
    a_batch_arrives_whole_and_in_order(fresh().await).await;
}

async fn every_node_gets_every_event_once_in_order((a, b): Nodes) {
    let room = room("fanout");
    let mut on_a = a.subscribe(&room).await.unwrap();
    let mut on_b = b.subscribe(&room).await.unwrap();
    let mut also_b = b.subscribe(&room).await.unwrap();
    for i in 1..=50 {
        let node = if i % 2 == 0 { &a } else { &b };
        node.publish(
            &room,
            RoomEvent::new(EventKind::Message(message(&room, i, "x"))),
        )
        .await
        .unwrap();
    }
    for sub in [&mut on_a, &mut on_b, &mut also_b] {
        let mut ids = Vec::new();
        while ids.len() < 50 {
            if let EventKind::Message(m) = next_event(sub).await {
                ids.push(m.id.0);
            }
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, (1..=50).collect::<Vec<_>>(), "each once: {ids:?}");
        // Events of one publisher keep their order.
        for parity in [0, 1] {
            let mine: Vec<u64> = ids.iter().copied().filter(|i| i % 2 == parity).collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "order of one node: {ids:?}"
            );
        }
        nothing_within(sub, Duration::from_millis(200)).await;
    }
}

async fn a_batch_arrives_whole_and_in_order((a, b): Nodes) {
    let room = room("batches");
    let mut on_a = a.subscribe(&room).await.unwrap();
    let mut on_b = b.subscribe(&room).await.unwrap();
    let batch = |ids: std::ops::RangeInclusive<u64>| {
        ids.map(|i| RoomEvent::new(EventKind::Message(message(&room, i, "b"))))
            .collect::<Vec<_>>()
    };
    a.publish_many(&room, batch(1..=20)).await.unwrap();
    a.publish_many(&room, Vec::new()).await.unwrap();
    b.publish_many(&room, batch(21..=25)).await.unwrap();
    for sub in [&mut on_a, &mut on_b] {
        let mut ids = Vec::new();
        while ids.len() < 25 {
            if let EventKind::Message(m) = next_event(sub).await {
                ids.push(m.id.0);
            }
        }
        // Each batch in order; across publishers no order is promised.
        let first: Vec<u64> = ids.iter().copied().filter(|&i| i <= 20).collect();
        let second: Vec<u64> = ids.iter().copied().filter(|&i| i > 20).collect();
        assert_eq!(first, (1..=20).collect::<Vec<_>>(), "{ids:?}");
        assert_eq!(second, (21..=25).collect::<Vec<_>>(), "{ids:?}");
        nothing_within(sub, Duration::from_millis(200)).await;
    }
}

async fn rooms_are_separate_and_subscriptions_start_now((a, b): Nodes) {
    let (one, two) = (room("one"), room("two"));
    a.publish(
        &one,
        RoomEvent::new(EventKind::Message(message(&one, 1, "before"))),
    )
    .await
    .expect("publishing to a room nobody hears is fine");
    // Across nodes an event is in flight for a moment: "before" means
    // delivered before the subscription, which a short wait makes sure of.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut sub_one = b.subscribe(&one).await.unwrap();
    let mut sub_two = b.subscribe(&two).await.unwrap();
    nothing_within(&mut sub_one, Duration::from_millis(200)).await;
    a.publish(
        &two,
        RoomEvent::new(EventKind::Message(message(&two, 1, "for two"))),
    )
    .await
    .unwrap();
    match next_event(&mut sub_two).await {
        EventKind::Message(m) => assert_eq!(m.body.as_str(), "for two"),
        other => panic!("{other:?}"),
    }
    nothing_within(&mut sub_one, Duration::from_millis(200)).await;
}

async fn every_kind_of_event_arrives_intact((a, b): Nodes) {
    let r = room("kinds");
    let user = User {
        id: UserId(9),
        username: name("Zoe_X.9"),
    };
    let mut edited = message(&r, 4, "line one\n\t“quoted” 😀");
    edited.edited_at = Some(t(30));
    let mut deleted = message(&r, 5, "gone");
    deleted.body = crate::message::MessageBody::erased();
    deleted.deleted_at = Some(t(31));
    let mut reacted = message(&r, 6, "liked");
    reacted.rev = 3;
    reacted.reactions = crate::store::group_reactions([
        (ReactionKey::from_trusted("👍🏽".into()), user.clone()),
        (ReactionKey::from_trusted(":shipit:".into()), user.clone()),
    ]);
    // As a room's stream carries it: counts, not who.
    let reacted = reacted.seen_by(None);
    let kinds = vec![
        EventKind::Message(message(&r, 1, "plain")),
        EventKind::Changed {
            message: edited.clone(),
            reaction: None,
        },
        EventKind::Changed {
            message: deleted,
            reaction: None,
        },
        EventKind::Changed {
            message: reacted,
            reaction: Some(ReactionChange {
                key: ReactionKey::from_trusted(":shipit:".into()),
                user: user.clone(),
                on: true,
            }),
        },
        EventKind::PresenceDiff {
            room: r.clone(),
            joined: vec![user.clone()],
            left: vec![],
        },
        EventKind::Typing {
            room: r.clone(),
            user: user.clone(),
        },
    ];
    let mut sub = b.subscribe(&r).await.unwrap();
    for k in &kinds {
        a.publish(&r, RoomEvent::new(k.clone())).await.unwrap();
        assert_eq!(&next_event(&mut sub).await, k);
    }
    let channel = RoomName::user_channel(UserId(9));
    let mut mine = b.subscribe(&channel).await.unwrap();
    let user_events = vec![
        UserEvent::RoomAdded(r.clone()),
        UserEvent::RoomRemoved(r.clone()),
        UserEvent::Read {
            room: r.clone(),
            last_read: MessageId(7),
            mentions: 2,
        },
        UserEvent::Mention(edited),
        UserEvent::Revoked(Revocation::Session(SessionToken::generate().hash())),
        UserEvent::Revoked(Revocation::User(UserId(9))),
    ];
    for e in user_events {
        let kind = EventKind::User(e);
        a.publish(&channel, RoomEvent::new(kind.clone()))
            .await
            .unwrap();
        assert_eq!(next_event(&mut mine).await, kind);
    }
}
