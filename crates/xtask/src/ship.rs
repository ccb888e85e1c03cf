//! The shipped build: `trunk build --release --public-url ./`, then two passes over `dist/`.
//!
//! - The boot script trunk writes inline (`<script type="module">import init …</script>`)
//!   moves to a file of its own, `boot-<hash>.js`, so that the page runs under a strict
//!   Content-Security-Policy with no `'unsafe-inline'` (trunk has no option for it yet:
//!   trunk-rs/trunk#288).
//! - The engine module, which trunk writes unhashed (`starttls-engine.js` and `_bg.wasm`: a
//!   second module is a "worker" to trunk), gets hashed names, and `index.html` names them in
//!   `<meta name="starttls-engine">`, which `web/src/engine/loader.js` reads: a host that
//!   caches files for long never pairs a page with another build's engine.
//! - `traces-<hash>/<id>.bin`: every catalogue scenario's trace, computed here by the native
//!   engine in compact form (`starttls_sim::compact`), in a folder named after their content
//!   (the same meta names it). The page fetches the one its first view needs, so that the
//!   first screen waits for no engine module (`web/src/engine/precomputed.rs`).
//! - Every text asset, the wasm and the traces get `.gz` and `.br` siblings, for hosts that
//!   serve precompressed files.
//!
//! `--public-url ./` makes every URL in `index.html` relative, so `dist/` works from any
//! sub-path of a site. A plain `trunk serve` still works as before, for development.

use std::path::Path;

use crate::tools::{Env, run, say, tool};
use crate::{Result, root};

/// Builds the app into `dist/` as it ships.
pub fn build(env: &Env) -> Result {
    say("trunk build --release --public-url ./ (the app as it ships)");
    run(tool("trunk")
        .env("CARGO_TARGET_DIR", &env.target_dir)
        .args(["build", "--release", "--public-url", "./"])
        .current_dir(root())
        .env("PATH", &env.path))?;
    let dist = root().join("dist");
    externalise_boot(&dist)?;
    let traces = precompute_traces(env, &dist)?;
    hash_engine(&dist, &traces)?;
    precompress(&dist)
}

/// Renames the engine module's files after their content and names them, and the traces'
/// folder, in `index.html`.
pub fn hash_engine(dist: &Path, traces: &str) -> Result {
    let (js, wasm) = ("starttls-engine.js", "starttls-engine_bg.wasm");
    let wasm_bytes = std::fs::read(dist.join(wasm))
        .map_err(|e| format!("dist/{wasm}: {e} (did index.html lose the engine link?)"))?;
    let js_text = std::fs::read_to_string(dist.join(js))?;
    let mut both = wasm_bytes.clone();
    both.extend_from_slice(js_text.as_bytes());
    let hash = fnv(&both);
    let (js_name, wasm_name) = (
        format!("starttls-engine-{hash}.js"),
        format!("starttls-engine-{hash}_bg.wasm"),
    );
    std::fs::rename(dist.join(js), dist.join(&js_name))?;
    std::fs::rename(dist.join(wasm), dist.join(&wasm_name))?;
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index)?;
    let meta = format!(
        "<meta name=\"starttls-engine\" content=\"{js_name}\" data-wasm=\"{wasm_name}\" data-traces=\"{traces}\" />"
    );
    let Some(at) = html.find("</head>") else {
        return Err("dist/index.html has no </head>".into());
    };
    std::fs::write(&index, format!("{}{meta}{}", &html[..at], &html[at..]))?;
    say(&format!(
        "engine module renamed to {js_name} and {wasm_name}"
    ));
    Ok(())
}

/// Writes `dist/traces-<hash>/<id>.bin` for every catalogue scenario (its run with no console
/// entries, in compact form), with the engine's `precompute-traces` run natively (its build
/// is the native tests' own); returns the folder's name.
pub fn precompute_traces(env: &Env, dist: &Path) -> Result<String> {
    let staging = dist.join("traces");
    run(tool("cargo")
        .env("CARGO_TARGET_DIR", &env.target_dir)
        .args([
            "run",
            "-q",
            "-p",
            "starttls-engine",
            "--bin",
            "precompute-traces",
            "--",
        ])
        .arg(&staging)
        .current_dir(root())
        .env("PATH", &env.path))?;
    let mut files: Vec<_> = std::fs::read_dir(&staging)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.sort();
    let mut all = Vec::new();
    for f in &files {
        all.extend_from_slice(f.file_name().unwrap_or_default().as_encoded_bytes());
        all.extend_from_slice(&std::fs::read(f)?);
    }
    let name = format!("traces-{}", fnv(&all));
    std::fs::rename(&staging, dist.join(&name))?;
    say(&format!(
        "precomputed {} traces into dist/{name} ({} bytes)",
        files.len(),
        all.len()
    ));
    Ok(name)
}

/// A stable 64-bit FNV-1a hash, as hex: names the boot file after its content.
fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Moves the inline module script of `dist/index.html` into `boot-<hash>.js`.
pub fn externalise_boot(dist: &Path) -> Result {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index)?;
    const OPEN: &str = "<script type=\"module\">";
    let Some(start) = html.find(OPEN) else {
        return Err("dist/index.html has no inline module script (did trunk change?)".into());
    };
    let body_start = start + OPEN.len();
    let Some(len) = html[body_start..].find("</script>") else {
        return Err("dist/index.html: the inline module script is not closed".into());
    };
    let script = html[body_start..body_start + len].trim();
    let name = format!("boot-{}.js", fnv(script.as_bytes()));
    std::fs::write(dist.join(&name), format!("{script}\n"))?;
    let tag = format!("<script type=\"module\" src=\"./{name}\"></script>");
    let out = format!(
        "{}{tag}{}",
        &html[..start],
        &html[body_start + len + "</script>".len()..]
    );
    if out.contains("<script>") || out.contains(OPEN) {
        return Err("dist/index.html still has an inline script".into());
    }
    std::fs::write(&index, out)?;
    say(&format!("boot script moved out of index.html into {name}"));
    Ok(())
}

/// The files that get precompressed siblings.
pub fn compressible(name: &str) -> bool {
    [".wasm", ".js", ".css", ".html", ".svg", ".bin"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Writes `F.gz` (gzip, level 9) and `F.br` (brotli, quality 11) next to each compressible
/// file of `dist/` and its folders.
pub fn precompress(dist: &Path) -> Result {
    let n = precompress_dir(dist)?;
    say(&format!("precompressed {n} files (.gz, .br)"));
    Ok(())
}

fn precompress_dir(dist: &Path) -> Result<usize> {
    use std::io::Write as _;
    let mut n = 0;
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            n += precompress_dir(&path)?;
            continue;
        }
        if !path.is_file() || !compressible(&name) {
            continue;
        }
        let data = std::fs::read(&path)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data)?;
        std::fs::write(dist.join(format!("{name}.gz")), gz.finish()?)?;
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
            w.write_all(&data)?;
        }
        std::fs::write(dist.join(format!("{name}.br")), br)?;
        n += 1;
    }
    Ok(n)
}
