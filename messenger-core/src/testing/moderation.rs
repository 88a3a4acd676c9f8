//! Conformance cases: roles, mutes, bans and the moderation log.

use super::*;
use crate::moderation::model::{
    Ban, ModActionKind, NewModAction, Reason, Role, Standing, StandingChange,
};

fn entry(actor: Option<UserId>, target: UserId, kind: ModActionKind, at: i64) -> NewModAction {
    NewModAction {
        at: t(at),
        actor,
        target: Some(target),
        kind,
        reason: Reason::parse("spam “links”").unwrap(),
    }
}

pub async fn standing_defaults_and_changes(s: Stores) {
    let u = s.users.create_user(&name("lea"), "h", t(0)).await.unwrap();
    let m = &s.moderation;
    assert_eq!(m.standing(u.id).await.unwrap(), Some(Standing::default()));
    assert_eq!(m.standing(UserId(9999)).await.unwrap(), None);

    let role = StandingChange::Role(Role::Moderator);
    let e = entry(
        None,
        u.id,
        ModActionKind::Role {
            role: Role::Moderator,
        },
        1,
    );
    assert!(m.moderate(u.id, &role, &e).await.unwrap());
    let mute = StandingChange::Mute(Some(t(600)));
    let e = entry(None, u.id, ModActionKind::Mute { until: t(600) }, 2);
    assert!(m.moderate(u.id, &mute, &e).await.unwrap());
    let ban = Ban {
        reason: Reason::parse("flooding").unwrap(),
        at: t(3),
    };
    let e = entry(None, u.id, ModActionKind::Ban, 3);
    assert!(
        m.moderate(u.id, &StandingChange::Ban(Some(ban.clone())), &e)
            .await
            .unwrap()
    );
    assert_eq!(
        m.standing(u.id).await.unwrap(),
        Some(Standing {
            role: Role::Moderator,
            muted_until: Some(t(600)),
            ban: Some(ban),
        })
    );
    let e = entry(None, u.id, ModActionKind::Unban, 4);
    m.moderate(u.id, &StandingChange::Ban(None), &e)
        .await
        .unwrap();
    let e = entry(None, u.id, ModActionKind::Unmute, 5);
    m.moderate(u.id, &StandingChange::Mute(None), &e)
        .await
        .unwrap();
    assert_eq!(
        m.standing(u.id).await.unwrap(),
        Some(Standing {
            role: Role::Moderator,
            ..Standing::default()
        })
    );
    let e = entry(None, UserId(9999), ModActionKind::Unban, 6);
    assert!(
        !m.moderate(UserId(9999), &StandingChange::Ban(None), &e)
            .await
            .unwrap()
    );
    assert_eq!(
        m.mod_log(None, 100).await.unwrap().len(),
        5,
        "the refused one is not logged"
    );
}

pub async fn the_log_pages_newest_first(s: Stores) {
    let a = s.users.create_user(&name("mod"), "h", t(0)).await.unwrap();
    let b = s
        .users
        .create_user(&name("spammer"), "h", t(0))
        .await
        .unwrap();
    let m = &s.moderation;
    let mute = entry(Some(a.id), b.id, ModActionKind::Mute { until: t(700) }, 1);
    m.moderate(b.id, &StandingChange::Mute(Some(t(700))), &mute)
        .await
        .unwrap();
    let del = entry(
        Some(a.id),
        b.id,
        ModActionKind::DeleteMessage {
            room: room("general"),
            message_id: MessageId(7),
        },
        2,
    );
    m.log_action(&del).await.unwrap();
    let role = entry(None, a.id, ModActionKind::Role { role: Role::Admin }, 3);
    m.moderate(a.id, &StandingChange::Role(Role::Admin), &role)
        .await
        .unwrap();

    let log = m.mod_log(None, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(log[0].actor, None, "the command line has no user");
    assert_eq!(log[0].target.as_ref(), Some(&a));
    assert_eq!(log[0].kind, ModActionKind::Role { role: Role::Admin });
    assert_eq!(log[0].at, t(3));
    assert_eq!(log[1].actor.as_ref(), Some(&a));
    assert_eq!(log[1].target.as_ref(), Some(&b));
    assert_eq!(log[1].kind, del.kind);
    assert_eq!(log[1].reason.as_str(), "spam “links”");
    assert_eq!(log[2].kind, ModActionKind::Mute { until: t(700) });

    let page = m.mod_log(Some(log[0].id), 1).await.unwrap();
    assert_eq!(page, vec![log[1].clone()]);
    assert!(m.mod_log(Some(log[2].id), 10).await.unwrap().is_empty());

    // Actions on rooms have no target; each kind reads back as written.
    for (i, kind) in [
        ModActionKind::ArchiveRoom { room: room("old") },
        ModActionKind::UnarchiveRoom { room: room("old") },
        ModActionKind::DeleteRoom { room: room("old") },
    ]
    .into_iter()
    .enumerate()
    {
        let e = NewModAction {
            target: None,
            kind: kind.clone(),
            ..entry(Some(a.id), a.id, kind, 10 + i as i64)
        };
        m.log_action(&e).await.unwrap();
        let newest = m.mod_log(None, 1).await.unwrap().remove(0);
        assert_eq!(
            (newest.target, newest.kind, newest.actor),
            (None, e.kind, Some(a.clone()))
        );
    }
}
