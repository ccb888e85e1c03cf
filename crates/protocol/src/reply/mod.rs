//! SMTP replies (RFC 5321 §4.2): single-line and multi-line, with or without an
//! enhanced status code (RFC 2034, RFC 3463), their wire form and a strict parser.

mod ehlo;

pub use ehlo::{EhloReply, Extension};

use crate::error::PeerError;
use crate::limits::{REPLY_LINE_MAX, REPLY_LINES_MAX};
use crate::line::{LineError, Parsed, Status, checked_line};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An enhanced mail system status code `class.subject.detail` (RFC 3463 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnhancedStatus {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// The subject, 0 to 999.
    pub subject: u16,
    /// The detail, 0 to 999.
    pub detail: u16,
}

impl EnhancedStatus {
    /// Builds `class.subject.detail`.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedStatus {
            class,
            subject,
            detail,
        }
    }

    /// Parses `d.ddd.ddd` from the start of `text`, returning it and the rest of the
    /// text after one separating space. The class must be 2, 4 or 5.
    pub fn parse_prefix(text: &str) -> Option<(EnhancedStatus, &str)> {
        let (token, rest) = match text.split_once(' ') {
            Some((t, r)) => (t, r),
            None => (text, ""),
        };
        let mut parts = token.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let number = |s: &str, max_len: usize| -> Option<u16> {
            if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        };
        let class = number(class, 1)? as u8;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some((
            EnhancedStatus::new(class, number(subject, 3)?, number(detail, 3)?),
            rest,
        ))
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One reply: a three-digit code, an optional enhanced status code, and one or
/// more lines of text (the enhanced code is not part of [`Reply::lines`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The reply code, e.g. 250.
    pub code: u16,
    /// The enhanced status code carried on each line, if any.
    pub enhanced: Option<EnhancedStatus>,
    /// The text of each line, without code and enhanced status code.
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: u16, enhanced: Option<EnhancedStatus>, text: impl Into<String>) -> Self {
        Reply {
            code,
            enhanced,
            lines: vec![text.into()],
        }
    }

    /// The text of all lines joined by a newline.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// 2xx.
    pub fn is_positive_completion(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3xx.
    pub fn is_positive_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// 4xx.
    pub fn is_transient_failure(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx.
    pub fn is_permanent_failure(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The reply as sent: `code-text` CRLF for all lines but the last, `code text` CRLF for the last.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        let n = self.lines.len().max(1);
        for i in 0..n {
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            out.push_str(&self.code.to_string());
            let last = i + 1 == n;
            let mut body = String::new();
            if let Some(esc) = self.enhanced {
                body.push_str(&esc.to_string());
                if !text.is_empty() {
                    body.push(' ');
                }
            }
            body.push_str(text);
            if last {
                // RFC 4954 §4: a server challenge is "334" SP [base64], even when empty.
                if !body.is_empty() || self.code == 334 {
                    out.push(' ');
                }
            } else {
                out.push('-');
            }
            out.push_str(&body);
            out.push_str("\r\n");
        }
        out.into_bytes()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        f.write_str(String::from_utf8_lossy(&bytes).trim_end())
    }
}

/// One parsed reply line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyLine {
    pub code: u16,
    pub last: bool,
    pub text: String,
}

/// Parses the content of one reply line (CRLF removed): `code [SP|"-" text]`.
pub(crate) fn parse_reply_line(line: &str) -> Result<ReplyLine, PeerError> {
    let bad = |d: &str| PeerError::MalformedReply {
        detail: d.to_string(),
    };
    let b = line.as_bytes();
    if b.len() < 3 {
        return Err(bad("a reply line starts with a three-digit code"));
    }
    let ok =
        (b'2'..=b'5').contains(&b[0]) && (b'0'..=b'5').contains(&b[1]) && b[2].is_ascii_digit();
    if !ok {
        return Err(bad("invalid reply code (RFC 5321 §4.2: 2-5, 0-5, 0-9)"));
    }
    let code = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
    match b.get(3) {
        None => Ok(ReplyLine {
            code,
            last: true,
            text: String::new(),
        }),
        Some(b' ') => Ok(ReplyLine {
            code,
            last: true,
            text: line[4..].to_string(),
        }),
        Some(b'-') => Ok(ReplyLine {
            code,
            last: false,
            text: line[4..].to_string(),
        }),
        Some(_) => Err(bad("the code must be followed by SP, \"-\" or CRLF")),
    }
}

/// Accumulates reply lines into a [`Reply`]; used by the client and [`parse_reply`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReplyAssembler {
    code: Option<u16>,
    enhanced: Option<EnhancedStatus>,
    lines: Vec<String>,
}

impl ReplyAssembler {
    /// Adds a line; returns the reply when the line was its last.
    pub fn push(&mut self, line: ReplyLine) -> Result<Option<Reply>, PeerError> {
        let mut text = line.text;
        match self.code {
            None => {
                self.code = Some(line.code);
                if let Some((esc, rest)) = EnhancedStatus::parse_prefix(&text)
                    && u16::from(esc.class) == line.code / 100
                {
                    self.enhanced = Some(esc);
                    text = rest.to_string();
                }
            }
            Some(code) if code != line.code => {
                self.clear();
                return Err(PeerError::MalformedReply {
                    detail: format!("multi-line reply changes code from {code} to {}", line.code),
                });
            }
            Some(_) => {
                if let Some(esc) = self.enhanced
                    && let Some((e, rest)) = EnhancedStatus::parse_prefix(&text)
                    && e == esc
                {
                    text = rest.to_string();
                }
            }
        }
        self.lines.push(text);
        if line.last {
            let reply = Reply {
                code: self.code.unwrap_or(line.code),
                enhanced: self.enhanced,
                lines: std::mem::take(&mut self.lines),
            };
            self.clear();
            Ok(Some(reply))
        } else if self.lines.len() >= REPLY_LINES_MAX {
            self.clear();
            Err(PeerError::MalformedReply {
                detail: format!("more than {REPLY_LINES_MAX} lines in one reply"),
            })
        } else {
            Ok(None)
        }
    }

    fn clear(&mut self) {
        *self = ReplyAssembler::default();
    }
}

/// Parses one reply line from the front of `input` (CRLF only, at most
/// [`REPLY_LINE_MAX`] octets including it, 7-bit text).
pub(crate) fn next_reply_line(input: &[u8]) -> Result<Status<Parsed<ReplyLine>>, LineError> {
    let Status::Complete((line, consumed)) = checked_line(input, REPLY_LINE_MAX, true)? else {
        return Ok(Status::Partial);
    };
    let text = std::str::from_utf8(line).unwrap_or_default();
    parse_reply_line(text)
        .map(|value| Status::Complete(Parsed { value, consumed }))
        .map_err(|error| LineError {
            error,
            consumed,
            line_complete: true,
        })
}

/// Parses one complete reply (single- or multi-line) from the front of `input`.
///
/// Returns [`Status::Partial`] until the last line (`code SP text`) has arrived.
/// An enhanced status code is recognised when the first line's text starts with
/// `class.subject.detail` whose class matches the reply code (RFC 2034 §4).
///
/// ```
/// use starttls_protocol::reply::{parse_reply, EnhancedStatus};
/// let r = parse_reply(b"250-first\r\n250 2.0.0 last\r\n").unwrap().complete().unwrap();
/// assert_eq!(r.value.code, 250);
/// assert_eq!(r.value.lines, vec!["first", "2.0.0 last"]);
/// let r = parse_reply(b"530 5.7.0 Must issue a STARTTLS command first\r\n").unwrap();
/// let r = r.complete().unwrap().value;
/// assert_eq!(r.enhanced, Some(EnhancedStatus::new(5, 7, 0)));
/// assert_eq!(r.lines, vec!["Must issue a STARTTLS command first"]);
/// ```
pub fn parse_reply(input: &[u8]) -> Result<Status<Parsed<Reply>>, LineError> {
    let mut assembler = ReplyAssembler::default();
    let mut offset = 0;
    loop {
        match next_reply_line(&input[offset..]) {
            Ok(Status::Partial) => return Ok(Status::Partial),
            Ok(Status::Complete(p)) => {
                offset += p.consumed;
                match assembler.push(p.value) {
                    Ok(Some(reply)) => {
                        return Ok(Status::Complete(Parsed {
                            value: reply,
                            consumed: offset,
                        }));
                    }
                    Ok(None) => {}
                    Err(error) => {
                        return Err(LineError {
                            error,
                            consumed: offset,
                            line_complete: true,
                        });
                    }
                }
            }
            Err(mut e) => {
                e.consumed += offset;
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Reply {
        parse_reply(s.as_bytes()).unwrap().complete().unwrap().value
    }

    #[test]
    fn reply_table() {
        let cases: &[(&str, u16, Option<EnhancedStatus>, &[&str])] = &[
            (
                "220 mail.imc.org SMTP service ready\r\n",
                220,
                None,
                &["mail.imc.org SMTP service ready"],
            ),
            ("220 Go ahead\r\n", 220, None, &["Go ahead"]),
            ("250\r\n", 250, None, &[""]),
            ("250-a\r\n250-\r\n250 c\r\n", 250, None, &["a", "", "c"]),
            (
                "454 4.7.0 TLS not available due to temporary reason\r\n",
                454,
                Some(EnhancedStatus::new(4, 7, 0)),
                &["TLS not available due to temporary reason"],
            ),
            (
                "554-5.7.0 Command refused\r\n554 5.7.0 due to lack of security\r\n",
                554,
                Some(EnhancedStatus::new(5, 7, 0)),
                &["Command refused", "due to lack of security"],
            ),
            (
                "250 5.0.0 mismatched class stays text\r\n",
                250,
                None,
                &["5.0.0 mismatched class stays text"],
            ),
        ];
        for (wire, code, esc, lines) in cases {
            let r = parse(wire);
            assert_eq!((r.code, r.enhanced), (*code, *esc), "{wire:?}");
            assert_eq!(r.lines, *lines, "{wire:?}");
        }
        let r = Reply {
            code: 250,
            enhanced: None,
            lines: vec!["a".into(), String::new(), "c".into()],
        };
        assert_eq!(r.to_bytes(), b"250-a\r\n250-\r\n250 c\r\n");
        let r = Reply::new(
            530,
            Some(EnhancedStatus::new(5, 7, 0)),
            "Must issue a STARTTLS command first",
        );
        assert_eq!(
            r.to_bytes(),
            b"530 5.7.0 Must issue a STARTTLS command first\r\n"
        );
    }

    #[test]
    fn malformed_replies() {
        for bad in [
            "25\r\n",
            "650 x\r\n",
            "260 x\r\n",
            "250x\r\n",
            "250-a\r\n251 b\r\n",
            "250 a\n",
        ] {
            assert!(parse_reply(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(parse_reply(b"250-a\r\n250 b").unwrap(), Status::Partial);
        let long = format!("250 {}\r\n", "x".repeat(600));
        assert!(matches!(
            parse_reply(long.as_bytes()).unwrap_err().error,
            PeerError::LineTooLong { limit: 512 }
        ));
    }
}
