//! Compare mode: two dialogues side by side, stepped in lockstep at message level.

use std::rc::Rc;

use starttls_sim::trace::Trace;

use super::{AppState, EngineError, effective_scenario, simulate};

/// Two dialogues side by side, and where they part (decided by the engine's comparison).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The first scenario id and its trace.
    pub left: (String, Rc<Trace>),
    /// The second scenario id and its trace.
    pub right: (String, Rc<Trace>),
    /// Where they part.
    pub divergence: Option<starttls_sim::compare::Divergence>,
}

impl Comparison {
    /// Simulates both scenarios; an error with a reason when one cannot be run, or
    /// [`EngineError::Loading`] while the engine loads.
    pub fn new(a: &str, b: &str) -> Result<Self, EngineError> {
        let run = |id: &str| -> Result<Rc<Trace>, EngineError> {
            let scenario = effective_scenario(id, &[])
                .map_err(|e| EngineError::Failed(format!("{id}: {e}")))?;
            simulate(&scenario, &[])
                .map(|s| Rc::new(s.trace))
                .map_err(|e| match e {
                    EngineError::Loading => EngineError::Loading,
                    EngineError::Failed(e) => EngineError::Failed(format!("{id}: {e}")),
                })
        };
        let (left, right) = (run(a)?, run(b)?);
        let divergence = starttls_sim::compare::divergence(&left, &right);
        Ok(Self {
            left: (a.to_string(), left),
            right: (b.to_string(), right),
            divergence,
        })
    }

    /// The number of message-level positions (the longer side's).
    pub fn len(&self) -> usize {
        let count = |t: &Trace| t.steps.iter().filter(|s| s.headline).count();
        count(&self.left.1).max(count(&self.right.1))
    }

    /// Whether neither side has a step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl AppState {
    /// Opens the comparison of `a` and `b` at the message-level position of link step `step`
    /// (from 1; the first when `None`). While the engine loads, it waits for it; a comparison
    /// that cannot be run is named in a notice.
    pub(super) fn open_comparison(&mut self, a: String, b: String, step: Option<usize>) {
        match Comparison::new(&a, &b) {
            Ok(c) => {
                self.compare_pos = step
                    .unwrap_or(1)
                    .saturating_sub(1)
                    .min(c.len().saturating_sub(1));
                self.compare = Some(Rc::new(c));
            }
            Err(EngineError::Loading) if self.engine_failure.is_none() => {
                let awaiting = self.awaiting.get_or_insert_default();
                awaiting.compare = Some((a, b));
                awaiting.step = step;
            }
            Err(EngineError::Loading) => {
                let why = self.engine_failure.clone().unwrap_or_default();
                self.comparison_failed(&why);
            }
            Err(EngineError::Failed(e)) => self.comparison_failed(&e),
        }
    }

    /// Names a comparison that could not be run.
    pub(super) fn comparison_failed(&mut self, why: &str) {
        self.notices
            .push(format!("The comparison could not be run: {why}"));
    }
}
