//! Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device
//! Cookies"): a browser that has logged in as a user before proves it with
//! a token, and its failed logins are counted on a lockout of its own, so
//! strangers guessing a user's password lock out only other strangers,
//! never the rightful owner's browsers.
//!
//! The token is a random nonce and a MAC of it keyed with the user's
//! password hash: a secret only the store holds, shared by every node of a
//! cluster with nothing new to keep, and changed by a new password, which
//! retires every device of the old one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const CONTEXT: &[u8] = b"community-messenger device\0";
const NONCE_BYTES: usize = 16;

/// A device token as the client presents it (from a cookie); validated
/// against a user only at login.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(String);

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(..)")
    }
}

impl DeviceToken {
    /// Takes what a client sent, if it has a token's shape (at most 128
    /// characters); anything else is as good as no token.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() <= 128 && raw.contains('.')).then(|| Self(raw.to_owned()))
    }

    /// The token's text, for the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A new token for the user whose password hash is `hash`.
    pub(crate) fn issue(hash: &str) -> Self {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mac = mac(hash, &nonce).finalize().into_bytes();
        Self(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// The token's lockout key if it was issued for the user whose password
    /// hash is `hash` (checked in constant time).
    pub(crate) fn verify(&self, hash: &str) -> Option<String> {
        let (nonce_b64, mac_b64) = self.0.split_once('.')?;
        let nonce = URL_SAFE_NO_PAD.decode(nonce_b64).ok()?;
        let sent = URL_SAFE_NO_PAD.decode(mac_b64).ok()?;
        if nonce.len() != NONCE_BYTES {
            return None;
        }
        mac(hash, &nonce).verify_slice(&sent).ok()?;
        Some(nonce_b64.to_owned())
    }
}

fn mac(hash: &str, nonce: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(hash.as_bytes()).expect("HMAC takes any key");
    mac.update(CONTEXT);
    mac.update(nonce);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_users_hash_only() {
        let token = DeviceToken::issue("$argon2id$hash-of-carol");
        assert!(token.verify("$argon2id$hash-of-carol").is_some());
        assert!(token.verify("$argon2id$hash-of-mallory").is_none());
        let forged = DeviceToken::parse(&format!("{}x", token.as_str())).unwrap();
        assert!(forged.verify("$argon2id$hash-of-carol").is_none());
        assert!(DeviceToken::parse("no-dot").is_none());
        assert_ne!(
            DeviceToken::issue("h").verify("h"),
            DeviceToken::issue("h").verify("h"),
            "each token has its own lockout key"
        );
    }
}
