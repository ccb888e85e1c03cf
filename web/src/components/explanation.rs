//! The explanation panel: what happens at this step, in plain words, with each rule applied
//! cited from the engine's rules catalogue (ID, level, RFC section, paraphrase).

use std::rc::Rc;

use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Detail, DiffOp, Step, Trace};
use yew::prelude::*;

use crate::components::icons::{Icon, icon};
use crate::hooks::{key_of, use_steady_height};
use crate::view::labels::actor_str;

/// Props of [`Explanation`].
#[derive(Properties, PartialEq)]
pub struct ExplanationProps {
    /// The trace (compared by pointer: no step is copied or compared on a step change).
    pub trace: Rc<Trace>,
    /// The current step's trace index.
    pub at: usize,
    /// At message level, the end of the decisions and state changes this step stands for:
    /// the steps `at + 1 .. upto` (none when `upto <= at + 1`).
    #[prop_or_default]
    pub upto: usize,
    /// Its position, from 0.
    pub index: usize,
    /// The number of steps.
    pub len: usize,
    /// Compare mode: what makes this panel's heading id unique on the page (the scenario).
    #[prop_or_default]
    pub scope: Option<AttrValue>,
}

/// One rule citation.
#[derive(Properties, PartialEq)]
pub struct CitationProps {
    /// The rule.
    pub rule: RuleId,
    /// Whether the step broke it.
    #[prop_or_default]
    pub broken: bool,
}

/// A rule, as the catalogue states it.
#[component]
pub fn RuleCitation(props: &CitationProps) -> Html {
    let rule = props.rule.rule();
    let level = rule.level.as_str();
    let level_class = format!(
        "level level-{}",
        level.to_ascii_lowercase().replace(' ', "-")
    );
    html! {
        <li class={classes!("citation", props.broken.then_some("broken"))}
            data-testid="rule-citation" data-rule={props.rule.as_str()}>
            <span class="rule-id">{ props.rule.as_str() }</span>
            <span class={level_class}>{ if level == "-" { "fact" } else { level } }</span>
            <span class="section">{ rule.section }</span>
            { if props.broken { html! { <span class="broken-tag">{ "broken here" }</span> } } else { html! {} } }
            <span class="summary">{ rule.summary }</span>
        </li>
    }
}

/// The explanation of the current step.
#[component]
pub fn Explanation(props: &ExplanationProps) -> Html {
    let node = use_node_ref();
    use_steady_height(node.clone(), key_of(&props.trace));
    let Some(step) = props.trace.steps.get(props.at) else {
        return html! {};
    };
    let annotations: &[Step] = props
        .trace
        .steps
        .get(props.at + 1..props.upto.min(props.trace.steps.len()))
        .unwrap_or(&[]);
    // Each command's and reply's own citations, and the step's, once each; at message level,
    // those of the decisions it stands for too.
    let mut rules = step.cited();
    for a in annotations.iter() {
        for r in a.cited() {
            if !rules.contains(&r) {
                rules.push(r);
            }
        }
    }
    let title_id = match &props.scope {
        Some(scope) => format!("explanation-title-{scope}"),
        None => "explanation-title".to_string(),
    };
    html! {
        <section class={classes!("panel", "explanation", step.violation.then_some("violation"))}
            data-testid="explanation" aria-labelledby={title_id.clone()} ref={node}>
            <h2 id={title_id}>
                { format!("Step {} of {}", props.index + 1, props.len) }
                <span class={classes!("actor-tag", format!("actor-{}", actor_str(step.actor)))}>
                    { actor_str(step.actor) }
                </span>
                { if step.tls {
                    html! { <span class="tag tag-tls">{ icon(Icon::Lock) }{ " under TLS" }</span> }
                } else {
                    html! { <span class="tag tag-clear">{ icon(Icon::Unlock) }{ " cleartext" }</span> }
                } }
            </h2>
            <p class="step-text" data-testid="step-text">
                { if step.violation { html! { <strong class="violation-tag">{ "⚠ Rule broken: " }</strong> } } else { html! {} } }
                { &step.text }
            </p>
            { match &step.technical {
                Some(t) => html! { <p class="step-technical" data-testid="step-technical">{ t }</p> },
                None => html! {},
            } }
            { if annotations.is_empty() { html! {} } else { html! {
                <ol class="annotations" data-testid="annotations" aria-label="What each side decides at this step">
                    { for annotations.iter().map(|a| html! {
                        <li class={classes!("annotation", a.violation.then_some("violation"))}
                            data-index={a.index.to_string()}>
                            <span class="annotation-text">{ &a.text }</span>
                            { for a.cited().iter().map(|r| html! { <span class="annotation-rule">{ r.as_str() }</span> }) }
                            { match &a.technical {
                                Some(t) => html! { <span class="step-technical">{ t }</span> },
                                None => html! {},
                            } }
                        </li>
                    }) }
                </ol>
            } } }
            { match &step.detail {
                Detail::Wire(view) if !view.diff.is_empty() => html! {
                    <div class="received" data-testid="received">
                        <p class="received-title">{ "What the receiver gets (the attacker's changes marked):" }</p>
                        <pre class="diff">
                            { for view.diff.iter().map(|l| match l.op {
                                DiffOp::Same => html! { <span class="diff-same">{ format!("  {}\n", l.text) }</span> },
                                DiffOp::Deleted => html! { <del class="diff-deleted" data-testid="diff-deleted">{ format!("- {}\n", l.text) }</del> },
                                DiffOp::Inserted => html! { <ins class="diff-inserted" data-testid="diff-inserted">{ format!("+ {}\n", l.text) }</ins> },
                            }) }
                        </pre>
                    </div>
                },
                _ => html! {},
            } }
            { if rules.is_empty() {
                html! { <p class="muted">{ "No rule of the catalogue is at stake at this step." }</p> }
            } else {
                html! {
                    <ul class="citations" aria-label="Rules applied">
                        { for rules.iter().map(|r| html! { <RuleCitation rule={*r} broken={step.violation} /> }) }
                    </ul>
                }
            } }
        </section>
    }
}
