//! The presence conformance suite: what every [`Presence`] keeps, whether
//! one process ([`LocalPresence`](crate::LocalPresence)) or several nodes
//! sharing one registry (Redis).

use super::*;
use crate::presence::Presence;

/// Two handles on one presence registry: two nodes, or one registry twice.
pub type PresenceNodes = (Arc<dyn Presence>, Arc<dyn Presence>);

fn user(id: u64, n: &str) -> User {
    User {
        id: UserId(id),
        username: name(n),
    }
}

/// Runs every presence case against fresh registries from `fresh`.
pub async fn run_presence_conformance<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = PresenceNodes>,
{
    users_not_connections_are_counted(fresh().await).await;
    a_user_on_two_nodes_is_online_once(fresh().await).await;
}

async fn users_not_connections_are_counted((a, _): PresenceNodes) {
    let (r, other) = (room("presence-a"), room("presence-b"));
    let (ann, bob) = (user(7, "Ann_Z"), user(3, "bob"));
    assert!(a.connect(&r, &ann).await.unwrap(), "first connection");
    assert!(!a.connect(&r, &ann).await.unwrap(), "second tab");
    assert!(a.connect(&r, &bob).await.unwrap());
    assert!(a.connect(&other, &bob).await.unwrap(), "rooms are separate");
    assert_eq!(
        a.online(&r).await.unwrap(),
        vec![bob.clone(), ann.clone()],
        "by id"
    );
    assert!(!a.disconnect(&r, &ann).await.unwrap(), "one tab left");
    assert!(a.disconnect(&r, &ann).await.unwrap(), "the last one");
    assert!(
        !a.disconnect(&r, &ann).await.unwrap(),
        "not connected: no change"
    );
    assert_eq!(a.online(&r).await.unwrap(), vec![bob.clone()]);
    assert!(a.disconnect(&r, &bob).await.unwrap());
    assert!(a.online(&r).await.unwrap().is_empty());
    assert_eq!(a.online(&other).await.unwrap(), vec![bob]);
}

async fn a_user_on_two_nodes_is_online_once((a, b): PresenceNodes) {
    let r = room("presence-c");
    let ann = user(11, "ann");
    assert!(a.connect(&r, &ann).await.unwrap());
    assert!(
        !b.connect(&r, &ann).await.unwrap(),
        "already online via the other"
    );
    assert_eq!(b.online(&r).await.unwrap(), vec![ann.clone()]);
    assert_eq!(a.online(&r).await.unwrap(), vec![ann.clone()]);
    assert!(!a.disconnect(&r, &ann).await.unwrap(), "still on the other");
    assert_eq!(a.online(&r).await.unwrap(), vec![ann.clone()]);
    assert!(b.disconnect(&r, &ann).await.unwrap());
    assert!(a.online(&r).await.unwrap().is_empty());
}
