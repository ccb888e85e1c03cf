//! What waits for the engine module while it loads, and what its arrival (or its failure)
//! does to the state ([`crate::engine`]).

use super::AppState;

/// What waits for the engine module to load ([`crate::engine`]): the page then dispatches
/// [`super::Action::EngineReady`], and the state computes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Awaiting {
    /// The dialogue itself: its simulation could not run yet.
    pub trace: bool,
    /// The step a link asked for (from 1), applied once its dialogue is there.
    pub step: Option<usize>,
    /// The comparison asked for.
    pub compare: Option<(String, String)>,
    /// The dialogue's policy overrides came from a link: if the engine refuses them together,
    /// they are dropped with a notice, as when the engine answers at once.
    pub link_overrides: bool,
    /// A console entry typed at this step waits: once computed, its first step is shown.
    pub console_after: Option<usize>,
}

impl Awaiting {
    /// Forgets what a link asked of the dialogue (its step, its overrides), once the person
    /// changes the dialogue.
    pub(super) fn forget_link(&mut self) {
        self.step = None;
        self.link_overrides = false;
    }
}

impl AppState {
    /// Whether the dialogue waits for the engine module.
    pub fn awaits_trace(&self) -> bool {
        self.awaiting.as_ref().is_some_and(|a| a.trace)
    }

    /// Whether anything on screen waits for the engine module (the dialogue or a comparison).
    pub fn waiting(&self) -> bool {
        self.awaiting
            .as_ref()
            .is_some_and(|a| a.trace || a.compare.is_some())
    }

    /// The state once the engine has loaded (at first, or on a retry after a failure): what
    /// waited for it is computed. `None` when nothing changes.
    pub(super) fn after_engine_ready(&self) -> Option<Self> {
        let mut next = self.clone();
        // After a failed load that a retry mended, the dialogue the failure stopped is
        // computed too.
        let mended = self.engine_failure.is_some()
            && self.trace.is_none()
            && self.imported.is_none()
            && self.live.is_none();
        let awaiting = match (self.awaiting.clone(), mended) {
            (Some(a), _) => a,
            (None, true) => Awaiting {
                trace: true,
                ..Awaiting::default()
            },
            (None, false) if self.engine_failure.is_some() => {
                next.engine_failure = None;
                return Some(next);
            }
            (None, false) => return None,
        };
        next.awaiting = None;
        next.engine_failure = None;
        if awaiting.trace {
            next = next.resimulate(None);
            let mut notices = std::mem::take(&mut next.notices);
            if awaiting.link_overrides {
                next.drop_refused_link_overrides(&mut notices);
            }
            if let Some(step) = awaiting.step
                && awaiting.compare.is_none()
            {
                next.go_to_linked_step(step, &mut notices);
            }
            next.notices = notices;
            // The console entry typed while waiting: its first step.
            if let Some(mark) = awaiting.console_after.and_then(|a| next.console_mark(a)) {
                next = next.goto(mark);
            }
        }
        if let Some((a, b)) = awaiting.compare {
            next.open_comparison(a, b, awaiting.step);
        }
        Some(next)
    }

    /// The state once the engine module could not be loaded: what waited for it says why,
    /// and so do later simulations and comparisons.
    pub(super) fn after_engine_failed(mut self, why: String) -> Self {
        if let Some(awaiting) = self.awaiting.take() {
            if awaiting.trace {
                self.error = Some(format!("The simulation cannot run: {why}"));
            }
            if awaiting.compare.is_some() {
                self.comparison_failed(&why);
            }
        }
        self.engine_failure = Some(why);
        self
    }
}
