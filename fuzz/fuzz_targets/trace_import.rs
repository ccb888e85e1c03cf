//! Trace JSON import: any text gets a trace or a named error, never a panic; a trace that
//! imports exports and imports again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starttls_sim::trace::Trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Trace::from_json(text) {
        Ok(trace) => {
            let again = Trace::from_json(&trace.to_json()).expect("an exported trace imports");
            assert_eq!(again, trace);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
