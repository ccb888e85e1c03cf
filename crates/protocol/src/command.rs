//! SMTP commands (RFC 5321 §4.1.1, RFC 3207 §4, RFC 4954 AUTH PLAIN): the
//! [`Command`] type, its wire form and a strict parser.
//!
//! The parser is deliberately strict, so that a student can compare each
//! refusal with the RFC grammar: lines end in CRLF only, are at most 512
//! octets ([`COMMAND_LINE_MAX`]), are 7-bit ASCII without control characters,
//! and arguments follow RFC 5321 §4.1.2 (`MAIL FROM:<path>` with no space
//! after the colon, as in the RFC's ABNF).
//!
//! [`COMMAND_LINE_MAX`]: crate::limits::COMMAND_LINE_MAX

use crate::error::PeerError;
use crate::limits::{COMMAND_LINE_MAX, DOMAIN_MAX, LOCAL_PART_MAX, PATH_MAX};
use crate::line::{LineError, Parsed, Status, checked_line};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The verbs this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verb {
    /// `EHLO` (RFC 5321 §4.1.1.1).
    Ehlo,
    /// `HELO` (RFC 5321 §4.1.1.1).
    Helo,
    /// `MAIL` (RFC 5321 §4.1.1.2).
    Mail,
    /// `RCPT` (RFC 5321 §4.1.1.3).
    Rcpt,
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `VRFY` (RFC 5321 §4.1.1.6).
    Vrfy,
    /// `HELP` (RFC 5321 §4.1.1.8).
    Help,
    /// `NOOP` (RFC 5321 §4.1.1.9).
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `AUTH` (RFC 4954 §4).
    Auth,
}

impl Verb {
    /// The verb as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Ehlo => "EHLO",
            Verb::Helo => "HELO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
        }
    }

    /// Looks a verb up, ignoring ASCII case (RFC 5321 §2.4).
    pub fn from_word(word: &str) -> Option<Verb> {
        const ALL: [Verb; 12] = [
            Verb::Ehlo,
            Verb::Helo,
            Verb::Mail,
            Verb::Rcpt,
            Verb::Data,
            Verb::Rset,
            Verb::Vrfy,
            Verb::Help,
            Verb::Noop,
            Verb::Quit,
            Verb::StartTls,
            Verb::Auth,
        ];
        ALL.into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SMTP command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// `EHLO domain`: open an extended session.
    Ehlo {
        /// The client's domain or address literal.
        domain: String,
    },
    /// `HELO domain`: open a basic session.
    Helo {
        /// The client's domain.
        domain: String,
    },
    /// `MAIL FROM:<reverse-path> [parameters]`.
    Mail {
        /// The reverse-path without angle brackets; empty for the null path `<>`.
        reverse_path: String,
        /// ESMTP parameters, as sent (e.g. `SIZE=1000`).
        parameters: Vec<String>,
    },
    /// `RCPT TO:<forward-path> [parameters]`.
    Rcpt {
        /// The forward-path without angle brackets.
        forward_path: String,
        /// ESMTP parameters, as sent.
        parameters: Vec<String>,
    },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `VRFY string`.
    Vrfy {
        /// The user or mailbox to verify.
        argument: String,
    },
    /// `HELP [topic]`.
    Help {
        /// The optional topic.
        topic: Option<String>,
    },
    /// `NOOP [string]`.
    Noop {
        /// The optional argument, ignored by servers.
        argument: Option<String>,
    },
    /// `QUIT`.
    Quit,
    /// `STARTTLS` ([`RuleId::CmdSyntax`]: no parameters).
    ///
    /// [`RuleId::CmdSyntax`]: crate::rules::RuleId::CmdSyntax
    StartTls,
    /// `AUTH PLAIN [initial-response]` (RFC 4954, RFC 4616).
    AuthPlain {
        /// The base64 initial response, `=` for an empty one, or `None` to get a 334 challenge.
        initial_response: Option<String>,
    },
}

impl Command {
    /// The command's verb.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Ehlo { .. } => Verb::Ehlo,
            Command::Helo { .. } => Verb::Helo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Rset => Verb::Rset,
            Command::Vrfy { .. } => Verb::Vrfy,
            Command::Help { .. } => Verb::Help,
            Command::Noop { .. } => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::AuthPlain { .. } => Verb::Auth,
        }
    }

    /// The command line as sent, CRLF included.
    pub fn to_line(&self) -> String {
        let body = match self {
            Command::Ehlo { domain } => format!("EHLO {domain}"),
            Command::Helo { domain } => format!("HELO {domain}"),
            Command::Mail {
                reverse_path,
                parameters,
            } => with_params(format!("MAIL FROM:<{reverse_path}>"), parameters),
            Command::Rcpt {
                forward_path,
                parameters,
            } => with_params(format!("RCPT TO:<{forward_path}>"), parameters),
            Command::Data => "DATA".into(),
            Command::Rset => "RSET".into(),
            Command::Vrfy { argument } => format!("VRFY {argument}"),
            Command::Help { topic: None } => "HELP".into(),
            Command::Help { topic: Some(t) } => format!("HELP {t}"),
            Command::Noop { argument: None } => "NOOP".into(),
            Command::Noop { argument: Some(a) } => format!("NOOP {a}"),
            Command::Quit => "QUIT".into(),
            Command::StartTls => "STARTTLS".into(),
            Command::AuthPlain {
                initial_response: None,
            } => "AUTH PLAIN".into(),
            Command::AuthPlain {
                initial_response: Some(r),
            } => format!("AUTH PLAIN {r}"),
        };
        body + "\r\n"
    }

    /// Parses the content of one command line (CRLF already removed, already
    /// checked to be printable ASCII). Most callers want [`parse_command`].
    pub fn parse_line(line: &str) -> Result<Command, PeerError> {
        let (word, rest) = match line.split_once(' ') {
            Some((w, r)) => (w, Some(r)),
            None => (line, None),
        };
        let Some(verb) = Verb::from_word(word) else {
            return Err(PeerError::UnknownCommand {
                verb: word.chars().take(32).collect(),
            });
        };
        let syntax = |detail: &str| PeerError::Syntax {
            verb,
            detail: detail.to_string(),
        };
        match verb {
            Verb::Ehlo | Verb::Helo => {
                let domain =
                    rest.ok_or_else(|| syntax("a domain or address literal is required"))?;
                check_ehlo_domain(domain).map_err(|d| syntax(&d))?;
                Ok(if verb == Verb::Ehlo {
                    Command::Ehlo {
                        domain: domain.to_string(),
                    }
                } else {
                    Command::Helo {
                        domain: domain.to_string(),
                    }
                })
            }
            Verb::Mail | Verb::Rcpt => {
                let prefix = if verb == Verb::Mail { "FROM:" } else { "TO:" };
                let rest = rest.unwrap_or("");
                let expected = format!("expected \"{} {}<path>\"", verb, prefix);
                if rest.len() < prefix.len() || !rest[..prefix.len()].eq_ignore_ascii_case(prefix) {
                    return Err(syntax(&expected));
                }
                let rest = &rest[prefix.len()..];
                if rest.starts_with(' ') {
                    return Err(syntax(
                        "no space is allowed after the colon (RFC 5321 §4.1.1.2)",
                    ));
                }
                let (path, params) = split_path(rest).map_err(|d| syntax(&d))?;
                let inner = check_path(path, verb == Verb::Mail).map_err(|d| syntax(&d))?;
                let parameters = match params {
                    None => Vec::new(),
                    Some(p) => parse_esmtp_params(p).map_err(|d| syntax(&d))?,
                };
                Ok(if verb == Verb::Mail {
                    Command::Mail {
                        reverse_path: inner,
                        parameters,
                    }
                } else {
                    Command::Rcpt {
                        forward_path: inner,
                        parameters,
                    }
                })
            }
            Verb::Data | Verb::Rset | Verb::Quit | Verb::StartTls => {
                if rest.is_some() {
                    return Err(syntax("no parameters allowed"));
                }
                Ok(match verb {
                    Verb::Data => Command::Data,
                    Verb::Rset => Command::Rset,
                    Verb::Quit => Command::Quit,
                    _ => Command::StartTls,
                })
            }
            Verb::Vrfy => match rest {
                Some(a) if !a.is_empty() => Ok(Command::Vrfy {
                    argument: a.to_string(),
                }),
                _ => Err(syntax("an argument is required")),
            },
            Verb::Help => Ok(Command::Help {
                topic: rest.map(str::to_string),
            }),
            Verb::Noop => Ok(Command::Noop {
                argument: rest.map(str::to_string),
            }),
            Verb::Auth => {
                let rest = rest.ok_or_else(|| syntax("a mechanism is required"))?;
                let (mechanism, response) = match rest.split_once(' ') {
                    Some((m, r)) => (m, Some(r)),
                    None => (rest, None),
                };
                if !mechanism.eq_ignore_ascii_case("PLAIN") {
                    return Err(PeerError::UnsupportedMechanism {
                        mechanism: mechanism.chars().take(32).collect(),
                    });
                }
                if let Some(r) = response
                    && r != "="
                    && !crate::base64::is_valid(r)
                {
                    return Err(syntax("the initial response is not base64"));
                }
                Ok(Command::AuthPlain {
                    initial_response: response.map(str::to_string),
                })
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_line().trim_end())
    }
}

/// Splits `<path>[ SP params]`, honouring quoted strings inside the path.
fn split_path(rest: &str) -> Result<(&str, Option<&str>), String> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => {
                let (path, tail) = rest.split_at(i + 1);
                return match tail.strip_prefix(' ') {
                    None if tail.is_empty() => Ok((path, None)),
                    Some(params) if !params.is_empty() => Ok((path, Some(params))),
                    _ => Err("expected a space and ESMTP parameters after the path".into()),
                };
            }
            _ => {}
        }
    }
    Err("the path must be enclosed in angle brackets".into())
}

fn with_params(mut s: String, params: &[String]) -> String {
    for p in params {
        s.push(' ');
        s.push_str(p);
    }
    s
}

/// Parses one command from the front of `input` ([`RuleId::SmtpCrlf`],
/// [`RuleId::SmtpLineLimit`]).
///
/// Returns [`Status::Partial`] when no complete line is there yet (that is not
/// an error), the command and the bytes it used, or a [`LineError`] telling
/// which reply the server owes (see [`PeerError`]) and how much to skip.
///
/// ```
/// use starttls_protocol::command::{parse_command, Command};
/// use starttls_protocol::line::Status;
/// let parsed = parse_command(b"STARTTLS\r\nMAIL").unwrap().complete().unwrap();
/// assert_eq!(parsed.value, Command::StartTls);
/// assert_eq!(parsed.consumed, 10);
/// assert_eq!(parse_command(b"STARTT").unwrap(), Status::Partial);
/// assert!(parse_command(b"STARTTLS now\r\n").is_err());
/// ```
///
/// [`RuleId::SmtpCrlf`]: crate::rules::RuleId::SmtpCrlf
/// [`RuleId::SmtpLineLimit`]: crate::rules::RuleId::SmtpLineLimit
pub fn parse_command(input: &[u8]) -> Result<Status<Parsed<Command>>, LineError> {
    let Status::Complete((line, consumed)) = checked_line(input, COMMAND_LINE_MAX, false)? else {
        return Ok(Status::Partial);
    };
    // checked_line guarantees printable ASCII.
    let text = std::str::from_utf8(line).unwrap_or_default();
    match Command::parse_line(text) {
        Ok(value) => Ok(Status::Complete(Parsed { value, consumed })),
        Err(error) => Err(LineError {
            error,
            consumed,
            line_complete: true,
        }),
    }
}

/// Checks an EHLO/HELO argument: a domain or an address literal (RFC 5321 §4.1.1.1).
pub fn check_ehlo_domain(s: &str) -> Result<(), String> {
    if s.starts_with('[') {
        check_address_literal(s)
    } else {
        check_domain(s)
    }
}

/// Checks a domain name: dot-separated labels of letters, digits and inner hyphens
/// (RFC 5321 §4.1.2 `Domain`), at most [`DOMAIN_MAX`] octets.
pub fn check_domain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("empty domain".into());
    }
    if s.len() > DOMAIN_MAX {
        return Err(format!("domain longer than {DOMAIN_MAX} octets"));
    }
    for label in s.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!("invalid domain {s:?}"));
        }
    }
    Ok(())
}

fn check_address_literal(s: &str) -> Result<(), String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| format!("invalid address literal {s:?}"))?;
    let ok = !inner.is_empty()
        && inner
            .bytes()
            .all(|b| (33..=126).contains(&b) && b != b'[' && b != b']' && b != b'\\');
    if ok {
        Ok(())
    } else {
        Err(format!("invalid address literal {s:?}"))
    }
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// Checks `<path>` and returns the mailbox without brackets (and without an
/// obsolete source route, which RFC 5321 §4.1.2 says to accept and ignore).
/// `<>` is accepted only if `null_ok` (MAIL); `<Postmaster>` is always accepted.
pub fn check_path(path: &str, null_ok: bool) -> Result<String, String> {
    if path.len() > PATH_MAX {
        return Err(format!("path longer than {PATH_MAX} octets"));
    }
    let inner = path
        .strip_prefix('<')
        .and_then(|p| p.strip_suffix('>'))
        .ok_or_else(|| "the path must be enclosed in angle brackets".to_string())?;
    if inner.is_empty() {
        return if null_ok {
            Ok(String::new())
        } else {
            Err("the null path <> is only allowed in MAIL FROM".into())
        };
    }
    let mailbox = match inner.strip_prefix('@') {
        Some(route) => match route.split_once(':') {
            Some((_, mbox)) => mbox,
            None => return Err("malformed source route".into()),
        },
        None => inner,
    };
    if !null_ok && mailbox.eq_ignore_ascii_case("postmaster") {
        return Ok(mailbox.to_string());
    }
    check_mailbox(mailbox)?;
    Ok(mailbox.to_string())
}

/// Checks `local-part@domain` (RFC 5321 §4.1.2 `Mailbox`).
pub fn check_mailbox(mailbox: &str) -> Result<(), String> {
    let (local, domain) = mailbox
        .rsplit_once('@')
        .ok_or_else(|| format!("{mailbox:?} is not local-part@domain"))?;
    if local.is_empty() || local.len() > LOCAL_PART_MAX {
        return Err(format!(
            "the local part must have 1 to {LOCAL_PART_MAX} octets"
        ));
    }
    if let Some(q) = local.strip_prefix('"') {
        let body = q
            .strip_suffix('"')
            .ok_or_else(|| "unterminated quoted local part".to_string())?;
        let mut bytes = body.bytes();
        while let Some(b) = bytes.next() {
            match b {
                b'\\' => {
                    if !matches!(bytes.next(), Some(32..=126)) {
                        return Err("bad quoted pair in local part".into());
                    }
                }
                b'"' => return Err("unescaped quote in local part".into()),
                32..=126 => {}
                _ => return Err("bad character in local part".into()),
            }
        }
    } else {
        let ok = local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext));
        if !ok {
            return Err(format!("invalid local part {local:?}"));
        }
    }
    check_ehlo_domain(domain)
}

fn parse_esmtp_params(s: &str) -> Result<Vec<String>, String> {
    s.split(' ')
        .map(|p| {
            let (key, value) = match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            };
            let key_ok = key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            let value_ok = value.is_none_or(|v| {
                !v.is_empty() && v.bytes().all(|b| (33..=126).contains(&b) && b != b'=')
            });
            if key_ok && value_ok {
                Ok(p.to_string())
            } else {
                Err(format!("invalid ESMTP parameter {p:?}"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Command, PeerError> {
        match parse_command(s.as_bytes()) {
            Ok(Status::Complete(p)) => Ok(p.value),
            Ok(Status::Partial) => panic!("partial"),
            Err(e) => Err(e.error),
        }
    }

    #[test]
    fn rule_cmd_syntax_parser_accepts_bare_starttls_only() {
        assert_eq!(parse("STARTTLS\r\n"), Ok(Command::StartTls));
        assert_eq!(parse("starttls\r\n"), Ok(Command::StartTls));
        for bad in ["STARTTLS now\r\n", "STARTTLS \r\n", "STARTTLS TLS1.3\r\n"] {
            assert!(
                matches!(
                    parse(bad),
                    Err(PeerError::Syntax {
                        verb: Verb::StartTls,
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn command_table() {
        let ok: &[(&str, Command)] = &[
            (
                "EHLO mail.example.com\r\n",
                Command::Ehlo {
                    domain: "mail.example.com".into(),
                },
            ),
            (
                "helo [192.0.2.1]\r\n",
                Command::Helo {
                    domain: "[192.0.2.1]".into(),
                },
            ),
            (
                "MAIL FROM:<>\r\n",
                Command::Mail {
                    reverse_path: String::new(),
                    parameters: vec![],
                },
            ),
            (
                "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME\r\n",
                Command::Mail {
                    reverse_path: "a@b.example".into(),
                    parameters: vec!["SIZE=100".into(), "BODY=8BITMIME".into()],
                },
            ),
            (
                "RCPT TO:<Postmaster>\r\n",
                Command::Rcpt {
                    forward_path: "Postmaster".into(),
                    parameters: vec![],
                },
            ),
            (
                "RCPT TO:<@relay.example:\"j doe\"@x.example>\r\n",
                Command::Rcpt {
                    forward_path: "\"j doe\"@x.example".into(),
                    parameters: vec![],
                },
            ),
            ("DATA\r\n", Command::Data),
            ("RSET\r\n", Command::Rset),
            ("NOOP\r\n", Command::Noop { argument: None }),
            (
                "NOOP hello\r\n",
                Command::Noop {
                    argument: Some("hello".into()),
                },
            ),
            ("QUIT\r\n", Command::Quit),
            (
                "VRFY bob\r\n",
                Command::Vrfy {
                    argument: "bob".into(),
                },
            ),
            ("HELP\r\n", Command::Help { topic: None }),
            (
                "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
                Command::AuthPlain {
                    initial_response: Some("AGJvYgBzZWNyZXQ=".into()),
                },
            ),
            (
                "AUTH plain\r\n",
                Command::AuthPlain {
                    initial_response: None,
                },
            ),
        ];
        for (line, cmd) in ok {
            assert_eq!(parse(line).as_ref(), Ok(cmd), "{line:?}");
            if !line.contains("@relay")
                && !line.starts_with("helo")
                && !line.starts_with("AUTH plain")
            {
                assert_eq!(&cmd.to_line(), line);
            }
        }
        type Check = fn(&PeerError) -> bool;
        let bad: &[(&str, Check)] = &[
            ("FOO\r\n", |e| matches!(e, PeerError::UnknownCommand { .. })),
            ("EHLO\r\n", |e| {
                matches!(
                    e,
                    PeerError::Syntax {
                        verb: Verb::Ehlo,
                        ..
                    }
                )
            }),
            ("EHLO a b\r\n", |e| matches!(e, PeerError::Syntax { .. })),
            ("MAIL FROM: <a@b>\r\n", |e| {
                matches!(
                    e,
                    PeerError::Syntax {
                        verb: Verb::Mail,
                        ..
                    }
                )
            }),
            ("MAIL FROM:a@b\r\n", |e| {
                matches!(e, PeerError::Syntax { .. })
            }),
            ("RCPT TO:<>\r\n", |e| {
                matches!(
                    e,
                    PeerError::Syntax {
                        verb: Verb::Rcpt,
                        ..
                    }
                )
            }),
            ("RCPT TO:<a..b@c>\r\n", |e| {
                matches!(e, PeerError::Syntax { .. })
            }),
            ("DATA x\r\n", |e| {
                matches!(
                    e,
                    PeerError::Syntax {
                        verb: Verb::Data,
                        ..
                    }
                )
            }),
            ("VRFY\r\n", |e| matches!(e, PeerError::Syntax { .. })),
            ("AUTH LOGIN\r\n", |e| {
                matches!(e, PeerError::UnsupportedMechanism { .. })
            }),
            ("AUTH PLAIN ***\r\n", |e| {
                matches!(e, PeerError::Syntax { .. })
            }),
            ("NOOP\n", |e| *e == PeerError::BareLf),
            ("NO\rOP\r\n", |e| *e == PeerError::BareCr),
            ("NO\0OP\r\n", |e| *e == PeerError::Nul),
            ("NOOP \u{e9}\r\n", |e| {
                matches!(e, PeerError::EightBit { octet: 0xC3 })
            }),
        ];
        for (line, check) in bad {
            let err = parse(line).unwrap_err();
            assert!(check(&err), "{line:?} gave {err:?}");
        }
    }

    #[test]
    fn rule_smtp_line_limit_command_line_is_512_with_crlf() {
        let mut line = format!("NOOP {}", "x".repeat(505));
        line.push_str("\r\n");
        assert_eq!(line.len(), 512);
        assert!(parse(&line).is_ok());
        let longer = format!("NOOP {}\r\n", "x".repeat(506));
        assert_eq!(parse(&longer), Err(PeerError::LineTooLong { limit: 512 }));
        let err = parse_command(&[b'x'; 600]).unwrap_err();
        assert!(!err.line_complete);
        assert_eq!(err.consumed, 600);
    }
}
