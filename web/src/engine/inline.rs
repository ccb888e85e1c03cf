//! The engine linked into the page's module: every call answers at once.

use starttls_sim::HandshakeFact;
use starttls_sim::console::{ConsoleEntry, Simulated};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::Trace;

use std::cell::Cell;

use super::EngineError;

thread_local! {
    /// Whether the engine acts as a module still loading ([`hold`]).
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Makes the linked engine answer as a module that is still loading ([`EngineError::Loading`]),
/// or answer again: the wasm tests drive the state's waiting path with it.
pub fn hold(on: bool) {
    HELD.with(|h| h.set(on));
}

fn held() -> Result<(), EngineError> {
    if HELD.with(Cell::get) {
        Err(EngineError::Loading)
    } else {
        Ok(())
    }
}

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(e.to_string())
}

pub async fn load() -> Result<(), String> {
    Ok(())
}

pub fn is_loaded() -> bool {
    held().is_ok()
}

pub fn simulate(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, EngineError> {
    held()?;
    starttls_sim::console::simulate(scenario, console).map_err(failed)
}

pub fn demo_handshake() -> Result<HandshakeFact, EngineError> {
    held()?;
    starttls_sim::demo_handshake().map_err(failed)
}

pub fn import_trace(text: &str) -> Result<Trace, EngineError> {
    held()?;
    Trace::from_json(text).map_err(failed)
}

pub fn export_json(trace: &Trace) -> Result<String, EngineError> {
    held()?;
    Ok(trace.to_json())
}

pub fn export_pcapng(trace: &Trace, start_unix: u64) -> Result<Vec<u8>, EngineError> {
    held()?;
    starttls_sim::export::pcapng(trace, start_unix).map_err(failed)
}

pub fn read_lab_message(text: &str) -> Result<LabMessage, EngineError> {
    held()?;
    serde_json::from_str(text).map_err(failed)
}
