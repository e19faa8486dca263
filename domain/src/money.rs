//! Exact decimal quantities of a sale: `Money` (USD, up to four decimals),
//! `Discount` (a fraction, up to four decimals) and `Quantity`. Never floats:
//! a sum of floats drifts, and the warehouse checks that sums match to the
//! last decimal.
//!
//! Every decimal of the domain has one scale, [`DECIMAL_SCALE`] (4), the
//! scale of the newest sale schema (v3): the classic Superstore dataset
//! carries amounts like `41.9136`. The generator still makes cents; they are
//! held at scale 4 (`261.96` is `261.9600`). Older schemas (v1, v2) carry
//! scale 2: the Avro mapping rescales between the domain and a schema, and
//! refuses what a schema cannot hold without rounding.
//!
//! On the wire these are Avro `bytes` with the `decimal` logical type: the
//! unscaled value as a big-endian two's-complement integer. Through serde
//! they are those bytes at [`DECIMAL_SCALE`] for apache-avro (not
//! human-readable) and the decimal text (`"279.9900"`) for JSON.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Scale of every decimal of the domain, and of the newest schema.
pub const DECIMAL_SCALE: u32 = 4;
/// Scale of an amount.
pub const MONEY_SCALE: u32 = DECIMAL_SCALE;
/// Digits of an amount, as declared by the newest schema (`decimal(16, 4)`):
/// twelve before the point, as many as `decimal(12, 2)` had before it, plus two.
pub const MONEY_PRECISION: u32 = 16;
/// Scale of a discount (`decimal(6, 4)`).
pub const DISCOUNT_SCALE: u32 = DECIMAL_SCALE;
/// Digits of a discount: two before the point, as in `decimal(4, 2)`.
pub const DISCOUNT_PRECISION: u32 = 6;
/// The cents the generator makes.
const CENTS: u32 = 2;

/// A decimal that an amount or a discount cannot hold exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Holding it would round it.
    #[error("{value} has more than {scale} decimal places")]
    TooManyDecimals {
        /// The value given.
        value: Decimal,
        /// The decimal places allowed.
        scale: u32,
    },
    /// It has too many digits before the point.
    #[error("{value} does not fit in {precision} digits with scale {scale}")]
    Overflow {
        /// The value given.
        value: Decimal,
        /// The digits allowed in all.
        precision: u32,
        /// The decimal places among them.
        scale: u32,
    },
    /// Avro decimal bytes wider than `rust_decimal`'s 96-bit mantissa.
    #[error("a decimal of {len} bytes is too wide (at most 96 bits are supported)")]
    TooWide {
        /// The number of bytes.
        len: usize,
    },
}

/// An amount of US dollars, exact to the fourth decimal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Nothing: `0.00`.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Takes an amount with at most four decimals; refuses anything finer.
    pub fn try_new(value: Decimal) -> Result<Self, MoneyError> {
        check_fits(value, MONEY_PRECISION, MONEY_SCALE).map(Money)
    }

    /// Rounds a computed amount to the cent, half away from zero, as a till does.
    /// (The generator's amounts; imported ones keep their four decimals.)
    pub fn round(value: Decimal) -> Self {
        Money(value.round_dp_with_strategy(CENTS, RoundingStrategy::MidpointAwayFromZero))
            .with_scale()
    }

    /// The amount in US dollars, at scale 4.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The Avro `decimal(16, 4)` bytes: the unscaled value, big-endian
    /// two's complement.
    pub(crate) fn to_avro_bytes(self) -> Result<Vec<u8>, MoneyError> {
        check_fits(self.0, MONEY_PRECISION, MONEY_SCALE)?;
        unscaled_bytes(self.0, MONEY_SCALE)
    }

    /// The amount that Avro `decimal` bytes at scale 4 hold.
    pub fn from_avro_bytes(bytes: &[u8]) -> Result<Self, MoneyError> {
        from_unscaled_bytes(bytes, MONEY_SCALE).map(Money)
    }

    fn with_scale(mut self) -> Self {
        self.0.rescale(MONEY_SCALE);
        self
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(self.0, f)
    }
}

/// The fraction taken off the list price: 0.20 is twenty percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Discount(Decimal);

impl Discount {
    /// Takes a fraction with at most four decimals and two digits before the
    /// point; refuses anything else (the range is a domain rule).
    pub fn try_new(value: Decimal) -> Result<Self, MoneyError> {
        check_fits(value, DISCOUNT_PRECISION, DISCOUNT_SCALE).map(Discount)
    }

    /// The fraction: 0.20 is twenty percent.
    pub fn fraction(self) -> Decimal {
        self.0
    }

    /// The Avro `decimal(6, 4)` bytes.
    pub(crate) fn to_avro_bytes(self) -> Result<Vec<u8>, MoneyError> {
        unscaled_bytes(self.0, DISCOUNT_SCALE)
    }

    /// The discount that Avro `decimal` bytes at scale 4 hold.
    pub(crate) fn from_avro_bytes(bytes: &[u8]) -> Result<Self, MoneyError> {
        from_unscaled_bytes(bytes, DISCOUNT_SCALE).map(Discount)
    }
}

impl fmt::Display for Discount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(self.0, f)
    }
}

/// At least two decimals, and no zeros past them: `261.96`, `41.9136`, `7.00`.
fn write_decimal(value: Decimal, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let shortest = value.normalize();
    if shortest.scale() < CENTS {
        write!(f, "{value:.2}")
    } else {
        write!(f, "{shortest}")
    }
}

/// Units of one product on one order line. The rules accept 1..=1000.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Quantity(pub i32);

/// Serde for the decimal newtypes: the text of the decimal for
/// human-readable formats, the Avro decimal bytes otherwise.
macro_rules! decimal_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    return Serialize::serialize(&self.0, serializer);
                }
                let bytes = self.to_avro_bytes().map_err(serde::ser::Error::custom)?;
                serializer.serialize_bytes(&bytes)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if deserializer.is_human_readable() {
                    return <Decimal as Deserialize>::deserialize(deserializer).map($name);
                }
                let bytes = deserializer.deserialize_bytes(BytesVisitor)?;
                $name::from_avro_bytes(&bytes).map_err(D::Error::custom)
            }
        }
    };
}

decimal_serde!(Money);
decimal_serde!(Discount);

/// Takes the bytes of an Avro decimal, however the deserializer hands them.
struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bytes of an Avro decimal")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }
}

/// Checks that `value` has at most `scale` decimals and `precision` digits,
/// and returns it with exactly `scale` decimals.
fn check_fits(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, MoneyError> {
    let normalized = value.normalize();
    if normalized.scale() > scale {
        return Err(MoneyError::TooManyDecimals { value, scale });
    }
    let limit = Decimal::from_i128_with_scale(10i128.pow(precision - scale), 0);
    if value.abs() >= limit {
        return Err(MoneyError::Overflow { value, precision, scale });
    }
    let mut scaled = value;
    scaled.rescale(scale);
    Ok(scaled)
}

/// The unscaled integer of `value` at `scale`, as the fewest big-endian
/// two's-complement bytes that hold it (what Avro's decimal expects).
fn unscaled_bytes(value: Decimal, scale: u32) -> Result<Vec<u8>, MoneyError> {
    let mut scaled = value;
    scaled.rescale(scale);
    if scaled != value {
        return Err(MoneyError::TooManyDecimals { value, scale });
    }
    Ok(minimal_bytes(scaled.mantissa()))
}

/// The fewest big-endian two's-complement bytes that hold `unscaled`.
pub(crate) fn minimal_bytes(unscaled: i128) -> Vec<u8> {
    let bytes = unscaled.to_be_bytes();
    let negative = unscaled < 0;
    let sign_byte = if negative { 0xFF } else { 0x00 };
    // Drop leading sign bytes while the next byte still carries the sign bit.
    let mut start = 0;
    while start < bytes.len() - 1
        && bytes[start] == sign_byte
        && (bytes[start + 1] & 0x80 != 0) == negative
    {
        start += 1;
    }
    bytes[start..].to_vec()
}

/// The integer held by big-endian two's-complement `bytes`.
pub(crate) fn unscaled_from_bytes(bytes: &[u8]) -> Result<i128, MoneyError> {
    if bytes.len() > 16 {
        return Err(MoneyError::TooWide { len: bytes.len() });
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut wide = if negative { [0xFFu8; 16] } else { [0u8; 16] };
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    Ok(i128::from_be_bytes(wide))
}

fn from_unscaled_bytes(bytes: &[u8], scale: u32) -> Result<Decimal, MoneyError> {
    // rust_decimal holds 96 bits; a wider number is refused, never a panic.
    Decimal::try_from_i128_with_scale(unscaled_from_bytes(bytes)?, scale)
        .map_err(|_| MoneyError::TooWide { len: bytes.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn amounts_round_trip_through_avro_bytes_to_the_last_decimal() {
        for text in [
            "0.00",
            "0.01",
            "-0.01",
            "1.28",
            "-1.28",
            "127.99",
            "-128.00",
            "261.96",
            "41.9136",
            "22.368",
            "-6599.978",
            "-3839.99",
            "99999999.99",
            "999999999999.9999",
            "-999999999999.9999",
        ] {
            let money = Money::try_new(dec(text)).unwrap();
            let bytes = money.to_avro_bytes().unwrap();
            assert_eq!(Money::from_avro_bytes(&bytes).unwrap(), money, "{text}");
            assert_eq!(Money::from_avro_bytes(&bytes).unwrap().to_string(), text);
        }
    }

    #[test]
    fn avro_bytes_are_minimal_twos_complement_at_scale_four() {
        let bytes = |text| Money::try_new(dec(text)).unwrap().to_avro_bytes().unwrap();
        assert_eq!(bytes("0.0127"), vec![0x7F]);
        assert_eq!(bytes("0.0128"), vec![0x00, 0x80]);
        assert_eq!(bytes("-0.0128"), vec![0x80]);
        assert_eq!(bytes("-0.0129"), vec![0xFF, 0x7F]);
        assert_eq!(bytes("1.27"), vec![0x31, 0x9C], "12700 unscaled");
        assert_eq!(Money::ZERO.to_avro_bytes().unwrap(), vec![0x00]);
    }

    #[test]
    fn discounts_round_trip() {
        for text in ["0.00", "0.15", "0.32", "0.80", "0.1234", "1.50"] {
            let discount = Discount::try_new(dec(text)).unwrap();
            let back = Discount::from_avro_bytes(&discount.to_avro_bytes().unwrap()).unwrap();
            assert_eq!(back.to_string(), text);
        }
    }

    #[test]
    fn amounts_finer_than_four_decimals_are_refused_not_rounded() {
        assert_eq!(
            Money::try_new(dec("1.00005")),
            Err(MoneyError::TooManyDecimals { value: dec("1.00005"), scale: 4 })
        );
        assert!(Money::try_new(dec("1.500000")).is_ok(), "trailing zeros are not extra precision");
    }

    #[test]
    fn amounts_beyond_the_declared_precision_are_refused() {
        assert!(matches!(Money::try_new(dec("1000000000000")), Err(MoneyError::Overflow { .. })));
        assert!(matches!(Discount::try_new(dec("100.00")), Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn rounding_is_half_away_from_zero_to_the_cent() {
        assert_eq!(Money::round(dec("2.345")).to_string(), "2.35");
        assert_eq!(Money::round(dec("-2.345")).to_string(), "-2.35");
        assert_eq!(Money::round(dec("7")).to_string(), "7.00");
        assert_eq!(Money::round(dec("7")).amount().scale(), DECIMAL_SCALE, "held at scale 4");
    }

    #[test]
    fn oversized_byte_strings_are_an_error_not_a_panic() {
        assert_eq!(Money::from_avro_bytes(&[1u8; 17]), Err(MoneyError::TooWide { len: 17 }));
        // Sixteen bytes fit an i128 but not rust_decimal's 96 bits.
        assert_eq!(Money::from_avro_bytes(&[0x7F; 16]), Err(MoneyError::TooWide { len: 16 }));
        assert_eq!(Discount::from_avro_bytes(&[0x80; 13]), Err(MoneyError::TooWide { len: 13 }));
        assert!(Money::from_avro_bytes(&[0x7F; 12]).is_ok(), "96 bits still fit");
    }
}
