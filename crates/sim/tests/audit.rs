//! The citation audit over every scenario and over random sessions, the transition tables'
//! coverage (every state change is a row, every row is reached), and a planted wrong
//! citation that the audit must catch.
#![cfg(feature = "engine")]

use starttls_protocol::client;
use starttls_protocol::rules::RuleId;
use starttls_protocol::server;
use starttls_sim::audit::audit;
use starttls_sim::engine::{Engine, RowTaken};
use starttls_sim::scenario::{self, Scenario};
use starttls_sim::trace::{Detail, SmtpItem, Trace};

/// A small deterministic generator (xorshift64*), so that a failing session can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }
}

/// Settings a random session draws from: policies, teaching toggles, TLS set-ups, attacks.
const KNOBS: &[(&str, &[&str])] = &[
    ("server.require_tls", &["true", "false"]),
    (
        "server.starttls",
        &[
            "Offered",
            "NotOffered",
            "TemporarilyUnavailable",
            "AdvertisedButUnavailable",
        ],
    ),
    (
        "server.second_starttls",
        &[
            "BadSequence503",
            "Postfix554",
            "OpenSmtpd503",
            "Aiosmtpd220",
        ],
    ),
    (
        "server.teaching.process_plaintext_after_starttls",
        &["true", "false"],
    ),
    ("server.teaching.keep_pre_tls_knowledge", &["true", "false"]),
    (
        "server.teaching.advertise_starttls_after_tls",
        &["true", "false"],
    ),
    ("server.security.min_tls_version", &["null", "\"TLS1.3\""]),
    (
        "server.security.require_client_certificate",
        &["true", "false"],
    ),
    ("client.tls", &["Never", "Opportunistic", "Required"]),
    ("client.on_454", &["ContinueInClear", "Quit"]),
    ("client.pipelining", &["true", "false"]),
    ("client.accept_unauthenticated_tls", &["true", "false"]),
    ("client.min_tls_version", &["null", "\"TLS1.3\""]),
    (
        "client.remembered_tls_peers",
        &["[]", "[\"mail.example.test\"]"],
    ),
    ("client.teaching.keep_pre_tls_knowledge", &["true", "false"]),
    (
        "client.teaching.accept_replies_buffered_after_220",
        &["true", "false"],
    ),
    ("client.teaching.send_starttls_twice", &["true", "false"]),
    (
        "client.expected_server_name",
        &["mail.example.test", "mx.other.test"],
    ),
    (
        "tls.server_identity",
        &["Valid", "WrongName", "SelfSigned", "Expired"],
    ),
    ("tls.cert_check", &["Rustls", "SmtpDecides"]),
    (
        "tls.server_versions",
        &["[\"TLS1.3\",\"TLS1.2\"]", "[\"TLS1.2\"]"],
    ),
    ("tls.request_client_certificate", &["true", "false"]),
    ("tls.client_certificate", &["true", "false"]),
    (
        "script.auth",
        &[
            "null",
            r#"{"username":"bob","password":"secret"}"#,
            r#"{"username":"bob","password":"wrong"}"#,
        ],
    ),
    (
        "server.accounts",
        &[r#"[{"username":"bob","password":"secret"}]"#],
    ),
    (
        "server.extensions_before_tls",
        &[
            r#"[{"keyword":"PIPELINING","params":[]},{"keyword":"ENHANCEDSTATUSCODES","params":[]},{"keyword":"STARTTLS","params":[]},{"keyword":"AUTH","params":["PLAIN"]}]"#,
            r#"[{"keyword":"ENHANCEDSTATUSCODES","params":[]},{"keyword":"AUTH","params":["PLAIN"]}]"#,
        ],
    ),
    ("client.allow_auth_without_tls", &["true", "false"]),
];

const ATTACKS: &[&str] = &[
    r#"{"mode":"none"}"#,
    r#"{"mode":"strip-starttls"}"#,
    r#"{"mode":"rewrite-starttls","to":"STARTTLS now"}"#,
    r#"{"mode":"rewrite-starttls","to":"XTARTTLS"}"#,
    r#"{"mode":"replace220","reply":"454 4.7.0 TLS not available due to temporary reason"}"#,
    r#"{"mode":"replace220","reply":"501 5.5.4 Syntax error"}"#,
    r#"{"mode":"inject-commands","payload":"RSET\r\nMAIL FROM:<mallory@evil.test>\r\nRCPT TO:<mallory@evil.test>\r\nDATA\r\n"}"#,
    r#"{"mode":"inject-replies","payload":"250-mail.example.test\r\n250 AUTH PLAIN\r\n"}"#,
    r#"{"mode":"tamper-ehlo","add":["AUTH PLAIN LOGIN"],"remove":["STARTTLS"]}"#,
    r#"{"mode":"flip-tls-byte","from_client":true}"#,
    r#"{"mode":"flip-tls-byte","from_client":false}"#,
];

/// Lines typed at the console.
const CONSOLE: &[&str] = &[
    "HELO console.example",
    "EHLO console.example",
    "STARTTLS",
    "STARTTLS now",
    "RSET",
    "NOOP",
    "AUTH PLAIN",
    "AGJvYgBzZWNyZXQ=",
    "MAIL FROM:<carol@example.org>",
    "RCPT TO:<bob@example.test>",
    "DATA",
    "VRFY bob",
    "FROB",
    "QUIT",
];

fn random_scenario(rng: &mut Rng, bases: &[Scenario]) -> (Scenario, Vec<(String, String)>) {
    let base = rng.pick(bases);
    let mut sets: Vec<(String, String)> = Vec::new();
    for (key, values) in KNOBS {
        if rng.chance(3) {
            sets.push((key.to_string(), rng.pick(values).to_string()));
        }
    }
    if rng.chance(2) {
        sets.push(("attacker".into(), rng.pick(ATTACKS).to_string()));
    }
    // A publicly referenced server may not require TLS: keep the policy valid.
    sets.push(("server.publicly_referenced".into(), "false".into()));
    match scenario::with_overrides(base, &sets) {
        Ok(s) => (s, sets),
        Err(_) => (base.clone(), Vec::new()),
    }
}

fn assert_clean(label: &str, trace: &Trace) {
    let findings = audit(trace);
    assert!(
        findings.is_empty(),
        "{label}: {} finding(s):\n{}",
        findings.len(),
        findings
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

type Rows = (
    Vec<(client::ClientStateId, client::ClientTrigger)>,
    Vec<(server::ServerStateId, server::ServerTrigger)>,
);

fn note_rows(engine: &Engine, rows: &mut Rows) {
    for row in engine.rows_taken() {
        match *row {
            RowTaken::Client(from, on) => rows.0.push((from, on)),
            RowTaken::Server(from, on) => rows.1.push((from, on)),
        }
    }
}

/// The rows of `table` that no taken (state, trigger) pair reached, less the `scripted` ones.
fn dead_rows<S: Copy + Eq + std::fmt::Debug + std::fmt::Display, T: Copy + Eq>(
    table: &[starttls_protocol::transition::Transition<S, T>],
    taken: &[(S, T)],
    label: impl Fn(T) -> String,
    scripted: &[&str],
) -> Vec<String> {
    table
        .iter()
        .filter(|t| {
            !taken
                .iter()
                .any(|(from, on)| t.on == *on && t.from.is_none_or(|f| f == *from))
        })
        .map(|t| format!("{:?} --{}--> {}", t.from, label(t.on), t.to))
        .filter(|r| !scripted.contains(&r.as_str()))
        .collect()
}

fn run(s: &Scenario) -> Engine {
    let mut engine = Engine::new(s).unwrap();
    engine.run().unwrap();
    engine
}

#[test]
fn every_citation_of_every_scenario_passes_the_audit() {
    for s in scenario::catalogue().unwrap() {
        let trace = Engine::simulate(&s).unwrap();
        assert_clean(&s.id, &trace);
    }
}

/// At least 1,000 random sessions per run: random policies, attacks and payloads.
#[test]
fn random_sessions_pass_the_audit_and_reach_every_table_row() {
    let bases = scenario::catalogue().unwrap();
    let mut rng = Rng(0x5EED_3207_2002_0002);
    let mut rows: Rows = (Vec::new(), Vec::new());
    for s in &bases {
        note_rows(&run(s), &mut rows);
    }
    // Directed sessions for the rows that need several settings at once.
    let auth = [
        ("script.auth", r#"{"username":"bob","password":"secret"}"#),
        (
            "server.accounts",
            r#"[{"username":"bob","password":"secret"}]"#,
        ),
        (
            "server.extensions_before_tls",
            r#"[{"keyword":"ENHANCEDSTATUSCODES","params":[]},{"keyword":"STARTTLS","params":[]},{"keyword":"AUTH","params":["PLAIN"]}]"#,
        ),
        ("client.allow_auth_without_tls", "true"),
    ];
    let directed: [&[(&str, &str)]; 3] = [
        &[("server.starttls", "AdvertisedButUnavailable")],
        &[("client.tls", "Never")],
        &[
            ("server.require_tls", "true"),
            ("server.publicly_referenced", "false"),
            ("attacker", r#"{"mode":"strip-starttls"}"#),
        ],
    ];
    for extra in directed {
        let sets: Vec<(String, String)> = auth
            .iter()
            .chain(extra.iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = scenario::with_overrides(&scenario::find("happy-path").unwrap(), &sets).unwrap();
        let engine = run(&s);
        assert_clean(&format!("directed {sets:?}"), &engine.trace());
        note_rows(&engine, &mut rows);
    }
    let sessions = 1_500;
    for i in 0..sessions {
        let (s, sets) = random_scenario(&mut rng, &bases);
        let Ok(mut engine) = Engine::new(&s) else {
            continue;
        };
        // Sometimes a person types at the console on the client's connection mid-dialogue.
        let mut typed = Vec::new();
        if rng.chance(3) {
            let at = (rng.next() % 30) as usize;
            engine.run_steps(at).unwrap();
            for _ in 0..=(rng.next() % 3) {
                let line = *rng.pick(CONSOLE);
                // Typing into a closed connection is refused with a message, not a panic.
                if engine.push_client_line(line).is_ok() {
                    typed.push(line);
                }
            }
        }
        engine
            .run()
            .unwrap_or_else(|e| panic!("session {i} ({}, {sets:?}, typed {typed:?}): {e}", s.id));
        let trace = engine.trace();
        assert_clean(
            &format!("session {i} ({}, {sets:?}, typed {typed:?})", s.id),
            &trace,
        );
        note_rows(&engine, &mut rows);
    }
    // Rows only scripted peers reach (the engine's client always sends EHLO first, and its
    // server never refuses EHLO or sends 421): the protocol crate's test
    // `pair::table_rows_only_scripted_peers_reach` drives each of them.
    let scripted_client = [
        "None --421--> Closed",
        "None --malformed or unexpected reply--> Closed",
        "Some(AwaitGreeting) --greeting not 220--> AwaitQuit",
        "Some(AwaitEhlo) --5xx to EHLO--> AwaitHelo",
        "Some(AwaitHelo) --250 to HELO; MAIL next--> Transaction",
        "Some(AwaitHelo) --250 to HELO, no STARTTLS; MAIL next--> Transaction",
        "Some(AwaitHelo) --250 to HELO, no STARTTLS; QUIT next--> AwaitQuit",
        "Some(AwaitHelo) --HELO refused--> AwaitQuit",
    ];
    let scripted_server = [
        "Some(Initial) --STARTTLS under TLS → 220--> TlsHandshake",
        "Some(TlsHandshake) --handshake complete (teaching: nothing to keep)--> Initial",
        "Some(TlsHandshake) --handshake complete (teaching: session and envelope kept)--> Transaction",
    ];
    // Every row is reached by some scenario or random session (no dead rows) ...
    let dead_client = dead_rows(
        client::TRANSITIONS,
        &rows.0,
        |on| on.label(),
        &scripted_client,
    );
    let dead_server = dead_rows(
        server::TRANSITIONS,
        &rows.1,
        |on| on.label().to_string(),
        &scripted_server,
    );
    assert!(
        dead_client.is_empty(),
        "client rows never reached: {dead_client:#?}"
    );
    assert!(
        dead_server.is_empty(),
        "server rows never reached: {dead_server:#?}"
    );
}

/// A wrong citation planted in a real trace makes the audit fail.
#[test]
fn a_wrong_citation_is_caught() {
    let mut trace = Engine::simulate(&scenario::find("starttls-parameter-501").unwrap()).unwrap();
    assert_clean("starttls-parameter-501", &trace);
    // Cite CLIENT-454-DECIDE on the 501 to STARTTLS, as the old transcripts did.
    let planted = trace.steps.iter_mut().find_map(|s| match &mut s.detail {
        Detail::Wire(v) => v.smtp.iter_mut().find_map(|i| match i {
            SmtpItem::Reply { reply, rules, .. } if reply.code == 501 => {
                rules.push(RuleId::Client454Decide);
                Some(())
            }
            _ => None,
        }),
        _ => None,
    });
    assert!(planted.is_some());
    let findings = audit(&trace);
    println!("audit of the planted citation:");
    for f in &findings {
        println!("  {f}");
    }
    assert!(
        findings
            .iter()
            .any(|f| f.rule == Some(RuleId::Client454Decide))
    );
    // And ESC-2034 on a reply without an enhanced code.
    let mut trace = Engine::simulate(&scenario::find("tls-required-530-no-esc").unwrap()).unwrap();
    assert_clean("tls-required-530-no-esc", &trace);
    for s in &mut trace.steps {
        if let Detail::Wire(v) = &mut s.detail {
            for i in &mut v.smtp {
                if let SmtpItem::Reply { rules, .. } = i {
                    rules.push(RuleId::Esc2034);
                }
            }
        }
    }
    assert!(
        audit(&trace)
            .iter()
            .any(|f| f.rule == Some(RuleId::Esc2034))
    );
}

/// A scenario's `rules` list is a claim to the reader ("this run shows these rules"): each
/// one must be cited somewhere in its trace.
#[test]
fn every_rule_a_scenario_lists_is_cited_in_its_trace() {
    let mut missing = Vec::new();
    for s in scenario::catalogue().unwrap() {
        let trace = Engine::simulate(&s).unwrap();
        let cited: Vec<RuleId> = trace.steps.iter().flat_map(|st| st.cited()).collect();
        for rule in &s.rules {
            if !cited.contains(rule) {
                missing.push(format!("{}: {rule}", s.id));
            }
        }
    }
    assert!(missing.is_empty(), "listed but never cited: {missing:#?}");
}
