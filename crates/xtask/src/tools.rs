//! Idempotent installation of everything the two README commands need.
//!
//! Each tool is checked first and installed only when missing or at the wrong version; every
//! install is announced. Nothing is downloaded outside the package registries (Debian, crates.io,
//! npm): trunk runs offline and finds `wasm-bindgen` and `wasm-opt` on `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, root};

/// trunk's version; 0.22.1 declares rust-version 1.96.1, so it is installed with
/// `--ignore-rust-version` on Rust 1.95.
pub const TRUNK_VERSION: &str = "0.22.1";

/// What the set-up is for: serving needs fewer tools than testing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `cargo xtask serve`.
    Serve,
    /// `cargo xtask test`.
    Test,
    /// `cargo xtask fuzz`: cargo-fuzz only (which `crate::fuzz` installs), no web tools.
    Fuzz,
}

/// The environment the later steps run in: `PATH` with cargo's bin and the npm tools first.
pub struct Env {
    /// The `PATH` value to give child processes.
    pub path: String,
    /// The wasm-bindgen version read from Cargo.lock.
    pub wasm_bindgen: String,
    /// Cargo's target directory for the builds the commands run: `$CARGO_TARGET_DIR` if set,
    /// else a cache outside the clone (`~/.cache/starttls-playground/target`), so that a fresh
    /// clone (as in CI) reuses the compiled dependencies of earlier runs.
    pub target_dir: PathBuf,
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"))
        .join("starttls-playground/target")
}

/// A command for one of the build tools (cargo, trunk, node), without the variables that
/// `cargo run` set for xtask itself and that differ from clone to clone.
///
/// ring's build script declares `rerun-if-env-changed=CARGO_MANIFEST_DIR`, and cargo reads
/// that variable from its own environment: inherited from xtask, it named this clone's
/// `crates/xtask`, so every fresh clone rebuilt ring and all that depends on it (rustls,
/// webpki, the engine) in each of the test command's builds.
pub fn tool(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_MANIFEST_PATH");
    c
}

pub fn say(msg: &str) {
    println!("xtask: {msg}");
}

/// Runs a command with inherited output; fails with its status otherwise.
pub fn run(cmd: &mut Command) -> Result {
    say(&format!("$ {}", describe(cmd)));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", describe(cmd)).into())
    }
}

pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line of `program args…`'s standard output, if it runs at all.
fn version_of(path: &str, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", path)
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn privileged(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg(program);
        c
    }
}

fn deb_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs the Debian packages that are missing, running `apt-get update` once first.
fn ensure_debs(pkgs: &[&str]) -> Result {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !deb_installed(p)).collect();
    if missing.is_empty() {
        say(&format!("Debian packages present: {}", pkgs.join(", ")));
        return Ok(());
    }
    say(&format!(
        "installing Debian packages: {}",
        missing.join(", ")
    ));
    if missing.contains(&"postfix") {
        // Postfix only ever runs from a test's private configuration directory: tell its
        // package not to configure (or start) the system's mail service.
        let mut seed = privileged("debconf-set-selections")
            .stdin(std::process::Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = seed.stdin.take() {
            use std::io::Write as _;
            stdin.write_all(b"postfix postfix/main_mailer_type select No configuration\n")?;
        }
        seed.wait()?;
    }
    run(privileged("apt-get").args(["update", "-qq"]))?;
    run(privileged("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing))
}

fn ensure_wasm_target() -> Result {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        say("rust target wasm32-unknown-unknown present");
        return Ok(());
    }
    say("installing rust target wasm32-unknown-unknown");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The exact `wasm-bindgen` version locked in Cargo.lock.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

pub fn ensure_cargo_tool(path: &str, bin: &str, want: &str, install: &[&str]) -> Result {
    match version_of(path, bin, &["--version"]) {
        Some(v) if v.split_whitespace().nth(1) == Some(want) => {
            say(&format!("{bin} {want} present"));
            Ok(())
        }
        found => {
            say(&format!(
                "installing {bin} {want} (found: {}); this compiles from crates.io once",
                found.as_deref().unwrap_or("none")
            ));
            run(tool("cargo")
                .args(["install"])
                .args(install)
                .env("PATH", path))
        }
    }
}

/// `npm ci` in `web/e2e` unless `node_modules` already matches the lockfile.
fn ensure_npm(dir: &Path, path: &str) -> Result {
    if version_of(path, "npm", &["--version"]).is_none() {
        ensure_debs(&["nodejs", "npm"])?;
    }
    let installed = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(i), Ok(l)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        say("npm packages in web/e2e present (playwright-core, binaryen)");
        return Ok(());
    }
    say("installing npm packages in web/e2e from its lockfile");
    run(tool("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .env("PATH", path))
}

fn home_cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

/// Checks and installs every tool the purpose needs; returns the environment to run in.
pub fn setup(purpose: Purpose) -> Result<Env> {
    let root = root();
    let e2e = root.join("web/e2e");
    let path = format!(
        "{}:{}:{}",
        e2e.join("node_modules/.bin").display(),
        home_cargo_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let target_dir = target_dir();
    if purpose == Purpose::Fuzz {
        return Ok(Env {
            path,
            wasm_bindgen: locked_wasm_bindgen()?,
            target_dir,
        });
    }
    ensure_wasm_target()?;
    let mut debs = vec!["clang", "gzip"];
    if purpose == Purpose::Test {
        // tshark opens the exported capture in a test (crates/sim/tests/pcapng.rs).
        debs.extend(["chromium", "chromium-driver", "tshark"]);
        // Real mail clients the lab's server faces, and a real server its client faces
        // (crates/cli/tests/lab/); python3 runs smtplib and aiosmtpd; openssl makes an RSA
        // certificate for the lab server.
        debs.extend([
            "swaks",
            // swaks's TLS (--tls) needs Net::SSLeay, which it only recommends, and packages
            // are installed without their recommendations.
            "libnet-ssleay-perl",
            "msmtp",
            "python3",
            "python3-aiosmtpd",
            "postfix",
            "openssl",
        ]);
    }
    ensure_debs(&debs)?;
    ensure_npm(&e2e, &path)?;
    let wasm_bindgen = locked_wasm_bindgen()?;
    ensure_cargo_tool(
        &path,
        "wasm-bindgen",
        &wasm_bindgen,
        // `--locked` fails for 0.2.130: one locked dependency is missing from the registry.
        &["wasm-bindgen-cli", "--version", &wasm_bindgen],
    )?;
    ensure_cargo_tool(
        &path,
        "trunk",
        TRUNK_VERSION,
        &[
            "--locked",
            "--ignore-rust-version",
            "trunk",
            "--version",
            TRUNK_VERSION,
        ],
    )?;
    // trunk passes --offline to cargo: make sure every crate is in the local cache.
    run(tool("cargo")
        .args(["fetch", "--quiet"])
        .current_dir(&root)
        .env("PATH", &path))?;
    say(&format!("cargo target directory: {}", target_dir.display()));
    Ok(Env {
        path,
        wasm_bindgen,
        target_dir,
    })
}
