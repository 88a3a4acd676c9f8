//! Chat inside someone else's warp app, in a page of code.
//!
//! `cargo run -p embed-minimal`, then open http://127.0.0.1:3030/.
//! The host app keeps its own routes; the chat brings login, register, the
//! chat page, the JSON API and the WebSocket. Everything lives in memory.

use std::sync::Arc;

use messenger_core::{MemoryStore, Messenger};
use messenger_warp::Web;
use warp::Filter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The chat service over the in-memory store, and its web layer.
    let messenger = Messenger::builder()
        .store(Arc::new(MemoryStore::new()))
        .build()?;
    let chat = Web::new(messenger);

    // 2. The host app's own routes.
    let home = warp::path::end().map(|| {
        warp::reply::html(
            "<!doctype html><title>Acme intranet</title>\
             <h1>Acme intranet</h1>\
             <p>Our own page. The community chat is mounted beside it: \
             <a href=\"/chat\">open the chat</a>.</p>",
        )
    });
    let status = warp::path!("acme" / "status").map(|| warp::reply::json(&"all systems go"));

    // 3. Mount the chat next to them (its pages, /api, /ws and /static).
    let app = home.or(status).or(chat.routes());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3030").await?;
    println!(
        "Acme intranet with chat at http://{}/",
        listener.local_addr()?
    );
    // Served with chat's limits: header timeout, connection caps
    // (messenger_warp::serve closes chat's sockets on the way out).
    messenger_warp::serve(&chat, app, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
