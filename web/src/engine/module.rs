//! The engine as a wasm module of its own (`crates/engine`), loaded by `loader.js` and called
//! synchronously once loaded. Scenarios go in as JSON; everything comes back in compact form.

use starttls_sim::HandshakeFact;
use starttls_sim::compact;
use starttls_sim::console::{ConsoleEntry, Simulated};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario::Scenario;
use starttls_sim::trace::Trace;
use wasm_bindgen::prelude::*;

use super::EngineError;

#[wasm_bindgen(module = "/src/engine/loader.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn load_engine() -> Result<(), JsValue>;
    fn engine_loaded() -> bool;
    #[wasm_bindgen(catch)]
    fn engine_simulate(scenario: &str, console: &[u8]) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(catch)]
    fn engine_demo_handshake() -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(catch)]
    fn engine_import_trace(text: &str) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(catch)]
    fn engine_read_lab_message(text: &str) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(catch)]
    fn engine_export_json(trace: &[u8]) -> Result<String, JsValue>;
    #[wasm_bindgen(catch)]
    fn engine_export_pcapng(trace: &[u8], start_unix: u64) -> Result<Vec<u8>, JsValue>;
}

/// The message of a value the engine module threw: its string, or a JS error's text.
fn message(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Error::from(e).to_string().as_string())
        .unwrap_or_else(|| "the engine module failed".into())
}

/// Decodes the engine's compact answer, or turns its error into [`EngineError::Failed`].
fn answer<T: serde::de::DeserializeOwned>(
    call: impl FnOnce() -> Result<Vec<u8>, JsValue>,
) -> Result<T, EngineError> {
    if !engine_loaded() {
        return Err(EngineError::Loading);
    }
    let bytes = call().map_err(|e| EngineError::Failed(message(e)))?;
    compact::decode(&bytes).map_err(|e| EngineError::Failed(e.to_string()))
}

pub async fn load() -> Result<(), String> {
    load_engine()
        .await
        .map_err(|e| format!("the engine module could not be loaded: {}", message(e)))
}

pub fn is_loaded() -> bool {
    engine_loaded()
}

pub fn simulate(scenario: &Scenario, console: &[ConsoleEntry]) -> Result<Simulated, EngineError> {
    let json = serde_json::to_string(scenario).map_err(|e| EngineError::Failed(e.to_string()))?;
    let console = compact::encode(&console).map_err(|e| EngineError::Failed(e.to_string()))?;
    answer(|| engine_simulate(&json, &console))
}

pub fn demo_handshake() -> Result<HandshakeFact, EngineError> {
    answer(engine_demo_handshake)
}

pub fn import_trace(text: &str) -> Result<Trace, EngineError> {
    answer(|| engine_import_trace(text))
}

/// A trace in compact form, for the engine module.
fn compact_trace(trace: &Trace) -> Result<Vec<u8>, EngineError> {
    if !engine_loaded() {
        return Err(EngineError::Loading);
    }
    compact::encode(trace).map_err(|e| EngineError::Failed(e.to_string()))
}

pub fn export_json(trace: &Trace) -> Result<String, EngineError> {
    let bytes = compact_trace(trace)?;
    engine_export_json(&bytes).map_err(|e| EngineError::Failed(message(e)))
}

pub fn export_pcapng(trace: &Trace, start_unix: u64) -> Result<Vec<u8>, EngineError> {
    let bytes = compact_trace(trace)?;
    engine_export_pcapng(&bytes, start_unix).map_err(|e| EngineError::Failed(message(e)))
}

pub fn read_lab_message(text: &str) -> Result<LabMessage, EngineError> {
    answer(|| engine_read_lab_message(text))
}
