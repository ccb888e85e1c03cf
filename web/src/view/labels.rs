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

/// The rule by which labels fit the diagram, as the legend states it.
pub const FIT_RULE: &str = "One line per command or reply; a line that would cross a lane is cut with \u{2026}, and a note wraps to two lines. Hover over or focus a step for its full text.";

/// The same rule for the phone layout, where lines wrap instead.
pub const LIST_RULE: &str = "Each step names who sends to whom, in cleartext or under TLS, with each command or reply on its own line.";

/// The most lines one arrow lists; the rest are counted on the last line.
pub const MAX_ARROW_LINES: usize = 6;
/// The most lines of a note.
pub const NOTE_LINES: usize = 2;
/// The advance of one character of the diagram's monospace font, in em (DejaVu Sans Mono
/// and its peers: 0.6).
pub const CHAR_EM: f64 = 0.61;

/// How many characters fit in `px` at a font size of `font_px`.
pub fn chars_in(px: f64, font_px: f64) -> usize {
    (px / (font_px * CHAR_EM)).floor().max(4.0) as usize
}

/// Wraps `text` at spaces into at most `max_lines` lines of at most `chars` characters; a
/// word longer than a line is split, and what does not fit ends the last line with "…".
pub fn wrap(text: &str, chars: usize, max_lines: usize) -> Vec<String> {
    let chars = chars.max(2);
    let mut lines: Vec<String> = Vec::new();
    let mut line: Vec<char> = Vec::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while !word.is_empty() {
            let gap = usize::from(!line.is_empty());
            if line.len() + gap + word.len() <= chars {
                if gap == 1 {
                    line.push(' ');
                }
                line.append(&mut word);
            } else if !line.is_empty() {
                lines.push(std::mem::take(&mut line).into_iter().collect());
            } else {
                let rest = word.split_off(chars);
                lines.push(word.into_iter().collect());
                word = rest;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line.into_iter().collect());
    }
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            let mut cut: Vec<char> = last.chars().collect();
            if cut.len() + 2 > chars {
                cut.truncate(chars - 1);
            } else {
                cut.push(' ');
            }
            cut.push('\u{2026}');
            *last = cut.into_iter().collect();
        }
    }
    lines
}

/// What an arrow carries, one entry per command, reply or message (a pipelined group has
/// several), else one entry naming its TLS records or bytes. Read from the engine's own
/// summaries ([`SmtpItem::summary`]), so the arrow and the step's sentence agree.
pub fn arrow_items(step: &Step) -> Vec<String> {
    let Detail::Wire(view) = &step.detail else {
        return vec![step.text.clone()];
    };
    if !view.smtp.is_empty() {
        return view.smtp.iter().map(SmtpItem::summary).collect();
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
            .map(|(name, n)| {
                if n > 1 {
                    format!("{name} \u{d7}{n}")
                } else {
                    name
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        return vec![text];
    }
    match &view.plaintext {
        // Bytes no machine parsed (an attacker's rewrite, say): one entry per line.
        Some(p) => {
            let lines: Vec<String> = p
                .split("\\r\\n")
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            if lines.is_empty() {
                vec![p.clone()]
            } else {
                lines
            }
        }
        None => vec![step.text.clone()],
    }
}

/// The full label of an arrow, every item on it.
pub fn arrow_label(step: &Step) -> String {
    arrow_items(step).join(" \u{b7} ")
}

/// The lines of an arrow's label at `chars` characters a line, by [`FIT_RULE`]: one line
/// per SMTP item, cut with "…"; TLS records wrap to two lines; at most
/// [`MAX_ARROW_LINES`], the last counting the rest.
pub fn arrow_lines(step: &Step, chars: usize) -> Vec<String> {
    let smtp =
        matches!(&step.detail, Detail::Wire(v) if !v.smtp.is_empty() || v.records.is_empty());
    let items = arrow_items(step);
    if !smtp {
        return items.first().map(|t| wrap(t, chars, 2)).unwrap_or_default();
    }
    let mut lines: Vec<String> = items.iter().map(|t| truncate(t, chars)).collect();
    if lines.len() > MAX_ARROW_LINES {
        let rest = lines.len() - (MAX_ARROW_LINES - 1);
        lines.truncate(MAX_ARROW_LINES - 1);
        lines.push(truncate(&format!("+{rest} more"), chars));
    }
    lines
}

/// The text of a note (a step without bytes): the step's sentence, without its subject.
pub fn note_text(step: &Step) -> &str {
    step.text
        .trim_start_matches("Under TLS, ")
        .trim_start_matches("The client's ")
        .trim_start_matches("The server's ")
        .trim_start_matches("The client ")
        .trim_start_matches("The server ")
}

/// The lines of a note at `chars` characters a line, by [`FIT_RULE`].
pub fn note_lines(step: &Step, chars: usize) -> Vec<String> {
    wrap(note_text(step), chars, NOTE_LINES)
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
