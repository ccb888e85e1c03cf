//! Running the engine for the UI: a scenario, its policy overrides and the console entries,
//! replayed from the start every time (a scenario takes a few milliseconds), through
//! [`crate::engine`].

use starttls_sim::SimError;
use starttls_sim::scenario::{self, Scenario};

pub use crate::engine::{EngineError, simulate};
pub use starttls_sim::console::{ConsoleEntry, ConsoleInput, Simulated};

/// The scenario `id` with `overrides` applied (dotted keys, JSON values).
pub fn effective_scenario(id: &str, overrides: &[(String, String)]) -> Result<Scenario, SimError> {
    let base = scenario::find(id)?;
    if overrides.is_empty() {
        Ok(base)
    } else {
        scenario::with_overrides(&base, overrides)
    }
}

/// Turns typed text into bytes: `\r`, `\n`, `\t` and `\\` escapes are decoded, and a CRLF is
/// appended unless the text already ends with a line end.
pub fn typed_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('r') => out.push(b'\r'),
                Some('n') => out.push(b'\n'),
                Some('t') => out.push(b'\t'),
                Some('\\') => out.push(b'\\'),
                Some(other) => {
                    out.push(b'\\');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
                None => out.push(b'\\'),
            }
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    if !out.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}
