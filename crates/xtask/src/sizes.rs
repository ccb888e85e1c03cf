//! The size report: raw, gzip and brotli bytes of every shipped file in `dist/`, and the
//! size budget of the first load, which the test command enforces.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Result;

/// What the first load may weigh, gzip: the figure reached plus 5%, so that it never grows
/// back silently. Lower it when the app gets smaller.
pub const FIRST_LOAD_GZIP_BUDGET: u64 = FIRST_LOAD_GZIP_REACHED * 105 / 100;

/// The first load's gzip bytes when the budget was last set (`cargo xtask sizes`, 2026-12-03:
/// the page's module is 343 KB of it, the default view's precomputed trace 7 KB; the engine
/// module, 458 KB, loads after the first render and is not counted).
pub const FIRST_LOAD_GZIP_REACHED: u64 = 369_512;

/// One shipped file and its sizes.
pub struct Row {
    /// Path relative to `dist/`.
    pub name: String,
    /// Size on disk.
    pub raw: u64,
    /// Size after gzip (level 9).
    pub gzip: u64,
    /// Size after brotli (quality 11).
    pub brotli: u64,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let sibling = path.extension().is_some_and(|e| e == "gz" || e == "br");
        if hidden || sibling {
            continue;
        } else if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The size of `path` compressed: its precompressed sibling's, or computed.
fn compressed_len(path: &Path, ext: &str) -> Result<u64> {
    let sibling = PathBuf::from(format!("{}.{ext}", path.display()));
    if let Ok(m) = std::fs::metadata(&sibling) {
        return Ok(m.len());
    }
    let data = std::fs::read(path)?;
    if ext == "gz" {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data)?;
        return Ok(gz.finish()?.len() as u64);
    }
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        w.write_all(&data)?;
    }
    Ok(br.len() as u64)
}

/// Prints the table and returns its rows; fails when `dist/` is missing.
pub fn report(dist: &Path) -> Result<Vec<Row>> {
    if !dist.is_dir() {
        return Err(format!(
            "{} does not exist: run trunk build --release first",
            dist.display()
        )
        .into());
    }
    let mut paths = Vec::new();
    files(dist, &mut paths)?;
    paths.sort();
    let mut rows = Vec::new();
    for p in paths {
        rows.push(Row {
            name: p.strip_prefix(dist)?.display().to_string(),
            raw: std::fs::metadata(&p)?.len(),
            gzip: compressed_len(&p, "gz")?,
            brotli: compressed_len(&p, "br")?,
        });
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(5);
    println!("\nShipped files (dist/):");
    println!(
        "| {:<width$} | {:>10} | {:>10} | {:>12} |",
        "file", "raw bytes", "gzip bytes", "brotli bytes"
    );
    println!(
        "|-{:-<width$}-|-{:->10}-|-{:->10}-|-{:->12}-|",
        "", "", "", ""
    );
    for r in &rows {
        println!(
            "| {:<width$} | {:>10} | {:>10} | {:>12} |",
            r.name, r.raw, r.gzip, r.brotli
        );
    }
    let (raw, gz, br) = rows.iter().fold((0, 0, 0), |(a, b, c), r| {
        (a + r.raw, b + r.gzip, c + r.brotli)
    });
    println!(
        "| {:<width$} | {:>10} | {:>10} | {:>12} |",
        "total", raw, gz, br
    );
    println!(
        "({:.1} KiB raw, {:.1} KiB gzip, {:.1} KiB brotli)",
        raw as f64 / 1024.0,
        gz as f64 / 1024.0,
        br as f64 / 1024.0
    );
    for (when, what) in [
        (Load::First, "first load (before the first render)"),
        (
            Load::AfterFirstRender,
            "then, after the first render (the engine module)",
        ),
        (
            Load::OnDemand,
            "when a link opens on another scenario (its precomputed trace)",
        ),
        (Load::Never, "not loaded by the app (the embedding example)"),
    ] {
        let (n, raw, gz, br) = rows
            .iter()
            .filter(|r| load(&r.name) == when)
            .fold((0, 0, 0, 0), |(n, a, b, c), r| {
                (n + 1, a + r.raw, b + r.gzip, c + r.brotli)
            });
        println!("{what}: {n} files, {raw} bytes raw, {gz} gzip, {br} brotli");
    }
    println!(
        "first load budget: {} bytes gzip (the default view; {} reached + 5%)\n",
        FIRST_LOAD_GZIP_BUDGET, FIRST_LOAD_GZIP_REACHED
    );
    Ok(rows)
}

/// When the app loads a file of `dist/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Before the first render of the default view: the page, its module, its style, and the
    /// default scenario's precomputed trace.
    First,
    /// Right after the first render: the engine module (`web/src/engine/loader.js`).
    AfterFirstRender,
    /// Only when a link opens on another scenario (or a comparison): its precomputed trace.
    OnDemand,
    /// Never: the embedding example is a page for documentation writers to copy.
    Never,
}

/// When the app loads `name` (a path relative to `dist/`).
pub fn load(name: &str) -> Load {
    if name == "embed-example.html" {
        Load::Never
    } else if name.starts_with("starttls-engine") {
        Load::AfterFirstRender
    } else if name.starts_with("traces") && name.ends_with(".bin") {
        if name.ends_with("/happy-path.bin") {
            Load::First
        } else {
            Load::OnDemand
        }
    } else {
        Load::First
    }
}

/// The gzip bytes the first load of the default view fetches ([`Load::First`]).
pub fn first_load_gzip(rows: &[Row]) -> u64 {
    rows.iter()
        .filter(|r| load(&r.name) == Load::First)
        .map(|r| r.gzip)
        .sum()
}

/// Fails when the first load is over [`FIRST_LOAD_GZIP_BUDGET`].
pub fn check_budget(rows: &[Row]) -> Result {
    let first = first_load_gzip(rows);
    if first > FIRST_LOAD_GZIP_BUDGET {
        return Err(format!(
            "the first load is {first} bytes gzip, over its budget of {FIRST_LOAD_GZIP_BUDGET} \
             ({FIRST_LOAD_GZIP_REACHED} reached + 5%, crates/xtask/src/sizes.rs)"
        )
        .into());
    }
    Ok(())
}
