//! Lab mode without sockets: two engines, each with the other as its real peer, pumped
//! byte for byte, as the lab does over TCP. The dialogue must be the one a simulation runs.

use starttls_sim::Engine;
use starttls_sim::scenario;
use starttls_sim::trace::{Actor, Detail, LabSession, SmtpItem, StepKind, Trace};

/// Runs `id` as two half-engines: a local server facing a "remote" client that is the other
/// engine's local client. Returns (server side's trace, client side's trace).
fn pair(id: &str) -> (Trace, Trace) {
    let s = scenario::find(id).unwrap();
    let mut server = Engine::with_remote(&s, Actor::Client).unwrap();
    let mut client = Engine::with_remote(&s, Actor::Server).unwrap();
    server.set_lab(LabSession {
        remote: Actor::Client,
        peer: "127.0.0.1:40000".into(),
        local: "127.0.0.1:2525".into(),
        started: "2026-12-02T00:00:00Z".into(),
        software: None,
    });
    server.run().unwrap();
    client.run().unwrap();
    for round in 0..200u64 {
        server.set_time_ms(round);
        client.set_time_ms(round);
        let to_client = server.take_remote_output();
        let to_server = client.take_remote_output();
        if to_client.is_empty() && to_server.is_empty() {
            break;
        }
        client.receive_remote(&to_client).unwrap();
        server.receive_remote(&to_server).unwrap();
    }
    if server.local_finished() {
        client.remote_closed();
    }
    if client.local_finished() {
        server.remote_closed();
    }
    (server.trace(), client.trace())
}

#[test]
fn a_lab_server_and_a_lab_client_deliver_under_tls_as_the_simulation_does() {
    let (server, client) = pair("happy-path");
    let simulated = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    assert_eq!(server.outcome.accepted, simulated.outcome.accepted);
    assert!(server.outcome.accepted.iter().all(|(_, tls)| *tls));
    assert!(server.outcome.tls_established && client.outcome.tls_established);
    assert_eq!(client.outcome.client, simulated.outcome.client);
    assert_eq!(server.outcome.reply_codes, simulated.outcome.reply_codes);
    // The real peer's flights list what the local machine read from them, under TLS too.
    let commands: Vec<String> = server
        .steps
        .iter()
        .filter(|s| s.actor == Actor::Client)
        .filter_map(|s| match &s.detail {
            Detail::Wire(v) => Some(v.smtp.iter().filter_map(|i| match i {
                SmtpItem::Command { command, .. } => Some(command.to_line().trim_end().to_string()),
                _ => None,
            })),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(commands.contains(&"STARTTLS".to_string()), "{commands:?}");
    assert!(
        commands.iter().filter(|c| c.starts_with("EHLO")).count() == 2,
        "{commands:?}"
    );
    let under_tls = server
        .steps
        .iter()
        .find(|s| s.actor == Actor::Client && s.tls && s.kind == StepKind::Command)
        .expect("an encrypted command flight");
    assert!(under_tls.text.contains("EHLO"), "{}", under_tls.text);
    // Lab steps carry the caller's clock, and the trace its session.
    assert!(server.steps.iter().all(|s| s.at_ms.is_some()));
    assert_eq!(server.lab.as_ref().unwrap().remote, Actor::Client);
    // And it imports like any trace.
    assert_eq!(Trace::from_json(&server.to_json()).unwrap(), server);
    // The citation audit holds on the lab side's steps too.
    let findings = starttls_sim::audit::audit(&server);
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn a_lab_server_that_requires_tls_refuses_a_cleartext_client_with_530() {
    let (server, _client) = pair("tls-required-530");
    assert!(server.outcome.reply_codes.contains(&530));
    assert!(server.outcome.accepted.is_empty());
}
