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
    warp::serve(routes)
        .incoming(listener)
        .graceful(async move {
            let _ = tokio::signal::ctrl_c().await;
            chat.shutdown().await;
        })
        .run()
        .await;
    Ok(())
}
