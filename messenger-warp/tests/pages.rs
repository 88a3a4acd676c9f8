//! The HTML pages and forms, with a cookie-keeping HTTP client.

mod common;

use common::Server;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("form has a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()["location"].to_str().unwrap()
}

async fn form_page(c: &reqwest::Client, s: &Server, path: &str) -> String {
    let r = c.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.headers().contains_key("content-security-policy"));
    csrf_of(&r.text().await.unwrap())
}

#[tokio::test]
async fn root_and_chat_redirect_to_login_when_logged_out() {
    let s = Server::start().await;
    let c = browser();
    let r = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
    let r = c.get(s.url("/chat")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
}

#[tokio::test]
async fn register_log_out_and_log_in_through_the_forms() {
    let s = Server::start().await;
    let c = browser();
    let csrf = form_page(&c, &s, "/register").await;
    let r = c
        .post(s.url("/register"))
        .form(&[
            ("username", "Forms_1"),
            ("password", "password123"),
            ("confirm", "password123"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/chat");
    let chat = c.get(s.url("/chat")).send().await.unwrap();
    assert_eq!(chat.status(), 200);
    let html = chat.text().await.unwrap();
    assert!(html.contains("Welcome, Forms_1!"), "flash shown once");
    assert!(html.contains("data-username=\"Forms_1\""));
    let again = c
        .get(s.url("/chat"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("Welcome, Forms_1!"), "flash is one-time");
    let r = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(location(&r), "/chat");

    let csrf = csrf_of(&again);
    let r = c
        .post(s.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
    let login = c
        .get(s.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("You have been logged out."));
    assert_eq!(c.get(s.url("/chat")).send().await.unwrap().status(), 303);

    let csrf = csrf_of(&login);
    let r = c
        .post(s.url("/login"))
        .form(&[
            ("username", "forms_1"),
            ("password", "password123"),
            ("remember", "on"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let set: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("cm_session=") && c.contains("Max-Age")),
        "{set:?}"
    );
    assert_eq!(c.get(s.url("/chat")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let s = Server::start().await;
    s.register("csrfvictim", "password123").await;
    let c = browser();
    form_page(&c, &s, "/login").await;
    for token in ["", "forged-token-forged-token-forged-token"] {
        let r = c
            .post(s.url("/login"))
            .form(&[
                ("username", "csrfvictim"),
                ("password", "password123"),
                ("csrf_token", token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(
            !r.headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("cm_session="))
        );
    }
    // A fresh client with no CSRF cookie cannot post either.
    let r = browser()
        .post(s.url("/register"))
        .form(&[
            ("username", "sneaky"),
            ("password", "password123"),
            ("confirm", "password123"),
            ("csrf_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn failed_forms_keep_the_username_never_the_password_and_escape_it() {
    let s = Server::start().await;
    s.register("taken_name", "password123").await;
    let c = browser();
    let csrf = form_page(&c, &s, "/login").await;
    let r = c
        .post(s.url("/login"))
        .form(&[
            ("username", "<script>alert(1)</script>"),
            ("password", "secret-password-value"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("invalid username or password"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("secret-password-value"));

    let csrf = form_page(&c, &s, "/register").await;
    let r = c
        .post(s.url("/register"))
        .form(&[
            ("username", "new_user"),
            ("password", "password123"),
            ("confirm", "password124"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("Passwords do not match"));
    assert!(html.contains("value=\"new_user\""));
    assert!(!html.contains("password123"));

    let r = c
        .post(s.url("/register"))
        .form(&[
            ("username", "TAKEN_NAME"),
            ("password", "password123"),
            ("confirm", "password123"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("already taken"));

    let r = c
        .post(s.url("/register"))
        .form(&[
            ("username", "ab"),
            ("password", "short"),
            ("confirm", "short"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("Must be 3 to 32 characters long"));
    assert!(html.contains("Must be at least 8 bytes"));
}

#[tokio::test]
async fn static_assets_are_served_with_etags() {
    let s = Server::start().await;
    let r = s
        .http
        .get(s.url("/static/messenger/chat.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let entry = r.text().await.unwrap();
    assert!(entry.contains(r#" from "./protocol.js""#));
    // chat.js is the entry module: every module it imports, directly or
    // not, is served beside it.
    let mut queue = vec![entry];
    let mut seen = std::collections::HashSet::new();
    while let Some(source) = queue.pop() {
        for part in source.split(r#" from "./"#).skip(1) {
            let name = &part[..part.find('"').unwrap()];
            if !seen.insert(name.to_owned()) {
                continue;
            }
            let r = s
                .http
                .get(s.url(&format!("/static/messenger/{name}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{name}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/javascript"),
                "{name}"
            );
            let text = r.text().await.unwrap();
            if name == "protocol.js" {
                assert!(text.contains("WebSocket"));
            }
            queue.push(text);
        }
    }
    assert!(seen.contains("protocol.js"), "{seen:?}");
    let r = s
        .http
        .get(s.url("/static/messenger/chat.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(
        s.http
            .get(s.url("/static/nope.js"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// A browser logged in through the forms as `name`.
async fn logged_in(s: &Server, name: &str) -> reqwest::Client {
    s.register(name, "password123").await;
    let c = browser();
    let csrf = form_page(&c, s, "/login").await;
    let r = c
        .post(s.url("/login"))
        .form(&[
            ("username", name),
            ("password", "password123"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    c
}

#[tokio::test]
async fn a_link_to_a_direct_conversation_asks_before_opening_it() {
    let s = Server::start().await;
    let c = logged_in(&s, "dmasker").await;
    s.register("dmpeer", "password123").await;
    // A GET (a link or an image on any site) opens nothing.
    let r = c.get(s.url("/dm/dmpeer")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"action="/dm/dmpeer""#), "{page}");
    let (peer_token, _) = s.user("dmpeer2").await;
    let rooms = |token: String| {
        let s = &s;
        async move {
            s.http
                .get(s.url("/api/rooms"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()["rooms"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    let before = rooms(peer_token.clone()).await;
    c.get(s.url("/dm/dmpeer2")).send().await.unwrap();
    assert_eq!(rooms(peer_token.clone()).await, before, "a GET opened a DM");

    // The form without its token is refused; with it, the DM opens.
    let r = c
        .post(s.url("/dm/dmpeer2"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let csrf = csrf_of(&page);
    let r = c
        .post(s.url("/dm/dmpeer2"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let room = location(&r).to_owned();
    assert!(room.starts_with("/chat/dm-"), "{room}");
    assert_eq!(rooms(peer_token).await, before + 1);
    // Once it exists, the link leads straight to it.
    let r = c.get(s.url("/dm/dmpeer2")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, room.as_str()));
    let r = c.get(s.url("/dm/nobody_here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_signed_in_forms_token_is_bound_to_its_session() {
    let s = Server::start().await;
    let alice = logged_in(&s, "boundalice").await;
    let mallory = logged_in(&s, "boundmallory").await;
    let settings = |c: reqwest::Client| {
        let url = s.url("/settings");
        async move { csrf_of(&c.get(url).send().await.unwrap().text().await.unwrap()) }
    };
    let alices = settings(alice.clone()).await;
    let mallorys = settings(mallory.clone()).await;
    assert_ne!(alices, mallorys);
    // Mallory's own valid token is worthless in Alice's session.
    let r = alice
        .post(s.url("/settings/logout-everywhere"))
        .form(&[("csrf_token", mallorys.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = alice
        .post(s.url("/settings/logout-everywhere"))
        .form(&[("csrf_token", alices.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn the_origin_must_be_ours_by_scheme_and_by_configured_public_origin() {
    let s = Server::start().await;
    let (t, _) = s.user("originuser").await;
    let own = format!("http://{}", s.addr);
    let wrong_scheme = format!("https://{}", s.addr);
    assert!(s.try_ws(Some(&t), Some(&own)).await.is_ok());
    assert_eq!(
        s.try_ws(Some(&t), Some(&wrong_scheme)).await.err(),
        Some(403)
    );

    let s = Server::with(
        common::messenger_config(),
        messenger_warp::WebConfig {
            public_origins: vec!["https://chat.example.com".into()],
            ..common::web_config()
        },
    )
    .await;
    let (t, _) = s.user("originuser").await;
    // A rebound DNS name sends its own name as both Host and Origin.
    let rebound = format!("http://{}", s.addr);
    assert_eq!(s.try_ws(Some(&t), Some(&rebound)).await.err(), Some(403));
    assert!(
        s.try_ws(Some(&t), Some("https://chat.example.com"))
            .await
            .is_ok()
    );
}
