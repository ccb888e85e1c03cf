//! The permalink query parser: any query gets a view and notices, never a panic; the query
//! written for that view parses to the same view without notices.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starttls_web::view::permalink::{parse_query, to_query};

fuzz_target!(|data: &[u8]| {
    let Ok(search) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_query(search);
    let written = to_query(&parsed.query);
    let again = parse_query(&written);
    assert_eq!(again.query, parsed.query, "{written:?}");
    assert!(again.notices.is_empty(), "{written:?}: {:?}", again.notices);
});
