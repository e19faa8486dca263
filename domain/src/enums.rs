//! The closed vocabularies of a sale and of a return. Each enum maps one to one onto an Avro
//! enum of `schemas/sale/*.avsc`, whose symbols are UPPER_SNAKE; the symbol
//! written next to each variant is its one spelling on the wire, in serde and
//! in staging. Next to it stands the variant's human label, the spelling of
//! the classic Superstore dataset (`Second Class`, `Home Office`): imports
//! read labels, and the warehouse shows them (dbt's seed
//! `dbt/seeds/staging/enum_labels.csv` is checked against [`label_table`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A label that no variant of the enum carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enum_name} label {label:?} (expected one of {expected})")]
pub struct UnknownLabel {
    /// The enum the label was read for.
    pub enum_name: &'static str,
    /// The label as given.
    pub label: String,
    /// The enum's labels, comma-separated.
    pub expected: String,
}

/// A symbol that no enum of the sale model knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {enum_name} symbol {symbol:?}")]
pub struct UnknownSymbol {
    /// The enum the symbol was read for.
    pub enum_name: &'static str,
    /// The symbol as given.
    pub symbol: String,
}

/// An Avro enum. The variant marked `#[default]` is the schema's default
/// symbol where the schema declares one, else the first symbol (blank events
/// only; see `SaleEvent::default`).
macro_rules! avro_enum {
    (
        $(#[$doc:meta])* $name:ident {
            $($(#[$attr:meta])* $variant:ident => $symbol:literal, $label:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$attr])*
                #[doc = concat!("`", $symbol, "` on the wire, \"", $label, "\" to people.")]
                #[serde(rename = $symbol)]
                $variant
            ),+
        }

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

            /// The human label, as the classic dataset and the warehouse spell it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// The variant a label names, exactly as [`Self::label`] spells it.
            pub fn from_label(label: &str) -> Result<Self, UnknownLabel> {
                match label {
                    $($label => Ok($name::$variant),)+
                    other => Err(UnknownLabel {
                        enum_name: stringify!($name),
                        label: other.to_owned(),
                        expected: [$($label),+].join(", "),
                    }),
                }
            }

            /// The variant an Avro symbol names, exactly as [`Self::symbol`] spells it.
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
        StandardClass => "STANDARD_CLASS", "Standard Class",
        SecondClass => "SECOND_CLASS", "Second Class",
        FirstClass => "FIRST_CLASS", "First Class",
        SameDay => "SAME_DAY", "Same Day",
    }
);

avro_enum!(
    /// The kind of customer.
    Segment {
        #[default]
        Consumer => "CONSUMER", "Consumer",
        Corporate => "CORPORATE", "Corporate",
        HomeOffice => "HOME_OFFICE", "Home Office",
    }
);

avro_enum!(
    /// The sales region a shop belongs to.
    Region {
        #[default]
        Central => "CENTRAL", "Central",
        East => "EAST", "East",
        South => "SOUTH", "South",
        West => "WEST", "West",
    }
);

avro_enum!(
    /// The top level of the product catalogue.
    Category {
        #[default]
        Furniture => "FURNITURE", "Furniture",
        OfficeSupplies => "OFFICE_SUPPLIES", "Office Supplies",
        Technology => "TECHNOLOGY", "Technology",
    }
);

avro_enum!(
    /// How the customer paid (schema v2). `Unknown` is the Avro default: it
    /// is what events written before v2 carry, and what a reader makes of a
    /// payment symbol it does not know.
    PaymentMethod {
        Cash => "CASH", "Cash",
        Card => "CARD", "Card",
        MobileWallet => "MOBILE_WALLET", "Mobile Wallet",
        GiftCard => "GIFT_CARD", "Gift Card",
        #[default]
        Unknown => "UNKNOWN", "Unknown",
    }
);

avro_enum!(
    /// Why a customer brought a line back (the return schema). `Unknown` is
    /// the Avro default: what a source that does not say carries (the
    /// classic workbook's Returns sheet), and what a reader makes of a
    /// symbol it does not know.
    ReturnReason {
        Damaged => "DAMAGED", "Damaged",
        Defective => "DEFECTIVE", "Defective",
        WrongItem => "WRONG_ITEM", "Wrong Item",
        NotAsDescribed => "NOT_AS_DESCRIBED", "Not as Described",
        NoLongerNeeded => "NO_LONGER_NEEDED", "No Longer Needed",
        #[default]
        Unknown => "UNKNOWN", "Unknown",
    }
);

/// Every (Avro enum name, symbol, label) of the sale model, in schema
/// order: the one source of the warehouse's labels.
pub fn label_table() -> Vec<(&'static str, &'static str, &'static str)> {
    fn rows<E: Copy>(
        name: &'static str,
        all: &[E],
        symbol: fn(E) -> &'static str,
        label: fn(E) -> &'static str,
    ) -> Vec<(&'static str, &'static str, &'static str)> {
        all.iter().map(|v| (name, symbol(*v), label(*v))).collect()
    }
    [
        rows("ShipMode", ShipMode::ALL, ShipMode::symbol, ShipMode::label),
        rows("Segment", Segment::ALL, Segment::symbol, Segment::label),
        rows("Region", Region::ALL, Region::symbol, Region::label),
        rows("Category", Category::ALL, Category::symbol, Category::label),
        rows("PaymentMethod", PaymentMethod::ALL, PaymentMethod::symbol, PaymentMethod::label),
        rows("ReturnReason", ReturnReason::ALL, ReturnReason::symbol, ReturnReason::label),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_an_unknown_one_lists_the_known_ones() {
        for mode in ShipMode::ALL {
            assert_eq!(ShipMode::from_label(mode.label()), Ok(*mode));
        }
        assert_eq!(Category::OfficeSupplies.label(), "Office Supplies");
        assert_eq!(Segment::from_label("Home Office"), Ok(Segment::HomeOffice));
        let err = ShipMode::from_label("Third Class").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown ShipMode label \"Third Class\" (expected one of Standard Class, \
             Second Class, First Class, Same Day)"
        );
        assert!(ShipMode::from_label("SECOND_CLASS").is_err(), "a symbol is not a label");
    }

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
