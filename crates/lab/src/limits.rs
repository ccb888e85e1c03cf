//! The bounds of every lab session. A session that passes one is closed; the server goes on.

use std::time::Duration;

/// Limits on each session and on the server.
///
/// Line and message sizes are the protocol machine's own
/// ([`starttls_protocol::limits`]): a longer line gets `500`, a larger message `552`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sessions held at once; one more gets `421 4.3.2` and is closed.
    pub max_sessions: usize,
    /// Longest wait for the peer's next bytes.
    pub idle_timeout: Duration,
    /// Longest session, start to end.
    pub session_timeout: Duration,
    /// Longest TLS handshake, from the `220` to STARTTLS to its end.
    pub handshake_timeout: Duration,
    /// How long the lab's server holds its reply to a client's EHLO under TLS when the
    /// attacker injected replies after the `220`, to see whether the client sends on without
    /// it (CLIENT-DISCARD; see `Engine::holds_reply`).
    pub reply_hold: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 64,
            idle_timeout: Duration::from_secs(60),
            session_timeout: Duration::from_secs(600),
            handshake_timeout: Duration::from_secs(15),
            reply_hold: Duration::from_secs(1),
        }
    }
}

/// The reply to a connection beyond [`Limits::max_sessions`] (RFC 5321 §3.8: 421 closes the
/// channel; RFC 3463 §3.5: X.3.2, system not accepting network messages).
pub const TOO_MANY_SESSIONS: &[u8] = b"421 4.3.2 Too many sessions, try again later\r\n";
