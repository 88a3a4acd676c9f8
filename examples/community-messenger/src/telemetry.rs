//! `/metrics` in the Prometheus text format, on its own address so it need
//! not be public.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use messenger_core::metrics::HISTOGRAMS;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use warp::Filter;

/// Store calls take micro- to milliseconds; hashes tens to hundreds of ms.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0,
];

/// Installs the recorder and serves `GET /metrics` on `addr`; answers the
/// address it listens on.
pub async fn serve(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let mut builder = PrometheusBuilder::new();
    for name in HISTOGRAMS {
        builder = builder
            .set_buckets_for_metric(Matcher::Full(name.to_owned()), &BUCKETS)
            .context("histogram buckets")?;
    }
    let handle = builder
        .install_recorder()
        .context("installing the metrics recorder")?;
    // Histograms keep their samples until upkeep folds them in.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let route = warp::path!("metrics").and(warp::get()).map(move || {
        warp::reply::with_header(
            handle.render(),
            "content-type",
            "text/plain; version=0.0.4; charset=utf-8",
        )
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening for metrics on {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(warp::serve(route).incoming(listener).run());
    Ok(bound)
}
