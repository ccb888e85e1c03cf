//! What must hold of every dialogue, whatever the policies, the attacker and the console did:
//! the checks the random-session test and the engine's fuzz target apply to each trace.
//!
//! Each check names the rule it stands for (`rfc3207-rules.md`). A compliant side is one with
//! none of its teaching toggles on; a side with a toggle on is allowed to break the rule the
//! toggle names, and only then.

use starttls_protocol::command::Verb;
use starttls_protocol::server::ServerEvent;

use crate::audit;
use crate::scenario::Scenario;
use crate::trace::{Actor, Detail, Trace};

/// Whether the scenario's server has no teaching toggle on.
pub fn compliant_server(s: &Scenario) -> bool {
    s.server.teaching == Default::default()
}

/// Whether the scenario's client has no teaching toggle on.
pub fn compliant_client(s: &Scenario) -> bool {
    s.client.teaching == Default::default()
}

/// Everything wrong with `trace`, the dialogue of `scenario`, in words; empty when all holds.
///
/// In a lab trace one side is a real peer: its machine is not the playground's, so the rules
/// are checked only of the playground's own side (the real peer may break them, and the trace
/// says so).
pub fn check(scenario: &Scenario, trace: &Trace) -> Vec<String> {
    let mut wrong = dialogue(scenario, trace);
    // The trace exports and imports unchanged.
    match Trace::from_json(&trace.to_json()) {
        Ok(again) if again == *trace => {}
        Ok(_) => wrong.push("the trace changes through its JSON export".into()),
        Err(e) => wrong.push(format!("the exported trace does not import: {e}")),
    }
    wrong
}

/// [`check`] without the JSON round trip: the rules and the citation audit only. The JSON
/// export and import take most of [`check`]'s time, so the engine's fuzz target runs them on
/// a share of its inputs.
pub fn dialogue(scenario: &Scenario, trace: &Trace) -> Vec<String> {
    let mut wrong = Vec::new();
    let remote = trace.lab.as_ref().map(|l| l.remote);
    let server_ok = compliant_server(scenario) && remote != Some(Actor::Server);
    let client_ok = compliant_client(scenario) && remote != Some(Actor::Client);
    for step in &trace.steps {
        let Detail::Server(event) = &step.detail else {
            continue;
        };
        let ServerEvent::ReplySent {
            reply, in_reply_to, ..
        } = event.as_ref()
        else {
            continue;
        };
        // REQUIRE-530: no positive reply to mail commands before TLS when TLS is required.
        if server_ok
            && scenario.server.require_tls
            && !step.tls
            && reply.code < 400
            && matches!(
                in_reply_to,
                Some(Verb::Mail | Verb::Rcpt | Verb::Data | Verb::Vrfy)
            )
        {
            wrong.push(format!(
                "step {}: REQUIRE-530: {} {} to {:?} before TLS",
                step.index,
                reply.code,
                reply.text(),
                in_reply_to
            ));
        }
        // NO-STARTTLS-AFTER: the EHLO reply under TLS does not list STARTTLS.
        if server_ok
            && step.tls
            && *in_reply_to == Some(Verb::Ehlo)
            && reply.code == 250
            && reply.lines.iter().skip(1).any(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
            })
        {
            wrong.push(format!(
                "step {}: NO-STARTTLS-AFTER: STARTTLS listed under TLS",
                step.index
            ));
        }
    }
    // SERVER-DISCARD and CLIENT-DISCARD: nothing received before the handshake is acted on
    // after it.
    if server_ok && trace.outcome.injected_command_run {
        wrong.push("SERVER-DISCARD: the server ran a command sent before the handshake".into());
    }
    if client_ok && trace.outcome.injected_reply_read {
        wrong.push("CLIENT-DISCARD: the client read a reply sent before the handshake".into());
    }
    // The citation audit: every rule cited is the right one, every required one is there.
    for finding in audit::audit(trace) {
        wrong.push(format!("audit: {finding}"));
    }
    wrong
}
