//! A protocol client socket.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// An authenticated socket.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// `ws://` URL of a server's `/ws`.
pub fn ws_url(base: &str) -> String {
    format!("{}/ws", base.replacen("http://", "ws://", 1))
}

/// Opens `/ws` with `token`, waits for `ready`, joins `room` and waits for
/// its `presence` (the end of the join's answer).
pub async fn connect_and_join(base: &str, token: &str, room: &str) -> anyhow::Result<Socket> {
    let mut req = ws_url(base).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    // Small frames must leave at once: Nagle would hold one for an ACK.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true)
        .await
        .context("upgrade")?;
    expect(&mut ws, "ready").await?;
    ws.send(Message::text(
        json!({ "type": "join", "room": room }).to_string(),
    ))
    .await?;
    expect(&mut ws, "presence").await?;
    Ok(ws)
}

async fn expect(ws: &mut Socket, ty: &str) -> anyhow::Result<()> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == ty {
                    return Ok(());
                }
                if v["type"] == "error" {
                    bail!("server error while waiting for {ty}: {v}");
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("socket closed while waiting for {ty}"),
        }
    }
}
