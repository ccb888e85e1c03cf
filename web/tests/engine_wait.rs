//! The state while the engine module loads, in headless Chromium: the linked engine is held
//! (`engine::hold`) so that it answers as a module still loading, then released, and
//! `Action::EngineReady` computes what waited. Also the precomputed traces of the first view.
// It needs the linked engine (the default `inline-engine` feature) to hold it.
#![cfg(all(target_arch = "wasm32", feature = "inline-engine"))]

use std::rc::Rc;

use starttls_sim::compact;
use starttls_web::engine::{self, EngineError, precomputed};
use starttls_web::state::{Action, AppState, effective_scenario, simulate};
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

/// Holds the engine for as long as it lives (released even when an assertion fails).
struct Held;

impl Held {
    fn new() -> Self {
        engine::hold(true);
        Held
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        engine::hold(false);
    }
}

/// Whether the state's error names `text`.
fn error_says(s: &AppState, text: &str) -> bool {
    s.error.as_deref().is_some_and(|e| e.contains(text))
}

const TEACHING: &str = "server.teaching.process_plaintext_after_starttls";

#[wasm_bindgen_test]
fn a_link_with_overrides_waits_for_the_engine_then_opens_at_its_step() {
    let link =
        format!("?scenario=command-injection-compliant&set={TEACHING}=true&step=10&detail=all");
    let at_once = AppState::from_query(&link);
    let held = Held::new();
    let s = AppState::from_query(&link);
    assert!(s.awaits_trace());
    assert!(s.trace.is_none() && s.error.is_none(), "{:?}", s.error);
    assert!(s.notices.is_empty(), "{:?}", s.notices);
    assert_eq!(s.overrides.len(), 1);
    drop(held);
    let s = Rc::new(s).reduce(Action::EngineReady);
    assert!(s.awaiting.is_none());
    assert_eq!(s.index, 9);
    assert_eq!(s.index, at_once.index);
    assert_eq!(s.len(), at_once.len());
    assert_eq!(s.overrides, at_once.overrides);
    assert!(s.notices.is_empty(), "{:?}", s.notices);
    // A second EngineReady changes nothing.
    let again = s.clone().reduce(Action::EngineReady);
    assert!(Rc::ptr_eq(&s, &again));
}

#[wasm_bindgen_test]
fn overrides_the_engine_refuses_are_dropped_with_a_notice_after_the_wait() {
    let link = "?scenario=happy-path&step=3&set=server.require_tls=true&detail=all";
    let at_once = AppState::from_query(link);
    let held = Held::new();
    let s = AppState::from_query(link);
    assert!(s.awaits_trace());
    drop(held);
    let s = Rc::new(s).reduce(Action::EngineReady);
    assert_eq!(s.notices, at_once.notices);
    assert_eq!(s.overrides, at_once.overrides);
    assert_eq!(
        (s.index, s.error.clone()),
        (at_once.index, at_once.error.clone())
    );
}

#[wasm_bindgen_test]
fn a_step_past_the_end_is_named_once_the_dialogue_is_there() {
    let held = Held::new();
    let s = AppState::from_query("?scenario=tls-required-530&step=999&detail=all");
    assert!(s.awaits_trace());
    assert!(!s.notices.iter().any(|n| n.contains("step=999")));
    drop(held);
    let s = Rc::new(s).reduce(Action::EngineReady);
    assert!(
        s.notices.iter().any(|n| n.contains("step=999")),
        "{:?}",
        s.notices
    );
    assert_eq!(s.index + 1, s.len());
}

#[wasm_bindgen_test]
fn a_policy_change_while_loading_is_computed_once_ready_and_keeps_the_step() {
    let s = Rc::new(AppState::from_query(
        "?scenario=command-injection-compliant&detail=all",
    ))
    .reduce(Action::Goto(7));
    let held = Held::new();
    let s = s.reduce(Action::SetOverride(TEACHING.into(), "true".into()));
    assert!(s.awaits_trace() && s.trace.is_none());
    assert_eq!(s.index, 7);
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert!(s.trace.is_some() && s.awaiting.is_none());
    assert_eq!(s.index, 7);
    let scenario = effective_scenario("command-injection-compliant", &s.overrides).unwrap();
    assert_eq!(s.len(), simulate(&scenario, &[]).unwrap().trace.steps.len());
}

#[wasm_bindgen_test]
fn a_comparison_asked_for_while_loading_opens_once_ready() {
    let s = Rc::new(AppState::from_query("?scenario=strip-opportunistic"));
    let held = Held::new();
    let s = s.reduce(Action::Compare(Some((
        "strip-opportunistic".into(),
        "strip-required".into(),
    ))));
    assert!(s.compare.is_none());
    assert!(s.notices.is_empty(), "{:?}", s.notices);
    drop(held);
    let s = s.reduce(Action::EngineReady);
    let c = s.compare.as_ref().expect("the comparison");
    assert_eq!(
        (c.left.0.as_str(), c.right.0.as_str()),
        ("strip-opportunistic", "strip-required")
    );
}

#[wasm_bindgen_test]
fn an_import_during_the_wait_is_not_replaced_by_the_simulation() {
    let imported = {
        let scenario = effective_scenario("tls-required-530", &[]).unwrap();
        Rc::new(simulate(&scenario, &[]).unwrap().trace)
    };
    let held = Held::new();
    let s = Rc::new(AppState::from_query(
        "?scenario=command-injection-vulnerable",
    ));
    assert!(s.awaits_trace());
    let s = s.reduce(Action::Import("t.json".into(), imported.clone()));
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert_eq!(s.imported.as_deref(), Some("t.json"));
    assert!(Rc::ptr_eq(s.trace.as_ref().unwrap(), &imported));
}

#[wasm_bindgen_test]
fn an_engine_that_cannot_load_is_an_error_not_a_wait() {
    let _held = Held::new();
    let s = Rc::new(AppState::from_query("?scenario=ehlo-poisoning-vulnerable"));
    assert!(s.awaits_trace());
    let s = s.reduce(Action::EngineFailed("the network is down".into()));
    assert!(s.awaiting.is_none());
    assert!(error_says(&s, "the network is down"), "{:?}", s.error);
    // Later simulations say so too, instead of waiting for a load that ended.
    let s = s.reduce(Action::Select("ehlo-poisoning-compliant".into()));
    assert!(s.awaiting.is_none());
    assert!(error_says(&s, "the network is down"), "{:?}", s.error);
}

#[wasm_bindgen_test]
fn the_first_view_is_answered_from_a_precomputed_trace() {
    // Which traces a view needs before its first render.
    assert_eq!(precomputed::wanted(""), vec!["happy-path".to_string()]);
    assert_eq!(
        precomputed::wanted("?scenario=tls12-handshake&step=4"),
        vec!["tls12-handshake".to_string()]
    );
    assert_eq!(
        precomputed::wanted("?compare=strip-required,strip-opportunistic"),
        ["happy-path", "strip-required", "strip-opportunistic"]
            .map(String::from)
            .to_vec()
    );
    assert!(precomputed::wanted("?scenario=happy-path&set=server.require_tls=true").is_empty());
    assert!(precomputed::wanted("?live=ws://127.0.0.1:1/").is_empty());

    let scenario = effective_scenario("tls12-handshake", &[]).unwrap();
    let sim = simulate(&scenario, &[]).unwrap();
    let bytes = compact::encode(&sim).unwrap();
    // Refused: a file that holds another scenario's trace, a damaged one, an unknown id.
    assert!(
        precomputed::insert("happy-path", &bytes)
            .unwrap_err()
            .contains("tls12-handshake")
    );
    assert!(precomputed::insert("tls12-handshake", &bytes[..bytes.len() / 2]).is_err());
    assert!(precomputed::insert("no-such-scenario", &bytes).is_err());
    precomputed::insert("tls12-handshake", &bytes).unwrap();

    let _held = Held::new();
    assert_eq!(simulate(&scenario, &[]).unwrap(), sim);
    // With a console entry or a policy change, it is the engine's work again.
    let console = [starttls_sim::console::ConsoleEntry {
        after: 2,
        input: starttls_sim::console::ConsoleInput::ClientLine("NOOP".into()),
    }];
    assert_eq!(simulate(&scenario, &console), Err(EngineError::Loading));
    let changed =
        effective_scenario("tls12-handshake", &[(TEACHING.into(), "true".into())]).unwrap();
    assert_eq!(simulate(&changed, &[]), Err(EngineError::Loading));
    let s = AppState::from_query("?scenario=tls12-handshake&step=5&detail=all");
    assert!(!s.awaits_trace());
    assert_eq!(s.index, 4);
}

#[wasm_bindgen_test]
fn a_comparison_after_a_failed_load_is_refused_by_name() {
    let s = Rc::new(AppState::from_query("?scenario=strip-opportunistic"));
    let _held = Held::new();
    let s = s.reduce(Action::EngineFailed("the network is down".into()));
    let s = s.reduce(Action::Compare(Some((
        "strip-opportunistic".into(),
        "strip-required".into(),
    ))));
    assert!(!s.waiting());
    assert!(
        s.notices.iter().any(|n| n.contains("the network is down")),
        "{:?}",
        s.notices
    );
}

#[wasm_bindgen_test]
fn a_console_line_typed_while_loading_shows_its_first_step_once_ready() {
    let s = Rc::new(AppState::from_query(
        "?scenario=command-injection-compliant&detail=all",
    ))
    .reduce(Action::Goto(3));
    let at_once = s.clone().reduce(Action::Console(
        starttls_web::state::ConsoleInput::ClientLine("NOOP".into()),
    ));
    let held = Held::new();
    let s = s.reduce(Action::Console(
        starttls_web::state::ConsoleInput::ClientLine("NOOP".into()),
    ));
    assert!(s.awaits_trace());
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert_eq!(s.index, at_once.index);
    assert_eq!(s.console_marks, at_once.console_marks);
}

#[wasm_bindgen_test]
fn a_links_step_is_not_applied_to_another_scenario_chosen_meanwhile() {
    let held = Held::new();
    let s = Rc::new(AppState::from_query(&format!(
        "?scenario=command-injection-compliant&set={TEACHING}=true&step=12&detail=all"
    )));
    // While it waits, the address bar and a shared link keep the step the link asked for.
    assert!(s.query(false).contains("step=12"), "{}", s.query(false));
    let s = s.reduce(Action::Select("response-injection-compliant".into()));
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert_eq!(s.scenario_id, "response-injection-compliant");
    assert_eq!(s.index, 0);
    assert!(s.notices.is_empty(), "{:?}", s.notices);
}

#[wasm_bindgen_test]
fn a_waiting_comparison_stays_in_the_address_and_a_newer_one_replaces_it() {
    let held = Held::new();
    let s = Rc::new(AppState::from_query(
        "?compare=strip-opportunistic,strip-required&step=2",
    ));
    assert!(s.waiting());
    assert!(
        s.query(false)
            .contains("compare=strip-opportunistic,strip-required")
            && s.query(false).contains("step=2"),
        "{}",
        s.query(false)
    );
    let s = s.reduce(Action::Compare(Some((
        "tls-required-530".into(),
        "tls-required-530-no-esc".into(),
    ))));
    drop(held);
    let s = s.reduce(Action::EngineReady);
    let c = s.compare.as_ref().expect("the comparison");
    assert_eq!(c.left.0, "tls-required-530");
    assert_eq!(s.compare_pos, 0);
}

#[wasm_bindgen_test]
fn a_retry_after_a_failed_load_computes_the_dialogue_the_failure_stopped() {
    let held = Held::new();
    let s = Rc::new(AppState::from_query(
        "?scenario=second-starttls-postfix&step=4&detail=all",
    ));
    let s = s.reduce(Action::EngineFailed("the network is down".into()));
    assert!(s.trace.is_none() && s.error.is_some());
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert!(s.engine_failure.is_none());
    assert!(s.error.is_none(), "{:?}", s.error);
    assert!(s.trace.is_some());
    // A retry when nothing waited only forgets the failure.
    let held = Held::new();
    let s = s.reduce(Action::EngineFailed("again".into()));
    assert!(s.trace.is_some() && s.error.is_none());
    drop(held);
    let s = s.reduce(Action::EngineReady);
    assert!(s.engine_failure.is_none());
}
