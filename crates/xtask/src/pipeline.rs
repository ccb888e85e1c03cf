//! The two README commands once the tools are in place: `serve` and the test pipeline.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::scratch::Scratch;
use crate::tools::{Env, describe, run, say, tool};
use crate::{Result, SERVE_ADDRESS, SERVE_PORT, fuzz, root, ship, sizes};

/// The crates that build for `wasm32-unknown-unknown`.
const WASM_CRATES: [&str; 4] = [
    "starttls-protocol",
    "starttls-sim",
    "starttls-engine",
    "starttls-web",
];

fn cargo(env: &Env) -> Command {
    let mut c = tool("cargo");
    c.current_dir(root())
        .env("PATH", &env.path)
        .env("CARGO_TARGET_DIR", &env.target_dir);
    c
}

/// `trunk serve` on the README's address and port, after set-up.
pub fn serve(env: &Env) -> Result {
    say(&format!("serving on http://{SERVE_ADDRESS}:{SERVE_PORT}/"));
    run(tool("trunk")
        .env("CARGO_TARGET_DIR", &env.target_dir)
        .args([
            "serve",
            "--address",
            SERVE_ADDRESS,
            "--port",
            &SERVE_PORT.to_string(),
        ])
        .current_dir(root())
        .env("PATH", &env.path))
}

/// `starttls-playground lab ARGS` on a fresh release build of the app: with `--live`, the lab
/// serves `dist/` (README's one command for the live view).
pub fn lab(env: &Env, args: &[String]) -> Result {
    ship::build(env)?;
    let mut lab = cargo(env);
    lab.args(["run", "--release", "-q", "-p", "starttls-cli", "--", "lab"])
        .args(args);
    if args.iter().any(|a| a == "--live") && !args.iter().any(|a| a == "--dist") {
        lab.arg("--dist").arg(root().join("dist"));
    }
    run(&mut lab)
}

/// Test counts read from the runners' own summary lines.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// Reads `test result: ok. 3 passed; 0 failed; …` (libtest, wasm-bindgen-test-runner)
    /// and `# pass 3` / `# fail 0` (node --test).
    fn read(&mut self, line: &str) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                match words.as_slice() {
                    [.., n, "passed"] => self.passed += n.parse::<u64>().unwrap_or(0),
                    [n, "failed"] => self.failed += n.parse::<u64>().unwrap_or(0),
                    _ => {}
                }
            }
        } else if let Some(n) = line.strip_prefix("# pass ") {
            self.passed += n.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("# fail ") {
            self.failed += n.trim().parse::<u64>().unwrap_or(0);
        }
    }
}

/// Runs a test runner, echoing its standard output line by line and counting its results.
fn run_counted(cmd: &mut Command, tally: &mut Tally) -> Result {
    say(&format!("$ {}", describe(cmd)));
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        tally.read(&line);
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", describe(cmd)).into())
    }
}

/// The pipeline's steps as they run: each header, and at the end each step's wall time.
struct Steps {
    started: Instant,
    /// Each finished or running step: its number, its name, and when it began.
    done: Vec<(usize, String, Instant)>,
}

impl Steps {
    fn new() -> Self {
        Steps {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Prints step `n`'s header and the previous step's duration.
    fn begin(&mut self, n: usize, name: &str) {
        if let Some((m, _, at)) = self.done.last() {
            say(&format!(
                "step {m} took {:.0} s",
                at.elapsed().as_secs_f64()
            ));
        }
        println!("\n==== step {n}/8: {name} ====");
        self.done.push((n, name.to_string(), Instant::now()));
    }

    /// The duration of every step, one line each, then the total.
    fn summary(&self) {
        let ends = self
            .done
            .iter()
            .skip(1)
            .map(|(_, _, at)| *at)
            .chain(std::iter::once(Instant::now()));
        for ((n, name, at), end) in self.done.iter().zip(ends) {
            say(&format!(
                "step {n}: {:>5.0} s  {name}",
                end.duration_since(*at).as_secs_f64()
            ));
        }
        say(&format!(
            "all steps passed in {:.0} s",
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// The whole test pipeline, in the order README gives; stops at the first failure.
pub fn test(env: &Env) -> Result {
    let mut steps = Steps::new();
    let mut tally = Tally::default();
    let root = root();

    steps.begin(1, "cargo fmt --check");
    run(cargo(env).args(["fmt", "--all", "--check"]))?;

    steps.begin(
        2,
        "clippy (native, then wasm32) and cargo doc without warnings",
    );
    run(cargo(env).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let mut wasm_clippy = cargo(env);
    wasm_clippy.args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
    ]);
    for c in WASM_CRATES {
        wasm_clippy.args(["-p", c]);
    }
    run(wasm_clippy.args(["--", "-D", "warnings"]))?;
    // The shipped UI, as `index.html` builds it: the page's module without the engine (no
    // rustls, ring or tls-parser: the engine is a module of its own), and the trace model
    // alone.
    run(cargo(env).args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "starttls-sim",
        "-p",
        "starttls-web",
        "--no-default-features",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo(env)
        .args(["doc", "--workspace", "--no-deps", "--quiet"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;

    // The test runners' steps (3, 5 and 7) write their temporary files here (see `scratch`).
    let scratch = Scratch::create()?;
    steps.begin(3, "native cargo test --workspace");
    run_counted(
        cargo(env)
            .args(["test", "--workspace"])
            .env("TMPDIR", scratch.path()),
        &mut tally,
    )?;

    steps.begin(
        4,
        "fuzz smoke pass (cargo-fuzz, libFuzzer: a few seconds of each target from its seeds)",
    );
    let targets = fuzz::smoke(env)?;
    println!("fuzz smoke: {targets} targets passed, 0 failed");
    tally.passed += targets;

    steps.begin(
        5,
        "wasm tests in headless Chromium (wasm-bindgen-test-runner)",
    );
    run_counted(
        cargo(env)
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "starttls-sim",
                "-p",
                "starttls-web",
            ])
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("TMPDIR", scratch.path())
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        &mut tally,
    )?;

    steps.begin(
        6,
        "trunk build --release --public-url ./, the boot script moved out, precompressed",
    );
    ship::build(env)?;

    steps.begin(
        7,
        "end-to-end tests (node --test, Chromium, dist/ on 127.0.0.1)",
    );
    let tests_dir = root.join("web/e2e/tests");
    let mut files: Vec<_> = std::fs::read_dir(&tests_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    run_counted(
        tool("node")
            .arg("--test")
            .args(&files)
            .current_dir(root.join("web/e2e"))
            .env("PATH", &env.path)
            .env("DIST_DIR", root.join("dist"))
            // The CLI the native tests built: the lab's end-to-end test runs its server.
            .env(
                "LAB_BIN",
                std::path::Path::new(&env.target_dir).join("debug/starttls-playground"),
            )
            .env("SCREENSHOT_DIR", root.join("target/screenshots"))
            .env("TMPDIR", scratch.path()),
        &mut tally,
    )?;

    steps.begin(8, "size report and budget");
    let rows = sizes::report(&root.join("dist"))?;
    sizes::check_budget(&rows)?;

    scratch.remove()?;
    say(&format!("wasm-bindgen {}", env.wasm_bindgen));
    steps.summary();
    // The closing line: every runner's counts added up.
    println!("total: {} passed, {} failed", tally.passed, tally.failed);
    Ok(())
}
