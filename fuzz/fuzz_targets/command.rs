//! The command parser: no panic on any bytes, and a parsed command printed and parsed again
//! is the same command (parse, print, parse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use starttls_protocol::command::parse_command;
use starttls_protocol::line::Status;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Status::Complete(parsed)) = parse_command(rest) {
        assert!(parsed.consumed > 0 && parsed.consumed <= rest.len());
        let line = parsed.value.to_line();
        match parse_command(line.as_bytes()) {
            Ok(Status::Complete(again)) => {
                assert_eq!(
                    again.value, parsed.value,
                    "{line:?} parses to another command"
                );
                assert_eq!(again.consumed, line.len());
            }
            other => panic!("the printed command {line:?} does not parse: {other:?}"),
        }
        rest = &rest[parsed.consumed..];
    }
});
