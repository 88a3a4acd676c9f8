//! The service's rules, over the in-memory store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use messenger_core::testing::ManualClock;
use messenger_core::{
    ClientId, Delivery, ErrorCode, EventKind, FailureLimit, HashingCost, HistoryQuery,
    LocalBroadcast, MemoryStore, MessageBody, MessageId, Messenger, MessengerConfig, Password,
    Revocation, RoomName, SessionOptions, User, Username,
};

fn config() -> MessengerConfig {
    MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        rooms: vec!["general".into(), "random".into()],
        ..MessengerConfig::default()
    }
}

fn messenger_with(config: MessengerConfig) -> Messenger {
    Messenger::builder()
        .config(config)
        .store(Arc::new(MemoryStore::new()))
        .build()
        .unwrap()
}

fn messenger() -> Messenger {
    messenger_with(config())
}

fn uname(m: &Messenger, s: &str) -> Username {
    Username::parse(s, &m.config().limits).unwrap()
}

fn pw(m: &Messenger, s: &str) -> Password {
    Password::parse(s, &m.config().limits).unwrap()
}

fn body(m: &Messenger, s: &str) -> MessageBody {
    MessageBody::parse(s, &m.config().limits).unwrap()
}

fn cid(m: &Messenger, s: &str) -> ClientId {
    ClientId::parse(s, &m.config().limits).unwrap()
}

async fn user(m: &Messenger, name: &str) -> User {
    m.register(uname(m, name), pw(m, "password123"))
        .await
        .unwrap()
}

#[tokio::test]
async fn register_login_authenticate() {
    let m = messenger();
    let ada = user(&m, "Ada").await;
    assert_eq!(ada.username.as_str(), "Ada");
    let login = m
        .login(&uname(&m, "ada"), &pw(&m, "password123"), false)
        .await
        .unwrap();
    assert_eq!(
        login.session.user, ada,
        "login is case-insensitive on the name"
    );
    let session = m.authenticate(&login.token).await.unwrap();
    assert_eq!(session.user, ada);
    assert!(!session.record.remember);
}

#[tokio::test]
async fn usernames_are_unique_in_any_case() {
    let m = messenger();
    user(&m, "Alice").await;
    let err = m
        .register(uname(&m, "ALICE"), pw(&m, "password123"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
}

#[tokio::test]
async fn lookalikes_of_taken_names_are_refused() {
    let m = messenger();
    user(&m, "alice").await;
    user(&m, "mallory").await;
    for lookalike in ["aIice", "AIice", "rnallory"] {
        let e = m
            .register(uname(&m, lookalike), pw(&m, "password123"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Conflict, "{lookalike}");
        assert!(e.to_string().contains("too much like"), "{e}");
    }
    user(&m, "alina").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let m = messenger();
    user(&m, "bob").await;
    let wrong = m
        .login(&uname(&m, "bob"), &pw(&m, "wrong-password"), false)
        .await
        .unwrap_err();
    let unknown = m
        .login(&uname(&m, "nobody"), &pw(&m, "password123"), false)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::Unauthorized);
    assert_eq!(unknown.code(), ErrorCode::Unauthorized);
    assert_eq!(wrong.to_string(), unknown.to_string());
}

/// OWASP's device cookies: a stranger's failures lock out strangers (the
/// right password included), never a browser that logged in before.
#[tokio::test]
async fn strangers_failed_logins_do_not_lock_out_the_owners_devices() {
    let m = messenger_with(MessengerConfig {
        login_failures_per_user: FailureLimit {
            max: 3,
            window: Duration::from_secs(60),
        },
        ..config()
    });
    user(&m, "carol").await;
    user(&m, "mallory").await;
    let with_device = |device: Option<messenger_core::DeviceToken>| SessionOptions {
        device,
        ..SessionOptions::default()
    };
    let carols = m
        .login_with(
            &uname(&m, "carol"),
            &pw(&m, "password123"),
            with_device(None),
        )
        .await
        .unwrap()
        .device
        .expect("a password login leaves a device token");
    // A stranger guesses until the account is locked for strangers.
    for _ in 0..3 {
        let e = m
            .login(&uname(&m, "carol"), &pw(&m, "guess-guess"), false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
    }
    let held = m
        .login(&uname(&m, "carol"), &pw(&m, "password123"), false)
        .await
        .unwrap_err();
    assert_eq!(
        held.code(),
        ErrorCode::RateLimited,
        "untrusted clients are held"
    );
    // Carol's browser still gets in, and gets a new token.
    let again = m
        .login_with(
            &uname(&m, "carol"),
            &pw(&m, "password123"),
            with_device(Some(carols.clone())),
        )
        .await
        .expect("the owner's device is not locked out");
    assert!(again.device.is_some());
    // Another user's token, or a forged one, counts as no token.
    let mallorys = m
        .login_with(
            &uname(&m, "mallory"),
            &pw(&m, "password123"),
            with_device(None),
        )
        .await
        .unwrap()
        .device
        .unwrap();
    let forged = messenger_core::DeviceToken::parse(&format!("{}A", carols.as_str())).unwrap();
    for token in [mallorys, forged] {
        let e = m
            .login_with(
                &uname(&m, "carol"),
                &pw(&m, "password123"),
                with_device(Some(token)),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::RateLimited);
    }
    // A device that guesses wrong is locked out on its own.
    for _ in 0..3 {
        m.login_with(
            &uname(&m, "carol"),
            &pw(&m, "wrong-wrong"),
            with_device(Some(carols.clone())),
        )
        .await
        .unwrap_err();
    }
    let e = m
        .login_with(
            &uname(&m, "carol"),
            &pw(&m, "password123"),
            with_device(Some(carols)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    m.login_with(
        &uname(&m, "carol"),
        &pw(&m, "password123"),
        with_device(Some(again.device.unwrap())),
    )
    .await
    .expect("the owner's other device still gets in");
}

#[tokio::test]
async fn failed_logins_are_limited_per_username_but_successes_are_not() {
    let m = messenger_with(MessengerConfig {
        login_failures_per_user: FailureLimit {
            max: 3,
            window: Duration::from_secs(60),
        },
        ..config()
    });
    user(&m, "carl").await;
    for _ in 0..5 {
        m.login(&uname(&m, "carl"), &pw(&m, "password123"), false)
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let e = m
            .login(&uname(&m, "CARL"), &pw(&m, "bad-password"), false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
    }
    let e = m
        .login(&uname(&m, "carl"), &pw(&m, "password123"), false)
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::RateLimited,
        "even the right password waits"
    );
    user(&m, "dora").await;
    m.login(&uname(&m, "dora"), &pw(&m, "password123"), false)
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_expire_absolutely_and_when_idle() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let cfg = config();
    let policy = cfg.sessions.clone();
    let m = Messenger::builder()
        .config(cfg)
        .store(Arc::new(MemoryStore::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    user(&m, "erin").await;
    let short = m
        .login(&uname(&m, "erin"), &pw(&m, "password123"), false)
        .await
        .unwrap();
    let long = m
        .login(&uname(&m, "erin"), &pw(&m, "password123"), true)
        .await
        .unwrap();
    assert_eq!(
        long.session.record.expires_at - long.session.record.created_at,
        chrono::TimeDelta::from_std(policy.remember_lifetime).unwrap()
    );

    clock.advance(policy.short_lifetime + Duration::from_secs(1));
    assert_eq!(
        m.authenticate(&short.token).await.unwrap_err().code(),
        ErrorCode::Unauthorized
    );
    m.authenticate(&long.token)
        .await
        .expect("remember-me outlives a short session");

    // Used now, then idle past the idle timeout.
    clock.advance(policy.idle_timeout + Duration::from_secs(1));
    assert_eq!(
        m.authenticate(&long.token).await.unwrap_err().code(),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn use_keeps_a_session_from_going_idle() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    ));
    let cfg = config();
    let idle = cfg.sessions.idle_timeout;
    let m = Messenger::builder()
        .config(cfg)
        .store(Arc::new(MemoryStore::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    user(&m, "fay").await;
    let login = m
        .login(&uname(&m, "fay"), &pw(&m, "password123"), true)
        .await
        .unwrap();
    for _ in 0..3 {
        clock.advance(idle / 2);
        m.authenticate(&login.token).await.unwrap();
    }
}

#[tokio::test]
async fn logout_revokes_and_signals() {
    let m = messenger();
    user(&m, "gus").await;
    let a = m
        .login(&uname(&m, "gus"), &pw(&m, "password123"), false)
        .await
        .unwrap();
    let b = m
        .login(&uname(&m, "gus"), &pw(&m, "password123"), false)
        .await
        .unwrap();
    let mut revoked = m.revocations();
    m.logout(&a.session).await.unwrap();
    let r = revoked.recv().await.unwrap();
    assert!(r.applies_to(&a.session) && !r.applies_to(&b.session));
    assert_eq!(
        m.authenticate(&a.token).await.unwrap_err().code(),
        ErrorCode::Unauthorized
    );
    m.authenticate(&b.token).await.unwrap();

    assert_eq!(m.logout_everywhere(b.session.user.id).await.unwrap(), 1);
    assert_eq!(
        revoked.recv().await.unwrap(),
        Revocation::User(b.session.user.id)
    );
    assert_eq!(
        m.authenticate(&b.token).await.unwrap_err().code(),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn post_stores_then_history_returns_it() {
    let m = messenger();
    let u = user(&m, "hank").await;
    let general = RoomName::general();
    let p = m
        .post(&u, &general, body(&m, " hi "), cid(&m, "1"))
        .await
        .unwrap();
    assert!(p.created);
    assert_eq!(p.message.id, MessageId(1));
    assert_eq!(p.message.body.as_str(), "hi");
    let h = m
        .history(&u, &general, HistoryQuery::latest(50))
        .await
        .unwrap();
    assert_eq!(h, vec![p.message]);
}

#[tokio::test]
async fn repeated_client_id_is_a_safe_retry() {
    let m = messenger();
    let u = user(&m, "ivy").await;
    let general = RoomName::general();
    let mut joined = m.join(&general, &u).await.unwrap();
    let first = m
        .post(&u, &general, body(&m, "once"), cid(&m, "x"))
        .await
        .unwrap();
    let again = m
        .post(&u, &general, body(&m, "once"), cid(&m, "x"))
        .await
        .unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.message, again.message);
    assert_eq!(
        m.history(&u, &general, HistoryQuery::latest(50))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        m.find_posted(u.id, &cid(&m, "x")).await.unwrap(),
        Some(first.message)
    );

    // Only one message event was broadcast.
    let next = m
        .post(&u, &general, body(&m, "twice"), cid(&m, "y"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        if let Some(Delivery::Event(e)) = joined.subscription.next().await
            && let EventKind::Message(msg) = e.kind()
        {
            seen.push(msg.id);
        }
    }
    assert_eq!(seen, [MessageId(1), next.message.id]);
}

#[tokio::test]
async fn unknown_rooms_and_bad_limits_are_refused() {
    let m = messenger();
    let u = user(&m, "jay").await;
    let nowhere = RoomName::parse("nowhere", &m.config().limits).unwrap();
    let e = m
        .post(&u, &nowhere, body(&m, "x"), cid(&m, "1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(
        m.room_for("nowhere", &u).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        m.room_for("Bad Name", &u).await.unwrap_err().code(),
        ErrorCode::Invalid
    );
    assert_eq!(m.room_for("random", &u).await.unwrap().as_str(), "random");
    let general = RoomName::general();
    for limit in [0, 201] {
        let e = m
            .history(&u, &general, HistoryQuery::latest(limit))
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid);
    }
    m.history(&u, &general, HistoryQuery::latest(200))
        .await
        .unwrap();
    assert_eq!(m.configured_rooms()[0].as_str(), "general");
}

#[tokio::test]
async fn sending_is_rate_limited_per_user() {
    let m = messenger_with(MessengerConfig {
        send_rate: MessengerConfig::default().send_rate,
        ..config()
    });
    let a = user(&m, "kim").await;
    let b = user(&m, "lou").await;
    let general = RoomName::general();
    let mut limited = None;
    for i in 0..40 {
        if let Err(e) = m
            .post(&a, &general, body(&m, "spam"), cid(&m, &i.to_string()))
            .await
        {
            limited = Some((i, e));
            break;
        }
    }
    let (i, e) = limited.expect("the limit applies");
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(i >= 30, "the burst of 30 passes, got {i}");
    m.post(&b, &general, body(&m, "me too"), cid(&m, "b1"))
        .await
        .expect("others are unaffected");
}

/// 32 tasks post 100 messages each while 4 subscribers listen: each sees
/// all 3,200 in strictly increasing id order, no gaps, no duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_arrive_in_id_order_for_everyone() {
    let m = messenger_with(MessengerConfig {
        broadcast_capacity: 8192,
        ..config()
    });
    let general = RoomName::general();
    let listener = user(&m, "listener").await;
    let mut subscribers = Vec::new();
    for _ in 0..4 {
        let mut joined = m.join(&general, &listener).await.unwrap();
        subscribers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while ids.len() < 3200 {
                match joined.subscription.next().await.expect("stream open") {
                    Delivery::Event(e) => {
                        if let EventKind::Message(msg) = e.kind() {
                            ids.push(msg.id.0);
                        }
                    }
                    Delivery::Lagged { missed } => panic!("lagged by {missed}"),
                }
            }
            ids
        }));
    }
    let mut posters = Vec::new();
    for t in 0..32 {
        let m = m.clone();
        let general = general.clone();
        let u = user(&m, &format!("poster{t}")).await;
        posters.push(tokio::spawn(async move {
            for i in 0..100 {
                let b = MessageBody::parse(&format!("{t}/{i}"), &m.config().limits).unwrap();
                let c = ClientId::parse(&format!("{t}-{i}"), &m.config().limits).unwrap();
                m.post(&u, &general, b, c).await.unwrap();
            }
        }));
    }
    for p in posters {
        p.await.unwrap();
    }
    for s in subscribers {
        let ids = s.await.unwrap();
        assert_eq!(ids, (1..=3200).collect::<Vec<u64>>());
    }
}

/// A subscriber that never reads is told it lagged, and the room buffers
/// at most its capacity meanwhile.
#[tokio::test]
async fn a_stalled_subscriber_gets_lagged_and_memory_stays_bounded() {
    let broadcast = Arc::new(LocalBroadcast::new(64));
    let m = Messenger::builder()
        .config(config())
        .store(Arc::new(MemoryStore::new()))
        .broadcast(broadcast.clone())
        .build()
        .unwrap();
    let u = user(&m, "slow").await;
    let general = RoomName::general();
    let mut joined = m.join(&general, &u).await.unwrap();
    for i in 0..1000 {
        m.post(&u, &general, body(&m, "x"), cid(&m, &i.to_string()))
            .await
            .unwrap();
        assert!(broadcast.buffered(&general) <= 64);
    }
    let mut missed_total = 0;
    let mut ids = Vec::new();
    while ids.last() != Some(&1000) {
        match tokio::time::timeout(Duration::from_secs(5), joined.subscription.next())
            .await
            .unwrap()
        {
            Some(Delivery::Lagged { missed }) => missed_total += missed,
            Some(Delivery::Event(e)) => {
                if let EventKind::Message(msg) = e.kind() {
                    ids.push(msg.id.0);
                }
            }
            None => panic!("stream ended"),
        }
    }
    assert!(missed_total >= 900, "missed {missed_total}");
    assert!(
        ids.len() <= 64,
        "only what the ring held is delivered: {}",
        ids.len()
    );
    assert!(
        ids.windows(2).all(|w| w[0] + 1 == w[1]),
        "the tail arrives in order"
    );
}

#[tokio::test(start_paused = true)]
async fn presence_counts_users_and_coalesces_diffs() {
    let m = messenger();
    let general = RoomName::general();
    let watcher = user(&m, "watcher").await;
    let mut w = m.join(&general, &watcher).await.unwrap();
    assert_eq!(w.online, vec![watcher.clone()]);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A crowd arrives at once, one of them in two tabs. (Signed up first:
    // the paused clock jumps ahead while a password hash is awaited.)
    let mut crowd = Vec::new();
    for i in 0..20 {
        crowd.push(user(&m, &format!("crowd{i}")).await);
    }
    let mut guards = Vec::new();
    for u in &crowd {
        guards.push(m.join(&general, u).await.unwrap());
    }
    let second_tab = m.join(&general, &crowd[0]).await.unwrap();
    assert_eq!(m.online(&general, &crowd[1]).await.unwrap().len(), 21);

    let mut diffs = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(Delivery::Event(e))) =
        tokio::time::timeout_at(deadline, w.subscription.next()).await
    {
        if let EventKind::PresenceDiff { joined, left, .. } = e.kind() {
            diffs.push((joined.clone(), left.clone()));
        }
    }
    assert!(diffs.len() <= 3, "coalesced, got {} diffs", diffs.len());
    let joined: HashSet<_> = diffs
        .iter()
        .flat_map(|(j, _)| j.iter().map(|u| u.id))
        .collect();
    assert!(crowd.iter().all(|u| joined.contains(&u.id)));

    // Closing one of two tabs keeps the user online; closing both does not.
    drop(second_tab);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(m.online(&general, &crowd[1]).await.unwrap().len(), 21);
    let first_guard = guards.remove(0);
    first_guard.presence.leave().await.unwrap();
    assert_eq!(m.online(&general, &crowd[1]).await.unwrap().len(), 20);
    let left = loop {
        match tokio::time::timeout(Duration::from_secs(3), w.subscription.next())
            .await
            .unwrap()
        {
            Some(Delivery::Event(e)) => {
                if let EventKind::PresenceDiff { left, .. } = e.kind() {
                    break left.clone();
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(left, vec![crowd[0].clone()]);
}

#[tokio::test(start_paused = true)]
async fn typing_is_throttled_per_user_and_room() {
    let m = messenger();
    let u = user(&m, "typist").await;
    let general = RoomName::general();
    let random = RoomName::parse("random", &m.config().limits).unwrap();
    assert!(m.typing(&general, &u).await.unwrap());
    assert!(!m.typing(&general, &u).await.unwrap());
    assert!(m.typing(&random, &u).await.unwrap(), "per room");
    tokio::time::advance(Duration::from_millis(2100)).await;
    assert!(m.typing(&general, &u).await.unwrap());
}

fn host(m: &Messenger, external_id: &str, name: &str) -> messenger_core::HostIdentity {
    messenger_core::HostIdentity {
        external_id: messenger_core::ExternalId::parse(external_id).unwrap(),
        username: uname(m, name),
    }
}

#[tokio::test]
async fn host_users_chat_with_sessions_the_host_opens_and_never_log_in_by_password() {
    let m = messenger();
    let ada = m.host_user(&host(&m, "u-1", "ada")).await.unwrap();
    assert_eq!(m.host_user(&host(&m, "u-1", "ada")).await.unwrap(), ada);

    // The host opens a chat session; it authenticates like a login's.
    let opened = m.open_session(ada.clone(), true).await.unwrap();
    assert!(opened.session.record.remember);
    let session = m.authenticate(&opened.token).await.unwrap();
    assert_eq!(session.user, ada);

    // No password was ever set: every password is wrong, and says so like
    // an unknown name.
    let err = m
        .login(&uname(&m, "ada"), &pw(&m, "password123"), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);

    // Registered names and host names are one namespace.
    user(&m, "bob").await;
    let err = m.host_user(&host(&m, "u-2", "BOB")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    let err = m
        .register(uname(&m, "ADA"), pw(&m, "password123"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);

    // The host renames: same user, new name, its messages follow.
    m.post(&ada, &RoomName::general(), body(&m, "hi"), cid(&m, "c1"))
        .await
        .unwrap();
    let renamed = m.host_user(&host(&m, "u-1", "ada.l")).await.unwrap();
    assert_eq!(renamed.id, ada.id);
    let page = m
        .history(&renamed, &RoomName::general(), HistoryQuery::latest(5))
        .await
        .unwrap();
    assert_eq!(page[0].author.username.as_str(), "ada.l");
}

/// Every action that reaches other people has its own per-user bucket:
/// edits, deletes, new rooms, added members, direct conversations.
#[tokio::test]
async fn edits_deletes_reactions_rooms_members_and_direct_conversations_are_rate_limited_per_user()
{
    let two = Some(messenger_core::RateQuota {
        burst: std::num::NonZeroU32::new(2).unwrap(),
        period: Duration::from_secs(3600),
    });
    let m = messenger_with(MessengerConfig {
        actions: messenger_core::ActionLimits {
            edit: two,
            delete: two,
            create_room: two,
            add_member: two,
            open_direct: two,
            react: two,
            pin: two,
        },
        ..config()
    });
    let (kim, lou) = (user(&m, "kim").await, user(&m, "lou").await);
    for n in ["amy", "bob", "cat"] {
        user(&m, n).await;
    }
    let general = RoomName::general();
    fn limited<T>(r: messenger_core::Result<T>) {
        match r {
            Err(e) => assert_eq!(e.code(), ErrorCode::RateLimited, "{e}"),
            Ok(_) => panic!("the third one passed"),
        }
    }
    let mut ids = Vec::new();
    for i in 0..4 {
        let posted = m
            .post(&kim, &general, body(&m, "hello"), cid(&m, &format!("k{i}")))
            .await
            .unwrap();
        ids.push(posted.message.id);
    }
    for _ in 0..2 {
        m.edit_message(&kim, &general, ids[0], body(&m, "again"))
            .await
            .unwrap();
    }
    limited(
        m.edit_message(&kim, &general, ids[0], body(&m, "spam"))
            .await,
    );
    for id in &ids[1..3] {
        m.delete_message(&kim, &general, *id, Default::default())
            .await
            .unwrap();
    }
    limited(
        m.delete_message(&kim, &general, ids[3], Default::default())
            .await,
    );
    let new = |n: &str| messenger_core::NewRoom {
        name: RoomName::parse(n, &m.config().limits).unwrap(),
        title: messenger_core::RoomTitle::parse(n).unwrap(),
        topic: messenger_core::RoomTopic::parse("").unwrap(),
        private: true,
    };
    let room = m
        .create_room(Some(&kim), new("r1"), &[])
        .await
        .unwrap()
        .name;
    m.create_room(Some(&kim), new("r2"), &[]).await.unwrap();
    limited(m.create_room(Some(&kim), new("r3"), &[]).await);
    m.create_room(None, new("host-made"), &[kim.id])
        .await
        .expect("host code is not limited");
    m.add_member(&kim, &room, &uname(&m, "amy")).await.unwrap();
    m.add_member(&kim, &room, &uname(&m, "bob")).await.unwrap();
    limited(m.add_member(&kim, &room, &uname(&m, "cat")).await);
    m.open_direct(&kim, &uname(&m, "amy")).await.unwrap();
    m.open_direct(&kim, &uname(&m, "bob")).await.unwrap();
    limited(m.open_direct(&kim, &uname(&m, "cat")).await);

    let key = |k: &str| messenger_core::ReactionKey::parse(k, &m.config().limits).unwrap();
    m.react(&kim, &general, ids[0], key("👍"), true)
        .await
        .unwrap();
    m.react(&kim, &general, ids[0], key("👍"), false)
        .await
        .unwrap();
    limited(m.react(&kim, &general, ids[0], key("🎉"), true).await);

    // Each bucket is the user's own.
    m.create_room(Some(&lou), new("lous"), &[]).await.unwrap();
    m.open_direct(&lou, &uname(&m, "cat")).await.unwrap();
    m.edit_message(&kim, &general, ids[0], body(&m, "still limited"))
        .await
        .unwrap_err();
}
