//! The sale event in Avro: the released schemas of `schemas/sale/`,
//! compiled in (every `vN.avsc` found at build time, see `build.rs`), and the
//! mapping between a [`crate::SaleEvent`] and their values, which goes
//! through serde ([`codec`], with the logical types in [`crate::logical_types`] and the
//! decimal scales in [`decimals`], the time units in [`time_units`]);
//! [`same_schema`] says when a writer schema may be read as the reader
//! schema itself; [`datum_reader`] reads a datum of the
//! newest shape straight into the event, the pipeline's fast path, and
//! [`datum_writer`] writes one, the generator's. The return event's
//! schemas and mapping are in [`return_codec`].

mod codec;
mod datum_reader;
mod datum_writer;
pub(crate) mod decimals;
mod mapping_error;
mod return_codec;
mod same_schema;
pub(crate) mod time_units;

pub use codec::{sale_from_avro, sale_to_avro, sale_to_datum, write_sale_datum};
pub use datum_reader::{reads_directly, sale_from_datum};
pub(crate) use decimals::to_reader_scale;
pub use mapping_error::AvroMappingError;
pub use return_codec::{
    return_from_avro, return_schema, return_schema_latest, return_schema_text, return_to_datum,
    LATEST_RETURN_SCHEMA_VERSION,
};
pub use same_schema::same_schema_with_logical_types;
pub(crate) use time_units::reader_in_writer_units;

use apache_avro::Schema;
use std::sync::OnceLock;

pub(crate) mod released {
    include!(concat!(env!("OUT_DIR"), "/released.rs"));
}

/// The newest version this build knows: the reader schema of the pipeline.
pub const LATEST_SCHEMA_VERSION: u32 = released::RELEASED.len() as u32;

/// The text of a released version of the sale schema.
pub fn sale_schema_text(version: u32) -> Option<&'static str> {
    released::RELEASED.get(usize::try_from(version).ok()?.checked_sub(1)?).copied()
}

/// The parsed schema of a released version.
pub fn sale_schema(version: u32) -> Option<&'static Schema> {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        released::RELEASED
            .iter()
            .map(|text| Schema::parse_str(text).expect("released schemas are valid Avro"))
            .collect()
    });
    schemas.get(usize::try_from(version).ok()?.checked_sub(1)?)
}

/// The parsed v1 schema.
pub fn schema_v1() -> &'static Schema {
    sale_schema(1).expect("v1 exists")
}

/// The newest schema this build knows.
pub fn schema_latest() -> &'static Schema {
    sale_schema(LATEST_SCHEMA_VERSION).expect("the latest version exists")
}
