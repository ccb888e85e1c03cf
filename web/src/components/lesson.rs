//! The guided lesson: an ordered tour of scenarios, each with its goals and a checkpoint
//! question; progress is kept in `localStorage` (gloo-storage) and can be reset.

use std::rc::Rc;

use gloo::storage::{LocalStorage, Storage};
use yew::prelude::*;

use crate::state::{Action, AppState, ScenarioEntry};
use crate::view::lesson::{Progress, STOPS, STORAGE_KEY};

/// Reads the stored progress (a fresh one if there is none or it is unreadable).
pub fn load_progress() -> Progress {
    LocalStorage::get::<serde_json::Value>(STORAGE_KEY)
        .map(|v| Progress::from_json(&v.to_string()))
        .unwrap_or_default()
}

fn save_progress(p: &Progress) {
    let _ = LocalStorage::set(STORAGE_KEY, p);
}

/// Props of [`LessonPanel`].
#[derive(Properties, PartialEq)]
pub struct LessonProps {
    /// The catalogue (titles and goals).
    pub catalogue: Rc<Vec<ScenarioEntry>>,
    /// The scenario shown.
    pub scenario_id: AttrValue,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The lesson panel.
#[component]
pub fn LessonPanel(props: &LessonProps) -> Html {
    let progress = use_state(load_progress);
    let feedback = use_state(|| None::<(usize, bool)>);
    // Show the current stop's scenario when the lesson opens.
    {
        let d = props.dispatcher.clone();
        let id = progress.stop().scenario;
        let shown = props.scenario_id.clone();
        use_effect_with((), move |_| {
            if shown != id {
                d.dispatch(Action::Select(id.to_string()));
            }
        });
    }
    let go = |i: usize| {
        let progress = progress.clone();
        let feedback = feedback.clone();
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            let mut p = (*progress).clone();
            p.go(i);
            save_progress(&p);
            d.dispatch(Action::Select(p.stop().scenario.to_string()));
            progress.set(p);
            feedback.set(None);
        })
    };
    let reset = {
        let progress = progress.clone();
        let feedback = feedback.clone();
        let d = props.dispatcher.clone();
        Callback::from(move |_: MouseEvent| {
            LocalStorage::delete(STORAGE_KEY);
            let p = Progress::default();
            d.dispatch(Action::Select(p.stop().scenario.to_string()));
            progress.set(p);
            feedback.set(None);
        })
    };
    let p = &*progress;
    let stop = p.stop();
    let entry = props.catalogue.iter().find(|s| s.id == stop.scenario);
    let title = entry.map(|e| e.title.clone()).unwrap_or_default();
    let passed = STOPS.iter().filter(|s| p.has_passed(s.scenario)).count();
    let here = *props.scenario_id == *stop.scenario;
    html! {
        <section class="panel lesson" data-testid="lesson" aria-labelledby="lesson-title"
            data-current={(p.current + 1).to_string()} data-passed={passed.to_string()}>
            <h2 id="lesson-title">
                { format!("Guided lesson — stop {} of {}: ", p.current + 1, STOPS.len()) }
                <span data-testid="lesson-stop-title">{ title }</span>
            </h2>
            <p class="lesson-progress" data-testid="lesson-progress">
                { format!("{passed} of {} checkpoints passed", STOPS.len()) }
                { if p.complete() { " — lesson complete!" } else { "" } }
            </p>
            <ol class="lesson-stops" aria-label="Stops">
                { for STOPS.iter().enumerate().map(|(i, s)| {
                    let done = p.has_passed(s.scenario);
                    html! {
                        <li class={classes!(done.then_some("done"), (i == p.current).then_some("current"))}>
                            <button type="button" data-testid="lesson-stop" data-stop={s.scenario}
                                data-passed={done.to_string()} aria-current={(i == p.current).then_some("step")}
                                onclick={go(i)}>{ if done { "✓ " } else { "" } }{ i + 1 }</button>
                        </li>
                    }
                }) }
            </ol>
            { if here { html! {} } else { html! {
                <p><button type="button" data-testid="lesson-open" onclick={go(p.current)}>{ "Open this stop's scenario" }</button></p>
            } } }
            <h3>{ "Goals" }</h3>
            <ul class="lesson-goals">{ for entry.iter().flat_map(|e| e.goals.iter()).map(|g| html! { <li>{ g }</li> }) }</ul>
            <h3>{ "Checkpoint" }</h3>
            <p class="lesson-question" data-testid="lesson-question">{ stop.question }</p>
            <ol class="quiz-choices">
                { for stop.choices.iter().enumerate().map(|(i, c)| {
                    let progress = progress.clone();
                    let feedback = feedback.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let mut p = (*progress).clone();
                        let right = p.answer(i);
                        save_progress(&p);
                        progress.set(p);
                        feedback.set(Some((i, right)));
                    });
                    html! { <li><button type="button" data-testid="lesson-choice" data-choice={i.to_string()} {onclick}>{ *c }</button></li> }
                }) }
            </ol>
            { for feedback.map(|(i, right)| html! {
                <p class={classes!("lesson-feedback", if right { "right" } else { "wrong" })} data-testid="lesson-feedback"
                    data-correct={right.to_string()} aria-live="polite">
                    { if right { format!("Right. {} ", stop.why) } else { format!("Not “{}”. Step through the dialogue and try again. ", stop.choices.get(i).copied().unwrap_or_default()) } }
                    <span class="rule-id">{ stop.rule.as_str() }</span>
                </p>
            }) }
            <p class="lesson-nav">
                <button type="button" data-testid="lesson-prev" disabled={p.current == 0} onclick={go(p.current.saturating_sub(1))}>{ "← Previous stop" }</button>
                <button type="button" data-testid="lesson-next" disabled={p.current + 1 >= STOPS.len()} onclick={go(p.current + 1)}>{ "Next stop →" }</button>
                <button type="button" data-testid="lesson-reset" onclick={reset}>{ "Reset progress" }</button>
            </p>
        </section>
    }
}
