//! `superstore migrate`: brings the database to the schema this binary expects.

use super::failure::Failure;

pub fn run() -> anyhow::Result<()> {
    let endpoints = superstore_stack::resolve().map_err(Failure::from)?;
    let applied =
        superstore_database::migrate(&endpoints.database_url).map_err(Failure::migration)?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}
