//! Links: the state a URL query asks for (every value that cannot be used named in a
//! notice), and the query of the current view ([`crate::view::permalink`]).

use std::rc::Rc;

use super::{AppState, effective_scenario, live};
use crate::view::permalink::{self, Query, ViewOptions};

impl AppState {
    /// The state a URL query asks for (`?scenario=…&step=…&set=…`), or the nearest valid one:
    /// every value that cannot be used is named in a notice.
    pub fn from_query(search: &str) -> Self {
        let parsed = permalink::parse_query(search);
        let mut notices = parsed.notices;
        let query = parsed.query;
        let mut state = AppState::new(query.scenario.as_deref());
        if let Some(id) = &query.scenario
            && *id != state.scenario_id
        {
            notices.push(format!(
                "The scenario {:?} is unknown: {} is shown instead (the picker lists every scenario).",
                crate::view::labels::truncate(id, 60),
                state.scenario_id
            ));
        }
        // Overrides one by one: each one the engine refuses is named and dropped.
        let mut kept: Vec<(String, String)> = Vec::new();
        for (key, value) in query.overrides {
            let mut trial = kept.clone();
            trial.push((key.clone(), value.clone()));
            match effective_scenario(&state.scenario_id, &trial) {
                Ok(_) => kept = trial,
                Err(e) => notices.push(format!(
                    "The policy override set={key}={value} was ignored: {e}"
                )),
            }
        }
        if !kept.is_empty() {
            state.overrides = kept;
            state = state.resimulate(Some(0));
            if state.awaits_trace() {
                state.awaiting.get_or_insert_default().link_overrides = true;
            } else {
                state.drop_refused_link_overrides(&mut notices);
            }
        }
        state.view = query.view;
        if let Some(step) = query.step {
            if state.awaits_trace() {
                state.awaiting.get_or_insert_default().step = Some(step);
            } else {
                state.go_to_linked_step(step, &mut notices);
            }
        }
        state.index = state.snap(state.index);
        state.notices = notices;
        if let Some((a, b)) = query.compare {
            let known = |id: &str| state.catalogue.iter().any(|s| s.id == id);
            if known(&a) && known(&b) {
                state.open_comparison(a, b, query.step);
            } else {
                state.notices.push(format!(
                    "The parameter compare={}: names a scenario that is not in the catalogue: the comparison is not shown.",
                    crate::view::labels::truncate(&format!("{a},{b}"), 80)
                ));
            }
        }
        if let Some(url) = query.live {
            state.live = Some(Rc::new(live::LiveState::new(url)));
            state.trace = None;
            state.scenario = None;
            state.compare = None;
            state.index = 0;
            state.awaiting = None;
        }
        state
    }

    /// When the engine refused a link's policy overrides together, drops them and says so.
    pub(super) fn drop_refused_link_overrides(&mut self, notices: &mut Vec<String>) {
        if self.trace.is_none() && !self.overrides.is_empty() {
            notices.push(format!(
                "The policy overrides of the link were ignored: {}",
                self.error.clone().unwrap_or_default()
            ));
            self.overrides.clear();
            *self = self.clone().resimulate(Some(0));
        }
    }

    /// Goes to step `step` (from 1) of a link, naming a step past the end in a notice.
    pub(super) fn go_to_linked_step(&mut self, step: usize, notices: &mut Vec<String>) {
        let len = self.len();
        if step > len && len > 0 {
            notices.push(format!(
                "The parameter step={step} is past the end: this dialogue has {len} steps, the last one is shown."
            ));
        }
        self.index = step.saturating_sub(1).min(len.saturating_sub(1));
        self.index = self.snap(self.index);
    }

    /// The query string of the current view (`?scenario=…&step=…`): with the view options for
    /// the address bar, without them for a link to share.
    pub fn query(&self, with_view: bool) -> String {
        let waiting_compare = self.awaiting.as_ref().and_then(|a| {
            a.compare
                .clone()
                .map(|pair| (pair, a.step.unwrap_or(1).saturating_sub(1)))
        });
        let compare = self
            .compare
            .as_ref()
            .map(|c| ((c.left.0.clone(), c.right.0.clone()), self.compare_pos))
            .or(waiting_compare);
        if let Some((pair, pos)) = compare {
            return permalink::to_query(&Query {
                compare: Some(pair),
                step: Some(pos + 1),
                view: if with_view {
                    self.view
                } else {
                    ViewOptions::default()
                },
                ..Query::default()
            });
        }
        if let Some(live) = &self.live {
            return permalink::to_query(&Query {
                live: Some(live.url.clone()),
                view: if with_view {
                    self.view
                } else {
                    ViewOptions::default()
                },
                ..Query::default()
            });
        }
        permalink::to_query(&Query {
            compare: None,
            live: None,
            scenario: Some(self.scenario_id.clone()),
            // While the dialogue waits for the engine, the step it will open at.
            step: if self.awaits_trace() {
                Some(
                    self.awaiting
                        .as_ref()
                        .and_then(|a| a.step)
                        .unwrap_or(self.index + 1),
                )
            } else {
                (!self.is_empty()).then_some(self.index + 1)
            },
            overrides: self.overrides.clone(),
            view: if with_view {
                self.view
            } else {
                ViewOptions::default()
            },
        })
    }
}
