//! `cargo run -p starttls-engine --bin precompute-traces -- DIR`: writes `DIR/<id>.bin`, the
//! trace of every catalogue scenario with no console entries, in compact form
//! (`starttls_sim::compact`), for the shipped page's first view. `cargo xtask build` runs it
//! natively and names the folder after its content.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: precompute-traces DIR");
        return ExitCode::from(2);
    };
    match starttls_engine::precompute_traces(std::path::Path::new(&dir)) {
        Ok(n) => {
            println!("{n} traces written");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("precompute-traces: {e}");
            ExitCode::FAILURE
        }
    }
}
