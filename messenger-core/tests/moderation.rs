//! The message lifecycle and moderation through the service: who may edit,
//! delete, react, mute, ban and grant roles; mutes that end; unread counts
//! and mentions that follow deletes; search that never leaves readable rooms.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use chrono::{TimeZone, Utc};
use messenger_core::testing::ManualClock;
use messenger_core::{
    Actor, ClientId, Error, ErrorCode, HashingCost, MemoryStore, MessageBody, MessageId, Messenger,
    MessengerConfig, NewRoom, Password, RoomCreation, RoomName, RoomTitle, RoomTopic, SearchQuery,
    User, Username,
};
use messenger_core::{Reason, Role};

struct World {
    m: Messenger,
    clock: Arc<ManualClock>,
}

fn world(config: MessengerConfig) -> World {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
    ));
    let m = Messenger::builder()
        .config(MessengerConfig {
            hashing: HashingCost::INSECURE_FAST,
            send_rate: None,
            ..config
        })
        .store(Arc::new(MemoryStore::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    World { m, clock }
}

fn name(m: &Messenger, s: &str) -> Username {
    Username::parse(s, &m.config().limits).unwrap()
}

async fn user(m: &Messenger, s: &str) -> User {
    let p = Password::parse("password123", &m.config().limits).unwrap();
    m.register(name(m, s), p).await.unwrap()
}

async fn say(m: &Messenger, who: &User, room: &RoomName, body: &str) -> Result<MessageId, Error> {
    let l = &m.config().limits;
    let cid = format!(
        "{}-{}",
        who.id,
        body.len() + body.chars().map(|c| c as usize).sum::<usize>()
    );
    Ok(m.post(
        who,
        room,
        MessageBody::parse(body, l).unwrap(),
        ClientId::parse(&cid, l).unwrap(),
    )
    .await?
    .message
    .id)
}

fn body(m: &Messenger, s: &str) -> MessageBody {
    MessageBody::parse(s, &m.config().limits).unwrap()
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).unwrap()
}

async fn make(m: &Messenger, who: &str, role: Role) {
    m.set_role(Actor::Operator, &name(m, who), role, Reason::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn only_authors_edit_and_authors_or_moderators_delete() {
    let World { m, .. } = world(MessengerConfig::default());
    let (ada, bob, mod_) = (
        user(&m, "ada").await,
        user(&m, "bob").await,
        user(&m, "moddy").await,
    );
    make(&m, "moddy", Role::Moderator).await;
    let g = RoomName::general();
    let id = say(&m, &ada, &g, "first").await.unwrap();

    let e = m
        .edit_message(&bob, &g, id, body(&m, "hijack"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    let e = m
        .edit_message(&mod_, &g, id, body(&m, "moderated"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::Forbidden,
        "moderators delete, they do not rewrite"
    );
    let e = m
        .delete_message(&bob, &g, id, reason(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);

    let edited = m
        .edit_message(&ada, &g, id, body(&m, "first, fixed"))
        .await
        .unwrap();
    assert_eq!((edited.body.as_str(), edited.rev), ("first, fixed", 1));
    let deleted = m
        .delete_message(&mod_, &g, id, reason("off topic"))
        .await
        .unwrap();
    assert!(deleted.is_deleted());
    let e = m
        .edit_message(&ada, &g, id, body(&m, "back"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::NotFound,
        "a tombstone stays a tombstone"
    );
    let e = m
        .delete_message(&ada, &g, MessageId(99), reason(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_room_one_cannot_read_is_not_found_for_every_lifecycle_door() {
    let World { m, .. } = world(MessengerConfig::default());
    let (ada, eve) = (user(&m, "ada").await, user(&m, "eve").await);
    make(&m, "eve", Role::Admin).await;
    let r = NewRoom {
        name: RoomName::parse("secret", &m.config().limits).unwrap(),
        title: RoomTitle::parse("Secret").unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        private: true,
    };
    let room = m.create_room(Some(&ada), r, &[]).await.unwrap().name;
    let id = say(&m, &ada, &room, "classified kangaroo").await.unwrap();
    let missing = |e: Error| assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    // Even an admin: roles moderate, they do not open private rooms.
    missing(
        m.edit_message(&eve, &room, id, body(&m, "x"))
            .await
            .unwrap_err(),
    );
    missing(
        m.delete_message(&eve, &room, id, reason(""))
            .await
            .unwrap_err(),
    );
    missing(m.changes(&eve, &room, 0, 10).await.unwrap_err());
    missing(m.history_around(&eve, &room, id, 10).await.unwrap_err());
    missing(m.room_head(&eve, &room).await.unwrap_err());
    let q = SearchQuery::parse("kangaroo").unwrap();
    assert!(m.search(&eve, &q, None, 10).await.unwrap().hits.is_empty());
    assert_eq!(m.search(&ada, &q, None, 10).await.unwrap().hits.len(), 1);
}

#[tokio::test]
async fn roles_rank_who_may_act_on_whom() {
    let World { m, .. } = world(MessengerConfig::default());
    for n in ["root", "root2", "mona", "mike", "sam"] {
        user(&m, n).await;
    }
    let root = user(&m, "admin_b").await;
    make(&m, "root", Role::Admin).await;
    make(&m, "admin_b", Role::Admin).await;
    make(&m, "mona", Role::Moderator).await;
    make(&m, "mike", Role::Moderator).await;
    let mona = m.list_users(messenger_core::UserId(0), 10).await.unwrap()[2]
        .user
        .clone();
    assert_eq!(mona.username.as_str(), "mona");
    let forbidden = |r: Result<(User, messenger_core::Standing), Error>| {
        assert_eq!(r.unwrap_err().code(), ErrorCode::Forbidden)
    };
    let n = |s| name(&m, s);
    forbidden(m.ban(Actor::User(&mona), &n("mike"), reason("")).await);
    forbidden(m.ban(Actor::User(&mona), &n("root"), reason("")).await);
    forbidden(m.ban(Actor::User(&mona), &n("mona"), reason("")).await);
    forbidden(
        m.set_role(Actor::User(&mona), &n("sam"), Role::Moderator, reason(""))
            .await,
    );
    forbidden(
        m.set_role(Actor::User(&root), &n("admin_b"), Role::Member, reason(""))
            .await,
    );
    forbidden(m.ban(Actor::User(&root), &n("root"), reason("")).await);
    // Admins are equals: one cannot demote another over the API.
    forbidden(
        m.set_role(Actor::User(&root), &n("root"), Role::Member, reason(""))
            .await,
    );
    assert_eq!(
        m.standing(
            m.list_users(messenger_core::UserId(0), 1).await.unwrap()[0]
                .user
                .id
        )
        .await
        .unwrap()
        .role,
        Role::Admin
    );
    m.ban(Actor::User(&mona), &n("sam"), reason(""))
        .await
        .unwrap();
    m.mute(
        Actor::User(&root),
        &n("mike"),
        Duration::from_secs(60),
        reason(""),
    )
    .await
    .unwrap();
    m.set_role(Actor::User(&root), &n("mike"), Role::Member, reason(""))
        .await
        .unwrap();
    assert_eq!(m.standing(mona.id).await.unwrap().role, Role::Moderator);
    let e = m
        .mute(Actor::User(&root), &n("mona"), Duration::ZERO, reason(""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    // The operator may do anything, to anyone.
    m.ban(Actor::Operator, &n("root"), reason("gone rogue"))
        .await
        .unwrap();
    let e = m.moderation_log(&mona, None, 10).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert_eq!(m.moderation_log(&root, None, 100).await.unwrap().len(), 8);
}

#[tokio::test]
async fn a_mute_refuses_sends_and_edits_until_it_ends_and_a_ban_refuses_login() {
    let World { m, clock } = world(MessengerConfig::default());
    let (sam, mona) = (user(&m, "sam").await, user(&m, "mona").await);
    make(&m, "mona", Role::Moderator).await;
    let g = RoomName::general();
    let id = say(&m, &sam, &g, "before").await.unwrap();
    m.mute(
        Actor::User(&mona),
        &name(&m, "sam"),
        Duration::from_secs(90 * 60),
        reason("cool off"),
    )
    .await
    .unwrap();
    let e = say(&m, &sam, &g, "during").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert_eq!(
        e.to_string(),
        "you are muted for 90 minutes more (until 2026-11-25 13:30 UTC)"
    );
    let e = m
        .edit_message(&sam, &g, id, body(&m, "sneaky"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Muted { .. }));
    m.delete_message(&sam, &g, id, reason(""))
        .await
        .expect("removing one's own words is fine");
    clock.advance(Duration::from_secs(90 * 60 + 1));
    say(&m, &sam, &g, "after").await.expect("the mute ended");

    m.ban(Actor::User(&mona), &name(&m, "sam"), reason("for good"))
        .await
        .unwrap();
    let p = Password::parse("password123", &m.config().limits).unwrap();
    let e = m.login(&name(&m, "sam"), &p, false).await.unwrap_err();
    assert_eq!(e.to_string(), "this account is banned: for good");
    let wrong = Password::parse("wrong-password", &m.config().limits).unwrap();
    let e = m.login(&name(&m, "sam"), &wrong, false).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthorized);
    m.unban(Actor::User(&mona), &name(&m, "sam"), reason(""))
        .await
        .unwrap();
    m.login(&name(&m, "sam"), &p, false).await.unwrap();
}

#[tokio::test]
async fn room_creation_can_be_left_to_moderators() {
    let World { m, .. } = world(MessengerConfig {
        room_creation: RoomCreation::Moderators,
        ..MessengerConfig::default()
    });
    let (ada, mona) = (user(&m, "ada").await, user(&m, "mona").await);
    make(&m, "mona", Role::Moderator).await;
    let new = |n: &str| NewRoom {
        name: RoomName::parse(n, &m.config().limits).unwrap(),
        title: RoomTitle::parse(n).unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        private: false,
    };
    let e = m
        .create_room(Some(&ada), new("ideas"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    m.create_room(Some(&mona), new("ideas"), &[]).await.unwrap();
    m.create_room(None, new("host-made"), &[ada.id])
        .await
        .unwrap();
}

#[tokio::test]
async fn unread_counts_and_mentions_follow_deletes_and_edits() {
    let World { m, .. } = world(MessengerConfig::default());
    let (ada, bob) = (user(&m, "ada").await, user(&m, "bob").await);
    let g = RoomName::general();
    m.my_rooms(&bob).await.unwrap();
    let a = say(&m, &ada, &g, "one").await.unwrap();
    let b = say(&m, &ada, &g, "hey @bob").await.unwrap();
    let c = say(&m, &ada, &g, "three").await.unwrap();
    let mine = |m: Messenger, u: User| async move {
        // Mentions are recorded just after the post is published.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let r = m.my_rooms(&u).await.unwrap().remove(0);
        (r.unread, r.mentions)
    };
    assert_eq!(mine(m.clone(), bob.clone()).await, (3, 1));
    m.delete_message(&ada, &g, c, reason("")).await.unwrap();
    assert_eq!(mine(m.clone(), bob.clone()).await, (2, 1));
    m.edit_message(&ada, &g, b, body(&m, "hey everyone"))
        .await
        .unwrap();
    assert_eq!(
        mine(m.clone(), bob.clone()).await,
        (2, 0),
        "the mention went with the edit"
    );
    m.edit_message(&ada, &g, a, body(&m, "one, @bob"))
        .await
        .unwrap();
    assert_eq!(
        mine(m.clone(), bob.clone()).await,
        (2, 1),
        "and came with another"
    );
    m.mark_read(&bob, &g, c).await.unwrap();
    assert_eq!(mine(m.clone(), bob.clone()).await, (0, 0));
}

#[tokio::test]
async fn a_muted_user_cannot_create_rooms_add_members_or_open_direct_conversations() {
    let World { m, clock } = world(MessengerConfig::default());
    let (sam, mona, vic) = (
        user(&m, "sam").await,
        user(&m, "mona").await,
        user(&m, "vic").await,
    );
    make(&m, "mona", Role::Moderator).await;
    let new = |n: &str, private: bool| NewRoom {
        name: RoomName::parse(n, &m.config().limits).unwrap(),
        title: RoomTitle::parse(n).unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        private,
    };
    let den = m
        .create_room(Some(&sam), new("den", true), &[])
        .await
        .unwrap()
        .name;
    m.mute(
        Actor::User(&mona),
        &name(&m, "sam"),
        Duration::from_secs(600),
        reason("spam"),
    )
    .await
    .unwrap();
    let e = m
        .create_room(Some(&sam), new("lair", false), &[])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Muted { .. }), "{e}");
    let e = m
        .add_member(&sam, &den, &name(&m, "vic"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Muted { .. }), "{e}");
    let e = m.open_direct(&sam, &name(&m, "vic")).await.unwrap_err();
    assert!(matches!(e, Error::Muted { .. }), "{e}");
    assert_eq!(m.my_rooms(&vic).await.unwrap().len(), 1, "only general");

    // An outsider learns nothing from being muted: the room is not found.
    m.mute(
        Actor::User(&mona),
        &name(&m, "vic"),
        Duration::from_secs(600),
        reason(""),
    )
    .await
    .unwrap();
    let e = m
        .add_member(&vic, &den, &name(&m, "mona"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    clock.advance(Duration::from_secs(601));
    m.add_member(&sam, &den, &name(&m, "vic")).await.unwrap();
    m.open_direct(&sam, &name(&m, "vic")).await.unwrap();
    m.create_room(Some(&sam), new("lair", false), &[])
        .await
        .unwrap();
}

fn key(m: &Messenger, k: &str) -> messenger_core::ReactionKey {
    messenger_core::ReactionKey::parse(k, &m.config().limits).unwrap()
}

fn counts(m: &messenger_core::Message) -> Vec<(&str, u64, bool)> {
    m.reactions
        .iter()
        .map(|r| (r.key.as_str(), r.count, r.me))
        .collect()
}

#[tokio::test]
async fn reactions_count_per_key_mark_mine_and_fan_out_as_changes() {
    let World { m, .. } = world(MessengerConfig::default());
    let (ada, bob) = (user(&m, "ada").await, user(&m, "bob").await);
    let g = RoomName::general();
    let id = say(&m, &ada, &g, "ship it?").await.unwrap();
    let mut joined = m.join(&g, &bob).await.unwrap();

    let after = m.react(&ada, &g, id, key(&m, "👍"), true).await.unwrap();
    assert_eq!(counts(&after), [("👍", 1, true)]);
    assert_eq!(
        after.rev, 1,
        "a reaction takes the room's next change number"
    );
    let after = m
        .react(&bob, &g, id, key(&m, ":thumbsup:"), true)
        .await
        .unwrap();
    assert_eq!(
        counts(&after),
        [("👍", 2, true)],
        "a shortcode is its emoji"
    );
    let after = m.react(&bob, &g, id, key(&m, "🎉"), true).await.unwrap();
    assert_eq!(counts(&after), [("👍", 2, true), ("🎉", 1, true)]);
    let again = m.react(&bob, &g, id, key(&m, "🎉"), true).await.unwrap();
    assert_eq!(again.rev, 3, "adding one already there changes nothing");

    // History is per reader: `me` is theirs, and who reacted is not in it.
    let page = m
        .history(&ada, &g, messenger_core::HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(counts(&page[0]), [("👍", 2, true), ("🎉", 1, false)]);
    assert!(page[0].reactions.iter().all(|r| r.users.is_empty()));
    let changed = m.changes(&bob, &g, 0, 10).await.unwrap();
    assert_eq!(counts(&changed[0]), [("👍", 2, true), ("🎉", 1, true)]);

    // The room's stream: each change once, in change order, with the
    // reaction it made and no reader's `me`.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let Some(messenger_core::Delivery::Event(e)) = joined.subscription.next().await else {
            continue;
        };
        if let messenger_core::EventKind::Changed { message, reaction } = e.kind() {
            let r = reaction.clone().expect("a reaction change names it");
            assert!(
                message
                    .reactions
                    .iter()
                    .all(|r| !r.me && r.users.is_empty())
            );
            seen.push((message.rev, r.key.as_str().to_owned(), r.user.id, r.on));
        }
    }
    assert_eq!(
        seen,
        [
            (1, "👍".to_owned(), ada.id, true),
            (2, "👍".to_owned(), bob.id, true),
            (3, "🎉".to_owned(), bob.id, true)
        ]
    );

    let who = m.reactions(&ada, &g, id).await.unwrap();
    assert_eq!(who[0].users, [ada.clone(), bob.clone()]);
    assert!(who[0].me && !who[1].me);
    let after = m.react(&ada, &g, id, key(&m, "👍"), false).await.unwrap();
    assert_eq!(counts(&after), [("👍", 1, false), ("🎉", 1, false)]);
    let after = m.react(&bob, &g, id, key(&m, "🎉"), false).await.unwrap();
    assert_eq!(counts(&after), [("👍", 1, true)], "a key nobody holds goes");
}

#[tokio::test]
async fn reactions_are_refused_to_outsiders_the_muted_and_on_deleted_messages() {
    let World { m, .. } = world(MessengerConfig {
        limits: messenger_core::Limits {
            reaction_keys: 2,
            ..Default::default()
        },
        ..MessengerConfig::default()
    });
    let (ada, eve, moe) = (
        user(&m, "ada").await,
        user(&m, "eve").await,
        user(&m, "moe").await,
    );
    make(&m, "eve", Role::Admin).await;
    let r = NewRoom {
        name: RoomName::parse("secret", &m.config().limits).unwrap(),
        title: RoomTitle::parse("Secret").unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        private: true,
    };
    let room = m.create_room(Some(&ada), r, &[]).await.unwrap().name;
    let id = say(&m, &ada, &room, "private").await.unwrap();
    m.react(&ada, &room, id, key(&m, "👀"), true).await.unwrap();
    for e in [
        m.react(&eve, &room, id, key(&m, "👍"), true)
            .await
            .unwrap_err(),
        m.reactions(&eve, &room, id).await.unwrap_err(),
    ] {
        assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    }

    let g = RoomName::general();
    let id = say(&m, &ada, &g, "public").await.unwrap();
    m.mute(
        Actor::User(&eve),
        &name(&m, "moe"),
        Duration::from_secs(600),
        reason("calm down"),
    )
    .await
    .unwrap();
    let e = m
        .react(&moe, &g, id, key(&m, "👍"), true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden, "{e}");

    m.react(&ada, &g, id, key(&m, "👍"), true).await.unwrap();
    m.react(&ada, &g, id, key(&m, "🎉"), true).await.unwrap();
    let e = m
        .react(&eve, &g, id, key(&m, "🚀"), true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    m.react(&eve, &g, id, key(&m, "🎉"), true)
        .await
        .expect("a key already there is not a new one");

    let deleted = m.delete_message(&ada, &g, id, reason("")).await.unwrap();
    assert!(
        deleted.reactions.is_empty(),
        "a deleted message loses its reactions"
    );
    let e = m
        .react(&eve, &g, id, key(&m, "👍"), true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn owners_and_moderators_pin_others_do_not_and_the_log_records_it() {
    let World { m, .. } = world(MessengerConfig {
        limits: messenger_core::Limits {
            pins_per_room: 2,
            ..Default::default()
        },
        ..MessengerConfig::default()
    });
    let (ada, bob, eve, moe) = (
        user(&m, "ada").await,
        user(&m, "bob").await,
        user(&m, "eve").await,
        user(&m, "moe").await,
    );
    make(&m, "moe", Role::Moderator).await;
    make(&m, "eve", Role::Admin).await;
    let r = NewRoom {
        name: RoomName::parse("plans", &m.config().limits).unwrap(),
        title: RoomTitle::parse("Plans").unwrap(),
        topic: RoomTopic::parse("").unwrap(),
        private: true,
    };
    let room = m.create_room(Some(&ada), r, &[]).await.unwrap().name;
    m.add_member(&ada, &room, &name(&m, "bob")).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(say(&m, &bob, &room, &format!("plan {i}")).await.unwrap());
    }
    let e = m.pin(&bob, &room, ids[0], true).await.unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::Forbidden,
        "a member who does not own the room"
    );
    let e = m.pin(&eve, &room, ids[0], true).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "an outsider, even an admin");
    assert_eq!(
        m.pins(&eve, &room).await.unwrap_err().code(),
        ErrorCode::NotFound
    );

    let pinned = m.pin(&ada, &room, ids[0], true).await.unwrap();
    assert_eq!(pinned.pinned.as_ref().unwrap().by, ada);
    // Moderators pin in rooms they do not own (they must be able to read it).
    m.add_member(&ada, &room, &name(&m, "moe")).await.unwrap();
    m.pin(&moe, &room, ids[1], true).await.unwrap();
    let e = m.pin(&ada, &room, ids[2], true).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    let listed: Vec<_> = m
        .pins(&bob, &room)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(listed, [ids[1], ids[0]]);
    m.pin(&ada, &room, ids[1], false).await.unwrap();

    let log = m.moderation_log(&eve, None, 10).await.unwrap();
    let kinds: Vec<_> = log.iter().map(|e| format!("{:?}", e.kind)).collect();
    assert!(kinds[0].starts_with("UnpinMessage"), "{kinds:?}");
    assert!(kinds[1].starts_with("PinMessage") && kinds[2].starts_with("PinMessage"));

    // A direct conversation belongs to its two people alike.
    let dm = m
        .open_direct(&bob, &name(&m, "eve"))
        .await
        .unwrap()
        .room
        .name;
    let id = say(&m, &eve, &dm, "hi bob").await.unwrap();
    m.pin(&bob, &dm, id, true).await.unwrap();
}
