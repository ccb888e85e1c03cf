//! The UI's components; each renders engine output and dispatches intents.

pub mod compare;
pub mod console;
pub mod controls;
pub mod diagram;
pub mod enforcement;
pub mod error_panel;
pub mod explanation;
pub mod exports;
pub mod handshake_fact;
pub mod help;
pub mod icons;
pub mod knowledge;
pub mod lesson;
pub mod live;
pub mod picker;
pub mod policies;
pub mod quiz;
pub mod share;
pub mod state_diagram;
pub mod summary;
pub mod wire;
