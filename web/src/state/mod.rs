//! The application state: a [`Reducible`] around the trace, in the shape of yew's
//! `function_todomvc`. Every intent is an [`Action`]; the engine computes the trace, and the
//! state only remembers where the person is in it.

mod awaiting;
mod compare;
mod link;
pub mod live;
mod simulate;

use std::collections::BTreeMap;
use std::rc::Rc;

use starttls_sim::scenario::{Group, Scenario};
use starttls_sim::trace::Trace;
use yew::prelude::*;

use crate::view::permalink::ViewOptions;
use crate::view::quiz::question_for;

pub use awaiting::Awaiting;
pub use compare::Comparison;
pub use simulate::{
    ConsoleEntry, ConsoleInput, EngineError, Simulated, effective_scenario, simulate, typed_bytes,
};

/// The scenario shown when the URL names none.
pub const DEFAULT_SCENARIO: &str = "happy-path";

/// Playback speeds, in milliseconds per step, with their labels.
pub const SPEEDS: &[(u32, &str)] = &[(2000, "0.5×"), (1000, "1×"), (500, "2×"), (250, "4×")];

/// One entry of the scenario picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioEntry {
    /// The scenario id.
    pub id: String,
    /// Its picker group.
    pub group: Group,
    /// Its title.
    pub title: String,
    /// What a student should take away.
    pub goals: Vec<String>,
}

/// One answered quiz question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuizAnswer {
    /// The choice made.
    pub chosen: usize,
    /// Whether it was right.
    pub correct: bool,
}

/// The quiz: the question being asked, the answers given in this trace, and the score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuizState {
    /// The step whose question is on screen (the view stays one step before it).
    pub asking: Option<usize>,
    /// Answers by step, for the current trace.
    pub answers: BTreeMap<usize, QuizAnswer>,
    /// Right answers so far (kept across scenarios).
    pub right: u32,
    /// Questions answered so far (kept across scenarios).
    pub asked: u32,
}

/// Everything the UI shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    /// The scenarios of the catalogue, for the picker.
    pub catalogue: Rc<Vec<ScenarioEntry>>,
    /// The chosen scenario.
    pub scenario_id: String,
    /// Policy overrides (dotted key, JSON value), applied in order.
    pub overrides: Vec<(String, String)>,
    /// Console entries, applied in order.
    pub console: Vec<ConsoleEntry>,
    /// The first step of each console entry in the trace.
    pub console_marks: Vec<usize>,
    /// The scenario after overrides, when valid.
    pub scenario: Option<Rc<Scenario>>,
    /// The trace, when the engine ran.
    pub trace: Option<Rc<Trace>>,
    /// The current step.
    pub index: usize,
    /// Whether playback runs.
    pub playing: bool,
    /// Milliseconds per step during playback.
    pub speed_ms: u32,
    /// The engine's error, when the configuration is invalid or a run failed.
    pub error: Option<String>,
    /// Whether the list of keyboard shortcuts is open.
    pub help_open: bool,
    /// Embed, presenter, quiz and lesson modes, and the extra panels.
    pub view: ViewOptions,
    /// What could not be read in the URL, or what else the person should know.
    pub notices: Vec<String>,
    /// The quiz, when `view.quiz` is on.
    pub quiz: QuizState,
    /// The file name of an imported trace, while one is shown instead of a simulation.
    pub imported: Option<String>,
    /// Why the last import was refused.
    pub import_error: Option<String>,
    /// Compare mode: two dialogues side by side.
    pub compare: Option<Rc<Comparison>>,
    /// Compare mode: the message-level position both sides show, from 0.
    pub compare_pos: usize,
    /// Live mode: a lab's sessions as they happen (`?live=`).
    pub live: Option<Rc<live::LiveState>>,
    /// What waits for the engine module, while it loads.
    pub awaiting: Option<Awaiting>,
    /// Why the engine module could not be loaded, once that happened.
    pub engine_failure: Option<String>,
}

/// What the person asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Choose another scenario (drops overrides and console entries).
    Select(String),
    /// Set one policy field (dotted key, JSON value) and re-simulate.
    SetOverride(String, String),
    /// Drop every override and console entry.
    ResetOverrides,
    /// Go to the first step.
    First,
    /// Go one step back.
    Prev,
    /// Go one step forward.
    Next,
    /// Go to the last step.
    Last,
    /// Go to a step (a trace index; at message level, the message it belongs to).
    Goto(usize),
    /// Go to the n-th shown step, from 0 (the scrubber).
    GotoPosition(usize),
    /// Switch between one step per message and every decision.
    ToggleDetail,
    /// Start or pause playback.
    TogglePlay,
    /// One playback tick: next step, or stop at the end.
    Tick,
    /// Set the playback speed (milliseconds per step).
    SetSpeed(u32),
    /// Type something at the console, after the current step.
    Console(ConsoleInput),
    /// Show or hide the keyboard shortcuts.
    ToggleHelp,
    /// Hide the keyboard shortcuts.
    CloseHelp,
    /// Turn a view option on or off (embed options, presenter, quiz, lesson).
    SetView(ViewOptions),
    /// Answer the quiz question on screen with a choice.
    Answer(usize),
    /// Show an imported trace (file name, trace).
    Import(String, Rc<Trace>),
    /// An import was refused: the message names the field and the position.
    ImportFailed(String),
    /// Hide the notices and the import error.
    DismissNotices,
    /// Open compare mode on two scenarios, or close it.
    Compare(Option<(String, String)>),
    /// Something happened in live mode.
    Live(live::LiveEvent),
    /// The engine module has loaded (at first, or on a retry after a failure): compute what
    /// waited for it.
    EngineReady,
    /// The engine module could not be loaded (why).
    EngineFailed(String),
}

impl AppState {
    /// The initial state for `scenario_id` (or the default when it is unknown).
    pub fn new(scenario_id: Option<&str>) -> Self {
        let (catalogue, error) = match starttls_sim::scenario::catalogue() {
            Ok(list) => (
                list.into_iter()
                    .map(|s| ScenarioEntry {
                        id: s.id,
                        group: s.group,
                        title: s.title,
                        goals: s.goals,
                    })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(format!("The scenario catalogue: {e}"))),
        };
        let id = scenario_id
            .filter(|id| catalogue.iter().any(|s| s.id == *id))
            .unwrap_or(DEFAULT_SCENARIO)
            .to_string();
        let state = AppState {
            catalogue: Rc::new(catalogue),
            scenario_id: id,
            overrides: Vec::new(),
            console: Vec::new(),
            console_marks: Vec::new(),
            scenario: None,
            trace: None,
            index: 0,
            playing: false,
            speed_ms: 1000,
            error,
            help_open: false,
            view: ViewOptions::default(),
            notices: Vec::new(),
            quiz: QuizState::default(),
            imported: None,
            import_error: None,
            compare: None,
            compare_pos: 0,
            live: None,
            awaiting: None,
            engine_failure: None,
        };
        state.resimulate(None)
    }

    /// The first step of the last console entry typed at step `after`, once simulated.
    fn console_mark(&self, after: usize) -> Option<usize> {
        self.console
            .iter()
            .rposition(|e| e.after == after)
            .and_then(|i| self.console_marks.get(i).copied())
    }

    /// Goes forward to `target`, but in quiz mode stops before the first unanswered question
    /// on the way and asks it.
    fn advance(mut self, target: usize) -> Self {
        let target = target.min(self.len().saturating_sub(1));
        if self.view.quiz
            && target > self.index
            && let Some(trace) = self.trace.clone()
            && let Some(q) = (self.index + 1..=target)
                .find(|&i| !self.quiz.answers.contains_key(&i) && question_for(&trace, i).is_some())
        {
            self.index = q - 1;
            self.quiz.asking = Some(q);
            self.playing = false;
            return self;
        }
        self.quiz.asking = None;
        self.index = target;
        self
    }

    /// Whether every decision is a step ("Detail: every decision", and always in quiz mode).
    pub fn detailed(&self) -> bool {
        self.view.detail || self.view.quiz
    }

    /// The trace indices shown at the current detail level: every step, or the engine's
    /// message-level steps ([`starttls_sim::trace::Step::headline`]).
    pub fn visible(&self) -> Vec<usize> {
        let Some(trace) = &self.trace else {
            return Vec::new();
        };
        trace
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| self.detailed() || s.headline)
            .map(|(i, _)| i)
            .collect()
    }

    /// The shown step at or before trace index `i` (the message a decision annotates).
    pub fn snap(&self, i: usize) -> usize {
        let visible = self.visible();
        visible
            .iter()
            .rev()
            .find(|&&v| v <= i)
            .or(visible.first())
            .copied()
            .unwrap_or(0)
    }

    /// The current step's position among the shown steps, from 0.
    pub fn position(&self) -> usize {
        let visible = self.visible();
        visible.iter().rposition(|&v| v <= self.index).unwrap_or(0)
    }

    /// The number of steps shown at the current detail level.
    pub fn visible_len(&self) -> usize {
        self.visible().len()
    }

    /// The trace indices a shown step stands for: itself and the decisions it annotates, up
    /// to the next shown step.
    pub fn annotations(&self, i: usize) -> std::ops::Range<usize> {
        let next = self
            .visible()
            .into_iter()
            .find(|&v| v > i)
            .unwrap_or(self.len());
        i..next.max(i + 1)
    }

    /// The number of steps of the trace (0 without one).
    pub fn len(&self) -> usize {
        self.trace.as_ref().map_or(0, |t| t.steps.len())
    }

    /// Whether there is no step to show.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of a policy field in the effective scenario, as JSON.
    pub fn field(&self, key: &str) -> Option<serde_json::Value> {
        let scenario = self.scenario.as_ref()?;
        let value = serde_json::to_value(scenario.as_ref()).ok()?;
        let pointer = format!("/{}", key.replace('.', "/"));
        value.pointer(&pointer).cloned()
    }

    /// Runs the engine again; keeps the step index if it still exists, or moves to `goto`.
    fn resimulate(mut self, goto: Option<usize>) -> Self {
        let keep = self.index;
        self.imported = None;
        self.quiz.asking = None;
        self.quiz.answers.clear();
        if let Some(a) = &mut self.awaiting {
            a.trace = false;
        }
        match effective_scenario(&self.scenario_id, &self.overrides) {
            Err(e) => {
                self.error = Some(format!("The engine refused this configuration: {e}"));
                self.trace = None;
                self.scenario = None;
            }
            Ok(scenario) => {
                match simulate(&scenario, &self.console) {
                    Err(EngineError::Loading) if self.engine_failure.is_none() => {
                        // The step stays where it is, for when the dialogue is there.
                        self.awaiting.get_or_insert_default().trace = true;
                        self.index = goto.unwrap_or(keep);
                        self.trace = None;
                        self.error = None;
                    }
                    Err(EngineError::Loading) => {
                        self.error = Some(format!(
                            "The simulation cannot run: {}",
                            self.engine_failure.clone().unwrap_or_default()
                        ));
                        self.trace = None;
                    }
                    Ok(sim) => {
                        let len = sim.trace.steps.len();
                        self.index = goto.unwrap_or(keep).min(len.saturating_sub(1));
                        self.console_marks = sim.console_marks;
                        self.trace = Some(Rc::new(sim.trace));
                        self.error = None;
                    }
                    Err(e) => {
                        self.error = Some(format!("The simulation failed: {e}"));
                        self.trace = None;
                    }
                }
                self.scenario = Some(Rc::new(scenario));
            }
        }
        if !self.awaits_trace() {
            self.index = self.snap(self.index);
        }
        self.playing = self.playing && self.next_shown().is_some();
        self
    }

    fn goto(mut self, index: usize) -> Self {
        let index = self.snap(index.min(self.len().saturating_sub(1)));
        if index > self.index {
            return self.advance(index);
        }
        self.quiz.asking = None;
        self.index = index;
        self
    }

    /// The next shown step after the current one, if any.
    fn next_shown(&self) -> Option<usize> {
        self.visible().into_iter().find(|&v| v > self.index)
    }

    /// The last shown step before the current one, if any.
    fn prev_shown(&self) -> Option<usize> {
        self.visible().into_iter().rev().find(|&v| v < self.index)
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        // Compare mode: both sides step in lockstep over their message-level steps.
        if let Some(c) = &self.compare {
            let last = c.len().saturating_sub(1);
            let pos = self.compare_pos;
            let to = match &action {
                Action::First => Some(0),
                Action::Prev => Some(pos.saturating_sub(1)),
                Action::Next => Some((pos + 1).min(last)),
                Action::Last => Some(last),
                Action::GotoPosition(p) | Action::Goto(p) => Some((*p).min(last)),
                Action::Tick if self.playing => {
                    if pos >= last {
                        next.playing = false;
                    }
                    Some((pos + 1).min(last))
                }
                _ => None,
            };
            if let Some(to) = to {
                next.compare_pos = to;
                return Rc::new(next);
            }
        }
        let last = self.len().saturating_sub(1);
        let next = match action {
            Action::Select(id) => {
                if id == self.scenario_id
                    && self.overrides.is_empty()
                    && self.console.is_empty()
                    && self.imported.is_none()
                {
                    return self;
                }
                next.scenario_id = id;
                next.overrides.clear();
                next.console.clear();
                next.index = 0;
                next.playing = false;
                // What a link asked of the dialogue no longer applies to this one.
                if let Some(a) = &mut next.awaiting {
                    a.forget_link();
                    a.console_after = None;
                }
                next.resimulate(Some(0))
            }
            Action::SetOverride(key, value) => {
                if let Some(a) = &mut next.awaiting {
                    a.forget_link();
                }
                next.overrides.retain(|(k, _)| *k != key);
                next.overrides.push((key, value));
                next.resimulate(None)
            }
            Action::ResetOverrides => {
                if let Some(a) = &mut next.awaiting {
                    a.forget_link();
                    a.console_after = None;
                }
                next.overrides.clear();
                next.console.clear();
                next.resimulate(None)
            }
            Action::First => next.goto(0),
            Action::Prev => {
                if self.quiz.asking.is_some() {
                    // Step back from the question to the step before it.
                    next.quiz.asking = None;
                    next
                } else {
                    let to = self.prev_shown().unwrap_or(self.index);
                    next.goto(to)
                }
            }
            Action::Next => {
                if self.quiz.asking.is_some() {
                    return self;
                }
                let to = self.next_shown().unwrap_or(self.index);
                next.goto(to)
            }
            Action::Last => next.goto(last),
            Action::Goto(i) => next.goto(i),
            Action::ToggleDetail => {
                next.view.detail = !self.view.detail;
                next.index = next.snap(next.index);
                next
            }
            Action::GotoPosition(p) => {
                let visible = self.visible();
                let to = visible.get(p).or(visible.last()).copied().unwrap_or(0);
                next.goto(to)
            }
            Action::TogglePlay => {
                if self.playing {
                    next.playing = false;
                } else if !self.is_empty() {
                    // Playing from the last step starts over.
                    if self.next_shown().is_none() {
                        next.index = 0;
                    }
                    next.playing = true;
                }
                next
            }
            Action::Tick => {
                if !self.playing {
                    return self;
                }
                match self.next_shown() {
                    None => {
                        next.playing = false;
                        next
                    }
                    Some(to) => {
                        let mut next = next.advance(to);
                        next.playing = next.playing && next.next_shown().is_some();
                        next
                    }
                }
            }
            Action::SetSpeed(ms) => {
                next.speed_ms = ms.max(50);
                next
            }
            Action::Console(input) => {
                let after = self.index;
                if let Some(a) = &mut next.awaiting {
                    a.forget_link();
                }
                next.console.push(ConsoleEntry { after, input });
                next.console.sort_by_key(|e| e.after);
                let mut resimulated = next.resimulate(None);
                if resimulated.awaits_trace() {
                    resimulated.awaiting.get_or_insert_default().console_after = Some(after);
                    return Rc::new(resimulated);
                }
                // Show the first step the new entry produced.
                match resimulated.console_mark(after) {
                    Some(pos) => resimulated.goto(pos),
                    None => resimulated,
                }
            }
            Action::ToggleHelp => {
                next.help_open = !self.help_open;
                next
            }
            Action::CloseHelp => {
                if !self.help_open {
                    return self;
                }
                next.help_open = false;
                next
            }
            Action::SetView(view) => {
                if view.quiz != self.view.quiz {
                    next.quiz = QuizState::default();
                }
                next.view = view;
                // At message level, the current decision becomes the message it annotates.
                next.index = next.snap(next.index);
                next
            }
            Action::Answer(choice) => {
                let (Some(q), Some(trace)) = (self.quiz.asking, self.trace.as_ref()) else {
                    return self;
                };
                let Some(question) = question_for(trace, q) else {
                    return self;
                };
                if choice >= question.choices.len() {
                    return self;
                }
                let correct = choice == question.answer;
                next.quiz.answers.insert(
                    q,
                    QuizAnswer {
                        chosen: choice,
                        correct,
                    },
                );
                next.quiz.asked += 1;
                next.quiz.right += u32::from(correct);
                next.quiz.asking = None;
                next.index = q;
                next
            }
            Action::Import(name, trace) => {
                let known = self.catalogue.iter().any(|s| s.id == trace.scenario.id);
                if known {
                    next.scenario_id = trace.scenario.id.clone();
                    next.scenario = starttls_sim::scenario::find(&trace.scenario.id)
                        .ok()
                        .map(Rc::new);
                } else {
                    next.scenario = None;
                }
                next.overrides.clear();
                next.console.clear();
                next.console_marks.clear();
                next.index = 0;
                next.playing = false;
                next.error = None;
                next.import_error = None;
                next.quiz.asking = None;
                next.quiz.answers.clear();
                next.trace = Some(trace);
                next.imported = Some(name);
                next.awaiting = None;
                next
            }
            Action::ImportFailed(message) => {
                next.import_error = Some(message);
                next
            }
            Action::Compare(pair) => {
                next.compare = None;
                next.compare_pos = 0;
                // A newer request replaces one that waits (and its link's step).
                if let Some(w) = &mut next.awaiting {
                    w.compare = None;
                    w.step = None;
                }
                if let Some((a, b)) = pair {
                    next.open_comparison(a, b, None);
                }
                next
            }
            Action::EngineReady => match self.after_engine_ready() {
                Some(ready) => ready,
                None => return self,
            },
            Action::EngineFailed(why) => next.after_engine_failed(why),
            Action::DismissNotices => {
                next.notices.clear();
                next.import_error = None;
                next
            }
            Action::Live(event) => {
                let Some(current) = &self.live else {
                    return self;
                };
                let at_end = self.trace.is_none() || self.position() + 1 >= self.visible_len();
                let mut live = live::LiveState::clone(current);
                let shown = live.apply(event);
                let follow = live.follow;
                let trace = live.shown().map(|s| s.trace.clone());
                next.live = Some(Rc::new(live));
                match shown {
                    live::Shown::Same => {}
                    live::Shown::Switched | live::Shown::Grew => {
                        let switched = shown == live::Shown::Switched;
                        next.trace = trace;
                        next.awaiting = None;
                        next.playing = false;
                        next.quiz.asking = None;
                        if switched {
                            next.quiz.answers.clear();
                        }
                        let last = next.visible().last().copied().unwrap_or(0);
                        next.index = if follow && (at_end || switched) {
                            last
                        } else if switched {
                            0
                        } else {
                            next.index.min(last)
                        };
                    }
                }
                next
            }
        };
        Rc::new(next)
    }
}
