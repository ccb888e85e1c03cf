//! Client rules: one or more tests per rule ID whose side is client (or both),
//! driving the client with scripted server replies.

use crate::common::{ehlo_reply, hear};
use starttls_protocol::Command;
use starttls_protocol::client::{
    Client, ClientEvent, ClientOutcome, ClientPolicy, ClientScript, ClientTrigger, Credentials,
    Next, TlsFallback, TlsMode,
};
use starttls_protocol::knowledge::KnowledgeKey;
use starttls_protocol::rules::RuleId;
use starttls_protocol::tls::{SecurityVerdict, TlsState, TlsSummary, TlsVersion};

fn summary() -> TlsSummary {
    TlsSummary::verified("mx.example.net")
}

fn client(policy: ClientPolicy) -> Client {
    Client::new(policy, ClientScript::default()).unwrap()
}

/// Greeting and EHLO reply heard; returns what the client sent after the EHLO reply.
fn greet(c: &mut Client, exts: &[&str]) -> (String, Vec<ClientEvent>) {
    let (out, _) = hear(c, "220 mx.example.net ESMTP\r\n");
    assert_eq!(out, "EHLO client.example.org\r\n");
    hear(c, &ehlo_reply(exts))
}

/// Up to the handshake: returns the client waiting for `tls_established`.
fn to_handshake(policy: ClientPolicy, exts: &[&str]) -> Client {
    let mut c = client(policy);
    let (out, _) = greet(&mut c, exts);
    assert_eq!(out, "STARTTLS\r\n");
    let (out, events) = hear(&mut c, "220 2.0.0 Ready to start TLS\r\n");
    assert_eq!(out, "");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::StartTls { .. }))
    );
    c
}

fn sent_commands(events: &[ClientEvent]) -> Vec<Command> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::CommandSent { command, .. } => Some(command.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn rule_client_454_decide_follows_local_policy() {
    let table: &[(TlsMode, TlsFallback, bool)] = &[
        (TlsMode::Opportunistic, TlsFallback::ContinueInClear, true),
        (TlsMode::Opportunistic, TlsFallback::Quit, false),
        (TlsMode::Required, TlsFallback::ContinueInClear, false),
    ];
    for (mode, on_454, continues) in table {
        let mut c = client(ClientPolicy {
            tls: *mode,
            on_454: *on_454,
            ..ClientPolicy::default()
        });
        let (out, _) = greet(&mut c, &["PIPELINING", "STARTTLS"]);
        assert_eq!(out, "STARTTLS\r\n");
        let (out, events) = hear(
            &mut c,
            "454 4.7.0 TLS not available due to temporary reason\r\n",
        );
        let decision = events.iter().find_map(|e| match e {
            ClientEvent::TlsNotUsed {
                reply_code: Some(454),
                decision,
            } => Some(*decision),
            ClientEvent::StateChanged { rules, .. } if rules.contains(&RuleId::Client454Decide) => {
                None
            }
            _ => None,
        });
        if *continues {
            assert_eq!(decision, Some(TlsFallback::ContinueInClear));
            assert!(
                out.starts_with("MAIL FROM:<alice@example.org>\r\n"),
                "{out}"
            );
        } else {
            assert_eq!(decision, Some(TlsFallback::Quit));
            assert_eq!(out, "QUIT\r\n");
            assert!(matches!(
                c.outcome(),
                Some(ClientOutcome::TlsUnavailable { .. })
            ));
        }
    }
}

#[test]
fn rule_client_handshake_next_nothing_is_sent_before_the_handshake() {
    let mut c = to_handshake(ClientPolicy::default(), &["PIPELINING", "STARTTLS"]);
    assert_eq!(c.tls(), &TlsState::Handshaking);
    // More server bytes do not make the client speak SMTP.
    let (out, _) = hear(&mut c, "250 OK\r\n");
    assert_eq!(out, "");
    assert!(!c.has_outgoing());
    c.tls_established(summary()).unwrap();
    assert_eq!(c.take_outgoing(), b"EHLO client.example.org\r\n");
}

#[test]
fn rule_client_handshake_next_aborts_when_the_handshake_cannot_start() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_could_not_start("no TLS configuration").unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(e, ClientEvent::StateChanged { on: ClientTrigger::TlsCouldNotStart, rules, .. } if rules == &[RuleId::ClientHandshakeNext])));
    // No QUIT or any other command in the clear: the connection is aborted.
    assert!(c.take_outgoing().is_empty());
}

#[test]
fn rule_client_454_decide_after_a_handshake_that_started_and_failed() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_failed("handshake_failure alert").unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(e, ClientEvent::StateChanged { on: ClientTrigger::TlsFailed, rules, .. } if rules == &[RuleId::Client454Decide])));
    assert!(!events.iter().any(|e| matches!(e, ClientEvent::StateChanged { rules, .. } if rules.contains(&RuleId::ClientHandshakeNext))));
    // No QUIT or any other command in the clear: the connection is aborted.
    assert!(c.take_outgoing().is_empty());
    assert!(c.is_finished());
    assert!(matches!(c.outcome(), Some(ClientOutcome::TlsFailed { .. })));
}

#[test]
fn rule_pipeline_last_starttls_ends_its_group() {
    let mut c = client(ClientPolicy::default());
    let (out, events) = greet(&mut c, &["PIPELINING", "STARTTLS"]);
    assert_eq!(
        out, "STARTTLS\r\n",
        "nothing may follow STARTTLS in its flight"
    );
    // STARTTLS goes alone, so the flight is no pipelined group: nothing cites PIPELINE-LAST.
    assert!(!events.iter().any(|e| matches!(e,
        ClientEvent::CommandSent { rules, .. } | ClientEvent::StateChanged { rules, .. } if rules.contains(&RuleId::PipelineLast))));
    let (out, _) = hear(&mut c, "220 Ready to start TLS\r\n");
    assert_eq!(out, "");
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    // Under TLS the envelope is pipelined, with DATA last.
    let (out, _) = hear(&mut c, &ehlo_reply(&["PIPELINING"]));
    assert_eq!(
        out,
        "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
    );
}

#[test]
fn rule_decide_after_client_judges_right_after_the_handshake() {
    let policy = ClientPolicy {
        min_tls_version: Some(TlsVersion::Tls13),
        ..ClientPolicy::default()
    };
    let mut c = to_handshake(policy.clone(), &["STARTTLS"]);
    c.tls_established(TlsSummary {
        version: TlsVersion::Tls12,
        ..summary()
    })
    .unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::SecurityDecision { verdict: SecurityVerdict::Insufficient { .. }, rules } if rules.contains(&RuleId::DecideAfter))));
    let mut c = to_handshake(policy, &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    assert_eq!(
        c.verdict(),
        &SecurityVerdict::Acceptable {
            peer_authenticated: true
        }
    );
}

#[test]
fn rule_client_quit_insecure_sends_quit_immediately() {
    let mut c = to_handshake(ClientPolicy::strict("mx.example.net"), &["STARTTLS"]);
    let unverified = TlsSummary {
        server_certificate_verified: false,
        ..summary()
    };
    c.tls_established(unverified).unwrap();
    assert_eq!(
        c.take_outgoing(),
        b"QUIT\r\n",
        "QUIT is the first and only command"
    );
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::StateChanged { on: ClientTrigger::TlsInsufficient, rules, .. } if rules.contains(&RuleId::ClientQuitInsecure))));
    let (_, events) = hear(&mut c, "221 Bye\r\n");
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::Finished {
            outcome: ClientOutcome::QuitInsecure { .. }
        }
    )));
}

#[test]
fn rule_cert_name_must_name_the_expected_host() {
    let table: &[(&[&str], bool, bool)] = &[
        (&["mx.example.net"], true, true),
        (&["*.example.net"], true, true),
        (&["mail.attacker.example"], true, false),
        (&["mx.example.net"], false, false),
    ];
    for (names, verified, ok) in table {
        let mut c = to_handshake(ClientPolicy::strict("mx.example.net"), &["STARTTLS"]);
        let s = TlsSummary {
            server_certificate_names: names.iter().map(|n| n.to_string()).collect(),
            server_certificate_verified: *verified,
            ..summary()
        };
        c.tls_established(s).unwrap();
        let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert!(events.iter().any(|e| matches!(e, ClientEvent::SecurityDecision { rules, .. } if rules.contains(&RuleId::CertName))));
        assert_eq!(
            matches!(c.verdict(), SecurityVerdict::Acceptable { .. }),
            *ok,
            "{names:?}"
        );
    }
    // Opportunistic clients accept an unauthenticated session but record it as such.
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_established(TlsSummary {
        server_certificate_names: vec!["other.example".into()],
        ..summary()
    })
    .unwrap();
    assert_eq!(
        c.verdict(),
        &SecurityVerdict::Acceptable {
            peer_authenticated: false
        }
    );
}

#[test]
fn rule_reset_client_starts_over_after_the_handshake() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS", "AUTH PLAIN"]);
    assert!(c.ehlo_reply().is_some());
    c.tls_established(summary()).unwrap();
    assert!(c.ehlo_reply().is_none(), "the extension list is gone");
    assert_eq!(c.state_name(), "AwaitEhlo");
}

#[test]
fn rule_client_discard_forgets_greeting_extensions_and_buffered_replies() {
    let mut c = client(ClientPolicy::default());
    let _ = greet(&mut c, &["STARTTLS", "AUTH PLAIN"]);
    let keys: Vec<_> = c.knowledge().iter().map(|k| k.key).collect();
    assert_eq!(keys, [KnowledgeKey::Greeting, KnowledgeKey::Extensions]);
    // Response injection: forged replies after the 220, in the same flight.
    let (_, _) = hear(
        &mut c,
        "220 Ready\r\n250-mx.example.net\r\n250 AUTH PLAIN\r\n",
    );
    c.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    let discarded: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::KnowledgeDiscarded { item, rules }
                if rules.contains(&RuleId::ClientDiscard) =>
            {
                Some(item.key)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        discarded,
        [KnowledgeKey::Greeting, KnowledgeKey::Extensions]
    );
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::PlaintextDiscarded { bytes, rules, .. } if bytes.starts_with("250-mx") && rules == &vec![RuleId::ClientDiscard])));
    assert!(c.knowledge().is_empty());
    // The forged EHLO reply was not read: the client asks again.
    assert_eq!(c.take_outgoing(), b"EHLO client.example.org\r\n");
    assert!(!events.iter().any(|e| matches!(
        e,
        ClientEvent::ReplyReceived {
            under_tls: true,
            ..
        }
    )));
}

#[test]
fn rule_client_discard_response_injection_teaching_toggle() {
    let mut policy = ClientPolicy::default();
    policy.teaching.accept_replies_buffered_after_220 = true;
    let mut c = client(policy);
    let _ = greet(&mut c, &["STARTTLS"]);
    let _ = hear(&mut c, "220 Ready\r\n250 mx.example.net forged\r\n");
    c.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::PlaintextRetained {
            broken_rule: RuleId::ClientDiscard,
            ..
        }
    )));
    // The forged reply is taken as the answer to the new EHLO, under TLS.
    assert!(events.iter().any(|e| matches!(e, ClientEvent::ReplyReceived { reply, under_tls: true } if reply.text().contains("forged"))));
}

#[test]
fn rule_client_discard_keep_knowledge_toggle_reuses_the_cleartext_list() {
    let mut policy = ClientPolicy::default();
    policy.teaching.keep_pre_tls_knowledge = true;
    let mut c = to_handshake(policy, &["STARTTLS", "PIPELINING"]);
    c.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(
                e,
                ClientEvent::KnowledgeKept {
                    broken_rule: RuleId::ClientDiscard,
                    ..
                }
            ))
            .count(),
        2
    );
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::RuleBroken {
            rule: RuleId::ClientEhloAgain,
            ..
        }
    )));
    // No EHLO: straight to the (pipelined) envelope.
    assert!(c.take_outgoing().starts_with(b"MAIL FROM:"));
}

#[test]
fn rule_client_ehlo_again_first_command_after_the_handshake() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    let first = sent_commands(&events);
    assert_eq!(
        first,
        vec![Command::Ehlo {
            domain: "client.example.org".into()
        }]
    );
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::StateChanged { on: ClientTrigger::TlsEstablished, rules, .. } if rules.contains(&RuleId::ClientEhloAgain))));
}

#[test]
fn rule_no_starttls_after_client_flags_it_and_ignores_it() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    let (out, events) = hear(&mut c, &ehlo_reply(&["STARTTLS", "PIPELINING"]));
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::StarttlsAdvertisedUnderTls { rules } if rules == &vec![RuleId::NoStarttlsAfter, RuleId::NoTlsTwice])));
    assert!(out.starts_with("MAIL FROM:"), "{out}");
}

#[test]
fn rule_no_tls_twice_client_never_sends_starttls_under_tls() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    let (out, _) = hear(&mut c, &ehlo_reply(&["STARTTLS"]));
    assert!(!out.contains("STARTTLS"));
    // The teaching toggle sends it anyway, and says which rule that breaks.
    let mut policy = ClientPolicy::default();
    policy.teaching.send_starttls_twice = true;
    let mut c = to_handshake(policy, &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    let (out, events) = hear(&mut c, &ehlo_reply(&[]));
    assert_eq!(out, "STARTTLS\r\n");
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::RuleBroken {
            rule: RuleId::NoTlsTwice,
            ..
        }
    )));
    let (out, _) = hear(
        &mut c,
        "503 5.5.1 Bad sequence of commands: TLS already active\r\n",
    );
    assert!(out.starts_with("MAIL FROM:"), "{out}");
}

#[test]
fn rule_both_know_tls_client_reports_each_phase() {
    let mut c = client(ClientPolicy::default());
    assert_eq!(c.snapshot().tls, TlsState::Off);
    let _ = greet(&mut c, &["STARTTLS"]);
    let _ = hear(&mut c, "220 go\r\n");
    assert_eq!(c.snapshot().tls, TlsState::Handshaking);
    c.tls_established(summary()).unwrap();
    assert_eq!(c.snapshot().tls, TlsState::On(summary()));
    assert!(c.tls_established(summary()).is_err());
}

#[test]
fn rule_strip_defense_client_required_quits_when_starttls_is_stripped() {
    let mut c = client(ClientPolicy {
        tls: TlsMode::Required,
        ..ClientPolicy::default()
    });
    let (out, events) = greet(&mut c, &["PIPELINING", "8BITMIME"]);
    assert_eq!(out, "QUIT\r\n");
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::TlsNotUsed {
            reply_code: None,
            decision: TlsFallback::Quit
        }
    )));
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::StateChanged { on: ClientTrigger::StarttlsNotAdvertised(Next::Quit), rules, .. } if rules.contains(&RuleId::StripDefense))));
    assert!(matches!(
        c.outcome(),
        Some(ClientOutcome::TlsUnavailable { .. })
    ));
    // Per-peer requirement: "require TLS for selected hosts".
    let policy = ClientPolicy {
        require_tls_for: vec!["MX.example.net".into()],
        ..ClientPolicy::default()
    };
    let mut c = client(policy);
    let (out, _) = greet(&mut c, &["PIPELINING"]);
    assert_eq!(out, "QUIT\r\n");
    // "TLS when possible": the opportunistic client goes on in the clear.
    let mut c = client(ClientPolicy::default());
    let (out, events) = greet(&mut c, &["PIPELINING"]);
    assert!(out.starts_with("MAIL FROM:"));
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::TlsNotUsed {
            decision: TlsFallback::ContinueInClear,
            ..
        }
    )));
}

#[test]
fn rule_record_tls_warns_when_a_remembered_peer_does_not_offer_starttls() {
    let policy = ClientPolicy {
        remembered_tls_peers: vec!["mx.example.net".into()],
        ..ClientPolicy::default()
    };
    let mut c = client(policy.clone());
    let (_, events) = greet(&mut c, &["PIPELINING"]);
    assert!(events.iter().any(|e| matches!(e,
        ClientEvent::TlsDowngradeWarning { peer, rules } if peer == "mx.example.net" && rules == &vec![RuleId::RecordTls])));
    // No warning when the peer offers STARTTLS, or is not remembered.
    let mut c = client(policy);
    let (_, events) = greet(&mut c, &["STARTTLS"]);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ClientEvent::TlsDowngradeWarning { .. }))
    );
    let mut c = client(ClientPolicy::default());
    let (_, events) = greet(&mut c, &["PIPELINING"]);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ClientEvent::TlsDowngradeWarning { .. }))
    );
}

#[test]
fn rule_require_530_client_starts_tls_if_it_can_else_quits() {
    // STARTTLS was stripped, but the 530 tells the client to try it.
    let mut c = client(ClientPolicy {
        pipelining: false,
        ..ClientPolicy::default()
    });
    let (out, _) = greet(&mut c, &[]);
    assert_eq!(out, "MAIL FROM:<alice@example.org>\r\n");
    let (out, _) = hear(&mut c, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    assert_eq!(out, "STARTTLS\r\n");
    // A client that never uses TLS cannot, and QUITs.
    let mut c = client(ClientPolicy {
        tls: TlsMode::Never,
        ..ClientPolicy::default()
    });
    let (out, _) = greet(&mut c, &["STARTTLS"]);
    assert!(out.starts_with("MAIL FROM:"));
    let (out, _) = hear(&mut c, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    assert_eq!(out, "QUIT\r\n");
    assert!(matches!(
        c.outcome(),
        Some(ClientOutcome::Refused { code: 530, .. })
    ));
}

#[test]
fn rule_server_554_client_quits() {
    let mut c = to_handshake(ClientPolicy::default(), &["STARTTLS"]);
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    let (out, _) = hear(&mut c, "554 Command refused due to lack of security\r\n");
    assert_eq!(out, "QUIT\r\n");
    assert!(matches!(
        c.outcome(),
        Some(ClientOutcome::Refused { code: 554, .. })
    ));
}

#[test]
fn client_auth_plain_only_under_tls() {
    let script = ClientScript {
        auth: Some(Credentials {
            username: "bob".into(),
            password: "secret".into(),
        }),
        ..ClientScript::default()
    };
    let mut c = Client::new(
        ClientPolicy {
            tls: TlsMode::Never,
            ..ClientPolicy::default()
        },
        script.clone(),
    )
    .unwrap();
    let _ = hear(&mut c, "220 mx\r\n");
    let (out, events) = hear(&mut c, &ehlo_reply(&["AUTH PLAIN"]));
    assert!(
        out.starts_with("MAIL FROM:"),
        "no password in the clear: {out}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::AuthSkipped { .. }))
    );
    let mut c = Client::new(ClientPolicy::default(), script).unwrap();
    let _ = hear(&mut c, "220 mx\r\n");
    let _ = hear(&mut c, &ehlo_reply(&["STARTTLS"]));
    let _ = hear(&mut c, "220 go\r\n");
    c.tls_established(summary()).unwrap();
    let _ = c.take_outgoing();
    let (out, _) = hear(&mut c, &ehlo_reply(&["AUTH PLAIN"]));
    assert_eq!(out, "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
}

#[test]
fn client_aborts_on_malformed_or_unexpected_replies() {
    for junk in ["hello\r\n", "220-a\r\n221 b\r\n", "250 x\n"] {
        let mut c = client(ClientPolicy::default());
        let (out, events) = hear(&mut c, junk);
        assert_eq!(out, "");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ClientEvent::ProtocolViolation { .. })),
            "{junk:?}"
        );
        assert!(matches!(c.outcome(), Some(ClientOutcome::Aborted { .. })));
    }
}

#[test]
fn client_snapshot_and_events_serialize() {
    let mut c = client(ClientPolicy::default());
    let (_, events) = greet(&mut c, &["STARTTLS"]);
    let snap = c.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    assert_eq!(
        serde_json::from_str::<starttls_protocol::client::ClientSnapshot>(&json).unwrap(),
        snap
    );
    let json = serde_json::to_string(&events).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<ClientEvent>>(&json).unwrap(),
        events
    );
    let p = ClientPolicy::default();
    assert_eq!(
        serde_json::from_str::<ClientPolicy>(&serde_json::to_string(&p).unwrap()).unwrap(),
        p
    );
    assert_eq!(serde_json::from_str::<ClientPolicy>("{}").unwrap(), p);
}
