//! Every scenario of the catalogue reaches its expected outcome (asserted, not printed), its
//! masked transcript matches the golden file, and its trace survives a serde round trip.
//!
//! Golden files live in `tests/golden/<id>.txt`. To update them after an intended change:
//! `UPDATE_GOLDEN=1 cargo test -p starttls-sim --test scenarios`.
#![cfg(feature = "engine")]

use starttls_sim::trace::Trace;
use starttls_sim::{Engine, scenario, transcript};

fn all() -> Vec<(starttls_sim::Scenario, Trace)> {
    scenario::catalogue()
        .expect("catalogue parses")
        .into_iter()
        .map(|s| {
            let trace = Engine::simulate(&s).unwrap_or_else(|e| panic!("{}: {e}", s.id));
            (s, trace)
        })
        .collect()
}

#[test]
fn catalogue_has_at_least_fifteen_unique_scenarios_each_citing_rules() {
    let all = scenario::catalogue().unwrap();
    assert!(all.len() >= 15, "{}", all.len());
    let mut ids: Vec<_> = all.iter().map(|s| s.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "duplicate ids");
    for s in &all {
        assert!(!s.rules.is_empty(), "{} cites no rule", s.id);
        assert!(!s.goals.is_empty(), "{} has no learning goal", s.id);
        assert!(s.summary.len() > 80, "{} needs a real summary", s.id);
        assert_eq!(scenario::find(&s.id).unwrap(), *s);
    }
}

#[test]
fn every_scenario_reaches_its_expected_outcome() {
    let mut failures = Vec::new();
    for (s, trace) in all() {
        if let Err(misses) = s.expected.check(&trace.outcome) {
            failures.push(format!("{}: {}", s.id, misses.join("; ")));
        }
        assert!(
            trace.steps.len() < 400,
            "{}: {} steps",
            s.id,
            trace.steps.len()
        );
        for (i, step) in trace.steps.iter().enumerate() {
            assert_eq!(step.index, i, "{}", s.id);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn golden_transcripts_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for (s, trace) in all() {
        let text = transcript::render(&trace, true);
        let path = dir.join(format!("{}.txt", s.id));
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(golden) if golden == text => {}
            Ok(golden) => {
                let first = golden.lines().zip(text.lines()).position(|(a, b)| a != b);
                stale.push(format!(
                    "{}: differs at line {:?}",
                    s.id,
                    first.map(|l| l + 1)
                ));
            }
            Err(_) => stale.push(format!(
                "{}: no golden file (run with UPDATE_GOLDEN=1)",
                s.id
            )),
        }
    }
    assert!(stale.is_empty(), "{stale:#?}");
}

#[test]
fn traces_round_trip_through_json() {
    for (s, trace) in all() {
        let json = serde_json::to_string(&trace).unwrap();
        let back: Trace = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", s.id));
        assert_eq!(back, trace, "{}", s.id);
        assert_eq!(back.schema_version, starttls_sim::trace::SCHEMA_VERSION);
    }
}

#[test]
fn transcripts_use_the_swaks_like_markers() {
    let happy = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    let text = transcript::render(&happy, false);
    assert!(text.contains("\n-> EHLO client.example.org\n"), "{text}");
    // The ClientHello travels in the clear: a TLS record, not a flight under TLS.
    assert!(
        text.contains("\n=> The client sends ClientHello in the clear."),
        "{text}"
    );
    assert!(
        text.contains("\n<- 250 STARTTLS  [EXT-KEYWORD]\n"),
        "{text}"
    );
    assert!(text.contains("\n~> EHLO client.example.org"), "{text}");
    assert!(
        text.contains("\n!! The client forgets the server's extension list"),
        "{text}"
    );
    let strip = Engine::simulate(&scenario::find("strip-opportunistic").unwrap()).unwrap();
    assert!(transcript::render(&strip, false).contains("\n** The attacker deletes STARTTLS"));
    let required = Engine::simulate(&scenario::find("tls-required-530").unwrap()).unwrap();
    assert!(
        transcript::render(&required, false)
            .contains("!! Before TLS the server refuses MAIL with 530 5.7.0.  [REQUIRE-530]")
    );
}

#[test]
fn imports_name_the_field_and_position_of_errors() {
    let trace = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    let json = trace.to_json();
    assert_eq!(Trace::from_json(&json).unwrap(), trace);

    let bad_kind = json.replacen("\"kind\": \"bytes\"", "\"kind\": \"teleport\"", 1);
    let bad_kind = if bad_kind == json {
        json.replacen("\"kind\": \"reply\"", "\"kind\": \"teleport\"", 1)
    } else {
        bad_kind
    };
    let err = Trace::from_json(&bad_kind).unwrap_err();
    assert!(
        err.path.starts_with("steps[") && err.path.ends_with("].kind"),
        "{err}"
    );
    assert!(err.message.contains("teleport") && err.line > 0, "{err}");

    let err =
        Trace::from_json(&json.replacen("\"schema_version\": 2", "\"schema_version\": 99", 1))
            .unwrap_err();
    assert_eq!(err.path, "schema_version");
    let err = Trace::from_json("{\"steps\": []}").unwrap_err();
    assert_eq!(err.path, "schema_version");
    let err = Trace::from_json("not json").unwrap_err();
    assert_eq!((err.path.as_str(), err.line), (".", 1));
    let err = Trace::from_json(&json.replacen("\"index\": 1,", "\"index\": 7,", 1)).unwrap_err();
    assert_eq!(err.path, "steps[1].index", "{err}");
    // Arbitrary bytes never panic.
    for junk in [
        "",
        "{",
        "[]",
        "{\"schema_version\": 1}",
        "\u{0}\u{1}",
        "{\"schema_version\": 1, \"steps\": 5}",
    ] {
        assert!(Trace::from_json(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn json_paths_are_found_from_positions() {
    use starttls_sim::trace::json_path_at;
    let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": {\"d\": [true, false]}\n}";
    assert_eq!(json_path_at(text, 2, 19), "a[1].b");
    assert_eq!(json_path_at(text, 3, 20), "c.d[1]");
    assert_eq!(json_path_at(text, 1, 1), ".");
    assert_eq!(json_path_at("", 9, 9), ".");
    assert_eq!(json_path_at("{\"k\\\"q\": [", 1, 11), "k\\\"q[0]");
    let trace = Engine::simulate(&scenario::find("happy-path").unwrap()).unwrap();
    let json = trace.to_json().replacen("\"actor\": \"server\",\n", "", 1);
    let err = Trace::from_json(&json).unwrap_err();
    assert!(
        err.path.starts_with("steps[0]") && err.message.contains("missing field `actor`"),
        "{err}"
    );
}
