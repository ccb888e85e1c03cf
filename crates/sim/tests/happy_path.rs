//! The happy path shows TLS 1.3 records, both sides' cleartext knowledge discarded at the
//! handshake, and a post-TLS EHLO reply without STARTTLS.
#![cfg(feature = "engine")]

use starttls_protocol::client::ClientEvent;
use starttls_protocol::knowledge::KnowledgeKey;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::ServerEvent;
use starttls_sim::trace::{Actor, Detail, SmtpItem, StepKind};
use starttls_sim::wire::RecordView;
use starttls_sim::{Engine, scenario};

#[test]
fn happy_path_trace_shows_tls13_discards_and_a_second_ehlo_without_starttls() {
    let trace = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    let steps = &trace.steps;

    // Real TLS 1.3 records: a ServerHello choosing TLS 1.3, then encrypted records.
    let hello = steps.iter().find_map(|s| match &s.detail {
        Detail::Wire(w) => w.records.iter().find_map(|r| match &r.view {
            RecordView::ServerHello { version, .. } => Some(version.clone()),
            _ => None,
        }),
        _ => None,
    });
    assert_eq!(hello.as_deref(), Some("TLS 1.3"));
    assert!(
        steps
            .iter()
            .any(|s| s.kind == StepKind::TlsFlight && s.actor == Actor::Client)
    );

    // Both sides discard what they learnt in cleartext, citing the rules.
    let client_discards: Vec<KnowledgeKey> = steps
        .iter()
        .filter_map(|s| match &s.detail {
            Detail::Client(e) => match e.as_ref() {
                ClientEvent::KnowledgeDiscarded { item, rules }
                    if rules.contains(&RuleId::ClientDiscard) =>
                {
                    Some(item.key)
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(client_discards.contains(&KnowledgeKey::Greeting));
    assert!(client_discards.contains(&KnowledgeKey::Extensions));
    let server_discards = steps.iter().any(|s| match &s.detail {
        Detail::Server(e) => matches!(e.as_ref(), ServerEvent::KnowledgeDiscarded { item, rules }
            if item.key == KnowledgeKey::ClientName && rules.contains(&RuleId::ServerDiscard)),
        _ => false,
    });
    assert!(server_discards);

    // The EHLO reply under TLS lists no STARTTLS; the one in cleartext did.
    let ehlo_replies: Vec<(bool, Vec<String>)> = steps
        .iter()
        .filter_map(|s| match &s.detail {
            Detail::Wire(w) => w.smtp.iter().find_map(|i| match i {
                SmtpItem::Reply { reply, .. } if reply.code == 250 && reply.lines.len() > 1 => {
                    Some((s.tls, reply.lines.clone()))
                }
                _ => None,
            }),
            _ => None,
        })
        .collect();
    assert_eq!(ehlo_replies.len(), 2, "{ehlo_replies:?}");
    assert!(!ehlo_replies[0].0 && ehlo_replies[0].1.iter().any(|l| l == "STARTTLS"));
    assert!(ehlo_replies[1].0 && !ehlo_replies[1].1.iter().any(|l| l.starts_with("STARTTLS")));
    assert!(
        ehlo_replies[1].1.iter().any(|l| l == "AUTH PLAIN"),
        "EXT-MAY-DIFFER: AUTH only under TLS"
    );

    // After the handshake the client's knowledge is only what it learnt under TLS.
    let last = steps.last().unwrap();
    assert!(
        last.client
            .knowledge
            .iter()
            .all(|k| k.provenance == starttls_protocol::knowledge::Provenance::Tls)
    );
}

#[test]
fn tls12_scenario_shows_the_certificate_in_cleartext() {
    let trace = Engine::simulate(&scenario::find("tls12-handshake").unwrap()).unwrap();
    let names: Vec<String> = trace
        .steps
        .iter()
        .filter_map(|s| match &s.detail {
            Detail::Wire(w) => Some(w.records.iter().filter_map(|r| match &r.view {
                RecordView::Handshake { messages } => Some(messages.join(",")),
                RecordView::ServerHello {
                    version, following, ..
                } => Some(format!("{version} {}", following.join(","))),
                _ => None,
            })),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("TLS 1.2")
            && n.contains("Certificate")
            && n.contains("ServerHelloDone")),
        "the server's certificate is readable on the wire in TLS 1.2: {names:?}"
    );
    assert!(names.iter().any(|n| n == "ClientKeyExchange"), "{names:?}");
}

#[test]
fn rule_client_discard_each_step_shows_exactly_what_it_discards() {
    let trace = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    let discards: Vec<_> = trace
        .steps
        .iter()
        .filter(|s| s.actor == Actor::Client && s.kind == StepKind::KnowledgeDiscarded)
        .collect();
    assert_eq!(discards.len(), 2, "greeting, then extensions");
    assert_eq!(discards[0].discarded[0].key, KnowledgeKey::Greeting);
    // One step at a time: at the first discard, the extension list is still shown.
    assert!(
        discards[0]
            .client
            .knowledge
            .iter()
            .any(|k| k.key == KnowledgeKey::Extensions)
    );
    assert!(
        !discards[0]
            .client
            .knowledge
            .iter()
            .any(|k| k.key == KnowledgeKey::Greeting)
    );
    assert_eq!(discards[1].discarded[0].key, KnowledgeKey::Extensions);
    assert!(discards[1].client.knowledge.is_empty());
}

#[test]
fn rule_server_discard_buffered_plaintext_is_a_discarded_item() {
    let trace = Engine::simulate(&scenario::find("command-injection-compliant").unwrap()).unwrap();
    let step = trace
        .steps
        .iter()
        .find(|s| matches!(&s.detail, Detail::Server(e) if matches!(e.as_ref(), ServerEvent::PlaintextDiscarded { .. })))
        .expect("the server discards the injected plaintext");
    assert!(!step.violation);
    assert_eq!(step.discarded.len(), 1);
    assert_eq!(step.discarded[0].key, KnowledgeKey::BufferedInput);
    assert!(
        step.discarded[0].value.contains("mallory"),
        "{:?}",
        step.discarded
    );
    let vulnerable =
        Engine::simulate(&scenario::find("command-injection-vulnerable").unwrap()).unwrap();
    let kept = vulnerable.steps.iter().find(|s| {
        s.violation
            && s.discarded
                .iter()
                .any(|k| k.key == KnowledgeKey::BufferedInput)
    });
    assert!(kept.is_some(), "the vulnerable server keeps it, flagged");
}
