//! Rooms as data through the service: creation, private rooms, direct
//! conversations, unread state and mentions, and the access rule at every
//! entry point.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use messenger_core::{
    ClientId, Delivery, ErrorCode, EventKind, HashingCost, HistoryQuery, MemoryStore, MessageBody,
    MessageId, Messenger, MessengerConfig, NewRoom, Password, RoomCreation, RoomKind, RoomName,
    RoomTitle, RoomTopic, User, UserEvent, Username,
};

fn messenger_with(config: MessengerConfig) -> Messenger {
    Messenger::builder()
        .config(MessengerConfig {
            hashing: HashingCost::INSECURE_FAST,
            send_rate: None,
            ..config
        })
        .store(Arc::new(MemoryStore::new()))
        .build()
        .unwrap()
}

fn messenger() -> Messenger {
    messenger_with(MessengerConfig::default())
}

async fn user(m: &Messenger, name: &str) -> User {
    let l = &m.config().limits;
    m.register(
        Username::parse(name, l).unwrap(),
        Password::parse("password123", l).unwrap(),
    )
    .await
    .unwrap()
}

fn room(m: &Messenger, name: &str) -> RoomName {
    RoomName::parse(name, &m.config().limits).unwrap()
}

fn new_room(m: &Messenger, name: &str, private: bool) -> NewRoom {
    NewRoom {
        name: room(m, name),
        title: RoomTitle::parse(&format!("Room {name}")).unwrap(),
        topic: RoomTopic::parse("about things").unwrap(),
        private,
    }
}

async fn say(m: &Messenger, who: &User, r: &RoomName, body: &str, cid: &str) -> MessageId {
    let l = &m.config().limits;
    m.post(
        who,
        r,
        MessageBody::parse(body, l).unwrap(),
        ClientId::parse(cid, l).unwrap(),
    )
    .await
    .unwrap()
    .message
    .id
}

fn name(m: &Messenger, s: &str) -> Username {
    Username::parse(s, &m.config().limits).unwrap()
}

#[tokio::test]
async fn an_outsider_gets_not_found_at_every_entry_point_of_a_private_room() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let eve = user(&m, "eve").await;
    let secret = room(&m, "secret");
    let nowhere = room(&m, "nowhere");
    m.create_room(Some(&ada), new_room(&m, "secret", true), &[])
        .await
        .unwrap();
    say(&m, &ada, &secret, "for members only", "s1").await;

    // The same answer as for a room that does not exist, at each door.
    for r in [&secret, &nowhere] {
        let l = &m.config().limits;
        let codes = [
            (
                "history",
                m.history(&eve, r, HistoryQuery::latest(10)).await.map(drop),
            ),
            ("subscribe", m.join(r, &eve).await.map(drop)),
            (
                "send",
                m.post(
                    &eve,
                    r,
                    MessageBody::parse("let me in", l).unwrap(),
                    ClientId::parse("e1", l).unwrap(),
                )
                .await
                .map(drop),
            ),
            ("typing", m.typing(r, &eve).await.map(drop)),
            ("presence", m.online(r, &eve).await.map(drop)),
            ("room info", m.room_info(&eve, r).await.map(drop)),
            (
                "read marker",
                m.mark_read(&eve, r, MessageId(1)).await.map(drop),
            ),
            ("members", m.members(&eve, r).await.map(drop)),
            (
                "add member",
                m.add_member(&eve, r, &name(&m, "eve")).await.map(drop),
            ),
            ("enter", m.enter_room(&eve, r).await.map(drop)),
            ("exit", m.exit_room(&eve, r).await.map(drop)),
            ("watch", m.watch(r, &eve).await.map(drop)),
            ("room name", m.room_for(r.as_str(), &eve).await.map(drop)),
        ];
        for (door, result) in codes {
            let e = result.expect_err(door);
            assert_eq!(e.code(), ErrorCode::NotFound, "{door} of {r}");
            assert_eq!(e.to_string(), format!("no room named '{r}'"), "{door}");
        }
    }
    // Listings: not in eve's rooms, not in the directory.
    assert!(
        !m.my_rooms(&eve)
            .await
            .unwrap()
            .iter()
            .any(|r| r.room.name == secret)
    );
    assert!(
        !m.directory()
            .await
            .unwrap()
            .iter()
            .any(|r| r.room.name == secret)
    );
    // Nothing eve tried left a trace.
    let page = m
        .history(&ada, &secret, HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(m.members(&ada, &secret).await.unwrap(), [ada]);
}

#[tokio::test]
async fn members_add_others_and_may_leave_and_then_lose_access() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    let team = room(&m, "team");
    let mut bob_events = m.user_events(&bob).await.unwrap();
    let created = m
        .create_room(Some(&ada), new_room(&m, "team", true), &[])
        .await
        .unwrap();
    assert_eq!(created.kind, RoomKind::Private);
    assert_eq!(created.created_by, Some(ada.id));
    say(&m, &ada, &team, "before bob", "t1").await;

    let members = m.add_member(&ada, &team, &name(&m, "bob")).await.unwrap();
    assert_eq!(members, [ada.clone(), bob.clone()]);
    let Some(Delivery::Event(e)) = bob_events.next().await else {
        panic!()
    };
    assert_eq!(
        e.kind(),
        &EventKind::User(UserEvent::RoomAdded(team.clone()))
    );
    // Bob reads the history (a member now) with nothing unread from before.
    assert_eq!(
        m.history(&bob, &team, HistoryQuery::latest(5))
            .await
            .unwrap()
            .len(),
        1
    );
    let info = m.room_info(&bob, &team).await.unwrap();
    assert_eq!((info.unread, info.last_id), (0, MessageId(1)));
    // A member adds others too; an unknown name is not_found.
    let cyd = user(&m, "cyd").await;
    m.add_member(&bob, &team, &name(&m, "cyd")).await.unwrap();
    let e = m
        .add_member(&bob, &team, &name(&m, "nobody"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    m.exit_room(&cyd, &team).await.unwrap();
    let e = m
        .history(&cyd, &team, HistoryQuery::latest(5))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::NotFound,
        "a member who left is an outsider"
    );
    // Nobody leaves the community room.
    let e = m.exit_room(&ada, &RoomName::general()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
}

#[tokio::test]
async fn public_rooms_are_browsed_joined_remembered_and_left() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    m.create_room(Some(&ada), new_room(&m, "rust", false), &[])
        .await
        .unwrap();
    m.create_room(Some(&ada), new_room(&m, "quiet", false), &[])
        .await
        .unwrap();
    let rust = room(&m, "rust");
    say(&m, &ada, &rust, "first", "r1").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    say(&m, &ada, &RoomName::general(), "hello", "g1").await;

    let dir = m.directory().await.unwrap();
    let names: Vec<&str> = dir.iter().map(|d| d.room.name.as_str()).collect();
    assert_eq!(
        names,
        ["general", "rust", "quiet"],
        "most recently active first"
    );
    assert_eq!(dir[1].member_count, 1);
    assert_eq!(dir[1].room.title.as_str(), "Room rust");
    assert!(dir[2].last_activity.is_none());

    // Anyone may read a public room; entering remembers it.
    m.history(&bob, &rust, HistoryQuery::latest(5))
        .await
        .unwrap();
    let mine: Vec<String> = m
        .my_rooms(&bob)
        .await
        .unwrap()
        .iter()
        .map(|r| r.room.name.to_string())
        .collect();
    assert_eq!(mine, ["general"]);
    m.enter_room(&bob, &rust).await.unwrap();
    let mine: Vec<String> = m
        .my_rooms(&bob)
        .await
        .unwrap()
        .iter()
        .map(|r| r.room.name.to_string())
        .collect();
    assert_eq!(mine, ["general", "rust"], "general first");
    assert_eq!(m.directory().await.unwrap()[1].member_count, 2);
    m.exit_room(&bob, &rust).await.unwrap();
    assert_eq!(m.my_rooms(&bob).await.unwrap().len(), 1);
    // Still public: still readable.
    m.history(&bob, &rust, HistoryQuery::latest(5))
        .await
        .unwrap();

    // Names: taken is a conflict, `dm-` is reserved, the setting can forbid.
    let e = m
        .create_room(Some(&bob), new_room(&m, "rust", true), &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    let e = m
        .create_room(Some(&bob), new_room(&m, "dm-1-2", true), &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
}

#[tokio::test]
async fn room_creation_can_be_turned_off_for_users_but_not_for_host_code() {
    let m = messenger_with(MessengerConfig {
        room_creation: RoomCreation::Nobody,
        rooms: vec!["general".into(), "announcements".into()],
        ..MessengerConfig::default()
    });
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    let e = m
        .create_room(Some(&ada), new_room(&m, "mine", false), &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    // The host makes one private room per order, with its two parties.
    let order = m
        .create_room(None, new_room(&m, "order-1001", true), &[ada.id, bob.id])
        .await
        .unwrap();
    assert_eq!(order.created_by, None);
    assert_eq!(
        m.members(&ada, &order.name).await.unwrap(),
        [ada.clone(), bob]
    );
    let eve = user(&m, "eve").await;
    assert_eq!(
        m.history(&eve, &order.name, HistoryQuery::latest(1))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(m.set_members(&order.name, &[eve.id]).await.unwrap(), 1);
    m.history(&eve, &order.name, HistoryQuery::latest(1))
        .await
        .unwrap();
    // Configured rooms exist from the start.
    let dir = m.directory().await.unwrap();
    assert!(dir.iter().any(|d| d.room.name.as_str() == "announcements"));
}

#[tokio::test]
async fn a_direct_conversation_is_one_per_pair_and_private() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    let eve = user(&m, "eve").await;
    let a = m.open_direct(&ada, &name(&m, "BOB")).await.unwrap();
    let b = m.open_direct(&bob, &name(&m, "ada")).await.unwrap();
    assert_eq!(a.room.name, b.room.name, "opening again gives the same one");
    assert_eq!(a.room.kind, RoomKind::Direct);
    assert_eq!(a.peer.as_ref(), Some(&bob));
    assert_eq!(b.peer.as_ref(), Some(&ada));
    let dm = a.room.name;
    say(&m, &ada, &dm, "just us", "d1").await;
    assert_eq!(
        m.history(&eve, &dm, HistoryQuery::latest(1))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert!(
        !m.directory()
            .await
            .unwrap()
            .iter()
            .any(|d| d.room.name == dm)
    );
    let e = m.add_member(&ada, &dm, &name(&m, "eve")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid, "two people, always");
    let e = m.open_direct(&ada, &name(&m, "ada")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    // Bob has it unread.
    let bobs = m.room_info(&bob, &dm).await.unwrap();
    assert_eq!((bobs.unread, bobs.last_read), (1, MessageId(0)));
}

#[tokio::test]
async fn unread_counts_are_arithmetic_and_reads_reach_every_connection() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    let general = RoomName::general();
    // Bob's rooms before anything is said: nothing unread.
    let before = m.my_rooms(&bob).await.unwrap();
    assert_eq!(before[0].unread, 0);
    for i in 0..5 {
        say(&m, &ada, &general, &format!("m{i}"), &format!("c{i}")).await;
    }
    let mine = m.my_rooms(&bob).await.unwrap();
    assert_eq!((mine[0].last_id, mine[0].unread), (MessageId(5), 5));

    let mut tab_a = m.user_events(&bob).await.unwrap();
    let state = m.mark_read(&bob, &general, MessageId(3)).await.unwrap();
    assert_eq!(state.last_read, MessageId(3));
    assert_eq!(m.my_rooms(&bob).await.unwrap()[0].unread, 2);
    let Some(Delivery::Event(e)) = tab_a.next().await else {
        panic!()
    };
    assert_eq!(
        e.kind(),
        &EventKind::User(UserEvent::Read {
            room: general.clone(),
            last_read: MessageId(3),
            mentions: 0
        })
    );
    // Past the end is clamped; back is ignored.
    m.mark_read(&bob, &general, MessageId(99)).await.unwrap();
    m.mark_read(&bob, &general, MessageId(1)).await.unwrap();
    let info = m.room_info(&bob, &general).await.unwrap();
    assert_eq!((info.last_read, info.unread), (MessageId(5), 0));
}

#[tokio::test]
async fn mentions_signal_readers_only_and_count_until_read() {
    let m = messenger();
    let ada = user(&m, "ada").await;
    let bob = user(&m, "bob").await;
    let eve = user(&m, "eve").await;
    let general = RoomName::general();
    m.my_rooms(&bob).await.unwrap();
    let mut bob_events = m.user_events(&bob).await.unwrap();
    let mut eve_events = m.user_events(&eve).await.unwrap();
    let mut ada_events = m.user_events(&ada).await.unwrap();

    let id = say(&m, &ada, &general, "hey @bob and @ada, see @nobody", "g1").await;
    let Some(Delivery::Event(e)) = bob_events.next().await else {
        panic!()
    };
    let EventKind::User(UserEvent::Mention(msg)) = e.kind() else {
        panic!("{e:?}")
    };
    assert_eq!(msg.id, id);
    let info = m.room_info(&bob, &general).await.unwrap();
    assert_eq!((info.unread, info.mentions), (1, 1));

    // Private room: eve cannot read it, so she is not told.
    m.create_room(Some(&ada), new_room(&m, "team", true), &[bob.id])
        .await
        .unwrap();
    let team = room(&m, "team");
    say(&m, &ada, &team, "@eve @bob secret plans", "t1").await;
    loop {
        let Some(Delivery::Event(e)) = bob_events.next().await else {
            panic!()
        };
        if let EventKind::User(UserEvent::Mention(msg)) = e.kind() {
            assert_eq!(msg.room, team);
            break;
        }
    }
    let quiet = tokio::time::timeout(Duration::from_millis(100), eve_events.next()).await;
    assert!(
        quiet.is_err(),
        "eve heard of a room she cannot read: {quiet:?}"
    );
    // The author is not told of their own mention.
    let own = tokio::time::timeout(Duration::from_millis(50), async {
        loop {
            match ada_events.next().await {
                Some(Delivery::Event(e))
                    if matches!(e.kind(), EventKind::User(UserEvent::Mention(_))) =>
                {
                    return;
                }
                Some(_) => continue,
                None => std::future::pending::<()>().await,
            }
        }
    })
    .await;
    assert!(own.is_err(), "ada was told of her own mention");

    let state = m.mark_read(&bob, &general, id).await.unwrap();
    assert_eq!(state.mentions, 0);
}

#[tokio::test]
async fn the_owner_and_moderators_remove_members_and_history_closes_to_them() {
    let m = messenger();
    let (ada, bob, cy, mod_) = (
        user(&m, "ada").await,
        user(&m, "bob").await,
        user(&m, "cyd").await,
        user(&m, "mona").await,
    );
    let eve = user(&m, "eve").await;
    m.set_role(
        messenger_core::Actor::Operator,
        &name(&m, "mona"),
        messenger_core::Role::Moderator,
        Default::default(),
    )
    .await
    .unwrap();
    let team = m
        .create_room(Some(&ada), new_room(&m, "team", true), &[])
        .await
        .unwrap()
        .name;
    for who in ["bob", "cyd"] {
        m.add_member(&ada, &team, &name(&m, who)).await.unwrap();
    }
    say(&m, &ada, &team, "team plans", "t1").await;
    let mut bobs = m.user_events(&bob).await.unwrap();

    // A member who is not the owner cannot; an outsider learns nothing.
    let e = m
        .remove_member(&bob, &team, &name(&m, "cyd"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m
        .remove_member(&eve, &team, &name(&m, "cyd"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    // The owner removes bob: he is told, and the room is closed to him.
    let members = m
        .remove_member(&ada, &team, &name(&m, "bob"))
        .await
        .unwrap();
    assert!(members.iter().all(|u| u.id != bob.id));
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(5), bobs.next())
            .await
            .expect("bob hears of it")
            .unwrap();
        if let Delivery::Event(ev) = ev
            && let EventKind::User(UserEvent::RoomRemoved(r)) = ev.kind()
        {
            assert_eq!(r, &team);
            break;
        }
    }
    let e = m
        .history(&bob, &team, HistoryQuery::latest(10))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(
        m.my_rooms(&bob)
            .await
            .unwrap()
            .iter()
            .all(|r| r.room.name != team)
    );

    // A moderator may too, even without being in the room's membership
    // list by creation.
    m.add_member(&ada, &team, &name(&m, "mona")).await.unwrap();
    m.remove_member(&mod_, &team, &name(&m, "cyd"))
        .await
        .unwrap();
    assert!(
        m.history(&cy, &team, HistoryQuery::latest(10))
            .await
            .is_err()
    );

    // Nobody is removed from the community room or a direct conversation.
    let e = m
        .remove_member(&mod_, &RoomName::general(), &name(&m, "ada"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    let dm = m
        .open_direct(&ada, &name(&m, "eve"))
        .await
        .unwrap()
        .room
        .name;
    let e = m
        .remove_member(&ada, &dm, &name(&m, "eve"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
}

#[tokio::test]
async fn the_owner_and_moderators_rename_a_room_and_members_are_told() {
    let m = messenger();
    let (ada, bob, eve) = (
        user(&m, "ada").await,
        user(&m, "bob").await,
        user(&m, "eve").await,
    );
    let mona = user(&m, "mona").await;
    m.set_role(
        messenger_core::Actor::Operator,
        &name(&m, "mona"),
        messenger_core::Role::Moderator,
        Default::default(),
    )
    .await
    .unwrap();
    let team = m
        .create_room(Some(&ada), new_room(&m, "team", true), &[])
        .await
        .unwrap()
        .name;
    m.add_member(&ada, &team, &name(&m, "bob")).await.unwrap();
    let mut bobs = m.user_events(&bob).await.unwrap();
    let title = |t: &str| RoomTitle::parse(t).unwrap();
    let topic = |t: &str| RoomTopic::parse(t).unwrap();

    let e = m
        .set_room_details(&bob, &team, title("Bob's now"), topic(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m
        .set_room_details(&eve, &team, title("Eve's now"), topic(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    let room = m
        .set_room_details(&ada, &team, title("Launch crew"), topic("Tuesday 10:00"))
        .await
        .unwrap();
    assert_eq!(
        (room.title.as_str(), room.topic.as_str()),
        ("Launch crew", "Tuesday 10:00")
    );
    let Some(Delivery::Event(ev)) = bobs.next().await else {
        panic!()
    };
    assert!(matches!(ev.kind(), EventKind::User(UserEvent::RoomAdded(r)) if *r == team));
    let info = m.room_info(&bob, &team).await.unwrap();
    assert_eq!(info.room.title.as_str(), "Launch crew");

    // A moderator may; nobody renames a direct conversation.
    m.add_member(&ada, &team, &name(&m, "mona")).await.unwrap();
    m.set_room_details(&mona, &team, title("Crew"), topic(""))
        .await
        .unwrap();
    let dm = m
        .open_direct(&ada, &name(&m, "bob"))
        .await
        .unwrap()
        .room
        .name;
    let e = m
        .set_room_details(&ada, &dm, title("Ours"), topic(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
}

#[tokio::test]
async fn a_blocked_user_cannot_message_or_add_the_one_who_blocked_them() {
    let m = messenger();
    let (ada, eve) = (user(&m, "ada").await, user(&m, "eve").await);
    let dm = m
        .open_direct(&eve, &name(&m, "ada"))
        .await
        .unwrap()
        .room
        .name;
    say(&m, &eve, &dm, "hi ada", "e1").await;
    let den = m
        .create_room(Some(&eve), new_room(&m, "den", true), &[])
        .await
        .unwrap()
        .name;

    let blocked = m.block(&ada, &name(&m, "eve"), true).await.unwrap();
    assert_eq!(blocked, std::slice::from_ref(&eve));
    assert_eq!(m.blocked(&ada).await.unwrap(), std::slice::from_ref(&eve));
    let l = &m.config().limits;
    let e = m
        .post(
            &eve,
            &dm,
            MessageBody::parse("are you there", l).unwrap(),
            ClientId::parse("e2", l).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m.open_direct(&eve, &name(&m, "ada")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m
        .add_member(&eve, &den, &name(&m, "ada"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(
        m.my_rooms(&ada)
            .await
            .unwrap()
            .iter()
            .all(|r| r.room.name != den)
    );
    // Ada may still write to her; opening a new one asks her to unblock.
    say(&m, &ada, &dm, "one last word", "a1").await;
    let e = m.open_direct(&ada, &name(&m, "eve")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m.block(&ada, &name(&m, "ada"), true).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);

    assert!(
        m.block(&ada, &name(&m, "eve"), false)
            .await
            .unwrap()
            .is_empty()
    );
    say(&m, &eve, &dm, "thanks", "e3").await;
    m.add_member(&eve, &den, &name(&m, "ada")).await.unwrap();
}

#[tokio::test]
async fn a_direct_conversation_left_comes_back_with_the_next_message() {
    let m = messenger();
    let (ada, bob) = (user(&m, "ada").await, user(&m, "bob").await);
    let dm = m
        .open_direct(&ada, &name(&m, "bob"))
        .await
        .unwrap()
        .room
        .name;
    say(&m, &ada, &dm, "hello", "a1").await;
    m.exit_room(&bob, &dm).await.unwrap();
    assert!(
        m.my_rooms(&bob)
            .await
            .unwrap()
            .iter()
            .all(|r| r.room.name != dm)
    );
    let mut bobs = m.user_events(&bob).await.unwrap();
    say(&m, &ada, &dm, "still there?", "a2").await;
    let back = m.my_rooms(&bob).await.unwrap();
    let back = back
        .iter()
        .find(|r| r.room.name == dm)
        .expect("back in the list");
    assert_eq!(back.unread, 1, "the new message is unread");
    let Some(Delivery::Event(ev)) = bobs.next().await else {
        panic!()
    };
    assert!(matches!(ev.kind(), EventKind::User(UserEvent::RoomAdded(r)) if *r == dm));
}

#[tokio::test]
async fn a_room_deleted_on_another_node_cannot_be_joined_on_this_one() {
    // Two nodes over one store: each has its own cache of room kinds.
    let store = Arc::new(MemoryStore::new());
    let node = || {
        Messenger::builder()
            .config(MessengerConfig {
                hashing: HashingCost::INSECURE_FAST,
                send_rate: None,
                ..MessengerConfig::default()
            })
            .store(store.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (node(), node());
    let ada = user(&a, "ada").await;
    let mona = user(&a, "mona").await;
    let bob = user(&a, "bob").await;
    a.set_role(
        messenger_core::Actor::Operator,
        &name(&a, "mona"),
        messenger_core::Role::Moderator,
        Default::default(),
    )
    .await
    .unwrap();
    let lobby = a
        .create_room(Some(&ada), new_room(&a, "lobby", false), &[])
        .await
        .unwrap()
        .name;
    // Node b learns the room's kind (public) before it is deleted on a.
    b.room_info(&bob, &lobby).await.unwrap();
    a.delete_room(&mona, &lobby, Default::default())
        .await
        .unwrap();

    let err = b.enter_room(&bob, &lobby).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
    assert!(
        !b.my_rooms(&bob)
            .await
            .unwrap()
            .iter()
            .any(|r| r.room.name == lobby),
        "no membership of the tombstone"
    );
}
