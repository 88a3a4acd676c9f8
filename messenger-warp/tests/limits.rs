//! Limits on connections and sockets, against a listening server: slow
//! and silent connections, caps per address and per user, and the headers
//! every answer carries.

mod common;

use std::time::Duration;

use common::{Server, Ws, messenger_config, web_config};
use messenger_warp::WebConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether the server closed `stream` within `within` (a read answered
/// end-of-file or an error).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before the close is fine; keep reading.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_connections_are_closed_after_the_header_timeout() {
    let s = Server::with(
        messenger_config(),
        WebConfig {
            header_read_timeout: Duration::from_secs(1),
            ..web_config()
        },
    )
    .await;
    // 20 that never send a byte, 20 that trickle headers that never end.
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(c);
    }
    let tricklers: Vec<_> = slow
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                let start = tokio::time::Instant::now();
                for i in 0.. {
                    if c.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        return start.elapsed();
                    }
                    if closed_within(&mut c, Duration::from_millis(200)).await {
                        return start.elapsed();
                    }
                    if start.elapsed() > Duration::from_secs(10) {
                        break;
                    }
                }
                Duration::MAX
            })
        })
        .collect();
    for mut c in silent {
        assert!(
            closed_within(&mut c, Duration::from_secs(4)).await,
            "a silent connection stayed open"
        );
    }
    for t in tricklers {
        let took = t.await.unwrap();
        assert!(
            took < Duration::from_secs(4),
            "a slow connection stayed open {took:?}"
        );
    }
    // A prompt client is served as ever.
    let r = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_address_cap_are_closed_at_once() {
    let s = Server::with(
        messenger_config(),
        WebConfig {
            max_connections_per_addr: 5,
            ..web_config()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // Let the server accept all five before the sixth.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut sixth = TcpStream::connect(s.addr).await.unwrap();
    assert!(closed_within(&mut sixth, Duration::from_secs(2)).await);

    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(s.addr).await.unwrap();
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    again.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_sockets_over_the_cap_close_with_4029() {
    let s = Server::with(
        messenger_config(),
        WebConfig {
            max_sockets_per_user: 2,
            ..web_config()
        },
    )
    .await;
    let (t, _) = s.user("manytabs").await;
    let (other, _) = s.user("onetab").await;
    let first = s.ws(&t).await;
    let _second = s.ws(&t).await;
    // Refused after the upgrade: the first frame is the close.
    let mut third = Ws::builder(s.ws_url()).token(&t).open().await.unwrap();
    let close = third.next().await;
    assert_eq!(
        close["type"], "__close",
        "the third socket was served: {close}"
    );
    assert_eq!(close["code"], messenger_warp::close::TOO_MANY_SOCKETS);
    assert_eq!(
        close["reason"],
        "too many open sockets for this account (at most 2)"
    );
    // Another user is not affected; a closed socket frees its place.
    let _others = s.ws(&other).await;
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match Ws::builder(s.ws_url()).token(&t).try_connect().await {
            Ok(_) => break,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the freed place was not given back: {e}"),
        }
    }
}

#[tokio::test]
async fn json_answers_are_neither_stored_nor_sniffed() {
    let s = Server::start().await;
    let (t, _) = s.user("private").await;
    for (path, token) in [
        ("/api/me", Some(&t)),
        ("/api/me", None),
        ("/api/nowhere", None),
    ] {
        let mut req = s.http.get(s.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let r = s.http.get(s.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}
