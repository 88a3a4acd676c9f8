//! Open WebSockets per user, so one account cannot hold an unbounded share
//! of the servers' memory and fan-out. Counted by the messenger's
//! [`HoldCounter`]: this node's memory by default, every node's on Redis,
//! so the cap holds across a cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use messenger_core::{HoldCounter, UserId};
use rand::RngCore;

/// Names each socket's hold: this process's random id and a counter, so
/// holders never collide across nodes or restarts.
#[derive(Debug)]
pub(crate) struct UserSockets {
    node: u64,
    next: AtomicU64,
}

impl Default for UserSockets {
    fn default() -> Self {
        Self {
            node: rand::rngs::OsRng.next_u64(),
            next: AtomicU64::new(0),
        }
    }
}

fn key(user: UserId) -> String {
    format!("sockets:{}", user.0)
}

impl UserSockets {
    /// A place for one more of `user`'s sockets, if they hold fewer than
    /// `max` (on every node together).
    pub(crate) async fn admit(
        &self,
        holds: &Arc<dyn HoldCounter>,
        user: UserId,
        max: usize,
    ) -> Option<SocketSlot> {
        let holder = format!(
            "{:016x}-{}",
            self.node,
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        holds
            .hold(&key(user), &holder, max)
            .await
            .then(|| SocketSlot {
                holds: holds.clone(),
                user,
                holder,
            })
    }
}

/// One open socket's place; given back when dropped.
pub(crate) struct SocketSlot {
    holds: Arc<dyn HoldCounter>,
    user: UserId,
    holder: String,
}

impl std::fmt::Debug for SocketSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketSlot")
            .field("user", &self.user)
            .field("holder", &self.holder)
            .finish()
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let (holds, user, holder) = (
            self.holds.clone(),
            self.user,
            std::mem::take(&mut self.holder),
        );
        // Dropped on a runtime thread (the socket's task); without one, the
        // shared counter's lease gives the place back in time.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { holds.release(&key(user), &holder).await });
        }
    }
}
