//! The visualizer's logic and components, in headless Chromium: the pure functions of
//! `starttls_web::view` on real engine traces, the reducer, and the rendered app driven by
//! clicks and keys.
#![cfg(target_arch = "wasm32")]

use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Detail, Direction, StepKind, Trace};
use starttls_web::state::{
    Action, AppState, ConsoleInput, effective_scenario, simulate, typed_bytes,
};
use starttls_web::view::enforcement::{refusals, reply_summary};
use starttls_web::view::hex::{Region, hex_rows};
use starttls_web::view::knowledge::{ItemState, KnowledgeRow, Side, knowledge_rows};
use starttls_web::view::labels::{arrow_label, handshake_span};
use starttls_web::view::policy::{FieldKind, policy_groups};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

fn trace(id: &str) -> Trace {
    let scenario = effective_scenario(id, &[]).expect("scenario");
    simulate(&scenario, &[]).expect("simulation").trace
}

fn find(trace: &Trace, pred: impl Fn(&starttls_sim::trace::Step) -> bool) -> usize {
    trace.steps.iter().position(pred).expect("step")
}

fn row<'a>(rows: &'a [KnowledgeRow], key: &str, state: ItemState) -> Option<&'a KnowledgeRow> {
    rows.iter().find(|r| r.key == key && r.state == state)
}

#[wasm_bindgen_test]
fn happy_path_discards_at_the_handshake_and_refills_after_ehlo() {
    let t = trace("happy-path");
    let server_discard = find(&t, |s| {
        s.kind == StepKind::KnowledgeDiscarded && s.actor == starttls_sim::trace::Actor::Server
    });
    let client = knowledge_rows(&t, server_discard, Side::Client);
    let server = knowledge_rows(&t, server_discard, Side::Server);
    let ext =
        row(&client, "Extensions", ItemState::Discarded).expect("client extensions discarded");
    assert_eq!(ext.rule, Some(RuleId::ClientDiscard));
    assert!(row(&client, "Greeting", ItemState::Discarded).is_some());
    let name =
        row(&server, "ClientName", ItemState::Discarded).expect("server EHLO name discarded");
    assert_eq!(name.rule, Some(RuleId::ServerDiscard));
    assert!(name.fresh, "discarded at this very step");
    assert!(server.iter().all(|r| r.state != ItemState::Known));

    // Before the handshake, the same items are known, learnt in cleartext.
    let before = knowledge_rows(&t, server_discard.saturating_sub(12), Side::Client);
    assert!(before.iter().all(|r| r.state == ItemState::Known));

    // After the second EHLO the client's list is back, learnt under TLS, without STARTTLS.
    let refill = find(&t, |s| {
        s.tls
            && s.kind == StepKind::KnowledgeLearnt
            && s.actor == starttls_sim::trace::Actor::Client
    });
    let client = knowledge_rows(&t, refill, Side::Client);
    let ext = row(&client, "Extensions", ItemState::Known).expect("extensions known again");
    assert_eq!(
        ext.provenance,
        starttls_protocol::knowledge::Provenance::Tls
    );
    assert!(!ext.value.contains("STARTTLS"), "{}", ext.value);
    assert!(
        row(&client, "Extensions", ItemState::Discarded).is_none(),
        "the refill replaces the struck-through item"
    );
}

#[wasm_bindgen_test]
fn injection_is_discarded_by_a_compliant_server_and_flagged_when_retained() {
    let compliant = trace("command-injection-compliant");
    let last = compliant.steps.len() - 1;
    let rows = knowledge_rows(&compliant, last, Side::Server);
    assert!(
        row(&rows, "BufferedInput", ItemState::Discarded).is_some(),
        "{rows:?}"
    );
    assert!(row(&rows, "BufferedInput", ItemState::Violation).is_none());

    let vulnerable = trace("command-injection-vulnerable");
    let last = vulnerable.steps.len() - 1;
    let rows = knowledge_rows(&vulnerable, last, Side::Server);
    let v = row(&rows, "BufferedInput", ItemState::Violation).expect("retained plaintext flagged");
    assert_eq!(v.rule, Some(RuleId::ServerDiscard));
    assert!(v.value.contains("mallory"));

    let responses = trace("response-injection-vulnerable");
    let last = responses.steps.len() - 1;
    let rows = knowledge_rows(&responses, last, Side::Client);
    assert!(
        row(&rows, "BufferedInput", ItemState::Violation).is_some(),
        "{rows:?}"
    );
    let responses = trace("response-injection-compliant");
    let last = responses.steps.len() - 1;
    let rows = knowledge_rows(&responses, last, Side::Client);
    assert!(
        row(&rows, "BufferedInput", ItemState::Discarded).is_some(),
        "{rows:?}"
    );
}

#[wasm_bindgen_test]
fn knowledge_kept_against_the_rules_is_a_violation() {
    let t = trace("ehlo-poisoning-vulnerable");
    let kept = find(&t, |s| {
        s.kind == StepKind::KnowledgeDiscarded && s.violation
    });
    let rows = knowledge_rows(&t, kept, Side::Client);
    let greeting = row(&rows, "Greeting", ItemState::Violation).expect("greeting flagged");
    assert_eq!(greeting.rule, Some(RuleId::ClientDiscard));
}

#[wasm_bindgen_test]
fn a_non_compliant_toggle_flags_the_item_that_should_have_gone() {
    let base = effective_scenario("happy-path", &[]).expect("scenario");
    let overrides = [(
        "server.teaching.keep_pre_tls_knowledge".to_string(),
        "true".to_string(),
    )];
    let scenario = starttls_sim::scenario::with_overrides(&base, &overrides).expect("override");
    let t = simulate(&scenario, &[]).expect("simulation").trace;
    let kept = find(&t, |s| {
        s.violation
            && s.actor == starttls_sim::trace::Actor::Server
            && s.kind == StepKind::KnowledgeDiscarded
    });
    let rows = knowledge_rows(&t, kept, Side::Server);
    let name = row(&rows, "ClientName", ItemState::Violation).expect("EHLO name flagged");
    assert_eq!(name.rule, Some(RuleId::ServerDiscard));
    assert_eq!(
        name.provenance,
        starttls_protocol::knowledge::Provenance::Cleartext
    );
}

#[wasm_bindgen_test]
fn refusals_name_the_command_the_code_and_the_rule() {
    let t = trace("tls-required-530");
    let step = find(&t, |s| !refusals(s).is_empty());
    let r = refusals(&t.steps[step]);
    assert!(!r.is_empty());
    assert!(
        r.iter()
            .all(|r| r.code == 530 && r.rule == Some(RuleId::Require530))
    );
    assert_eq!(r[0].command.as_deref(), Some("MAIL"));
    assert_eq!(r[0].enhanced.as_deref(), Some("5.7.0"));

    for id in [
        "server-554-no-client-cert",
        "server-554-tls12-below-minimum",
    ] {
        let t = trace(id);
        let first = find(&t, |s| !refusals(s).is_empty());
        let mut banners = 0;
        for step in &t.steps[first..] {
            if step.kind != StepKind::Reply {
                continue;
            }
            let replies = reply_summary(step);
            let refused = refusals(step);
            let not_quit = replies.iter().filter(|r| !r.ends_with(" QUIT")).count();
            assert_eq!(refused.len(), not_quit, "{id}: {replies:?}");
            assert!(
                refused
                    .iter()
                    .all(|r| r.code == 554 && r.rule == Some(RuleId::Server554))
            );
            banners += refused.len();
        }
        assert!(banners >= 1, "{id}");
    }
    let happy = trace("happy-path");
    assert!(happy.steps.iter().all(|s| refusals(s).is_empty()));
}

#[wasm_bindgen_test]
fn hex_dump_marks_record_boundaries_and_the_diagram_brackets_the_handshake() {
    let t = trace("happy-path");
    let flight = find(&t, |s| {
        s.kind == StepKind::TlsFlight && s.direction == Some(Direction::ServerToClient)
    });
    let step = &t.steps[flight];
    let bytes = step.bytes.as_deref().expect("bytes");
    let starttls_sim::trace::Detail::Wire(view) = &step.detail else {
        panic!("wire detail")
    };
    let rows = hex_rows(bytes, &view.records, 4096);
    assert_eq!(rows.iter().map(|r| r.len).sum::<usize>(), bytes.len());
    assert_eq!(rows[0].segments[0].region, Region::Header(0));
    assert!(
        rows[0].segments[0].hex.starts_with("16 03 03"),
        "a handshake record header"
    );
    let headers = rows
        .iter()
        .flat_map(|r| &r.segments)
        .filter(|s| matches!(s.region, Region::Header(_)))
        .count();
    assert!(headers >= view.records.len());
    assert!(
        arrow_label(step).starts_with("ServerHello"),
        "{}",
        arrow_label(step)
    );

    let (start, end) = handshake_span(&t).expect("a handshake");
    assert_eq!(t.steps[start].kind, StepKind::TlsFlight);
    assert!(t.steps[end].client.tls.is_active() && t.steps[end].server.tls.is_active());
    assert!(handshake_span(&trace("tls-required-530")).is_none());

    let plain = hex_rows(b"EHLO x\r\n", &[], 4096);
    assert_eq!(plain[0].segments[0].ascii, "EHLO x..");
}

#[wasm_bindgen_test]
fn typed_text_and_url_and_keys() {
    assert_eq!(typed_bytes("RSET"), b"RSET\r\n");
    assert_eq!(typed_bytes("A\\r\\nB\\r\\n"), b"A\r\nB\r\n");
    assert_eq!(
        starttls_web::scenario_param("?x=1&scenario=tls-required-530").as_deref(),
        Some("tls-required-530")
    );
    assert_eq!(starttls_web::scenario_param("?scenario="), None);
    use starttls_web::hooks::shortcut_for;
    assert_eq!(shortcut_for("ArrowRight", "BODY"), Some(Action::Next));
    assert_eq!(shortcut_for("ArrowRight", "INPUT"), None);
    assert_eq!(shortcut_for(" ", "BUTTON"), None);
    assert_eq!(shortcut_for(" ", "BODY"), Some(Action::TogglePlay));
    use starttls_web::hooks::presenter_key;
    assert_eq!(presenter_key("PageDown", "BODY"), Some(Action::Next));
    assert_eq!(presenter_key("PageUp", "DIV"), Some(Action::Prev));
    assert_eq!(
        presenter_key("PageDown", "input"),
        None,
        "a text field keeps its keys"
    );
    assert_eq!(presenter_key("PageDown", "SELECT"), None);
    assert_eq!(shortcut_for("?", "DIV"), Some(Action::ToggleHelp));
    assert_eq!(shortcut_for("Escape", "INPUT"), Some(Action::CloseHelp));
}

#[wasm_bindgen_test]
fn policy_fields_point_into_the_scenario() {
    let state = AppState::from_query("?scenario=happy-path&detail=all");
    for group in policy_groups() {
        for field in group.fields {
            let value = state.field(field.key);
            assert!(value.is_some(), "{} exists in the scenario", field.key);
            if let FieldKind::Select(choices) = &field.kind {
                assert!(!choices.is_empty(), "{}", field.key);
            }
        }
    }
}

#[wasm_bindgen_test]
fn the_reducer_steps_resimulates_and_reports_errors() {
    let s = Rc::new(AppState::from_query("?scenario=happy-path&detail=all"));
    let len = s.len();
    assert!(len > 20 && s.error.is_none());
    let s = s.reduce(Action::Prev);
    assert_eq!(s.index, 0);
    let s = s.reduce(Action::Last);
    assert_eq!(s.index, len - 1);
    let s = s.reduce(Action::Next);
    assert_eq!(s.index, len - 1, "no step past the end");
    let s = s.reduce(Action::Goto(10));
    let s = s.reduce(Action::SetOverride(
        "server.teaching.keep_pre_tls_knowledge".into(),
        "true".into(),
    ));
    assert_eq!(s.index, 10, "a policy change keeps the step");
    assert!(s.error.is_none());

    // A publicly referenced server may not require TLS: the engine refuses, the UI says so.
    let s = s.reduce(Action::SetOverride(
        "server.require_tls".into(),
        "true".into(),
    ));
    assert!(s.trace.is_none());
    assert!(
        s.error
            .as_deref()
            .unwrap_or_default()
            .contains("configuration"),
        "{:?}",
        s.error
    );
    let s = s.reduce(Action::ResetOverrides);
    assert!(s.error.is_none() && s.len() == len);

    // Playback ticks to the end and stops.
    let mut s = s.reduce(Action::Goto(len - 2)).reduce(Action::TogglePlay);
    assert!(s.playing);
    s = s.reduce(Action::Tick);
    assert_eq!(s.index, len - 1);
    assert!(!s.playing);

    // The console appends steps and shows the first of them.
    let s = s
        .reduce(Action::Last)
        .reduce(Action::Console(ConsoleInput::ClientLine("NOOP".into())));
    assert!(s.len() > len, "{} > {len}", s.len());
    assert!(s.index >= len, "the first new step is shown");
    let step = &s.trace.as_ref().expect("trace").steps[s.index];
    assert!(arrow_label(step).contains("NOOP"), "{}", step.text);
    // Typed mid-dialogue, the line lands where the person stood, and the engine runs on.
    let s = s
        .reduce(Action::ResetOverrides)
        .reduce(Action::Goto(2))
        .reduce(Action::Console(ConsoleInput::Injection(
            Direction::ServerToClient,
            typed_bytes("250 forged"),
        )));
    let t = s.trace.as_ref().expect("trace");
    assert_eq!(t.steps[s.index].actor, starttls_sim::trace::Actor::Attacker);
    assert!(s.index >= 3);

    let s = s.reduce(Action::Select("tls-required-530".into()));
    assert_eq!((s.index, s.console.len(), s.overrides.len()), (0, 0, 0));
}

async fn mount() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<starttls_web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    root
}

fn text(root: &web_sys::Element, id: &str) -> String {
    root.query_selector(&format!("[data-testid={id}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("{id}"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_app_steps_with_buttons_and_keys() {
    let root = mount().await;
    let counter = text(&root, "step-counter");
    assert!(counter.starts_with("1 / "), "{counter}");
    let total: usize = counter.trim_start_matches("1 / ").parse().unwrap();
    let steps = root
        .query_selector_all("[data-testid=diagram-step]")
        .unwrap();
    assert_eq!(steps.length() as usize, total);

    let next: web_sys::HtmlElement = root
        .query_selector("[data-testid=step-next]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    next.click();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "step-counter"), format!("2 / {total}"));
    assert!(text(&root, "announcer").starts_with("Step 2 of"));

    let init = web_sys::KeyboardEventInit::new();
    init.set_key("End");
    init.set_bubbles(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .dispatch_event(&event)
        .unwrap();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "step-counter"), format!("{total} / {total}"));
    let current = root
        .query_selector("[data-testid=diagram-step][data-current=true]")
        .unwrap()
        .unwrap();
    // At message level the last shown step is the last row, whatever its trace index.
    let last_row = steps
        .item(steps.length() - 1)
        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        .expect("the last row");
    assert_eq!(
        current.get_attribute("data-index"),
        last_row.get_attribute("data-index")
    );
    assert!(
        root.query_selector("[data-testid=policy-panel]")
            .unwrap()
            .is_some()
    );
    assert!(
        root.query_selector("[data-testid=console-input]")
            .unwrap()
            .is_some()
    );
}

#[wasm_bindgen_test]
fn labels_fit_by_the_legend_rule_wrapping_and_cutting_with_an_ellipsis() {
    use starttls_web::view::labels::{MAX_ARROW_LINES, arrow_lines, wrap};
    assert_eq!(
        wrap("forgets the greeting", 12, 2),
        vec!["forgets the", "greeting"]
    );
    // Too long for two lines: the second ends with the ellipsis, within the width.
    let lines = wrap(
        "forgets the server's greeting it learnt in cleartext",
        14,
        2,
    );
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.chars().count() <= 14), "{lines:?}");
    assert!(lines[1].ends_with('…'), "{lines:?}");
    // A word longer than a line is split.
    assert_eq!(wrap("abcdefghij", 4, 3), vec!["abcd", "efgh", "ij"]);
    assert!(wrap("", 10, 2).is_empty());

    // A pipelined group: one line per reply, each with its code and enhanced code.
    let t = trace("tls-required-530");
    let group = find(&t, |s| reply_summary(s).len() == 3);
    let lines = arrow_lines(&t.steps[group], 60);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.starts_with("530 5.7.0 ")),
        "{lines:?}"
    );
    // Cut at the width, never longer.
    let short = arrow_lines(&t.steps[group], 12);
    assert!(
        short
            .iter()
            .all(|l| l.chars().count() <= 12 && l.ends_with('…')),
        "{short:?}"
    );
    // The attacker's injected bytes: one line per injected command, at most the cap.
    let t = trace("command-injection-vulnerable");
    let rewrite = find(
        &t,
        |s| matches!(&s.detail, Detail::Wire(v) if v.rewrites_previous),
    );
    let lines = arrow_lines(&t.steps[rewrite], 60);
    assert!(
        lines.len() > 1 && lines.len() <= MAX_ARROW_LINES,
        "{lines:?}"
    );
    assert_eq!(lines[0], "STARTTLS");
}
