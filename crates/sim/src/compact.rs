//! The compact form of traces and lab messages: [postcard], a binary encoding with no field
//! names, for moving a trace between two parts of the program (the engine's wasm module and
//! the page's, or a precomputed trace file and the page). JSON stays the format people read,
//! import and export.
//!
//! Postcard is not self-describing: every field is written, in declaration order. The trace
//! types leave empty fields out of their JSON (`skip_serializing_if`), so their predicates
//! (`skip_none`, `skip_empty`, `skip_false`) answer "keep it" while [`encode`] runs.
//!
//! A compact buffer is only ever read by the same build that wrote it: it carries no schema
//! version, and [`decode`] refuses anything that does not match exactly, with an error rather
//! than a panic.

use std::cell::Cell;

use serde::Serialize;
use serde::de::DeserializeOwned;

thread_local! {
    /// Whether [`encode`] is running on this thread.
    static ENCODING: Cell<bool> = const { Cell::new(false) };
}

/// Resets [`ENCODING`] when [`encode`] returns, panicking or not.
struct Encoding;

impl Drop for Encoding {
    fn drop(&mut self) {
        ENCODING.with(|e| e.set(false));
    }
}

fn encoding() -> bool {
    ENCODING.with(Cell::get)
}

/// `skip_serializing_if` for an `Option`: leave `None` out of JSON, keep it in compact form.
pub(crate) fn skip_none<T>(value: &Option<T>) -> bool {
    value.is_none() && !encoding()
}

/// `skip_serializing_if` for a `Vec`: leave `[]` out of JSON, keep it in compact form.
pub(crate) fn skip_empty<T>(value: &[T]) -> bool {
    value.is_empty() && !encoding()
}

/// `skip_serializing_if` for a flag: leave `false` out of JSON, keep it in compact form.
pub(crate) fn skip_false(value: &bool) -> bool {
    !*value && !encoding()
}

/// Why a compact buffer could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compact form: {0}")]
pub struct CompactError(String);

/// Encodes `value` in compact form.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CompactError> {
    ENCODING.with(|e| e.set(true));
    let _reset = Encoding;
    postcard::to_allocvec(value).map_err(|e| CompactError(e.to_string()))
}

/// Decodes a value that [`encode`] wrote; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CompactError> {
    let (value, rest) =
        postcard::take_from_bytes(bytes).map_err(|e| CompactError(e.to_string()))?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(CompactError(format!(
            "{} bytes after the value",
            rest.len()
        )))
    }
}
