//! The stored compatibility levels (`registry.config`): one row per scope,
//! the level kept as the text the service parses.

use crate::repository::Stored;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use superstore_database::schema::registry::config;

/// The level stored for `scope`, as text, if any.
pub fn stored_level(conn: &mut PgConnection, scope: &str) -> Stored<Option<String>> {
    Ok(config::table.find(scope).select(config::compatibility_level).first(conn).optional()?)
}

/// Stores `level` for `scope`, replacing any.
pub fn set_level(conn: &mut PgConnection, scope: &str, level: &str) -> Stored<()> {
    diesel::insert_into(config::table)
        .values((config::subject.eq(scope), config::compatibility_level.eq(level)))
        .on_conflict(config::subject)
        .do_update()
        .set((config::compatibility_level.eq(level), config::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

/// Removes the level of `scope`, if stored.
pub fn delete_level(conn: &mut PgConnection, scope: &str) -> Stored<()> {
    diesel::delete(config::table.find(scope)).execute(conn)?;
    Ok(())
}
