//! The engine linked into the page's module: every call answers at once.

use starttls_sim::HandshakeFact;
use starttls_sim::console::{ConsoleEntry, Simulated};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::Trace;

use super::EngineError;

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(e.to_string())
}

pub async fn load() -> Result<(), String> {
    Ok(())
}

pub fn is_loaded() -> bool {
    true
}

pub fn simulate(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, EngineError> {
    starttls_sim::console::simulate(scenario, console).map_err(failed)
}

pub fn demo_handshake() -> Result<HandshakeFact, EngineError> {
    starttls_sim::demo_handshake().map_err(failed)
}

pub fn import_trace(text: &str) -> Result<Trace, EngineError> {
    Trace::from_json(text).map_err(failed)
}

pub fn read_lab_message(text: &str) -> Result<LabMessage, EngineError> {
    serde_json::from_str(text).map_err(failed)
}
