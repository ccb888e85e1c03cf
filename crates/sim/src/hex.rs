//! Bytes in a trace serialise as lowercase hex strings: compact, diffable and exact.

/// Encodes bytes as lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Decodes lowercase or uppercase hex; the error names the offending position.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("hex string has odd length {}", text.len()));
    }
    let digit = |i: usize, c: u8| -> Result<u8, String> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("invalid hex digit {:?} at position {i}", c as char))
    };
    text.as_bytes()
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| Ok(digit(2 * i, pair[0])? << 4 | digit(2 * i + 1, pair[1])?))
        .collect()
}

/// `#[serde(with = "crate::hex::option")]` for `Option<Vec<u8>>`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as a hex string, or nothing.
    pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_some(&super::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    /// Parses a hex string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| super::decode(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trips_and_names_bad_positions() {
        let bytes = [0u8, 1, 0xab, 0xff, b'\r', b'\n'];
        assert_eq!(super::decode(&super::encode(&bytes)).unwrap(), bytes);
        assert_eq!(
            super::decode("0g").unwrap_err(),
            "invalid hex digit 'g' at position 1"
        );
        assert!(super::decode("abc").is_err());
    }
}
