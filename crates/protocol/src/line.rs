//! Line framing shared by the command and reply parsers: complete-or-partial
//! results in the style of `httparse::Status`.
//!
//! Lines end with CRLF and nothing else ([`RuleId::SmtpCrlf`]); a line longer than
//! its limit is refused ([`RuleId::SmtpLineLimit`]). Incomplete input is not an
//! error: the parsers answer [`Status::Partial`] and the caller offers more bytes.
//!
//! [`RuleId::SmtpCrlf`]: crate::rules::RuleId::SmtpCrlf
//! [`RuleId::SmtpLineLimit`]: crate::rules::RuleId::SmtpLineLimit

use crate::error::PeerError;
use serde::{Deserialize, Serialize};

/// The result of a parser that may need more input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status<T> {
    /// A complete item was parsed.
    Complete(T),
    /// More input is needed; nothing was consumed.
    Partial,
}

impl<T> Status<T> {
    /// The complete value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(v) => Some(v),
            Status::Partial => None,
        }
    }
}

/// A parsed value and the number of input bytes it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parsed<T> {
    /// The value.
    pub value: T,
    /// Bytes of input used, line terminators included.
    pub consumed: usize,
}

/// A parse failure, with how much input the caller should skip to resynchronise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}")]
pub struct LineError {
    /// What is wrong (always the peer's fault).
    pub error: PeerError,
    /// Bytes to drop from the front of the input.
    pub consumed: usize,
    /// `false` when the offending line has not ended yet: after dropping
    /// `consumed` bytes, the caller must also drop everything up to and including
    /// the next LF.
    pub line_complete: bool,
}

/// How the next line of a buffer looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A CRLF-terminated line of `content` bytes (CRLF excluded), `consumed` bytes in all.
    Line { content: usize, consumed: usize },
    /// A line ended by LF without CR.
    BareLf { consumed: usize },
    /// A complete line longer than the limit.
    TooLong { consumed: usize },
    /// At least `limit` bytes and no LF yet: the line is too long and has not ended.
    TooLongUnfinished,
    /// No LF yet and below the limit.
    Partial,
}

/// Frames the first line of `buf` under a limit of `limit` octets including CRLF.
pub(crate) fn frame(buf: &[u8], limit: usize) -> Framing {
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let consumed = i + 1;
            if consumed > limit {
                Framing::TooLong { consumed }
            } else if i == 0 || buf[i - 1] != b'\r' {
                Framing::BareLf { consumed }
            } else {
                Framing::Line {
                    content: i - 1,
                    consumed,
                }
            }
        }
        None if buf.len() >= limit => Framing::TooLongUnfinished,
        None => Framing::Partial,
    }
}

/// Checks that a line's content (CRLF removed) is 7-bit printable ASCII plus SP
/// (and HT if `allow_tab`, as reply text allows).
pub(crate) fn check_ascii(content: &[u8], allow_tab: bool) -> Result<(), PeerError> {
    for &b in content {
        match b {
            b'\t' if allow_tab => {}
            0 => return Err(PeerError::Nul),
            b'\r' => return Err(PeerError::BareCr),
            0x80..=0xff => return Err(PeerError::EightBit { octet: b }),
            0x01..=0x1f | 0x7f => return Err(PeerError::Control { octet: b }),
            _ => {}
        }
    }
    Ok(())
}

/// Frames and checks one line: the shared first step of [`parse_command`] and
/// [`parse_reply`].
///
/// [`parse_command`]: crate::command::parse_command
/// [`parse_reply`]: crate::reply::parse_reply
pub(crate) fn checked_line(
    buf: &[u8],
    limit: usize,
    allow_tab: bool,
) -> Result<Status<(&[u8], usize)>, LineError> {
    match frame(buf, limit) {
        Framing::Partial => Ok(Status::Partial),
        Framing::TooLongUnfinished => Err(LineError {
            error: PeerError::LineTooLong { limit },
            consumed: buf.len(),
            line_complete: false,
        }),
        Framing::TooLong { consumed } => Err(LineError {
            error: PeerError::LineTooLong { limit },
            consumed,
            line_complete: true,
        }),
        Framing::BareLf { consumed } => Err(LineError {
            error: PeerError::BareLf,
            consumed,
            line_complete: true,
        }),
        Framing::Line { content, consumed } => {
            let line = &buf[..content];
            check_ascii(line, allow_tab).map_err(|error| LineError {
                error,
                consumed,
                line_complete: true,
            })?;
            Ok(Status::Complete((line, consumed)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_cases() {
        assert_eq!(
            frame(b"NOOP\r\n", 512),
            Framing::Line {
                content: 4,
                consumed: 6
            }
        );
        assert_eq!(frame(b"NOOP\n", 512), Framing::BareLf { consumed: 5 });
        assert_eq!(frame(b"\n", 512), Framing::BareLf { consumed: 1 });
        assert_eq!(frame(b"NOO", 512), Framing::Partial);
        assert_eq!(frame(&[b'a'; 512], 512), Framing::TooLongUnfinished);
        let mut exact = vec![b'a'; 510];
        exact.extend_from_slice(b"\r\n");
        assert_eq!(
            frame(&exact, 512),
            Framing::Line {
                content: 510,
                consumed: 512
            }
        );
        exact.insert(0, b'a');
        assert_eq!(frame(&exact, 512), Framing::TooLong { consumed: 513 });
    }
}
