//! `crowd`: more idle sockets than one process may open (a process has
//! 20,000 files here), spread over the nodes of a cluster and over several
//! loadgen processes; what they cost the servers in memory; then one message
//! fanned out to every one of them, counted.
//!
//! The parent spawns itself as `crowd-part` children. Each child opens its
//! share, says `ready CONNECTED FAILED` on stdout, reads every socket until
//! the marked message arrives, and on `go` (stdin) waits for the rest and
//! says `received N LAST_MS` (the wall-clock time of its last receipt).

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::client::connect_and_join;
use crate::process::rss_kib;
use crate::users::VUser;

/// What the whole crowd did.
#[derive(Debug, Clone, Serialize)]
pub struct CrowdReport {
    /// Sockets asked for.
    pub sockets: usize,
    /// Loadgen processes that held them.
    pub processes: usize,
    /// Sockets connected and joined.
    pub connected: usize,
    /// Sockets that failed to connect or join.
    pub failures: usize,
    /// Seconds until every process had its share connected.
    pub connect_secs: f64,
    /// The servers' RSS added up before, in KiB.
    pub rss_before_kib: u64,
    /// The servers' RSS added up with every socket held, in KiB.
    pub rss_after_kib: u64,
    /// (after - before) / connected.
    pub bytes_per_socket: u64,
    /// Sockets that received the one fanned-out message.
    pub delivered: usize,
    /// Connected sockets that did not receive it within the timeout.
    pub lost: usize,
    /// From the send to the last socket's receipt, in milliseconds.
    pub fanout_ms: u64,
}

/// The parent: spawns children of `loadgen` (this executable, in the
/// binary) for `sockets` sockets over `bases`, `per_process` each; measures
/// `server_pids`, sends one message and counts it.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    loadgen: &std::path::Path,
    bases: &[String],
    users_file: &std::path::Path,
    users: &[VUser],
    sockets: usize,
    per_process: usize,
    room: &str,
    server_pids: &[u32],
) -> anyhow::Result<CrowdReport> {
    let rss = || -> u64 { server_pids.iter().filter_map(|&p| rss_kib(p)).sum() };
    let rss_before = rss();
    let marker = format!("crowd-{:016x}", rand::random::<u64>());
    let per_process = per_process.max(1);
    let mut parts = Vec::new();
    let started = Instant::now();
    let mut first = 0;
    while first < sockets {
        let count = per_process.min(sockets - first);
        parts.push(Part::spawn(
            loadgen,
            bases,
            users_file,
            users.len(),
            room,
            first,
            count,
            &marker,
        )?);
        first += count;
    }
    let (mut connected, mut failures) = (0, 0);
    for part in &mut parts {
        let line = part.line().await?;
        let mut words = line.split_whitespace();
        anyhow::ensure!(words.next() == Some("ready"), "a part said {line:?}");
        connected += words
            .next()
            .context("ready without a count")?
            .parse::<usize>()?;
        failures += words
            .next()
            .context("ready without failures")?
            .parse::<usize>()?;
    }
    let connect_secs = started.elapsed().as_secs_f64();
    // Let presence settle and buffers drain before measuring.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after = rss();

    // One message from a socket of its own, not counted among the crowd.
    let mut sender = connect_and_join(&bases[0], &users[0].token, room).await?;
    for part in &mut parts {
        part.stdin.write_all(b"go\n").await?;
    }
    let sent_ms = now_ms();
    sender
        .send(Message::text(
            json!({ "type": "send", "room": room, "body": marker, "client_id": marker })
                .to_string(),
        ))
        .await?;
    let (mut delivered, mut last_ms) = (0, sent_ms);
    for part in &mut parts {
        let line = part.line().await?;
        let mut words = line.split_whitespace();
        anyhow::ensure!(words.next() == Some("received"), "a part said {line:?}");
        delivered += words
            .next()
            .context("received without a count")?
            .parse::<usize>()?;
        last_ms = last_ms.max(words.next().context("no time")?.parse()?);
    }
    for part in &mut parts {
        let _ = part.child.wait().await;
    }
    Ok(CrowdReport {
        sockets,
        processes: parts.len(),
        connected,
        failures,
        connect_secs,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        bytes_per_socket: rss_after.saturating_sub(rss_before) * 1024 / connected.max(1) as u64,
        delivered,
        lost: connected - delivered.min(connected),
        fanout_ms: last_ms - sent_ms,
    })
}

/// One child process and its pipes.
struct Part {
    child: Child,
    stdin: ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Part {
    #[allow(clippy::too_many_arguments)]
    fn spawn(
        loadgen: &std::path::Path,
        bases: &[String],
        users_file: &std::path::Path,
        users: usize,
        room: &str,
        first: usize,
        count: usize,
        marker: &str,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(loadgen)
            .arg("crowd-part")
            .args(["--url", &bases.join(",")])
            .arg("--users-file")
            .arg(users_file)
            .args(["--room", room, "--marker", marker])
            .args(["--users", &users.to_string()])
            .args(["--first", &first.to_string(), "--count", &count.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("spawning a crowd part")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        Ok(Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    async fn line(&mut self) -> anyhow::Result<String> {
        match self.lines.next_line().await? {
            Some(line) => Ok(line),
            None => bail!("a crowd part ended early"),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A child: sockets `first..first + count`, socket i on node i mod n as
/// user i mod users, each read until the message with `marker` arrives.
pub async fn part(
    bases: &[String],
    users: &[VUser],
    room: &str,
    first: usize,
    count: usize,
    marker: &str,
) -> anyhow::Result<()> {
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<u64>();
    let (end_tx, end_rx) = watch::channel(false);
    let (mut connected, mut failed) = (0, 0);
    let mut joins = stream::iter(first..first + count)
        .map(|i| connect_and_join(&bases[i % bases.len()], &users[i % users.len()].token, room))
        .buffer_unordered(64);
    while let Some(joined) = joins.next().await {
        let mut ws = match joined {
            Ok(ws) => ws,
            Err(e) => {
                if failed == 0 {
                    eprintln!("crowd part: first failure: {e:#}");
                }
                failed += 1;
                continue;
            }
        };
        connected += 1;
        let (got, mut end, marker) = (got_tx.clone(), end_rx.clone(), marker.to_owned());
        // Read from the start: a socket that is not read falls behind the
        // presence of everyone joining after it, and the server closes it.
        tokio::spawn(async move {
            // Read everything (presence, typing...) so nothing backs up,
            // until the marked message; then hold the socket until the end.
            while let Some(Ok(frame)) = ws.next().await {
                if let Message::Text(t) = frame
                    && let Ok(v) = serde_json::from_str::<Value>(&t)
                    && v["type"] == "message"
                    && v["message"]["body"] == marker.as_str()
                {
                    let _ = got.send(now_ms());
                    break;
                }
            }
            let _ = end.wait_for(|e| *e).await;
        });
    }
    drop(got_tx);
    println!("ready {connected} {failed}");
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = stdin.next_line().await? {
        if line == "go" {
            break;
        }
    }
    let (mut received, mut last) = (0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received < connected {
        match tokio::time::timeout_at(deadline, got_rx.recv()).await {
            Ok(Some(at)) => {
                received += 1;
                last = last.max(at);
            }
            _ => break,
        }
    }
    println!("received {received} {last}");
    let _ = end_tx.send(true);
    Ok(())
}
