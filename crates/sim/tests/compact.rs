//! The compact form: every catalogue trace, a console run and lab messages survive
//! encode → decode unchanged; JSON still leaves empty fields out; damaged buffers are refused
//! with an error, never a panic.
#![cfg(feature = "engine")]

use starttls_sim::compact::{decode, encode};
use starttls_sim::console::{ConsoleEntry, ConsoleInput, Simulated, simulate};
use starttls_sim::live::LabMessage;
use starttls_sim::scenario;
use starttls_sim::trace::Trace;

#[test]
fn every_catalogue_trace_round_trips_in_compact_form() {
    for s in scenario::catalogue().unwrap() {
        let sim = simulate(&s, &[]).unwrap();
        let bytes = encode(&sim).unwrap();
        let back: Simulated = decode(&bytes).unwrap();
        assert_eq!(back, sim, "{}", s.id);
        let json = serde_json::to_vec(&sim.trace).unwrap();
        assert!(
            bytes.len() < json.len(),
            "{}: {} ≥ {}",
            s.id,
            bytes.len(),
            json.len()
        );
    }
}

#[test]
fn json_still_leaves_empty_fields_out_after_an_encode() {
    let s = scenario::find("happy-path").unwrap();
    let sim = simulate(&s, &[]).unwrap();
    encode(&sim).unwrap();
    let json = serde_json::to_string(&sim.trace).unwrap();
    assert!(
        !json.contains("\"technical\":null"),
        "None fields are left out of JSON"
    );
    assert!(
        !json.contains("\"diff\":[]"),
        "empty lists are left out of JSON"
    );
    assert!(
        !json.contains("\"rewrites_previous\":false"),
        "false flags are left out of JSON"
    );
    let back: Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sim.trace);
}

#[test]
fn a_console_run_and_lab_messages_round_trip() {
    let s = scenario::find("happy-path").unwrap();
    let console = vec![ConsoleEntry {
        after: 3,
        input: ConsoleInput::ClientLine("NOOP".into()),
    }];
    let sim = simulate(&s, &console).unwrap();
    assert_eq!(decode::<Simulated>(&encode(&sim).unwrap()).unwrap(), sim);
    assert_eq!(
        decode::<Vec<ConsoleEntry>>(&encode(&console).unwrap()).unwrap(),
        console
    );
    let end = LabMessage::Refused {
        reason: "busy".into(),
    };
    assert_eq!(decode::<LabMessage>(&encode(&end).unwrap()).unwrap(), end);
}

#[test]
fn damaged_buffers_are_refused_without_a_panic() {
    let s = scenario::find("command-injection-vulnerable").unwrap();
    let bytes = encode(&simulate(&s, &[]).unwrap()).unwrap();
    for cut in [0, 1, 7, bytes.len() / 3, bytes.len() - 1] {
        assert!(decode::<Simulated>(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        decode::<Simulated>(&longer)
            .unwrap_err()
            .to_string()
            .contains("after the value")
    );
    // Flipped bytes must not panic (they may still decode to some other valid trace).
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut damaged = bytes.clone();
        let at = (seed as usize) % damaged.len();
        damaged[at] ^= (seed >> 32) as u8 | 1;
        let _ = decode::<Simulated>(&damaged);
    }
    assert!(decode::<Trace>(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").is_err());
}
