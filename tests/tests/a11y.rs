//! WCAG 2.1 AA in real headless Chromium: axe-core on every page with real
//! content, in light and dark; the main flows by keyboard alone; screen
//! reader announcements. Needs Debian's `chromium` + `chromedriver` and
//! axe-core (`npm install --prefix tests/axe`,
//! as `.ci/run` does).

use std::time::Duration;

use messenger_e2e::App;
use messenger_e2e::chromium::*;
use serde_json::json;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const SHIFT: &str = "\u{E008}";
const HOME: &str = "\u{E011}";

/// Another user, with messages already in `general`.
async fn grace_says(app: &App, bodies: &[String]) -> messenger_e2e::Ws {
    let token = app.register_and_login("grace", "grace-password").await;
    let mut ws = app.ws(&token).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    for (i, body) in bodies.iter().enumerate() {
        ws.send(json!({ "type": "send", "room": "general", "body": body, "client_id": format!("g{i}") }))
            .await;
        ws.until("message").await;
    }
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn every_page_passes_axe_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let mut grace = grace_says(
        &app,
        &[
            "Welcome, everyone!".into(),
            "A second line\nwith a break.".into(),
        ],
    )
    .await;
    let driver = Driver::start().await;
    let c = driver.browser(&dir.path().join("p"), 1280, 860).await;

    c.goto(&app.url("/login")).await.unwrap();
    assert_accessible(&c, "/login").await;
    fill(&c, "#username", "nobody").await;
    fill(&c, "#password", "wrong-password").await;
    click(&c, "form[action='/login'] button[type=submit]").await;
    wait_until(
        &c,
        "return document.querySelector('.alert-danger') !== null",
        ".alert-danger",
    )
    .await;
    assert_accessible(&c, "/login with an error").await;

    c.goto(&app.url("/register")).await.unwrap();
    assert_accessible(&c, "/register").await;
    fill(&c, "#username", "x").await;
    fill(&c, "#password", "short").await;
    fill(&c, "#confirm", "other").await;
    click(&c, "form[action='/register'] button[type=submit]").await;
    wait_until(
        &c,
        "return document.querySelector('.is-invalid') !== null",
        ".is-invalid",
    )
    .await;
    assert_accessible(&c, "/register with errors").await;

    register(&c, &app, "ada").await;
    say(&c, "Hello from Ada, with a https://example.invalid/link").await;
    wait_for_message(&c, "Hello from Ada, with a https://example.invalid/link").await;
    wait_for_message(&c, "Welcome, everyone!").await;
    grace
        .send(json!({ "type": "typing", "room": "general" }))
        .await;
    wait_until(
        &c,
        "return document.getElementById('typing').textContent.includes('grace')",
        "grace typing",
    )
    .await;
    assert_accessible(&c, "/chat with messages, presence and typing").await;

    // A phone, with the people dialog open.
    let phone = driver.browser(&dir.path().join("phone"), 375, 812).await;
    phone.goto(&app.url("/login")).await.unwrap();
    fill(&phone, "#username", "ada").await;
    fill(&phone, "#password", "browser-password").await;
    click(&phone, "form[action='/login'] button[type=submit]").await;
    wait_online(&phone).await;
    click(&phone, "button[data-bs-toggle='offcanvas']").await;
    wait_until(
        &phone,
        "return document.getElementById('sidebar').classList.contains('show')",
        "the people dialog",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await; // the slide-in transition
    assert_accessible(&phone, "/chat at 375 px with the people dialog open").await;
    phone.close().await.unwrap();
    c.close().await.unwrap();
}

/// The focused element, and whether its focus is visible (an outline or a
/// focus ring shadow).
async fn focus(c: &Client) -> (String, bool) {
    let v = c
        .execute(
            r#"const e = document.activeElement;
            const s = getComputedStyle(e);
            const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
            const id = e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.name ? '[name=' + e.name + ']' : '') + ':' + (e.textContent || '').trim().slice(0, 30);
            return [id, visible];"#,
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_str().unwrap().to_owned(), v[1].as_bool().unwrap())
}

/// Presses `keys` one after another, wherever the focus is (a real
/// keyboard's events, not an element's value being set).
async fn press(c: &Client, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = keys
        .chars()
        .fold(KeyActions::new("keyboard".into()), |a, k| {
            a.then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k })
        });
    c.perform_actions(actions).await.unwrap();
}

/// Holds `keys` down together, then lets them go.
async fn chord(c: &Client, keys: &[&str]) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let chars: Vec<char> = keys.iter().flat_map(|k| k.chars()).collect();
    let down = chars
        .iter()
        .fold(KeyActions::new("keyboard".into()), |a, &k| {
            a.then(KeyAction::Down { value: k })
        });
    let all = chars
        .iter()
        .rev()
        .fold(down, |a, &k| a.then(KeyAction::Up { value: k }));
    c.perform_actions(all).await.unwrap();
}

/// Tabs (or Shift+Tabs) until `want` has the focus (at most 30 presses),
/// asserting that every focus on the way is visible.
async fn tab_to_by(c: &Client, want: &str, backwards: bool) {
    let mut path = Vec::new();
    for _ in 0..30 {
        if backwards {
            chord(c, &[SHIFT, TAB]).await;
        } else {
            press(c, TAB).await;
        }
        let (at, visible) = focus(c).await;
        // The body holds the focus when no element does (the first Tab of a
        // fresh window may go to the browser's own UI).
        assert!(
            visible || at.starts_with("body:"),
            "focus on {at} is not visible"
        );
        if at == want {
            return;
        }
        path.push(at);
    }
    panic!("{want} was never reached; the focus went {path:?}");
}

async fn tab_to(c: &Client, want: &str) {
    tab_to_by(c, want, false).await;
}

async fn shift_tab_to(c: &Client, want: &str) {
    tab_to_by(c, want, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn the_main_flows_work_by_keyboard_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    // More than one page of history, so there is something to scroll back to.
    let older: Vec<String> = (1..=160).map(|i| format!("older message {i}")).collect();
    let _grace = grace_says(&app, &older).await;
    let grace = app.login("grace", "grace-password").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/rooms"))
        .bearer_auth(&grace)
        .json(&json!({ "name": "side-room", "title": "Side room", "topic": "Off topic" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let driver = Driver::start().await;
    let c = driver.browser(&dir.path().join("p"), 1280, 860).await;

    // Register.
    c.goto(&app.url("/register")).await.unwrap();
    tab_to(&c, "#username").await;
    press(&c, "keyboard_kim").await;
    tab_to(&c, "#password").await;
    press(&c, "keyboard-password").await;
    tab_to(&c, "#confirm").await;
    press(&c, "keyboard-password").await;
    press(&c, ENTER).await;
    wait_online(&c).await;
    assert_eq!(path(&c).await, "/chat");

    // Send.
    tab_to(&c, "#message-input").await;
    press(&c, "typed without a mouse").await;
    press(&c, ENTER).await;
    wait_for_message(&c, "typed without a mouse").await;

    // Scroll back: the message log takes the focus, and Home scrolls it to
    // the top, where older pages load, until the first message.
    shift_tab_to(&c, "#messages").await;
    let first_shown = "return Array.from(document.querySelectorAll('#message-list .msg-body')).some(e => e.textContent === 'older message 1')";
    for _ in 0..10 {
        if c.execute(first_shown, vec![]).await.unwrap() == json!(true) {
            break;
        }
        press(&c, HOME).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_for_message(&c, "older message 1").await;

    // A dialog: browse the public rooms, join one; Escape closes a dialog.
    tab_to(&c, "button:Browse rooms").await;
    press(&c, ENTER).await;
    wait_until(
        &c,
        "const d = document.getElementById('browse-dialog'); \
         return d.classList.contains('show') && d.contains(document.activeElement) \
           && document.querySelectorAll('#directory-list button').length === 2",
        "the browse dialog with its rooms, and the focus in it",
    )
    .await;
    press(&c, ESCAPE).await;
    wait_until(
        &c,
        "return !document.getElementById('browse-dialog').classList.contains('show') \
           && document.activeElement.textContent.trim() === 'Browse rooms'",
        "Escape to close the dialog and give the focus back",
    )
    .await;
    press(&c, ENTER).await;
    wait_until(
        &c,
        "const d = document.getElementById('browse-dialog'); \
         return d.contains(document.activeElement) && document.querySelectorAll('#directory-list button').length === 2",
        "the rooms",
    )
    .await;
    tab_to(&c, "button:Join").await;
    press(&c, ENTER).await;
    wait_until(
        &c,
        "return location.pathname === '/chat/side-room' && document.getElementById('room-title').textContent.includes('Side room')",
        "the joined room to open",
    )
    .await;
    // Switch rooms: back to general from the room list, by keyboard.
    tab_to(&c, "a:# general").await;
    press(&c, ENTER).await;
    wait_until(
        &c,
        "return location.pathname === '/chat/general' && document.querySelector('[aria-current=page]').dataset.room === 'general'",
        "general to open",
    )
    .await;
    wait_for_message(&c, "typed without a mouse").await;

    // Log out, and log in again.
    c.goto(&app.url("/chat")).await.unwrap();
    wait_online(&c).await;
    tab_to(&c, "button:Log out").await;
    press(&c, ENTER).await;
    wait_for_page(&c, "/login", "#username").await;
    tab_to(&c, "#username").await;
    press(&c, "keyboard_kim").await;
    tab_to(&c, "#password").await;
    press(&c, "keyboard-password").await;
    press(&c, ENTER).await;
    wait_online(&c).await;
    c.close().await.unwrap();

    // A dialog: on a phone the people list opens from its button and closes
    // with Escape, giving the focus back.
    let phone = driver.browser(&dir.path().join("phone"), 375, 812).await;
    phone.goto(&app.url("/login")).await.unwrap();
    tab_to(&phone, "#username").await;
    press(&phone, "keyboard_kim").await;
    tab_to(&phone, "#password").await;
    press(&phone, "keyboard-password").await;
    press(&phone, ENTER).await;
    wait_online(&phone).await;
    tab_to(&phone, "button:Rooms").await;
    press(&phone, ENTER).await;
    wait_until(
        &phone,
        "return document.getElementById('sidebar').classList.contains('show') && document.getElementById('sidebar').contains(document.activeElement)",
        "the people dialog to open with the focus inside",
    )
    .await;
    press(&phone, ESCAPE).await;
    wait_until(
        &phone,
        "return !document.getElementById('sidebar').classList.contains('show')",
        "Escape to close the dialog",
    )
    .await;
    wait_until(
        &phone,
        "return document.activeElement.getAttribute('aria-controls') === 'sidebar'",
        "the focus back on the Rooms button",
    )
    .await;
    assert!(
        focus(&phone).await.1,
        "focus visible after the dialog closed"
    );
    phone.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn new_messages_are_announced_but_history_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let history: Vec<String> = (1..=160).map(|i| format!("history {i}")).collect();
    let mut grace = grace_says(&app, &history).await;
    let driver = Driver::start().await;
    let c = driver.browser(&dir.path().join("p"), 1280, 860).await;
    register(&c, &app, "listener").await;
    wait_for_message(&c, "history 160").await;

    // What assistive technology is told: the text of polite or assertive
    // live regions (role=log and role=status are live by default).
    let spoken = r#"return Array.from(document.querySelectorAll('[aria-live], [role=log], [role=status], [role=alert]'))
        .filter(e => (e.getAttribute('aria-live') || 'polite') !== 'off')
        .map(e => e.textContent).join(' | ');"#;
    let live = c.execute(spoken, vec![]).await.unwrap();
    assert!(
        !live.as_str().unwrap().contains("history"),
        "the history was put in a live region: {live}"
    );

    grace
        .send(json!({ "type": "send", "room": "general", "body": "a fresh one", "client_id": "fresh" }))
        .await;
    wait_for_message(&c, "a fresh one").await;
    let live = c.execute(spoken, vec![]).await.unwrap();
    let live = live.as_str().unwrap();
    assert!(live.contains("grace: a fresh one"), "not announced: {live}");
    assert!(!live.contains("history"), "{live}");

    // Scrolling back loads older messages silently too.
    wait_until(
        &c,
        "const m = document.getElementById('messages'); m.scrollTop = 0; \
         return Array.from(document.querySelectorAll('#message-list .msg-body')).some(e => e.textContent === 'history 1')",
        "scrolling back to the first message",
    )
    .await;
    let live = c.execute(spoken, vec![]).await.unwrap();
    assert!(!live.as_str().unwrap().contains("history"), "{live}");
    c.close().await.unwrap();
}
