//! The staging writer's binary COPY fields against PostgreSQL's own
//! (`DATABASE_URL`, which `scripts/test.sh` sets): for every kind of column
//! staging uses, each value's field as `binary_fields` encodes it must be the
//! bytes PostgreSQL sends for the same value in `COPY ... TO STDOUT (FORMAT
//! binary)`. The kinds are derived from this test table's Diesel types, as
//! the writer derives staging's.

use diesel::pg::CopyFormat;
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::io::Read;
use superstore_actors::staging::binary_fields::{push_field, ColumnKind};
use superstore_database::column_type_oids;

diesel::table! {
    binary_kinds (id) {
        id -> Int4,
        b -> Nullable<Bool>,
        s -> Nullable<Int2>,
        i -> Nullable<Int4>,
        l -> Nullable<Int8>,
        t -> Nullable<Text>,
        u -> Nullable<Uuid>,
        d -> Nullable<Date>,
        ts -> Nullable<Timestamptz>,
        n -> Nullable<Numeric>,
        j -> Nullable<Jsonb>,
    }
}

/// The SQL type of each column but `id`, as staging declares its own.
const TYPES: [&str; 10] = [
    "boolean",
    "smallint",
    "integer",
    "bigint",
    "text",
    "uuid",
    "date",
    "timestamptz",
    "numeric(16,4)",
    "jsonb",
];

/// Values of each column, as the text a row's serde form gives; jsonb's in
/// the form PostgreSQL prints it, as its binary output is that text.
const VALUES: [&[&str]; 10] = [
    &["true", "false"],
    &["-2", "32767"],
    &["258", "-2147483648"],
    &["9223372036854775807", "-1"],
    &["é\ttab\\back", ""],
    &["0b9bd2de-1c1b-4f0e-9bfc-7d3b6f1a2b3c"],
    &["2024-02-29", "1999-12-31", "0001-01-01", "9999-12-31"],
    &["2024-02-29T12:34:56.123456Z", "1999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z"],
    &["12.3400", "-0.0001", "0.0000", "123456789012.3456", "10000.0000", "-5.1000", "0.5000"],
    &[r#"[{"key": "k", "value": "dg=="}]"#, "[]"],
];

fn connection() -> PgConnection {
    let url = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL server: run the tests through scripts/test.sh",
    );
    PgConnection::establish(&url).expect("PostgreSQL answers")
}

/// The fields of each tuple of a binary COPY, NULL as None.
fn tuples(copy: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
    let take = |at: &mut usize, n: usize| {
        let bytes = &copy[*at..*at + n];
        *at += n;
        bytes.iter().fold(0i64, |value, byte| value << 8 | i64::from(*byte))
    };
    let mut at = 19; // the signature, the flags and the header extension's length
    let mut rows = Vec::new();
    loop {
        let count = take(&mut at, 2) as i16;
        if count == -1 {
            return rows;
        }
        let fields = (0..count)
            .map(|_| {
                let length = take(&mut at, 4) as i32;
                let length = usize::try_from(length).ok()?;
                at += length;
                Some(copy[at - length..at].to_vec())
            })
            .collect();
        rows.push(fields);
    }
}

#[test]
fn every_kind_of_field_is_what_postgresql_sends_for_the_same_value() {
    let mut conn = connection();
    let columns: Vec<String> =
        ["b", "s", "i", "l", "t", "u", "d", "ts", "n", "j"].map(String::from).into();
    let declared: Vec<String> =
        columns.iter().zip(TYPES).map(|(column, kind)| format!("{column} {kind}")).collect();
    let create = format!("create temp table binary_kinds (id integer, {})", declared.join(", "));
    diesel::sql_query(create).execute(&mut conn).unwrap();
    let kinds: Vec<ColumnKind> = column_type_oids::<binary_kinds::table>()[1..]
        .iter()
        .map(|oid| ColumnKind::from_oid(oid.expect("a built-in type")).expect("an encoded kind"))
        .collect();
    let mut expected = Vec::new();
    let declared_kinds = columns.iter().zip(TYPES).zip(kinds.iter().zip(VALUES));
    for ((column, sql_type), (kind, values)) in declared_kinds {
        for value in values {
            let id = i32::try_from(expected.len()).unwrap();
            let insert = format!(
                "insert into binary_kinds (id, {column}) values ({id}, cast($1 as {sql_type}))"
            );
            diesel::sql_query(insert).bind::<Text, _>(*value).execute(&mut conn).unwrap();
            let mut field = Vec::new();
            push_field(*kind, value, &mut field).unwrap();
            expected.push((column.clone(), *value, field));
        }
    }
    let mut copy = Vec::new();
    diesel::copy_to(binary_kinds::table)
        .with_format(CopyFormat::Binary)
        .load_raw(&mut conn)
        .unwrap()
        .read_to_end(&mut copy)
        .unwrap();
    let mut rows = tuples(&copy);
    rows.sort_by_key(|row| row[0].clone());
    assert_eq!(rows.len(), expected.len());
    for (row, (column, value, field)) in rows.iter().zip(&expected) {
        let index = 1 + columns.iter().position(|c| c == column).unwrap();
        let sent = row[index].as_ref().expect("the value is not NULL");
        assert_eq!(&field[4..], sent.as_slice(), "{column} = {value}");
    }
}
