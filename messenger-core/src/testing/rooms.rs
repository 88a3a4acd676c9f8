//! Conformance cases: rooms, memberships, read positions, mentions, room heads.

use super::*;

fn a_room(name: &str, kind: RoomKind, created_by: Option<UserId>) -> Room {
    Room {
        name: room(name),
        title: RoomTitle::parse(&format!("The {name} room")).unwrap(),
        topic: RoomTopic::parse("what it is about\nline two").unwrap(),
        kind,
        created_by,
        created_at: t(3),
        archived_at: None,
    }
}

pub async fn rooms_round_trip(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let open = a_room("open", RoomKind::Public, Some(ada.id));
    let secret = a_room("secret", RoomKind::Private, Some(ada.id));
    let direct = a_room("dm-1-2", RoomKind::Direct, None);
    for r in [&open, &secret, &direct] {
        s.rooms
            .create_room(r, &[ada.id], MessageId(0))
            .await
            .unwrap();
    }
    assert_eq!(
        s.rooms.find_room(&room("open")).await.unwrap(),
        Some(open.clone())
    );
    assert_eq!(
        s.rooms.find_room(&room("secret")).await.unwrap(),
        Some(secret.clone())
    );
    assert_eq!(
        s.rooms.find_room(&room("dm-1-2")).await.unwrap(),
        Some(direct)
    );
    assert_eq!(s.rooms.find_room(&room("nope")).await.unwrap(), None);
    let taken = s
        .rooms
        .create_room(&a_room("open", RoomKind::Private, None), &[], MessageId(0))
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
    assert_eq!(
        s.rooms.find_room(&room("open")).await.unwrap(),
        Some(open.clone()),
        "a refused create changes nothing"
    );
    // Title and topic change in place; nothing else does.
    let renamed = RoomTitle::parse("Open plan").unwrap();
    let topic = RoomTopic::parse("").unwrap();
    assert!(
        s.rooms
            .set_room_details(&room("secret"), &renamed, &topic)
            .await
            .unwrap()
    );
    let after = s.rooms.find_room(&room("secret")).await.unwrap().unwrap();
    assert_eq!((&after.title, &after.topic), (&renamed, &topic));
    assert_eq!(
        (after.kind, after.created_by, after.created_at),
        (secret.kind, secret.created_by, secret.created_at)
    );
    assert!(
        !s.rooms
            .set_room_details(&room("nope"), &renamed, &topic)
            .await
            .unwrap()
    );
    let mut zed = a_room("zed", RoomKind::Public, None);
    zed.topic = RoomTopic::default();
    s.rooms.create_room(&zed, &[], MessageId(0)).await.unwrap();
    // Only public rooms, in name order, with their member counts.
    let public = s.rooms.public_rooms(10).await.unwrap();
    assert_eq!(public, vec![(open, 1), (zed, 0)]);
    assert_eq!(s.rooms.public_rooms(1).await.unwrap().len(), 1);
}

pub async fn memberships_and_members(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("Bob"), "h", t(0)).await.unwrap();
    let cy = s.users.create_user(&name("cyd"), "h", t(0)).await.unwrap();
    let team = a_room("team", RoomKind::Private, Some(ada.id));
    s.rooms
        .create_room(&team, &[ada.id, bob.id], MessageId(4))
        .await
        .unwrap();
    let lobby = a_room("lobby", RoomKind::Public, None);
    s.rooms
        .create_room(&lobby, &[], MessageId(0))
        .await
        .unwrap();

    assert_eq!(
        s.rooms.members(&room("team")).await.unwrap(),
        [ada.clone(), bob.clone()]
    );
    assert!(
        s.rooms
            .add_member(&room("team"), cy.id, MessageId(7), t(5))
            .await
            .unwrap()
    );
    assert!(
        !s.rooms
            .add_member(&room("team"), cy.id, MessageId(9), t(6))
            .await
            .unwrap(),
        "already a member"
    );
    assert_eq!(
        s.rooms
            .read_state(&room("team"), cy.id)
            .await
            .unwrap()
            .unwrap()
            .last_read,
        MessageId(7),
        "a second add changes nothing"
    );
    assert_eq!(
        s.rooms.read_state(&room("lobby"), cy.id).await.unwrap(),
        None
    );
    s.rooms
        .add_member(&room("lobby"), cy.id, MessageId(0), t(5))
        .await
        .unwrap();

    let mine = s.rooms.memberships(cy.id).await.unwrap();
    let names: Vec<&str> = mine.iter().map(|m| m.room.name.as_str()).collect();
    assert_eq!(names, ["lobby", "team"]);
    assert_eq!(mine[1].room, team);
    assert_eq!(mine[1].read.last_read, MessageId(7));
    assert_eq!(s.rooms.memberships(bob.id).await.unwrap().len(), 1);

    assert!(s.rooms.remove_member(&room("team"), bob.id).await.unwrap());
    assert!(!s.rooms.remove_member(&room("team"), bob.id).await.unwrap());
    assert_eq!(
        s.rooms.read_state(&room("team"), bob.id).await.unwrap(),
        None
    );
    assert!(s.rooms.memberships(bob.id).await.unwrap().is_empty());
    assert_eq!(s.rooms.members(&room("team")).await.unwrap(), [ada, cy]);
    let (_, count) = s
        .rooms
        .public_rooms(10)
        .await
        .unwrap()
        .into_iter()
        .find(|(r, _)| r.name == room("lobby"))
        .unwrap();
    assert_eq!(count, 1);
}

pub async fn read_positions_and_mentions(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let bob = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let r = a_room("talk", RoomKind::Public, None);
    s.rooms
        .create_room(&r, &[ada.id], MessageId(0))
        .await
        .unwrap();
    let talk = room("talk");
    s.rooms
        .add_mentions(&talk, MessageId(2), &[ada.id, bob.id])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&talk, MessageId(5), &[ada.id])
        .await
        .unwrap();
    s.rooms
        .add_mentions(&talk, MessageId(5), &[ada.id])
        .await
        .unwrap();
    let state = s.rooms.read_state(&talk, ada.id).await.unwrap().unwrap();
    assert_eq!((state.last_read, state.mentions), (MessageId(0), 2));

    let after = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.last_read, after.mentions), (MessageId(3), 1));
    let back = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.last_read, MessageId(3), "never moves back");
    let all = s
        .rooms
        .mark_read(&talk, ada.id, MessageId(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((all.last_read, all.mentions), (MessageId(5), 0));
    assert_eq!(s.rooms.memberships(ada.id).await.unwrap()[0].read, all);
    // Not a member: nothing to mark.
    assert_eq!(
        s.rooms
            .mark_read(&talk, bob.id, MessageId(5))
            .await
            .unwrap(),
        None
    );
    // Joining later counts only the mentions after the position given.
    s.rooms
        .add_member(&talk, bob.id, MessageId(1), t(9))
        .await
        .unwrap();
    assert_eq!(
        s.rooms
            .read_state(&talk, bob.id)
            .await
            .unwrap()
            .unwrap()
            .mentions,
        1
    );
}

pub async fn room_heads_follow_appends(s: Stores) {
    let ada = s.users.create_user(&name("ada"), "h", t(0)).await.unwrap();
    let (a, b, empty) = (room("a"), room("b"), room("empty"));
    let mut m1 = new_message(&a, &ada, "one", "c1");
    m1.sent_at = t(20);
    let mut m2 = new_message(&a, &ada, "two", "c2");
    m2.sent_at = t(21);
    let m3 = new_message(&b, &ada, "three", "c3");
    s.messages.append(vec![m1, m2, m3]).await.unwrap();
    let heads = s
        .messages
        .room_heads(&[a.clone(), empty.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(heads.len(), 3);
    let ha = heads[0].unwrap();
    assert_eq!((ha.last_id, ha.sent_at), (MessageId(2), t(21)));
    assert_eq!(heads[1], None);
    assert_eq!(heads[2].unwrap().last_id, MessageId(1));
    assert!(s.messages.room_heads(&[]).await.unwrap().is_empty());
}
