//! `cargo run -p embed-own-users`, then open http://127.0.0.1:3031/ and log
//! in as alice / alice-secret (and as bob / bob-secret in another browser).

use std::sync::Arc;

use embed_own_users::{Shop, app};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (routes, chat) = app(Arc::new(Shop::demo())).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3031").await?;
    println!(
        "Acme shop with customer chat at http://{}/",
        listener.local_addr()?
    );
    // Served with chat's limits: header timeout, connection caps
    // (messenger_warp::serve closes chat's sockets on the way out).
    messenger_warp::serve(&chat, routes, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
