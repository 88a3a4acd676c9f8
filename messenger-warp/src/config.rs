//! Settings of the web layer.

use std::num::NonZeroU32;
use std::time::Duration;

use messenger_core::FailureLimit;

/// How the web layer behaves. The defaults are safe for production behind
/// TLS once [`WebConfig::secure_cookies`] is set.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Name of the session cookie.
    pub cookie_name: String,
    /// Name of the CSRF cookie of the HTML forms.
    pub csrf_cookie_name: String,
    /// Name of the device cookie a password login leaves (see
    /// [`DeviceToken`](messenger_core::DeviceToken)): a browser that has it
    /// is not locked out by strangers' failed logins of its user.
    pub device_cookie_name: String,
    /// Mark cookies `Secure` (set this behind TLS).
    pub secure_cookies: bool,
    /// Origins (`scheme://host[:port]`) allowed besides the server's own,
    /// for WebSocket upgrades and cookie-authenticated POSTs.
    pub allowed_origins: Vec<String>,
    /// The origins people reach this server at (`https://chat.example.com`),
    /// as a browser sends them: no path, default port left out. When set,
    /// they are the server's own origins and the `Host` header is not
    /// consulted (a DNS-rebinding page writes its own name in both). When
    /// empty, the server's own origin is `Host` with the scheme `https` if
    /// `secure_cookies`, else `http`.
    pub public_origins: Vec<String>,
    /// Largest JSON or form body accepted, in bytes.
    pub body_limit: u64,
    /// Registrations per client address per hour; `None` turns it off.
    pub register_per_hour: Option<NonZeroU32>,
    /// Failed logins per client address.
    pub login_failures_per_addr: FailureLimit,
    /// Interval of server pings on each WebSocket.
    pub ping_interval: Duration,
    /// A socket that sends nothing (not even a pong) for this long is dropped.
    pub idle_timeout: Duration,
    /// A socket whose writes stall this long is closed: it cannot keep up.
    pub send_timeout: Duration,
    /// Hard cap of a WebSocket message; above it the connection is closed
    /// (1009). Between the protocol's frame limit and this, the frame is
    /// refused with a `too_large` error and the socket stays open.
    pub ws_hard_limit: usize,
    /// A socket that lags behind its rooms this many times within
    /// `lag_window` is closed instead of being resynced again.
    pub max_lags: u32,
    /// See `max_lags`.
    pub lag_window: Duration,
    /// Load balancers and reverse proxies whose `X-Forwarded-For` is
    /// believed. Per-address limits (registrations, failed logins) count the
    /// client's address: the peer's, or when the peer is one of these, the
    /// nearest address in `X-Forwarded-For` that is not. Empty (the
    /// default): the header is ignored, so no client can choose its address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A connection must send a request's headers within this time of
    /// opening, or of its previous response (keep-alive), or it is closed.
    /// Applies to [`serve`](crate::serve).
    pub header_read_timeout: Duration,
    /// Open connections (WebSockets included) in all. Applies to
    /// [`serve`](crate::serve).
    pub max_connections: usize,
    /// Open connections (WebSockets included) per client address; a
    /// trusted proxy's count only toward `max_connections`. Applies to
    /// [`serve`](crate::serve).
    pub max_connections_per_addr: usize,
    /// Open WebSockets per user, counted by the messenger's
    /// [`HoldCounter`](messenger_core::HoldCounter) (across a cluster when
    /// it is shared); one more is closed at once with
    /// [`close::TOO_MANY_SOCKETS`](crate::close::TOO_MANY_SOCKETS).
    pub max_sockets_per_user: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            cookie_name: "cm_session".into(),
            csrf_cookie_name: "cm_csrf".into(),
            device_cookie_name: "cm_device".into(),
            secure_cookies: false,
            allowed_origins: Vec::new(),
            public_origins: Vec::new(),
            body_limit: 64 * 1024,
            register_per_hour: NonZeroU32::new(30),
            login_failures_per_addr: FailureLimit {
                max: 50,
                window: Duration::from_secs(15 * 60),
            },
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
            ws_hard_limit: 1024 * 1024,
            trusted_proxies: Vec::new(),
            max_lags: 5,
            lag_window: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            // About half of what a 20,000-descriptor process holds, so a
            // flood of connections cannot take the store's files.
            max_connections: 10_000,
            max_connections_per_addr: 256,
            max_sockets_per_user: 32,
        }
    }
}
