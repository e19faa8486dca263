//! What the reader/writer check finds wrong, where, and how it is said to a
//! person: one sentence per problem, naming the field (dotted from the top
//! record, `[]` for array items, `{}` for map values) and the fix.

use std::fmt;

/// One step from a schema into a part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Field(String),
    Items,
    Values,
}

/// Why data of the writer's shape cannot be read with the reader's, at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub path: Vec<Step>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ProblemKind {
    /// The reader has a field the writer never wrote, with no default.
    MissingDefault,
    /// The written type is not the read type, nor promotes to it.
    TypeChanged { written: String, read: String },
    /// A written union has branches the reader cannot read.
    UnreadableBranches { written: String, read: String, branches: Vec<String> },
    /// No branch of a read union reads the written type.
    NoReaderBranch { written: String, read: String },
    /// A named type is read under another name, with no alias for the old one.
    Renamed { what: &'static str, written: String, read: String },
    /// An enum lost symbols that data may hold, and has no default.
    LostSymbols { name: String, symbols: Vec<String> },
    /// A fixed changed size.
    Resized { name: String, written: usize, read: usize },
}

impl Problem {
    pub fn here(kind: ProblemKind) -> Self {
        Problem { path: Vec::new(), kind }
    }

    /// The same problem, seen from one step further out.
    pub fn within(mut self, step: Step) -> Self {
        self.path.insert(0, step);
        self
    }

    /// True when the problem is the type itself, not something inside it.
    pub fn is_about_the_whole_type(&self) -> bool {
        self.path.is_empty()
            && matches!(
                self.kind,
                ProblemKind::TypeChanged { .. } | ProblemKind::NoReaderBranch { .. }
            )
    }

    /// `field 'customer.segment'`, or `the schema` at the top.
    fn location(&self) -> String {
        if self.path.is_empty() {
            return "the schema".to_owned();
        }
        let mut dotted = String::new();
        for step in &self.path {
            match step {
                Step::Field(name) if dotted.is_empty() => dotted.push_str(name),
                Step::Field(name) => {
                    dotted.push('.');
                    dotted.push_str(name);
                }
                Step::Items => dotted.push_str("[]"),
                Step::Values => dotted.push_str("{}"),
            }
        }
        format!("field '{dotted}'")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.location();
        match &self.kind {
            ProblemKind::MissingDefault => write!(
                f,
                "{at} is missing from the written data and has no default in the reader \
                 (add a default, or keep the field)"
            ),
            ProblemKind::TypeChanged { written, read } => write!(
                f,
                "{at} changed type from {written} to {read}, which is not a permitted promotion"
            ),
            ProblemKind::UnreadableBranches { written, read, branches } => write!(
                f,
                "{at} changed type from {written} to {read}: written {} cannot be read as {read} \
                 (keep those branches in the reader, or stop writing them first)",
                branches.join(" and ")
            ),
            ProblemKind::NoReaderBranch { written, read } => write!(
                f,
                "{at} changed type from {written} to {read}: no branch of the reader's union \
                 reads {written}"
            ),
            ProblemKind::Renamed { what, written, read } => write!(
                f,
                "{at}: {what} {written} is read as {what} {read}, a different name \
                 (add \"aliases\": [\"{written}\"] to {read}, or keep the name)"
            ),
            ProblemKind::LostSymbols { name, symbols } => write!(
                f,
                "{at}: enum {name} lost symbol(s) {} that written data may hold, and the \
                 reader's enum has no default (keep them, or give the enum a default)",
                symbols.join(", ")
            ),
            ProblemKind::Resized { name, written, read } => {
                write!(f, "{at}: fixed {name} changed size from {written} to {read} bytes")
            }
        }
    }
}
