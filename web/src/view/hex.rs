//! A hex and ASCII dump of a step's bytes, with TLS record boundaries marked.

use starttls_sim::wire::DecodedRecord;

/// Bytes per dump row.
pub const ROW_BYTES: usize = 16;

/// What a run of bytes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Cleartext SMTP (no TLS records).
    Plain,
    /// A TLS record header (5 bytes), of record `n`.
    Header(usize),
    /// A TLS record body, of record `n`.
    Body(usize),
    /// Bytes after the last complete record.
    Rest,
}

impl Region {
    /// The CSS class of the region (bodies alternate so that records stand apart).
    pub fn class(self) -> &'static str {
        match self {
            Region::Plain => "hex-plain",
            Region::Header(_) => "hex-header",
            Region::Body(n) if n % 2 == 0 => "hex-body-a",
            Region::Body(_) => "hex-body-b",
            Region::Rest => "hex-rest",
        }
    }
}

/// A run of bytes of one region within a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The region.
    pub region: Region,
    /// The bytes as hex pairs separated by spaces.
    pub hex: String,
    /// The bytes as ASCII, `.` for anything unprintable.
    pub ascii: String,
}

/// One dump row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexRow {
    /// Offset of the row's first byte.
    pub offset: usize,
    /// Its runs of bytes.
    pub segments: Vec<Segment>,
    /// Bytes in the row (the last row may be short).
    pub len: usize,
}

fn region_of(offset: usize, records: &[DecodedRecord]) -> Region {
    if records.is_empty() {
        return Region::Plain;
    }
    for (n, r) in records.iter().enumerate() {
        let start = r.header.offset;
        let end = start + 5 + usize::from(r.header.length);
        if offset >= start && offset < start + 5 {
            return Region::Header(n);
        }
        if offset >= start + 5 && offset < end {
            return Region::Body(n);
        }
    }
    Region::Rest
}

/// Dumps at most `limit` bytes as rows of [`ROW_BYTES`].
pub fn hex_rows(bytes: &[u8], records: &[DecodedRecord], limit: usize) -> Vec<HexRow> {
    let shown = &bytes[..bytes.len().min(limit)];
    shown
        .chunks(ROW_BYTES)
        .enumerate()
        .map(|(row, chunk)| {
            let offset = row * ROW_BYTES;
            let mut segments: Vec<Segment> = Vec::new();
            for (i, &b) in chunk.iter().enumerate() {
                let region = region_of(offset + i, records);
                let ascii = if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                };
                match segments.last_mut() {
                    Some(seg) if seg.region == region => {
                        seg.hex.push(' ');
                        seg.hex.push_str(&format!("{b:02x}"));
                        seg.ascii.push(ascii);
                    }
                    _ => segments.push(Segment {
                        region,
                        hex: format!("{b:02x}"),
                        ascii: ascii.to_string(),
                    }),
                }
            }
            HexRow {
                offset,
                segments,
                len: chunk.len(),
            }
        })
        .collect()
}
