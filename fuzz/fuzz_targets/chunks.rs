//! How the machine targets read their input: chunks of a peer's bytes, split at `0xFF` (the
//! handshake completed) and `0xFE` (it failed).

/// One piece of the input, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Bytes from the peer.
    Bytes(&'a [u8]),
    /// `0xFF`: call `tls_established`.
    Established,
    /// `0xFE`: call `tls_failed`.
    Failed,
}

/// Calls `each` with the pieces of `input`, in order.
pub fn split<'a>(input: &'a [u8], mut each: impl FnMut(Piece<'a>)) {
    let mut start = 0;
    for (i, b) in input.iter().enumerate() {
        let marker = match b {
            0xFF => Piece::Established,
            0xFE => Piece::Failed,
            _ => continue,
        };
        each(Piece::Bytes(&input[start..i]));
        each(marker);
        start = i + 1;
    }
    each(Piece::Bytes(&input[start..]));
}
