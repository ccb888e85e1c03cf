//! The classroom features' pure logic, in headless Chromium: permalink parsing and writing
//! (never a panic on junk), the state a query asks for, quiz questions from real traces, the
//! quiz in the reducer, lesson progress, and the standalone SVG.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Actor, StepKind, Trace};
use starttls_web::state::{Action, AppState, effective_scenario, simulate};
use starttls_web::view::export::{base_name, standalone_svg};
use starttls_web::view::lesson::{Progress, STOPS};
use starttls_web::view::permalink::{
    Query, ViewOptions, parse_query, percent_decode, percent_encode, to_query,
};
use starttls_web::view::quiz::{QuestionKind, question_for, question_steps};
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

fn trace(id: &str) -> Trace {
    let scenario = effective_scenario(id, &[]).expect("scenario");
    simulate(&scenario, &[]).expect("simulation").trace
}

#[wasm_bindgen_test]
fn a_query_round_trips() {
    let q = Query {
        scenario: Some("command-injection-compliant".into()),
        step: Some(12),
        overrides: vec![
            ("server.require_tls".into(), "true".into()),
            (
                "attacker".into(),
                r#"{"mode":"inject-commands","payload":"MAIL FROM:<m@evil.test>\r\n"}"#.into(),
            ),
        ],
        view: ViewOptions {
            embed: true,
            quiz: true,
            knowledge: true,
            detail: true,
            ..ViewOptions::default()
        },
        compare: None,
        live: None,
    };
    let text = to_query(&q);
    assert!(
        text.starts_with("?scenario=command-injection-compliant&step=12&set=server.require_tls=true&set=attacker=%7B"),
        "{text}"
    );
    assert!(
        text.ends_with("&embed=1&quiz=1&panels=knowledge&detail=all"),
        "{text}"
    );
    let back = parse_query(&text);
    assert!(back.notices.is_empty(), "{:?}", back.notices);
    assert_eq!(back.query, q);
    assert_eq!(to_query(&Query::default()), "");
    assert_eq!(percent_decode("a%20b+c%zz%"), "a b c%zz%");
    assert_eq!(percent_decode(&percent_encode("é & = ?")), "é & = ?");
}

/// Found by the browser's random queries: a repeated parameter dropped its earlier value
/// without a word. The later one wins, and the notice names both; `set` and `panels` add up.
#[wasm_bindgen_test]
fn a_repeated_parameter_is_named_with_both_values() {
    let p = parse_query(
        "?scenario=no-dkat&scenario=tls-required-530&set=a.b=1&set=c.d=2&panels=wire&panels=states",
    );
    assert_eq!(p.query.scenario.as_deref(), Some("tls-required-530"));
    assert_eq!(p.notices.len(), 1, "{:?}", p.notices);
    assert!(p.notices[0].contains("no-dkat") && p.notices[0].contains("tls-required-530"));
    assert_eq!(p.query.overrides.len(), 2);
    assert!(p.query.view.wire && p.query.view.states);
}

#[wasm_bindgen_test]
fn junk_queries_give_notices_that_name_what_was_wrong() {
    let p = parse_query("?step=abc&set=nokey&embed=maybe&panels=wire,foo&colour=red&scenario=");
    let all = p.notices.join("\n");
    for name in ["abc", "nokey", "maybe", "foo", "colour", "scenario"] {
        assert!(all.contains(name), "{name} in {all}");
    }
    assert!(p.query.view.wire && !p.query.view.embed);
    assert_eq!(p.query.step, None);
    // Never a panic, whatever the bytes.
    for junk in [
        "%",
        "%%",
        "%f",
        "?&&&",
        "=",
        "?=x",
        "step=0",
        "step=-1",
        "step=99999999999999999999999",
        "set==",
        "set=%FF%FE=1",
        "?scenario=%E2%82",
        "panels=,,,",
        "\u{0}",
        "?a=b=c=d",
    ] {
        let p = parse_query(junk);
        let _ = to_query(&p.query);
    }
}

#[wasm_bindgen_test]
fn a_query_becomes_the_nearest_valid_state() {
    let s = AppState::from_query("?scenario=tls-required-530&step=4&present=1&detail=all");
    assert_eq!((s.scenario_id.as_str(), s.index), ("tls-required-530", 3));
    assert!(s.view.present && s.notices.is_empty());
    assert_eq!(s.query(false), "?scenario=tls-required-530&step=4");
    assert_eq!(
        s.query(true),
        "?scenario=tls-required-530&step=4&present=1&detail=all"
    );

    let s = AppState::from_query("?scenario=nope&step=9999&set=server.bogus=1&detail=all");
    assert_eq!(s.scenario_id, "happy-path");
    assert_eq!(s.index, s.len() - 1);
    let all = s.notices.join("\n");
    assert!(all.contains("\"nope\""), "{all}");
    assert!(all.contains("server.bogus"), "{all}");
    assert!(all.contains("step=9999"), "{all}");
    assert!(s.trace.is_some());

    // Overrides the engine refuses together are dropped with a notice; the dialogue shows.
    let s = AppState::from_query("?scenario=happy-path&set=server.require_tls=true&detail=all");
    assert!(s.trace.is_some() && s.overrides.is_empty(), "{:?}", s.error);
    assert_eq!(s.notices.len(), 1, "{:?}", s.notices);

    let s = AppState::from_query(
        "?scenario=command-injection-compliant&step=5&set=server.teaching.process_plaintext_after_starttls=true&detail=all",
    );
    assert_eq!(s.overrides.len(), 1);
    assert_eq!(s.index, 4);
    assert!(s.notices.is_empty(), "{:?}", s.notices);
}

#[wasm_bindgen_test]
fn quiz_questions_come_from_the_trace() {
    let t = trace("happy-path");
    let steps = question_steps(&t);
    assert!(steps.len() >= 8, "{steps:?}");
    // The reply to STARTTLS: 220, among plausible codes, citing CMD-220.
    let starttls = steps
        .iter()
        .filter_map(|&i| question_for(&t, i))
        .find(|q| q.prompt.contains("STARTTLS"))
        .expect("a question on the reply to STARTTLS");
    assert_eq!(starttls.kind, QuestionKind::ReplyCode);
    assert_eq!(starttls.choices[starttls.answer], "220");
    assert!((3..=4).contains(&starttls.choices.len()));
    assert!(starttls.choices.contains(&"454".to_string()));
    assert!(starttls.rules.contains(&RuleId::Cmd220));
    // The client's decision after reading 220: start the handshake.
    let decision = steps
        .iter()
        .filter_map(|&i| question_for(&t, i))
        .find(|q| q.kind == QuestionKind::ClientDecision)
        .expect("a client decision");
    assert!(decision.choices[decision.answer].starts_with("Start the TLS handshake"));
    assert!(decision.rules.contains(&RuleId::ClientHandshakeNext));
    // Every question of every scenario is well formed.
    for s in starttls_sim::scenario::catalogue().expect("catalogue") {
        let t = trace(&s.id);
        for i in question_steps(&t) {
            let q = question_for(&t, i).expect("question");
            assert!((3..=4).contains(&q.choices.len()), "{}: {:?}", s.id, q);
            assert!(q.answer < q.choices.len());
            let mut unique = q.choices.clone();
            unique.dedup();
            assert_eq!(unique.len(), q.choices.len(), "{}: {:?}", s.id, q.choices);
            let step = &t.steps[i];
            assert!(
                (step.actor == Actor::Server && step.kind == StepKind::Reply)
                    || (step.actor == Actor::Client
                        && matches!(step.kind, StepKind::Decision | StepKind::StateChange))
            );
        }
    }
    // The stripping attack: the client goes on in the clear (opportunistic) or quits.
    let t = trace("strip-required");
    let q = question_steps(&t)
        .into_iter()
        .filter_map(|i| question_for(&t, i))
        .find(|q| q.kind == QuestionKind::ClientDecision)
        .expect("decision");
    assert!(q.choices[q.answer].starts_with("Quit"), "{q:?}");
    assert!(q.rules.contains(&RuleId::StripDefense));
}

#[wasm_bindgen_test]
fn the_quiz_pauses_before_questions_and_keeps_score() {
    let s = Rc::new(AppState::from_query(
        "?scenario=happy-path&quiz=1&detail=all",
    ));
    let t = s.trace.clone().expect("trace");
    let first = question_steps(&t)
        .into_iter()
        .find(|&i| i > 0)
        .expect("a question");
    let mut s = s;
    for _ in 0..first {
        s = s.reduce(Action::Next);
    }
    assert_eq!(s.quiz.asking, Some(first));
    assert_eq!(s.index, first - 1, "the step waits for the answer");
    let again = s.clone().reduce(Action::Next);
    assert_eq!((again.index, again.quiz.asking), (first - 1, Some(first)));
    let q = question_for(&t, first).expect("question");
    let s = s.reduce(Action::Answer(q.answer));
    assert_eq!(s.index, first);
    assert_eq!((s.quiz.right, s.quiz.asked), (1, 1));
    assert!(s.quiz.answers[&first].correct);
    // Last stops at the next question; a wrong answer counts.
    let s = s.reduce(Action::Last);
    let next = s.quiz.asking.expect("asked on the way to the end");
    let wrong = (question_for(&t, next).expect("q").answer + 1) % 3;
    let s = s.reduce(Action::Answer(wrong));
    assert_eq!((s.quiz.right, s.quiz.asked), (1, 2));
    // An answer out of range, or without a question, changes nothing.
    let same = s.clone().reduce(Action::Answer(9));
    assert_eq!(same.quiz, s.quiz);
    // Turning the quiz off lets Last go to the end.
    let mut view = s.view;
    view.quiz = false;
    let s = s.reduce(Action::SetView(view)).reduce(Action::Last);
    assert_eq!(s.index, s.len() - 1);
    assert_eq!(s.quiz.asked, 0);
}

#[wasm_bindgen_test]
fn lesson_progress_is_recorded_and_survives_junk() {
    assert!(STOPS.len() >= 6);
    let ids: Vec<String> = starttls_sim::scenario::ids().map(str::to_string).collect();
    for stop in STOPS {
        assert!(ids.iter().any(|i| i == stop.scenario), "{}", stop.scenario);
        assert!(stop.answer < stop.choices.len());
        let s = starttls_sim::scenario::find(stop.scenario).expect("scenario");
        assert!(!s.goals.is_empty(), "{} has goals", stop.scenario);
    }
    let mut p = Progress::default();
    assert!(!p.answer((STOPS[0].answer + 1) % STOPS[0].choices.len()));
    assert!(p.passed.is_empty());
    assert!(p.answer(STOPS[0].answer));
    assert!(p.answer(STOPS[0].answer), "answering again is still right");
    assert_eq!(p.passed, vec![STOPS[0].scenario.to_string()]);
    p.go(1);
    let stored = p.to_json();
    assert_eq!(Progress::from_json(&stored), p);
    assert_eq!(Progress::from_json("not json"), Progress::default());
    let odd = Progress::from_json(r#"{"current": 999, "passed": ["happy-path", "nope"], "x": 1}"#);
    assert_eq!(odd.current, STOPS.len() - 1);
    assert_eq!(odd.passed, vec!["happy-path".to_string()]);
    let mut all = Progress::default();
    for (i, stop) in STOPS.iter().enumerate() {
        all.go(i);
        all.answer(stop.answer);
    }
    assert!(all.complete());
}

#[wasm_bindgen_test]
fn the_exported_svg_is_standalone() {
    let page = r#"<svg data-testid="diagram" class="diagram" viewBox="0 0 640 100" width="100%" style="aspect-ratio: 640 / 100"><g class="step"><text>EHLO &amp; co</text></g></svg>"#;
    let out = standalone_svg(page, "A <title>", 640.0, 100.0).expect("svg");
    assert!(out.starts_with("<?xml"));
    assert!(out.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    assert!(out.contains(r#" width="640" height="100">"#), "{out}");
    assert!(!out.contains("100%") && !out.contains("aspect-ratio"));
    assert!(out.contains("<title>A &lt;title&gt;</title>"));
    assert!(out.contains("<style>") && !out.contains("var(--"));
    assert!(out.contains("EHLO &amp; co"));
    let doc = web_sys::DomParser::new()
        .unwrap()
        .parse_from_string(&out, web_sys::SupportedType::ImageSvgXml)
        .unwrap();
    assert_eq!(
        doc.get_elements_by_tag_name("parsererror").length(),
        0,
        "{out}"
    );
    assert!(standalone_svg("<div>", "x", 1.0, 1.0).is_none());
    assert_eq!(base_name("happy-path"), "happy-path");
    assert_eq!(base_name("A b/c"), "a-b-c");
    assert_eq!(base_name(""), "trace");
}

#[wasm_bindgen_test]
fn an_imported_trace_replaces_the_simulation_until_another_is_chosen() {
    let t = trace("tls-required-530");
    let json = t.to_json();
    let back = Trace::from_json(&json).expect("round trip");
    assert_eq!(back, t);
    let s = Rc::new(AppState::from_query("?scenario=happy-path&detail=all"));
    let s = s.reduce(Action::Import("x.json".into(), Rc::new(back)));
    assert_eq!(s.imported.as_deref(), Some("x.json"));
    assert_eq!(s.scenario_id, "tls-required-530");
    assert_eq!(s.len(), t.steps.len());
    let s = s.reduce(Action::Select("tls-required-530".into()));
    assert!(
        s.imported.is_none(),
        "choosing the scenario goes back to the simulation"
    );
    let err = Trace::from_json(&json.replacen("\"kind\": \"reply\"", "\"kind\": \"teleport\"", 1))
        .expect_err("invalid kind");
    assert!(err.path.contains("kind"), "{err}");
    assert!(err.line > 0);
    let s = s.reduce(Action::ImportFailed(err.to_string()));
    assert!(s.import_error.is_some());
    let s = s.reduce(Action::DismissNotices);
    assert!(s.import_error.is_none());
}

/// Message-level stepping: one step per message or key moment, the decisions in between as
/// annotations that keep every rule; "Detail: every decision" restores the fine steps, and
/// the permalink keeps it.
#[wasm_bindgen_test]
fn message_level_steps_keep_every_rule_and_the_detail_toggle_restores_the_rest() {
    let s = Rc::new(AppState::from_query("?scenario=happy-path"));
    let all = s.len();
    let shown = s.visible_len();
    assert!(
        (18..=24).contains(&shown),
        "{shown} message-level steps of {all}"
    );
    let trace = s.trace.clone().expect("trace");
    let mut s = s;
    let mut seen = vec![s.index];
    for _ in 0..shown {
        s = s.reduce(Action::Next);
        if !seen.contains(&s.index) {
            seen.push(s.index);
        }
    }
    assert_eq!(
        seen,
        s.visible(),
        "Next visits the message-level steps in order"
    );
    let mut fine: Vec<RuleId> = trace.steps.iter().flat_map(|x| x.cited()).collect();
    fine.sort();
    fine.dedup();
    let mut coarse: Vec<RuleId> = s
        .visible()
        .into_iter()
        .flat_map(|i| s.annotations(i))
        .flat_map(|j| trace.steps[j].cited())
        .collect();
    coarse.sort();
    coarse.dedup();
    assert_eq!(
        fine, coarse,
        "every rule cited in detail is shown at message level"
    );
    // A decision's permalink opens on the message it annotates.
    let decision = trace
        .steps
        .iter()
        .position(|x| !x.headline)
        .expect("a decision");
    let s = Rc::new(AppState::from_query(&format!(
        "?scenario=happy-path&step={}",
        decision + 1
    )));
    assert!(s.index < decision && trace.steps[s.index].headline);
    let s = s.reduce(Action::ToggleDetail);
    assert_eq!(s.visible_len(), all);
    assert!(s.query(true).ends_with("&detail=all"), "{}", s.query(true));
    let s = s
        .reduce(Action::Goto(decision))
        .reduce(Action::ToggleDetail);
    assert!(trace.steps[s.index].headline && s.index < decision);
}

/// The state diagram is drawn from the protocol crate's table: every state of each side, the
/// current one marked, and the row the dialogue took last highlighted.
#[wasm_bindgen_test]
async fn the_state_diagram_highlights_the_transition_taken() {
    use starttls_web::components::state_diagram::{StateDiagram, StateDiagramProps};
    use starttls_web::view::knowledge::Side;
    let t = Rc::new(trace("happy-path"));
    // The step where the client reads 220 and moves to its handshake state.
    let i = t
        .steps
        .iter()
        .position(|s| {
            matches!(
                s.row,
                Some(starttls_sim::trace::TableRow::Client {
                    on: starttls_protocol::client::ClientTrigger::Starttls220,
                    ..
                })
            )
        })
        .expect("the 220 row");
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props = StateDiagramProps {
        trace: t.clone(),
        index: i,
        side: Side::Client,
    };
    yew::Renderer::<StateDiagram>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let html = root.inner_html();
    let states = starttls_protocol::client::ClientStateId::ALL.len();
    assert_eq!(html.matches("data-state=").count(), states, "{html}");
    let current = root
        .query_selector(r#"[data-testid="state-current"]"#)
        .unwrap()
        .expect("a current state");
    assert_eq!(
        current.get_attribute("data-state").as_deref(),
        Some("TlsHandshake")
    );
    let taken = root
        .query_selector(r#"[data-testid="transition-taken"]"#)
        .unwrap()
        .expect("the transition taken");
    assert_eq!(
        taken.get_attribute("data-from").as_deref(),
        Some("AwaitStarttls")
    );
    assert_eq!(
        taken.get_attribute("data-to").as_deref(),
        Some("TlsHandshake")
    );
    assert_eq!(
        root.query_selector_all(r#"[data-testid="transition-taken"]"#)
            .unwrap()
            .length(),
        1
    );
}

/// Compare mode: two scenarios in lockstep at message level; the permalink reproduces it.
#[wasm_bindgen_test]
fn compare_mode_steps_in_lockstep_and_round_trips() {
    let s = Rc::new(AppState::from_query(
        "?compare=command-injection-compliant,command-injection-vulnerable&step=3",
    ));
    let c = s.compare.clone().expect("a comparison");
    assert_eq!(s.compare_pos, 2);
    let d = c.divergence.clone().expect("they part");
    assert!(
        d.position > 0 && d.what.contains("Here they part"),
        "{}",
        d.what
    );
    let s = s.reduce(Action::Next).reduce(Action::Next);
    assert_eq!(s.compare_pos, 4);
    assert_eq!(
        s.query(false),
        "?compare=command-injection-compliant,command-injection-vulnerable&step=5"
    );
    let s = s.reduce(Action::Compare(None));
    assert!(s.compare.is_none());
    let s = AppState::from_query("?compare=happy-path,nope");
    assert!(
        s.compare.is_none() && s.notices.len() == 1,
        "{:?}",
        s.notices
    );
}

#[wasm_bindgen_test]
fn a_live_address_round_trips_and_a_non_websocket_one_is_named() {
    let parsed = parse_query("?live=ws%3A%2F%2F127.0.0.1%3A8090%2Flive%3Ftoken%3Dab12");
    assert_eq!(
        parsed.query.live.as_deref(),
        Some("ws://127.0.0.1:8090/live?token=ab12")
    );
    assert!(parsed.notices.is_empty(), "{:?}", parsed.notices);
    let back = to_query(&parsed.query);
    assert_eq!(parse_query(&back).query.live, parsed.query.live);
    let refused = parse_query("?live=http%3A%2F%2Fexample.org%2F");
    assert_eq!(refused.query.live, None);
    assert!(
        refused.notices[0].contains("not a WebSocket address"),
        "{:?}",
        refused.notices
    );
}
