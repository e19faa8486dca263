//! The Confluent wire format of a Kafka message value: byte 0 is the magic
//! `0x00`, bytes 1..5 the big-endian schema id, then the Avro binary datum.

const MAGIC: u8 = 0x00;
const HEADER_LEN: usize = 5;

/// Why a message value is not Confluent-framed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the header (the length is given).
    #[error("message of {0} bytes is too short for the 5-byte Confluent header")]
    TooShort(usize),
    /// The first byte is not the magic `0x00` (the byte is given).
    #[error("magic byte is 0x{0:02x}, expected 0x00: not Confluent-framed")]
    BadMagic(u8),
}

/// Frames an Avro datum written with schema `schema_id`.
pub fn frame(schema_id: i32, datum: &[u8]) -> Vec<u8> {
    let mut message = header(schema_id, datum.len());
    message.extend_from_slice(datum);
    message
}

/// The header of a message written with `schema_id`, with room for a datum
/// of about `datum_len` bytes to be appended.
pub(crate) fn header(schema_id: i32, datum_len: usize) -> Vec<u8> {
    let mut message = Vec::with_capacity(HEADER_LEN + datum_len);
    message.push(MAGIC);
    message.extend_from_slice(&schema_id.to_be_bytes());
    message
}

/// Splits a framed message into its schema id and its datum.
pub fn unframe(message: &[u8]) -> Result<(i32, &[u8]), WireError> {
    if message.len() < HEADER_LEN {
        return Err(WireError::TooShort(message.len()));
    }
    if message[0] != MAGIC {
        return Err(WireError::BadMagic(message[0]));
    }
    let id = i32::from_be_bytes(message[1..HEADER_LEN].try_into().expect("four bytes"));
    Ok((id, &message[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips_and_is_big_endian() {
        let framed = frame(258, b"datum");
        assert_eq!(&framed[..5], &[0, 0, 0, 1, 2]);
        assert_eq!(unframe(&framed), Ok((258, &b"datum"[..])));
    }

    #[test]
    fn garbage_is_refused_with_its_reason() {
        assert_eq!(unframe(b"abc"), Err(WireError::TooShort(3)));
        assert_eq!(unframe(b"\x01\x00\x00\x00\x01xyz"), Err(WireError::BadMagic(1)));
    }
}
