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
