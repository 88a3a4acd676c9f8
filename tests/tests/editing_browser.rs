//! The message lifecycle and moderation in real headless Chromium against
//! the real binary: an edit and a delete appear live in a second browser
//! and after its reload; a ban closes the banned user's page with the
//! reason; search finds a message and opens it in its room; the settings
//! page logs out another session.

use std::process::Command;

use messenger_e2e::App;
use messenger_e2e::binary::community_messenger;
use messenger_e2e::chromium::*;
use serde_json::json;

/// The id of the confirmed message with this exact text.
async fn message_id(c: &Client, text: &str) -> u64 {
    wait_for_message(c, text).await;
    c.execute(
        "const [t] = arguments; return Number(Array.from(document.querySelectorAll('#message-list .msg[data-id]')).find(e => e.querySelector('.msg-body').textContent === t).dataset.id);",
        vec![json!(text)],
    )
    .await
    .unwrap()
    .as_u64()
    .unwrap()
}

/// Waits until `js` (given the message id as `arguments[0]`'s element
/// `li`) holds for message `id`.
async fn wait_message(c: &Client, id: u64, js: &str, what: &str) {
    wait_until(
        c,
        &format!(
            "const li = document.querySelector('#message-list .msg[data-id=\"{id}\"]'); return Boolean(li && ({js}));"
        ),
        what,
    )
    .await;
}

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

/// Opens the menu of message `id` and picks the item that starts with `item`.
async fn menu(c: &Client, id: u64, item: &str) {
    click(
        c,
        &format!("#message-list .msg[data-id='{id}'] .msg-actions-toggle"),
    )
    .await;
    wait_until(
        c,
        &format!("return Boolean(document.querySelector('#message-list .msg[data-id=\"{id}\"] .dropdown-menu.show'))"),
        "the message menu",
    )
    .await;
    c.execute(
        "const [id, label] = arguments; Array.from(document.querySelectorAll(`#message-list .msg[data-id=\"${id}\"] .dropdown-item`)).find(b => b.textContent.startsWith(label)).click(); return true;",
        vec![json!(id), json!(item)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn an_edit_and_a_delete_appear_live_in_another_browser_and_after_its_reload() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 1280, 860).await;
    register(&ada, &app, "ada").await;
    register(&bob, &app, "bob").await;

    // Links are elements around text; markup in a message stays text.
    let linked = "docs at https://example.com/guide?x=1. <b>not bold</b>";
    say(&ada, linked).await;
    let linked_id = message_id(&bob, linked).await;
    let link = bob
        .execute(
            "const a = document.querySelector('#message-list a.msg-link'); return [a.href, a.textContent, a.rel, document.querySelectorAll('#message-list b').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        link,
        json!([
            "https://example.com/guide?x=1",
            "https://example.com/guide?x=1",
            "noopener noreferrer nofollow",
            0
        ])
    );
    say(&ada, "first draft").await;
    let draft = message_id(&bob, "first draft").await;

    // Up arrow in the empty composer edits my last message, by keyboard alone.
    message_id(&ada, "first draft").await;
    let input = ada.find(Locator::Css("#message-input")).await.unwrap();
    input.click().await.unwrap();
    input.send_keys("\u{E013}").await.unwrap(); // ArrowUp
    wait_until(
        &ada,
        "return document.activeElement?.closest('.msg-edit') !== null && document.activeElement?.value === 'first draft'",
        "the edit box with the focus",
    )
    .await;
    let edit = ada.active_element().await.unwrap();
    edit.clear().await.unwrap();
    edit.send_keys("final text, fixed").await.unwrap();
    assert_accessible(&ada, "a message being edited").await;
    edit.send_keys("\u{E007}").await.unwrap(); // Enter saves

    wait_message(
        &bob,
        draft,
        "li.querySelector('.msg-body').textContent === 'final text, fixed' && /^\\(edited \\d/.test(li.querySelector('.msg-edited')?.textContent)",
        "the edit, live, marked with its time",
    )
    .await;
    wait_message(
        &ada,
        draft,
        "li.querySelector('.msg-edited') && !li.querySelector('.msg-edit')",
        "the edit saved",
    )
    .await;
    assert_eq!(
        ada.execute("return document.activeElement.id", vec![])
            .await
            .unwrap(),
        json!("message-input"),
        "the focus returns to the composer"
    );

    // Delete from the message's menu, confirmed in a dialog.
    menu(&ada, linked_id, "Delete").await;
    shown(&ada, "delete-dialog").await;
    assert_accessible(&ada, "the delete dialog").await;
    click(&ada, "#delete-form button[type=submit]").await;
    wait_message(
        &bob,
        linked_id,
        "li.classList.contains('msg-deleted') && li.querySelector('.msg-body').textContent === 'This message was deleted.' && !li.querySelector('a.msg-link')",
        "the tombstone, live",
    )
    .await;

    // After a reload bob sees the same: the edit and the tombstone.
    bob.refresh().await.unwrap();
    wait_online(&bob).await;
    wait_message(&bob, draft, "li.querySelector('.msg-body').textContent === 'final text, fixed' && li.querySelector('.msg-edited')", "the edit after reload").await;
    wait_message(
        &bob,
        linked_id,
        "li.classList.contains('msg-deleted')",
        "the tombstone after reload",
    )
    .await;
    assert_eq!(
        bob.execute(
            "return document.body.textContent.includes('not bold')",
            vec![]
        )
        .await
        .unwrap(),
        json!(false),
        "the deleted body is gone"
    );
    // Bob may not edit or delete ada's messages: no menu for them.
    assert_eq!(
        bob.execute(&format!("return document.querySelectorAll('#message-list .msg[data-id=\"{draft}\"] .msg-actions').length"), vec![]).await.unwrap(),
        json!(0)
    );
    assert_accessible(&bob, "a log with an edited message and a tombstone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_ban_closes_the_banned_users_page_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let app = App::start(&db).await;
    let driver = Driver::start().await;
    let root = driver.browser(&dir.path().join("root"), 1280, 860).await;
    let sam = driver.browser(&dir.path().join("sam"), 1280, 860).await;
    register(&root, &app, "root").await;
    let out = Command::new(community_messenger())
        .args(["user", "role", "root", "admin", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    root.refresh().await.unwrap();
    wait_online(&root).await;
    register(&sam, &app, "sam").await;
    say(&sam, "buy cheap watches").await;
    let spam = message_id(&root, "buy cheap watches").await;

    // A moderator deletes anyone's message, with a reason.
    menu(&root, spam, "Delete message").await;
    shown(&root, "delete-dialog").await;
    fill(&root, "#delete-reason", "advertising").await;
    click(&root, "#delete-form button[type=submit]").await;
    wait_message(
        &sam,
        spam,
        "li.classList.contains('msg-deleted')",
        "the tombstone at sam's",
    )
    .await;

    // Ban from the online list's moderation dialog.
    wait_until(
        &root,
        "return Boolean(document.querySelector('.moderate-user'))",
        "sam online",
    )
    .await;
    click(&root, ".moderate-user").await;
    shown(&root, "moderate-dialog").await;
    assert_accessible(&root, "the moderation dialog").await;
    fill(&root, "#moderate-reason", "spamming the room").await;
    click(&root, "#moderate-dialog [data-action=ban]").await;
    wait_until(
        &root,
        "return document.getElementById('moderate-status').textContent.includes('banned')",
        "the ban answered",
    )
    .await;

    wait_until(
        &sam,
        "const b = document.getElementById('session-ended'); return !b.hidden && document.getElementById('session-ended-reason').textContent === 'this account is banned: spamming the room'",
        "the reason on sam's page",
    )
    .await;
    assert_eq!(
        sam.execute("return [document.getElementById('message-input').disabled, document.getElementById('chat').dataset.connection]", vec![]).await.unwrap(),
        json!([true, "offline"])
    );
    assert_accessible(&sam, "a page ended by a ban").await;
    // Logging in again is refused with the reason.
    sam.goto(&app.url("/login")).await.unwrap();
    fill(&sam, "#username", "sam").await;
    fill(&sam, "#password", "browser-password").await;
    click(&sam, "form[action='/login'] button[type=submit]").await;
    wait_until(&sam, "return document.querySelector('.alert-danger')?.textContent.includes('this account is banned: spamming the room')", "the refusal").await;

    // The admin reads both actions in the log page.
    root.goto(&app.url("/moderation")).await.unwrap();
    let rows = root
        .execute("return Array.from(document.querySelectorAll('#mod-log tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent.trim()))", vec![])
        .await
        .unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows[0].as_array().unwrap()[1..],
        [
            json!("root"),
            json!("Ban"),
            json!("sam"),
            json!(""),
            json!("spamming the room")
        ]
    );
    assert_eq!(rows[1][2], json!("Delete message"));
    assert_eq!(rows[1][5], json!("advertising"));
    assert_eq!(rows[2][1], json!("command line"));
    assert_accessible(&root, "the moderation log page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn search_finds_a_message_and_opens_it_in_its_room() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let token = app.register_and_login("poster", "poster-password").await;
    let mut ws = app.ws(&token).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    for i in 1..=90 {
        let body = if i == 7 {
            "the needle is in the haystack".to_owned()
        } else {
            format!("hay {i}")
        };
        ws.send(json!({ "type": "send", "room": "general", "body": body, "client_id": format!("c{i}") })).await;
        ws.until("message").await;
    }
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    register(&ada, &app, "ada").await;
    wait_for_message(&ada, "hay 90").await;

    click(&ada, "#search-button").await;
    shown(&ada, "search-dialog").await;
    fill(&ada, "#search-input", "NEEDLE hay").await;
    click(&ada, "#search-form button[type=submit]").await;
    wait_until(
        &ada,
        "return document.querySelectorAll('#search-results .search-hit-open').length === 1",
        "one hit",
    )
    .await;
    assert_eq!(
        ada.execute("return Array.from(document.querySelectorAll('#search-results mark.search-hit')).map(m => m.textContent)", vec![]).await.unwrap(),
        json!(["needle", "haystack"])
    );
    assert_accessible(&ada, "search results").await;
    click(&ada, "#search-results .search-hit-open").await;
    wait_until(
        &ada,
        "const t = document.querySelector('#message-list .msg-target'); return Boolean(t && t.dataset.id === '7' && document.activeElement === t)",
        "the message opened in its room, with the focus",
    )
    .await;
    assert_eq!(
        ada.execute("return [document.querySelector('#message-list .msg[data-id=\"90\"]') === null, document.getElementById('jump-latest').hidden]", vec![]).await.unwrap(),
        json!([true, false]),
        "a page around the hit, not the newest"
    );
    assert_accessible(&ada, "a message opened from search").await;
    click(&ada, "#jump-latest").await;
    wait_for_message(&ada, "hay 90").await;
    assert_eq!(
        ada.execute("return [document.querySelector('.msg-target') === null, document.getElementById('jump-latest').hidden]", vec![]).await.unwrap(),
        json!([true, true])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn the_settings_page_lists_sessions_and_logs_out_another_one() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let laptop = driver.browser(&dir.path().join("laptop"), 1280, 860).await;
    let phone = driver.browser(&dir.path().join("phone"), 375, 740).await;
    register(&laptop, &app, "ann").await;
    phone.goto(&app.url("/login")).await.unwrap();
    fill(&phone, "#username", "ann").await;
    fill(&phone, "#password", "browser-password").await;
    click(&phone, "form[action='/login'] button[type=submit]").await;
    wait_online(&phone).await;

    laptop.goto(&app.url("/settings")).await.unwrap();
    let sessions = laptop
        .execute("return Array.from(document.querySelectorAll('#session-list .session')).map(s => [s.dataset.session, s.textContent.includes('This session'), s.textContent.includes('Chrome')])", vec![])
        .await
        .unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(
        sessions.iter().all(|s| s[2] == json!(true)),
        "each with its user agent"
    );
    assert_eq!(sessions.iter().filter(|s| s[1] == json!(true)).count(), 1);
    assert_accessible(&laptop, "the settings page").await;
    let other = sessions.iter().find(|s| s[1] == json!(false)).unwrap()[0]
        .as_str()
        .unwrap()
        .to_owned();
    click(
        &laptop,
        &format!(".session[data-session='{other}'] button[type=submit]"),
    )
    .await;
    wait_until(
        &laptop,
        "return document.querySelectorAll('#session-list .session').length === 1",
        "one session left",
    )
    .await;
    // The phone's open page is logged out at once.
    wait_until(
        &phone,
        "return location.pathname === '/login'",
        "the phone sent to the login page",
    )
    .await;

    // A wrong current password is refused on the page, nothing changes.
    fill(&laptop, "#current_password", "not-my-password").await;
    fill(&laptop, "#new_password", "another-password").await;
    fill(&laptop, "#confirm", "another-password").await;
    click(
        &laptop,
        "form[action='/settings/password'] button[type=submit]",
    )
    .await;
    wait_until(&laptop, "return document.getElementById('password-error')?.textContent.includes('current password')", "the refusal").await;
    assert_accessible(&laptop, "the settings page with an error").await;
    fill(&laptop, "#current_password", "browser-password").await;
    fill(&laptop, "#new_password", "another-password").await;
    fill(&laptop, "#confirm", "another-password").await;
    click(
        &laptop,
        "form[action='/settings/password'] button[type=submit]",
    )
    .await;
    wait_until(
        &laptop,
        "return document.querySelector('[role=status]')?.textContent.includes('Password changed')",
        "the change",
    )
    .await;
    app.login("ann", "another-password").await;
}

/// `[key, count, pressed]` of each reaction chip under message `arguments[0]`.
const CHIPS: &str = "const [id] = arguments; return Array.from(document.querySelectorAll(`#message-list .msg[data-id=\"${id}\"] .reactions button[data-key]`)).map(b => [b.dataset.key, Number(b.querySelector('.count').textContent), b.getAttribute('aria-pressed') === 'true']);";

/// The quote above reply `arguments[0]`: `[author, text, deleted]`.
const QUOTE: &str = "const [id] = arguments; const q = document.querySelector(`#message-list .msg[data-id=\"${id}\"] .msg-quote`); return q ? [q.querySelector('.msg-quote-author').textContent, q.querySelector('.msg-quote-text').textContent, q.classList.contains('msg-quote-deleted')] : null;";

/// Waits until `js`, given message `id`, reads `want` off the page.
async fn wait_read(c: &Client, js: &str, id: u64, want: serde_json::Value, what: &str) {
    let read = || async { c.execute(js, vec![json!(id)]).await.unwrap() };
    for _ in 0..100 {
        if read().await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: read {}, not {want}", read().await);
}

/// Types `keys` into whatever has the focus.
async fn press(c: &Client, keys: &str) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

/// By keyboard: into the message log, Up to its newest message, `id`.
async fn focus_newest(c: &Client, id: u64) {
    c.execute(
        "document.getElementById('messages').focus(); return true;",
        vec![],
    )
    .await
    .unwrap();
    press(c, "\u{E013}").await; // ArrowUp
    wait_until(
        c,
        &format!("return document.activeElement?.dataset.id === '{id}'"),
        "the message with the focus",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn two_browsers_react_and_see_counts_live_and_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 375, 812).await;
    register(&ada, &app, "ada").await;
    register(&bob, &app, "bob").await;
    say(&ada, "ship it?").await;
    let id = message_id(&bob, "ship it?").await;
    message_id(&ada, "ship it?").await;

    // Bob, by keyboard alone: to the message, to its reaction button, into
    // the picker, three to the right (🎉), Enter.
    focus_newest(&bob, id).await;
    press(&bob, "\u{E004}").await; // Tab
    wait_until(
        &bob,
        "return document.activeElement?.dataset.action === 'react'",
        "the add-reaction button with the focus",
    )
    .await;
    press(&bob, "\u{E007}").await; // Enter
    wait_until(
        &bob,
        "return document.activeElement?.dataset.emoji === '👍'",
        "the picker open on its first emoji",
    )
    .await;
    assert_accessible(&bob, "the reaction picker at 375 px").await;
    for _ in 0..3 {
        press(&bob, "\u{E014}").await; // ArrowRight
    }
    press(&bob, "\u{E007}").await;
    wait_read(
        &bob,
        CHIPS,
        id,
        json!([["🎉", 1, true]]),
        "bob's own reaction",
    )
    .await;
    wait_until(
        &bob,
        "return document.activeElement?.dataset.action === 'react' && !document.querySelector('.reaction-picker')",
        "the picker closed, the focus back on its button",
    )
    .await;
    wait_read(
        &ada,
        CHIPS,
        id,
        json!([["🎉", 1, false]]),
        "bob's reaction, live at ada's",
    )
    .await;

    // Ada joins in with a click on the chip; both see two, each their own.
    click(
        &ada,
        &format!("#message-list .msg[data-id='{id}'] .reactions button[data-key='🎉']"),
    )
    .await;
    wait_read(&ada, CHIPS, id, json!([["🎉", 2, true]]), "ada's reaction").await;
    wait_read(
        &bob,
        CHIPS,
        id,
        json!([["🎉", 2, true]]),
        "ada's reaction at bob's, his still pressed",
    )
    .await;
    assert_accessible(&ada, "a message with reactions").await;
    std::fs::write(
        screenshots().join("reactions-375.png"),
        bob.screenshot().await.unwrap(),
    )
    .unwrap();

    // A reload keeps the counts and whose they are.
    bob.refresh().await.unwrap();
    wait_for_message(&bob, "ship it?").await;
    wait_read(
        &bob,
        CHIPS,
        id,
        json!([["🎉", 2, true]]),
        "bob's chips after a reload",
    )
    .await;
    let width = bob
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        width[0].as_f64() <= width[1].as_f64(),
        "no sideways scroll: {width}"
    );

    // Bob takes his back; ada still holds hers.
    click(
        &bob,
        &format!("#message-list .msg[data-id='{id}'] .reactions button[data-key='🎉']"),
    )
    .await;
    wait_read(
        &bob,
        CHIPS,
        id,
        json!([["🎉", 1, false]]),
        "bob's taken back",
    )
    .await;
    wait_read(
        &ada,
        CHIPS,
        id,
        json!([["🎉", 1, true]]),
        "at ada's, hers still pressed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_reply_by_keyboard_quotes_its_original_which_follows_an_edit_and_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 375, 812).await;
    register(&ada, &app, "ada").await;
    register(&bob, &app, "bob").await;
    say(&ada, "lunch at noon?").await;
    let original = message_id(&bob, "lunch at noon?").await;

    // Bob, by keyboard: the message, past its reaction button to Reply.
    focus_newest(&bob, original).await;
    press(&bob, "\u{E004}").await; // Tab: add a reaction
    press(&bob, "\u{E004}").await; // Tab: reply
    wait_until(
        &bob,
        "return document.activeElement?.dataset.action === 'reply'",
        "the reply button with the focus",
    )
    .await;
    press(&bob, "\u{E007}").await; // Enter
    wait_until(
        &bob,
        "return document.activeElement?.id === 'message-input' && !document.getElementById('reply-bar').hidden && document.getElementById('reply-bar').textContent.includes('lunch at noon?')",
        "the reply bar, the focus in the composer",
    )
    .await;
    assert_accessible(&bob, "replying at 375 px").await;
    std::fs::write(
        screenshots().join("reply-375.png"),
        bob.screenshot().await.unwrap(),
    )
    .unwrap();
    press(&bob, "or at one?\u{E007}").await;
    let reply = message_id(&ada, "or at one?").await;
    wait_read(
        &ada,
        QUOTE,
        reply,
        json!(["ada", "lunch at noon?", false]),
        "the quote, live at ada's",
    )
    .await;
    wait_until(
        &bob,
        "return document.getElementById('reply-bar').hidden",
        "the reply bar gone after sending",
    )
    .await;

    // The original is edited: the quote follows, live and after a reload.
    menu(&ada, original, "Edit").await;
    wait_until(
        &ada,
        "return document.activeElement?.closest('.msg-edit') !== null",
        "the edit box",
    )
    .await;
    let edit = ada.active_element().await.unwrap();
    edit.clear().await.unwrap();
    edit.send_keys("lunch at half past?\u{E007}").await.unwrap();
    wait_read(
        &bob,
        QUOTE,
        reply,
        json!(["ada", "lunch at half past?", false]),
        "the quote after the edit, live",
    )
    .await;
    bob.refresh().await.unwrap();
    wait_for_message(&bob, "or at one?").await;
    wait_read(
        &bob,
        QUOTE,
        reply,
        json!(["ada", "lunch at half past?", false]),
        "the quote after a reload",
    )
    .await;

    // The quote opens the original.
    click(
        &bob,
        &format!("#message-list .msg[data-id='{reply}'] .msg-quote"),
    )
    .await;
    wait_until(
        &bob,
        &format!("return document.activeElement?.dataset.id === '{original}'"),
        "the original with the focus",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_pin_shows_live_in_the_room_and_its_list_opens_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let app = App::start(&db).await;
    let driver = Driver::start().await;
    let ada = driver.browser(&dir.path().join("ada"), 1280, 860).await;
    let bob = driver.browser(&dir.path().join("bob"), 375, 812).await;
    register(&ada, &app, "ada").await;
    let out = Command::new(community_messenger())
        .args(["user", "role", "ada", "moderator", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    ada.refresh().await.unwrap();
    wait_online(&ada).await;
    register(&bob, &app, "bob").await;
    say(&bob, "the plan is ready").await;
    let id = message_id(&ada, "the plan is ready").await;
    say(&bob, "and a later message").await;
    message_id(&bob, "the plan is ready").await;

    menu(&ada, id, "Pin to room").await;
    for (c, who) in [(&ada, "ada"), (&bob, "bob")] {
        wait_until(
            c,
            &format!("const b = document.getElementById('pins-button'); return !b.hidden && b.querySelector('.count').textContent.trim() === '1' && !!document.querySelector('#message-list .msg[data-id=\"{id}\"] .msg-pin')"),
            &format!("the pin, live at {who}'s"),
        )
        .await;
    }

    // Bob opens the list at 375 px and goes to the message from it.
    click(&bob, "#pins-button").await;
    wait_until(
        &bob,
        &format!("const d = document.getElementById('pins-dialog'); return !!d && d.contains(document.activeElement) && !!d.querySelector('li[data-id=\"{id}\"]')"),
        "the list of pins, with the focus in it",
    )
    .await;
    assert_accessible(&bob, "the list of pins at 375 px").await;
    std::fs::write(
        screenshots().join("pins-375.png"),
        bob.screenshot().await.unwrap(),
    )
    .unwrap();
    bob.execute(
        &format!("document.querySelector('#pins-dialog li[data-id=\"{id}\"] button').click(); return true;"),
        vec![],
    )
    .await
    .unwrap();
    wait_until(
        &bob,
        &format!("return document.activeElement?.dataset.id === '{id}'"),
        "the pinned message with the focus",
    )
    .await;

    menu(&ada, id, "Unpin").await;
    wait_until(
        &bob,
        &format!("return document.getElementById('pins-button').hidden && !document.querySelector('#message-list .msg[data-id=\"{id}\"] .msg-pin')"),
        "the pin gone, live",
    )
    .await;
}
