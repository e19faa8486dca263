//! `superstore migrate`: brings the database to the schema this binary expects.

use crate::endpoints;
use crate::failure::Failure;

pub fn run() -> anyhow::Result<()> {
    let endpoints = endpoints::resolve()?;
    let applied = crate::db::migrate(&endpoints.database_url).map_err(Failure::database)?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}
