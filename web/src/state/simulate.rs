//! Running the engine for the UI: a scenario, its policy overrides and the console entries,
//! replayed from the start every time (a scenario takes a few milliseconds).

use starttls_sim::scenario::{self, Scenario};
use starttls_sim::trace::{Direction, Trace};
use starttls_sim::{Engine, SimError};

/// What the person typed at the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleInput {
    /// A line on the client's connection (sent through TLS when the client's TLS is up).
    ClientLine(String),
    /// Raw bytes the attacker puts on the wire in one direction.
    Injection(Direction, Vec<u8>),
}

/// One console entry, applied once the trace has `after + 1` steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    /// The step the person was looking at when typing.
    pub after: usize,
    /// What was typed.
    pub input: ConsoleInput,
}

/// A simulation result: the trace, and for each console entry the index of its first step.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// The whole trace.
    pub trace: Trace,
    /// Where each console entry's steps start, in entry order.
    pub console_marks: Vec<usize>,
}

/// The scenario `id` with `overrides` applied (dotted keys, JSON values).
pub fn effective_scenario(id: &str, overrides: &[(String, String)]) -> Result<Scenario, SimError> {
    let base = scenario::find(id)?;
    if overrides.is_empty() {
        Ok(base)
    } else {
        scenario::with_overrides(&base, overrides)
    }
}

/// Runs `scenario`, pushing each console entry when the trace reaches its step.
pub fn simulate(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, SimError> {
    let mut engine = Engine::new(scenario)?;
    let mut console_marks = Vec::with_capacity(console.len());
    for entry in console {
        engine.run_steps(entry.after + 1)?;
        console_marks.push(engine.step_count());
        match &entry.input {
            ConsoleInput::ClientLine(line) => engine.push_client_line(line)?,
            ConsoleInput::Injection(direction, bytes) => {
                engine.push_injection(*direction, bytes)?
            }
        }
    }
    engine.run()?;
    Ok(Simulated {
        trace: engine.trace(),
        console_marks,
    })
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
