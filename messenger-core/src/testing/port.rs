//! Ports for throwaway servers that tests stop and start again.

use rand::Rng;

/// A free loopback port for a test server that may be stopped and started
/// again on the same port. It is chosen below the kernel's ephemeral range
/// (Linux: from 32768), where no outgoing connection and no `bind(0)` of a
/// test running alongside can take it while the server is down.
pub fn server_port() -> u16 {
    let mut rng = rand::thread_rng();
    for _ in 0..1000 {
        let port = rng.gen_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between 20000 and 32000");
}
