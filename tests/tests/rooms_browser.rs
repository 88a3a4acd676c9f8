//! Rooms in real headless Chromium against the real binary: a private room
//! two people make and talk in, a third who cannot find or open it, and a
//! direct message whose unread badge appears live and clears when read.

use messenger_e2e::App;
use messenger_e2e::chromium::*;
use serde_json::json;

async fn badge(c: &Client, room_css: &str) -> serde_json::Value {
    c.execute(
        "const a = document.querySelector(arguments[0]); if (!a) return null; \
         const b = a.querySelector('.room-unread'); \
         return b.classList.contains('is-empty') ? '' : b.textContent;",
        vec![json!(room_css)],
    )
    .await
    .unwrap()
}

/// Waits until a Bootstrap dialog has finished opening (the focus is in it).
async fn shown(c: &Client, id: &str) {
    wait_until(
        c,
        &format!(
            "const d = document.getElementById('{id}'); return d.classList.contains('show') && d.contains(document.activeElement)"
        ),
        id,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_private_room_a_stranger_cannot_see_and_a_dm_badge_that_clears_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 1280, 860).await;
    let eve = driver.browser(&dir.path().join("eve"), 1280, 860).await;
    register(&ada, &app, "ada").await;
    register(&bob, &app, "bob").await;
    register(&eve, &app, "eve").await;

    // Ada makes a private room from the dialog.
    click(&ada, "button[data-bs-target='#new-room-dialog']").await;
    shown(&ada, "new-room-dialog").await;
    assert_accessible(&ada, "the new room dialog").await;
    fill(&ada, "#new-room-title", "Secret plans").await;
    assert_eq!(
        ada.execute(
            "return document.getElementById('new-room-name').value",
            vec![]
        )
        .await
        .unwrap(),
        json!("secret-plans"),
        "the address follows the title"
    );
    fill(&ada, "#new-room-topic", "Only for us").await;
    click(&ada, "#new-room-private").await;
    click(&ada, "#new-room-form button[type=submit]").await;
    wait_until(
        &ada,
        "return location.pathname === '/chat/secret-plans' && document.getElementById('room-title').textContent === '# Secret plans'",
        "ada in her new room",
    )
    .await;
    wait_until(
        &ada,
        "return !!document.querySelector('#rooms-private a[data-room=secret-plans]')",
        "the room in ada's private list",
    )
    .await;

    // She adds bob; the room appears on bob's page at once.
    click(&ada, "#members-button").await;
    shown(&ada, "members-dialog").await;
    fill(&ada, "#add-member-name", "bob").await;
    click(&ada, "#add-member-form button[type=submit]").await;
    wait_until(
        &ada,
        "return Array.from(document.querySelectorAll('#members-list li')).some(li => li.textContent.startsWith('bob'))",
        "bob among the members",
    )
    .await;
    assert_accessible(&ada, "the members dialog of a private room").await;
    click(&ada, "#members-dialog .btn-close").await;
    wait_until(
        &bob,
        "return !!document.querySelector('#rooms-private a[data-room=secret-plans]')",
        "the room on bob's page",
    )
    .await;
    click(&bob, "#rooms-private a[data-room=secret-plans]").await;
    wait_until(
        &bob,
        "return location.pathname === '/chat/secret-plans'",
        "bob in the room",
    )
    .await;
    wait_online(&bob).await;

    // They talk; a mention is highlighted for bob.
    say(&ada, "@bob the plan is ready").await;
    wait_for_message(&bob, "@bob the plan is ready").await;
    assert_eq!(
        bob.execute(
            "return document.querySelector('#message-list mark.mention-me')?.textContent",
            vec![]
        )
        .await
        .unwrap(),
        json!("@bob")
    );
    say(&bob, "Great, let's go").await;
    wait_for_message(&ada, "Great, let's go").await;

    // Eve cannot find it, and its address is a 404.
    click(&eve, "button[data-bs-target='#browse-dialog']").await;
    shown(&eve, "browse-dialog").await;
    wait_until(
        &eve,
        "return document.querySelectorAll('#directory-list li').length >= 1",
        "the directory",
    )
    .await;
    assert_accessible(&eve, "the browse dialog").await;
    let listed = eve
        .execute(
            "return document.getElementById('directory-list').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(listed.as_str().unwrap().contains("general"));
    assert!(!listed.as_str().unwrap().contains("Secret"), "{listed}");
    let r = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = r
        .post(app.url("/api/login"))
        .json(&json!({ "username": "eve", "password": "browser-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let page = r.get(app.url("/chat/secret-plans")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    eve.goto(&app.url("/chat/secret-plans")).await.unwrap();
    let text = eve
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("no such room"), "{text}");
    assert!(!text.contains("Great, let's go"));

    // A DM from a name: ada selects bob in the online list.
    wait_until(
        &ada,
        "return Array.from(document.querySelectorAll('#online-list .user-link')).some(b => b.textContent === 'bob')",
        "bob online in the room",
    )
    .await;
    ada.execute(
        "Array.from(document.querySelectorAll('#online-list .user-link')).find(b => b.textContent === 'bob').click(); return true;",
        vec![],
    )
    .await
    .unwrap();
    wait_until(
        &ada,
        "return location.pathname.startsWith('/chat/dm-')",
        "the DM to open",
    )
    .await;
    let dm = ada
        .execute("return location.pathname.slice('/chat/'.length)", vec![])
        .await
        .unwrap();
    let dm = dm.as_str().unwrap().to_owned();
    wait_until(
        &ada,
        "return document.getElementById('room-title').textContent === '@ bob'",
        "the DM's title",
    )
    .await;
    wait_online(&ada).await;
    say(&ada, "psst, just you and me").await;
    wait_for_message(&ada, "psst, just you and me").await;

    // Bob, still in the private room, gets the DM with an unread badge, live.
    let link = format!("#rooms-direct a[data-room='{dm}']");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while badge(&bob, &link).await != json!("1") {
        assert!(
            std::time::Instant::now() < deadline,
            "no unread badge on bob's DM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The badge sits in a slot of its own: the label does not move.
    let label_x = "return document.querySelector(arguments[0] + ' .room-label').getBoundingClientRect().width";
    let with_badge = bob.execute(label_x, vec![json!(link)]).await.unwrap();
    assert_accessible(&bob, "a private room with a mention and a DM badge").await;
    std::fs::write(
        screenshots().join("rooms-sidebar.png"),
        bob.screenshot().await.unwrap(),
    )
    .unwrap();

    // A second device of bob's shows it too, and clears when he reads.
    let bob_phone = driver
        .browser(&dir.path().join("bob-phone"), 375, 812)
        .await;
    bob_phone.goto(&app.url("/login")).await.unwrap();
    fill(&bob_phone, "#username", "bob").await;
    fill(&bob_phone, "#password", "browser-password").await;
    click(&bob_phone, "form[action='/login'] button[type=submit]").await;
    wait_online(&bob_phone).await;
    wait_until(
        &bob_phone,
        &format!("return !!document.querySelector(\"{link}\")"),
        "the DM on the phone",
    )
    .await;
    while badge(&bob_phone, &link).await != json!("1") {
        assert!(
            std::time::Instant::now() < deadline,
            "no badge on the phone"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        bob_phone
            .execute(
                "return document.getElementById('unread-rooms').textContent",
                vec![]
            )
            .await
            .unwrap(),
        json!("1"),
        "the phone's Rooms button counts rooms with unread messages"
    );

    click(&bob, &link).await;
    wait_for_message(&bob, "psst, just you and me").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while badge(&bob_phone, &link).await != json!("") {
        assert!(
            std::time::Instant::now() < deadline,
            "the phone's badge did not clear"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let after = bob.execute(label_x, vec![json!(link)]).await.unwrap();
    assert_eq!(with_badge, after, "no layout shift when the badge goes");

    // Reload and back work on the room URLs.
    bob.refresh().await.unwrap();
    wait_online(&bob).await;
    assert_eq!(path(&bob).await, format!("/chat/{dm}"));
    wait_for_message(&bob, "psst, just you and me").await;
    bob.back().await.unwrap();
    wait_until(
        &bob,
        "return location.pathname === '/chat/secret-plans'",
        "back to the private room",
    )
    .await;
    wait_for_message(&bob, "Great, let's go").await;

    for c in [ada, bob, eve, bob_phone] {
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn an_invite_link_brings_someone_in_and_an_archived_room_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 375, 740).await;
    register(&ada, &app, "ada").await;
    register(&bob, &app, "bob").await;
    let token = app.login("ada", "browser-password").await;
    let (status, _) = app
        .post(
            "/api/rooms",
            json!({ "name": "hideout", "title": "Hideout", "private": true }),
            &token,
        )
        .await;
    assert_eq!(status, 201);
    ada.goto(&app.url("/chat/hideout")).await.unwrap();
    wait_online(&ada).await;

    // Ada makes a single-use link in the members dialog.
    click(&ada, "#members-button").await;
    shown(&ada, "members-dialog").await;
    ada.execute("document.getElementById('invite-uses').value = '1'", vec![])
        .await
        .unwrap();
    click(&ada, "#invite-form button[type=submit]").await;
    wait_until(
        &ada,
        "return /\\/invite\\/[A-Za-z0-9_-]{22}$/.test(document.getElementById('invite-link').value) \
         && document.querySelectorAll('#invites-list li').length === 1",
        "the new link and its row",
    )
    .await;
    assert_accessible(&ada, "the members dialog with an invite link").await;
    let link = ada
        .execute(
            "return document.getElementById('invite-link').value",
            vec![],
        )
        .await
        .unwrap();
    click(&ada, "#members-dialog .btn-close").await;

    // Bob follows it on his phone: a page that asks, then the room.
    bob.goto(link.as_str().unwrap()).await.unwrap();
    wait_until(
        &bob,
        "return document.querySelector('h1')?.textContent === 'Join Hideout'",
        "the invite page",
    )
    .await;
    assert_accessible(&bob, "the invite page").await;
    click(&bob, "form[action^='/invite/'] button[type=submit]").await;
    wait_until(
        &bob,
        "return location.pathname === '/chat/hideout'",
        "bob in the room",
    )
    .await;
    wait_online(&bob).await;
    say(&bob, "Made it in").await;
    wait_for_message(&ada, "Made it in").await;

    // Ada archives it: both composers close at once, saying why.
    click(&ada, "#manage-button").await;
    shown(&ada, "manage-dialog").await;
    assert_accessible(&ada, "the manage dialog").await;
    click(&ada, "#archive-button").await;
    wait_until(
        &ada,
        "return document.getElementById('manage-status').textContent === 'The room is archived.'",
        "the archive answered",
    )
    .await;
    click(&ada, "#manage-dialog .btn-close").await;
    for c in [&ada, &bob] {
        wait_until(
            c,
            "const i = document.getElementById('message-input'); \
             return i.disabled && i.placeholder === 'This room is archived: it is read-only'",
            "a read-only composer",
        )
        .await;
    }
    assert_accessible(&bob, "an archived room on a phone").await;
    // The link was single-use: a third person finds it used up.
    let (status, body) = app
        .post(
            &format!(
                "/api/invites/{}",
                link.as_str().unwrap().rsplit('/').next().unwrap()
            ),
            json!({}),
            &app.register_and_login("cyd", "browser-password").await,
        )
        .await;
    assert_eq!(status, 404, "{body}");
}

async fn composer(c: &Client) -> serde_json::Value {
    c.execute(
        "return document.getElementById('message-input').value",
        vec![],
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_draft_stays_in_its_room_and_survives_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    register(&ada, &app, "ada").await;

    // Half a thought in #general, then a room of her own.
    fill(&ada, "#message-input", "half a thought").await;
    click(&ada, "button[data-bs-target='#new-room-dialog']").await;
    shown(&ada, "new-room-dialog").await;
    fill(&ada, "#new-room-title", "Side").await;
    click(&ada, "#new-room-form button[type=submit]").await;
    wait_until(
        &ada,
        "return location.pathname === '/chat/side'",
        "ada in her new room",
    )
    .await;
    assert_eq!(
        composer(&ada).await,
        json!(""),
        "the draft stayed in #general"
    );
    fill(&ada, "#message-input", "a side note").await;

    // Back in #general the draft is there, and after a reload too.
    click(&ada, "a[data-room=general]").await;
    wait_until(
        &ada,
        "return location.pathname === '/chat/general'",
        "back in general",
    )
    .await;
    assert_eq!(composer(&ada).await, json!("half a thought"));
    ada.refresh().await.unwrap();
    wait_for_page(&ada, "/chat/general", "#chat").await;
    wait_online(&ada).await;
    assert_eq!(composer(&ada).await, json!("half a thought"));

    // Sending it ends the draft; the other room keeps its own.
    let input = ada.find(Locator::Css("#message-input")).await.unwrap();
    input.send_keys("\u{E007}").await.unwrap();
    wait_for_message(&ada, "half a thought").await;
    click(&ada, "a[data-room=side]").await;
    wait_until(&ada, "return location.pathname === '/chat/side'", "in side").await;
    assert_eq!(composer(&ada).await, json!("a side note"));
    click(&ada, "a[data-room=general]").await;
    wait_until(
        &ada,
        "return location.pathname === '/chat/general'",
        "in general",
    )
    .await;
    assert_eq!(composer(&ada).await, json!(""), "a sent draft is gone");
}
