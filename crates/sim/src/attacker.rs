//! The attacker: a middlebox on the wire that can read and rewrite cleartext, and can only
//! corrupt what TLS protects (RFC 3207 §6; CVE-2011-0411; Poddebniak et al., USENIX
//! Security 2021).

use serde::{Deserialize, Serialize};

/// What the attacker does. Each mode acts once, at the first flight it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Attack {
    /// No attacker: the wire delivers what it is given.
    #[default]
    None,
    /// Delete `STARTTLS` from the cleartext EHLO reply (STRIP-DEFENSE).
    StripStarttls,
    /// Rewrite the client's `STARTTLS` command line, e.g. to `STARTTLS now` (CMD-SYNTAX).
    RewriteStarttls {
        /// The line sent instead, without CRLF.
        to: String,
    },
    /// Replace the server's `220` to STARTTLS with another reply (CMD-454, CLIENT-454-DECIDE).
    Replace220 {
        /// The reply line sent instead, without CRLF, e.g. `454 4.7.0 TLS not available`.
        reply: String,
    },
    /// Append commands after the client's `STARTTLS` in the same flight (command injection,
    /// CVE-2011-0411; SERVER-DISCARD).
    InjectCommands {
        /// The command lines, CRLF-terminated.
        payload: String,
    },
    /// Append replies after the server's `220` in the same flight (response injection;
    /// CLIENT-DISCARD).
    InjectReplies {
        /// The reply lines, CRLF-terminated.
        payload: String,
    },
    /// Edit the cleartext EHLO reply: add and remove extension lines (knowledge poisoning).
    TamperEhlo {
        /// Extension lines to add, e.g. `AUTH PLAIN LOGIN`.
        add: Vec<String>,
        /// Extension keywords to remove, e.g. `STARTTLS`.
        remove: Vec<String>,
    },
    /// Flip one byte of an encrypted record in the first TLS flight carrying application
    /// data in the chosen direction: TLS detects it (`bad_record_mac`).
    FlipTlsByte {
        /// `true`: corrupt a client-to-server flight; `false`: server-to-client.
        from_client: bool,
    },
}

impl Attack {
    /// Checks the fields that stand for one line: a rewritten STARTTLS, a 220 substitute and
    /// each added extension hold no CR or LF (a line end there would make several lines of
    /// one, which the mode does not mean; the injection modes take any bytes).
    pub fn validate(&self) -> Result<(), String> {
        let one_line = |what: &str, v: &str| {
            if v.contains(['\r', '\n']) {
                Err(format!(
                    "attacker: {what} is one line, without CR or LF: {v:?}"
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Attack::RewriteStarttls { to } => one_line("rewrite-starttls's `to`", to),
            Attack::Replace220 { reply } => one_line("replace220's `reply`", reply),
            Attack::TamperEhlo { add, remove } => {
                for a in add.iter().chain(remove) {
                    one_line("each line of tamper-ehlo's `add` and `remove`", a)?;
                    if a.trim().is_empty() {
                        return Err(
                            "attacker: tamper-ehlo's `add` and `remove` hold no empty line".into(),
                        );
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            Attack::None => "no attacker".into(),
            Attack::StripStarttls => "deletes STARTTLS from the cleartext EHLO reply".into(),
            Attack::RewriteStarttls { to } => format!("rewrites the STARTTLS command to “{to}”"),
            Attack::Replace220 { reply } => format!("replaces the 220 to STARTTLS with “{reply}”"),
            Attack::InjectCommands { payload } => {
                format!(
                    "appends commands after STARTTLS in the same flight: {}",
                    payload.trim_end().replace("\r\n", " | ")
                )
            }
            Attack::InjectReplies { payload } => {
                format!(
                    "appends replies after the 220: {}",
                    payload.trim_end().replace("\r\n", " | ")
                )
            }
            Attack::TamperEhlo { add, remove } => {
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "nothing".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                format!(
                    "edits the cleartext EHLO reply (adds {}, removes {})",
                    list(add),
                    list(remove)
                )
            }
            Attack::FlipTlsByte { from_client } => format!(
                "flips one byte of an encrypted record from the {}",
                if *from_client { "client" } else { "server" }
            ),
        }
    }
}

/// The rules an attack puts to the test: each is cited on the attacker's step only where its
/// predicate holds (a 454 substitute is a 454; an injection after STARTTLS breaks the rule
/// that STARTTLS ends its group).
pub fn rules(attack: &Attack) -> Vec<starttls_protocol::rules::RuleId> {
    use starttls_protocol::rules::RuleId as R;
    match attack {
        Attack::None | Attack::FlipTlsByte { .. } => Vec::new(),
        Attack::StripStarttls => vec![R::StripDefense],
        Attack::RewriteStarttls { to } => {
            let mut v = vec![R::StripDefense];
            // STARTTLS with a parameter (`STARTTLS x`) is a syntax error (501); another
            // word that merely begins with STARTTLS is another command.
            // Compared as bytes: the text may hold any character, and a slice of a `str`
            // inside one would panic.
            let parameter = to
                .as_bytes()
                .get(..9)
                .is_some_and(|w| w[..8].eq_ignore_ascii_case(b"STARTTLS") && w[8] == b' ');
            if parameter {
                v.insert(0, R::CmdSyntax);
            }
            v
        }
        Attack::Replace220 { reply } => {
            if reply.starts_with("454") {
                vec![R::Cmd454, R::Client454Decide, R::StripDefense]
            } else {
                vec![R::StripDefense]
            }
        }
        Attack::InjectCommands { .. } => vec![R::ServerDiscard, R::PipelineLast],
        Attack::InjectReplies { .. } => vec![R::ClientDiscard],
        Attack::TamperEhlo { .. } => vec![R::ClientDiscard, R::ClientEhloAgain],
    }
}

/// A line diff of what the attacker changed: the longest common subsequence of lines kept,
/// the rest deleted or inserted.
pub fn diff(before: &[u8], after: &[u8]) -> Vec<crate::trace::DiffLine> {
    use crate::trace::{DiffLine, DiffOp};
    let text = |b: &[u8]| -> Vec<String> {
        lines(b)
            .into_iter()
            .map(|l| {
                crate::narrate::escape(l)
                    .trim_end_matches("\\r\\n")
                    .to_string()
            })
            .collect()
    };
    let (a, b) = (text(before), text(after));
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    let line = |op, text: &String| DiffLine {
        op,
        text: text.clone(),
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(line(DiffOp::Same, &a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(line(DiffOp::Deleted, &a[i]));
            i += 1;
        } else {
            out.push(line(DiffOp::Inserted, &b[j]));
            j += 1;
        }
    }
    out
}

/// Splits CRLF-terminated lines, keeping any unterminated tail as the last element.
pub(crate) fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..bytes.len() {
        if bytes[i] == b'\n' {
            out.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether `flight` is (or contains) a multi-line 250 reply whose first line is an EHLO
/// greeting, i.e. an EHLO reply with extension lines.
fn is_ehlo_reply(flight: &[u8]) -> bool {
    flight.starts_with(b"250-")
}

/// Rewrites an EHLO reply's extension lines; returns `None` when nothing changed.
/// The keywords of `remove` that the EHLO reply in `flight` lists, so that the narration
/// claims only the removals that happened: a keyword the server never listed is not removed.
pub(crate) fn listed_keywords(flight: &[u8], remove: &[String]) -> Vec<String> {
    let all = lines(flight);
    // The reply ends at the first line with a space after the code, as in `edit_ehlo`.
    let end = all
        .iter()
        .position(|l| l.get(3) == Some(&b' '))
        .map_or(0, |e| e + 1);
    let listed: Vec<&[u8]> = all[..end]
        .iter()
        .skip(1)
        .map(|l| trim_crlf(l).get(4..).unwrap_or_default())
        .map(|t| t.split(|b| *b == b' ').next().unwrap_or_default())
        .collect();
    remove
        .iter()
        .filter(|r| listed.iter().any(|k| r.as_bytes().eq_ignore_ascii_case(k)))
        .cloned()
        .collect()
}

pub(crate) fn edit_ehlo(flight: &[u8], add: &[String], remove: &[String]) -> Option<Vec<u8>> {
    if !is_ehlo_reply(flight) {
        return None;
    }
    let all = lines(flight);
    // The reply ends at the first line with a space after the code.
    let end = all.iter().position(|l| l.get(3) == Some(&b' '))?;
    let (reply, rest) = all.split_at(end + 1);
    let mut texts: Vec<Vec<u8>> = reply
        .iter()
        .map(|l| trim_crlf(l).get(4..).unwrap_or_default().to_vec())
        .collect();
    let before = texts.len();
    texts = std::iter::once(texts[0].clone())
        .chain(
            texts[1..]
                .iter()
                .filter(|t| {
                    let keyword = t.split(|b| *b == b' ').next().unwrap_or_default();
                    !remove
                        .iter()
                        .any(|r| r.as_bytes().eq_ignore_ascii_case(keyword))
                })
                .cloned(),
        )
        .collect();
    let removed = texts.len() != before;
    texts.extend(add.iter().map(|a| a.as_bytes().to_vec()));
    if !removed && add.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        out.extend_from_slice(if i + 1 == texts.len() {
            b"250 "
        } else {
            b"250-"
        });
        out.extend_from_slice(t);
        out.extend_from_slice(b"\r\n");
    }
    for l in rest {
        out.extend_from_slice(l);
    }
    Some(out)
}

/// Rewrites the client's STARTTLS line, or appends after it; `None` when the flight has none.
pub(crate) fn after_starttls(
    flight: &[u8],
    replace: Option<&str>,
    append: Option<&str>,
) -> Option<Vec<u8>> {
    let all = lines(flight);
    // The command line as the server reads it: CRLF-terminated (RFC 5321 §2.3.8; a
    // "STARTTLS" ended by a bare LF is no command, and nothing follows it to inject after).
    let at = all
        .iter()
        .position(|l| l.ends_with(b"\r\n") && trim_crlf(l).eq_ignore_ascii_case(b"STARTTLS"))?;
    let mut out = Vec::new();
    for (i, l) in all.iter().enumerate() {
        if i == at {
            match replace {
                Some(r) => {
                    out.extend_from_slice(r.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                None => out.extend_from_slice(l),
            }
            if let Some(extra) = append {
                out.extend_from_slice(extra.as_bytes());
            }
        } else {
            out.extend_from_slice(l);
        }
    }
    Some(out)
}

/// Replaces a leading `220` reply, or appends after it; `None` when the flight is not one.
pub(crate) fn after_220(
    flight: &[u8],
    replace: Option<&str>,
    append: Option<&str>,
) -> Option<Vec<u8>> {
    if !flight.starts_with(b"220 ") {
        return None;
    }
    let all = lines(flight);
    let mut out = Vec::new();
    match replace {
        Some(r) => {
            out.extend_from_slice(r.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        None => out.extend_from_slice(all[0]),
    }
    if let Some(extra) = append {
        out.extend_from_slice(extra.as_bytes());
    }
    for l in &all[1..] {
        out.extend_from_slice(l);
    }
    Some(out)
}

/// Flips one byte in the middle of the last application-data record of a TLS flight.
pub(crate) fn flip_app_data_byte(flight: &[u8]) -> Option<Vec<u8>> {
    let (records, _) = crate::wire::records(flight);
    let rec = records
        .iter()
        .rev()
        .find(|r| r.content_type == 23 && r.length > 0)?;
    let mut out = flight.to_vec();
    let at = rec.offset + 5 + usize::from(rec.length) / 2;
    out[at] ^= 0x01;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EHLO: &[u8] =
        b"250-mail.example.test greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";

    #[test]
    fn strip_removes_the_keyword_and_keeps_the_reply_well_formed() {
        let out = edit_ehlo(EHLO, &[], &["STARTTLS".into()]).unwrap();
        assert_eq!(
            out,
            b"250-mail.example.test greets you\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        );
        let last = b"250-mail.example.test\r\n250 STARTTLS\r\n";
        assert_eq!(
            edit_ehlo(last, &[], &["starttls".into()]).unwrap(),
            b"250 mail.example.test\r\n"
        );
        assert!(edit_ehlo(b"250 mail.example.test\r\n", &[], &["STARTTLS".into()]).is_none());
    }

    #[test]
    fn tamper_adds_lines() {
        let out = edit_ehlo(EHLO, &["AUTH PLAIN LOGIN".into()], &[]).unwrap();
        assert!(out.ends_with(b"250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n"));
    }

    #[test]
    fn injection_follows_starttls_and_220() {
        let c = after_starttls(b"STARTTLS\r\n", None, Some("RSET\r\n")).unwrap();
        assert_eq!(c, b"STARTTLS\r\nRSET\r\n");
        let r = after_starttls(b"STARTTLS\r\n", Some("STARTTLS now"), None).unwrap();
        assert_eq!(r, b"STARTTLS now\r\n");
        assert!(after_starttls(b"EHLO x\r\n", None, Some("RSET\r\n")).is_none());
        let s = after_220(b"220 Ready to start TLS\r\n", None, Some("250 fake\r\n")).unwrap();
        assert_eq!(s, b"220 Ready to start TLS\r\n250 fake\r\n");
        let s = after_220(
            b"220 Ready to start TLS\r\n",
            Some("454 4.7.0 TLS not available"),
            None,
        )
        .unwrap();
        assert_eq!(s, b"454 4.7.0 TLS not available\r\n");
    }

    #[test]
    fn flip_touches_only_application_data() {
        let flight = [22, 3, 3, 0, 1, 7, 23, 3, 3, 0, 4, 1, 2, 3, 4];
        let out = flip_app_data_byte(&flight).unwrap();
        assert_eq!(out.iter().zip(&flight).filter(|(a, b)| a != b).count(), 1);
        assert_eq!(out[13], 3 ^ 1);
        assert!(flip_app_data_byte(&flight[..6]).is_none());
    }
}
