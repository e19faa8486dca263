//! The mapping between a [`SaleEvent`] and the Avro values of
//! `schemas/sale/v{1,2}.avsc`. The decoder in the runtime resolves every
//! message to the newest reader schema first, so this mapping only ever sees
//! reader-shaped records; fields it does not know are ignored, and the
//! fields v2 added take their schema defaults when absent.

use crate::enums::{Category, PaymentMethod, Region, Segment, ShipMode, UnknownSymbol};
use crate::money::{Discount, Money, MoneyError, Quantity};
use crate::sale::{Customer, Location, Product, SaleEvent};
use crate::validation::{RejectReason, Rejection};
use apache_avro::types::Value;
use apache_avro::Schema;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::OnceLock;
use uuid::Uuid;

/// The text of `schemas/sale/v1.avsc`, compiled into the binary so that the
/// runtime always knows the schema it was built against.
pub const SALE_SCHEMA_V1: &str = include_str!("../../schemas/sale/v1.avsc");

/// The text of `schemas/sale/v2.avsc`: adds `payment_method` and `loyalty_id`, with defaults.
pub const SALE_SCHEMA_V2: &str = include_str!("../../schemas/sale/v2.avsc");

/// The newest version this build knows: the reader schema of the pipeline.
pub const LATEST_SCHEMA_VERSION: u32 = 2;

/// The text of a released version of the sale schema.
pub fn sale_schema_text(version: u32) -> Option<&'static str> {
    match version {
        1 => Some(SALE_SCHEMA_V1),
        2 => Some(SALE_SCHEMA_V2),
        _ => None,
    }
}

/// The parsed schema of a released version.
pub fn sale_schema(version: u32) -> Option<&'static Schema> {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        (1..=LATEST_SCHEMA_VERSION)
            .map(|v| Schema::parse_str(sale_schema_text(v).expect("listed")).expect("released schemas are valid Avro"))
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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AvroMappingError {
    #[error("expected a record for {0}")]
    NotARecord(&'static str),
    #[error("field {0} is missing")]
    MissingField(String),
    #[error("field {field} should be {expected}, found {found}")]
    WrongType { field: String, expected: &'static str, found: String },
    #[error("field {field}: {source}")]
    UnknownSymbol { field: String, source: UnknownSymbol },
    #[error("field {field}: {source}")]
    Decimal { field: String, source: MoneyError },
    #[error("field {field}: {value} is not a valid {what}")]
    OutOfRange { field: String, value: i64, what: &'static str },
}

impl From<AvroMappingError> for Rejection {
    fn from(err: AvroMappingError) -> Self {
        let reason = match err {
            AvroMappingError::UnknownSymbol { .. } => RejectReason::UnknownEnumSymbol,
            _ => RejectReason::InvalidFieldValue,
        };
        Rejection::new(reason, err.to_string())
    }
}

/// The Avro value of an event, shaped like `schemas/sale/v{version}.avsc`
/// (fields the version does not have are left out).
pub fn sale_to_avro(event: &SaleEvent, version: u32) -> Result<Value, AvroMappingError> {
    let decimal = |field: &str, bytes: Result<Vec<u8>, MoneyError>| {
        bytes
            .map(|b| Value::Decimal(apache_avro::Decimal::from(b)))
            .map_err(|source| AvroMappingError::Decimal { field: field.to_owned(), source })
    };
    let enum_value = |index: u32, symbol: &str| Value::Enum(index, symbol.to_owned());
    let mut fields = vec![
        ("event_id".into(), Value::Uuid(event.event_id)),
        ("event_time".into(), Value::TimestampMillis(event.event_time.timestamp_millis())),
        ("order_id".into(), Value::String(event.order_id.clone())),
        ("order_date".into(), Value::Date(days_since_epoch(event.order_date))),
        ("ship_date".into(), Value::Date(days_since_epoch(event.ship_date))),
        ("ship_mode".into(), enum_value(event.ship_mode.index(), event.ship_mode.symbol())),
        (
            "customer".into(),
            Value::Record(vec![
                ("customer_id".into(), Value::String(event.customer.customer_id.clone())),
                ("customer_name".into(), Value::String(event.customer.customer_name.clone())),
                ("segment".into(), enum_value(event.customer.segment.index(), event.customer.segment.symbol())),
            ]),
        ),
        (
            "location".into(),
            Value::Record(vec![
                ("country".into(), Value::String(event.location.country.clone())),
                ("state".into(), Value::String(event.location.state.clone())),
                ("city".into(), Value::String(event.location.city.clone())),
                ("postal_code".into(), Value::String(event.location.postal_code.clone())),
                ("region".into(), enum_value(event.location.region.index(), event.location.region.symbol())),
            ]),
        ),
        (
            "product".into(),
            Value::Record(vec![
                ("product_id".into(), Value::String(event.product.product_id.clone())),
                ("product_name".into(), Value::String(event.product.product_name.clone())),
                ("category".into(), enum_value(event.product.category.index(), event.product.category.symbol())),
                ("sub_category".into(), Value::String(event.product.sub_category.clone())),
            ]),
        ),
        ("sales".into(), decimal("sales", event.sales.to_avro_bytes())?),
        ("quantity".into(), Value::Int(event.quantity.0)),
        ("discount".into(), decimal("discount", event.discount.to_avro_bytes())?),
        ("profit".into(), decimal("profit", event.profit.to_avro_bytes())?),
    ];
    if version >= 2 {
        fields.push(("payment_method".into(), enum_value(event.payment_method.index(), event.payment_method.symbol())));
        let loyalty = match &event.loyalty_id {
            Some(id) => Value::Union(1, Box::new(Value::String(id.clone()))),
            None => Value::Union(0, Box::new(Value::Null)),
        };
        fields.push(("loyalty_id".into(), loyalty));
    }
    Ok(Value::Record(fields))
}

/// The event carried by a record value resolved to the reader schema.
pub fn sale_from_avro(value: Value) -> Result<SaleEvent, AvroMappingError> {
    let mut top = Fields::of(value, "SaleEvent")?;
    let mut customer = Fields::of(top.take("customer")?, "customer")?;
    let mut location = Fields::of(top.take("location")?, "location")?;
    let mut product = Fields::of(top.take("product")?, "product")?;
    Ok(SaleEvent {
        event_id: top.uuid("event_id")?,
        event_time: top.timestamp_millis("event_time")?,
        order_id: top.string("order_id")?,
        order_date: top.date("order_date")?,
        ship_date: top.date("ship_date")?,
        ship_mode: top.symbol("ship_mode", ShipMode::from_symbol)?,
        customer: Customer {
            customer_id: customer.string("customer_id")?,
            customer_name: customer.string("customer_name")?,
            segment: customer.symbol("segment", Segment::from_symbol)?,
        },
        location: Location {
            country: location.string("country")?,
            state: location.string("state")?,
            city: location.string("city")?,
            postal_code: location.string("postal_code")?,
            region: location.symbol("region", Region::from_symbol)?,
        },
        product: Product {
            product_id: product.string("product_id")?,
            product_name: product.string("product_name")?,
            category: product.symbol("category", Category::from_symbol)?,
            sub_category: product.string("sub_category")?,
        },
        sales: top.decimal("sales", Money::from_avro_bytes)?,
        quantity: Quantity(top.int("quantity")?),
        discount: top.decimal("discount", Discount::from_avro_bytes)?,
        profit: top.decimal("profit", Money::from_avro_bytes)?,
        payment_method: match top.has("payment_method") {
            true => top.symbol("payment_method", PaymentMethod::from_symbol)?,
            false => PaymentMethod::Unknown,
        },
        loyalty_id: top.optional_string("loyalty_id")?,
    })
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The fields of one record, taken out by name.
struct Fields {
    record: &'static str,
    by_name: HashMap<String, Value>,
}

impl Fields {
    fn of(value: Value, record: &'static str) -> Result<Self, AvroMappingError> {
        match unwrap_union(value) {
            Value::Record(fields) => Ok(Fields { record, by_name: fields.into_iter().collect() }),
            _ => Err(AvroMappingError::NotARecord(record)),
        }
    }

    fn path(&self, field: &str) -> String {
        if self.record == "SaleEvent" {
            field.to_owned()
        } else {
            format!("{}.{field}", self.record)
        }
    }

    fn take(&mut self, field: &str) -> Result<Value, AvroMappingError> {
        self.by_name
            .remove(field)
            .map(unwrap_union)
            .ok_or_else(|| AvroMappingError::MissingField(self.path(field)))
    }

    fn has(&self, field: &str) -> bool {
        self.by_name.contains_key(field)
    }

    /// A nullable string; absent or null is None.
    fn optional_string(&mut self, field: &str) -> Result<Option<String>, AvroMappingError> {
        if !self.has(field) {
            return Ok(None);
        }
        match self.take(field)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            other => Err(self.wrong(field, "a string or null", &other)),
        }
    }

    fn wrong(&self, field: &str, expected: &'static str, found: &Value) -> AvroMappingError {
        AvroMappingError::WrongType { field: self.path(field), expected, found: format!("{found:?}") }
    }

    fn string(&mut self, field: &str) -> Result<String, AvroMappingError> {
        match self.take(field)? {
            Value::String(s) => Ok(s),
            other => Err(self.wrong(field, "a string", &other)),
        }
    }

    fn int(&mut self, field: &str) -> Result<i32, AvroMappingError> {
        match self.take(field)? {
            Value::Int(n) => Ok(n),
            other => Err(self.wrong(field, "an int", &other)),
        }
    }

    fn uuid(&mut self, field: &str) -> Result<Uuid, AvroMappingError> {
        match self.take(field)? {
            Value::Uuid(id) => Ok(id),
            Value::String(s) => Uuid::parse_str(&s).map_err(|_| self.wrong(field, "a uuid", &Value::String(s))),
            other => Err(self.wrong(field, "a uuid", &other)),
        }
    }

    fn timestamp_millis(&mut self, field: &str) -> Result<DateTime<Utc>, AvroMappingError> {
        match self.take(field)? {
            Value::TimestampMillis(ms) | Value::Long(ms) => DateTime::from_timestamp_millis(ms)
                .ok_or(AvroMappingError::OutOfRange { field: self.path(field), value: ms, what: "timestamp" }),
            other => Err(self.wrong(field, "a timestamp-millis", &other)),
        }
    }

    fn date(&mut self, field: &str) -> Result<NaiveDate, AvroMappingError> {
        match self.take(field)? {
            Value::Date(days) | Value::Int(days) => epoch()
                .checked_add_signed(TimeDelta::days(days.into()))
                .ok_or(AvroMappingError::OutOfRange { field: self.path(field), value: days.into(), what: "date" }),
            other => Err(self.wrong(field, "a date", &other)),
        }
    }

    fn symbol<T>(&mut self, field: &str, parse: fn(&str) -> Result<T, UnknownSymbol>) -> Result<T, AvroMappingError> {
        match self.take(field)? {
            Value::Enum(_, symbol) | Value::String(symbol) => {
                parse(&symbol).map_err(|source| AvroMappingError::UnknownSymbol { field: self.path(field), source })
            }
            other => Err(self.wrong(field, "an enum symbol", &other)),
        }
    }

    fn decimal<T>(&mut self, field: &str, parse: fn(&[u8]) -> Result<T, MoneyError>) -> Result<T, AvroMappingError> {
        let bytes = match self.take(field)? {
            Value::Decimal(d) => Vec::<u8>::try_from(&d).map_err(|_| self.wrong(field, "a decimal", &Value::Decimal(d)))?,
            Value::Bytes(b) => b,
            other => return Err(self.wrong(field, "a decimal", &other)),
        };
        parse(&bytes).map_err(|source| AvroMappingError::Decimal { field: self.path(field), source })
    }
}

fn unwrap_union(value: Value) -> Value {
    match value {
        Value::Union(_, inner) => *inner,
        other => other,
    }
}
