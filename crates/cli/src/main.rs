//! `starttls-playground`: runs the playground's engine from a terminal.
//!
//! Commands (more arrive with the scenario catalogue):
//! - `handshake [--json]`: run the in-memory TLS 1.3 handshake and print what it negotiated.
//!
//! Exit codes: 0 success; 1 the simulation failed; 2 bad usage.
#![forbid(unsafe_code)]

use std::process::ExitCode;

const USAGE: &str = "usage: starttls-playground handshake [--json]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["handshake", rest @ ..] if rest.iter().all(|a| *a == "--json") => {
            match starttls_sim::demo_handshake() {
                Ok(fact) if rest.is_empty() => {
                    println!(
                        "{} {} ({}): client wrote {} records, server wrote {} records, {} flights, {} bytes",
                        fact.version,
                        fact.suite,
                        fact.group,
                        fact.client_records,
                        fact.server_records,
                        fact.flights,
                        fact.bytes
                    );
                    ExitCode::SUCCESS
                }
                Ok(fact) => match serde_json::to_string_pretty(&fact) {
                    Ok(json) => {
                        println!("{json}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::FAILURE
                    }
                },
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
