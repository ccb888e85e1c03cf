//! Small pure functions from the trace to what the components show. No protocol logic: they
//! only read what the engine recorded. Tested with wasm-bindgen-test (`web/tests/`).

pub mod enforcement;
pub mod hex;
pub mod knowledge;
pub mod labels;
pub mod policy;
