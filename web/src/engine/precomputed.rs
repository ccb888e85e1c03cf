//! Traces of the catalogue that `cargo xtask build` computed natively, with the same engine,
//! and wrote into `dist/traces-<hash>/<id>.bin` (compact form; `index.html` names the folder). The page fetches the ones its first
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
            "the precomputed {id}.bin holds the trace of {}",
            sim.trace.scenario.id
        ));
    }
    TRACES.with(|t| t.borrow_mut().push((scenario, sim)));
    Ok(())
}

/// The folder of the traces, relative to the page: the one `<meta name="starttls-engine">`
/// names (`data-traces`), or none (`trunk serve` writes no traces).
fn folder() -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector("meta[name=\"starttls-engine\"]")
        .ok()??
        .get_attribute("data-traces")
        .filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Fetches `<folder>/<id>.bin` (relative to the page) for each catalogue id; a missing or
/// unreadable file is skipped (the engine then computes that trace), and named in the
/// returned list.
pub async fn fetch(ids: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(folder) = folder() else {
        return problems;
    };
    for id in ids {
        if scenario::find(id).is_err() {
            continue;
        }
        let url = format!("{folder}/{id}.bin");
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
    // An unknown scenario opens the default one.
    let known = |id: &String| scenario::find(id).is_ok();
    let mut ids = vec![
        query
            .scenario
            .filter(known)
            .unwrap_or_else(|| crate::state::DEFAULT_SCENARIO.to_string()),
    ];
    for id in query.compare.into_iter().flat_map(|(a, b)| [a, b]) {
        if known(&id) && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}
