//! Events survive the trip through Avro binary unchanged, to the last
//! decimal, with every released schema version; older events read with the
//! newest schema keep their amounts exactly.

use apache_avro::types::Value;
use apache_avro::{from_avro_datum, to_avro_datum};
use rust_decimal::Decimal;
use std::str::FromStr;
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};
use superstore_domain::{
    resolve_to_reader, sale_from_avro, sale_schema, sale_to_avro, sale_to_datum, schema_latest,
    schema_v1, Money, SaleEvent, LATEST_SCHEMA_VERSION,
};

fn generated(seed: u64, count: u64, version: u32) -> Vec<SaleEvent> {
    let mut config = GeneratorConfig::new(seed, count);
    config.invalid_ratio = 0.1;
    config.schema_version = version;
    SaleGenerator::new(config).unwrap().map(|g| g.event).collect()
}

fn money(text: &str) -> Money {
    Money::try_new(Decimal::from_str(text).unwrap()).unwrap()
}

#[test]
fn generated_events_round_trip_through_avro_binary_with_every_version() {
    for version in 1..=LATEST_SCHEMA_VERSION {
        let schema = sale_schema(version).unwrap();
        for event in generated(11, 1_000, version) {
            let bytes = sale_to_datum(&event, version).expect("the event fits the schema");
            let written = from_avro_datum(schema, &mut bytes.as_slice(), None).unwrap();
            let decoded = resolve_to_reader(written, schema, schema).unwrap();
            let back = sale_from_avro(decoded, schema).unwrap();
            assert_eq!(back, event, "v{version}");
            assert_eq!(back.sales.to_string(), event.sales.to_string(), "scale is kept");
        }
    }
}

#[test]
fn the_direct_encoder_writes_the_same_bytes_as_the_value_tree() {
    for event in generated(12, 2_000, LATEST_SCHEMA_VERSION) {
        let through_values =
            to_avro_datum(schema_latest(), sale_to_avro(&event, LATEST_SCHEMA_VERSION).unwrap())
                .unwrap();
        assert_eq!(sale_to_datum(&event, LATEST_SCHEMA_VERSION).unwrap(), through_values);
    }
}

#[test]
fn an_older_event_read_with_the_newest_schema_is_rescaled_exactly() {
    let mut event = generated(13, 1, 2).remove(0);
    event.sales = money("261.96");
    event.profit = money("-3839.99");
    let v2 = sale_schema(2).unwrap();
    let bytes = sale_to_datum(&event, 2).unwrap();
    let written = from_avro_datum(v2, &mut bytes.as_slice(), None).unwrap();

    // The bytes carry 26196 and no scale: read at the newest scale as they
    // are, they would say 2.6196. This is what rescaling prevents.
    let Value::Record(fields) = &written else { panic!("a record") };
    let (_, Value::Decimal(sales)) = fields.iter().find(|(name, _)| name == "sales").unwrap()
    else {
        panic!("sales is a decimal")
    };
    let as_is = Money::from_avro_bytes(&Vec::<u8>::try_from(sales).unwrap()).unwrap();
    assert_eq!(as_is.to_string(), "2.6196");

    let read =
        sale_from_avro(resolve_to_reader(written, v2, schema_latest()).unwrap(), schema_latest())
            .unwrap();
    assert_eq!(read.sales.amount().to_string(), "261.9600");
    assert_eq!(read.profit.amount().to_string(), "-3839.9900");
    assert_eq!(read, event);
}

#[test]
fn four_decimals_do_not_fit_an_older_schema_and_are_refused_not_rounded() {
    let mut event = generated(14, 1, LATEST_SCHEMA_VERSION).remove(0);
    event.profit = money("41.9136");
    let err = sale_to_datum(&event, 2).unwrap_err().to_string();
    assert!(err.contains("profit") && err.contains("scale 2"), "{err}");
    assert!(sale_to_datum(&event, LATEST_SCHEMA_VERSION).is_ok());
}

#[test]
fn negative_profit_and_large_amounts_keep_their_sign_and_decimals() {
    let events = generated(3, 5_000, 1);
    let loss = events
        .iter()
        .find(|e| e.profit.amount().is_sign_negative())
        .expect("some sale loses money");
    let bytes = to_avro_datum(schema_v1(), sale_to_avro(loss, 1).unwrap()).unwrap();
    let written = from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap();
    let back = sale_from_avro(written, schema_v1()).unwrap();
    assert_eq!(back.profit, loss.profit);
}

#[test]
fn truncated_datum_is_an_error_not_a_panic() {
    let event = generated(5, 1, 1).remove(0);
    let bytes = to_avro_datum(schema_v1(), sale_to_avro(&event, 1).unwrap()).unwrap();
    let truncated = &bytes[..bytes.len() / 2];
    assert!(from_avro_datum(schema_v1(), &mut &truncated[..], None).is_err());
}
