//! The size report: raw, gzip and brotli bytes of every shipped file in `dist/`, and the
//! size budget of the first load, which the test command enforces.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Result;

/// What the first load may weigh, gzip: the figure reached plus 5%, so that it never grows
/// back silently. Lower it when the app gets smaller.
pub const FIRST_LOAD_GZIP_BUDGET: u64 = FIRST_LOAD_GZIP_REACHED * 105 / 100;

/// The first load's gzip bytes when the budget was last set (`cargo xtask sizes`, 2026-12-02:
/// the wasm is 680 KB of it; issue 14 aims at 400 KB).
pub const FIRST_LOAD_GZIP_REACHED: u64 = 697_680;

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
    let first = first_load_gzip(&rows);
    println!(
        "first load (all but the embedding example): {first} bytes gzip; budget {FIRST_LOAD_GZIP_BUDGET}\n"
    );
    Ok(rows)
}

/// The gzip bytes a first visit loads: every shipped file but the embedding example page.
pub fn first_load_gzip(rows: &[Row]) -> u64 {
    rows.iter()
        .filter(|r| r.name != "embed-example.html")
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
