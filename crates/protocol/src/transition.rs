//! Rows of a state-transition table, shared by the server's and the client's
//! `TRANSITIONS` tables (in the manner of h11's `_state.py`). A UI can draw the
//! tables; the machines check every state change they make against them.

use crate::rules::RuleId;
use serde::Serialize;

/// One allowed state change: in state `from`, on `on`, go to `to`, applying `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The state name before.
    pub from: &'static str,
    /// What triggers the change: a command verb, a reply, or a caller call such as `tls_established`.
    pub on: &'static str,
    /// The state name after.
    pub to: &'static str,
    /// The rules this change applies.
    pub rules: &'static [RuleId],
}

/// Finds the row for `(from, on, to)` in `table`; a row whose `from` is `"*"` matches any state.
pub fn find(
    table: &'static [Transition],
    from: &str,
    on: &str,
    to: &str,
) -> Option<&'static Transition> {
    table
        .iter()
        .find(|t| (t.from == from || t.from == "*") && t.on == on && t.to == to)
}

pub(crate) const fn t(
    from: &'static str,
    on: &'static str,
    to: &'static str,
    rules: &'static [RuleId],
) -> Transition {
    Transition {
        from,
        on,
        to,
        rules,
    }
}
