//! Rows of a state-transition table, shared by the server's and the client's tables (in
//! the manner of h11's `_state.py`: "every transition lives in one place").
//!
//! A table maps a typed state and a typed trigger to the next state, with the rules the
//! transition applies. Each `(from, on)` pair has at most one row, so the table *decides*
//! where a machine goes: the machine looks the row up ([`lookup`]) and moves to its `to`.
//! A machine that finds no row, or builds a state other than the row's, reports a
//! [`TableMiss`] in release builds too (the trace shows it; tests fail on it).

use crate::rules::RuleId;
use serde::{Deserialize, Serialize};

/// One state change: in state `from` (any state when `None`), on `on`, go to `to`,
/// applying `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition<S: 'static, T: 'static> {
    /// The state before; `None` matches any state.
    pub from: Option<S>,
    /// What triggers the change.
    pub on: T,
    /// The state after.
    pub to: S,
    /// The rules this change applies (cited once, here, and not again on the event).
    pub rules: &'static [RuleId],
}

/// The row for `(from, on)`: an exact `from` first, then a row for any state.
pub fn lookup<S: Copy + Eq, T: Copy + Eq>(
    table: &'static [Transition<S, T>],
    from: S,
    on: T,
) -> Option<&'static Transition<S, T>> {
    table
        .iter()
        .find(|t| t.from == Some(from) && t.on == on)
        .or_else(|| table.iter().find(|t| t.from.is_none() && t.on == on))
}

/// Checks the change `from` --`on`--> `to` against `table`: the row's rules, or the
/// [`TableMiss`] to report. `Ok(None)`: no row, and the state did not change (not a row).
pub fn check<S: Copy + Eq, T: Copy + Eq>(
    table: &'static [Transition<S, T>],
    from: S,
    on: T,
    to: S,
) -> Result<Option<&'static [RuleId]>, TableMiss<S, T>> {
    match lookup(table, from, on) {
        Some(row) if row.to == to => Ok(Some(row.rules)),
        None if from == to => Ok(None),
        row => Err(TableMiss {
            from,
            on,
            to,
            table_says: row.map(|r| r.to),
        }),
    }
}

/// A state change the table does not allow: a defect of the machine, reported as an event
/// (never a panic, never silently dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMiss<S, T> {
    /// The state before.
    pub from: S,
    /// The trigger.
    pub on: T,
    /// The state the machine moved to.
    pub to: S,
    /// The state the table names for `(from, on)`, if it has a row.
    pub table_says: Option<S>,
}

pub(crate) const fn row<S: Copy, T: Copy>(
    from: S,
    on: T,
    to: S,
    rules: &'static [RuleId],
) -> Transition<S, T> {
    Transition {
        from: Some(from),
        on,
        to,
        rules,
    }
}

pub(crate) const fn any<S: Copy, T: Copy>(
    on: T,
    to: S,
    rules: &'static [RuleId],
) -> Transition<S, T> {
    Transition {
        from: None,
        on,
        to,
        rules,
    }
}

/// Checks a table: each `(from, on)` has one row at most. Returns the duplicates.
pub fn duplicates<S: Copy + Eq, T: Copy + Eq>(
    table: &'static [Transition<S, T>],
) -> Vec<&'static Transition<S, T>> {
    table
        .iter()
        .enumerate()
        .filter(|(i, t)| table[..*i].iter().any(|u| u.from == t.from && u.on == t.on))
        .map(|(_, t)| t)
        .collect()
}
