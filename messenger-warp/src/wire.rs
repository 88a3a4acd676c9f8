//! How frames reach the socket without per-socket memory that lingers.
//!
//! Most sockets sit idle most of the time, so what an idle socket keeps
//! decides how many a server holds. Two things would otherwise keep the
//! size of the largest burst a socket ever sent: tungstenite's write
//! buffer, and the largest single frame (a join's history or presence
//! snapshot). So tungstenite writes each frame straight through to a
//! [`CoalescingIo`], which gathers a burst into one write and lets go of
//! its buffer afterwards, and large messages leave as [`fragments`] of at
//! most [`FRAGMENT`] bytes (RFC 6455 §5.4; clients reassemble them).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Largest frame payload written; longer text messages are fragmented.
pub(crate) const FRAGMENT: usize = 2 * 1024;

/// Bytes gathered before they are written out even without a flush.
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

/// `text` (valid UTF-8) as one text message, or, when longer than
/// [`FRAGMENT`], as a text frame and continuation frames split at
/// character boundaries. Slices share `text`'s bytes.
pub(crate) fn fragments(text: Bytes) -> impl Iterator<Item = Message> {
    let mut rest = text;
    let mut first = true;
    std::iter::from_fn(move || {
        if rest.is_empty() && !first {
            return None;
        }
        let mut end = rest.len().min(FRAGMENT);
        // Continuation bytes of UTF-8 are 0b10xx_xxxx: back up to a start.
        while end < rest.len() && end > 0 && rest[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        let chunk = rest.split_to(end);
        let last = rest.is_empty();
        let message = if first && last {
            let text = chunk.try_into().expect("split at character boundaries");
            Message::Text(text)
        } else {
            let opcode = if first { Data::Text } else { Data::Continue };
            Message::Frame(Frame::message(chunk, OpCode::Data(opcode), last))
        };
        first = false;
        Some(message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(text: &str) -> Vec<(bool, Vec<u8>)> {
        fragments(Bytes::copy_from_slice(text.as_bytes()))
            .map(|m| match m {
                Message::Text(t) => (true, t.as_bytes().to_vec()),
                Message::Frame(f) => (f.header().is_final, f.payload().to_vec()),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn short_messages_stay_whole() {
        assert_eq!(payloads("hi"), [(true, b"hi".to_vec())]);
        assert_eq!(payloads(""), [(true, Vec::new())]);
        assert_eq!(payloads(&"x".repeat(FRAGMENT)).len(), 1);
    }

    #[test]
    fn long_messages_split_at_character_boundaries_and_reassemble() {
        let text = "añ€😀".repeat(FRAGMENT);
        let parts = payloads(&text);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|(_, p)| p.len() <= FRAGMENT));
        assert!(parts.iter().all(|(_, p)| std::str::from_utf8(p).is_ok()));
        let finals: Vec<bool> = parts.iter().map(|(f, _)| *f).collect();
        assert_eq!(finals.iter().filter(|f| **f).count(), 1);
        assert_eq!(finals.last(), Some(&true));
        let joined: Vec<u8> = parts.into_iter().flat_map(|(_, p)| p).collect();
        assert_eq!(joined, text.as_bytes());
    }
}
