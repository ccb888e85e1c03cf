//! The transcript: a trace as text, with swaks-like markers.
//!
//! | marker | meaning |
//! |---|---|
//! | `->` / `<-` | client / server bytes in cleartext |
//! | `~>` / `<~` | client / server flights with encrypted TLS records |
//! | `=>` / `<=` | client / server TLS records that travel in the clear (ClientHello, a TLS 1.2 ServerHello, a plaintext alert) |
//! | `**` | the attacker |
//! | `!!` | enforcement (530, 554), discards, and rules broken |
//! | `==` | decisions, state changes and knowledge learnt |

use std::fmt::Write as _;

use starttls_protocol::rules::RuleId;

use crate::trace::{Actor, Detail, DiffOp, Direction, Protection, SmtpItem, Step, StepKind, Trace};

fn marker(step: &Step) -> &'static str {
    let tls_records = matches!(&step.detail, Detail::Wire(view) if !view.records.is_empty());
    match (step.actor, step.direction, step.tls, tls_records) {
        (Actor::Attacker, ..) => "**",
        (_, Some(Direction::ClientToServer), true, _) => "~>",
        (_, Some(Direction::ServerToClient), true, _) => "<~",
        (_, Some(Direction::ClientToServer), false, true) => "=>",
        (_, Some(Direction::ServerToClient), false, true) => "<=",
        (_, Some(Direction::ClientToServer), false, false) => "->",
        (_, Some(Direction::ServerToClient), false, false) => "<-",
        _ if step.violation
            || matches!(step.kind, StepKind::KnowledgeDiscarded | StepKind::Alert) =>
        {
            "!!"
        }
        _ => "==",
    }
}

fn cite(rules: &[starttls_protocol::rules::RuleId]) -> String {
    if rules.is_empty() {
        String::new()
    } else {
        format!(
            "  [{}]",
            rules
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// One line per SMTP unit of a flight (each with its own citations), or the step's sentence.
fn lines(step: &Step) -> Vec<(String, String)> {
    let Detail::Wire(view) = &step.detail else {
        return vec![(step.text.clone(), cite(&step.rules))];
    };
    let mut out = Vec::new();
    if view.smtp.is_empty() {
        out.push((step.text.clone(), cite(&step.rules)));
    } else {
        let handshake: Vec<String> = view
            .messages
            .iter()
            .filter(|m| m.name != "application data")
            .map(|m| match m.protection {
                Protection::Cleartext => m.name.clone(),
                Protection::Dummy => format!("{} (dummy)", m.name),
                Protection::HandshakeKeys => format!("{} (handshake keys)", m.name),
                Protection::ApplicationKeys => format!("{} (application traffic keys)", m.name),
                Protection::NegotiatedKeys => format!("{} (negotiated keys)", m.name),
            })
            .collect();
        if !handshake.is_empty() {
            out.push((format!("[TLS: {}]", handshake.join(", ")), String::new()));
        }
        for item in &view.smtp {
            match item {
                SmtpItem::Command { command, rules } => {
                    out.push((command.to_line().trim_end().to_string(), cite(rules)))
                }
                SmtpItem::Message { octets, rules } => out.push((
                    format!("<message: {octets} octets, dot-stuffed, ending CRLF.CRLF>"),
                    cite(rules),
                )),
                SmtpItem::Typed { line } => {
                    out.push((format!("{line}    (typed at the console)"), String::new()))
                }
                SmtpItem::Reply { reply, rules, .. } => {
                    let bytes = reply.to_bytes();
                    let text = String::from_utf8_lossy(&bytes);
                    let reply_lines: Vec<&str> = text.lines().collect();
                    for (i, l) in reply_lines.iter().enumerate() {
                        let c = if i + 1 == reply_lines.len() {
                            cite(rules)
                        } else {
                            String::new()
                        };
                        out.push((l.to_string(), c));
                    }
                }
            }
        }
        if !step.rules.is_empty() {
            out.push(("(the flight)".into(), cite(&step.rules)));
        }
    }
    for d in &view.diff {
        let sign = match d.op {
            DiffOp::Same => "   ",
            DiffOp::Deleted => " - ",
            DiffOp::Inserted => " + ",
        };
        out.push((format!("{sign}{}", d.text), String::new()));
    }
    out
}

/// Renders a trace. With `mask`, numbers that change from run to run (TLS flight sizes) are
/// replaced by `<n>`, for golden files.
pub fn render(trace: &Trace, mask: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=== {} ({})", trace.scenario.title, trace.scenario.id);
    for step in &trace.steps {
        let m = marker(step);
        let tls_sizes = mask && step.kind == StepKind::TlsFlight;
        for (line, suffix) in lines(step) {
            let line = if tls_sizes { mask_numbers(&line) } else { line };
            let _ = writeln!(out, "{m} {line}{suffix}");
        }
        if let (Some(technical), false) = (&step.technical, matches!(step.detail, Detail::Wire(_)))
        {
            let _ = writeln!(out, "   · {technical}");
        }
        if let Detail::Wire(view) = &step.detail {
            for item in &view.smtp {
                // Enforcement is what the engine cited as such, not any 530 or 554.
                if let SmtpItem::Reply {
                    reply,
                    in_reply_to,
                    rules,
                } = item
                    && rules
                        .iter()
                        .any(|r| matches!(r, RuleId::Require530 | RuleId::Server554))
                {
                    let rule = if rules.contains(&RuleId::Require530) {
                        RuleId::Require530
                    } else {
                        RuleId::Server554
                    };
                    let verb = in_reply_to
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "the command".into());
                    let code = format!(
                        "{}{}",
                        reply.code,
                        reply.enhanced.map(|e| format!(" {e}")).unwrap_or_default()
                    );
                    let _ = match rule {
                        RuleId::Require530 => writeln!(
                            out,
                            "!! Before TLS the server refuses {verb} with {code}.  [{rule}]"
                        ),
                        _ => writeln!(
                            out,
                            "!! The server refuses {verb} with {code}, as it will every command but QUIT.  [{rule}]"
                        ),
                    };
                }
            }
        }
    }
    let o = &trace.outcome;
    let _ = writeln!(
        out,
        "=== outcome: {}",
        match &o.client {
            Some(c) => crate::narrate::outcome(c),
            None => "The client did not finish: the connection was lost.".into(),
        }
    );
    // What the server did, which the client may not know (an injected transaction, say).
    for (reverse_path, under_tls) in &o.accepted {
        let _ = writeln!(
            out,
            "=== the server queued a message from <{reverse_path}> {}",
            if *under_tls {
                "under TLS"
            } else {
                "in the clear"
            }
        );
    }
    out
}

/// Masks a number of bytes ("123 bytes"), which changes from run to run for TLS flights.
fn mask_numbers(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let number = w.trim_start_matches('(');
        let next_is_bytes = words.get(i + 1).is_some_and(|n| n.starts_with("bytes"));
        if next_is_bytes && !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
            out.push(w.replacen(number, "<n>", 1));
        } else {
            out.push(w.to_string());
        }
    }
    out.join(" ")
}
