//! Decimal scales between schemas. An Avro decimal is an unscaled integer;
//! its scale lives in the schema, not in the bytes. So the bytes of `261.96`
//! written at scale 2 (`26196`) read at scale 4 would be `2.6196`. Every
//! crossing between two scales goes through here and is exact: a value is
//! multiplied up to a wider scale, and refused, never rounded, when a
//! narrower scale cannot hold it.
//!
//! Three crossings exist: the domain to a schema (writing with an older
//! version), a schema to the domain (reading), and a writer schema to the
//! reader schema (resolving an older event in the pipeline).

use super::AvroMappingError;
use crate::money::{minimal_bytes, unscaled_from_bytes};
use apache_avro::schema::{RecordSchema, Schema};
use apache_avro::types::Value;
use apache_avro::Decimal;

/// The unscaled integer of a decimal at scale `from`, moved to scale `to`.
pub(crate) fn rescale_unscaled(unscaled: i128, from: u32, to: u32) -> Result<i128, String> {
    let factor = |digits: u32| 10i128.checked_pow(digits);
    let moved = if to >= from {
        factor(to - from).and_then(|f| unscaled.checked_mul(f))
    } else {
        factor(from - to).filter(|f| unscaled % f == 0).map(|f| unscaled / f)
    };
    moved.ok_or_else(|| {
        format!("the decimal {unscaled}e-{from} cannot be held at scale {to} without rounding")
    })
}

/// The bytes of an Avro decimal at scale `from`, moved to scale `to`.
pub(crate) fn rescale_bytes(bytes: &[u8], from: u32, to: u32) -> Result<Vec<u8>, String> {
    if from == to {
        return Ok(bytes.to_vec());
    }
    let unscaled = unscaled_from_bytes(bytes).map_err(|e| e.to_string())?;
    Ok(minimal_bytes(rescale_unscaled(unscaled, from, to)?))
}

fn rescale_value(decimal: &Decimal, from: u32, to: u32) -> Result<Value, String> {
    let bytes = Vec::<u8>::try_from(decimal).map_err(|e| e.to_string())?;
    Ok(Value::Decimal(Decimal::from(rescale_bytes(&bytes, from, to)?)))
}

/// `value`, shaped like `schema`, with every decimal moved from the
/// schema's scale to `to` (the domain's, when reading).
pub(crate) fn to_scale(value: Value, schema: &Schema, to: u32) -> Result<Value, AvroMappingError> {
    let invalid = AvroMappingError::Invalid;
    Ok(match (value, schema) {
        (Value::Decimal(decimal), Schema::Decimal(declared)) => {
            rescale_value(&decimal, declared.scale as u32, to).map_err(invalid)?
        }
        (Value::Record(fields), Schema::Record(RecordSchema { fields: declared, .. })) => {
            let moved = fields.into_iter().zip(declared).map(|((name, field), declared)| {
                Ok((name, to_scale(field, &declared.schema, to)?))
            });
            Value::Record(moved.collect::<Result<_, AvroMappingError>>()?)
        }
        (Value::Union(index, inner), Schema::Union(union)) => {
            match union.variants().get(index as usize) {
                Some(branch) => Value::Union(index, Box::new(to_scale(*inner, branch, to)?)),
                None => Value::Union(index, inner),
            }
        }
        (value, _) => value,
    })
}

/// `value`, decoded with `writer`, with every decimal moved to the scale
/// the reader declares for the same field. Fields the reader lacks keep
/// theirs (resolution drops them). A writer scale finer than the reader's
/// is refused unless the value happens to fit exactly; the registry refuses
/// such schemas before they are registered (`compatibility/decimals.rs`).
pub fn to_reader_scale(value: Value, writer: &Schema, reader: &Schema) -> Result<Value, String> {
    Ok(match (value, writer, reader) {
        (Value::Decimal(decimal), Schema::Decimal(w), Schema::Decimal(r)) => {
            rescale_value(&decimal, w.scale as u32, r.scale as u32)?
        }
        (Value::Record(fields), Schema::Record(w), Schema::Record(r)) => {
            let moved = fields.into_iter().zip(&w.fields).map(|((name, field), declared)| {
                let read_as = r.lookup.get(&name).and_then(|at| r.fields.get(*at));
                Ok(match read_as {
                    Some(read_as) => {
                        let field = to_reader_scale(field, &declared.schema, &read_as.schema)
                            .map_err(|why| format!("field {name}: {why}"))?;
                        (name, field)
                    }
                    None => (name, field),
                })
            });
            Value::Record(moved.collect::<Result<_, String>>()?)
        }
        (Value::Union(index, inner), Schema::Union(w), reader) => {
            let written_as = w.variants().get(index as usize);
            let read_as = match reader {
                Schema::Union(r) => r.variants().iter().find(|b| matches!(b, Schema::Decimal(_))),
                other => Some(other),
            };
            match (written_as, read_as) {
                (Some(written_as @ Schema::Decimal(_)), Some(read_as)) => {
                    Value::Union(index, Box::new(to_reader_scale(*inner, written_as, read_as)?))
                }
                _ => Value::Union(index, inner),
            }
        }
        (value, _, _) => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_multiplies_and_narrowing_divides_only_when_exact() {
        assert_eq!(rescale_unscaled(26196, 2, 4), Ok(2_619_600));
        assert_eq!(rescale_unscaled(-659_998, 3, 4), Ok(-6_599_980));
        assert_eq!(rescale_unscaled(2_619_600, 4, 2), Ok(26196));
        assert!(rescale_unscaled(419_136, 4, 2).unwrap_err().contains("without rounding"));
        assert!(rescale_unscaled(i128::MAX / 10, 0, 4).is_err(), "overflow is refused");
    }

    #[test]
    fn bytes_stay_minimal_after_rescaling() {
        assert_eq!(rescale_bytes(&[0x7F], 2, 2).unwrap(), vec![0x7F]);
        assert_eq!(rescale_bytes(&[0x01], 0, 2).unwrap(), vec![0x64], "1 -> 100");
        assert_eq!(rescale_bytes(&[0xFF], 0, 2).unwrap(), vec![0x9C], "-1 -> -100");
    }
}
