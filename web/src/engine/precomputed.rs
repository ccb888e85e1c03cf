//! Traces of the catalogue that `cargo xtask build` computed natively, with the same engine,
//! and wrote into `dist/traces/<id>.bin` (compact form). The page fetches the ones its first
//! view needs before its first render, so the first screen waits for no engine: a scenario
//! without policy changes or console entries is answered from here.
//!
//! A run of the engine differs from another only in its TLS randomness (keys, nonces, the
//! bytes of encrypted records), so a precomputed trace shows what the page would compute.
//! Where there is none (`trunk serve` writes none), the engine computes it.

use std::cell::RefCell;

use starttls_sim::compact;
use starttls_sim::console::Simulated;
use starttls_sim::scenario::{self, Scenario};

thread_local! {
    static TRACES: RefCell<Vec<(Scenario, Simulated)>> = const { RefCell::new(Vec::new()) };
}

/// The precomputed run of `scenario`, if it is a catalogue scenario as it ships.
pub fn get(scenario: &Scenario) -> Option<Simulated> {
    TRACES.with(|t| {
        t.borrow()
            .iter()
            .find(|(s, _)| s == scenario)
            .map(|(_, sim)| sim.clone())
    })
}

/// Keeps the run of the catalogue scenario `id` read from `bytes` (compact [`Simulated`]).
pub fn insert(id: &str, bytes: &[u8]) -> Result<(), String> {
    let scenario = scenario::find(id).map_err(|e| e.to_string())?;
    let sim: Simulated = compact::decode(bytes).map_err(|e| e.to_string())?;
    if sim.trace.scenario.id != id {
        return Err(format!(
            "traces/{id}.bin holds the trace of {}",
            sim.trace.scenario.id
        ));
    }
    TRACES.with(|t| t.borrow_mut().push((scenario, sim)));
    Ok(())
}

/// Fetches `traces/<id>.bin` (relative to the page) for each catalogue id; a missing or
/// unreadable file is skipped (the engine then computes that trace), and named in the
/// returned list.
pub async fn fetch(ids: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for id in ids {
        if scenario::find(id).is_err() {
            continue;
        }
        let url = format!("traces/{id}.bin");
        let result = async {
            let response = gloo::net::http::Request::get(&url)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let bytes = response.binary().await.map_err(|e| e.to_string())?;
            insert(id, &bytes)
        }
        .await;
        if let Err(e) = result {
            problems.push(format!("{url}: {e}"));
        }
    }
    problems
}

/// The catalogue ids whose precomputed traces the view that `search` (a URL query) opens
/// needs: its scenario, and both sides of a comparison. None when the view needs the engine
/// anyway (policy overrides) or shows no simulation (live mode).
pub fn wanted(search: &str) -> Vec<String> {
    let query = crate::view::permalink::parse_query(search).query;
    if query.live.is_some() || !query.overrides.is_empty() {
        return Vec::new();
    }
    let mut ids = vec![
        query
            .scenario
            .unwrap_or_else(|| crate::state::DEFAULT_SCENARIO.to_string()),
    ];
    if let Some((a, b)) = query.compare {
        ids.extend([a, b]);
    }
    ids.dedup();
    ids
}
