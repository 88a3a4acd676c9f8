//! Serving routes on a listener with the limits a public server needs.
//!
//! `warp::serve` runs hyper without a timer, so a connection that never
//! finishes its headers, or sends nothing at all, is kept forever, and it
//! counts nothing. [`serve`] owns the accept loop instead: hyper's
//! header-read timeout (which also ends keep-alive connections that go
//! quiet between requests), a cap on open connections in all and per
//! client address (WebSockets included: the count follows the socket
//! through the upgrade), and a graceful shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::config::WebConfig;
use crate::web::Web;

/// The peer address of a connection [`serve`] accepted, as a request
/// extension (warp's own `addr::remote` is only filled by `warp::serve`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

/// Serves `routes` (usually [`Web::routes`], or a host's routes `.or()`
/// chat's, which answer every request and so never reject) on `listener` until `shutdown` completes, then stops
/// accepting, asks open HTTP connections to finish their request, closes
/// chat's sockets ([`Web::shutdown`]) and waits for connections to end.
///
/// Limits come from `web`'s [`WebConfig`]: `header_read_timeout`,
/// `max_connections`, `max_connections_per_addr`. A connection over a cap
/// is closed at once, before any byte is read. Connections from
/// `trusted_proxies` count only toward the total: a proxy carries many
/// clients.
pub async fn serve<F, R>(
    web: &Web,
    routes: F,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) where
    F: Filter<Extract = (R,), Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    R: Reply + 'static,
{
    // Generic code is compiled in the crate that calls it: only this
    // boxing is, while hyper's connection machinery below is compiled once,
    // here, and not again in every binary that serves (and rebuilt with it).
    let routes = routes.map(Reply::into_response).boxed();
    serve_boxed(web, routes, listener, Box::pin(shutdown)).await;
}

async fn serve_boxed(
    web: &Web,
    routes: BoxedFilter<(Response,)>,
    listener: TcpListener,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
) {
    let config = web.config().clone();
    let open = Arc::new(OpenConnections::default());
    let connections = TaskTracker::new();
    let stopping = CancellationToken::new();
    let mut shutdown = shutdown;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, mostly: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = open.admit(peer.ip(), &config) else {
            crate::metrics::connection_refused();
            tracing::debug!(%peer, "connection over the cap closed");
            continue;
        };
        let service = warp::service(routes.clone());
        let service = tower_service_fn(service, PeerAddr(peer));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .max_buf_size(64 * 1024);
        let io = TokioIo::new(Counted {
            stream,
            _slot: slot,
        });
        let stopping = stopping.clone();
        connections.spawn(async move {
            let conn = http
                .serve_connection(io, hyper_util::service::TowerToHyperService::new(service))
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                () = stopping.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    stopping.cancel();
    web.shutdown().await;
    connections.close();
    connections.wait().await;
}

/// Adds the peer address to every request of a connection.
fn tower_service_fn<S>(inner: S, peer: PeerAddr) -> WithPeer<S> {
    WithPeer { inner, peer }
}

#[derive(Clone)]
struct WithPeer<S> {
    inner: S,
    peer: PeerAddr,
}

impl<S, B> tower_service::Service<hyper::Request<B>> for WithPeer<S>
where
    S: tower_service::Service<hyper::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: hyper::Request<B>) -> Self::Future {
        req.extensions_mut().insert(self.peer);
        self.inner.call(req)
    }
}

/// Open connections, in all and per client address.
#[derive(Default)]
struct OpenConnections {
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_addr: HashMap<IpAddr, usize>,
}

impl OpenConnections {
    fn admit(self: &Arc<Self>, ip: IpAddr, config: &WebConfig) -> Option<Slot> {
        let proxy = config.trusted_proxies.iter().any(|net| net.contains(&ip));
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.total >= config.max_connections {
            return None;
        }
        if !proxy {
            let n = counts.per_addr.entry(ip).or_default();
            if *n >= config.max_connections_per_addr {
                return None;
            }
            *n += 1;
        }
        counts.total += 1;
        Some(Slot {
            open: self.clone(),
            ip: (!proxy).then_some(ip),
        })
    }
}

/// One admitted connection; gives its place back when dropped.
struct Slot {
    open: Arc<OpenConnections>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total -= 1;
        if let Some(ip) = self.ip
            && let Some(n) = counts.per_addr.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_addr.remove(&ip);
            }
        }
    }
}

/// A TCP stream that holds its connection's [`Slot`]: hyper hands the
/// stream on to a WebSocket at the upgrade, and the slot goes with it.
struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
