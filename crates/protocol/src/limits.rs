//! Size limits: the RFC 5321 §4.5.3.1 minimums and this crate's memory caps.
//!
//! The RFC limits decide which input is refused ([`RuleId::SmtpLineLimit`],
//! [`RuleId::SmtpRcptLimit`]). The caps bound memory whatever the peer sends: a
//! flight of 10,000 pipelined commands or a line that never ends never makes a
//! machine hold more than [`INPUT_BUFFER_CAP`] input bytes, [`EVENT_QUEUE_CAP`]
//! events, [`OUTGOING_CAP`] (plus one reply) outgoing bytes and [`MESSAGE_CAP`]
//! bytes of message text.
//!
//! [`RuleId::SmtpLineLimit`]: crate::rules::RuleId::SmtpLineLimit
//! [`RuleId::SmtpRcptLimit`]: crate::rules::RuleId::SmtpRcptLimit

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
pub const COMMAND_LINE_MAX: usize = 512;
/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
pub const REPLY_LINE_MAX: usize = 512;
/// RFC 5321 §4.5.3.1.6: a line of message text is at most 1000 octets including CRLF.
pub const TEXT_LINE_MAX: usize = 1000;
/// RFC 5321 §4.5.3.1.8: a server buffers at least 100 recipients; this server buffers exactly 100.
pub const RECIPIENTS_MAX: usize = 100;
/// RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
pub const LOCAL_PART_MAX: usize = 64;
/// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
pub const DOMAIN_MAX: usize = 255;
/// RFC 5321 §4.5.3.1.3: a path, angle brackets included, is at most 256 octets.
pub const PATH_MAX: usize = 256;

/// Cap: unprocessed input bytes a machine holds (a partial line, lines waiting
/// because the event queue is full, or plaintext received after `220` to STARTTLS).
/// Bytes beyond it are refused by `receive` (which returns how many it took), or,
/// while a TLS handshake is pending, counted and dropped.
pub const INPUT_BUFFER_CAP: usize = 4096;
/// Cap: events waiting in a machine's queue. When it is full, `receive` stops
/// taking input until the caller drains events with `poll_event`.
pub const EVENT_QUEUE_CAP: usize = 1024;
/// How many events one step may add beyond [`EVENT_QUEUE_CAP`]: a machine stops
/// taking input once the queue is at the cap, but the step in progress (one line,
/// one reply, or a `tls_established` call, which reports up to [`RECIPIENTS_MAX`]
/// discarded recipients) completes. So a queue never exceeds
/// `EVENT_QUEUE_CAP + EVENT_STEP_MAX`.
pub const EVENT_STEP_MAX: usize = RECIPIENTS_MAX + 16;
/// Cap: outgoing bytes waiting to be taken. When reached, `receive` stops taking
/// input until the caller calls `take_outgoing`. One reply may overshoot it.
pub const OUTGOING_CAP: usize = 64 * 1024;
/// Cap: message text a server keeps for one message. Longer messages get
/// `552 Too much mail data` (RFC 5321 §4.5.3.1.9) at the end of data.
pub const MESSAGE_CAP: usize = 64 * 1024;
/// Cap: lines in one multi-line reply the client accepts before treating the
/// reply as malformed.
pub const REPLY_LINES_MAX: usize = 64;
