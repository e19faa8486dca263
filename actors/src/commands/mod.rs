//! The commands of `superstore` that are not a pipeline of their own.

pub mod migrate;
pub mod run;
pub mod schemas;
pub mod serve_registry;
pub mod stack;
