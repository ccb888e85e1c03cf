//! Random sessions: at least 10,000 dialogues per run, each of a random scenario with random
//! policy overrides, attacker and console lines, and each checked against the invariants of
//! [`starttls_sim::invariants`] (REQUIRE-530, NO-STARTTLS-AFTER, SERVER-DISCARD,
//! CLIENT-DISCARD), the citation audit, and its JSON round trip. A failing case is shrunk
//! by proptest and printed. The sessions are the same each run (a fixed seed).
#![cfg(feature = "engine")]
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use starttls_sim::console::{ConsoleEntry, ConsoleInput, simulate};
use starttls_sim::trace::Direction;
use starttls_sim::{invariants, scenario};

/// Sessions per run: 10,000 (about 90 s in a debug build, 16 s optimised), or
/// `RANDOM_SESSIONS` for a longer or a quicker look.
fn sessions() -> u32 {
    std::env::var("RANDOM_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Policy fields and values a session may override.
const OVERRIDES: &[(&str, &[&str])] = &[
    ("server.require_tls", &["true", "false"]),
    (
        "server.starttls",
        &[
            "\"Offered\"",
            "\"NotOffered\"",
            "\"TemporarilyUnavailable\"",
            "\"AdvertisedButUnavailable\"",
        ],
    ),
    (
        "server.teaching.process_plaintext_after_starttls",
        &["true"],
    ),
    ("server.teaching.keep_pre_tls_knowledge", &["true"]),
    ("server.teaching.advertise_starttls_after_tls", &["true"]),
    (
        "client.tls",
        &["\"Never\"", "\"Opportunistic\"", "\"Required\""],
    ),
    ("client.pipelining", &["true", "false"]),
    ("client.accept_unauthenticated_tls", &["true", "false"]),
    ("client.teaching.keep_pre_tls_knowledge", &["true"]),
    (
        "client.teaching.accept_replies_buffered_after_220",
        &["true"],
    ),
    ("client.teaching.send_starttls_twice", &["true"]),
    (
        "tls.server_versions",
        &["[\"TLS1.2\"]", "[\"TLS1.3\"]", "[\"TLS1.3\",\"TLS1.2\"]"],
    ),
    ("tls.client_versions", &["[\"TLS1.2\"]", "[\"TLS1.3\"]"]),
    (
        "tls.server_identity",
        &[
            "\"Valid\"",
            "\"Expired\"",
            "\"WrongName\"",
            "\"SelfSigned\"",
        ],
    ),
];

/// Words an attacker's payload and a console line are made of.
const WORDS: &[&str] = &[
    "MAIL FROM:<m@evil.test>",
    "RCPT TO:<x@evil.test>",
    "DATA",
    "RSET",
    "NOOP",
    "QUIT",
    "STARTTLS",
    "EHLO evil.test",
    "250 OK",
    "250-mail.example.test",
    "250 AUTH PLAIN LOGIN",
    "220 go ahead",
    "454 4.7.0 TLS not available",
    "530 5.7.0 Must issue a STARTTLS command first",
    "\r\n",
    "\n",
    "\r",
    ".",
    "\0",
    "é",
    " ",
    "x",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..6).prop_map(|w| w.concat())
}

/// Text for a field that is one line (the engine refuses a line end there, by name).
fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..4).prop_map(|w| {
        let l: String = w
            .concat()
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .collect();
        if l.trim().is_empty() {
            "X-EXT".into()
        } else {
            l
        }
    })
}

fn attacker() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(r#"{"mode":"strip-starttls"}"#.to_string())),
        1 => line().prop_map(|t| Some(serde_json::json!({"mode": "rewrite-starttls", "to": t}).to_string())),
        1 => line().prop_map(|t| Some(serde_json::json!({"mode": "replace220", "reply": t}).to_string())),
        1 => text().prop_map(|t| Some(serde_json::json!({"mode": "inject-commands", "payload": t}).to_string())),
        1 => text().prop_map(|t| Some(serde_json::json!({"mode": "inject-replies", "payload": t}).to_string())),
        1 => (line(), prop::sample::subsequence(vec!["STARTTLS", "PIPELINING", "AUTH"], 0..3))
            .prop_map(|(a, r)| Some(serde_json::json!({"mode": "tamper-ehlo", "add": [a], "remove": r}).to_string())),
        1 => any::<bool>().prop_map(|c| Some(serde_json::json!({"mode": "flip-tls-byte", "from_client": c}).to_string())),
    ]
}

fn console() -> impl Strategy<Value = Vec<ConsoleEntry>> {
    let entry =
        (0usize..40, any::<bool>(), any::<bool>(), text()).prop_map(|(after, line, up, t)| {
            ConsoleEntry {
                after,
                input: if line {
                    ConsoleInput::ClientLine(t)
                } else {
                    let d = if up {
                        Direction::ClientToServer
                    } else {
                        Direction::ServerToClient
                    };
                    ConsoleInput::Injection(d, t.into_bytes())
                },
            }
        });
    prop::collection::vec(entry, 0..3).prop_map(|mut v| {
        v.sort_by_key(|e| e.after);
        v
    })
}

#[derive(Debug, Clone)]
struct Session {
    id: String,
    overrides: Vec<(String, String)>,
    console: Vec<ConsoleEntry>,
}

fn session(ids: Vec<String>) -> impl Strategy<Value = Session> {
    let pairs = prop::collection::vec(
        (0..OVERRIDES.len(), 0usize..4).prop_map(|(k, v)| {
            let (key, values) = OVERRIDES[k];
            (key.to_string(), values[v % values.len()].to_string())
        }),
        0..4,
    );
    (prop::sample::select(ids), pairs, attacker(), console()).prop_map(
        |(id, mut overrides, attack, console)| {
            if let Some(a) = attack {
                overrides.push(("attacker".into(), a));
            }
            Session {
                id,
                overrides,
                console,
            }
        },
    )
}

#[test]
fn ten_thousand_random_sessions_keep_every_invariant() {
    let ids: Vec<String> = scenario::catalogue()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    // The same sessions each run, so that a failure in CI is one anyone can rerun.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: sessions(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let ran = std::cell::Cell::new(0u32);
    let refused = std::cell::Cell::new(0u32);
    let result = runner.run(&session(ids), |s| {
        ran.set(ran.get() + 1);
        if std::env::var_os("RANDOM_SESSIONS_TRACE").is_some() {
            eprintln!(
                "session {}: {} {:?} {:?}",
                ran.get(),
                s.id,
                s.overrides,
                s.console
            );
        }
        let base = scenario::find(&s.id).unwrap();
        let Ok(effective) = scenario::with_overrides(&base, &s.overrides) else {
            refused.set(refused.get() + 1);
            return Ok(());
        };
        let sim = match simulate(&effective, &s.console) {
            Ok(sim) => sim,
            Err(e) => {
                // A configuration the engine refuses with a named error is not a dialogue.
                if refused.get() < 5 {
                    println!("refused: {e}");
                }
                refused.set(refused.get() + 1);
                return Ok(());
            }
        };
        let wrong = invariants::check(&effective, &sim.trace);
        prop_assert!(
            wrong.is_empty(),
            "{}: {:?}\n{}",
            s.id,
            s.overrides,
            wrong.join("\n")
        );
        Ok(())
    });
    let (ran, refused) = (ran.get(), refused.get());
    println!(
        "random sessions: {ran} run, {} simulated, {refused} refused by the engine",
        ran - refused
    );
    result.unwrap();
    assert!(ran >= sessions());
    // Most sessions must be dialogues; the others are policies the engine refuses by name
    // (PUBLIC-NO-REQUIRE, a console line after the client's TLS broke).
    assert!(refused * 4 < ran, "{refused} of {ran} refused");
}
