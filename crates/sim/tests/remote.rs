//! Lab mode without sockets: two engines, each with the other as its real peer, pumped
//! byte for byte, as the lab does over TCP. The dialogue must be the one a simulation runs.
#![cfg(feature = "engine")]

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
            // Nothing more comes from the client while the server holds a reply: the lab
            // stops waiting and lets it go.
            if server.holds_reply() {
                server.release_reply();
                continue;
            }
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

/// A lab client, the lab proxy, and a lab server, pumped without sockets.
fn through_proxy(id: &str, attack: &[(&str, &str)]) -> (Trace, Trace, Trace) {
    let s = scenario::find(id).unwrap();
    let overrides: Vec<(String, String)> = attack
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let p = scenario::with_overrides(&s, &overrides).unwrap();
    let mut server = Engine::with_remote(&s, Actor::Client).unwrap();
    let mut client = Engine::with_remote(&s, Actor::Server).unwrap();
    let mut proxy = Engine::proxy(&p).unwrap();
    server.run().unwrap();
    client.run().unwrap();
    for _ in 0..400 {
        let from_server = server.take_remote_output();
        let from_client = client.take_remote_output();
        proxy.receive_from(Actor::Server, &from_server).unwrap();
        proxy.receive_from(Actor::Client, &from_client).unwrap();
        let to_client = proxy.take_output_for(Actor::Client);
        let to_server = proxy.take_output_for(Actor::Server);
        if to_client.is_empty()
            && to_server.is_empty()
            && from_server.is_empty()
            && from_client.is_empty()
        {
            break;
        }
        client.receive_remote(&to_client).unwrap();
        server.receive_remote(&to_server).unwrap();
    }
    (client.trace(), proxy.trace(), server.trace())
}

#[test]
fn the_proxy_carries_tls_untouched_and_its_strip_attack_downgrades_an_opportunistic_client() {
    let (client, proxy, server) = through_proxy("happy-path", &[]);
    assert!(client.outcome.tls_established && server.outcome.tls_established);
    assert!(
        proxy.outcome.tls_established,
        "the proxy saw TLS records flow"
    );
    assert_eq!(
        server.outcome.accepted,
        vec![("alice@example.org".to_string(), true)]
    );
    assert!(proxy.steps.iter().all(|s| s.actor != Actor::Attacker));
    // The proxy's cleartext flights list the commands and replies it carried.
    assert!(proxy.steps.iter().any(|s| matches!(&s.detail, Detail::Wire(v)
        if v.smtp.iter().any(|i| matches!(i, SmtpItem::Command { command, .. } if command.to_line().starts_with("STARTTLS"))))));

    let (_, proxy, server) = through_proxy("happy-path", &[("attacker.mode", "strip-starttls")]);
    assert_eq!(
        server.outcome.accepted,
        vec![("alice@example.org".to_string(), false)]
    );
    assert!(!server.outcome.tls_established);
    let attack = proxy
        .steps
        .iter()
        .find(|s| s.actor == Actor::Attacker)
        .expect("the strip");
    assert!(
        attack.violation && attack.text.contains("STARTTLS"),
        "{}",
        attack.text
    );
}

/// The verdict on CLIENT-DISCARD a lab server writes about a real client, when the attacker
/// injected replies after the 220.
fn discard_verdict(trace: &Trace) -> Vec<(bool, String)> {
    trace
        .steps
        .iter()
        .filter(|s| {
            s.actor == Actor::Client
                && s.kind == StepKind::Decision
                && s.rules
                    .contains(&starttls_protocol::rules::RuleId::ClientDiscard)
        })
        .map(|s| (s.violation, s.text.clone()))
        .collect()
}

#[test]
fn client_discard_the_lab_server_sees_a_vulnerable_client_act_on_injected_replies() {
    let (server, _) = pair("response-injection-vulnerable");
    let verdict = discard_verdict(&server);
    assert_eq!(verdict.len(), 1, "{verdict:?}");
    assert!(verdict[0].0, "{verdict:?}");
    assert!(
        verdict[0]
            .1
            .contains("before the server had answered its EHLO"),
        "{verdict:?}"
    );
    assert!(
        server
            .outcome
            .rules_broken
            .contains(&starttls_protocol::rules::RuleId::ClientDiscard)
    );
}

#[test]
fn client_discard_the_lab_server_sees_a_compliant_client_wait_for_the_real_reply() {
    let (server, _) = pair("response-injection-compliant");
    let verdict = discard_verdict(&server);
    assert_eq!(verdict.len(), 1, "{verdict:?}");
    assert!(!verdict[0].0, "{verdict:?}");
    assert!(verdict[0].1.contains("waited"), "{verdict:?}");
    assert!(server.outcome.accepted.iter().any(|(_, tls)| *tls));
    // Without injected replies, no reply is held and no verdict is written.
    let (plain, _) = pair("happy-path");
    assert!(discard_verdict(&plain).is_empty());
}

#[test]
fn the_proxy_flips_a_byte_of_an_encrypted_record_and_the_receiver_detects_it() {
    for (from_client, detector) in [("true", 2), ("false", 0)] {
        let (client, proxy, server) = through_proxy(
            "happy-path",
            &[
                ("attacker.mode", "flip-tls-byte"),
                ("attacker.from_client", from_client),
            ],
        );
        let attacked: Vec<&str> = proxy
            .steps
            .iter()
            .filter(|s| s.actor == Actor::Attacker)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(attacked.len(), 1, "from_client={from_client}: {attacked:?}");
        let receiver = [&client, &proxy, &server][detector];
        let alert = receiver
            .steps
            .iter()
            .find(|s| s.kind == StepKind::Alert)
            .unwrap_or_else(|| panic!("from_client={from_client}: the receiver sends an alert"));
        assert!(
            alert.text.contains("bad_record_mac") || alert.text.contains("BadRecordMac"),
            "{}",
            alert.text
        );
        assert!(
            server.outcome.accepted.is_empty(),
            "no message gets through"
        );
    }
}
