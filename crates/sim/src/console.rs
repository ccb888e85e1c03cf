//! The console: lines a person types on the client's connection, and bytes the attacker puts
//! on the wire, each at a chosen step of the dialogue. [`simulate`] replays a scenario with
//! them from the start (the UI does so on every change; a scenario takes milliseconds).

use serde::{Deserialize, Serialize};

use crate::trace::{Direction, Trace};
#[cfg(feature = "engine")]
use crate::{Engine, SimError, scenario::Scenario};

/// What the person typed at the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsoleInput {
    /// A line on the client's connection (sent through TLS when the client's TLS is up).
    ClientLine(String),
    /// Raw bytes the attacker puts on the wire in one direction.
    Injection(Direction, Vec<u8>),
}

/// One console entry, applied once the trace has `after + 1` steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleEntry {
    /// The step the person was looking at when typing.
    pub after: usize,
    /// What was typed.
    pub input: ConsoleInput,
}

/// A simulation result: the trace, and for each console entry the index of its first step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulated {
    /// The whole trace.
    pub trace: Trace,
    /// Where each console entry's steps start, in entry order.
    pub console_marks: Vec<usize>,
}

/// Runs `scenario` (with the `engine` feature), pushing each console entry when the trace reaches its step.
#[cfg(feature = "engine")]
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
