//! Server rules: one or more tests per rule ID whose side is server (or both).

use crate::common::{codes, server, talk};
use starttls_protocol::command::Verb;
use starttls_protocol::error::ConfigError;
use starttls_protocol::knowledge::{KnowledgeKey, Provenance};
use starttls_protocol::reply::Extension;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server::{
    Account, SecondStarttlsReply, Server, ServerEvent, ServerPolicy, ServerStateId, ServerTrigger,
    StarttlsOffer,
};
use starttls_protocol::tls::{SecurityVerdict, TlsState, TlsSummary, TlsVersion};

fn summary() -> TlsSummary {
    TlsSummary::verified("mx.example.net")
}

/// A server that has completed STARTTLS and the handshake.
fn server_under_tls(policy: ServerPolicy) -> (Server, Vec<ServerEvent>) {
    let mut s = server(policy);
    let (out, _) = talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"), "{out}");
    s.tls_established(summary()).unwrap();
    let events = std::iter::from_fn(|| s.poll_event()).collect();
    (s, events)
}

fn replies(events: &[ServerEvent]) -> Vec<(u16, Vec<RuleId>)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::ReplySent { reply, rules, .. } => Some((reply.code, rules.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn rule_ext_keyword_starttls_listed_without_parameters_only_when_able() {
    let mut s = server(ServerPolicy::default());
    let (out, events) = talk(&mut s, "EHLO c.example\r\n");
    assert!(
        out.contains("\r\n250-STARTTLS\r\n") || out.contains("\r\n250 STARTTLS\r\n"),
        "{out}"
    );
    assert!(!out.contains("STARTTLS "), "no parameters: {out}");
    assert!(replies(&events)[0].1.contains(&RuleId::ExtKeyword));

    for offer in [
        StarttlsOffer::TemporarilyUnavailable,
        StarttlsOffer::NotOffered,
    ] {
        let mut s = server(ServerPolicy {
            starttls: offer,
            ..ServerPolicy::default()
        });
        let (out, _) = talk(&mut s, "EHLO c.example\r\n");
        assert!(!out.contains("STARTTLS"), "{offer:?}: {out}");
    }
    let mut s = server(ServerPolicy::default());
    s.set_tls_available(false);
    let (out, _) = talk(&mut s, "EHLO c.example\r\n");
    assert!(!out.contains("STARTTLS"), "{out}");
}

#[test]
fn rule_ext_keyword_position_follows_the_policy_list() {
    let policy = ServerPolicy {
        extensions_before_tls: vec![
            Extension::keyword("8BITMIME"),
            Extension::keyword("STARTTLS"),
            Extension::keyword("DSN"),
        ],
        ..ServerPolicy::default()
    };
    let mut s = server(policy);
    let (out, _) = talk(&mut s, "EHLO c.example\r\n");
    assert!(
        out.ends_with("250-8BITMIME\r\n250-STARTTLS\r\n250 DSN\r\n"),
        "{out}"
    );
}

#[test]
fn rule_cmd_syntax_starttls_with_parameters_gets_501() {
    let mut s = server(ServerPolicy::default());
    let (out, events) = talk(&mut s, "STARTTLS now\r\n");
    assert_eq!(out, "501 5.5.4 Syntax error (no parameters allowed)\r\n");
    assert!(replies(&events)[0].1.contains(&RuleId::CmdSyntax));
    assert_eq!(s.state_name(), "Initial");
    assert_eq!(s.tls(), &TlsState::Off);
    // With ENHANCEDSTATUSCODES in use the same reply carries 5.5.4.
    let (out, _) = talk(&mut s, "EHLO c.example\r\nSTARTTLS \r\n");
    assert!(
        out.ends_with("501 5.5.4 Syntax error (no parameters allowed)\r\n"),
        "{out}"
    );
}

#[test]
fn rule_cmd_220_next_bytes_belong_to_the_handshake() {
    let mut s = server(ServerPolicy::default());
    let (out, events) = talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"));
    assert!(events.iter().any(
        |e| matches!(e, ServerEvent::StateChanged { on: ServerTrigger::Starttls220, rules, .. } if rules.contains(&RuleId::Cmd220))
    ));
    assert_eq!(s.tls(), &TlsState::Handshaking);
    assert_eq!(s.state_name(), "TlsHandshake");
    // Whatever comes now (a TLS ClientHello, say) is not read as SMTP.
    let hello = [0x16u8, 0x03, 0x01, 0x00, 0x05, b'\r', b'\n'];
    assert_eq!(s.receive(&hello), hello.len());
    assert!(s.poll_event().is_none());
    assert!(s.take_outgoing().is_empty());
    // Before EHLO too, an enhanced code: the server offers ENHANCEDSTATUSCODES (RFC 2034).
    let mut s = server(ServerPolicy::default());
    let (out, _) = talk(&mut s, "STARTTLS\r\n");
    assert_eq!(out, "220 2.0.0 Ready to start TLS\r\n");
}

#[test]
fn rule_cmd_454_when_tls_is_temporarily_unavailable() {
    for offer in [
        StarttlsOffer::TemporarilyUnavailable,
        StarttlsOffer::AdvertisedButUnavailable,
    ] {
        let mut s = server(ServerPolicy {
            starttls: offer,
            ..ServerPolicy::default()
        });
        let (out, events) = talk(&mut s, "STARTTLS\r\n");
        assert_eq!(
            out, "454 4.7.0 TLS not available due to temporary reason\r\n",
            "{offer:?}"
        );
        assert_eq!(replies(&events)[0].1, vec![RuleId::Cmd454, RuleId::Esc2034]);
        assert_eq!(s.tls(), &TlsState::Off);
    }
    let mut s = server(ServerPolicy::default());
    s.set_tls_available(false);
    let (out, _) = talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
    assert!(
        out.ends_with("454 4.7.0 TLS not available due to temporary reason\r\n"),
        "{out}"
    );
    // Not offered at all is a different answer.
    let mut s = server(ServerPolicy {
        starttls: StarttlsOffer::NotOffered,
        ..ServerPolicy::default()
    });
    let (out, _) = talk(&mut s, "STARTTLS\r\n");
    assert_eq!(out, "502 5.5.1 Command not implemented\r\n");
}

#[test]
fn rule_public_no_require_rejects_the_configuration() {
    let bad = ServerPolicy {
        require_tls: true,
        publicly_referenced: true,
        ..ServerPolicy::default()
    };
    let err = Server::new(bad).unwrap_err();
    assert_eq!(err, ConfigError::PublicServerRequiresTls);
    assert!(err.to_string().contains("PUBLIC-NO-REQUIRE"));
    assert!(Server::new(ServerPolicy::requiring_tls()).is_ok());
    let none = ServerPolicy {
        starttls: StarttlsOffer::NotOffered,
        ..ServerPolicy::requiring_tls()
    };
    assert_eq!(
        Server::new(none).unwrap_err(),
        ConfigError::RequireWithoutStarttls
    );
}

#[test]
fn rule_require_530_refuses_mail_before_tls() {
    let table: &[(&str, bool)] = &[
        ("MAIL FROM:<a@b.example>", true),
        ("RCPT TO:<a@b.example>", true),
        ("DATA", true),
        ("RSET", true),
        ("VRFY bob", true),
        ("HELP", true),
        ("HELO c.example", true),
        ("AUTH PLAIN AGEAYg==", true),
        ("MAIL FROM: <bad syntax>", true),
        ("NOOP", false),
        ("EHLO c.example", false),
        ("QUIT", false),
        ("STARTTLS", false),
    ];
    for (line, refused) in table {
        let mut s = server(ServerPolicy::requiring_tls());
        let (out, events) = talk(&mut s, &format!("{line}\r\n"));
        let code = codes(&out)[0];
        assert_eq!(code == 530, *refused, "{line}: {out}");
        if *refused {
            // No enhanced code on any reply to HELO (RFC 2034 §4).
            let esc = if line.starts_with("HELO") {
                ""
            } else {
                "5.7.0 "
            };
            assert_eq!(
                out,
                format!("530 {esc}Must issue a STARTTLS command first\r\n")
            );
            assert!(replies(&events)[0].1.contains(&RuleId::Require530));
        }
    }
    // Unknown verbs are not commands: 500, not 530.
    let mut s = server(ServerPolicy::requiring_tls());
    let (out, _) = talk(&mut s, "XYZZY\r\n");
    assert!(out.starts_with("500 "));
}

#[test]
fn rule_require_530_lifted_under_tls() {
    let (mut s, _) = server_under_tls(ServerPolicy::requiring_tls());
    let (out, _) = talk(&mut s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    assert!(out.ends_with("250 2.1.0 Ok\r\n"), "{out}");
}

#[test]
fn rule_require_530_esc_carries_5_7_0_with_enhancedstatuscodes() {
    let mut s = server(ServerPolicy::requiring_tls());
    let (out, events) = talk(&mut s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    assert!(out.contains("250-ENHANCEDSTATUSCODES\r\n"));
    assert!(
        out.ends_with("530 5.7.0 Must issue a STARTTLS command first\r\n"),
        "{out}"
    );
    let rules = &replies(&events)[1].1;
    assert!(rules.contains(&RuleId::Require530) && rules.contains(&RuleId::Require530Esc));
    // Without ENHANCEDSTATUSCODES advertised: no code.
    let policy = ServerPolicy {
        extensions_before_tls: vec![],
        ..ServerPolicy::requiring_tls()
    };
    let mut s = server(policy);
    let (out, _) = talk(&mut s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    assert!(
        out.ends_with("530 Must issue a STARTTLS command first\r\n"),
        "{out}"
    );
}

#[test]
fn rule_decide_after_server_judges_the_session() {
    let strict = |min, cert| ServerPolicy {
        security: starttls_protocol::server::ServerSecurityPolicy {
            min_tls_version: min,
            require_client_certificate: cert,
        },
        ..ServerPolicy::default()
    };
    let mut tls12 = summary();
    tls12.version = TlsVersion::Tls12;
    let cases: Vec<(ServerPolicy, TlsSummary, bool)> = vec![
        (ServerPolicy::default(), tls12.clone(), true),
        (strict(Some(TlsVersion::Tls13), false), tls12.clone(), false),
        (strict(Some(TlsVersion::Tls13), false), summary(), true),
        (strict(None, true), summary(), false),
        (
            strict(None, true),
            TlsSummary {
                client_certificate_presented: true,
                ..summary()
            },
            false,
        ),
        (
            strict(None, true),
            TlsSummary {
                client_certificate_presented: true,
                client_certificate_verified: true,
                ..summary()
            },
            true,
        ),
    ];
    for (policy, sum, ok) in cases {
        let mut s = server(policy);
        let _ = talk(&mut s, "STARTTLS\r\n");
        s.tls_established(sum.clone()).unwrap();
        let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
        let decision = events
            .iter()
            .find_map(|e| match e {
                ServerEvent::SecurityDecision { verdict, rules } => {
                    Some((verdict.clone(), rules.clone()))
                }
                _ => None,
            })
            .expect("a decision right after the handshake");
        assert!(decision.1.contains(&RuleId::DecideAfter));
        assert_eq!(
            matches!(decision.0, SecurityVerdict::Acceptable { .. }),
            ok,
            "{sum:?}"
        );
        assert_eq!(s.verdict(), &decision.0);
    }
}

#[test]
fn rule_server_554_refuses_everything_but_quit() {
    let policy = ServerPolicy {
        security: starttls_protocol::server::ServerSecurityPolicy {
            min_tls_version: Some(TlsVersion::Tls13),
            require_client_certificate: false,
        },
        ..ServerPolicy::default()
    };
    let mut s = server(policy);
    let _ = talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
    s.tls_established(TlsSummary {
        version: TlsVersion::Tls12,
        ..summary()
    })
    .unwrap();
    while s.poll_event().is_some() {}
    for line in [
        "EHLO c.example",
        "NOOP",
        "MAIL FROM:<a@b.example>",
        "STARTTLS",
        "RSET",
        "BOGUS",
        "HELP",
    ] {
        let (out, events) = talk(&mut s, &format!("{line}\r\n"));
        // No enhanced code on any reply to EHLO (RFC 2034 §4).
        let esc = if line.starts_with("EHLO") {
            ""
        } else {
            "5.7.0 "
        };
        assert_eq!(
            out,
            format!("554 {esc}Command refused due to lack of security\r\n"),
            "{line}"
        );
        assert!(replies(&events)[0].1.contains(&RuleId::Server554));
    }
    let (out, _) = talk(&mut s, "QUIT\r\n");
    assert!(out.starts_with("221 "));
    assert!(s.is_closed());
}

#[test]
fn rule_reset_server_returns_to_the_initial_state() {
    let (mut s, events) = server_under_tls(ServerPolicy::default());
    assert_eq!(s.state_name(), "Initial");
    assert!(events.iter().any(|e| matches!(e,
        ServerEvent::StateChanged { to: ServerStateId::Initial, rules, .. } if rules.contains(&RuleId::Reset))));
    // As right after the greeting: MAIL needs EHLO first. The server still offers
    // ENHANCEDSTATUSCODES, so the refusal carries a code (RFC 2034, with or without EHLO).
    let (out, _) = talk(&mut s, "MAIL FROM:<a@b.example>\r\n");
    assert_eq!(out, "503 5.5.1 Error: send HELO/EHLO first\r\n");
}

#[test]
fn rule_server_discard_forgets_ehlo_name_envelope_and_buffered_bytes() {
    let mut s = server(ServerPolicy::default());
    let (out, _) = talk(
        &mut s,
        "EHLO plain.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.example>\r\n",
    );
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"), "{out}");
    let before = s.knowledge();
    assert!(before.iter().all(|k| k.provenance == Provenance::Cleartext));
    let keys: Vec<_> = before.iter().map(|k| k.key).collect();
    assert_eq!(
        keys,
        [
            KnowledgeKey::ClientName,
            KnowledgeKey::ReversePath,
            KnowledgeKey::Recipient,
            KnowledgeKey::BufferedInput
        ]
    );
    s.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let discarded: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::KnowledgeDiscarded { item, rules } => {
                assert!(rules.contains(&RuleId::ServerDiscard));
                Some(item.key)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        discarded,
        [
            KnowledgeKey::ClientName,
            KnowledgeKey::ReversePath,
            KnowledgeKey::Recipient
        ]
    );
    let plaintext = events.iter().find_map(|e| match e {
        ServerEvent::PlaintextDiscarded {
            range,
            bytes,
            rules,
        } => Some((*range, bytes.clone(), rules.clone())),
        _ => None,
    });
    let (range, bytes, rules) = plaintext.expect("the buffered plaintext is thrown away");
    assert_eq!(bytes, "RSET\\r\\nMAIL FROM:<evil@x.example>\\r\\n");
    assert_eq!(range.len(), 34);
    assert_eq!(rules, vec![RuleId::ServerDiscard]);
    assert!(s.knowledge().is_empty());
    // None of the injected commands was ever answered.
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::CommandReceived { .. }))
    );
    assert!(s.take_outgoing().is_empty());
}

#[test]
fn rule_server_discard_command_injection_cve_2011_0411_teaching_toggle() {
    let mut policy = ServerPolicy::default();
    policy.teaching.process_plaintext_after_starttls = true;
    let mut s = server(policy);
    let _ = talk(
        &mut s,
        "EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\n",
    );
    s.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::PlaintextRetained {
            broken_rule: RuleId::ServerDiscard,
            ..
        }
    )));
    // The injected MAIL is interpreted as if it came under TLS (and refused only for lack of EHLO).
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::CommandReceived {
            command: starttls_protocol::Command::Mail { .. },
            under_tls: true
        }
    )));
    assert_eq!(
        s.take_outgoing(),
        b"503 5.5.1 Error: send HELO/EHLO first\r\n"
    );
}

#[test]
fn rule_server_discard_keep_knowledge_toggle_says_which_rule_it_breaks() {
    let mut policy = ServerPolicy::default();
    policy.teaching.keep_pre_tls_knowledge = true;
    let mut s = server(policy);
    let _ = talk(
        &mut s,
        "EHLO plain.example\r\nMAIL FROM:<a@b.example>\r\nSTARTTLS\r\n",
    );
    s.tls_established(summary()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let kept = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ServerEvent::KnowledgeKept {
                    broken_rule: RuleId::ServerDiscard,
                    ..
                }
            )
        })
        .count();
    assert_eq!(kept, 2);
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::RuleBroken {
            rule: RuleId::Reset,
            ..
        }
    )));
    assert_eq!(s.state_name(), "Transaction");
    // The cleartext envelope survives into the TLS session.
    let (out, _) = talk(&mut s, "RCPT TO:<c@d.example>\r\n");
    assert_eq!(out, "250 2.1.5 Ok\r\n");
}

#[test]
fn rule_ext_may_differ_auth_plain_only_under_tls() {
    let policy = ServerPolicy {
        accounts: vec![Account {
            username: "bob".into(),
            password: "secret".into(),
        }],
        ..ServerPolicy::default()
    };
    let mut s = server(policy.clone());
    let (out, _) = talk(&mut s, "EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
    assert!(!out.contains("AUTH PLAIN\r\n"));
    assert!(
        out.ends_with("503 5.5.1 Error: authentication not enabled\r\n"),
        "{out}"
    );
    let (mut s, _) = server_under_tls(policy);
    let (out, events) = talk(&mut s, "EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
    assert!(out.contains("250 AUTH PLAIN\r\n"), "{out}");
    assert!(replies(&events)[0].1.contains(&RuleId::ExtMayDiffer));
    assert!(
        out.ends_with("235 2.7.0 Authentication successful\r\n"),
        "{out}"
    );
    assert!(events.iter().any(|e| matches!(e, ServerEvent::Authenticated { username, under_tls: true } if username == "bob")));
}

#[test]
fn rule_no_starttls_after_server_never_lists_it_under_tls() {
    let mut policy = ServerPolicy::default();
    policy
        .extensions_after_tls
        .push(Extension::keyword("STARTTLS"));
    let (mut s, _) = server_under_tls(policy);
    let (out, events) = talk(&mut s, "EHLO c.example\r\n");
    assert!(!out.contains("STARTTLS"), "{out}");
    assert!(replies(&events)[0].1.contains(&RuleId::NoStarttlsAfter));
    // The teaching toggle breaks the rule and says so.
    let mut policy = ServerPolicy::default();
    policy.teaching.advertise_starttls_after_tls = true;
    let (mut s, _) = server_under_tls(policy);
    let (out, events) = talk(&mut s, "EHLO c.example\r\n");
    assert!(out.contains("STARTTLS"));
    assert!(events.iter().any(|e| matches!(
        e,
        ServerEvent::RuleBroken {
            rule: RuleId::NoStarttlsAfter,
            ..
        }
    )));
}

#[test]
fn rule_no_tls_twice_server_reply_variants() {
    let table: &[(SecondStarttlsReply, &str)] = &[
        (
            SecondStarttlsReply::BadSequence503,
            "503 5.5.1 Bad sequence of commands: TLS already active\r\n",
        ),
        (
            SecondStarttlsReply::Postfix554,
            "554 5.5.1 Error: TLS already active\r\n",
        ),
        (
            SecondStarttlsReply::OpenSmtpd503,
            "503 5.5.1 Invalid command: Channel already secured\r\n",
        ),
        (
            SecondStarttlsReply::Aiosmtpd220,
            "220 Ready to start TLS\r\n",
        ),
    ];
    assert_eq!(
        SecondStarttlsReply::default(),
        SecondStarttlsReply::BadSequence503
    );
    for (variant, expected) in table {
        let (mut s, _) = server_under_tls(ServerPolicy {
            second_starttls: *variant,
            ..ServerPolicy::default()
        });
        let (out, events) = talk(&mut s, "EHLO c.example\r\nSTARTTLS\r\n");
        assert!(out.ends_with(expected), "{variant:?}: {out}");
        let handshaking = s.tls() == &TlsState::Handshaking;
        assert_eq!(handshaking, *variant == SecondStarttlsReply::Aiosmtpd220);
        let cited = events.iter().any(|e| match e {
            ServerEvent::ReplySent {
                rules,
                in_reply_to: Some(Verb::StartTls),
                ..
            } => rules.contains(&RuleId::NoTlsTwice),
            ServerEvent::RuleBroken { rule, .. } => *rule == RuleId::NoTlsTwice,
            _ => false,
        });
        assert!(cited, "{variant:?}");
    }
}

#[test]
fn rule_both_know_tls_server_reports_each_phase() {
    let mut s = server(ServerPolicy::default());
    assert_eq!(s.snapshot().tls, TlsState::Off);
    let _ = talk(&mut s, "STARTTLS\r\n");
    assert_eq!(s.snapshot().tls, TlsState::Handshaking);
    assert!(s.tls_established(summary()).is_ok());
    assert_eq!(s.snapshot().tls, TlsState::On(summary()));
    assert!(s.is_tls_active());
    // Calls out of order are the caller's fault, not a panic.
    assert!(s.tls_established(summary()).is_err());
    let mut fresh = server(ServerPolicy::default());
    assert!(fresh.tls_failed("x").is_err());
}

#[test]
fn rule_strip_defense_server_can_require_tls() {
    // Configured to require TLS: no mail without it (the server half of STRIP-DEFENSE).
    let mut s = server(ServerPolicy::requiring_tls());
    let (out, _) = talk(
        &mut s,
        "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n",
    );
    assert_eq!(&codes(&out)[1..], [530, 530, 530]);
    // TLS when possible is the default.
    let mut s = server(ServerPolicy::default());
    let (out, _) = talk(&mut s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    assert!(out.ends_with("250 2.1.0 Ok\r\n"));
}

#[test]
fn server_tls_failed_closes_the_session() {
    let mut s = server(ServerPolicy::default());
    let _ = talk(&mut s, "STARTTLS\r\n");
    s.tls_failed("bad record mac").unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::Closed { .. }))
    );
    assert!(s.is_closed());
    assert_eq!(s.receive(b"NOOP\r\n"), 6);
    assert!(s.take_outgoing().is_empty());
}

#[test]
fn server_take_buffered_plaintext_hands_bytes_back() {
    let mut s = server(ServerPolicy::default());
    let _ = talk(&mut s, "STARTTLS\r\nNOOP\r\n");
    assert_eq!(s.take_buffered_plaintext(), b"NOOP\r\n");
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::PlaintextDiscarded { .. }))
    );
    s.tls_established(summary()).unwrap();
    assert!(s.take_outgoing().is_empty());
}

#[test]
fn server_snapshot_and_events_serialize() {
    let mut s = server(ServerPolicy::default());
    let (_, events) = talk(&mut s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    let snap = s.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    assert_eq!(
        serde_json::from_str::<starttls_protocol::server::ServerSnapshot>(&json).unwrap(),
        snap
    );
    let json = serde_json::to_string(&events).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<ServerEvent>>(&json).unwrap(),
        events
    );
    let policy = ServerPolicy::default();
    let json = serde_json::to_string(&policy).unwrap();
    assert_eq!(serde_json::from_str::<ServerPolicy>(&json).unwrap(), policy);
    assert_eq!(serde_json::from_str::<ServerPolicy>("{}").unwrap(), policy);
}

/// The bug class of aiosmtpd's CVE-2024-34083 (GHSA-wgjv-9j3q-jhg8, fixed in aiosmtpd
/// 1.4.6): bytes pipelined after STARTTLS must not survive the handshake, even when the server
/// could not read them at once because its queues were full. Here 2,000 bare-LF lines (two events each, far beyond
/// `EVENT_QUEUE_CAP`) come before STARTTLS and an injected MAIL, all in one read. Found as a
/// false report by the server fuzz target, whose drain stopped before the queue was empty.
#[test]
fn rule_server_discard_holds_under_back_pressure() {
    let mut s = server(ServerPolicy::default());
    let mut flight = b"EHLO plain.example\r\n".to_vec();
    flight.extend(b"junk\n".repeat(2_000));
    flight.extend(b"STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n");
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut rest = &flight[..];
    // As a caller must: offer the rest again, and drain events and output until both are empty.
    loop {
        let n = s.receive(rest);
        rest = &rest[n..];
        loop {
            events.extend(std::iter::from_fn(|| s.poll_event()));
            out.extend(s.take_outgoing());
            if s.pending_events() == 0 {
                break;
            }
        }
        if rest.is_empty() {
            break;
        }
        assert!(n > 0 || s.pending_events() == 0, "the server stalled");
    }
    let out = String::from_utf8(out).unwrap();
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"), "{out}");
    assert_eq!(codes(&out).iter().filter(|&&c| c == 500).count(), 2_000);
    s.tls_established(summary()).unwrap();
    events.clear();
    events.extend(std::iter::from_fn(|| s.poll_event()));
    let discarded = events.iter().find_map(|e| match e {
        ServerEvent::PlaintextDiscarded { bytes, rules, .. } => {
            Some((bytes.clone(), rules.clone()))
        }
        _ => None,
    });
    assert_eq!(
        discarded,
        Some((
            "MAIL FROM:<evil@x.example>\\r\\n".to_string(),
            vec![RuleId::ServerDiscard]
        ))
    );
    let (out, after) = talk(&mut s, "EHLO tls.example\r\n");
    events.extend(after);
    let under_tls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::CommandReceived { command, under_tls } => {
                Some((command.clone(), *under_tls))
            }
            _ => None,
        })
        .collect();
    assert_eq!(under_tls.len(), 1, "{under_tls:?}");
    assert!(under_tls[0].1);
    assert_eq!(codes(&out), [250]);
}
