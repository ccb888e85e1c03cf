//! `starttls-playground`: runs the playground's scenarios from a terminal.
//!
//! ```text
//! starttls-playground list
//! starttls-playground run <scenario> [--json] [--pcapng FILE] [--set key=value …]
//! starttls-playground handshake [--json]
//! starttls-playground lab server [--listen ADDR] [--scenario ID] [--set key=value …] …
//! ```
//!
//! `run` prints a transcript with swaks-like markers (`->`/`<-` cleartext, `~>`/`<~` under
//! TLS, `**` the attacker, `!!` enforcement and discards, `==` decisions), or the whole trace
//! as JSON. `--set` overrides a scenario field by its dotted path, e.g.
//! `--set server.require_tls=true --set client.tls=Never`. `--pcapng FILE` also writes the
//! dialogue as a capture, and its TLS secrets beside it (`FILE` with the extension `keylog`),
//! so that Wireshark decrypts the SMTP inside TLS.
//!
//! Exit codes: 0 the scenario ran and reached its expected outcome; 1 it ran but missed its
//! expected outcome (the mismatches are printed on stderr); 2 bad usage, an unknown scenario
//! or key, or an invalid configuration; 3 the engine failed.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use starttls_sim::{Engine, scenario, transcript};

/// Prints to standard output, ignoring a closed pipe (`starttls-playground list | head`):
/// `println!` would panic there.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
}

mod lab;

const USAGE_HEAD: &str = "usage:
  starttls-playground list
  starttls-playground run <scenario> [--json] [--pcapng FILE] [--set key=value ...]
  starttls-playground handshake [--json]
";

fn usage_text() -> String {
    format!("{USAGE_HEAD}{}", lab::USAGE)
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}\n{}", usage_text());
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("list") if args.len() == 1 => list(),
        Some("run") => run(&args[1..]),
        Some("handshake") => handshake(&args[1..]),
        Some("lab") => lab::main(&args[1..]),
        Some("-h" | "--help" | "help") => {
            out!("{}", usage_text());
            ExitCode::SUCCESS
        }
        Some(other) => usage(&format!("unknown command {other:?}")),
        None => usage("no command given"),
    }
}

fn list() -> ExitCode {
    match scenario::catalogue() {
        Ok(all) => {
            for s in all {
                let group = format!("{:?}", s.group).to_lowercase();
                out!("{:<36} {:<9} {}", s.id, group, s.title);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(args: &[String]) -> ExitCode {
    let mut id = None;
    let mut json = false;
    let mut pcap: Option<std::path::PathBuf> = None;
    let mut overrides = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--pcapng" => match it.next() {
                Some(path) => pcap = Some(path.into()),
                None => return usage("--pcapng needs a file name"),
            },
            "--set" => match it.next().and_then(|kv| kv.split_once('=')) {
                Some((k, v)) => overrides.push((k.to_string(), v.to_string())),
                None => return usage("--set needs key=value"),
            },
            s if s.starts_with("--") => return usage(&format!("unknown option {s:?}")),
            s if id.is_none() => id = Some(s.to_string()),
            s => return usage(&format!("unexpected argument {s:?}")),
        }
    }
    let Some(id) = id else {
        return usage("run needs a scenario id (see `list`)");
    };
    let scenario = match scenario::find(&id).and_then(|s| scenario::with_overrides(&s, &overrides))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let trace = match Engine::simulate(&scenario) {
        Ok(t) => t,
        Err(starttls_sim::SimError::Config(e)) => {
            eprintln!("error: configuration: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    if let Some(path) = &pcap {
        let keylog = path.with_extension("keylog");
        let written = starttls_sim::export::pcapng(&trace, scenario.tls.now_unix)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
            })
            .and_then(|()| {
                std::fs::write(&keylog, starttls_sim::export::key_log(&trace))
                    .map_err(|e| format!("{}: {e}", keylog.display()))
            });
        if let Err(e) = written {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
        eprintln!("wrote {} and {}", path.display(), keylog.display());
    }
    if json {
        match serde_json::to_string_pretty(&trace) {
            Ok(text) => out!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(3);
            }
        }
    } else {
        let text = transcript::render(&trace, false);
        out!("{}", text.trim_end());
    }
    if !overrides.is_empty() {
        return ExitCode::SUCCESS;
    }
    match scenario.expected.check(&trace.outcome) {
        Ok(()) => ExitCode::SUCCESS,
        Err(misses) => {
            for m in misses {
                eprintln!("expected outcome missed: {m}");
            }
            ExitCode::from(1)
        }
    }
}

fn handshake(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a != "--json") {
        return usage("handshake takes only --json");
    }
    match starttls_sim::demo_handshake() {
        Ok(fact) if args.is_empty() => {
            out!(
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
                out!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(3)
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}
