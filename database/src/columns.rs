//! The column names of a Diesel table, in the order its `table!` declares
//! them: what other crates derive layouts from (the staging writer's COPY,
//! the "forgotten field" test) instead of keeping a second list.

use diesel::{Column, Table};

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
    fn names_follow_the_table_declaration() {
        assert_eq!(
            super::column_names::<consumer_offsets::table>(),
            ["group_id", "topic", "partition", "next_offset", "updated_at", "topic_id"]
        );
    }
}
