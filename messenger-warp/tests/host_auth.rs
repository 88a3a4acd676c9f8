//! A host application's `Authenticator` in place of the chat's own
//! sessions, over real sockets.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{GeneralRoom, Server, messenger_config, web_config};
use messenger_core::{ExternalId, HostIdentity, Limits, MemoryStore, Messenger, Username};
use messenger_warp::{ApiError, Authenticator, Web, WebConfig, async_trait};
use serde_json::{Value, json};
use warp::http::HeaderMap;

/// Trusts `X-Host-Session`: a session id the "host" maps to (its id, name).
#[derive(Default)]
struct HostSessions(Mutex<HashMap<String, (String, String)>>);

impl HostSessions {
    fn open(&self, session: &str, id: &str, name: &str) {
        self.0
            .lock()
            .unwrap()
            .insert(session.into(), (id.into(), name.into()));
    }

    fn end(&self, session: &str) {
        self.0.lock().unwrap().remove(session);
    }
}

#[async_trait]
impl Authenticator for HostSessions {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<HostIdentity>, ApiError> {
        let Some(session) = headers.get("x-host-session").and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let Some((id, name)) = self.0.lock().unwrap().get(session).cloned() else {
            return Ok(None);
        };
        Ok(Some(HostIdentity {
            external_id: ExternalId::parse(&id)?,
            username: Username::parse(&name, &Limits::default())?,
        }))
    }
}

async fn server(hosts: Arc<HostSessions>, wc: WebConfig) -> Server {
    let messenger = Messenger::builder()
        .config(messenger_config())
        .store(Arc::new(MemoryStore::new()))
        .build()
        .unwrap();
    Server::with_web(
        Web::builder(messenger)
            .config(wc)
            .authenticator(hosts)
            .build(),
    )
    .await
}

async fn get(s: &Server, path: &str, session: Option<&str>) -> reqwest::Response {
    let mut req = s.http.get(s.url(path));
    if let Some(v) = session {
        req = req.header("x-host-session", v);
    }
    req.send().await.unwrap()
}

/// A socket the host's session header authenticates, past its `ready`
/// (`ws.ready()`); the HTTP status if the upgrade is refused.
async fn ws(s: &Server, session: &str) -> Result<common::Ws, u16> {
    common::Ws::builder(s.ws_url())
        .header("x-host-session", session)
        .try_connect()
        .await
        .map_err(|e| e.status().unwrap_or_else(|| panic!("{e}")))
}

#[tokio::test]
async fn the_host_says_who_asks_and_the_chats_own_accounts_step_aside() {
    let hosts = Arc::new(HostSessions::default());
    let s = server(hosts.clone(), web_config()).await;
    hosts.open("s-ada", "u-1", "ada");

    assert_eq!(get(&s, "/api/me", None).await.status(), 401);
    assert_eq!(get(&s, "/api/me", Some("unknown")).await.status(), 401);
    let me: Value = get(&s, "/api/me", Some("s-ada"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "ada");
    assert_eq!(ws(&s, "unknown").await.err(), Some(401));

    // Our own sessions are not accepted, and our account routes are gone.
    for path in ["/api/register", "/api/login", "/api/logout"] {
        let r = s
            .post_json(
                path,
                json!({ "username": "zed", "password": "password123" }),
                None,
            )
            .await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "not_found"
        );
    }
    for path in ["/", "/login", "/register"] {
        assert_eq!(get(&s, path, Some("s-ada")).await.status(), 404, "{path}");
    }
    let page = get(&s, "/chat", Some("s-ada")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("data-username=\"ada\""));

    // A name the host gives that another user holds is a conflict, in the envelope.
    hosts.open("s-imposter", "u-2", "ADA");
    let r = get(&s, "/api/me", Some("s-imposter")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "conflict"
    );
}

#[tokio::test]
async fn a_socket_closes_once_its_host_session_ends() {
    let hosts = Arc::new(HostSessions::default());
    let wc = WebConfig {
        ping_interval: Duration::from_millis(50),
        ..web_config()
    };
    let s = server(hosts.clone(), wc).await;
    hosts.open("s-ada", "u-1", "ada");
    hosts.open("s-bob", "u-2", "bob");
    let mut a = ws(&s, "s-ada").await.unwrap();
    let mut b = ws(&s, "s-bob").await.unwrap();
    assert_eq!(a.ready()["user"]["username"], "ada");
    assert_eq!(b.ready()["user"]["username"], "bob");
    a.join(None).await;

    // No revocation is published: the socket learns it by asking the host again.
    hosts.end("s-ada");
    assert_eq!(a.until("error").await["code"], "unauthorized");
    assert_eq!(a.until("__close").await["code"], 1008);

    // Bob's socket lives on, and he can talk.
    b.join(None).await;
    b.say("still here", "b-1").await;
    assert_eq!(b.until("message").await["message"]["body"], "still here");
}
