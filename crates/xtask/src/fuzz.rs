//! Coverage-guided fuzzing with cargo-fuzz (libFuzzer) on the stable toolchain.
//!
//! - `cargo xtask fuzz [TARGET] [--seconds N] [--fast] [-- LIBFUZZER ARGS]`: a
//!   campaign of `N` seconds (default 60) on one target, or on each in turn. It installs
//!   cargo-fuzz first if it is missing. The corpus grows in `fuzz/corpus/TARGET` (not
//!   committed) from the committed seeds in `fuzz/seeds/TARGET`; libFuzzer's whole log is
//!   kept beside it, in `fuzz/corpus/TARGET.log`.
//! - `cargo xtask fuzz-seeds`: writes `fuzz/seeds/` again from the golden transcripts
//!   (`crates/sim/tests/golden/`), the RFC examples below and two exported traces.
//! - [`smoke`]: the test command's bounded pass, a few seconds of each target from its seeds.
//!
//! cargo-fuzz needs nightly flags (`-Z sanitizer`); `RUSTC_BOOTSTRAP=1` lets the stable
//! compiler take them, as nothing else can be downloaded here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::tools::{Env, describe, run, say, tool};
use crate::{Result, root};

/// Every target in `fuzz/Cargo.toml`, in the order a full campaign runs them.
pub const TARGETS: [&str; 8] = [
    "command",
    "reply",
    "server",
    "client",
    "engine",
    "trace_import",
    "permalink",
    "lab_session",
];

/// Seconds of each target in the test command's smoke pass.
const SMOKE_SECONDS: u32 = 3;

/// cargo-fuzz's version, installed from crates.io when missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn ensure_cargo_fuzz(env: &Env) -> Result {
    crate::tools::ensure_cargo_tool(
        &env.path,
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        &["--locked", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION],
    )
}

/// How a campaign or the smoke pass builds the targets.
#[derive(Clone, Copy)]
struct Build {
    /// Optimised (`--release`, cargo-fuzz's default) or debug with debug assertions (`--dev`).
    release: bool,
    /// AddressSanitizer and comparison tracing on (cargo-fuzz's defaults), or both off
    /// (`--fast`: `-s none --no-trace-compares`). The project's code forbids `unsafe`, so
    /// ASan mostly watches the dependencies; the engine target runs several times faster
    /// without either.
    sanitizer: bool,
}

impl Build {
    fn target_dir(self, env: &Env) -> PathBuf {
        let name = match (self.release, self.sanitizer) {
            (true, true) => "fuzz-release-asan",
            (true, false) => "fuzz-release-fast",
            (false, true) => "fuzz-dev-asan",
            (false, false) => "fuzz-dev-fast",
        };
        env.target_dir.with_file_name(name)
    }

    fn command(self, env: &Env, verb: &str) -> Command {
        let mut c = tool("cargo");
        c.current_dir(root())
            .env("PATH", &env.path)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", verb])
            .arg("--target-dir")
            .arg(self.target_dir(env));
        if !self.release {
            c.arg("--dev");
        }
        if !self.sanitizer {
            c.args(["-s", "none", "--no-trace-compares"]);
        }
        c
    }
}

/// What libFuzzer said at the end of a run.
#[derive(Debug, Default)]
struct Stats {
    runs: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    seconds: f64,
}

fn field(line: &str, name: &str) -> Option<u64> {
    let rest = line.split(name).nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())?
        .parse()
        .ok()
}

/// Runs one target from its seeds into `corpus`, echoing libFuzzer's last lines.
fn run_target(
    env: &Env,
    build: Build,
    target: &str,
    corpus: &Path,
    seconds: u32,
    extra: &[String],
) -> Result<Stats> {
    std::fs::create_dir_all(corpus)?;
    let seeds = root().join("fuzz/seeds").join(target);
    let mut cmd = build.command(env, "run");
    cmd.arg(target)
        .arg(corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .args(extra);
    say(&format!("$ RUSTC_BOOTSTRAP=1 {}", describe(&cmd)));
    let started = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    let log = String::from_utf8_lossy(&out.stderr);
    // The whole log, beside the corpus: a crash report's panic message and the execution
    // count are in it even when the lines echoed below leave them out.
    let log_file = corpus.with_extension("log");
    std::fs::write(&log_file, log.as_bytes())?;
    let mut stats = Stats {
        seconds: started.elapsed().as_secs_f64(),
        ..Stats::default()
    };
    for line in log.lines() {
        if line.starts_with('#') && (line.contains("DONE") || line.contains("pulse")) {
            stats.cov = field(line, "cov:").unwrap_or(stats.cov);
            stats.ft = field(line, "ft:").unwrap_or(stats.ft);
            stats.corpus = field(line, "corp:").unwrap_or(stats.corpus);
        }
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.runs = n.trim().parse().unwrap_or(0);
        }
    }
    if !out.status.success() {
        // The crash report: libFuzzer's last lines, with the panic and the saved input.
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        for line in tail.into_iter().rev() {
            eprintln!("{line}");
        }
        return Err(format!(
            "fuzz target {target} failed ({}); the whole log is {}",
            out.status,
            log_file.display()
        )
        .into());
    }
    println!(
        "fuzz {target}: {} runs in {:.0} s, cov {} ft {} corpus {}",
        stats.runs, stats.seconds, stats.cov, stats.ft, stats.corpus
    );
    Ok(stats)
}

/// `cargo xtask fuzz [TARGET] [--seconds N] [--fast] [-- LIBFUZZER ARGS]`.
pub fn campaign(env: &Env, args: &[String]) -> Result {
    ensure_cargo_fuzz(env)?;
    let mut seconds = 60;
    let mut targets = Vec::new();
    let mut build = Build {
        release: true,
        sanitizer: true,
    };
    let mut extra = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds takes a whole number")?
            }
            "--fast" => build.sanitizer = false,
            "--" => extra.extend(it.by_ref().cloned()),
            t if TARGETS.contains(&t) => targets.push(t.to_string()),
            other => {
                return Err(format!(
                    "unknown fuzz argument {other:?}; targets: {}",
                    TARGETS.join(", ")
                )
                .into());
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| t.to_string()).collect();
    }
    for t in &targets {
        let corpus = root().join("fuzz/corpus").join(t);
        run_target(env, build, t, &corpus, seconds, &extra)?;
    }
    Ok(())
}

/// The test command's smoke pass: builds every target (debug, with AddressSanitizer and debug
/// assertions), then runs each for a few seconds from its seeds. Returns the targets run.
pub fn smoke(env: &Env) -> Result<u64> {
    ensure_cargo_fuzz(env)?;
    let build = Build {
        release: false,
        sanitizer: true,
    };
    run(&mut build.command(env, "build"))?;
    let scratch = build.target_dir(env).join("smoke-corpus");
    let _ = std::fs::remove_dir_all(&scratch);
    let mut passed = 0;
    for t in TARGETS {
        run_target(env, build, t, &scratch.join(t), SMOKE_SECONDS, &[])?;
        passed += 1;
    }
    Ok(passed)
}

/// RFC examples for the parsers: RFC 3207 §4's dialogue and its replies, RFC 5321's
/// commands. Protocol lines, not prose.
const RFC_COMMANDS: &[&str] = &[
    "EHLO mail.example.com",
    "STARTTLS",
    "HELO relay.example.org",
    "MAIL FROM:<Smith@bar.com>",
    "RCPT TO:<Jones@foo.com>",
    "DATA",
    "RSET",
    "VRFY Smith",
    "NOOP",
    "QUIT",
    "MAIL FROM:<> SIZE=1000 BODY=8BITMIME",
    "STARTTLS now",
];
const RFC_REPLIES: &[&str] = &[
    "220 mail.imc.org SMTP service ready",
    "250-mail.imc.org offers a warm hug of welcome\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 DSN",
    "220 Go ahead",
    "250-mail.imc.org touches your hand gently for a moment\r\n250-8BITMIME\r\n250 DSN",
    "220 Ready to start TLS",
    "501 Syntax error (no parameters allowed)",
    "454 TLS not available due to temporary reason",
    "530 Must issue a STARTTLS command first",
    "354 Start mail input; end with <CRLF>.<CRLF>",
    "221 Bye",
];

/// One golden transcript's two sides: each line as sent, with `0xFF` where the handshake
/// completes. The message is a short fixed one.
fn golden_sides(text: &str) -> (Vec<u8>, Vec<u8>, Vec<String>, Vec<String>) {
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let (mut commands, mut replies) = (Vec::new(), Vec::new());
    let mut group = String::new();
    let mut handshake = (false, false);
    for line in text.lines() {
        let Some((mark, rest)) = line.split_at_checked(3) else {
            continue;
        };
        let body = rest.split("  [").next().unwrap_or(rest);
        if body.starts_with("The ") || body.starts_with("[TLS:") || body.starts_with('(') {
            continue;
        }
        let from_client = match mark {
            "-> " | "~> " => true,
            "<- " | "<~ " => false,
            _ => continue,
        };
        let tls = mark.starts_with('~') || mark.ends_with("~ ");
        if from_client {
            if tls && !handshake.0 {
                client.push(0xFF);
                handshake.0 = true;
            }
            if body.starts_with("<message:") {
                client.extend_from_slice(b"Subject: seed\r\n\r\nHello.\r\n.\r\n");
            } else {
                client.extend_from_slice(body.as_bytes());
                client.extend_from_slice(b"\r\n");
                commands.push(body.to_string());
            }
        } else {
            if tls && !handshake.1 {
                server.push(0xFF);
                handshake.1 = true;
            }
            server.extend_from_slice(body.as_bytes());
            server.extend_from_slice(b"\r\n");
            group.push_str(body);
            group.push_str("\r\n");
            if body.as_bytes().get(3) != Some(&b'-') {
                replies.push(std::mem::take(&mut group));
            }
        }
    }
    (client, server, commands, replies)
}

fn write_seed(dir: &Path, name: &str, bytes: &[u8]) -> Result {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}

/// `cargo xtask fuzz-seeds`: writes `fuzz/seeds/` from the golden transcripts, the RFC
/// examples and two exported traces (`starttls-playground run ID --json`).
pub fn seeds(env: &Env) -> Result {
    let root = root();
    let out = root.join("fuzz/seeds");
    let _ = std::fs::remove_dir_all(&out);
    let mut goldens: Vec<PathBuf> = std::fs::read_dir(root.join("crates/sim/tests/golden"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    goldens.sort();
    let mut commands: Vec<String> = RFC_COMMANDS.iter().map(|s| s.to_string()).collect();
    let mut replies: Vec<String> = RFC_REPLIES.iter().map(|s| format!("{s}\r\n")).collect();
    for (n, path) in goldens.iter().enumerate() {
        let name = path.file_stem().unwrap_or_default().to_string_lossy();
        let (client, server, c, r) = golden_sides(&std::fs::read_to_string(path)?);
        commands.extend(c);
        replies.extend(r);
        // The machine targets' first byte is the policy: 0 is the default, compliant one.
        for (target, side) in [("server", &client), ("client", &server)] {
            let mut seed = vec![0u8];
            seed.extend_from_slice(side);
            write_seed(&out.join(target), &name, &seed)?;
        }
        // lab_session: even first byte, the fuzzer is the client; odd, the server.
        let scenario = (n as u8) << 1;
        let mut seed = vec![scenario];
        seed.extend_from_slice(&client);
        write_seed(&out.join("lab_session"), &format!("{name}-client"), &seed)?;
        let mut seed = vec![scenario | 1];
        seed.extend_from_slice(&server);
        write_seed(&out.join("lab_session"), &format!("{name}-server"), &seed)?;
        // engine: one byte is scenario N of the catalogue, with its own policies.
        write_seed(&out.join("engine"), &format!("scenario-{n:02}"), &[n as u8])?;
    }
    commands.sort();
    commands.dedup();
    for (i, c) in commands.iter().enumerate() {
        write_seed(
            &out.join("command"),
            &format!("{i:03}"),
            format!("{c}\r\n").as_bytes(),
        )?;
    }
    replies.sort();
    replies.dedup();
    for (i, r) in replies.iter().enumerate() {
        write_seed(&out.join("reply"), &format!("{i:03}"), r.as_bytes())?;
    }
    for (i, q) in [
        "?scenario=happy-path",
        "?scenario=command-injection-vulnerable&step=12",
        "?scenario=happy-path&step=3&set=server.require_tls=true",
        "?compare=command-injection-compliant,command-injection-vulnerable",
        "?scenario=tls-required-530&step=4&embed=1&panels=knowledge,wire,states",
        "?scenario=happy-path&present=1&quiz=1&lesson=1&detail=all",
        "?live=ws%3A%2F%2F127.0.0.1%3A8090%2Flive",
        "?scenario=no-such-scenario&step=abc&set=server.bogus=1&embed=maybe&panels=foo",
    ]
    .iter()
    .enumerate()
    {
        write_seed(&out.join("permalink"), &format!("{i:02}"), q.as_bytes())?;
    }
    for id in ["tls-required-530", "starttls-parameter-501"] {
        let json = tool("cargo")
            .current_dir(&root)
            .env("PATH", &env.path)
            .args(["run", "-q", "-p", "starttls-cli", "--", "run", id, "--json"])
            .output()?;
        if !json.status.success() {
            return Err(format!("cannot export {id}").into());
        }
        write_seed(&out.join("trace_import"), id, &json.stdout)?;
    }
    say(&format!("wrote the seeds in {}", out.display()));
    Ok(())
}
