//! The wire view: how a flight of TLS bytes splits into records, and what an observer on
//! the wire can read of each one.

mod decode;
mod messages;

#[cfg(feature = "engine")]
pub use decode::Decoder;
pub use decode::{DecodedRecord, RecordView};
pub use messages::{FlightContext, name_messages};

use serde::{Deserialize, Serialize};

/// The header of one TLS record (RFC 8446 §5.1): what an observer on the wire can read even
/// when the payload is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHeader {
    /// Offset of the header within the flight.
    pub offset: usize,
    /// `ContentType`: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data.
    pub content_type: u8,
    /// The legacy record version, e.g. 0x0303.
    pub version: u16,
    /// Payload length in bytes.
    pub length: u16,
}

impl RecordHeader {
    /// A name for the content type, as Wireshark shows it.
    pub fn content_type_name(&self) -> &'static str {
        match self.content_type {
            20 => "change_cipher_spec",
            21 => "alert",
            22 => "handshake",
            23 => "application_data",
            24 => "heartbeat",
            _ => "unknown",
        }
    }
}

/// Splits a flight into records. Returns the complete records and the number of trailing bytes
/// that do not yet form a complete record (incomplete input is not an error).
pub fn records(flight: &[u8]) -> (Vec<RecordHeader>, usize) {
    let mut out = Vec::new();
    let mut offset = 0;
    while let Some(header) = flight.get(offset..offset + 5) {
        let length = u16::from_be_bytes([header[3], header[4]]);
        let end = offset + 5 + usize::from(length);
        if end > flight.len() {
            break;
        }
        out.push(RecordHeader {
            offset,
            content_type: header[0],
            version: u16::from_be_bytes([header[1], header[2]]),
            length,
        });
        offset = end;
    }
    (out, flight.len() - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_records_and_reports_a_partial_tail() {
        let flight = [22, 3, 3, 0, 2, 1, 2, 23, 3, 3, 0, 1, 9, 21, 3];
        let (recs, rest) = records(&flight);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].content_type_name(), "handshake");
        assert_eq!(recs[1].offset, 7);
        assert_eq!(recs[1].length, 1);
        assert_eq!(rest, 2);
    }
}
