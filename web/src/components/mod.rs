//! The UI's components; each renders engine output and dispatches intents.

pub mod handshake_fact;
