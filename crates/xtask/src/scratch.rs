//! The test run's scratch directory. The test steps' child processes get it as `TMPDIR`, so
//! what they leave in the system's temporary directory (the lab's trace folders and
//! certificates, the live and end-to-end tests' files, the browsers' temporary files) lands in
//! one place, which a passing run removes. A failing run keeps it, and says where, for a look at what the tests
//! wrote.

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
        std::fs::remove_dir_all(&self.dir)?;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.passed {
            say(&format!(
                "the tests' scratch files are kept in {}",
                self.dir.display()
            ));
        }
    }
}
