//! Conformance cases: archived and deleted rooms, invites.

use super::*;
use crate::rooms::model::{NewInvite, Room, RoomKind, RoomTitle, RoomTopic};
use crate::session::SessionToken;

fn a_room(name: &str, kind: RoomKind) -> Room {
    Room {
        name: room(name),
        title: RoomTitle::parse("A room").unwrap(),
        topic: RoomTopic::parse("its topic").unwrap(),
        kind,
        created_by: None,
        created_at: t(1),
        archived_at: None,
    }
}

fn closed(e: StoreError, erased: bool) {
    match e {
        StoreError::Closed { erased: e, .. } if e == erased => {}
        other => panic!("expected Closed {{ erased: {erased} }}, got {other:?}"),
    }
}

pub async fn closed_rooms_refuse_appends_and_open_again(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let r = room("quiet");
    s.rooms
        .create_room(&a_room("quiet", RoomKind::Public), &[ada.id], MessageId(0))
        .await
        .unwrap();
    s.messages
        .append(vec![new_message(&r, &ada, "before", "c1")])
        .await
        .unwrap();
    assert!(s.rooms.set_archived(&r, Some(t(5))).await.unwrap());
    assert_eq!(
        s.rooms.find_room(&r).await.unwrap().unwrap().archived_at,
        Some(t(5))
    );
    assert!(
        !s.rooms
            .set_archived(&room("nope"), Some(t(5)))
            .await
            .unwrap()
    );
    s.messages.close_room(&r, true).await.unwrap();
    let refused = s
        .messages
        .append(vec![new_message(&r, &ada, "while closed", "c2")])
        .await
        .unwrap_err();
    closed(refused, false);
    // Other rooms are not touched.
    s.messages
        .append(vec![new_message(&room("general"), &ada, "elsewhere", "c3")])
        .await
        .unwrap();
    s.messages.close_room(&r, false).await.unwrap();
    assert!(s.rooms.set_archived(&r, None).await.unwrap());
    assert_eq!(
        s.rooms.find_room(&r).await.unwrap().unwrap().archived_at,
        None
    );
    let again = s
        .messages
        .append(vec![new_message(&r, &ada, "after", "c4")])
        .await
        .unwrap();
    assert_eq!(again[0].message.id, MessageId(2), "ids go on densely");
}

pub async fn deleted_rooms_are_erased_and_keep_their_name(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bo = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let r = room("doomed");
    s.rooms
        .create_room(
            &a_room("doomed", RoomKind::Private),
            &[ada.id, bo.id],
            MessageId(0),
        )
        .await
        .unwrap();
    let posted = s
        .messages
        .append(vec![
            new_message(&r, &ada, "zanzibar plans", "d1"),
            new_message(&r, &bo, "@ada zanzibar", "d2"),
        ])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&r, posted[1].message.id, &[ada.id])
        .await
        .unwrap();
    s.rooms
        .create_invite(&NewInvite {
            room: r.clone(),
            hash: SessionToken::generate().hash(),
            created_by: ada.id,
            created_at: t(2),
            expires_at: None,
            max_uses: None,
        })
        .await
        .unwrap();

    assert_eq!(s.messages.erase_room(&r).await.unwrap(), 2);
    assert!(s.rooms.delete_room(&r).await.unwrap());
    assert!(!s.rooms.delete_room(&room("nope")).await.unwrap());

    assert_eq!(s.rooms.find_room(&r).await.unwrap(), None);
    assert!(s.rooms.members(&r).await.unwrap().is_empty());
    assert!(s.rooms.memberships(ada.id).await.unwrap().is_empty());
    assert_eq!(s.rooms.read_state(&r, ada.id).await.unwrap(), None);
    assert!(s.rooms.invites(&r).await.unwrap().is_empty());
    let history = s
        .messages
        .history(
            &r,
            HistoryQuery {
                before: None,
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert!(history.is_empty());
    assert_eq!(
        s.messages.find_message(&r, MessageId(1)).await.unwrap(),
        None
    );
    let client = ClientId::parse("d1", &Limits::default()).unwrap();
    assert_eq!(
        s.messages.find_by_client_id(ada.id, &client).await.unwrap(),
        None
    );
    let hits = s
        .messages
        .search(std::slice::from_ref(&r), &["zanzibar".to_owned()], None, 10)
        .await
        .unwrap();
    assert!(hits.is_empty(), "{hits:?}");
    // Closed for good: reopening does nothing.
    s.messages.close_room(&r, false).await.unwrap();
    let refused = s
        .messages
        .append(vec![new_message(&r, &ada, "late", "d3")])
        .await
        .unwrap_err();
    closed(refused, true);
    // The name stays taken.
    let taken = s
        .rooms
        .create_room(&a_room("doomed", RoomKind::Public), &[], MessageId(0))
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
}

pub async fn invites_are_counted_and_revoked(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bo = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let cy = s.users.create_user(&name("cyd"), "h", t(0)).await.unwrap();
    let r = room("club");
    s.rooms
        .create_room(&a_room("club", RoomKind::Private), &[ada.id], MessageId(0))
        .await
        .unwrap();
    let once = NewInvite {
        room: r.clone(),
        hash: SessionToken::generate().hash(),
        created_by: ada.id,
        created_at: t(2),
        expires_at: Some(t(3600)),
        max_uses: Some(1),
    };
    let many = NewInvite {
        hash: SessionToken::generate().hash(),
        created_at: t(3),
        expires_at: None,
        max_uses: None,
        ..once.clone()
    };
    let once_id = s.rooms.create_invite(&once).await.unwrap();
    let many_id = s.rooms.create_invite(&many).await.unwrap();
    assert_ne!(once_id, many_id);

    let listed = s.rooms.invites(&r).await.unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![many_id, once_id],
        "newest first"
    );
    let found = s.rooms.find_invite(&once.hash).await.unwrap().unwrap();
    assert_eq!(
        (
            found.id,
            &found.room,
            &found.created_by,
            found.created_at,
            found.expires_at,
            found.max_uses,
            found.uses
        ),
        (once_id, &r, &ada, t(2), Some(t(3600)), Some(1), 0)
    );
    let unknown = SessionToken::generate().hash();
    assert_eq!(s.rooms.find_invite(&unknown).await.unwrap(), None);

    // A single-use invite makes one member; the second use is refused.
    assert!(
        s.rooms
            .use_invite(once_id, bo.id, MessageId(7), t(10))
            .await
            .unwrap()
    );
    assert_eq!(
        s.rooms
            .read_state(&r, bo.id)
            .await
            .unwrap()
            .map(|r| r.last_read),
        Some(MessageId(7))
    );
    assert!(
        !s.rooms
            .use_invite(once_id, cy.id, MessageId(7), t(11))
            .await
            .unwrap()
    );
    assert_eq!(s.rooms.read_state(&r, cy.id).await.unwrap(), None);
    assert_eq!(
        s.rooms.find_invite(&once.hash).await.unwrap().unwrap().uses,
        1
    );
    assert!(
        s.rooms
            .use_invite(many_id, cy.id, MessageId(7), t(12))
            .await
            .unwrap()
    );
    assert_eq!(s.rooms.members(&r).await.unwrap().len(), 3);

    // Revoked: gone, and only from its own room.
    assert!(
        !s.rooms
            .delete_invite(&room("general"), many_id)
            .await
            .unwrap()
    );
    assert!(s.rooms.delete_invite(&r, many_id).await.unwrap());
    assert!(!s.rooms.delete_invite(&r, many_id).await.unwrap());
    assert_eq!(s.rooms.find_invite(&many.hash).await.unwrap(), None);
    assert!(
        !s.rooms
            .use_invite(many_id, cy.id, MessageId(7), t(13))
            .await
            .unwrap()
    );
}
