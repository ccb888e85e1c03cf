//! The scenario's summary: what it shows, its goals, and the sources it rests on.

use std::rc::Rc;

use starttls_sim::scenario::Scenario;
use yew::prelude::*;

/// Props of [`ScenarioSummary`].
#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    /// The scenario (compared by pointer first, so that a step change compares nothing more).
    pub scenario: Rc<Scenario>,
}

/// A `<details>` with the scenario's title, summary, goals and sources. A component of its
/// own, so that a step change does not rebuild it.
#[component]
pub fn ScenarioSummary(props: &SummaryProps) -> Html {
    let s = &props.scenario;
    html! {
        <details class="scenario-summary" data-testid="scenario-summary">
            <summary><strong>{ &s.title }</strong>{ " — what it shows" }</summary>
            <p>{ &s.summary }</p>
            <ul>{ for s.goals.iter().map(|g| html! { <li>{ g }</li> }) }</ul>
            { if s.sources.is_empty() { html! {} } else { html! {
                <>
                    <p class="sources-title">{ "Sources" }</p>
                    <ul class="sources" data-testid="scenario-sources">
                        { for s.sources.iter().map(|src| html! {
                            <li><a href={src.url.clone()} target="_blank" rel="noopener noreferrer">{ &src.title }</a></li>
                        }) }
                    </ul>
                </>
            } } }
        </details>
    }
}
