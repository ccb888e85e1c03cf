//! Compare mode: two dialogues side by side at message level, stepping in lockstep, with the
//! first step where they part (the engine's [`starttls_sim::compare::divergence`]) named and
//! marked in both diagrams.

use std::rc::Rc;

use starttls_sim::trace::Trace;
use yew::prelude::*;

use crate::components::diagram::Diagram;
use crate::components::explanation::Explanation;
use crate::state::{Action, AppState, Comparison};

/// Props of [`CompareView`].
#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// The two dialogues.
    pub comparison: Rc<Comparison>,
    /// The message-level position both sides show.
    pub position: usize,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
    /// Presenter mode: the diagrams' larger type.
    #[prop_or_default]
    pub large: bool,
}

fn headlines(trace: &Trace) -> Vec<usize> {
    trace
        .steps
        .iter()
        .filter(|s| s.headline)
        .map(|s| s.index)
        .collect()
}

fn pane(
    id: &str,
    trace: &Rc<Trace>,
    position: usize,
    divergence: Option<usize>,
    dispatcher: &UseReducerDispatcher<AppState>,
    large: bool,
) -> Html {
    let visible = headlines(trace);
    let at = visible
        .get(position)
        .or(visible.last())
        .copied()
        .unwrap_or(0);
    let next = visible
        .iter()
        .find(|&&v| v > at)
        .copied()
        .unwrap_or(trace.steps.len());
    let ended = position >= visible.len();
    html! {
        <section class="compare-pane" data-testid="compare-pane" data-scenario={id.to_string()}
            aria-label={format!("Scenario {}", trace.scenario.title)}>
            <h2 class="compare-title">{ &trace.scenario.title }</h2>
            { if ended { html! { <p class="muted">{ "This dialogue has ended." }</p> } } else { html! {} } }
            <Diagram trace={trace.clone()} index={at} dispatcher={dispatcher.clone()}
                visible={Rc::new(visible.clone())} divergence={divergence} by_position=true {large} />
            { match trace.steps.get(at) {
                Some(_) => html! {
                    <Explanation trace={trace.clone()} at={at} upto={next} index={position.min(visible.len().saturating_sub(1))}
                        len={visible.len()} scope={AttrValue::from(id.to_string())} />
                },
                None => html! {},
            } }
        </section>
    }
}

/// Two scenarios side by side.
#[component]
pub fn CompareView(props: &CompareProps) -> Html {
    let c = &props.comparison;
    let d = &c.divergence;
    let close = {
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Compare(None)))
    };
    let banner = match d {
        Some(div) => {
            let here = div.position == props.position;
            let go = {
                let d = props.dispatcher.clone();
                let p = div.position;
                Callback::from(move |_: MouseEvent| d.dispatch(Action::GotoPosition(p)))
            };
            html! {
                <p class={classes!("divergence-banner", here.then_some("here"))} data-testid="divergence"
                    data-position={(div.position + 1).to_string()} role="status">
                    <strong>{ format!("Step {}: ", div.position + 1) }</strong>{ &div.what }
                    { if here { html! {} } else { html! {
                        <button type="button" data-testid="divergence-go" onclick={go}>{ "Go to it" }</button>
                    } } }
                </p>
            }
        }
        None => {
            html! { <p class="divergence-banner" data-testid="divergence" data-position="0">{ "The two dialogues do not differ." }</p> }
        }
    };
    html! {
        <main class="compare" data-testid="compare">
            <div class="compare-head">
                { banner }
                <button type="button" data-testid="compare-close" onclick={close}>{ "Close the comparison" }</button>
            </div>
            <div class="compare-panes">
                { pane(&c.left.0, &c.left.1, props.position, d.as_ref().and_then(|d| d.left), &props.dispatcher, props.large) }
                { pane(&c.right.0, &c.right.1, props.position, d.as_ref().and_then(|d| d.right), &props.dispatcher, props.large) }
            </div>
        </main>
    }
}
