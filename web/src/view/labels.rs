//! Short labels for the sequence diagram, read from the trace.

use starttls_sim::trace::{Actor, Detail, SmtpItem, Step, StepKind, Trace};
use starttls_sim::wire::RecordView;

/// The lowercase name of an actor (`client`, `server`, `wire`, `attacker`).
pub fn actor_str(actor: Actor) -> &'static str {
    match actor {
        Actor::Client => "client",
        Actor::Server => "server",
        Actor::Wire => "wire",
        Actor::Attacker => "attacker",
    }
}

/// The kebab-case name of a step kind, as the engine serializes it.
pub fn kind_str(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Bytes => "bytes",
        StepKind::Command => "command",
        StepKind::Reply => "reply",
        StepKind::TlsFlight => "tls-flight",
        StepKind::Decision => "decision",
        StepKind::KnowledgeLearnt => "knowledge-learnt",
        StepKind::KnowledgeDiscarded => "knowledge-discarded",
        StepKind::StateChange => "state-change",
        StepKind::Alert => "alert",
        StepKind::Close => "close",
    }
}

/// Cuts `text` to at most `max` characters, with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn record_name(view: &RecordView) -> String {
    match view {
        RecordView::ClientHello { .. } => "ClientHello".into(),
        RecordView::ServerHello { .. } => "ServerHello".into(),
        RecordView::Handshake { messages } => messages.join(", "),
        RecordView::ChangeCipherSpec => "ChangeCipherSpec".into(),
        RecordView::Alert { description, .. } => format!("alert {description}"),
        RecordView::Encrypted => "encrypted".into(),
        RecordView::Malformed { .. } => "malformed".into(),
    }
}

/// The label of an arrow: the SMTP commands or replies it carries, else its TLS records.
pub fn arrow_label(step: &Step) -> String {
    let Detail::Wire(view) = &step.detail else {
        return truncate(&step.text, 48);
    };
    let smtp: Vec<String> = view
        .smtp
        .iter()
        .map(|item| match item {
            SmtpItem::Command { command, .. } => command.to_line(),
            SmtpItem::Message { octets, .. } => format!("<message, {octets} octets>"),
            SmtpItem::Reply { reply, .. } => {
                let first = reply.lines.first().map(String::as_str).unwrap_or("");
                match reply.enhanced {
                    Some(e) => format!("{} {e} {first}", reply.code),
                    None => format!("{} {first}", reply.code),
                }
            }
            SmtpItem::Typed { line } => format!("typed: {line}"),
        })
        .collect();
    if !smtp.is_empty() {
        return truncate(&smtp.join(" · "), 48);
    }
    if !view.records.is_empty() {
        let mut names: Vec<(String, usize)> = Vec::new();
        for r in &view.records {
            let name = record_name(&r.view);
            match names.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => names.push((name, 1)),
            }
        }
        let text = names
            .into_iter()
            .map(|(name, n)| if n > 1 { format!("{name} ×{n}") } else { name })
            .collect::<Vec<_>>()
            .join(", ");
        return truncate(&text, 48);
    }
    match &view.plaintext {
        Some(p) => truncate(p, 48),
        None => truncate(&step.text, 48),
    }
}

/// The label of a note (a step without bytes): the step's sentence, without its subject.
pub fn note_label(step: &Step) -> String {
    let text = step
        .text
        .trim_start_matches("Under TLS, ")
        .trim_start_matches("The client's ")
        .trim_start_matches("The server's ")
        .trim_start_matches("The client ")
        .trim_start_matches("The server ");
    truncate(text, 46)
}

/// The span of the TLS handshake: from the first TLS flight to the step where both sides
/// have TLS on (or the last TLS step before the dialogue ends without it).
pub fn handshake_span(trace: &Trace) -> Option<(usize, usize)> {
    let start = trace
        .steps
        .iter()
        .position(|s| s.kind == StepKind::TlsFlight)?;
    let done = trace.steps[start..]
        .iter()
        .position(|s| s.client.tls.is_active() && s.server.tls.is_active())
        .map(|p| p + start);
    let end = done.unwrap_or_else(|| {
        trace.steps[start..]
            .iter()
            .rposition(|s| matches!(s.kind, StepKind::TlsFlight | StepKind::Alert))
            .map_or(start, |p| p + start)
    });
    Some((start, end))
}
