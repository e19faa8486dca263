//! Events survive the trip through Avro binary and schema v1 unchanged, to the cent.

use apache_avro::{from_avro_datum, to_avro_datum};
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};
use superstore_domain::{resolve_to_reader, sale_from_avro, sale_to_avro, schema_v1};

#[test]
fn generated_events_round_trip_through_avro_binary() {
    let mut config = GeneratorConfig::new(11, 2_000);
    config.invalid_ratio = 0.1;
    for generated in SaleGenerator::new(config).unwrap() {
        let value = sale_to_avro(&generated.event, 1).unwrap();
        let bytes = to_avro_datum(schema_v1(), value).expect("the value matches schema v1");
        let written = from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap();
        let decoded = resolve_to_reader(written, schema_v1()).unwrap();
        let back = sale_from_avro(decoded).unwrap();
        assert_eq!(back, generated.event);
        assert_eq!(back.sales.to_string(), generated.event.sales.to_string(), "scale is kept");
    }
}

#[test]
fn negative_profit_and_large_amounts_keep_their_sign_and_cents() {
    let events: Vec<_> =
        SaleGenerator::new(GeneratorConfig::new(3, 5_000)).unwrap().map(|g| g.event).collect();
    let loss = events
        .iter()
        .find(|e| e.profit.amount().is_sign_negative())
        .expect("some sale loses money");
    let value = sale_to_avro(loss, 1).unwrap();
    let bytes = to_avro_datum(schema_v1(), value).unwrap();
    let back =
        sale_from_avro(from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap()).unwrap();
    assert_eq!(back.profit, loss.profit);
}

#[test]
fn truncated_datum_is_an_error_not_a_panic() {
    let event = SaleGenerator::new(GeneratorConfig::new(5, 1)).unwrap().next().unwrap().event;
    let bytes = to_avro_datum(schema_v1(), sale_to_avro(&event, 1).unwrap()).unwrap();
    let truncated = &bytes[..bytes.len() / 2];
    assert!(from_avro_datum(schema_v1(), &mut &truncated[..], None).is_err());
}
