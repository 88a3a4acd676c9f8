//! Maintenance of a database file, safe while a server uses it: a
//! consistent copy (SQLite's online backup API) and an integrity check.

use std::path::Path;

use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

use crate::error::SqliteError;

/// Copies the database at `source` to `dest` (created or replaced), as one
/// consistent snapshot, even while another process keeps writing to it.
/// Blocking: call it from a thread that may block.
pub fn backup(source: impl AsRef<Path>, dest: impl AsRef<Path>) -> Result<(), SqliteError> {
    let from = Connection::open_with_flags(
        source.as_ref(),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    from.busy_timeout(std::time::Duration::from_secs(5))?;
    let mut to = Connection::open(dest.as_ref())?;
    // All pages in one step: one read transaction, so writers elsewhere
    // cannot make the copy start over.
    let backup = rusqlite::backup::Backup::new(&from, &mut to)?;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection holds a lock it needs: try again shortly.
            StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => {}
        }
    }
}

/// Runs SQLite's integrity and foreign key checks on the database at
/// `path`; answers the problems found (none: the file is sound). Blocking.
pub fn check(path: impl AsRef<Path>) -> Result<Vec<String>, SqliteError> {
    let c = Connection::open_with_flags(path.as_ref(), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    let mut problems: Vec<String> = c
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|line| line != "ok")
        .collect();
    let mut fk = c.prepare("PRAGMA foreign_key_check")?;
    let orphans = fk.query_map([], |r| {
        Ok(format!(
            "row {} of {} refers to a missing row of {}",
            r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
            r.get::<_, String>(0)?,
            r.get::<_, String>(2)?
        ))
    })?;
    for o in orphans {
        problems.push(o?);
    }
    Ok(problems)
}
