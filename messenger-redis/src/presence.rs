//! Who is online, across nodes, on Redis: counts per user per room, with
//! each node's share under a lease, so a killed node's users leave.
//!
//! Keys (all under `messenger:presence:`):
//! - `room:{room}`: user id → connections on every node (the global count);
//! - `names:{room}`: user id → username, for users with a count;
//! - `node:{node}`: `{room}\n{user id}` → this node's connections;
//! - `nodes`: sorted set of node → last heartbeat (ms).
//!
//! A node beats every [`HEARTBEAT`]; one not heard for [`LEASE`] is dead, and
//! the first node to see it takes its connections off the counts and
//! publishes who left. A node also keeps its own share in memory: if Redis
//! lost its data (a restart without persistence), the node writes its
//! share back at the next beat, and while Redis is unreachable it answers
//! from that share alone, so joining a room never fails for Redis.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use messenger_core::store::StoreError;
use messenger_core::{
    EventKind, Presence, RoomBroadcast, RoomEvent, RoomName, User, UserId, Username,
};
use redis::aio::ConnectionManager;

use crate::error::RedisError;

/// How often a node renews its lease.
pub const HEARTBEAT: Duration = Duration::from_secs(3);

/// How long a node may go unheard before its users are taken offline.
pub const LEASE: Duration = Duration::from_secs(15);

const PREFIX: &str = "messenger:presence:";

const DISCONNECT: &str = r#"
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local g = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
if g <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 1
end
return 0
"#;

/// Takes a dead node's connections off the counts; answers who left, as
/// a flat list of room, user id, name.
const SWEEP: &str = r#"
local prefix = ARGV[1]
local entries = redis.call('HGETALL', KEYS[1])
local left = {}
for i = 1, #entries, 2 do
  local field, count = entries[i], tonumber(entries[i + 1])
  local sep = string.find(field, '\n', 1, true)
  local room, uid = string.sub(field, 1, sep - 1), string.sub(field, sep + 1)
  local g = redis.call('HINCRBY', prefix .. 'room:' .. room, uid, -count)
  if g <= 0 then
    redis.call('HDEL', prefix .. 'room:' .. room, uid)
    local name = redis.call('HGET', prefix .. 'names:' .. room, uid)
    redis.call('HDEL', prefix .. 'names:' .. room, uid)
    table.insert(left, room)
    table.insert(left, uid)
    table.insert(left, name or '')
  end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return left
"#;

type Share = HashMap<(RoomName, UserId), (User, u64)>;

/// Presence on Redis with node leases. See the module docs.
#[derive(Clone)]
pub struct RedisPresence {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    conn: ConnectionManager,
    /// This node's connections: the truth this node can always rebuild from.
    share: Mutex<Share>,
    /// Where users of dead nodes are announced as gone.
    broadcast: Arc<dyn RoomBroadcast>,
}

impl std::fmt::Debug for RedisPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresence")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

fn key(kind: &str, rest: &str) -> String {
    format!("{PREFIX}{kind}:{rest}")
}

impl RedisPresence {
    /// Connects to `url`, starts this node's lease, and announces the
    /// users of dead nodes as gone on `broadcast`.
    pub async fn connect(url: &str, broadcast: Arc<dyn RoomBroadcast>) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        let conn = crate::connection::managed(&client).await?;
        let inner = Arc::new(Inner {
            node: format!("{:016x}", rand::random::<u64>()),
            conn,
            share: Mutex::new(HashMap::new()),
            broadcast,
        });
        inner.beat().await;
        tokio::spawn(heartbeat(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// This node's name in the lease set.
    pub fn node(&self) -> &str {
        &self.inner.node
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Inner {
    fn share(&self) -> std::sync::MutexGuard<'_, Share> {
        self.share.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn beat(&self) {
        let mut conn = self.conn.clone();
        let nodes = format!("{PREFIX}nodes");
        // A fresh Redis (restarted, nothing kept) has forgotten this node:
        // write its share back first.
        let known: redis::RedisResult<Option<f64>> = redis::cmd("ZSCORE")
            .arg(&nodes)
            .arg(&self.node)
            .query_async(&mut conn)
            .await;
        match known {
            Ok(None) => self.restore().await,
            Ok(Some(_)) => {}
            Err(e) => {
                tracing::debug!(error = %e, "presence heartbeat failed");
                return;
            }
        }
        let _: redis::RedisResult<i64> = redis::cmd("ZADD")
            .arg(&nodes)
            .arg(now_ms())
            .arg(&self.node)
            .query_async(&mut conn)
            .await;
        self.sweep().await;
    }

    async fn restore(&self) {
        let entries: Vec<((RoomName, UserId), (User, u64))> = self
            .share()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut pipe = redis::pipe();
        pipe.atomic();
        let node_key = key("node", &self.node);
        pipe.del(&node_key).ignore();
        for ((room, uid), (user, count)) in &entries {
            let field = format!("{}\n{}", room.as_str(), uid.0);
            pipe.hset(&node_key, &field, *count).ignore();
            pipe.hincr(key("room", room.as_str()), uid.0, *count)
                .ignore();
            pipe.hset(key("names", room.as_str()), uid.0, user.username.as_str())
                .ignore();
        }
        let mut conn = self.conn.clone();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %e, "restoring this node's presence failed");
        } else if !entries.is_empty() {
            tracing::info!(entries = entries.len(), "restored this node's presence");
        }
    }

    /// Takes dead nodes' users off the counts (one sweeper per dead node).
    async fn sweep(&self) {
        let mut conn = self.conn.clone();
        let nodes = format!("{PREFIX}nodes");
        let cutoff = now_ms() - LEASE.as_millis() as i64;
        let dead: Vec<String> = match redis::cmd("ZRANGEBYSCORE")
            .arg(&nodes)
            .arg("-inf")
            .arg(cutoff)
            .query_async(&mut conn)
            .await
        {
            Ok(d) => d,
            Err(_) => return,
        };
        for node in dead.into_iter().filter(|n| *n != self.node) {
            let claimed: Option<String> = redis::cmd("SET")
                .arg(key("sweep", &node))
                .arg(&self.node)
                .arg("NX")
                .arg("EX")
                .arg(30)
                .query_async(&mut conn)
                .await
                .unwrap_or(None);
            if claimed.is_none() {
                continue;
            }
            let left: Vec<String> = match redis::cmd("EVAL")
                .arg(SWEEP)
                .arg(2)
                .arg(key("node", &node))
                .arg(&nodes)
                .arg(PREFIX)
                .arg(&node)
                .query_async(&mut conn)
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, node, "sweeping a dead node failed");
                    continue;
                }
            };
            let mut by_room: BTreeMap<String, Vec<User>> = BTreeMap::new();
            for t in left.chunks(3) {
                if let [room, uid, name] = t
                    && let Ok(id) = uid.parse::<u64>()
                {
                    by_room.entry(room.clone()).or_default().push(User {
                        id: UserId(id),
                        username: Username::from_trusted(name.clone()),
                    });
                }
            }
            tracing::info!(
                node,
                rooms = by_room.len(),
                "a node's lease ran out; its users left"
            );
            for (room, users) in by_room {
                let room = RoomName::from_trusted(room);
                let event = RoomEvent::new(EventKind::PresenceDiff {
                    room: room.clone(),
                    joined: Vec::new(),
                    left: users,
                });
                let _ = self.broadcast.publish(&room, event).await;
            }
        }
    }
}

async fn heartbeat(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.beat().await;
    }
}

#[async_trait]
impl Presence for RedisPresence {
    async fn connect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError> {
        let first_here = {
            let mut share = self.inner.share();
            let entry = share
                .entry((room.clone(), user.id))
                .or_insert_with(|| (user.clone(), 0));
            entry.1 += 1;
            entry.1 == 1
        };
        let field = format!("{}\n{}", room.as_str(), user.id.0);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hincr(key("node", &self.inner.node), &field, 1)
            .ignore()
            .hincr(key("room", room.as_str()), user.id.0, 1)
            .hset(
                key("names", room.as_str()),
                user.id.0,
                user.username.as_str(),
            )
            .ignore();
        let mut conn = self.inner.conn.clone();
        match pipe.query_async::<(i64,)>(&mut conn).await {
            Ok((global,)) => Ok(global == 1),
            Err(e) => {
                // Counted here; written back once Redis answers again.
                tracing::debug!(error = %e, "presence connect without Redis");
                Ok(first_here)
            }
        }
    }

    async fn disconnect(&self, room: &RoomName, user: &User) -> Result<bool, StoreError> {
        let last_here = {
            let mut share = self.inner.share();
            let k = (room.clone(), user.id);
            match share.get_mut(&k) {
                Some(entry) if entry.1 > 1 => {
                    entry.1 -= 1;
                    false
                }
                Some(_) => {
                    share.remove(&k);
                    true
                }
                None => return Ok(false),
            }
        };
        let mut conn = self.inner.conn.clone();
        let gone: redis::RedisResult<i64> = redis::cmd("EVAL")
            .arg(DISCONNECT)
            .arg(3)
            .arg(key("node", &self.inner.node))
            .arg(key("room", room.as_str()))
            .arg(key("names", room.as_str()))
            .arg(format!("{}\n{}", room.as_str(), user.id.0))
            .arg(user.id.0)
            .query_async(&mut conn)
            .await;
        match gone {
            Ok(g) => Ok(g == 1),
            Err(e) => {
                tracing::debug!(error = %e, "presence disconnect without Redis");
                Ok(last_here)
            }
        }
    }

    async fn online(&self, room: &RoomName) -> Result<Vec<User>, StoreError> {
        let mut conn = self.inner.conn.clone();
        let names: redis::RedisResult<HashMap<u64, String>> = redis::cmd("HGETALL")
            .arg(key("names", room.as_str()))
            .query_async(&mut conn)
            .await;
        let mut users: Vec<User> = match names {
            Ok(names) => names
                .into_iter()
                .map(|(id, name)| User {
                    id: UserId(id),
                    username: Username::from_trusted(name),
                })
                .collect(),
            Err(e) => {
                tracing::debug!(error = %e, "presence from this node alone");
                self.inner
                    .share()
                    .iter()
                    .filter(|((r, _), _)| r == room)
                    .map(|(_, (u, _))| u.clone())
                    .collect()
            }
        };
        users.sort_by_key(|u| u.id);
        Ok(users)
    }
}
