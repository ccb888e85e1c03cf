//! The application state: a [`Reducible`] around the trace, in the shape of yew's
//! `function_todomvc`. Every intent is an [`Action`]; the engine computes the trace, and the
//! state only remembers where the person is in it.

mod simulate;

use std::rc::Rc;

use starttls_sim::scenario::{Group, Scenario};
use starttls_sim::trace::Trace;
use yew::prelude::*;

pub use simulate::{
    ConsoleEntry, ConsoleInput, Simulated, effective_scenario, simulate, typed_bytes,
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
    /// Go to a step.
    Goto(usize),
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
        };
        state.resimulate(None)
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
        match effective_scenario(&self.scenario_id, &self.overrides) {
            Err(e) => {
                self.error = Some(format!("The engine refused this configuration: {e}"));
                self.trace = None;
                self.scenario = None;
            }
            Ok(scenario) => {
                match simulate(&scenario, &self.console) {
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
        self.playing = self.playing && self.index + 1 < self.len();
        self
    }

    fn goto(mut self, index: usize) -> Self {
        self.index = index.min(self.len().saturating_sub(1));
        self
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let last = self.len().saturating_sub(1);
        let next = match action {
            Action::Select(id) => {
                if id == self.scenario_id && self.overrides.is_empty() && self.console.is_empty() {
                    return self;
                }
                next.scenario_id = id;
                next.overrides.clear();
                next.console.clear();
                next.index = 0;
                next.playing = false;
                next.resimulate(Some(0))
            }
            Action::SetOverride(key, value) => {
                next.overrides.retain(|(k, _)| *k != key);
                next.overrides.push((key, value));
                next.resimulate(None)
            }
            Action::ResetOverrides => {
                next.overrides.clear();
                next.console.clear();
                next.resimulate(None)
            }
            Action::First => next.goto(0),
            Action::Prev => next.goto(self.index.saturating_sub(1)),
            Action::Next => next.goto(self.index + 1),
            Action::Last => next.goto(last),
            Action::Goto(i) => next.goto(i),
            Action::TogglePlay => {
                if self.playing {
                    next.playing = false;
                } else if !self.is_empty() {
                    // Playing from the last step starts over.
                    if self.index >= last {
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
                if self.index >= last {
                    next.playing = false;
                } else {
                    next.index += 1;
                    next.playing = next.index < last;
                }
                next
            }
            Action::SetSpeed(ms) => {
                next.speed_ms = ms.max(50);
                next
            }
            Action::Console(input) => {
                let after = self.index;
                next.console.push(ConsoleEntry { after, input });
                next.console.sort_by_key(|e| e.after);
                let resimulated = next.resimulate(None);
                // Show the first step the new entry produced.
                let mark = resimulated
                    .console
                    .iter()
                    .rposition(|e| e.after == after)
                    .and_then(|i| resimulated.console_marks.get(i).copied());
                match mark {
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
        };
        Rc::new(next)
    }
}
