//! The test run's scratch directory. The test runners' steps give it to their child processes
//! as `TMPDIR`, so that what the tests and the browsers write into the system's temporary
//! directory lands in one place, which a passing run removes. A failing run keeps it (unless it
//! is empty), and says where, for a look at what the tests wrote.

use std::path::{Path, PathBuf};

use crate::Result;
use crate::tools::say;

/// `$TMPDIR/starttls-playground-test-<pid>`, created empty; see the module docs.
pub struct Scratch {
    dir: PathBuf,
    passed: bool,
}

impl Scratch {
    /// Creates the directory of this run (emptied first, should a run with the same PID have
    /// left one).
    pub fn create() -> Result<Scratch> {
        let dir =
            std::env::temp_dir().join(format!("starttls-playground-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch { dir, passed: false })
    }

    /// The directory, for `TMPDIR`.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Removes the directory: the run passed.
    pub fn remove(mut self) -> Result {
        self.passed = true;
        std::fs::remove_dir_all(&self.dir)
            .map_err(|e| format!("removing {}: {e}", self.dir.display()).into())
    }
}

impl Drop for Scratch {
    /// After a failed run, keeps the directory if the tests wrote anything there.
    fn drop(&mut self) {
        if !self.passed && std::fs::remove_dir(&self.dir).is_err() {
            say(&format!(
                "the tests' scratch files are kept in {}",
                self.dir.display()
            ));
        }
    }
}
