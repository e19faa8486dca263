//! Diesel's view of the tables that `migrations/` creates, one module per
//! PostgreSQL schema (`registry`, `staging`, `warehouse`). The files beside
//! this one are generated: `scripts/schema.sh` applies the migrations to a scratch
//! database and writes them with `diesel print-schema` (settings in
//! `diesel.toml`); CI fails when they differ from what the migrations give.
//! Never edit them by hand.

#[rustfmt::skip]
#[path = "registry.rs"]
mod generated_registry;
#[rustfmt::skip]
#[path = "staging.rs"]
mod generated_staging;
#[rustfmt::skip]
#[path = "warehouse.rs"]
mod generated_warehouse;

pub use generated_registry::registry;
pub use generated_staging::staging;
pub use generated_warehouse::warehouse;
