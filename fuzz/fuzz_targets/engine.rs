//! The engine on arbitrary policies, attacker modes, payloads and console lines, each dialogue
//! checked by `starttls_sim::invariants::check`: REQUIRE-530, NO-STARTTLS-AFTER,
//! SERVER-DISCARD, CLIENT-DISCARD, the citation audit and the JSON round trip.
//!
//! Input (`arbitrary`): a scenario of the catalogue; up to four policy overrides, each a
//! field of the server's, client's or TLS policy set to a value that field has in some
//! scenario of the catalogue (so every value is one the engine is meant to accept, and every
//! combination is fair game); an attacker mode with arbitrary payloads; and console entries
//! (a line typed on the client's connection, or raw bytes on the wire) at arbitrary steps.
//! A configuration the engine refuses must be refused with a named error.
//!
//! The JSON round trip takes most of `invariants::check`'s time, so it runs on the inputs
//! whose scenario byte is 224 or more (an eighth of them, every scenario among them); the
//! rules and the audit run on all (`invariants::dialogue`). The trace_import target fuzzes
//! the importer itself.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use starttls_sim::attacker::Attack;
use starttls_sim::console::{ConsoleEntry, ConsoleInput, simulate};
use starttls_sim::invariants;
use starttls_sim::scenario::{self, Scenario};
use starttls_sim::trace::Direction;

/// The catalogue, and for each policy field the values it takes across the catalogue.
struct Catalogue {
    scenarios: Vec<Scenario>,
    fields: Vec<(String, Vec<Value>)>,
}

fn leaves(prefix: &str, value: &Value, out: &mut BTreeMap<String, Vec<Value>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(&format!("{prefix}.{k}"), v, out);
            }
        }
        leaf => {
            let seen = out.entry(prefix.to_string()).or_default();
            if !seen.contains(leaf) {
                seen.push(leaf.clone());
            }
        }
    }
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let scenarios = scenario::catalogue().expect("the catalogue parses");
        let mut fields = BTreeMap::new();
        for s in &scenarios {
            let v = serde_json::to_value(s).expect("a scenario serialises");
            for section in ["server", "client", "tls"] {
                leaves(section, &v[section], &mut fields);
            }
        }
        Catalogue {
            scenarios,
            fields: fields.into_iter().collect(),
        }
    })
}

/// The attacker, mirrored so that `arbitrary` can build one.
#[derive(Arbitrary, Debug)]
enum Attacker {
    Catalogue,
    None,
    StripStarttls,
    RewriteStarttls(String),
    Replace220(String),
    InjectCommands(String),
    InjectReplies(String),
    TamperEhlo(Vec<String>, Vec<String>),
    FlipTlsByte(bool),
}

#[derive(Arbitrary, Debug)]
enum Typed {
    ClientLine(String),
    FromClient(Vec<u8>),
    FromServer(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    scenario: u8,
    overrides: Vec<(u16, u8)>,
    attacker: Attacker,
    console: Vec<(u8, Typed)>,
}

fuzz_target!(|input: Input| {
    let cat = catalogue();
    let mut s = cat.scenarios[input.scenario as usize % cat.scenarios.len()].clone();
    let overrides: Vec<(String, String)> = input
        .overrides
        .iter()
        .take(4)
        .map(|(field, value)| {
            let (key, values) = &cat.fields[*field as usize % cat.fields.len()];
            (
                key.clone(),
                values[*value as usize % values.len()].to_string(),
            )
        })
        .collect();
    s = match scenario::with_overrides(&s, &overrides) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    s.attacker = match input.attacker {
        Attacker::Catalogue => s.attacker,
        Attacker::None => Attack::None,
        Attacker::StripStarttls => Attack::StripStarttls,
        Attacker::RewriteStarttls(to) => Attack::RewriteStarttls { to },
        Attacker::Replace220(reply) => Attack::Replace220 { reply },
        Attacker::InjectCommands(payload) => Attack::InjectCommands { payload },
        Attacker::InjectReplies(payload) => Attack::InjectReplies { payload },
        Attacker::TamperEhlo(add, remove) => Attack::TamperEhlo { add, remove },
        Attacker::FlipTlsByte(from_client) => Attack::FlipTlsByte { from_client },
    };
    let mut console: Vec<ConsoleEntry> = input
        .console
        .into_iter()
        .take(3)
        .map(|(after, typed)| ConsoleEntry {
            after: after as usize % 64,
            input: match typed {
                Typed::ClientLine(line) => ConsoleInput::ClientLine(line),
                Typed::FromClient(b) => ConsoleInput::Injection(Direction::ClientToServer, b),
                Typed::FromServer(b) => ConsoleInput::Injection(Direction::ServerToClient, b),
            },
        })
        .collect();
    console.sort_by_key(|e| e.after);
    match simulate(&s, &console) {
        Ok(sim) => {
            let wrong = if input.scenario >= 224 {
                invariants::check(&s, &sim.trace)
            } else {
                invariants::dialogue(&s, &sim.trace)
            };
            assert!(wrong.is_empty(), "{}: {}", s.id, wrong.join("\n"));
        }
        // A policy the engine refuses is refused by name (PUBLIC-NO-REQUIRE, a CR in a
        // one-line attacker field, a console line after the client's TLS broke).
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
