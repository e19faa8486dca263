//! Compiles every released sale schema into the crate: each file
//! `schemas/sale/vN.avsc` becomes one entry of `RELEASED`, so releasing a
//! version means adding its file, and nothing in the code.

use std::path::Path;
use std::{env, fs};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/sale");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut versions: Vec<u32> = fs::read_dir(&dir)
        .expect("schemas/sale is readable")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix('v')?.strip_suffix(".avsc")?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    let contiguous = versions.iter().zip(1..).all(|(found, wanted)| *found == wanted);
    assert!(
        !versions.is_empty() && contiguous,
        "schemas/sale must hold v1.avsc to vN.avsc without gaps; found versions {versions:?}"
    );
    let entries: String = versions
        .iter()
        .map(|v| {
            let path = dir.join(format!("v{v}.avsc"));
            format!("    include_str!({:?}),\n", path.display().to_string())
        })
        .collect();
    let code = format!(
        "/// The text of every released sale schema, v1 first.\n\
         pub const RELEASED: &[&str] = &[\n{entries}];\n"
    );
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("released.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
