//! The engine module: `starttls-sim` with its engine (rustls, ring, the SMTP machines), built
//! as a wasm module of its own that the page loads after its first render.
//!
//! The page's own module holds the trace model but no TLS code, and no JSON reader for
//! traces: that keeps its first load small. It asks this module for what needs either:
//!
//! | call | in | out |
//! |---|---|---|
//! | [`simulate`] | a scenario (JSON) and console entries (compact) | a [`Simulated`] (compact) |
//! | [`demo_handshake`] | — | a [`HandshakeFact`](starttls_sim::HandshakeFact) (compact) |
//! | [`import_trace`] | a trace file's text (JSON) | a [`Trace`](starttls_sim::Trace) (compact) |
//! | [`read_lab_message`] | a lab message (JSON) | a [`LabMessage`] (compact) |
//! | [`export_json`] | a trace (compact) | the trace file's text (JSON) |
//! | [`export_pcapng`] | a trace (compact) and the capture's start (Unix seconds) | a pcapng capture |
//!
//! "Compact" is [`starttls_sim::compact`]. Only strings and byte arrays cross between the two
//! modules. Every error is a message for the person, thrown as a JS string; nothing panics on
//! bad input.
//!
//! Call order: the page imports `starttls-engine.js`, awaits its default export (which
//! instantiates `starttls-engine_bg.wasm`), then calls these functions synchronously.
#![forbid(unsafe_code)]

use starttls_sim::compact;
use starttls_sim::console::{ConsoleEntry, Simulated};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario::Scenario;
use wasm_bindgen::prelude::*;

/// Installs the panic hook (a panic would be a bug: it then reaches the console).
pub fn init() {
    console_error_panic_hook::set_once();
}

fn compact<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, String> {
    compact::encode(value).map_err(|e| e.to_string())
}

/// Runs `scenario` (JSON, as the page serialises it) with the console entries `console`
/// (compact `Vec<ConsoleEntry>`), and returns the compact [`Simulated`].
#[wasm_bindgen]
pub fn simulate(scenario: &str, console: &[u8]) -> Result<Vec<u8>, String> {
    let scenario: Scenario =
        serde_json::from_str(scenario).map_err(|e| format!("the scenario: {e}"))?;
    let console: Vec<ConsoleEntry> = compact::decode(console).map_err(|e| e.to_string())?;
    let sim: Simulated =
        starttls_sim::console::simulate(&scenario, &console).map_err(|e| e.to_string())?;
    compact(&sim)
}

/// Runs the first screen's TLS 1.3 handshake in memory; returns the compact
/// [`HandshakeFact`](starttls_sim::HandshakeFact).
#[wasm_bindgen]
pub fn demo_handshake() -> Result<Vec<u8>, String> {
    compact(&starttls_sim::demo_handshake().map_err(|e| e.to_string())?)
}

/// Reads an exported trace file (JSON): the compact [`Trace`](starttls_sim::Trace), or the
/// import error, which names the field and the position.
#[wasm_bindgen]
pub fn import_trace(text: &str) -> Result<Vec<u8>, String> {
    compact(&starttls_sim::Trace::from_json(text).map_err(|e| e.to_string())?)
}

/// Reads one message of the lab's WebSocket (JSON): the compact [`LabMessage`].
#[wasm_bindgen]
pub fn read_lab_message(text: &str) -> Result<Vec<u8>, String> {
    compact(&serde_json::from_str::<LabMessage>(text).map_err(|e| e.to_string())?)
}

/// Writes `dir/<id>.bin` for every catalogue scenario: its run with no console entries, in
/// compact form (the precomputed traces of the shipped page). Returns how many were written.
pub fn precompute_traces(dir: &std::path::Path) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let catalogue = starttls_sim::scenario::catalogue().map_err(|e| e.to_string())?;
    for scenario in &catalogue {
        let sim = starttls_sim::console::simulate(scenario, &[])
            .map_err(|e| format!("{}: {e}", scenario.id))?;
        let path = dir.join(format!("{}.bin", scenario.id));
        std::fs::write(&path, compact(&sim)?).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(catalogue.len())
}

/// Writes the trace file of a trace (compact): the JSON that [`import_trace`] reads back.
#[wasm_bindgen]
pub fn export_json(trace: &[u8]) -> Result<String, String> {
    let trace: starttls_sim::Trace = compact::decode(trace).map_err(|e| e.to_string())?;
    Ok(trace.to_json())
}

/// Writes a trace (compact) as a pcapng capture whose first packet is at `start_unix`.
#[wasm_bindgen]
pub fn export_pcapng(trace: &[u8], start_unix: u64) -> Result<Vec<u8>, String> {
    let trace: starttls_sim::Trace = compact::decode(trace).map_err(|e| e.to_string())?;
    starttls_sim::export::pcapng(&trace, start_unix).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use starttls_sim::scenario;
    use starttls_sim::trace::Trace;

    #[test]
    fn simulate_answers_what_the_engine_computes() {
        let s = scenario::find("happy-path").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let none = compact::encode(&Vec::<ConsoleEntry>::new()).unwrap();
        let sim: Simulated = compact::decode(&simulate(&json, &none).unwrap()).unwrap();
        assert_eq!(sim.trace.scenario.id, "happy-path");
        assert!(sim.trace.outcome.tls_established);
    }

    #[test]
    fn bad_input_is_a_message_not_a_panic() {
        let none = compact::encode(&Vec::<ConsoleEntry>::new()).unwrap();
        assert!(
            simulate("{", &none)
                .unwrap_err()
                .starts_with("the scenario:")
        );
        let json = serde_json::to_string(&scenario::find("happy-path").unwrap()).unwrap();
        assert!(simulate(&json, b"\xff\xff").is_err());
        assert!(import_trace("[]").is_err());
        assert!(read_lab_message("{\"nope\":1}").is_err());
    }

    #[test]
    fn precomputed_traces_are_the_catalogue_in_compact_form() {
        let dir = std::env::temp_dir().join(format!("precompute-{}", std::process::id()));
        let n = precompute_traces(&dir).unwrap();
        assert_eq!(n, scenario::catalogue().unwrap().len());
        let bytes = std::fs::read(dir.join("happy-path.bin")).unwrap();
        let sim: Simulated = compact::decode(&bytes).unwrap();
        assert_eq!(sim.trace.scenario.id, "happy-path");
        assert!(sim.console_marks.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn exports_are_those_of_the_trace_model() {
        let s = scenario::find("happy-path").unwrap();
        let trace = starttls_sim::Engine::simulate(&s).unwrap();
        let bytes = compact::encode(&trace).unwrap();
        assert_eq!(export_json(&bytes).unwrap(), trace.to_json());
        assert_eq!(
            export_pcapng(&bytes, 1_700_000_000).unwrap(),
            starttls_sim::export::pcapng(&trace, 1_700_000_000).unwrap()
        );
        assert!(export_json(b"\x01").is_err());
        assert!(export_pcapng(b"", 0).is_err());
    }

    #[test]
    fn an_exported_trace_imports_back() {
        let s = scenario::find("strip-opportunistic").unwrap();
        let trace = starttls_sim::Engine::simulate(&s).unwrap();
        let text = serde_json::to_string(&trace).unwrap();
        let back: Trace = compact::decode(&import_trace(&text).unwrap()).unwrap();
        assert_eq!(back, trace);
    }
}
