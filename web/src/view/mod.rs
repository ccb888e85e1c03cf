//! Small pure functions from the trace to what the components show. No protocol logic: they
//! only read what the engine recorded. Tested with wasm-bindgen-test (`web/tests/`).

pub mod enforcement;
pub mod export;
pub mod hex;
pub mod knowledge;
pub mod labels;
pub mod lesson;
pub mod permalink;
pub mod policy;
pub mod quiz;

/// The view renders what the engine decided: no view function matches on the machines'
/// events to decide discards, enforcement, citations or decisions again.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod guard {
    #[test]
    fn the_view_does_not_match_on_machine_events() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/view");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("src/view") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                for word in ["Client", "Server"].map(|side| format!("{side}Event")) {
                    assert!(
                        !text.contains(&word),
                        "{} mentions {word}: read the step's fields instead",
                        path.display()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked} files");
    }
}
