//! Open WebSockets per user on this server, so one account cannot hold
//! an unbounded share of its memory and fan-out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use messenger_core::UserId;

/// Counts each user's open sockets.
#[derive(Debug, Default)]
pub(crate) struct UserSockets {
    open: Mutex<HashMap<UserId, usize>>,
}

impl UserSockets {
    /// A place for one more of `user`'s sockets, if they hold fewer than `max`.
    pub(crate) fn admit(self: &Arc<Self>, user: UserId, max: usize) -> Option<SocketSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            sockets: self.clone(),
            user,
        })
    }
}

/// One open socket's place; given back when dropped.
#[derive(Debug)]
pub(crate) struct SocketSlot {
    sockets: Arc<UserSockets>,
    user: UserId,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}
