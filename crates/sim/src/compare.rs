//! Comparing two dialogues step by step at message level: where they part, and the pairs of
//! scenarios a class most needs to see side by side.

use crate::trace::{Step, Trace};

/// Scenario pairs worth comparing: the same situation against a compliant and a non-compliant
/// (or differently configured) peer.
pub const SUGGESTED: &[(&str, &str)] = &[
    (
        "command-injection-compliant",
        "command-injection-vulnerable",
    ),
    (
        "response-injection-compliant",
        "response-injection-vulnerable",
    ),
    ("ehlo-poisoning-compliant", "ehlo-poisoning-vulnerable"),
    ("strip-opportunistic", "strip-required"),
    (
        "tls-unavailable-454-opportunistic",
        "tls-unavailable-454-required",
    ),
    ("tls-required-530", "tls-required-530-no-esc"),
    ("second-starttls-compliant", "second-starttls-postfix"),
    ("happy-path", "tls12-handshake"),
];

/// Where two dialogues part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The position among the message-level steps, from 0.
    pub position: usize,
    /// The trace index of that step in the first dialogue, if it has one.
    pub left: Option<usize>,
    /// The trace index of that step in the second dialogue, if it has one.
    pub right: Option<usize>,
    /// What happens differently, in words.
    pub what: String,
}

/// The message-level steps of a trace.
pub fn headlines(trace: &Trace) -> Vec<&Step> {
    trace.steps.iter().filter(|s| s.headline).collect()
}

fn same(a: &Step, b: &Step) -> bool {
    a.actor == b.actor && a.kind == b.kind && a.text == b.text && a.violation == b.violation
}

/// The first step at which the two dialogues differ (comparing every step, so that a discard
/// met by a kept item is named as such), and the message-level step it belongs to.
pub fn divergence(left: &Trace, right: &Trace) -> Option<Divergence> {
    let (a, b) = (&left.steps, &right.steps);
    let first = (0..a.len().max(b.len())).find(|&i| match (a.get(i), b.get(i)) {
        (Some(x), Some(y)) => !same(x, y),
        _ => true,
    })?;
    let group = |steps: &[Step], i: usize| -> Option<usize> {
        (i < steps.len()).then(|| steps[..=i].iter().rposition(|s| s.headline).unwrap_or(0))
    };
    let position = a[..first.min(a.len())]
        .iter()
        .filter(|s| s.headline)
        .count()
        .saturating_sub(usize::from(a.get(first).is_some_and(|s| !s.headline)));
    let say = |trace: &Trace, step: Option<&Step>| match step {
        Some(s) => format!(
            "In “{}”, {}",
            trace.scenario.title,
            lower_first(s.text.trim_end_matches('.'))
        ),
        None => format!("“{}” has already ended", trace.scenario.title),
    };
    Some(Divergence {
        position,
        left: group(a, first),
        right: group(b, first),
        what: format!(
            "Here they part. {}. {}.",
            say(left, a.get(first)),
            say(right, b.get(first))
        ),
    })
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if text.starts_with("The ") => {
            c.to_lowercase().collect::<String>() + chars.as_str()
        }
        _ => text.to_string(),
    }
}

#[cfg(all(test, feature = "engine"))]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario;

    #[test]
    fn every_suggested_pair_exists_and_parts_somewhere() {
        for (a, b) in SUGGESTED {
            let ta = Engine::simulate(&scenario::find(a).unwrap()).unwrap();
            let tb = Engine::simulate(&scenario::find(b).unwrap()).unwrap();
            let d = divergence(&ta, &tb).unwrap_or_else(|| panic!("{a} and {b} never part"));
            assert!(d.position > 0, "{a}/{b} part at once: {}", d.what);
            // Each side is its own sentence: no ".;", "..", or lower-case start.
            assert!(
                !d.what.contains(".;") && !d.what.contains("..") && d.what.contains(". In “"),
                "{}",
                d.what
            );
            assert!(divergence(&ta, &ta).is_none());
        }
    }

    #[test]
    fn command_injection_parts_where_the_server_runs_or_discards_the_attacker_bytes() {
        let ta = Engine::simulate(&scenario::find("command-injection-compliant").unwrap()).unwrap();
        let tb =
            Engine::simulate(&scenario::find("command-injection-vulnerable").unwrap()).unwrap();
        let d = divergence(&ta, &tb).unwrap();
        assert!(
            d.what.contains("discard") || d.what.contains("keeps"),
            "{}",
            d.what
        );
    }
}
