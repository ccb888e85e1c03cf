//! Project automation, in the cargo-xtask convention (`cargo xtask <command>`).
//!
//! - `cargo xtask serve`: install what is missing, then `trunk serve` on 127.0.0.1:8080.
//! - `cargo xtask test`: install what is missing, then run every check and test, in order,
//!   stopping at the first failure.
//! - `cargo xtask lab -- ARGS`: install what is missing, build the app, then run
//!   `starttls-playground lab ARGS` (with `--live`, it serves that build).
//! - `cargo xtask fuzz [TARGET] [--seconds N] [--fast] [-- ARGS]`: a fuzzing
//!   campaign (installs cargo-fuzz if missing); `cargo xtask fuzz-seeds` rewrites the seeds.
//! - `cargo xtask build`: the app as it ships, into `dist/` (relative URLs, no inline
//!   script, precompressed `.gz` and `.br`); the test command and the Pages workflow run it.
//! - `cargo xtask setup`: only install what is missing (both commands call it).
//! - `cargo xtask sizes`: print the size table of `dist/`.
//! - `cargo xtask pki`: regenerate the test PKI in `crates/sim/pki/`.
#![forbid(unsafe_code)]

mod fuzz;
mod pipeline;
mod pki;
mod scratch;
mod ship;
mod sizes;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

/// The address and port `cargo xtask serve` serves on; README.md names them.
pub const SERVE_ADDRESS: &str = "127.0.0.1";
/// See [`SERVE_ADDRESS`].
pub const SERVE_PORT: u16 = 8080;

/// Errors are reported as text: this is a developer tool.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The workspace root (two levels above this crate).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the xtask crate lives inside the workspace")
}

const USAGE: &str = "usage: cargo xtask <serve|build|test|lab|fuzz|fuzz-seeds|setup|sizes|pki>

  serve   install what is missing, then trunk serve on http://127.0.0.1:8080
  build   the app as it ships, into dist/ (relative URLs, no inline script, .gz and .br)
  lab     build the app, then run the lab: cargo xtask lab -- server --live [...]
  test    install what is missing, then run every check and test
  fuzz    a fuzzing campaign: cargo xtask fuzz [TARGET] [--seconds N] [--fast] [-- ARGS]
  fuzz-seeds  write fuzz/seeds/ again from the golden transcripts and RFC examples
  setup   only install what is missing (idempotent)
  sizes   print raw and gzip sizes of the files in dist/
  pki     regenerate the simulation's test PKI (crates/sim/pki/)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => tools::setup(tools::Purpose::Serve).and_then(|env| pipeline::serve(&env)),
        Some("test") => tools::setup(tools::Purpose::Test).and_then(|env| pipeline::test(&env)),
        Some("lab") => tools::setup(tools::Purpose::Serve).and_then(|env| {
            let rest: Vec<String> = args[1..]
                .iter()
                .skip_while(|a| *a == "--")
                .cloned()
                .collect();
            pipeline::lab(&env, &rest)
        }),
        Some("fuzz") => {
            tools::setup(tools::Purpose::Fuzz).and_then(|env| fuzz::campaign(&env, &args[1..]))
        }
        Some("fuzz-seeds") => tools::setup(tools::Purpose::Fuzz).and_then(|env| fuzz::seeds(&env)),
        Some("build") => tools::setup(tools::Purpose::Serve).and_then(|env| ship::build(&env)),
        Some("setup") => tools::setup(tools::Purpose::Test).map(|_| ()),
        Some("sizes") => sizes::report(&root().join("dist")).map(|_| ()),
        Some("pki") => pki::generate(&root().join("crates/sim/pki")),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: unknown command {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
