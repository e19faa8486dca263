//! Compiles every released schema into the crate: each file
//! `schemas/<event>/vN.avsc` becomes one entry of that event's list, so
//! releasing a version means adding its file, and nothing in the code.

use std::path::Path;
use std::{env, fs};

/// (directory under `schemas/`, the constant its versions become)
const EVENTS: &[(&str, &str)] = &[("sale", "RELEASED"), ("return", "RELEASED_RETURN")];

fn main() {
    let code: String = EVENTS.iter().map(|(dir, constant)| released(dir, constant)).collect();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("released.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

fn released(event: &str, constant: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas").join(event);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut versions: Vec<u32> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("schemas/{event} is not readable: {e}"))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix('v')?.strip_suffix(".avsc")?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    let contiguous = versions.iter().zip(1..).all(|(found, wanted)| *found == wanted);
    assert!(
        !versions.is_empty() && contiguous,
        "schemas/{event} must hold v1.avsc to vN.avsc without gaps; found versions {versions:?}"
    );
    let entries: String = versions
        .iter()
        .map(|v| {
            let path = dir.join(format!("v{v}.avsc"));
            format!("    include_str!({:?}),\n", path.display().to_string())
        })
        .collect();
    format!(
        "/// The text of every released {event} schema, v1 first.\n\
         pub const {constant}: &[&str] = &[\n{entries}];\n"
    )
}
