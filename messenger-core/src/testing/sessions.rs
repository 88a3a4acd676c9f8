//! Conformance cases: sessions.

use super::*;

pub async fn sessions_round_trip(s: Stores) {
    let u = s.users.create_user(&name("sam"), "h", t(0)).await.unwrap();
    let mut rec = session(u.id, 0, 100);
    rec.remember = true;
    s.sessions.create_session(&rec).await.unwrap();
    assert_eq!(
        s.sessions.find_session(&rec.token_hash).await.unwrap(),
        Some(rec.clone())
    );

    s.sessions
        .touch_session(&rec.token_hash, t(50))
        .await
        .unwrap();
    let touched = s
        .sessions
        .find_session(&rec.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, t(50));
    assert_eq!(touched.expires_at, rec.expires_at);

    assert!(s.sessions.delete_session(&rec.token_hash).await.unwrap());
    assert!(!s.sessions.delete_session(&rec.token_hash).await.unwrap());
    assert_eq!(
        s.sessions.find_session(&rec.token_hash).await.unwrap(),
        None
    );
    let unknown = SessionToken::generate().hash();
    assert_eq!(s.sessions.find_session(&unknown).await.unwrap(), None);
}

pub async fn deleting_a_users_sessions_spares_others(s: Stores) {
    let a = s.users.create_user(&name("amy"), "h", t(0)).await.unwrap();
    let b = s.users.create_user(&name("ben"), "h", t(0)).await.unwrap();
    let (a1, a2, b1) = (
        session(a.id, 0, 100),
        session(a.id, 0, 100),
        session(b.id, 0, 100),
    );
    for r in [&a1, &a2, &b1] {
        s.sessions.create_session(r).await.unwrap();
    }
    assert_eq!(s.sessions.delete_user_sessions(a.id).await.unwrap(), 2);
    assert_eq!(s.sessions.find_session(&a1.token_hash).await.unwrap(), None);
    assert_eq!(s.sessions.find_session(&a2.token_hash).await.unwrap(), None);
    assert!(
        s.sessions
            .find_session(&b1.token_hash)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn expired_sessions_are_purged(s: Stores) {
    let u = s.users.create_user(&name("eve"), "h", t(0)).await.unwrap();
    let past_absolute = session(u.id, 0, 10);
    let idle = session(u.id, 0, 1_000);
    let mut fresh = session(u.id, 0, 1_000);
    fresh.last_seen_at = t(90);
    for r in [&past_absolute, &idle, &fresh] {
        s.sessions.create_session(r).await.unwrap();
    }
    // At t=100, sessions unused since before t=50 are idle.
    let purged = s
        .sessions
        .delete_expired_sessions(t(100), t(50))
        .await
        .unwrap();
    assert_eq!(purged, 2);
    assert!(
        s.sessions
            .find_session(&fresh.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.sessions.find_session(&idle.token_hash).await.unwrap(),
        None
    );
}

pub async fn sessions_are_listed_per_user_with_their_agent(s: Stores) {
    let a = s.users.create_user(&name("ann"), "h", t(0)).await.unwrap();
    let b = s.users.create_user(&name("bob"), "h", t(0)).await.unwrap();
    let mut old = session(a.id, 1, 100);
    old.user_agent = Some("Firefox/140 “on” Linux".into());
    let new = session(a.id, 5, 100);
    let other = session(b.id, 3, 100);
    for r in [&old, &new, &other] {
        s.sessions.create_session(r).await.unwrap();
    }
    assert_eq!(
        s.sessions.user_sessions(a.id).await.unwrap(),
        vec![new.clone(), old.clone()],
        "newest first, the agent kept exactly"
    );
    assert_eq!(s.sessions.user_sessions(b.id).await.unwrap(), vec![other]);
    s.sessions.delete_session(&new.token_hash).await.unwrap();
    assert_eq!(s.sessions.user_sessions(a.id).await.unwrap(), vec![old]);
}
