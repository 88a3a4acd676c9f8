//! The JSON API rows of the contract, over a real socket.

mod common;

use common::{GeneralRoom, Server};
use serde_json::{Value, json};

#[tokio::test]
async fn register_login_me_logout() {
    let s = Server::start().await;
    let r = s.register("Ada_L", "password123").await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["username"], "Ada_L");
    assert!(v["user"]["id"].as_u64().unwrap() > 0);

    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "ada_l", "password": "password123" }),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cm_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(
        !cookie.contains("Max-Age"),
        "without remember-me it is a browser-session cookie"
    );
    assert!(!cookie.contains("Secure"));
    let v: Value = r.json().await.unwrap();
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(v["user"]["username"], "Ada_L");
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));

    let me = s
        .http
        .get(s.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<Value>().await.unwrap()["user"]["username"],
        "Ada_L"
    );

    // The cookie authenticates too.
    let value = cookie.split(';').next().unwrap();
    let me = s
        .http
        .get(s.url("/api/me"))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    let out = s
        .http
        .post(s.url("/api/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let me = s
        .http
        .get(s.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    assert_eq!(
        me.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    let out = s
        .http
        .post(s.url("/api/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 401);
}

#[tokio::test]
async fn remember_me_sets_a_persistent_cookie() {
    let s = Server::start().await;
    s.register("remy", "password123").await;
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "remy", "password": "password123", "remember": true }),
            None,
        )
        .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let s = Server::with(
        common::messenger_config(),
        messenger_warp::WebConfig {
            secure_cookies: true,
            ..common::web_config()
        },
    )
    .await;
    s.register("sec", "password123").await;
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "sec", "password": "password123" }),
            None,
        )
        .await;
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

#[tokio::test]
async fn registration_refusals() {
    let s = Server::start().await;
    s.register("taken", "password123").await;
    for (body, status, code) in [
        (
            json!({ "username": "TAKEN", "password": "password123" }),
            409,
            "conflict",
        ),
        (
            json!({ "username": "x", "password": "password123" }),
            400,
            "invalid",
        ),
        (
            json!({ "username": "bad name", "password": "password123" }),
            400,
            "invalid",
        ),
        (
            json!({ "username": "okname", "password": "short" }),
            400,
            "invalid",
        ),
        // A field out of bounds is `invalid`; 413 is for bodies over the size limit.
        (
            json!({ "username": "okname", "password": "x".repeat(1025) }),
            400,
            "invalid",
        ),
        (
            json!({ "username": "y".repeat(33), "password": "password123" }),
            400,
            "invalid",
        ),
        (json!({ "username": "okname" }), 400, "invalid"),
        (
            json!({ "username": 5, "password": "password123" }),
            400,
            "invalid",
        ),
    ] {
        let r = s.post_json("/api/register", body.clone(), None).await;
        assert_eq!(r.status(), status, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{body}");
        assert!(v["error"]["message"].as_str().unwrap().len() > 3);
    }
}

#[tokio::test]
async fn login_does_not_tell_unknown_users_from_wrong_passwords() {
    let s = Server::start().await;
    s.register("known", "password123").await;
    let wrong = s
        .post_json(
            "/api/login",
            json!({ "username": "known", "password": "password999" }),
            None,
        )
        .await;
    let unknown = s
        .post_json(
            "/api/login",
            json!({ "username": "nobody", "password": "password123" }),
            None,
        )
        .await;
    let malformed = s
        .post_json(
            "/api/login",
            json!({ "username": "no", "password": "x" }),
            None,
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(malformed.status(), 401);
    let (a, b): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a, b);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_with_retry_after() {
    let s = Server::start().await;
    s.register("target", "password123").await;
    let mut limited = None;
    for i in 0..20 {
        let r = s
            .post_json(
                "/api/login",
                json!({ "username": "target", "password": "wrong-password" }),
                None,
            )
            .await;
        if r.status() == 429 {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status(), 401);
    }
    let (i, r) = limited.expect("failed logins are limited");
    assert_eq!(i, 10, "the per-username limit allows 10 failures");
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "rate_limited"
    );
}

#[tokio::test]
async fn a_browser_that_logged_in_before_is_not_locked_out_by_strangers() {
    let s = Server::start().await;
    s.register("carol", "password123").await;
    let owner = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = |c: &reqwest::Client, password: &str| {
        c.post(s.url("/api/login"))
            .json(&json!({ "username": "carol", "password": password }))
            .send()
    };
    let r = login(&owner, "password123").await.unwrap();
    assert_eq!(r.status(), 200);
    let device = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("cm_device="))
        .expect("a device cookie");
    assert!(
        device.contains("HttpOnly") && device.contains("SameSite=Strict"),
        "{device}"
    );
    assert!(device.contains("Max-Age=31536000"), "{device}");
    // A stranger (no cookies) uses up the account's lockout for strangers.
    for _ in 0..10 {
        assert_eq!(login(&s.http, "guess-guess").await.unwrap().status(), 401);
    }
    assert_eq!(login(&s.http, "password123").await.unwrap().status(), 429);
    // The owner's browser still gets in.
    assert_eq!(login(&owner, "password123").await.unwrap().status(), 200);
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let s = Server::with(
        common::messenger_config(),
        messenger_warp::WebConfig {
            register_per_hour: std::num::NonZeroU32::new(3),
            ..common::web_config()
        },
    )
    .await;
    for i in 0..3 {
        assert_eq!(
            s.register(&format!("user{i}"), "password123")
                .await
                .status(),
            201
        );
    }
    let r = s.register("user9", "password123").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_registrations_are_limited_per_forwarded_address() {
    let register = |s: &Server, name: String, forwarded: &'static str| {
        s.http
            .post(s.url("/api/register"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({ "username": name, "password": "password123" }))
            .send()
    };
    let limited = |trusted: Vec<ipnet::IpNet>| messenger_warp::WebConfig {
        register_per_hour: std::num::NonZeroU32::new(2),
        trusted_proxies: trusted,
        ..common::web_config()
    };
    // The test client connects from 127.0.0.1: made the trusted proxy.
    let s = Server::with(
        common::messenger_config(),
        limited(vec!["127.0.0.1/32".parse().unwrap()]),
    )
    .await;
    for (i, client) in ["203.0.113.7", "203.0.113.7", "203.0.113.8"]
        .into_iter()
        .enumerate()
    {
        let r = register(&s, format!("via{i}"), client).await.unwrap();
        assert_eq!(r.status(), 201, "{client}");
    }
    let r = register(&s, "via9".into(), "203.0.113.7").await.unwrap();
    assert_eq!(r.status(), 429, "the first client's own limit");
    // A client cannot escape its limit by naming another address in front.
    let r = register(&s, "via10".into(), "198.51.100.1, 203.0.113.7")
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    // Not trusted: the header is ignored and every request is the peer's.
    let s = Server::with(common::messenger_config(), limited(Vec::new())).await;
    for (i, client) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        assert_eq!(
            register(&s, format!("direct{i}"), client)
                .await
                .unwrap()
                .status(),
            201
        );
    }
    let r = register(&s, "direct9".into(), "203.0.113.3").await.unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn json_endpoints_refuse_other_content_types_and_big_bodies() {
    let s = Server::start().await;
    let r = s
        .http
        .post(s.url("/api/register"))
        .header("content-type", "text/plain")
        .body(r#"{"username":"abc","password":"password123"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid");

    let big = json!({ "username": "abc", "password": "x".repeat(100_000) });
    let r = s.post_json("/api/register", big, None).await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "too_large"
    );

    let r = s
        .http
        .post(s.url("/api/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid");
}

#[tokio::test]
async fn cookie_posts_from_foreign_origins_are_forbidden() {
    let s = Server::start().await;
    s.register("victim", "password123").await;
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "victim", "password": "password123" }),
            None,
        )
        .await;
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let evil = s
        .http
        .post(s.url("/api/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(
        evil.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );
    let own = s
        .http
        .post(s.url("/api/logout"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{}", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
}

#[tokio::test]
async fn history_pages_and_refusals() {
    let s = Server::start().await;
    let (token, _) = s.user("hist").await;
    let mut ws = s.ws(&token).await;
    ws.join(None).await;
    for i in 1..=60 {
        ws.say(&format!("m{i}"), &format!("c{i}")).await;
    }
    loop {
        let f = ws.until("message").await;
        if f["message"]["id"] == 60 {
            break;
        }
    }
    let get = |q: &str| {
        let req = s
            .http
            .get(s.url(&format!("/api/rooms/general/messages{q}")))
            .bearer_auth(&token);
        async move { req.send().await.unwrap() }
    };
    let ids = |v: Value| -> Vec<u64> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect()
    };
    let r = get("").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        ids(v.clone()),
        (11..=60).collect::<Vec<_>>(),
        "latest 50, oldest first"
    );
    let m = &v["messages"][0];
    assert_eq!(m["room"], "general");
    assert_eq!(m["author"]["username"], "hist");
    assert_eq!(m["body"], "m11");
    assert_eq!(m["client_id"], "c11");
    assert!(m["sent_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        ids(get("?before=11&limit=5").await.json().await.unwrap()),
        [6, 7, 8, 9, 10]
    );
    assert_eq!(
        ids(get("?after=57").await.json().await.unwrap()),
        [58, 59, 60]
    );
    assert_eq!(
        ids(get("?after=2&before=6").await.json().await.unwrap()),
        [3, 4, 5]
    );

    for (q, status) in [
        ("?limit=0", 400),
        ("?limit=201", 400),
        ("?before=abc", 400),
        ("?before=0", 400),
    ] {
        let r = get(q).await;
        assert_eq!(r.status(), status, "{q}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "invalid",
            "{q}"
        );
    }
    let r = s
        .http
        .get(s.url("/api/rooms/nowhere/messages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = s
        .http
        .get(s.url("/api/rooms/general/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn unknown_api_routes_are_json_404_and_pages_are_html_404() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/api/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = s.http.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("404"));
}

#[tokio::test]
async fn healthz_answers() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
