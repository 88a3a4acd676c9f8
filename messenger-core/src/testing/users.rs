//! Conformance cases: users, host users, listing.

use super::*;

pub async fn users_round_trip(s: Stores) {
    let ada = s
        .users
        .create_user(&name("Ada"), "$argon2id$x", t(0))
        .await
        .unwrap();
    let bob = s
        .users
        .create_user(&name("bob"), "$argon2id$y", t(1))
        .await
        .unwrap();
    assert_ne!(ada.id, bob.id, "user ids must differ");
    assert_eq!(ada.username.as_str(), "Ada");

    let found = s
        .users
        .find_user_by_name(&name("aDA"))
        .await
        .unwrap()
        .expect("found in any case");
    assert_eq!(found.user, ada);
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$x"));
    assert_eq!(found.created_at, t(0));
    assert_eq!(s.users.find_user(bob.id).await.unwrap(), Some(bob));
    assert_eq!(
        s.users.find_user_by_name(&name("carol")).await.unwrap(),
        None
    );
    assert_eq!(s.users.find_user(UserId(9_999)).await.unwrap(), None);
    s.users.health().await.unwrap();
}

pub async fn usernames_are_unique_case_insensitively(s: Stores) {
    s.users
        .create_user(&name("Alice"), "h", t(0))
        .await
        .unwrap();
    for taken in ["Alice", "alice", "ALICE"] {
        let err = s
            .users
            .create_user(&name(taken), "h", t(0))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{taken}: {err:?}");
    }
    assert!(
        s.users
            .create_user(&name("Alice2"), "h", t(0))
            .await
            .is_ok()
    );
}

pub async fn users_are_listed_and_passwords_replaced(s: Stores) {
    let mut made = Vec::new();
    for (i, n) in ["ann", "ben", "cat", "dan", "eve"].iter().enumerate() {
        made.push(
            s.users
                .create_user(&name(n), &format!("h{i}"), t(i as i64))
                .await
                .unwrap(),
        );
    }
    let first = s.users.list_users(UserId(0), 2).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.user.clone()).collect::<Vec<_>>(),
        made[..2]
    );
    assert_eq!(first[1].password_hash.as_deref(), Some("h1"));
    assert_eq!(first[1].created_at, t(1));
    let rest = s.users.list_users(first[1].user.id, 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|r| r.user.clone()).collect::<Vec<_>>(),
        made[2..]
    );
    assert!(s.users.list_users(made[4].id, 10).await.unwrap().is_empty());

    assert!(
        s.users
            .set_password_hash(made[2].id, "new-hash")
            .await
            .unwrap()
    );
    let cat = s
        .users
        .find_user_by_name(&name("cat"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cat.password_hash.as_deref(), Some("new-hash"));
    assert!(!s.users.set_password_hash(UserId(9_999), "x").await.unwrap());
}

fn external(s: &str) -> ExternalId {
    ExternalId::parse(s).expect("valid test external id")
}

pub async fn external_users_are_created_once_and_renamed(s: Stores) {
    let users = &s.users;
    assert_eq!(
        users
            .find_user_by_external_id(&external("42"))
            .await
            .unwrap(),
        None
    );
    let ada = users
        .upsert_external_user(&external("42"), &name("ada"), t(0))
        .await
        .unwrap();
    let again = users
        .upsert_external_user(&external("42"), &name("ada"), t(5))
        .await
        .unwrap();
    assert_eq!(again, ada, "the same host id is the same user");
    assert_eq!(
        users
            .find_user_by_external_id(&external("42"))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    let record = users
        .find_user_by_name(&name("ADA"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.user, ada);
    assert_eq!(record.password_hash, None, "no password: no password login");
    assert_eq!(record.created_at, t(0));

    // Posted under the old name, shown under the new one.
    let appended = s
        .messages
        .append(vec![new_message(&room("general"), &ada, "hi", "c1")])
        .await
        .unwrap();
    assert!(appended[0].created);
    let renamed = users
        .upsert_external_user(&external("42"), &name("Ada.Lovelace"), t(9))
        .await
        .unwrap();
    assert_eq!(renamed.id, ada.id);
    assert_eq!(renamed.username.as_str(), "Ada.Lovelace");
    assert_eq!(
        users.find_user(ada.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(users.find_user_by_name(&name("ada")).await.unwrap(), None);
    let page = s
        .messages
        .history(&room("general"), HistoryQuery::latest(10))
        .await
        .unwrap();
    assert_eq!(page[0].author, renamed);
    // A case-only rename is a rename of one's own name, not a clash.
    let cased = users
        .upsert_external_user(&external("42"), &name("ada.lovelace"), t(10))
        .await
        .unwrap();
    assert_eq!(cased.username.as_str(), "ada.lovelace");

    let other = users
        .upsert_external_user(&external("43"), &name("bob"), t(0))
        .await
        .unwrap();
    assert_ne!(other.id, ada.id);
}

pub async fn external_user_names_share_the_namespace(s: Stores) {
    let users = &s.users;
    let registered = users.create_user(&name("Carol"), "h", t(0)).await.unwrap();
    let err = users
        .upsert_external_user(&external("7"), &name("carol"), t(0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users
            .find_user_by_external_id(&external("7"))
            .await
            .unwrap(),
        None,
        "a refused upsert creates nothing"
    );
    let dave = users
        .upsert_external_user(&external("7"), &name("dave"), t(0))
        .await
        .unwrap();
    let err = users
        .upsert_external_user(&external("7"), &name("CAROL"), t(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users
            .find_user_by_external_id(&external("7"))
            .await
            .unwrap(),
        Some(dave),
        "a refused rename changes nothing"
    );
    let err = users
        .create_user(&name("DAVE"), "h", t(2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        users.find_user(registered.id).await.unwrap(),
        Some(registered)
    );
}

pub async fn blocks_are_one_way_and_listed(s: Stores) {
    let mut made = Vec::new();
    for n in ["ada", "Zed", "bob"] {
        made.push(s.users.create_user(&name(n), "h", t(0)).await.unwrap());
    }
    let (ada, zed, bob) = (made[0].clone(), made[1].clone(), made[2].clone());
    assert!(!s.users.blocks(ada.id, bob.id).await.unwrap());
    assert!(s.users.set_block(ada.id, zed.id, true, t(1)).await.unwrap());
    assert!(s.users.set_block(ada.id, bob.id, true, t(1)).await.unwrap());
    assert!(
        !s.users.set_block(ada.id, bob.id, true, t(2)).await.unwrap(),
        "blocking twice changes nothing"
    );
    assert!(s.users.blocks(ada.id, bob.id).await.unwrap());
    assert!(!s.users.blocks(bob.id, ada.id).await.unwrap(), "one way");
    assert_eq!(
        s.users.blocked_users(ada.id).await.unwrap(),
        [bob.clone(), zed]
    );
    assert!(s.users.blocked_users(bob.id).await.unwrap().is_empty());
    assert!(
        s.users
            .set_block(ada.id, bob.id, false, t(3))
            .await
            .unwrap()
    );
    assert!(
        !s.users
            .set_block(ada.id, bob.id, false, t(3))
            .await
            .unwrap()
    );
    assert!(!s.users.blocks(ada.id, bob.id).await.unwrap());
}

pub async fn lookalike_names_are_found_by_skeleton(s: Stores) {
    let alice = s
        .users
        .create_user(&name("alice"), "h", t(0))
        .await
        .unwrap();
    let host = s
        .users
        .upsert_external_user(&ExternalId::parse("h-1").unwrap(), &name("Mallory"), t(0))
        .await
        .unwrap();
    let find = |n: &'static str| {
        let users = s.users.clone();
        async move {
            users
                .find_user_by_skeleton(&name(n).skeleton())
                .await
                .unwrap()
        }
    };
    assert_eq!(find("aIice").await, Some(alice));
    assert_eq!(find("rnallory").await, Some(host.clone()));
    assert_eq!(find("bob").await, None);
    // A host rename moves the skeleton with the name.
    s.users
        .upsert_external_user(&ExternalId::parse("h-1").unwrap(), &name("oscar"), t(1))
        .await
        .unwrap();
    assert_eq!(find("rnallory").await, None);
    assert_eq!(find("0scar").await.map(|u| u.id), Some(host.id));
}
