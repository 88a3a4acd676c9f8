//! How frames reach the socket without per-socket memory that lingers.
//!
//! Most sockets sit idle most of the time, so what an idle socket keeps
//! decides how many a server holds. Two things would otherwise keep the
//! size of the largest burst a socket ever sent: tungstenite's write
//! buffer, and the largest single frame (a join's history or presence
//! snapshot). So frames are written into a [`CoalescingIo`] (data frames
//! by [`CoalescingIo::text`], tungstenite's own straight through), which
//! gathers a burst into one write and lets go of its buffer afterwards,
//! and large messages leave as fragments of at most [`FRAGMENT`] bytes
//! (RFC 6455 §5.4; clients reassemble them).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest frame payload written; longer text messages are fragmented.
pub(crate) const FRAGMENT: usize = 2 * 1024;

/// Bytes gathered before they are written out even without a flush
/// (tungstenite's writes), or before the connection stops gathering a
/// burst and flushes ([`CoalescingIo::is_full`]).
const HIGH_WATER: usize = 64 * 1024;

/// Buffer capacity kept across bursts; more is released after a flush.
const KEEP: usize = 1024;

/// Buffers writes until flushed (or [`HIGH_WATER`]), then writes them in
/// as few calls as the socket allows and drops a large buffer.
pub(crate) struct CoalescingIo<S> {
    inner: S,
    buf: Vec<u8>,
    written: usize,
}

impl<S> CoalescingIo<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> CoalescingIo<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.written = 0;
        if self.buf.capacity() > KEEP {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CoalescingIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CoalescingIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.buf.len() >= HIGH_WATER {
            ready!(self.poll_drain(cx))?;
        }
        self.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> CoalescingIo<S> {
    /// Whether frames are waiting for a flush.
    pub(crate) fn has_pending(&self) -> bool {
        self.buf.len() > self.written
    }

    /// Whether enough is waiting that a burst should stop gathering and be
    /// flushed: what one socket holds stays bounded whatever the burst.
    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() - self.written >= HIGH_WATER
    }

    /// Appends `text` (valid UTF-8) as one text message: one frame, or,
    /// when longer than [`FRAGMENT`], a text frame and continuation frames
    /// split at character boundaries.
    ///
    /// Data frames are written here rather than through tungstenite: its
    /// writer formats each frame into a buffer of its own that this one
    /// would copy again, and wants an owned, UTF-8-checked payload per
    /// socket where a broadcast has one shared encoding. The order with
    /// tungstenite's own frames (pongs, close) holds because tungstenite
    /// keeps no buffer (`write_buffer_size(0)`): whatever it writes lands
    /// in this buffer in call order.
    pub(crate) fn text(&mut self, text: &[u8]) {
        let mut rest = text;
        let mut opcode = OP_TEXT;
        loop {
            let mut end = rest.len().min(FRAGMENT);
            // Continuation bytes of UTF-8 are 0b10xx_xxxx: back up to a start.
            while end < rest.len() && end > 0 && rest[end] & 0xC0 == 0x80 {
                end -= 1;
            }
            if end == 0 {
                // Only for bytes that are not UTF-8: still make progress.
                end = rest.len().min(FRAGMENT);
            }
            let (chunk, tail) = rest.split_at(end);
            self.frame(opcode, tail.is_empty(), chunk);
            if tail.is_empty() {
                return;
            }
            rest = tail;
            opcode = OP_CONTINUE;
        }
    }

    /// Appends an empty ping.
    pub(crate) fn ping(&mut self) {
        self.frame(OP_PING, true, &[]);
    }

    /// A server's frame is unmasked (RFC 6455 §5.1): a header, then the
    /// payload as it is.
    fn frame(&mut self, opcode: u8, last: bool, payload: &[u8]) {
        // A burst starts at the kept capacity rather than growing from a
        // few bytes through several reallocations.
        let needed = payload.len() + 10;
        if self.buf.capacity() == 0 {
            self.buf.reserve(KEEP.max(needed));
        } else {
            self.buf.reserve(needed);
        }
        let fin = if last { 0x80 } else { 0 };
        self.buf.push(fin | opcode);
        match payload.len() {
            n @ 0..=125 => self.buf.push(n as u8),
            n @ 126..=0xFFFF => {
                self.buf.push(126);
                self.buf.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                self.buf.push(127);
                self.buf.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        self.buf.extend_from_slice(payload);
    }
}

const OP_CONTINUE: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_PING: u8 = 0x9;

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use bytes::Bytes;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocket};

    use super::*;

    /// What a client reads from the bytes written: each message, and the
    /// payload sizes of the frames it came in.
    fn read_back(write: impl FnOnce(&mut CoalescingIo<()>)) -> (Vec<Message>, Vec<usize>) {
        let mut io = CoalescingIo::new(());
        write(&mut io);
        let sizes = frame_sizes(&io.buf);
        let mut ws = WebSocket::from_raw_socket(Cursor::new(io.buf), Role::Client, None);
        let mut messages = Vec::new();
        while let Ok(m) = ws.read() {
            messages.push(m);
        }
        (messages, sizes)
    }

    fn frame_sizes(mut bytes: &[u8]) -> Vec<usize> {
        let mut sizes = Vec::new();
        while !bytes.is_empty() {
            assert_eq!(bytes[1] & 0x80, 0, "a server's frames are unmasked");
            let (len, head) = match bytes[1] {
                126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
                127 => (
                    u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                n => (n as usize, 2),
            };
            sizes.push(len);
            bytes = &bytes[head + len..];
        }
        sizes
    }

    #[test]
    fn short_messages_stay_whole() {
        for text in [
            "",
            "hi",
            &"x".repeat(125),
            &"x".repeat(126),
            &"x".repeat(FRAGMENT),
        ] {
            let (messages, sizes) = read_back(|io| io.text(text.as_bytes()));
            assert_eq!(messages, [Message::text(text)]);
            assert_eq!(sizes, [text.len()]);
        }
    }

    #[test]
    fn long_messages_split_at_character_boundaries_and_reassemble() {
        let text = "añ€😀".repeat(FRAGMENT);
        let (messages, sizes) = read_back(|io| {
            io.text(text.as_bytes());
            io.ping();
            io.text(b"next");
        });
        assert!(sizes.len() > 3);
        assert!(sizes.iter().all(|n| *n <= FRAGMENT));
        // tungstenite checks every fragment's UTF-8 as it reassembles.
        assert_eq!(
            messages,
            [
                Message::text(text),
                Message::Ping(Bytes::new()),
                Message::text("next")
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_still_end() {
        let mut io = CoalescingIo::new(());
        io.text(&[0x80; 5000]);
        let sizes = frame_sizes(&io.buf);
        assert_eq!(sizes.iter().sum::<usize>(), 5000);
        assert!(sizes.iter().all(|n| *n <= FRAGMENT));
    }
}
