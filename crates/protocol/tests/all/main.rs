//! Integration tests: one binary (to keep link time down) with a module per area.
//! Test names carry the rule IDs in snake case, e.g. `rule_require_530_...`.

mod client_rules;
mod common;
mod pair;
#[cfg(not(target_arch = "wasm32"))]
mod props;
mod server_rules;
mod supplementary;
