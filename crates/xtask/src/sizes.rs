//! The size report: raw and gzip bytes of every shipped file in `dist/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// One shipped file and its sizes.
pub struct Row {
    /// Path relative to `dist/`.
    pub name: String,
    /// Size on disk.
    pub raw: u64,
    /// Size after `gzip -9`.
    pub gzip: u64,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        } else if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn gzip_len(path: &Path) -> Result<u64> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output()?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", path.display()).into());
    }
    Ok(out.stdout.len() as u64)
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
            gzip: gzip_len(&p)?,
        });
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(5);
    println!("\nShipped files (dist/):");
    println!(
        "| {:<width$} | {:>10} | {:>10} |",
        "file", "raw bytes", "gzip bytes"
    );
    println!("|-{:-<width$}-|-{:->10}-|-{:->10}-|", "", "", "");
    for r in &rows {
        println!("| {:<width$} | {:>10} | {:>10} |", r.name, r.raw, r.gzip);
    }
    let (raw, gz) = rows
        .iter()
        .fold((0, 0), |(a, b), r| (a + r.raw, b + r.gzip));
    println!("| {:<width$} | {:>10} | {:>10} |", "total", raw, gz);
    println!(
        "({:.1} KiB raw, {:.1} KiB gzip)\n",
        raw as f64 / 1024.0,
        gz as f64 / 1024.0
    );
    Ok(rows)
}
