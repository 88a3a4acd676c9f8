//! The Community Messenger server: `cargo run --release -p community-messenger`.

mod admin;
mod allocator;
mod backend;
mod cli;
mod cluster;
mod telemetry;
mod ui;

use std::num::NonZeroU32;

use anyhow::Context;
use backend::Backend;
use clap::Parser;
use messenger_core::{ActionLimits, Messenger, MessengerConfig, Rate, RateQuota};
use messenger_warp::{Web, WebConfig};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    allocator::return_large_blocks();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(run())
}

/// A listener whose connections send small frames at once: chat frames
/// are small, and Nagle's algorithm would hold one back until the peer's
/// delayed ACK (40 ms). Accepted sockets inherit `TCP_NODELAY` on Linux.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // Logs are stderr's (docs/operations.md); stdout says where it listens.
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let mut args = cli::Args::parse();
    if let Some(command) = args.command.take() {
        let code = admin::run(command, &args.db, args.database_url.as_deref()).await?;
        std::process::exit(code);
    }

    // Every socket is a file descriptor; take all the system allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open file limit"),
    }

    if let Some(addr) = args.metrics_addr {
        let bound = telemetry::serve(addr).await?;
        println!("Metrics at http://{bound}/metrics");
    }

    let backend = Backend::open(&args.db, args.database_url.as_deref()).await?;
    let config = MessengerConfig {
        send_rate: NonZeroU32::new(args.send_limit).map(|per_second| Rate {
            per_second,
            burst: per_second.saturating_mul(NonZeroU32::new(3).expect("non-zero")),
        }),
        room_creation: args.room_creation.into(),
        actions: ActionLimits {
            react: NonZeroU32::new(args.react_limit).map(|per_second| RateQuota {
                burst: per_second.saturating_mul(NonZeroU32::new(15).expect("non-zero")),
                period: std::time::Duration::from_secs(1) / per_second.get(),
            }),
            ..ActionLimits::default()
        },
        ..MessengerConfig::default()
    };
    let mut builder = backend.install(Messenger::builder().config(config));
    if let Some(url) = &args.redis_url {
        builder = cluster::shared_live_state(builder, url).await?;
    }
    let messenger = builder.build().context("building the messenger")?;
    let web = Web::builder(messenger)
        .config(WebConfig {
            secure_cookies: args.secure_cookies,
            trusted_proxies: args.trusted_proxies.clone(),
            public_origins: args.public_origins.clone(),
            register_per_hour: NonZeroU32::new(args.register_limit),
            max_connections: args.max_connections,
            max_connections_per_addr: args.max_connections_per_addr,
            max_sockets_per_user: args.max_sockets_per_user,
            header_read_timeout: std::time::Duration::from_secs(args.header_timeout),
            ..WebConfig::default()
        })
        .templates(ui::templates().context("loading the templates")?)
        .assets(ui::assets())
        .build();

    let listener = listen(args.addr).with_context(|| format!("listening on {}", args.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(store = %backend.describe(&args.db), %addr, "listening");
    println!("Community Messenger is running at http://{addr}/ (Ctrl-C to stop)");

    let routes = web.routes();
    messenger_warp::serve(&web, routes, listener, async {
        shutdown_signal().await;
        tracing::info!("shutting down: closing sockets");
    })
    .await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
