//! A Kafka record's headers as bytes, both ways.
//!
//! A header key is producer input like any other: the protocol carries it
//! as a length and bytes, and a Go or C producer can send bytes that are not
//! UTF-8. rdkafka's own header accessors turn the key into `&str` and panic
//! on such bytes (and its `insert` only takes `&str`), so the pipeline, the
//! dead-letter publisher and replay read and write headers here, through
//! librdkafka's C calls, without assuming anything of the key.
//!
//! librdkafka hands a header name back as a C string: a key holding a NUL
//! byte is read up to that byte. Nothing else is lost.

use crate::flow::envelope::Header;
use rdkafka::bindings::{rd_kafka_header_add, rd_kafka_header_get_all, rd_kafka_headers_t};
use rdkafka::message::{BorrowedHeaders, Headers as _, OwnedHeaders};
use rdkafka::types::RDKafkaRespErr;
use std::ffi::{c_char, c_void, CStr};
use std::ptr;

/// Every header of a record, in order, keys and values as bytes.
pub fn read(headers: &BorrowedHeaders) -> Vec<Header> {
    // rdkafka's `BorrowedHeaders` is a zero-sized view whose address is the
    // `rd_kafka_headers_t` it borrows (its own accessors cast it the same way).
    let native = ptr::from_ref(headers).cast::<rd_kafka_headers_t>();
    (0..headers.count()).filter_map(|index| read_one(native, index)).collect()
}

fn read_one(native: *const rd_kafka_headers_t, index: usize) -> Option<Header> {
    let (mut name, mut value, mut size) = (ptr::null::<c_char>(), ptr::null::<c_void>(), 0usize);
    // SAFETY: `native` is a live headers list borrowed for this call; the
    // out-pointers are valid locals. librdkafka fills them, or fails for an
    // index past the end.
    let err = unsafe { rd_kafka_header_get_all(native, index, &mut name, &mut value, &mut size) };
    if err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
        return None;
    }
    // SAFETY: librdkafka keeps the name NUL-terminated and the value `size`
    // bytes long, both alive as long as the headers; they are copied here.
    let key = unsafe { CStr::from_ptr(name) }.to_bytes().to_vec();
    let value = (!value.is_null())
        .then(|| unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) }.to_vec());
    Some(Header { key, value })
}

/// Headers to send, keys taken as the bytes they are.
pub fn to_owned_headers<'a>(headers: impl IntoIterator<Item = &'a Header>) -> OwnedHeaders {
    let owned = OwnedHeaders::new();
    let native = ptr::from_ref(owned.as_borrowed()).cast::<rd_kafka_headers_t>().cast_mut();
    for Header { key, value } in headers {
        let (value_ptr, value_len) = match value {
            Some(bytes) => (bytes.as_ptr().cast::<c_void>(), bytes.len()),
            None => (ptr::null(), 0),
        };
        // SAFETY: `native` is the headers list `owned` owns (writable, as
        // rdkafka's own `insert` treats it); librdkafka copies the name and
        // value, whose pointers and lengths describe live slices.
        let err = unsafe {
            rd_kafka_header_add(
                native,
                key.as_ptr().cast::<c_char>(),
                isize::try_from(key.len()).unwrap_or(isize::MAX),
                value_ptr,
                isize::try_from(value_len).unwrap_or(isize::MAX),
            )
        };
        debug_assert_eq!(err, RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    owned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_not_utf8_survive_a_round_trip() {
        let headers = vec![
            Header { key: b"trace-id".to_vec(), value: Some(b"abc".to_vec()) },
            Header { key: vec![0xff, 0xfe, b'k'], value: Some(vec![0, 1, 2]) },
            Header { key: b"empty".to_vec(), value: None },
            Header { key: "clé".as_bytes().to_vec(), value: Some(Vec::new()) },
        ];
        let owned = to_owned_headers(&headers);
        assert_eq!(read(owned.as_borrowed()), headers);
    }
}
