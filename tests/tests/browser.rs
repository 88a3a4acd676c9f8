//! Real headless Chromium (Debian's `chromium` + `chromedriver`) against the
//! real binary. Screenshots land in `target/screenshots/`.

use messenger_e2e::App;
use messenger_e2e::chromium::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn two_users_see_each_others_messages_live() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let a = driver
        .browser(&dir.path().join("profile-a"), 1280, 860)
        .await;
    let b = driver
        .browser(&dir.path().join("profile-b"), 1280, 860)
        .await;
    register(&a, &app, "ada").await;
    register(&b, &app, "grace").await;

    say(&a, "Hello from Ada!").await;
    assert!(
        wait_for_message(&a, "Hello from Ada!")
            .await
            .contains("msg-own")
    );
    assert!(
        !wait_for_message(&b, "Hello from Ada!")
            .await
            .contains("msg-own")
    );
    say(
        &b,
        "Hi Ada, Grace here.\u{E008}\u{E007}\u{E008}Second line via Shift+Enter.",
    )
    .await;
    wait_for_message(&a, "Hi Ada, Grace here.\nSecond line via Shift+Enter.").await;
    say(&a, "Both of us are online — see the list on the left.").await;
    wait_for_message(&b, "Both of us are online — see the list on the left.").await;

    wait_until(
        &a,
        "return Array.from(document.querySelectorAll('#online-list li')).some(li => li.textContent.startsWith('grace'))",
        "grace in ada's online list",
    )
    .await;
    std::fs::write(
        screenshots().join("chat.png"),
        a.screenshot().await.unwrap(),
    )
    .unwrap();
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn a_script_message_renders_as_text_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let a = driver
        .browser(&dir.path().join("profile-a"), 1024, 768)
        .await;
    let b = driver
        .browser(&dir.path().join("profile-b"), 1024, 768)
        .await;
    register(&a, &app, "mallory").await;
    register(&b, &app, "victim").await;
    let evil = r#"<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>"#;
    say(&a, evil).await;
    wait_for_message(&b, evil).await;
    for c in [&a, &b] {
        let v = c
            .execute(
                "return [window.__pwned === undefined, document.querySelectorAll('#message-list script, #message-list img, #message-list b').length]",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(v, json!([true, 0]));
    }
    // After a reload the history renders it as text too.
    b.refresh().await.unwrap();
    wait_online(&b).await;
    wait_for_message(&b, evil).await;
    let v = b
        .execute("return window.__pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(v, json!(true));
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn remember_me_survives_a_browser_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    for (name, remember) in [("keeper", true), ("forgetter", false)] {
        app.register_and_login(name, "browser-password").await;
        let profile = dir.path().join(format!("profile-{name}"));
        let c = driver.browser(&profile, 1024, 768).await;
        c.goto(&app.url("/login")).await.unwrap();
        fill(&c, "#username", name).await;
        fill(&c, "#password", "browser-password").await;
        if remember {
            click(&c, "#remember").await;
        }
        click(&c, "form[action='/login'] button[type=submit]").await;
        wait_for_page(&c, "/chat", "#chat").await;
        c.close().await.unwrap();

        // A new browser process on the same profile.
        let c = driver.browser(&profile, 1024, 768).await;
        c.goto(&app.url("/chat")).await.unwrap();
        let expected = if remember { "/chat" } else { "/login" };
        assert_eq!(path(&c).await, expected, "{name} after a browser restart");
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium"]
async fn pages_fit_a_375px_phone_without_horizontal_scroll() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let driver = Driver::start().await;
    let c = driver.browser(&dir.path().join("profile"), 375, 812).await;
    let no_hscroll = "return document.documentElement.scrollWidth <= window.innerWidth";
    let bar_fits = "return [...document.querySelectorAll('nav.navbar a, nav.navbar button')]\
        .every(e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })";
    for page in ["/login", "/register"] {
        c.goto(&app.url(page)).await.unwrap();
        assert_eq!(
            c.execute(no_hscroll, vec![]).await.unwrap(),
            json!(true),
            "{page}"
        );
        assert_eq!(
            c.execute(bar_fits, vec![]).await.unwrap(),
            json!(true),
            "{page}: the top bar fits"
        );
    }
    register(&c, &app, "phone_user").await;
    let long_word = "Supercalifragilistic".repeat(12);
    say(&c, &long_word).await;
    wait_for_message(&c, &long_word).await;
    say(&c, "Short one, with a link-like text: https://example.invalid/a/very/long/path/that/keeps/going/and/going").await;
    wait_for_message(&c, "Short one, with a link-like text: https://example.invalid/a/very/long/path/that/keeps/going/and/going").await;
    assert_eq!(
        c.execute("return window.innerWidth", vec![]).await.unwrap(),
        json!(375)
    );
    assert_eq!(
        c.execute(no_hscroll, vec![]).await.unwrap(),
        json!(true),
        "/chat"
    );
    // `overflow-x: hidden` would hide an overflowing top bar from the check
    // above: every control of the bar must lie within the screen.
    assert_eq!(
        c.execute(bar_fits, vec![]).await.unwrap(),
        json!(true),
        "the top bar's controls, Log out among them, fit at 375 px"
    );
    // The sidebar collapses behind the "People" button on phones.
    let sidebar_visible = "const s = document.getElementById('sidebar'); return s.getBoundingClientRect().width > 0 && getComputedStyle(s).visibility !== 'hidden'";
    assert_eq!(
        c.execute(sidebar_visible, vec![]).await.unwrap(),
        json!(false)
    );
    std::fs::write(
        screenshots().join("chat-375.png"),
        c.screenshot().await.unwrap(),
    )
    .unwrap();
    click(&c, "button[data-bs-toggle='offcanvas']").await;
    wait_until(&c, sidebar_visible, "the sidebar to open").await;
    c.close().await.unwrap();
}
