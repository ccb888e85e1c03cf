//! Mail data: dot-stuffing and the end-of-data marker ([`RuleId::SmtpDotStuffing`],
//! RFC 5321 §4.5.2) and the text-line limit ([`RuleId::SmtpLineLimit`]).
//!
//! Only `CRLF . CRLF` ends the data: a bare LF is ordinary content and never
//! starts a line, so `LF . LF` style "SMTP smuggling" cannot end a message early.
//!
//! [`RuleId::SmtpDotStuffing`]: crate::rules::RuleId::SmtpDotStuffing
//! [`RuleId::SmtpLineLimit`]: crate::rules::RuleId::SmtpLineLimit

use crate::limits::{MESSAGE_CAP, TEXT_LINE_MAX};

/// Encodes a message body for sending after `354`: line ends become CRLF, a line
/// starting with `.` gets one more `.`, the text ends with CRLF, and `.` CRLF follows.
///
/// ```
/// use starttls_protocol::data::encode_message;
/// assert_eq!(encode_message(b"Hi\n.hidden\n"), b"Hi\r\n..hidden\r\n.\r\n");
/// assert_eq!(encode_message(b""), b".\r\n");
/// ```
pub fn encode_message(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    if !body.is_empty() {
        let text = body.strip_suffix(b"\n").unwrap_or(body);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                out.push(b'.');
            }
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// What went wrong in a message, reported in the reply after the final `.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct DataFaults {
    /// A text line was longer than [`TEXT_LINE_MAX`].
    pub line_too_long: bool,
    /// The message exceeded [`MESSAGE_CAP`].
    pub too_big: bool,
}

/// Incremental receiver of mail data (the server side of [`encode_message`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DataReceiver {
    pub body: Vec<u8>,
    pub faults: DataFaults,
    /// Inside a line that is already too long (its start was dropped).
    overlong: bool,
}

impl DataReceiver {
    /// Consumes from `input`; returns bytes consumed and whether the end of data was reached.
    pub fn feed(&mut self, input: &[u8]) -> (usize, bool) {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match rest.windows(2).position(|w| w == b"\r\n") {
                Some(i) => {
                    pos += i + 2;
                    if self.overlong {
                        self.overlong = false;
                        continue;
                    }
                    let line = &rest[..i];
                    if line == b"." {
                        return (pos, true);
                    }
                    if i + 2 > TEXT_LINE_MAX {
                        self.faults.line_too_long = true;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(line);
                    if self.body.len() + line.len() + 2 <= MESSAGE_CAP {
                        self.body.extend_from_slice(line);
                        self.body.extend_from_slice(b"\r\n");
                    } else {
                        self.faults.too_big = true;
                    }
                }
                None => {
                    if rest.len() >= TEXT_LINE_MAX {
                        // Keep the last byte: it may be the CR of the CRLF.
                        self.faults.line_too_long = true;
                        self.overlong = true;
                        pos += rest.len() - 1;
                    }
                    return (pos, false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_smtp_dot_stuffing_round_trip() {
        let body = b"Subject: x\r\n\r\n.\r\n..two\r\nend";
        let wire = encode_message(body);
        assert_eq!(wire, b"Subject: x\r\n\r\n..\r\n...two\r\nend\r\n.\r\n");
        let mut rx = DataReceiver::default();
        let (n, done) = rx.feed(&wire);
        assert!(done);
        assert_eq!(n, wire.len());
        assert_eq!(rx.body, b"Subject: x\r\n\r\n.\r\n..two\r\nend\r\n");
    }

    #[test]
    fn bare_lf_dot_does_not_end_data() {
        let mut rx = DataReceiver::default();
        let (n, done) = rx.feed(b"a\n.\nb\r\n");
        assert!(!done);
        assert_eq!(n, 7);
        let (_, done) = rx.feed(b".\r\n");
        assert!(done);
    }

    #[test]
    fn rule_smtp_line_limit_text_line_1000() {
        let mut rx = DataReceiver::default();
        let long = vec![b'x'; 5000];
        let (n, done) = rx.feed(&long);
        assert!(!done && n == 4999 && rx.faults.line_too_long);
        let (_, done) = rx.feed(b"x\r\n.\r\n");
        assert!(done);
        assert!(rx.body.is_empty());
        let mut ok = DataReceiver::default();
        let mut line = vec![b'y'; 998];
        line.extend_from_slice(b"\r\n.\r\n");
        assert_eq!(ok.feed(&line), (1003, true));
        assert!(!ok.faults.line_too_long);
    }
}
