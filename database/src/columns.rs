//! The column names and types of a Diesel table, in the order its `table!`
//! declares them: what other crates derive layouts from (the staging
//! writer's binary COPY, the "forgotten field" test) instead of keeping a
//! second list.

use diesel::pg::{Pg, PgMetadataLookup, PgTypeMetadata};
use diesel::sql_types::HasSqlType;
use diesel::{Column, Expression, Table};

/// Names of the columns of a tuple of Diesel columns, in order.
pub trait ColumnNames {
    fn names() -> Vec<&'static str>;
}

macro_rules! column_names_for_tuples {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: Column, $($rest: Column),*> ColumnNames for ($first, $($rest,)*) {
            fn names() -> Vec<&'static str> {
                vec![$first::NAME $(, $rest::NAME)*]
            }
        }
        column_names_for_tuples!($($rest),*);
    };
    () => {};
}

column_names_for_tuples!(
    C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19, C20, C21,
    C22, C23, C24, C25, C26, C27, C28, C29, C30, C31, C32
);

/// The PostgreSQL type of each column of a tuple of Diesel columns, in
/// order, as Diesel's own metadata gives it (a nullable column has the type
/// of its values).
pub trait ColumnTypes {
    /// The type OID of each column; `None` for a type that is not built in.
    fn type_oids() -> Vec<Option<u32>>;
}

/// Diesel asks this for the OID of a type that is not built into
/// PostgreSQL (an extension's, a user's): the tables read here have none,
/// so the answer is OID 0, which no type has.
struct BuiltInTypesOnly;

impl PgMetadataLookup for BuiltInTypesOnly {
    fn lookup_type(&mut self, _type_name: &str, _schema: Option<&str>) -> PgTypeMetadata {
        PgTypeMetadata::new(0, 0)
    }
}

fn oid_of<C: Expression>() -> Option<u32>
where
    Pg: HasSqlType<C::SqlType>,
{
    let oid = <Pg as HasSqlType<C::SqlType>>::metadata(&mut BuiltInTypesOnly).oid().ok()?;
    (oid != 0).then_some(oid)
}

macro_rules! column_types_for_tuples {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: Expression, $($rest: Expression),*> ColumnTypes for ($first, $($rest,)*)
        where
            Pg: HasSqlType<$first::SqlType> $(+ HasSqlType<$rest::SqlType>)*,
        {
            fn type_oids() -> Vec<Option<u32>> {
                vec![oid_of::<$first>() $(, oid_of::<$rest>())*]
            }
        }
        column_types_for_tuples!($($rest),*);
    };
    () => {};
}

column_types_for_tuples!(
    C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19, C20, C21,
    C22, C23, C24, C25, C26, C27, C28, C29, C30, C31, C32
);

/// The PostgreSQL type OIDs of the columns of table `T`, in declaration order.
pub fn column_type_oids<T>() -> Vec<Option<u32>>
where
    T: Table,
    T::AllColumns: ColumnTypes,
{
    T::AllColumns::type_oids()
}

/// The columns of table `T`, in declaration order.
pub fn column_names<T>() -> Vec<&'static str>
where
    T: Table,
    T::AllColumns: ColumnNames,
{
    T::AllColumns::names()
}

#[cfg(test)]
mod tests {
    use crate::schema::staging::consumer_offsets;

    #[test]
    fn types_come_from_the_table_declaration() {
        // text, text, int4, int8, timestamptz, text (nullable)
        assert_eq!(
            super::column_type_oids::<consumer_offsets::table>(),
            [Some(25), Some(25), Some(23), Some(20), Some(1184), Some(25)]
        );
    }

    #[test]
    fn names_follow_the_table_declaration() {
        assert_eq!(
            super::column_names::<consumer_offsets::table>(),
            ["group_id", "topic", "partition", "next_offset", "updated_at", "topic_id"]
        );
    }
}
