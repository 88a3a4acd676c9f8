//! `loadgen`: drives any server speaking the Community Messenger protocol.
//!
//! Every run is bounded in count and time, and talks to the given URL only
//! (use loopback). See docs/performance.md for the commands behind each figure.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use loadgen::fanout::FanoutOptions;
use loadgen::{bare, connect, crowd, fanout, login, process, stall, users};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Target {
    /// Server base URL; several, comma-separated, spread the clients over
    /// the nodes of a cluster (client i on the (i mod n)-th).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Where registered users are cached between runs.
    #[arg(long, default_value = "target/loadgen-users.json")]
    users_file: PathBuf,
    /// Room to use.
    #[arg(long, default_value = "general")]
    room: String,
}

#[derive(Args, Clone)]
struct Chat {
    /// Clients in the room.
    #[arg(long, short = 'c', default_value_t = 200)]
    clients: usize,
    /// Senders among them.
    #[arg(long, short = 's', default_value_t = 20)]
    senders: usize,
    /// Messages per sender.
    #[arg(long, short = 'm', default_value_t = 500)]
    messages: usize,
    /// Messages per second per sender (default: as fast as the window allows).
    #[arg(long)]
    rate: Option<f64>,
    /// Messages in flight per sender when no rate is given.
    #[arg(long, default_value_t = 16)]
    window: u64,
    /// Stop waiting when nothing arrives for this many seconds.
    #[arg(long, default_value_t = 10)]
    idle_timeout: u64,
    /// Percent of each sender's messages that are reactions instead (on
    /// v2 sockets; the server's --react-limit 0 keeps them unlimited).
    #[arg(long, default_value_t = 0)]
    react_percent: u32,
}

#[derive(Subcommand)]
enum Command {
    /// C clients in one room, S send M messages each.
    Fanout {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        chat: Chat,
        /// The server's pid (several, comma-separated, for a cluster: their
        /// CPU time is added), to report the CPU time it spent.
        #[arg(long, value_delimiter = ',')]
        server_pid: Vec<u32>,
    },
    /// Hold C idle authenticated sockets, joined to the room.
    Connect {
        #[command(flatten)]
        target: Target,
        /// Sockets.
        #[arg(long, short = 'c', default_value_t = 1000)]
        clients: usize,
        /// Distinct users the sockets log in as (cycled).
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Seconds to hold them.
        #[arg(long, default_value_t = 5)]
        hold: u64,
        /// The server's pid, to read its RSS from /proc.
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// C idle sockets over the nodes and several loadgen processes, their
    /// memory on the servers, then one message fanned out to all of them.
    Crowd {
        #[command(flatten)]
        target: Target,
        /// Sockets.
        #[arg(long, short = 'c', default_value_t = 50_000)]
        clients: usize,
        /// Distinct users the sockets log in as (cycled).
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Sockets per loadgen process (a process may open 20,000 files).
        #[arg(long, default_value_t = 16_000)]
        per_process: usize,
        /// The servers' pids, comma-separated, to add up their RSS.
        #[arg(long, value_delimiter = ',')]
        server_pid: Vec<u32>,
    },
    /// One process's share of a `crowd` (spawned by it).
    #[command(hide = true)]
    CrowdPart {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        users: usize,
        #[arg(long)]
        first: usize,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        marker: String,
    },
    /// L logins at concurrency K while a small chat runs.
    Login {
        #[command(flatten)]
        target: Target,
        /// Logins.
        #[arg(long, short = 'l', default_value_t = 200)]
        logins: usize,
        /// At once.
        #[arg(long, short = 'k', default_value_t = 16)]
        concurrency: usize,
        #[command(flatten)]
        chat: Chat,
    },
    /// One socket stops reading while M messages of B bytes are posted:
    /// the server's RSS, against the same traffic with no stalled socket
    /// (each run in a room of its own).
    Stall {
        #[command(flatten)]
        target: Target,
        /// Messages.
        #[arg(long, short = 'm', default_value_t = 6000)]
        messages: usize,
        /// Bytes per message body.
        #[arg(long, short = 'b', default_value_t = 3900)]
        bytes: usize,
        /// The server's pid, to read its RSS from /proc.
        #[arg(long)]
        server_pid: u32,
    },
    /// Serve the floor: broadcast only, no auth, no storage.
    Bare {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        addr: SocketAddr,
    },
}

/// The target's base URLs, one per node.
fn bases(target: &Target) -> Vec<String> {
    target
        .url
        .split(',')
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .filter(|u| !u.is_empty())
        .collect()
}

fn options(target: &Target, chat: &Chat) -> FanoutOptions {
    FanoutOptions {
        base: target.url.trim_end_matches('/').to_owned(),
        clients: chat.clients,
        senders: chat.senders,
        messages: chat.messages,
        rate: chat.rate,
        window: chat.window,
        room: target.room.clone(),
        idle_timeout: Duration::from_secs(chat.idle_timeout),
        react_percent: chat.react_percent,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    match Cli::parse().command {
        Command::Fanout {
            target,
            chat,
            server_pid,
        } => {
            let opts = options(&target, &chat);
            let first = opts.base.split(',').next().unwrap_or_default().to_owned();
            let users = users::ensure(&first, opts.clients, Some(&target.users_file)).await?;
            let cpu = |pids: &[u32]| -> Option<f64> {
                if pids.is_empty() {
                    return None;
                }
                pids.iter().map(|p| process::cpu_seconds(*p)).sum()
            };
            let cpu_before = cpu(&server_pid);
            let r = fanout::run(&opts, &users).await?;
            println!("{}", serde_json::to_string(&r)?);
            if let (Some(before), Some(after)) = (cpu_before, cpu(&server_pid)) {
                let cpu = after - before;
                eprintln!(
                    "server CPU {cpu:.2}s over the run (connecting included) = {:.2} us per delivery",
                    cpu * 1e6 / r.delivered.max(1) as f64
                );
            }
            eprintln!(
                "fanout C={} S={} M={}: {}/{} delivered ({} lost, {} dup, {} out of order, {} errors) in {:.2}s = {:.0} msgs/s; latency p50 {:.2} p90 {:.2} p99 {:.2} max {:.2} ms",
                r.clients,
                r.senders,
                r.messages,
                r.delivered,
                r.expected,
                r.lost,
                r.duplicated,
                r.out_of_order,
                r.errors,
                r.seconds,
                r.delivered_per_sec,
                r.latency.p50_ms,
                r.latency.p90_ms,
                r.latency.p99_ms,
                r.latency.max_ms
            );
            anyhow::ensure!(
                r.lost == 0 && r.duplicated == 0 && r.out_of_order == 0,
                "delivery was not exact"
            );
        }
        Command::Crowd {
            target,
            clients,
            users: n,
            per_process,
            server_pid,
        } => {
            let bases = bases(&target);
            let users = users::ensure(&bases[0], n.min(clients), Some(&target.users_file)).await?;
            let r = crowd::run(
                &std::env::current_exe()?,
                &bases,
                &target.users_file,
                &users,
                clients,
                per_process,
                &target.room,
                &server_pid,
            )
            .await?;
            println!("{}", serde_json::to_string(&r)?);
            eprintln!(
                "crowd: {}/{} sockets over {} nodes and {} loadgen processes ({} failed) in {:.1}s; \
                 server RSS {} -> {} KiB = {} bytes/socket; one message: {} delivered, {} lost, last after {} ms",
                r.connected,
                r.sockets,
                bases.len(),
                r.processes,
                r.failures,
                r.connect_secs,
                r.rss_before_kib,
                r.rss_after_kib,
                r.bytes_per_socket,
                r.delivered,
                r.lost,
                r.fanout_ms
            );
            anyhow::ensure!(
                r.lost == 0 && r.failures == 0,
                "the crowd was not served whole"
            );
        }
        Command::CrowdPart {
            target,
            users: n,
            first,
            count,
            marker,
        } => {
            let bases = bases(&target);
            // Read only: the parent made sure of them, and parts run at once.
            let users = users::cached(&bases[0], n, &target.users_file)?;
            crowd::part(&bases, &users, &target.room, first, count, &marker).await?;
        }
        Command::Connect {
            target,
            clients,
            users: n,
            hold,
            server_pid,
        } => {
            let base = target.url.trim_end_matches('/');
            let users = users::ensure(base, n.min(clients), Some(&target.users_file)).await?;
            let r = connect::run(
                base,
                &users,
                clients,
                &target.room,
                Duration::from_secs(hold),
                server_pid,
            )
            .await?;
            println!("{}", serde_json::to_string(&r)?);
            eprintln!(
                "connect: {}/{} sockets ({} failed) at {:.0}/s; server RSS {:?} -> {:?} KiB = {:?} bytes/socket",
                r.connected,
                r.sockets,
                r.failures,
                r.connect_per_sec,
                r.rss_before_kib,
                r.rss_after_kib,
                r.bytes_per_socket
            );
        }
        Command::Login {
            target,
            logins,
            concurrency,
            chat,
        } => {
            let opts = options(&target, &chat);
            let all = users::ensure(
                &opts.base,
                opts.clients + concurrency,
                Some(&target.users_file),
            )
            .await?;
            let (chat_users, storm_users) = all.split_at(opts.clients);
            let r = login::run(&opts, chat_users, storm_users, logins, concurrency).await?;
            println!("{}", serde_json::to_string(&r)?);
            eprintln!(
                "login: {} logins at {} ({} failed): {:.1}/s, p50 {:.1} p99 {:.1} ms; chat p99 {:.2} ms alone, {:.2} ms during = {:.2}x",
                r.logins,
                r.concurrency,
                r.failed,
                r.logins_per_sec,
                r.latency.p50_ms,
                r.latency.p99_ms,
                r.chat_p99_alone_ms,
                r.chat_p99_during_ms,
                r.chat_p99_ratio
            );
        }
        Command::Stall {
            target,
            messages,
            bytes,
            server_pid,
        } => {
            let base = target.url.trim_end_matches('/').to_owned();
            let users = users::ensure(&base, 2, Some(&target.users_file)).await?;
            let http = reqwest::Client::new();
            for (stalled, room) in [(false, "stall-control"), (true, "stall-stalled")] {
                // A room of its own, so each run fills its own broadcast ring.
                let _ = http
                    .post(format!("{base}/api/rooms"))
                    .bearer_auth(&users[0].token)
                    .json(&serde_json::json!({ "name": room, "title": room }))
                    .send()
                    .await?;
                let opts = stall::StallOptions {
                    base: base.clone(),
                    room: room.to_owned(),
                    messages,
                    bytes,
                    stalled,
                    server_pid,
                };
                let r = stall::run(&opts, &users).await?;
                println!("{}", serde_json::to_string(&r)?);
                eprintln!(
                    "stall {}: {:.1} MiB posted; server RSS {:.1} -> peak {:.1} -> {:.1} MiB; stalled socket closed: {}",
                    if stalled {
                        "with a stalled reader"
                    } else {
                        "control, no stalled reader"
                    },
                    r.posted_bytes as f64 / 1048576.0,
                    r.rss_before_kib as f64 / 1024.0,
                    r.rss_peak_kib as f64 / 1024.0,
                    r.rss_after_kib as f64 / 1024.0,
                    r.closed_after_s.map_or("no".to_owned(), |s| format!(
                        "seen {s:.1} s after the last post"
                    )),
                );
            }
        }
        Command::Bare { addr } => {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_nodelay(true)?; // inherited by accepted sockets
            socket.bind(addr)?;
            let listener = socket.listen(1024)?;
            println!("bare floor server at http://{}/", listener.local_addr()?);
            bare::serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        }
    }
    Ok(())
}
