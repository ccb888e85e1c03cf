//! The reply parser, EHLO replies included: no panic on any bytes, and a parsed reply
//! printed and parsed again is the same reply; an EHLO reply's extension list too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starttls_protocol::line::Status;
use starttls_protocol::reply::{EhloReply, parse_reply};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Status::Complete(parsed)) = parse_reply(rest) {
        assert!(parsed.consumed > 0 && parsed.consumed <= rest.len());
        let bytes = parsed.value.to_bytes();
        match parse_reply(&bytes) {
            Ok(Status::Complete(again)) => {
                assert_eq!(
                    again.value, parsed.value,
                    "{bytes:?} parses to another reply"
                );
                assert_eq!(again.consumed, bytes.len());
            }
            other => panic!("the printed reply {bytes:?} does not parse: {other:?}"),
        }
        if let Ok(ehlo) = EhloReply::from_reply(&parsed.value) {
            let printed = ehlo.to_reply();
            let again = EhloReply::from_reply(&printed).expect("a printed EHLO reply parses");
            assert_eq!(again, ehlo);
        }
        rest = &rest[parsed.consumed..];
    }
});
