//! What the random sessions and the fuzz targets found, each kept as a test named after what
//! it broke.
#![cfg(feature = "engine")]

use starttls_protocol::rules::RuleId;
use starttls_sim::scenario::{find, with_overrides};
use starttls_sim::trace::{Actor, Trace};
use starttls_sim::{Engine, audit, invariants};

/// An engine whose `remote` side is a real peer, past its first steps.
fn remote(id: &str, side: Actor) -> (starttls_sim::Scenario, Engine) {
    let s = find(id).unwrap();
    let mut engine = Engine::with_remote(&s, side).unwrap();
    engine.run().unwrap();
    (s, engine)
}

/// Whether some step of the trace cites `rule`.
fn cites(t: &Trace, rule: RuleId) -> bool {
    t.steps.iter().any(|st| st.rules.contains(&rule))
}

fn run(id: &str, attacker: &str) -> (starttls_sim::Scenario, starttls_sim::trace::Trace) {
    let s = with_overrides(&find(id).unwrap(), &[("attacker".into(), attacker.into())]).unwrap();
    let t = Engine::simulate(&s).unwrap();
    (s, t)
}

/// Random sessions: an inject-replies attacker with an empty payload was a step that cited
/// CLIENT-DISCARD for an edit that changed nothing (the audit refused the citation).
#[test]
fn an_attacker_edit_that_changes_nothing_is_no_step_and_cites_no_rule() {
    for attacker in [
        r#"{"mode":"inject-replies","payload":""}"#,
        r#"{"mode":"inject-commands","payload":""}"#,
        r#"{"mode":"rewrite-starttls","to":"STARTTLS"}"#,
    ] {
        let (_, t) = run("starttls-parameter-501", attacker);
        assert!(
            t.steps.iter().all(|s| s.actor != Actor::Attacker),
            "{attacker}"
        );
        assert_eq!(audit::audit(&t), vec![], "{attacker}");
    }
}

/// Random sessions: the client was said to read an injected reply ("." after the 220) because
/// a real reply contained the same text; a compliant client discards what came after the 220.
#[test]
fn a_compliant_client_is_not_said_to_read_an_injected_reply_that_a_real_one_resembles() {
    let (s, t) = run("happy-path", r#"{"mode":"inject-replies","payload":"."}"#);
    assert!(!t.outcome.injected_reply_read);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    // The vulnerable client still reads a real injected reply.
    let (_, v) = run(
        "response-injection-vulnerable",
        r#"{"mode":"inject-replies","payload":"250 AUTH PLAIN LOGIN\r\n"}"#,
    );
    assert!(v.outcome.injected_reply_read);
}

/// Random sessions: a tamper-ehlo line holding a CRLF became two lines of the EHLO reply, and
/// the narration's EXT-KEYWORD no longer matched the list: such a line is refused, by name.
#[test]
fn an_attacker_line_holding_a_line_end_is_refused_with_the_field_named() {
    for attacker in [
        r#"{"mode":"tamper-ehlo","add":["MAIL FROM:<m@evil.test>\r\n"],"remove":[]}"#,
        r#"{"mode":"rewrite-starttls","to":"STARTTLS\r\nQUIT"}"#,
        r#"{"mode":"replace220","reply":"454 no\r\n250 yes"}"#,
    ] {
        let s = with_overrides(
            &find("happy-path").unwrap(),
            &[("attacker".into(), attacker.into())],
        )
        .unwrap();
        let e = Engine::new(&s).err().expect(attacker).to_string();
        assert!(e.contains("without CR or LF"), "{e}");
    }
}

/// Random sessions: commands appended after STARTTLS that read like STARTTLS itself were not
/// seen by the audit as appended (the citation of SERVER-DISCARD was refused).
#[test]
fn an_injected_line_that_reads_like_the_starttls_before_it_is_still_an_injection() {
    let (s, t) = run(
        "starttls-parameter-501",
        r#"{"mode":"inject-commands","payload":"STARTTLS"}"#,
    );
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    assert!(t.steps.iter().any(|s| s.actor == Actor::Attacker));
}

/// Random sessions: a rewritten STARTTLS that only began with the word (`STARTTLSMAIL …`)
/// cited CMD-SYNTAX, which is for STARTTLS with a parameter; and a multi-byte character at
/// its ninth byte must not break the check.
#[test]
fn a_rewrite_that_only_begins_with_starttls_is_not_cited_as_a_parameter() {
    for to in [
        "STARTTLSMAIL FROM:<m@evil.test>",
        "STARTTLSé x",
        "STARTTLS now",
    ] {
        let attacker = serde_json::json!({"mode": "rewrite-starttls", "to": to}).to_string();
        let (s, t) = run("starttls-parameter-501", &attacker);
        assert_eq!(invariants::check(&s, &t), Vec::<String>::new(), "{to}");
    }
}

/// Random sessions: the server was said to run an injected command because the client later
/// sent the same line itself under TLS (the console's EHLO); only kept plaintext can be the
/// attacker's.
#[test]
fn a_compliant_server_is_not_said_to_run_an_injected_command_the_client_sends_itself() {
    let s = with_overrides(
        &find("command-injection-compliant").unwrap(),
        &[("client.teaching.send_starttls_twice".into(), "true".into())],
    )
    .unwrap();
    let console = [starttls_sim::console::ConsoleEntry {
        after: 15,
        input: starttls_sim::console::ConsoleInput::ClientLine("EHLO evil.test".into()),
    }];
    let t = starttls_sim::console::simulate(&s, &console).unwrap().trace;
    assert!(!t.outcome.injected_command_run);
    let v = Engine::simulate(&find("command-injection-vulnerable").unwrap()).unwrap();
    assert!(v.outcome.injected_command_run);
}

/// Random sessions: bytes that reached a TLS connection after its peer's close_notify (a
/// console line typed after the client closed) made the engine loop forever on `read_tls`,
/// which reads nothing more then. The page would have frozen.
#[test]
fn bytes_after_a_close_notify_do_not_make_the_engine_loop() {
    let s = with_overrides(
        &find("happy-path").unwrap(),
        &[
            (
                "client.teaching.keep_pre_tls_knowledge".into(),
                "true".into(),
            ),
            (
                "client.teaching.accept_replies_buffered_after_220".into(),
                "true".into(),
            ),
            ("client.teaching.send_starttls_twice".into(), "true".into()),
            (
                "attacker".into(),
                r#"{"mode":"inject-replies","payload":"\r\n220 go aheadDATA\nSTARTTLS"}"#.into(),
            ),
        ],
    )
    .unwrap();
    let console = [starttls_sim::console::ConsoleEntry {
        after: 22,
        input: starttls_sim::console::ConsoleInput::ClientLine(
            "QUIT 250-mail.example.testDATA".into(),
        ),
    }];
    let t = starttls_sim::console::simulate(&s, &console).unwrap().trace;
    assert!(t.steps.len() < 200, "{} steps", t.steps.len());
}

/// Fuzzing (lab_session): a real client that sent `}` made the citation audit say the main
/// sentence showed Debug output, though the sentence only quoted the client's bytes. The
/// wording check now skips marks the peers put on the wire; the narration's own still fail.
#[test]
fn a_peer_byte_that_looks_like_debug_output_is_quoted_not_flagged() {
    let (s, mut engine) = remote("second-starttls-postfix", Actor::Client);
    engine.receive_remote(b"}\xCF").unwrap();
    let t = engine.trace();
    assert!(t.steps.iter().any(|st| st.text.contains(" }")));
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    // A Debug mark that no peer sent is still the narration's fault.
    let mut bad = t.clone();
    bad.steps[0].text.push_str(" Some(Ready)");
    assert!(!audit::audit(&bad).is_empty());
}

/// Lab faults: a real client's 10 MB line was refused by the machine (500, one line
/// buffered) but kept whole in the trace, four times over (bytes, plaintext, the sentence
/// and what the attacker reads): 94 MB at the peak. A lab trace now keeps the first
/// `REMOTE_BYTES_KEPT` bytes a peer sends, and each sentence quotes at most 512 bytes.
#[test]
fn a_peer_sending_without_end_does_not_grow_the_trace_without_end() {
    use starttls_sim::engine::REMOTE_BYTES_KEPT;
    let (_, mut engine) = remote("happy-path", Actor::Client);
    let chunk = vec![b'A'; 16 * 1024];
    for _ in 0..(4 * 1024 * 1024 / chunk.len()) {
        engine.receive_remote(&chunk).unwrap();
    }
    engine.receive_remote(b"\r\nQUIT\r\n").unwrap();
    let t = engine.trace();
    let kept: usize = t
        .steps
        .iter()
        .filter(|st| st.actor == Actor::Client)
        .filter_map(|st| st.bytes.as_ref().map(Vec::len))
        .sum();
    assert!(kept <= REMOTE_BYTES_KEPT, "{kept}");
    assert!(t.steps.iter().all(|st| st.text.len() < 2048));
    assert!(
        t.steps
            .iter()
            .any(|st| st.text.contains("The trace does not keep them"))
    );
    // The machine still read it all: the line was refused, and QUIT answered.
    let codes = &t.outcome.reply_codes;
    assert!(codes.contains(&500) && codes.contains(&221), "{codes:?}");
    assert!(t.to_json().len() < 8 * REMOTE_BYTES_KEPT);
    assert_eq!(audit::audit(&t), vec![]);
}

/// Fuzzing (lab_session, from its seeds): a real server that sends its greeting, its EHLO
/// reply and its 220 to STARTTLS in one flight, before the client asked, made the audit
/// contradict itself. It required ESC-2034 on a 220 that the client could only read as a
/// greeting (where RFC 2034 does not apply, and the audit refuses the citation), and it
/// refused EXT-KEYWORD on the client's decision because the client's knowledge snapshot was
/// taken before its learnt step. The audit now requires ESC-2034 only where it allows it,
/// and takes EXT-KEYWORD from the cleartext EHLO reply the client had received. Then it
/// required ESC-2034 on a real server's `221 2.0.0` read as a greeting: a real peer's replies
/// are its own, and the audit requires no citation on them (it still checks those given).
#[test]
fn a_server_that_sends_every_reply_at_once_gets_a_consistent_audit() {
    let (s, mut engine) = remote("happy-path", Actor::Server);
    engine
        .receive_remote(
            b"220 mail.example.test ESMTP ready\r\n250-mail.example.test at your service\r\n\
              250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n\
              220 2.0.0 Ready to start TLS\r\n",
        )
        .unwrap();
    let t = engine.trace();
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    let mut engine = Engine::with_remote(&s, Actor::Server).unwrap();
    engine.set_lab(starttls_sim::trace::LabSession {
        remote: Actor::Server,
        peer: "127.0.0.2:25".into(),
        local: "127.0.0.1:2525".into(),
        started: "2026-12-02T00:00:00Z".into(),
        software: None,
    });
    engine.run().unwrap();
    engine
        .receive_remote(b"221 2.0.0 mail.example.test closing connection\r\n")
        .unwrap();
    assert_eq!(audit::audit(&engine.trace()), vec![]);
}

/// Fuzzing (lab_session): a real client sent `STARTTLS` ended by a bare LF. The attacker took
/// it for the STARTTLS command and appended its commands after it, and the audit (rightly)
/// refused SERVER-DISCARD and PIPELINE-LAST there: a line ended by a bare LF is no command
/// (RFC 5321 §2.3.8). The attacker now finds STARTTLS as the server does, CRLF-terminated.
#[test]
fn starttls_ended_by_a_bare_lf_is_no_anchor_for_injected_commands() {
    let (_, mut engine) = remote("command-injection-compliant", Actor::Client);
    engine
        .receive_remote(b"EHLO client.example.org\r\nSTARTTLS\nE\r")
        .unwrap();
    let t = engine.trace();
    assert!(t.steps.iter().all(|st| st.actor != Actor::Attacker));
    assert_eq!(audit::audit(&t), vec![]);
}

/// Fuzzing (engine): a rewrite-starttls attacker whose text held a multi-byte character
/// across byte 8 panicked the engine (a `str` sliced inside a character): regression 5's fix
/// had kept one slice. The check compares bytes now.
#[test]
fn a_rewritten_starttls_with_a_multi_byte_character_at_byte_8_does_not_panic() {
    for to in [
        "mmmmmm\u{ecf0}x",
        "STARTTL\u{e9}x",
        "STARTTLS\u{e9}",
        "STARTTLS é",
    ] {
        let attacker = serde_json::json!({"mode": "rewrite-starttls", "to": to}).to_string();
        let (_, t) = run("happy-path", &attacker);
        assert!(!t.steps.is_empty(), "{to}");
    }
}

/// Fuzzing (engine): an injected EHLO reply with the keyword `[` made the client say
/// `malformed reply: invalid EHLO keyword "["`, and the audit took the quoted `["` for Debug
/// output. Quoted text a peer sent is the peer's; the narration's own marks still fail.
#[test]
fn a_quoted_peer_keyword_that_looks_like_debug_output_is_not_flagged() {
    let (s, t) = run(
        "response-injection-vulnerable",
        r#"{"mode":"inject-replies","payload":"250-mail.example.test\r\n250 [\r\n"}"#,
    );
    assert!(
        t.steps.iter().any(|st| st.text.contains(r#""[""#)),
        "the keyword is quoted"
    );
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    let mut bad = t.clone();
    bad.steps[0].text.push_str(r#" ["Zq9 unsent"]"#);
    assert!(
        !audit::audit(&bad).is_empty(),
        "a Debug list no peer sent is still flagged"
    );
}

/// Fuzzing (lab_session): a real client's unknown verb `STARTTLS1` made the server say
/// `command unrecognized: STARTTLS1.`, and the audit read `TLS1.`, the verb's end and the
/// sentence's full stop, as a Debug-like version name. A word a peer sent is the peer's; the
/// narration's own `TLS1.` still fails.
#[test]
fn a_peer_verb_that_ends_like_a_version_name_is_not_flagged() {
    let (s, mut engine) = remote("happy-path", Actor::Client);
    engine
        .receive_remote(b"EHLO client.example.org\r\nSTARTTLS1\r\n")
        .unwrap();
    let t = engine.trace();
    assert!(
        t.steps.iter().any(|st| st.text.contains("STARTTLS1.")),
        "the unknown verb ends a sentence"
    );
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
    let mut bad = t.clone();
    bad.steps[0].text.push_str(" It negotiated TLS1.3.");
    assert!(
        !audit::audit(&bad).is_empty(),
        "a version name no peer sent is still flagged"
    );
}

/// Fuzzing (engine): a tamper-ehlo attacker asked to remove a keyword the server never
/// listed (`["` and three NULs) was narrated as removing it, and the audit read the `["` of
/// that claim as Debug output. The narration now names only the removals that happened.
#[test]
fn a_tamper_ehlo_removal_of_an_unlisted_keyword_is_not_claimed() {
    let (s, t) = run(
        "ehlo-poisoning-compliant",
        r#"{"mode":"tamper-ehlo","add":["XCLIENT NAME"],"remove":["[\"\u0000","STARTTLS"]}"#,
    );
    let step = t
        .steps
        .iter()
        .find(|st| st.text.contains("edits the cleartext EHLO reply"))
        .expect("the attacker's step");
    assert!(step.text.contains("removes STARTTLS)"), "{}", step.text);
    assert!(!step.text.contains("[\""), "{}", step.text);
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
}

/// Fuzzing (engine): a console line `TLSv""1_` was quoted by the narration, and the audit,
/// dropping the empty quoted segment `""` as the peer's, glued the rest into the Debug-like
/// mark `TLSv1_`. A dropped segment now leaves a space.
#[test]
fn text_around_a_dropped_peer_quote_is_not_glued_into_a_mark() {
    use starttls_sim::console::{ConsoleEntry, ConsoleInput, simulate};
    let s = find("tls-required-530-no-esc").unwrap();
    let line = ConsoleEntry {
        after: 0,
        input: ConsoleInput::ClientLine(r#"NOOP TLSv""1_"#.into()),
    };
    let t = simulate(&s, &[line]).unwrap().trace;
    assert!(
        t.steps.iter().any(|st| st.text.contains(r#"TLSv""1_"#)),
        "the console line is quoted"
    );
    assert_eq!(audit::audit(&t), vec![]);
    let mut bad = t.clone();
    bad.steps[0].text.push_str(" It negotiated TLSv1_3.");
    assert!(
        !audit::audit(&bad).is_empty(),
        "the narration's own mark still fails"
    );
}

/// Fuzzing (lab_session): a real server sent its EHLO reply before the EHLO, in three reads,
/// and listed `STaRTTLS`. The client rightly read it as STARTTLS (extension keywords are not
/// case sensitive, RFC 5321 §2.4) and cited EXT-KEYWORD, but the audit looked for the
/// keyword in upper case only and refused the citation.
#[test]
fn a_starttls_keyword_in_mixed_case_is_still_the_keyword() {
    let (s, mut engine) = remote("tls-unavailable-454-opportunistic", Actor::Server);
    for read in [
        &b"220 mail.example.test at your service\r\n250-PIPELINING\r\n250-SIZE 10240000"[..],
        b"\r\n250-8BITMIME\r\n250-E0-SIZE 10240000",
        b"\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STaRTTLS\r\n\
          220 2.0.0 Ready to start TLS\r\n",
    ] {
        engine.receive_remote(read).unwrap();
    }
    let t = engine.trace();
    assert!(cites(&t, RuleId::ExtKeyword), "EXT-KEYWORD is cited");
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
}

/// Fuzzing (lab_session): a real client sent `STARTTLs`. The attacker rightly took it for
/// STARTTLS (commands are not case sensitive, RFC 5321 §2.4) and rewrote it, citing
/// STRIP-DEFENSE, but the audit looked for the deleted command in upper case only.
#[test]
fn a_starttls_command_in_mixed_case_is_still_the_command() {
    let (s, mut engine) = remote("starttls-parameter-501", Actor::Client);
    engine
        .receive_remote(b"EHLO client.example.org\r\nSTARTTLs\r\n")
        .unwrap();
    let t = engine.trace();
    assert!(
        cites(&t, RuleId::StripDefense),
        "the rewrite cites STRIP-DEFENSE"
    );
    assert_eq!(audit::audit(&t), vec![]);
    assert_eq!(invariants::check(&s, &t), Vec::<String>::new());
}
