//! Flags and environment variables (docs/operations.md, "Settings").

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand};

/// Community Messenger: register, log in and chat in real time.
///
/// With no command it serves; the commands administer the same database,
/// whether the server is running or not.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "MESSENGER_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// SQLite database file (created with its folder on first run).
    #[arg(
        long,
        env = "MESSENGER_DB",
        default_value = "instance/messenger.db",
        global = true
    )]
    pub db: PathBuf,

    /// PostgreSQL instead of SQLite: `postgres://user:password@host:port/db`
    /// (schema created and migrated at start; `--db` is then unused). Nodes
    /// started with the same URL share users, sessions, rooms and history.
    #[arg(
        long,
        env = "MESSENGER_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Redis for what nodes share live: `redis://host:port/N`. Room events,
    /// users' own events and session revocations then reach every node
    /// started with the same URL.
    #[arg(long, env = "MESSENGER_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Mark cookies Secure (set this when serving behind TLS).
    #[arg(long, env = "MESSENGER_SECURE_COOKIES", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    pub secure_cookies: bool,

    /// A load balancer or reverse proxy (address or CIDR block) whose
    /// X-Forwarded-For is believed, so per-address limits count clients,
    /// not the proxy. Repeat it, or comma-separate in the variable.
    #[arg(long = "trusted-proxy", env = "MESSENGER_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The origin people reach the server at (`https://chat.example.com`);
    /// when given, browsers' requests must come from it, whatever their
    /// Host header says. Repeat it, or comma-separate in the variable.
    #[arg(
        long = "public-origin",
        env = "MESSENGER_PUBLIC_ORIGINS",
        value_delimiter = ','
    )]
    pub public_origins: Vec<String>,

    /// Messages per user per second, with a burst of three seconds' worth; 0 turns the limit off.
    #[arg(long, env = "MESSENGER_SEND_LIMIT", default_value_t = 10)]
    pub send_limit: u32,

    /// Reactions added or removed per user per second, with a burst of
    /// fifteen seconds' worth; 0 turns the limit off.
    #[arg(long, env = "MESSENGER_REACT_LIMIT", default_value_t = 2)]
    pub react_limit: u32,

    /// Open connections (WebSockets included) in all.
    #[arg(long, env = "MESSENGER_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Open connections (WebSockets included) per client address; a
    /// trusted proxy's count only toward --max-connections.
    #[arg(
        long,
        env = "MESSENGER_MAX_CONNECTIONS_PER_ADDR",
        default_value_t = 256
    )]
    pub max_connections_per_addr: usize,

    /// Open WebSockets per user (with --redis-url, across every node).
    #[arg(long, env = "MESSENGER_MAX_SOCKETS_PER_USER", default_value_t = 32)]
    pub max_sockets_per_user: usize,

    /// Seconds a connection has to send a request's headers (after opening,
    /// and between keep-alive requests) before it is closed.
    #[arg(long, env = "MESSENGER_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,

    /// Registrations per client address per hour; 0 turns the limit off.
    #[arg(long, env = "MESSENGER_REGISTER_LIMIT", default_value_t = 30)]
    pub register_limit: u32,

    /// Who may create rooms: `anyone`, `moderators` (and admins), or
    /// `nobody` (rooms then come only from the configuration and host code).
    #[arg(long, env = "MESSENGER_ROOM_CREATION", value_enum, default_value_t = RoomCreationArg::Anyone)]
    pub room_creation: RoomCreationArg,

    /// Serve Prometheus metrics at `http://ADDR/metrics` (off unless given;
    /// keep it on a private address).
    #[arg(long, env = "MESSENGER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// `--room-creation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoomCreationArg {
    /// Every user may create rooms.
    Anyone,
    /// Moderators and admins.
    Moderators,
    /// No user may.
    Nobody,
}

impl From<RoomCreationArg> for messenger_core::RoomCreation {
    fn from(a: RoomCreationArg) -> Self {
        match a {
            RoomCreationArg::Anyone => Self::Anyone,
            RoomCreationArg::Moderators => Self::Moderators,
            RoomCreationArg::Nobody => Self::Nobody,
        }
    }
}

/// Administration commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the database to FILE (safe while the
    /// server runs: SQLite's online backup).
    Backup {
        /// Where the copy goes (replaced if it exists).
        file: PathBuf,
    },
    /// Check the database's integrity; exits 1 if it finds problems.
    Check,
    /// PostgreSQL: make deleted and edited-away text leave the database's
    /// files (rewrites the messages table, locking it meanwhile; needs a
    /// superuser and `wal_recycle = off`: docs/operations.md, "Erasure").
    /// Exits 1 if a step failed. SQLite needs no such step.
    PurgeErased,
}

/// `user` subcommands. Passwords are read from standard input (prompted
/// without echo on a terminal), never from the command line.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List every user: id, name, created, how they log in, role, standing.
    List,
    /// Create a user with a password.
    Create {
        /// The username.
        username: String,
    },
    /// Give a user a new password and log them out everywhere.
    ResetPassword {
        /// The username.
        username: String,
    },
    /// Give a user a role: `member`, `moderator` or `admin` (how the first
    /// admin is made).
    Role {
        /// The username.
        username: String,
        /// The new role.
        #[arg(value_enum)]
        role: RoleArg,
        /// Why, for the moderation log.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Ban a user: every session is logged out (open pages close, showing
    /// the reason, at the server's next session check) and login is refused.
    Ban {
        /// The username.
        username: String,
        /// Why; shown to the user and kept in the moderation log.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift a ban.
    Unban {
        /// The username.
        username: String,
        /// Why, for the moderation log.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Everyone.
    Member,
    /// Deletes any message, mutes and bans members.
    Moderator,
    /// Also grants roles and reads the moderation log.
    Admin,
}

impl From<RoleArg> for messenger_core::Role {
    fn from(a: RoleArg) -> Self {
        match a {
            RoleArg::Member => Self::Member,
            RoleArg::Moderator => Self::Moderator,
            RoleArg::Admin => Self::Admin,
        }
    }
}

/// `10.0.0.5` (one address) or `10.0.0.0/24`.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is not an address or a CIDR block"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        assert_eq!(parse_proxy("10.0.0.5").unwrap().to_string(), "10.0.0.5/32");
        assert_eq!(
            parse_proxy(" 10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(parse_proxy("::1").unwrap().to_string(), "::1/128");
        assert!(parse_proxy("proxy.local").is_err());
        let args = Args::try_parse_from([
            "community-messenger",
            "--trusted-proxy",
            "10.0.0.5",
            "--trusted-proxy",
            "192.168.0.0/16,::1",
        ])
        .unwrap();
        assert_eq!(args.trusted_proxies.len(), 3);
    }
}
