//! Virtual users: registered and logged in once, cached in a users file so
//! runs are not dominated by sign-ups (argon2 is meant to be slow).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A logged-in virtual user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VUser {
    /// Username.
    pub username: String,
    /// Bearer token.
    pub token: String,
}

#[derive(Default, Serialize, Deserialize)]
struct Cache {
    /// Users per server base URL.
    servers: HashMap<String, Vec<VUser>>,
}

const PASSWORD: &str = "loadgen-password";

/// Registers and logs in one user; `remember` keeps the token for 30 days.
pub async fn create(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<VUser> {
    let r = http
        .post(format!("{base}/api/register"))
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await?;
    if !(r.status().is_success() || r.status() == 409) {
        bail!(
            "register {username}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    login(http, base, username).await
}

/// Logs an existing user in.
pub async fn login(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<VUser> {
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({ "username": username, "password": PASSWORD, "remember": true }))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "login {username}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    let v: serde_json::Value = r.json().await?;
    Ok(VUser {
        username: username.to_owned(),
        token: v["token"]
            .as_str()
            .context("login answered no token")?
            .to_owned(),
    })
}

/// The first `n` users cached for `base` in `file`, read only.
pub fn cached(base: &str, n: usize, file: &Path) -> anyhow::Result<Vec<VUser>> {
    let cache: Cache = serde_json::from_slice(
        &std::fs::read(file).with_context(|| format!("reading {}", file.display()))?,
    )?;
    let users = cache
        .servers
        .get(base)
        .map(Vec::as_slice)
        .unwrap_or_default();
    anyhow::ensure!(
        users.len() >= n,
        "{} holds {} users for {base}",
        file.display(),
        users.len()
    );
    Ok(users[..n].to_vec())
}

/// `n` logged-in users for `base`, from the cache file when it has them
/// (and they still work), else created and cached.
pub async fn ensure(base: &str, n: usize, file: Option<&Path>) -> anyhow::Result<Vec<VUser>> {
    let http = reqwest::Client::new();
    let mut cache: Cache = file
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut users = cache.servers.remove(base).unwrap_or_default();
    if let Some(first) = users.first() {
        let ok = http
            .get(format!("{base}/api/me"))
            .bearer_auth(&first.token)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if !ok {
            users.clear(); // a fresh database: start over
        }
    }
    if users.len() < n {
        let run: u32 = rand::random();
        let start = users.len();
        eprintln!("creating {} users (cached for later runs)…", n - start);
        let created: Vec<anyhow::Result<VUser>> = stream::iter(start..n)
            .map(|i| {
                let http = http.clone();
                async move { create(&http, base, &format!("lg{run:08x}_{i}")).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for u in created {
            users.push(u?);
        }
    }
    let out = users[..n].to_vec();
    cache.servers.insert(base.to_owned(), users);
    if let Some(f) = file {
        std::fs::write(f, serde_json::to_vec(&cache)?)
            .with_context(|| format!("writing {}", f.display()))?;
    }
    Ok(out)
}
