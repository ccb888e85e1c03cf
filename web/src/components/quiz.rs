//! The quiz card: the question asked before a server reply or a client decision is shown,
//! then the feedback with the rules of that step, and the score.

use std::rc::Rc;

use starttls_sim::trace::Trace;
use yew::prelude::*;

use crate::components::explanation::RuleCitation;
use crate::state::{Action, AppState, QuizState};
use crate::view::quiz::question_for;

/// Props of [`QuizCard`].
#[derive(Properties, PartialEq)]
pub struct QuizProps {
    /// The trace.
    pub trace: Rc<Trace>,
    /// The current step.
    pub index: usize,
    /// The quiz.
    pub quiz: QuizState,
    /// Where intents go.
    pub dispatcher: UseReducerDispatcher<AppState>,
}

/// The quiz card.
#[component]
pub fn QuizCard(props: &QuizProps) -> Html {
    let quiz = &props.quiz;
    let score = html! {
        <p class="quiz-score" data-testid="quiz-score" data-right={quiz.right.to_string()} data-asked={quiz.asked.to_string()}>
            { format!("Score: {} / {}", quiz.right, quiz.asked) }
        </p>
    };
    if let Some(q) = quiz.asking.and_then(|i| question_for(&props.trace, i)) {
        return html! {
            <section class="panel quiz asking" data-testid="quiz-question" data-kind={q.kind.as_str()}
                data-step={(q.index + 1).to_string()} aria-labelledby="quiz-title">
                <h2 id="quiz-title">{ format!("Predict step {}", q.index + 1) }</h2>
                <p class="quiz-prompt">{ &q.prompt }</p>
                <ol class="quiz-choices">
                    { for q.choices.iter().enumerate().map(|(i, c)| {
                        let d = props.dispatcher.clone();
                        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::Answer(i)));
                        html! { <li><button type="button" data-testid="quiz-choice" data-choice={i.to_string()} {onclick}>
                            <kbd>{ i + 1 }</kbd>{ " " }{ c }</button></li> }
                    }) }
                </ol>
                { score }
            </section>
        };
    }
    let answered = quiz
        .answers
        .get(&props.index)
        .and_then(|a| question_for(&props.trace, props.index).map(|q| (a, q)));
    match answered {
        Some((a, q)) => html! {
            <section class={classes!("panel", "quiz", "feedback", if a.correct { "right" } else { "wrong" })}
                data-testid="quiz-feedback" data-correct={a.correct.to_string()} aria-live="polite">
                <h2>{ if a.correct { "Right!" } else { "Not quite." } }</h2>
                <p>
                    { if a.correct { String::new() } else { format!("You chose “{}”; the answer is “{}”. ",
                        q.choices.get(a.chosen).cloned().unwrap_or_default(), q.choices[q.answer]) } }
                    <strong>{ "What happens: " }</strong><code>{ &q.reveal }</code>
                </p>
                { if q.rules.is_empty() {
                    html! { <p class="muted">{ "No rule of the catalogue is at stake here: this is ordinary SMTP." }</p> }
                } else { html! {
                    <ul class="citations" aria-label="Rules">
                        { for q.rules.iter().map(|r| html! { <RuleCitation rule={*r} /> }) }
                    </ul>
                } } }
                { score }
            </section>
        },
        None => html! {
            <section class="panel quiz idle" data-testid="quiz-idle">
                <p>{ "Quiz mode: step forward; before each server reply and each client decision you are asked to predict it." }</p>
                { score }
            </section>
        },
    }
}
