//! The shop with chat, over real sockets: its own login lets people chat
//! without registering, and its logout ends their chat.

use std::sync::Arc;

use embed_own_users::{SHOP_COOKIE, Shop, app};
use messenger_testkit::WsClient;
use serde_json::{Value, json};

struct Running {
    base: String,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Running {
    let (routes, chat) = app(Arc::new(Shop::demo())).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(
        warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                let _ = stopped.await;
                chat.shutdown().await;
            })
            .run(),
    );
    Running {
        base,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _stop: stop,
    }
}

impl Running {
    /// Logs in through the shop's own form; answers its cookie.
    async fn shop_login(&self, name: &str, password: &str) -> String {
        let r = self
            .http
            .post(format!("{}/login", self.base))
            .form(&[("name", name), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "shop login of {name}");
        let set = r.headers()["set-cookie"].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// A chat socket the shop's cookie authenticates, past its `ready`
    /// (`ws.ready()`).
    async fn ws(&self, cookie: &str) -> WsClient {
        WsClient::builder(messenger_testkit::ws_url(&self.base))
            .header("cookie", cookie)
            .connect()
            .await
    }
}

#[tokio::test]
async fn shop_customers_chat_without_registering_and_leave_with_the_shops_logout() {
    let shop = start().await;

    // Nobody logged in to the shop is nobody to the chat.
    assert_eq!(shop.get("/api/me", None).await.status(), 401);
    let r = shop.get("/chat", None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login", "the shop's own login");
    let forged = format!("{SHOP_COOKIE}=not-a-session");
    assert_eq!(shop.get("/api/me", Some(&forged)).await.status(), 401);

    // The chat's own accounts step aside for the shop's.
    let r = shop
        .http
        .post(format!("{}/api/register", shop.base))
        .header("content-type", "application/json")
        .body(r#"{"username":"mallory","password":"password123"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let login_page = shop.get("/login", None).await.text().await.unwrap();
    assert!(login_page.contains("Acme shop"), "the shop's login page");

    let alice = shop.shop_login("alice", "alice-secret").await;
    let bob = shop.shop_login("bob", "bob-secret").await;
    let me: Value = shop
        .get("/api/me", Some(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "alice");
    let page = shop.get("/chat", Some(&bob)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("data-username=\"bob\""));

    let mut a = shop.ws(&alice).await;
    let mut b = shop.ws(&bob).await;
    let ready = a.ready();
    assert_eq!(ready["type"], "ready");
    assert_eq!(ready["user"]["username"], "alice");
    assert_eq!(b.ready()["user"]["username"], "bob");
    for ws in [&mut a, &mut b] {
        ws.send(json!({ "type": "join", "room": "general" })).await;
        ws.until("presence").await;
    }
    a.send(
        json!({ "type": "send", "room": "general", "body": "Is the blue kettle back in stock?", "client_id": "k1" }),
    )
    .await;
    let got = b.until("message").await;
    assert_eq!(got["message"]["author"]["username"], "alice");
    assert_eq!(got["message"]["body"], "Is the blue kettle back in stock?");
    let history: Value = shop
        .get("/api/rooms/general/messages", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);

    // The shop's logout ends alice's chat at once, and only hers.
    let r = shop
        .http
        .post(format!("{}/logout", shop.base))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(a.until("error").await["code"], "unauthorized");
    assert_eq!(a.until("__close").await["code"], 1008);
    assert_eq!(shop.get("/api/me", Some(&alice)).await.status(), 401);
    b.send(json!({ "type": "send", "room": "general", "body": "still here", "client_id": "b1" }))
        .await;
    assert_eq!(b.until("message").await["message"]["body"], "still here");

    // Logging in again is the same chat user.
    let alice_again = shop.shop_login("alice", "alice-secret").await;
    let again: Value = shop
        .get("/api/me", Some(&alice_again))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["user"]["id"], me["user"]["id"]);
}

#[tokio::test]
async fn each_order_has_a_private_room_for_its_buyer_and_seller_only() {
    let shop = start().await;
    let alice = shop.shop_login("alice", "alice-secret").await;
    let bob = shop.shop_login("bob", "bob-secret").await;
    let carol = shop.shop_login("carol", "carol-secret").await;

    // The shop's page links each party to the order's room.
    let home = shop.get("/", Some(&alice)).await.text().await.unwrap();
    assert!(home.contains("href=\"/chat/order-1001\""), "{home}");
    assert!(home.contains("talk to the seller"));
    let home = shop.get("/", Some(&carol)).await.text().await.unwrap();
    assert!(!home.contains("order-1001"));

    // Both parties have it in their rooms and can talk in it.
    let rooms: Value = shop
        .get("/api/rooms", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    let order = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "order-1001")
        .expect("the order's room in the seller's list");
    assert_eq!(order["kind"], "private");
    assert_eq!(order["title"], "Order 1001: Blue kettle");
    let mut a = shop.ws(&alice).await;
    a.send(json!({ "type": "join", "room": "order-1001" }))
        .await;
    a.until("presence").await;
    a.send(
        json!({ "type": "send", "room": "order-1001", "body": "When will it ship?", "client_id": "o1" }),
    )
    .await;
    a.until("message").await;
    let page: Value = shop
        .get("/api/rooms/order-1001/messages", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"][0]["body"], "When will it ship?");

    // Another customer cannot read, list or open it.
    assert_eq!(
        shop.get("/api/rooms/order-1001/messages", Some(&carol))
            .await
            .status(),
        404
    );
    assert_eq!(
        shop.get("/chat/order-1001", Some(&carol)).await.status(),
        404
    );
    let theirs: Value = shop
        .get("/api/rooms", Some(&carol))
        .await
        .json()
        .await
        .unwrap();
    assert!(!theirs.to_string().contains("order-1001"));
}
