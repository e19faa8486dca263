//! Instants between Avro's units and the domain's. An Avro timestamp is a
//! count since the epoch whose unit, milliseconds or microseconds, lives in
//! the schema, not in the long: `1700000000123456` is a moment of 2023 as
//! `timestamp-micros` and one of year 55,841 as `timestamp-millis`. The
//! domain keeps instants to the microsecond, the precision of the
//! warehouse's `timestamptz`, and its serde form for Avro is that count of
//! microseconds ([`super::logical`]). Every crossing between a schema's unit
//! and the domain's goes through here, and is exact: milliseconds are
//! multiplied up, and microseconds go down to a millisecond schema only when
//! they hold a whole number of milliseconds, never truncated.
//!
//! Three crossings, as for decimal scales: a schema's value to the domain
//! ([`to_domain_unit`], [`long_to_domain_unit`]), the domain to a schema
//! ([`to_schema_unit`]), and a writer schema to the reader schema
//! ([`reader_in_writer_units`]): apache-avro refuses to resolve a
//! `timestamp-micros` datum into a `timestamp-millis` reader, so for such a
//! field the reader takes the writer's unit, and the domain then reads
//! either unit exactly. A UTC timestamp and a `local-timestamp-*` (a wall
//! clock without a zone) are not crossed: resolution refuses them.

use apache_avro::schema::{Schema, SchemaKind};
use apache_avro::types::Value;
use std::borrow::Cow;

const MICROS_PER_MILLI: i64 = 1000;

/// `value`, as read with a schema, with every UTC timestamp in the domain's
/// unit (microseconds), changed in place.
pub(crate) fn to_domain_unit(value: &mut Value) -> Result<(), String> {
    match value {
        Value::TimestampMillis(millis) => {
            *value = Value::TimestampMicros(millis_to_micros(*millis)?);
        }
        Value::Record(fields) => {
            for (name, field) in fields {
                to_domain_unit(field).map_err(|why| format!("{name}: {why}"))?;
            }
        }
        Value::Union(_, inner) => to_domain_unit(inner)?,
        Value::Array(items) => items.iter_mut().try_for_each(to_domain_unit)?,
        Value::Map(entries) => entries.values_mut().try_for_each(to_domain_unit)?,
        _ => {}
    }
    Ok(())
}

/// A long read with `schema`, in the domain's unit if it is a timestamp.
pub(crate) fn long_to_domain_unit(long: i64, schema: &Schema) -> Result<i64, String> {
    match schema {
        Schema::TimestampMillis => millis_to_micros(long),
        _ => Ok(long),
    }
}

/// A count of microseconds (the domain's unit) in the unit of `schema`;
/// other schemas take the long as it is.
pub(crate) fn to_schema_unit(micros: i64, schema: &Schema) -> Result<i64, String> {
    match schema {
        Schema::TimestampMillis if micros % MICROS_PER_MILLI != 0 => Err(format!(
            "the instant {micros} µs after the epoch has a part below the millisecond, \
             which timestamp-millis cannot hold"
        )),
        Schema::TimestampMillis => Ok(micros / MICROS_PER_MILLI),
        _ => Ok(micros),
    }
}

fn millis_to_micros(millis: i64) -> Result<i64, String> {
    millis
        .checked_mul(MICROS_PER_MILLI)
        .ok_or_else(|| format!("{millis} ms after the epoch is out of the range of instants"))
}

fn kind(schema: &Schema) -> SchemaKind {
    SchemaKind::from(schema)
}

fn is_utc_timestamp(schema: &Schema) -> bool {
    matches!(schema, Schema::TimestampMillis | Schema::TimestampMicros)
}

/// `reader`, with each record field that the writer holds as a UTC
/// timestamp of another unit taking the writer's unit (borrowed unchanged
/// when there is none, the usual case). Fields inside unions keep the
/// reader's unit, and resolution then refuses a datum with another.
pub(crate) fn reader_in_writer_units<'r>(writer: &Schema, reader: &'r Schema) -> Cow<'r, Schema> {
    match (writer, reader) {
        (w, r) if is_utc_timestamp(w) && is_utc_timestamp(r) && kind(w) != kind(r) => {
            Cow::Owned(w.clone())
        }
        (Schema::Record(w), Schema::Record(r)) => {
            let mut changed = None;
            for (at, field) in r.fields.iter().enumerate() {
                let Some(written) = w.lookup.get(&field.name).and_then(|i| w.fields.get(*i)) else {
                    continue;
                };
                if let Cow::Owned(schema) = reader_in_writer_units(&written.schema, &field.schema) {
                    changed.get_or_insert_with(|| r.clone()).fields[at].schema = schema;
                }
            }
            changed.map_or(Cow::Borrowed(reader), |r| Cow::Owned(Schema::Record(r)))
        }
        _ => Cow::Borrowed(reader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_time(kind: &str) -> Schema {
        Schema::parse_str(&format!(
            r#"{{"type": "record", "name": "R", "fields": [{{"name": "t", "type":
                {{"type": "long", "logicalType": "{kind}"}}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn milliseconds_become_microseconds_and_overflow_is_refused() {
        let mut value =
            Value::Record(vec![("t".into(), Value::TimestampMillis(1_700_000_000_123))]);
        to_domain_unit(&mut value).unwrap();
        let expected =
            Value::Record(vec![("t".into(), Value::TimestampMicros(1_700_000_000_123_000))]);
        assert_eq!(value, expected);
        let mut huge = Value::TimestampMillis(i64::MAX);
        assert!(to_domain_unit(&mut huge).unwrap_err().contains("out of the range"));
        assert_eq!(long_to_domain_unit(7, &Schema::TimestampMillis), Ok(7000));
        assert_eq!(long_to_domain_unit(7, &Schema::TimestampMicros), Ok(7));
    }

    #[test]
    fn microseconds_go_to_a_millisecond_schema_only_when_whole() {
        assert_eq!(
            to_schema_unit(1_700_000_000_123_000, &Schema::TimestampMillis),
            Ok(1_700_000_000_123)
        );
        assert!(to_schema_unit(1_700_000_000_123_456, &Schema::TimestampMillis)
            .unwrap_err()
            .contains("below the millisecond"));
        assert_eq!(
            to_schema_unit(1_700_000_000_123_456, &Schema::TimestampMicros),
            Ok(1_700_000_000_123_456)
        );
    }

    #[test]
    fn the_reader_takes_the_writers_unit_and_nothing_else() {
        let (millis, micros) = (with_time("timestamp-millis"), with_time("timestamp-micros"));
        let adjusted = reader_in_writer_units(&micros, &millis);
        assert!(matches!(adjusted, Cow::Owned(_)));
        let Schema::Record(record) = adjusted.as_ref() else { panic!("a record") };
        assert!(matches!(record.fields[0].schema, Schema::TimestampMicros));
        assert!(matches!(reader_in_writer_units(&millis, &millis), Cow::Borrowed(_)));
        let local = with_time("local-timestamp-micros");
        assert!(matches!(reader_in_writer_units(&local, &millis), Cow::Borrowed(_)));
    }
}
