//! The administration commands: they work on the same database as the
//! server, whether it is running or not (SQLite's locking and WAL let both
//! write; a reset password closes the user's sockets at the server's next
//! session recheck).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use messenger_core::Reason;
use messenger_core::{Actor, Messenger, Password, UserId, Username};

use crate::backend::Backend;

use crate::cli::{Command, UserCommand};

/// Runs `command` on the database at `db`; the process's exit code.
pub async fn run(command: Command, db: &Path, url: Option<&str>) -> anyhow::Result<i32> {
    if url.is_some() && matches!(command, Command::Backup { .. } | Command::Check) {
        bail!(
            "backup and check work on the SQLite file; back up PostgreSQL with pg_dump \
             (see docs/operations.md)"
        );
    }
    match command {
        Command::Backup { file } => {
            let (db, dest) = (db.to_owned(), file.clone());
            tokio::task::spawn_blocking(move || messenger_sqlite::backup(db, dest))
                .await?
                .with_context(|| format!("backing up to {}", file.display()))?;
            println!("Backed up to {}", file.display());
            Ok(0)
        }
        Command::PurgeErased => purge_erased(url).await,
        Command::Check => {
            let path = db.to_owned();
            let problems = tokio::task::spawn_blocking(move || messenger_sqlite::check(path))
                .await?
                .with_context(|| format!("checking {}", db.display()))?;
            if problems.is_empty() {
                println!("ok");
                Ok(0)
            } else {
                for p in &problems {
                    println!("{p}");
                }
                Ok(1)
            }
        }
        Command::User(command) => {
            let messenger = open(db, url).await?;
            let limits = messenger.config().limits.clone();
            match command {
                UserCommand::List => {
                    let mut after = UserId(0);
                    let mut out = std::io::stdout().lock();
                    writeln!(
                        out,
                        "{:>6}  {:<32}  {:<24}  {:<8}  {:<9}  standing",
                        "id", "username", "created", "login", "role"
                    )?;
                    loop {
                        let page = messenger.list_users(after, 500).await?;
                        let Some(last) = page.last() else { break };
                        after = last.user.id;
                        for r in &page {
                            let login = if r.password_hash.is_some() {
                                "password"
                            } else {
                                "host app"
                            };
                            let standing = messenger.standing(r.user.id).await?;
                            let now = chrono::Utc::now();
                            let state = match (&standing.ban, standing.muted_at(now)) {
                                (Some(_), _) => "banned".to_owned(),
                                (None, Some(until)) => {
                                    format!("muted until {}", messenger_core::rfc3339_string(until))
                                }
                                (None, None) => "ok".to_owned(),
                            };
                            writeln!(
                                out,
                                "{:>6}  {:<32}  {:<24}  {login:<8}  {:<9}  {state}",
                                r.user.id,
                                r.user.username,
                                messenger_core::rfc3339_string(r.created_at),
                                standing.role.as_str(),
                            )?;
                        }
                    }
                    Ok(0)
                }
                UserCommand::Create { username } => {
                    let username = Username::parse(&username, &limits)?;
                    let password = Password::parse(
                        &read_password(&format!("Password for {username}: "))?,
                        &limits,
                    )?;
                    let user = messenger.register(username, password).await?;
                    println!("Created {} (id {})", user.username, user.id);
                    Ok(0)
                }
                UserCommand::ResetPassword { username } => {
                    let username = Username::parse(&username, &limits)?;
                    let password = Password::parse(
                        &read_password(&format!("New password for {username}: "))?,
                        &limits,
                    )?;
                    let user = messenger.reset_password(&username, &password).await?;
                    println!(
                        "New password set for {}; every session of theirs is logged out",
                        user.username
                    );
                    Ok(0)
                }
                UserCommand::Role {
                    username,
                    role,
                    reason,
                } => {
                    let username = Username::parse(&username, &limits)?;
                    let (user, standing) = messenger
                        .set_role(
                            Actor::Operator,
                            &username,
                            role.into(),
                            Reason::parse(&reason)?,
                        )
                        .await?;
                    println!("{} is now {}", user.username, standing.role);
                    Ok(0)
                }
                UserCommand::Ban { username, reason } => {
                    let username = Username::parse(&username, &limits)?;
                    let (user, _) = messenger
                        .ban(Actor::Operator, &username, Reason::parse(&reason)?)
                        .await?;
                    println!(
                        "Banned {}; every session of theirs is logged out",
                        user.username
                    );
                    Ok(0)
                }
                UserCommand::Unban { username, reason } => {
                    let username = Username::parse(&username, &limits)?;
                    let (user, _) = messenger
                        .unban(Actor::Operator, &username, Reason::parse(&reason)?)
                        .await?;
                    println!("Unbanned {}; they can log in again", user.username);
                    Ok(0)
                }
            }
        }
    }
}

async fn open(db: &Path, url: Option<&str>) -> anyhow::Result<Messenger> {
    if url.is_none() && !db.exists() {
        bail!(
            "no database at {} (start the server once, or pass --db)",
            db.display()
        );
    }
    let backend = Backend::open(db, url).await?;
    Ok(backend.install(Messenger::builder()).build()?)
}

/// A password from the terminal without echo, or a line of standard input.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(prompt)?);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// `purge-erased`: the PostgreSQL steps that take erased text out of the
/// files, each reported with its time.
async fn purge_erased(url: Option<&str>) -> anyhow::Result<i32> {
    let Some(url) = url else {
        println!("Nothing to do: SQLite erases deleted text from its files at once.");
        return Ok(0);
    };
    purge_postgres(url).await
}

#[cfg(feature = "cluster")]
async fn purge_postgres(url: &str) -> anyhow::Result<i32> {
    let steps = messenger_postgres::purge_erased(url)
        .await
        .context("connecting to PostgreSQL (--database-url)")?;
    let mut failed = false;
    for step in &steps {
        match &step.error {
            None => println!("{:<28} {:>8.2} s", step.sql, step.took.as_secs_f64()),
            Some(e) => {
                failed = true;
                println!("{:<28} failed: {e}", step.sql);
            }
        }
    }
    Ok(i32::from(failed))
}

#[cfg(not(feature = "cluster"))]
async fn purge_postgres(_url: &str) -> anyhow::Result<i32> {
    bail!(crate::cluster::LEFT_OUT)
}
