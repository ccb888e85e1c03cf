//! The engine, as the page sees it: simulations, the first screen's handshake, trace import
//! and the lab's messages.
//!
//! Two builds share this interface:
//! - with the `inline-engine` feature (the default, used by the wasm tests), the engine is
//!   linked into the page's own module and every call answers at once;
//! - without it (the shipped build: `index.html` turns the feature off), the engine is a wasm
//!   module of its own (with the JSON trace reader and writer, and the pcapng writer), `starttls-engine`, that the page loads after its first render
//!   ([`load`]). Until it has loaded, calls answer [`EngineError::Loading`], and the state
//!   waits for [`crate::state::Action::EngineReady`]. Traces cross between the two modules in
//!   compact form ([`starttls_sim::compact`]).
//!
//! Either way, the catalogue's traces that `cargo xtask build` precomputed ([`precomputed`])
//! answer first: the first screen needs no engine at all.

#[cfg(feature = "inline-engine")]
mod inline;
#[cfg(not(feature = "inline-engine"))]
mod module;
pub mod precomputed;

#[cfg(feature = "inline-engine")]
use inline as backend;
#[cfg(feature = "inline-engine")]
pub use inline::hold;
#[cfg(not(feature = "inline-engine"))]
use module as backend;

use starttls_sim::HandshakeFact;
use starttls_sim::console::{ConsoleEntry, Simulated};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::Trace;

/// Why the engine gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The engine module is still loading: ask again after [`load`].
    Loading,
    /// The engine answered with an error (the message is for the person).
    Failed(String),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Loading => f.write_str("the engine is still loading"),
            EngineError::Failed(e) => f.write_str(e),
        }
    }
}

/// Loads the engine (once; later calls wait for the same load). `Err` says why it could not
/// be loaded.
pub async fn load() -> Result<(), String> {
    backend::load().await
}

/// Whether the engine answers calls now.
pub fn is_loaded() -> bool {
    backend::is_loaded()
}

/// Runs `scenario` with the console entries: a precomputed trace when there is one for it.
pub fn simulate(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, EngineError> {
    if console.is_empty()
        && let Some(sim) = precomputed::get(scenario)
    {
        return Ok(sim);
    }
    compute(scenario, console)
}

/// Runs `scenario` with the console entries in the engine, never from a precomputed trace.
pub fn compute(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, EngineError> {
    backend::simulate(scenario, console)
}

/// Runs the first screen's in-memory TLS 1.3 handshake (never precomputed).
pub fn demo_handshake() -> Result<HandshakeFact, EngineError> {
    backend::demo_handshake()
}

/// Reads an exported trace file: the trace, or the import error (field and position).
pub fn import_trace(text: &str) -> Result<Trace, EngineError> {
    backend::import_trace(text)
}

/// Writes the trace file (JSON) of `trace`.
pub fn export_json(trace: &Trace) -> Result<String, EngineError> {
    backend::export_json(trace)
}

/// Writes `trace` as a pcapng capture whose first packet is at `start_unix`.
pub fn export_pcapng(trace: &Trace, start_unix: u64) -> Result<Vec<u8>, EngineError> {
    backend::export_pcapng(trace, start_unix)
}

/// Reads one JSON message of the lab's WebSocket.
pub fn read_lab_message(text: &str) -> Result<LabMessage, EngineError> {
    backend::read_lab_message(text)
}
