//! The bounded input buffer both machines read from, and where its bytes sit in the stream.
//!
//! Offsets count from the first byte the machine received, so that events can name the exact
//! [`ByteRange`] of plaintext held after STARTTLS and discarded at the handshake
//! (SERVER-DISCARD, CLIENT-DISCARD). Never more than [`INPUT_BUFFER_CAP`] bytes are kept.

use std::ops::Deref;

use crate::knowledge::ByteRange;
use crate::limits::INPUT_BUFFER_CAP;

/// Input bytes taken but not yet interpreted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inbox {
    bytes: Vec<u8>,
    /// Stream offset of `bytes[0]`.
    offset: u64,
    /// Bytes held during a handshake but dropped past the cap: they count in ranges.
    held_dropped: u64,
}

impl Deref for Inbox {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Inbox {
    /// Room left under [`INPUT_BUFFER_CAP`].
    pub(crate) fn room(&self) -> usize {
        INPUT_BUFFER_CAP.saturating_sub(self.bytes.len())
    }

    /// Appends bytes the caller has already bounded by [`Self::room`].
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Holds bytes that arrive while a handshake is pending, up to the cap; the rest are
    /// dropped but still counted in [`Self::held_range`].
    pub(crate) fn hold(&mut self, bytes: &[u8]) {
        let n = self.room().min(bytes.len());
        self.bytes.extend_from_slice(&bytes[..n]);
        self.held_dropped += (bytes.len() - n) as u64;
    }

    /// Removes the first `n` bytes, which have been interpreted.
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.bytes.len());
        self.bytes.drain(..n);
        self.offset += n as u64;
    }

    /// The bytes held now, as stream offsets.
    pub(crate) fn pending_range(&self) -> ByteRange {
        ByteRange {
            start: self.offset,
            end: self.offset + self.bytes.len() as u64,
        }
    }

    /// The bytes held now plus those dropped past the cap while holding.
    pub(crate) fn held_range(&self) -> ByteRange {
        let pending = self.pending_range();
        ByteRange {
            start: pending.start,
            end: pending.end + self.held_dropped,
        }
    }

    /// Throws everything held away; returns what it covered.
    pub(crate) fn discard_all(&mut self) -> ByteRange {
        let range = self.held_range();
        self.bytes.clear();
        self.offset = range.end;
        self.held_dropped = 0;
        range
    }

    /// Keeps the held bytes to be interpreted (a teaching toggle); those dropped past the cap
    /// are gone either way.
    pub(crate) fn keep_held(&mut self) {
        self.offset += self.held_dropped;
        self.held_dropped = 0;
    }

    /// Takes the held bytes back out, with the range they (and any dropped ones) covered.
    pub(crate) fn take(&mut self) -> (Vec<u8>, ByteRange) {
        let range = self.held_range();
        let bytes = std::mem::take(&mut self.bytes);
        self.offset = range.end;
        self.held_dropped = 0;
        (bytes, range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_stream_and_dropped_bytes_count() {
        let mut inbox = Inbox::default();
        inbox.extend(b"EHLO x\r\n");
        inbox.consume(8);
        assert_eq!(inbox.pending_range(), ByteRange { start: 8, end: 8 });
        inbox.hold(&vec![b'a'; INPUT_BUFFER_CAP + 10]);
        assert_eq!(inbox.len(), INPUT_BUFFER_CAP);
        let range = inbox.held_range();
        assert_eq!(
            (range.start, range.end),
            (8, 8 + INPUT_BUFFER_CAP as u64 + 10)
        );
        assert_eq!(inbox.discard_all(), range);
        assert!(inbox.is_empty());
        assert_eq!(inbox.pending_range().start, range.end);
        inbox.hold(b"RSET\r\n");
        let (bytes, taken) = inbox.take();
        assert_eq!(
            (bytes.as_slice(), taken.start, taken.end),
            (&b"RSET\r\n"[..], range.end, range.end + 6)
        );
    }
}
