//! Unions on either side of a reader/writer pair, by Avro's resolution rules:
//!
//! - data written with a union holds one of its branches, so the reader must
//!   read **every** branch. This holds whatever the reader is: a union, or a
//!   plain type that each branch promotes to (`["int", "float"]` read as
//!   `"float"`, `["int", "long", "float", "double"]` read as `"double"`).
//!   apache-avro's checker answered "Unknown type for 'writers_schema'" to a
//!   plain reader, and refused this common evolution; this rule is ours.
//! - a union read must have **a** branch that reads what was written.

use super::super::problem::{Problem, ProblemKind};
use super::Checker;
use apache_avro::Schema;

/// Data written with the union `branches`, read with `reader`.
pub(super) fn written_union(
    checker: &mut Checker<'_>,
    written: &Schema,
    branches: &[Schema],
    reader: &Schema,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut unreadable = Vec::new();
    for branch in branches {
        let found = checker.check(branch, reader);
        match found.as_slice() {
            [] => {}
            [only] if only.is_about_the_whole_type() => unreadable.push(checker.describe(branch)),
            _ => problems.extend(found),
        }
    }
    if !unreadable.is_empty() {
        problems.insert(
            0,
            Problem::here(ProblemKind::UnreadableBranches {
                written: checker.describe(written),
                read: checker.describe(reader),
                branches: unreadable,
            }),
        );
    }
    problems
}

/// Data written with the plain type `writer`, read with the union `reader`.
pub(super) fn read_union(
    checker: &mut Checker<'_>,
    writer: &Schema,
    reader: &Schema,
    branches: &[Schema],
) -> Vec<Problem> {
    if branches.iter().any(|branch| checker.check(writer, branch).is_empty()) {
        return Vec::new();
    }
    vec![Problem::here(ProblemKind::NoReaderBranch {
        written: checker.describe(writer),
        read: checker.describe(reader),
    })]
}
