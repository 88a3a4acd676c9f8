//! A protocol client socket: opened, authenticated and joined with the
//! shared test client (`messenger-testkit`), then handed over raw. The
//! scenarios' receive loops read the raw socket themselves (the fan-out's
//! parses each frame into borrowed structs, no `serde_json::Value`), so
//! that what a delivery costs on this side stays as small as it can be.

use std::time::Duration;

use anyhow::{Context, bail};
use messenger_testkit::WsClient;
use serde_json::json;

/// An authenticated socket.
pub use messenger_testkit::Socket;
/// `ws://` URL of a server's `/ws`.
pub use messenger_testkit::ws_url;

/// How long the upgrade and each frame of the handshake may take: far
/// longer than any does, so that a busy server is measured rather than
/// given up on, yet a dead one does not hang the run.
const PATIENCE: Duration = Duration::from_secs(60);

/// Opens `/ws` with `token`, waits for `ready`, joins `room` and waits for
/// its `presence` (the end of the join's answer).
pub async fn connect_and_join(base: &str, token: &str, room: &str) -> anyhow::Result<Socket> {
    connect_and_join_speaking(base, token, room, false).await
}

/// [`connect_and_join`] on `/ws?v=2` when `v2`.
pub async fn connect_and_join_speaking(
    base: &str,
    token: &str,
    room: &str,
    v2: bool,
) -> anyhow::Result<Socket> {
    let url = if v2 {
        format!("{}?v=2", ws_url(base))
    } else {
        ws_url(base)
    };
    // Small frames must leave at once: Nagle would hold one for an ACK.
    let mut ws = WsClient::builder(url)
        .token(token)
        .nodelay()
        .timeout(PATIENCE)
        .try_connect()
        .await
        .context("upgrade")?;
    ws.try_send(json!({ "type": "join", "room": room }))
        .await
        .context("join")?;
    let answer = ws
        .try_until_where(|f| {
            f["type"] == "presence" || f["type"] == "error" || f["type"] == "__close"
        })
        .await
        .context("waiting for presence")?;
    if answer["type"] != "presence" {
        bail!("server answered the join with {answer}");
    }
    Ok(ws.into_inner())
}
