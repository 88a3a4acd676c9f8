//! `SqliteStore` against real files in a temp dir.

use std::sync::Arc;

use messenger_core::testing::Stores;
use messenger_core::{
    ClientId, HashingCost, HistoryQuery, MessageBody, Messenger, MessengerConfig, Password,
    RoomName, Username,
};
use messenger_sqlite::{Durability, SCHEMA_VERSION, SqliteError, SqliteOptions, SqliteStore};

/// One test per store conformance case, each on a fresh file.
mod conformance {
    use super::*;
    messenger_core::store_conformance_tests!(|| async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("m.db"), SqliteOptions::default())
            .await
            .unwrap();
        Stores::from_one(Arc::new(store)).keeping(dir)
    });
}

/// The same with every commit synced to the disk.
mod conformance_with_power_loss_durability {
    use super::*;
    messenger_core::store_conformance_tests!(|| async {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteOptions {
            durability: Durability::PowerLoss,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::open(dir.path().join("m.db"), options)
            .await
            .unwrap();
        Stores::from_one(Arc::new(store)).keeping(dir)
    });
}

fn pragma(path: &std::path::Path, name: &str) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| format!("{v:?}"))
        .unwrap()
}

#[tokio::test]
async fn opening_creates_folder_and_migrates_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/instance/messenger.db");
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert!(path.exists());
    assert_eq!(store.path(), path);
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
    assert_eq!(pragma(&path, "journal_mode"), "Text(\"wal\")");
    // Opening again applies nothing and keeps the version.
    drop(store);
    SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_downgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(
        SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap(),
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SqliteError::SchemaTooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({})", SCHEMA_VERSION + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_users_sessions_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    let config = || MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    };
    let limits = config().limits;
    let name = Username::parse("Persistent", &limits).unwrap();
    let password = Password::parse("still-here-123", &limits).unwrap();
    let general = RoomName::general();
    let token = {
        let m = messenger_at(&path, config()).await;
        let user = m.register(name.clone(), password.clone()).await.unwrap();
        for i in 0..120 {
            let body = MessageBody::parse(&format!("message {i}"), &limits).unwrap();
            let cid = ClientId::parse(&format!("c{i}"), &limits).unwrap();
            m.post(&user, &general, body, cid).await.unwrap();
        }
        m.login(&name, &password, true).await.unwrap().token
    };
    let m = messenger_at(&path, config()).await;
    let session = m
        .authenticate(&token)
        .await
        .expect("session survives a restart");
    assert_eq!(session.user.username.as_str(), "Persistent");
    let page = m
        .history(&session.user, &general, HistoryQuery::latest(200))
        .await
        .unwrap();
    assert_eq!(page.len(), 120);
    assert_eq!(page[119].body.as_str(), "message 119");
    m.login(&name, &password, false)
        .await
        .expect("password hash survives");
    let next = m
        .post(
            &session.user,
            &general,
            MessageBody::parse("after restart", &limits).unwrap(),
            ClientId::parse("after", &limits).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(next.message.id.0, 121, "ids continue where they stopped");
}

/// The schema as version 0.1.0 wrote it (migration 1).
const SCHEMA_V1: &str = r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT    NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash   BLOB    PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        remember     INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE TABLE messages (
        room      TEXT    NOT NULL,
        id        INTEGER NOT NULL,
        author_id INTEGER NOT NULL REFERENCES users(id),
        body      TEXT    NOT NULL,
        sent_at   INTEGER NOT NULL,
        client_id TEXT    NOT NULL,
        PRIMARY KEY (room, id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_by_client_id ON messages(author_id, client_id);
    PRAGMA user_version = 1;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let config = MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        ..MessengerConfig::default()
    };
    let limits = config.limits.clone();
    let password = Password::parse("grace-password", &limits).unwrap();
    let hash = messenger_core::PasswordHasher::new(config.hashing, 1)
        .unwrap()
        .hash(&password)
        .await
        .unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(SCHEMA_V1).unwrap();
        c.execute(
            "INSERT INTO users (username, password_hash, created_at) VALUES ('Grace', ?1, 0)",
            [&hash],
        )
        .unwrap();
        c.execute(
            "INSERT INTO messages VALUES ('general', 1, 1, 'from version 1', 0, 'old-1')",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO messages VALUES ('general', 2, 1, 'second old kangaroo', 5, 'old-2')",
            [],
        )
        .unwrap();
    }

    let store = Arc::new(
        SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
    let messenger = Messenger::builder()
        .config(config)
        .store(store.clone())
        .build()
        .unwrap();
    let grace = Username::parse("grace", &limits).unwrap();
    let login = messenger.login(&grace, &password, false).await.unwrap();
    assert_eq!(login.session.user.username.as_str(), "Grace");
    let page = messenger
        .history(
            &login.session.user,
            &RoomName::general(),
            HistoryQuery::latest(10),
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].body.as_str(), "from version 1");
    assert_eq!((page[0].rev, page[0].edited_at), (0, None));
    // The room that held messages became a public room, and Grace's list
    // has it with its history counted.
    let mine = messenger.my_rooms(&login.session.user).await.unwrap();
    assert_eq!(mine[0].room.name, RoomName::general());
    assert_eq!(mine[0].room.kind, messenger_core::RoomKind::Public);
    assert_eq!(mine[0].last_id, messenger_core::MessageId(2));
    let dir = messenger.directory().await.unwrap();
    assert_eq!(dir.len(), 1);
    assert!(dir[0].last_activity.is_some());
    // What version 2 adds works on the upgraded file.
    let host = messenger_core::HostIdentity {
        external_id: messenger_core::ExternalId::parse("host-1").unwrap(),
        username: Username::parse("hopper", &limits).unwrap(),
    };
    let hopper = messenger.host_user(&host).await.unwrap();
    assert_eq!(messenger.host_user(&host).await.unwrap(), hopper);

    // What version 4 adds: old messages are indexed for search (in their
    // posting order) and can be edited and deleted; new ones follow them.
    let user = &login.session.user;
    let general = RoomName::general();
    let find = |q: &'static str| {
        let m = messenger.clone();
        let user = user.clone();
        async move {
            let q = messenger_core::SearchQuery::parse(q).unwrap();
            m.search(&user, &q, None, 10)
                .await
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.message.id.0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("old").await, [2]);
    assert_eq!(find("version").await, [1]);
    let body = messenger_core::MessageBody::parse("first new", &limits).unwrap();
    messenger
        .post(
            user,
            &general,
            body,
            messenger_core::ClientId::parse("new-1", &limits).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        find("first").await,
        [3],
        "\"first\" starts no word of the old ones"
    );
    let edited = messenger
        .edit_message(
            user,
            &general,
            messenger_core::MessageId(1),
            messenger_core::MessageBody::parse("rewritten", &limits).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(edited.rev, 1);
    assert!(find("version").await.is_empty());
    assert_eq!(find("rewritten").await, [1]);
    messenger
        .delete_message(
            user,
            &general,
            messenger_core::MessageId(2),
            messenger_core::Reason::default(),
        )
        .await
        .unwrap();
    assert!(find("kangaroo").await.is_empty());
    assert_eq!(messenger.my_rooms(user).await.unwrap()[0].last_id.0, 3);
}

/// The files under `dir` (database, WAL, shared memory, backups) whose
/// bytes contain `word`.
fn files_holding(dir: &std::path::Path, word: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if bytes.windows(word.len()).any(|w| w == word.as_bytes()) {
            found.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    found
}

/// A messenger on the SQLite file at `path` (opened, migrated).
/// Waits until no file in `dir` holds any of `words`, 5 s at most (the
/// writer checkpoints once idle, within a second under load).
async fn assert_gone_within_5_s(dir: &std::path::Path, words: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let left = loop {
        let left: Vec<_> = words.iter().flat_map(|w| files_holding(dir, w)).collect();
        if left.is_empty() || std::time::Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        left,
        Vec::<String>::new(),
        "erased words still in the files"
    );
}

async fn messenger_at(path: &std::path::Path, config: MessengerConfig) -> Messenger {
    let store = SqliteStore::open(path, SqliteOptions::default())
        .await
        .unwrap();
    Messenger::builder()
        .config(config)
        .store(Arc::new(store))
        .build()
        .unwrap()
}

fn fast_config() -> MessengerConfig {
    MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    }
}

/// `tests/fixtures/v7.db` was written by the release before schema 8
/// (`make-v7.sh` says how): users, a private room, messages with a mention,
/// a role change and a ban in the moderation log.
/// Logs in a user of the fixture files (made by tests/fixtures/make-fixture.sh).
async fn fixture_login(
    m: &Messenger,
    name: &str,
) -> messenger_core::Result<messenger_core::LoginOutcome> {
    let limits = &m.config().limits;
    m.login(
        &Username::parse(name, limits).unwrap(),
        &Password::parse("fixture-password", limits).unwrap(),
        false,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_previous_release_wrote_upgrades_and_keeps_everything() {
    use messenger_core::{InviteTerms, Reason};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v7.db"),
        &path,
    )
    .unwrap();
    assert_eq!(pragma(&path, "user_version"), "Integer(7)");
    let m = messenger_at(&path, fast_config()).await;
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
    let limits = fast_config().limits;
    let login = |name: &'static str| fixture_login(&m, name);
    let ada = login("ada").await.unwrap().session.user;
    assert!(login("cyd").await.is_err(), "the ban holds");
    // The log reads back with its targets; a room action joins it.
    let log = m.moderation_log(&ada, None, 10).await.unwrap();
    let kinds: Vec<_> = log
        .iter()
        .map(|e| {
            (
                format!("{:?}", e.kind),
                e.target.as_ref().map(|t| t.username.to_string()),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Ban".to_owned(), Some("cyd".to_owned())),
            ("Role { role: Admin }".to_owned(), Some("ada".to_owned())),
        ]
    );
    // The private room, its messages and the mention are all there.
    let plans = RoomName::parse("plans", &limits).unwrap();
    let mine = m.my_rooms(&ada).await.unwrap();
    let room = mine.iter().find(|r| r.room.name == plans).unwrap();
    assert_eq!(room.room.archived_at, None);
    assert_eq!(room.last_id.0, 2);
    let bob = login("bob").await.unwrap().session.user;
    let bobs = m.my_rooms(&bob).await.unwrap();
    assert_eq!(
        bobs.iter().find(|r| r.room.name == plans).unwrap().mentions,
        1
    );
    // What schema 8 adds works on the upgraded file.
    let invite = m
        .create_invite(&ada, &plans, InviteTerms::default())
        .await
        .unwrap();
    assert_eq!(invite.invite.uses, 0);
    m.archive_room(&ada, &plans, true, Reason::default())
        .await
        .unwrap();
    let refused = m
        .post(
            &bob,
            &plans,
            MessageBody::parse("after", &limits).unwrap(),
            ClientId::parse("after-1", &limits).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), messenger_core::ErrorCode::Forbidden);
    let log = m.moderation_log(&ada, None, 1).await.unwrap();
    assert_eq!(log[0].target, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_8_file_upgrades_and_takes_reactions() {
    use messenger_core::{HistoryQuery, MessageId, ReactionKey};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v8.db"),
        &path,
    )
    .unwrap();
    assert_eq!(pragma(&path, "user_version"), "Integer(8)");
    let m = messenger_at(&path, fast_config()).await;
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
    let limits = fast_config().limits;
    let user = async |name: &str| fixture_login(&m, name).await.unwrap().session.user;
    let (ada, bob) = (user("ada").await, user("bob").await);
    let plans = RoomName::parse("plans", &limits).unwrap();
    let page = m
        .history(&bob, &plans, HistoryQuery::latest(10))
        .await
        .unwrap();
    let bodies: Vec<_> = page.iter().map(|m| (m.body.as_str(), m.rev)).collect();
    assert_eq!(
        bodies,
        [
            ("the plan, edited by version 8", 1),
            ("@bob a mention from version 8", 0)
        ]
    );
    // The edited message (a change number already) and a plain one take
    // reactions; the room's change numbers go on from the edit's.
    let key = |k: &str| ReactionKey::parse(k, &limits).unwrap();
    let r = m
        .react(&bob, &plans, MessageId(1), key("👍"), true)
        .await
        .unwrap();
    assert_eq!(r.rev, 2);
    m.react(&ada, &plans, MessageId(2), key("👀"), true)
        .await
        .unwrap();
    m.react(&ada, &plans, MessageId(1), key("👍"), true)
        .await
        .unwrap();
    let page = m
        .history(&bob, &plans, HistoryQuery::latest(10))
        .await
        .unwrap();
    let seen: Vec<Vec<(&str, u64, bool)>> = page
        .iter()
        .map(|m| {
            m.reactions
                .iter()
                .map(|r| (r.key.as_str(), r.count, r.me))
                .collect()
        })
        .collect();
    assert_eq!(seen, [vec![("👍", 2, true)], vec![("👀", 1, false)]]);
    let changed = m.changes(&ada, &plans, 1, 10).await.unwrap();
    assert_eq!(
        changed.iter().map(|m| (m.id.0, m.rev)).collect::<Vec<_>>(),
        [(2, 3), (1, 4)]
    );
}

/// Words no other text in these tests contains, so a hit in the files can
/// only be the erased message (FTS5 keeps terms prefix-compressed, so none
/// shares a first letter with another word posted here).
const ERASED: [&str; 3] = ["qjxvwombat", "zyxkfalcon", "jqvxotter"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_and_edited_text_leaves_the_files_and_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    let m = messenger_at(&path, fast_config()).await;
    let limits = fast_config().limits;
    let user = m
        .register(
            Username::parse("eraser", &limits).unwrap(),
            Password::parse("password-123", &limits).unwrap(),
        )
        .await
        .unwrap();
    let general = RoomName::general();
    let post = |body: String, cid: String| {
        let (m, user, general, limits) = (m.clone(), user.clone(), general.clone(), limits.clone());
        async move {
            m.post(
                &user,
                &general,
                MessageBody::parse(&body, &limits).unwrap(),
                ClientId::parse(&cid, &limits).unwrap(),
            )
            .await
            .unwrap()
            .message
            .id
        }
    };
    for i in 0..40 {
        post(format!("ordinary message number {i}"), format!("o{i}")).await;
    }
    let deleted = post(
        format!(
            "{} said something private, then {} regretted it",
            ERASED[0], ERASED[1]
        ),
        "secret".into(),
    )
    .await;
    let edited = post(format!("typo {} fixed later", ERASED[2]), "typo".into()).await;
    for i in 40..60 {
        post(format!("ordinary message number {i}"), format!("o{i}")).await;
    }
    for word in ERASED {
        assert!(
            !files_holding(dir.path(), word).is_empty(),
            "the scan finds {word} while it is posted"
        );
    }

    m.delete_message(&user, &general, deleted, Default::default())
        .await
        .unwrap();
    m.edit_message(
        &user,
        &general,
        edited,
        MessageBody::parse("typo fixed", &limits).unwrap(),
    )
    .await
    .unwrap();

    // The writer checkpoints once idle, within a second under load.
    assert_gone_within_5_s(dir.path(), &ERASED).await;

    let backups = tempfile::tempdir().unwrap();
    let copy = backups.path().join("backup.db");
    messenger_sqlite::backup(&path, &copy).unwrap();
    assert!(files_holding(backups.path(), "ordinary").contains(&"backup.db".to_owned()));
    for word in ERASED {
        assert_eq!(files_holding(backups.path(), word), Vec::<String>::new());
    }
}

/// Words of the deleted room's messages, title and topic (first letters
/// unlike every other word posted in these tests; see [`ERASED`]).
const ROOM_ERASED: [&str; 3] = ["vxqkestrel", "kvwquagga", "xwvibis"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_rooms_words_leave_the_files_and_backups() {
    use messenger_core::{Actor, NewRoom, Reason, Role, RoomTitle, RoomTopic};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    let m = messenger_at(&path, fast_config()).await;
    let limits = fast_config().limits;
    let user = m
        .register(
            Username::parse("roomer", &limits).unwrap(),
            Password::parse("password-123", &limits).unwrap(),
        )
        .await
        .unwrap();
    m.set_role(
        Actor::Operator,
        &user.username,
        Role::Moderator,
        Reason::default(),
    )
    .await
    .unwrap();
    let doomed = RoomName::parse("doomed", &limits).unwrap();
    m.create_room(
        Some(&user),
        NewRoom {
            name: doomed.clone(),
            title: RoomTitle::parse(&format!("The {} room", ROOM_ERASED[1])).unwrap(),
            topic: RoomTopic::parse(&format!("all about {}", ROOM_ERASED[2])).unwrap(),
            private: true,
        },
        &[],
    )
    .await
    .unwrap();
    for (i, room) in [RoomName::general(), doomed.clone()].iter().enumerate() {
        for j in 0..30 {
            let body = if i == 1 && j == 7 {
                format!("a {} in this room", ROOM_ERASED[0])
            } else {
                format!("ordinary message number {j}")
            };
            m.post(
                &user,
                room,
                MessageBody::parse(&body, &limits).unwrap(),
                ClientId::parse(&format!("r{i}-{j}"), &limits).unwrap(),
            )
            .await
            .unwrap();
        }
    }
    for word in ROOM_ERASED {
        assert!(
            !files_holding(dir.path(), word).is_empty(),
            "the scan finds {word} while the room is there"
        );
    }

    m.delete_room(&user, &doomed, Reason::default())
        .await
        .unwrap();

    assert_gone_within_5_s(dir.path(), &ROOM_ERASED).await;
    let backups = tempfile::tempdir().unwrap();
    messenger_sqlite::backup(&path, backups.path().join("backup.db")).unwrap();
    for word in ROOM_ERASED {
        assert_eq!(files_holding(backups.path(), word), Vec::<String>::new());
    }
    // The rest of the database is intact.
    let page = m
        .history(
            &user,
            &RoomName::general(),
            HistoryQuery {
                before: None,
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_a_version_4_file_wipes_text_it_left_in_free_space() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    let limits = fast_config().limits;
    {
        let m = messenger_at(&path, fast_config()).await;
        let user = m
            .register(
                Username::parse("olduser", &limits).unwrap(),
                Password::parse("password-123", &limits).unwrap(),
            )
            .await
            .unwrap();
        for (i, body) in [
            "ordinary words before".to_owned(),
            format!("{} was said under version 4", ERASED[0]),
            "ordinary words after".to_owned(),
        ]
        .iter()
        .enumerate()
        {
            m.post(
                &user,
                &RoomName::general(),
                MessageBody::parse(body, &limits).unwrap(),
                ClientId::parse(&format!("v4-{i}"), &limits).unwrap(),
            )
            .await
            .unwrap();
        }
    }
    {
        // Undo what later versions added, index and delete as version 4
        // did (its contentless_delete index, no secure_delete), then mark
        // the file as version 4.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA secure_delete = OFF;
             DROP TABLE reactions;
             ALTER TABLE messages DROP COLUMN reply_to;
             DROP INDEX messages_pinned;
             ALTER TABLE messages DROP COLUMN pinned_at;
             ALTER TABLE messages DROP COLUMN pinned_by;
             DROP TABLE invites;
             DROP TABLE closed_rooms;
             ALTER TABLE rooms DROP COLUMN archived_at;
             ALTER TABLE rooms DROP COLUMN deleted_at;
             DROP TABLE blocks;
             DROP INDEX users_by_skeleton;
             ALTER TABLE users DROP COLUMN skeleton;
             DROP TABLE messages_fts;
             CREATE VIRTUAL TABLE messages_fts USING fts5(
                 body, content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 0'
             );
             INSERT INTO messages_fts (rowid, body) SELECT seq, body FROM messages;
             DELETE FROM messages_fts WHERE rowid = (SELECT seq FROM messages WHERE id = 2);
             UPDATE messages SET body = '', deleted_at = 1, rev = 1 WHERE id = 2;
             PRAGMA user_version = 4;",
        )
        .unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    assert_eq!(
        files_holding(dir.path(), ERASED[0]),
        ["v4.db"],
        "version 4 left the text in the file"
    );

    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(files_holding(dir.path(), ERASED[0]), Vec::<String>::new());
    // The index still answers for what is left, and new deletes use it.
    let m = Messenger::builder()
        .config(fast_config())
        .store(Arc::new(store))
        .build()
        .unwrap();
    let session = m
        .login(
            &Username::parse("olduser", &limits).unwrap(),
            &Password::parse("password-123", &limits).unwrap(),
            false,
        )
        .await
        .unwrap();
    let hits = m
        .search(
            &session.session.user,
            &messenger_core::SearchQuery::parse("ordinary").unwrap(),
            None,
            10,
        )
        .await
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 2);
}
