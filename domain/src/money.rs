//! Exact decimal quantities of a sale: `Money` (USD cents), `Discount`
//! (a fraction with two decimals) and `Quantity`. Never floats: a sum of
//! floats drifts, and the warehouse checks that sums match to the cent.
//!
//! On the wire these are Avro `bytes` with the `decimal` logical type: the
//! unscaled value as a big-endian two's-complement integer. Through serde
//! they are those bytes for apache-avro (not human-readable) and the decimal
//! text (`"279.99"`) for JSON.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Scale of every amount: cents.
pub const MONEY_SCALE: u32 = 2;
/// Digits of an amount, as declared by the schema (`decimal(12, 2)`).
pub const MONEY_PRECISION: u32 = 12;
/// Scale of a discount (`decimal(4, 2)`).
pub const DISCOUNT_SCALE: u32 = 2;
/// Digits of a discount.
pub const DISCOUNT_PRECISION: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{value} has more than {scale} decimal places")]
    TooManyDecimals { value: Decimal, scale: u32 },
    #[error("{value} does not fit in {precision} digits with scale {scale}")]
    Overflow { value: Decimal, precision: u32, scale: u32 },
    #[error("a decimal of {len} bytes is too wide (at most 96 bits are supported)")]
    TooWide { len: usize },
}

/// An amount of US dollars, exact to the cent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Takes an amount that is already exact to the cent; refuses anything finer.
    pub fn try_new(value: Decimal) -> Result<Self, MoneyError> {
        check_fits(value, MONEY_PRECISION, MONEY_SCALE).map(Money)
    }

    /// Rounds a computed amount to the cent, half away from zero, as a till does.
    pub fn round(value: Decimal) -> Self {
        Money(value.round_dp_with_strategy(MONEY_SCALE, RoundingStrategy::MidpointAwayFromZero))
            .with_scale()
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn to_avro_bytes(self) -> Result<Vec<u8>, MoneyError> {
        check_fits(self.0, MONEY_PRECISION, MONEY_SCALE)?;
        unscaled_bytes(self.0, MONEY_SCALE)
    }

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
        write!(f, "{:.2}", self.0)
    }
}

/// The fraction taken off the list price: 0.20 is twenty percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Discount(Decimal);

impl Discount {
    pub const NONE: Discount = Discount(Decimal::ZERO);

    pub fn try_new(value: Decimal) -> Result<Self, MoneyError> {
        check_fits(value, DISCOUNT_PRECISION, DISCOUNT_SCALE).map(Discount)
    }

    pub fn fraction(self) -> Decimal {
        self.0
    }

    pub fn to_avro_bytes(self) -> Result<Vec<u8>, MoneyError> {
        unscaled_bytes(self.0, DISCOUNT_SCALE)
    }

    pub fn from_avro_bytes(bytes: &[u8]) -> Result<Self, MoneyError> {
        from_unscaled_bytes(bytes, DISCOUNT_SCALE).map(Discount)
    }
}

impl fmt::Display for Discount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
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
    let bytes = scaled.mantissa().to_be_bytes();
    let negative = scaled.mantissa() < 0;
    let sign_byte = if negative { 0xFF } else { 0x00 };
    // Drop leading sign bytes while the next byte still carries the sign bit.
    let mut start = 0;
    while start < bytes.len() - 1
        && bytes[start] == sign_byte
        && (bytes[start + 1] & 0x80 != 0) == negative
    {
        start += 1;
    }
    Ok(bytes[start..].to_vec())
}

fn from_unscaled_bytes(bytes: &[u8], scale: u32) -> Result<Decimal, MoneyError> {
    if bytes.len() > 16 {
        return Err(MoneyError::TooWide { len: bytes.len() });
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut wide = if negative { [0xFFu8; 16] } else { [0u8; 16] };
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    // rust_decimal holds 96 bits; a wider number is refused, never a panic.
    Decimal::try_from_i128_with_scale(i128::from_be_bytes(wide), scale)
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
    fn amounts_round_trip_through_avro_bytes_to_the_cent() {
        for text in [
            "0.00",
            "0.01",
            "-0.01",
            "1.28",
            "-1.28",
            "127.99",
            "-128.00",
            "261.96",
            "-3839.99",
            "99999999.99",
            "-99999999.99",
        ] {
            let money = Money::try_new(dec(text)).unwrap();
            let bytes = money.to_avro_bytes().unwrap();
            assert_eq!(Money::from_avro_bytes(&bytes).unwrap(), money, "{text}");
            assert_eq!(Money::from_avro_bytes(&bytes).unwrap().to_string(), text);
        }
    }

    #[test]
    fn avro_bytes_are_minimal_twos_complement() {
        assert_eq!(Money::try_new(dec("1.27")).unwrap().to_avro_bytes().unwrap(), vec![0x7F]);
        assert_eq!(Money::try_new(dec("1.28")).unwrap().to_avro_bytes().unwrap(), vec![0x00, 0x80]);
        assert_eq!(Money::try_new(dec("-1.28")).unwrap().to_avro_bytes().unwrap(), vec![0x80]);
        assert_eq!(
            Money::try_new(dec("-1.29")).unwrap().to_avro_bytes().unwrap(),
            vec![0xFF, 0x7F]
        );
        assert_eq!(Money::ZERO.to_avro_bytes().unwrap(), vec![0x00]);
    }

    #[test]
    fn discounts_round_trip() {
        for text in ["0.00", "0.15", "0.80", "1.50"] {
            let discount = Discount::try_new(dec(text)).unwrap();
            let back = Discount::from_avro_bytes(&discount.to_avro_bytes().unwrap()).unwrap();
            assert_eq!(back.to_string(), text);
        }
    }

    #[test]
    fn sub_cent_amounts_are_refused_not_rounded() {
        assert_eq!(
            Money::try_new(dec("1.005")),
            Err(MoneyError::TooManyDecimals { value: dec("1.005"), scale: 2 })
        );
        assert!(Money::try_new(dec("1.500")).is_ok(), "trailing zeros are not extra precision");
    }

    #[test]
    fn amounts_beyond_the_declared_precision_are_refused() {
        assert!(matches!(Money::try_new(dec("10000000000.00")), Err(MoneyError::Overflow { .. })));
        assert!(matches!(Discount::try_new(dec("100.00")), Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn rounding_is_half_away_from_zero_and_keeps_two_places() {
        assert_eq!(Money::round(dec("2.345")).to_string(), "2.35");
        assert_eq!(Money::round(dec("-2.345")).to_string(), "-2.35");
        assert_eq!(Money::round(dec("7")).to_string(), "7.00");
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
