//! The closed vocabularies of a sale. Each enum maps one to one onto an Avro
//! enum of `schemas/sale/*.avsc`, whose symbols are UPPER_SNAKE; the symbol
//! written next to each variant is its one spelling, in Avro, serde and
//! staging alike.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A symbol that no enum of the sale model knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enum_name} symbol {symbol:?}")]
pub struct UnknownSymbol {
    pub enum_name: &'static str,
    pub symbol: String,
}

/// An Avro enum. The variant marked `#[default]` is the schema's default
/// symbol where the schema declares one, else the first symbol (blank events
/// only; see `SaleEvent::default`).
macro_rules! avro_enum {
    (
        $(#[$doc:meta])* $name:ident {
            $($(#[$attr:meta])* $variant:ident => $symbol:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(Serialize, Deserialize)]
        pub enum $name { $($(#[$attr])* #[serde(rename = $symbol)] $variant),+ }

        impl $name {
            /// Every variant, in the order of the Avro symbols.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The Avro symbol, also used in staging and in the warehouse.
            pub fn symbol(self) -> &'static str {
                match self { $($name::$variant => $symbol),+ }
            }

            /// Position of the symbol in the Avro enum.
            pub fn index(self) -> u32 {
                Self::ALL.iter().position(|v| *v == self).expect("variant listed in ALL") as u32
            }

            pub fn from_symbol(symbol: &str) -> Result<Self, UnknownSymbol> {
                match symbol {
                    $($symbol => Ok($name::$variant),)+
                    other => Err(UnknownSymbol {
                        enum_name: stringify!($name),
                        symbol: other.to_owned(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.symbol())
            }
        }
    };
}

avro_enum!(
    /// How an order is shipped, from slowest to fastest.
    ShipMode {
        #[default]
        StandardClass => "STANDARD_CLASS",
        SecondClass => "SECOND_CLASS",
        FirstClass => "FIRST_CLASS",
        SameDay => "SAME_DAY",
    }
);

avro_enum!(
    /// The kind of customer.
    Segment {
        #[default]
        Consumer => "CONSUMER",
        Corporate => "CORPORATE",
        HomeOffice => "HOME_OFFICE",
    }
);

avro_enum!(
    /// The sales region a shop belongs to.
    Region {
        #[default]
        Central => "CENTRAL",
        East => "EAST",
        South => "SOUTH",
        West => "WEST",
    }
);

avro_enum!(
    /// The top level of the product catalogue.
    Category {
        #[default]
        Furniture => "FURNITURE",
        OfficeSupplies => "OFFICE_SUPPLIES",
        Technology => "TECHNOLOGY",
    }
);

avro_enum!(
    /// How the customer paid (schema v2). `Unknown` is the Avro default: it
    /// is what events written before v2 carry, and what a reader makes of a
    /// payment symbol it does not know.
    PaymentMethod {
        Cash => "CASH",
        Card => "CARD",
        MobileWallet => "MOBILE_WALLET",
        GiftCard => "GIFT_CARD",
        #[default]
        Unknown => "UNKNOWN",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_indexes_follow_the_schema_order() {
        for mode in ShipMode::ALL {
            assert_eq!(ShipMode::from_symbol(mode.symbol()), Ok(*mode));
        }
        assert_eq!(ShipMode::SameDay.index(), 3);
        assert_eq!(Category::Technology.index(), 2);
        assert_eq!(Region::from_symbol("WEST"), Ok(Region::West));
    }

    #[test]
    fn an_unknown_symbol_names_the_enum() {
        let err = Segment::from_symbol("GOVERNMENT").unwrap_err();
        assert_eq!(err.to_string(), "unknown Segment symbol \"GOVERNMENT\"");
    }
}
