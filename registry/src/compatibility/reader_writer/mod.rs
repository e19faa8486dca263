//! The reader/writer check: can every datum written with one schema be read
//! with another? It walks both schemas together by Avro's resolution rules,
//! as Apache Avro's Java checker (the one Confluent's registry uses) does,
//! and collects every problem instead of stopping at the first:
//!
//! - the same primitive reads itself; `int` promotes to `long`, `float` and
//!   `double`, `long` to `float` and `double`, `float` to `double`, and
//!   `string` and `bytes` read each other;
//! - records match by name ([`names`](super::names)), then field by field:
//!   each reader field reads the writer's field of its name (or of one of its
//!   aliases), or has a default; fields the reader lacks are skipped;
//! - enums match by name, and the reader must hold every written symbol
//!   unless it declares a default; fixed types match by name and size;
//! - arrays and maps compare their items and values;
//! - unions follow [`unions`];
//! - a logical type is read as its underlying type (Avro's checker ignores
//!   logical types);
//! - recursive types: a pair already being compared is assumed compatible
//!   (any problem is found on the way in), and finished pairs are remembered.
//!
//! Named types referenced by name are resolved to their definition, so a
//! type defined in one place by the writer and another by the reader still
//! compares. `registry/tests/avro_corpus.rs` holds this module to Apache
//! Avro's verdicts on a corpus of pairs.

use super::names::reads_name;
use super::problem::{Problem, ProblemKind, Step};
use apache_avro::schema::{
    EnumSchema, FixedSchema, Name, NamesRef, RecordSchema, ResolvedSchema, SchemaKind,
};
use apache_avro::Schema;
use std::collections::{HashMap, HashSet};

mod unions;

/// Every problem of reading data written with `writer` using `reader`.
pub(super) fn problems(writer: &Schema, reader: &Schema) -> Result<Vec<Problem>, String> {
    let unresolved = |e: apache_avro::Error| format!("the schema does not parse: {e}");
    let writer_names = ResolvedSchema::try_from(writer).map_err(unresolved)?;
    let reader_names = ResolvedSchema::try_from(reader).map_err(unresolved)?;
    let mut checker = Checker {
        writer_names: writer_names.get_names(),
        reader_names: reader_names.get_names(),
        in_progress: HashSet::new(),
        finished: HashMap::new(),
    };
    Ok(checker.check(writer, reader))
}

/// A pair of schema nodes, by address: both trees live for the whole check.
type Pair = (usize, usize);

pub(super) struct Checker<'s> {
    writer_names: &'s NamesRef<'s>,
    reader_names: &'s NamesRef<'s>,
    in_progress: HashSet<Pair>,
    finished: HashMap<Pair, Vec<Problem>>,
}

impl<'s> Checker<'s> {
    /// The problems of reading `writer` data with `reader`; both may be
    /// references by name.
    pub fn check(&mut self, writer: &Schema, reader: &Schema) -> Vec<Problem> {
        let writer = underlying(resolve(writer, self.writer_names));
        let reader = underlying(resolve(reader, self.reader_names));
        let pair = (std::ptr::from_ref(writer) as usize, std::ptr::from_ref(reader) as usize);
        if let Some(done) = self.finished.get(&pair) {
            return done.clone();
        }
        if !self.in_progress.insert(pair) {
            return Vec::new();
        }
        let found = self.compare(writer, reader);
        self.in_progress.remove(&pair);
        self.finished.insert(pair, found.clone());
        found
    }

    fn compare(&mut self, writer: &Schema, reader: &Schema) -> Vec<Problem> {
        match (writer, reader) {
            (Schema::Union(written), _) => {
                unions::written_union(self, writer, written.variants(), reader)
            }
            (_, Schema::Union(read)) => unions::read_union(self, writer, reader, read.variants()),
            (Schema::Record(w), Schema::Record(r)) => self.records(w, r),
            (Schema::Enum(w), Schema::Enum(r)) => enums(w, r),
            (Schema::Fixed(w), Schema::Fixed(r)) => fixed(w, r),
            (Schema::Array(w), Schema::Array(r)) => {
                within(Step::Items, self.check(&w.items, &r.items))
            }
            (Schema::Map(w), Schema::Map(r)) => {
                within(Step::Values, self.check(&w.types, &r.types))
            }
            _ if promotes(writer, reader) => Vec::new(),
            _ => vec![Problem::here(ProblemKind::TypeChanged {
                written: self.describe(writer),
                read: self.describe(reader),
            })],
        }
    }

    fn records(&mut self, writer: &RecordSchema, reader: &RecordSchema) -> Vec<Problem> {
        let mut found = Vec::new();
        if !reads_name(&writer.name, &reader.name, &reader.aliases) {
            found.push(renamed("record", &writer.name, &reader.name));
        }
        for field in &reader.fields {
            let step = || Step::Field(field.name.clone());
            let aliases = field.aliases.iter().flatten();
            let written = std::iter::once(&field.name)
                .chain(aliases)
                .find_map(|name| writer.fields.iter().find(|w| &w.name == name));
            match written {
                Some(written) => {
                    found.extend(within(step(), self.check(&written.schema, &field.schema)))
                }
                None if field.default.is_some() => {}
                None => found.push(Problem::here(ProblemKind::MissingDefault).within(step())),
            }
        }
        found
    }

    /// A short rendering of a type for messages: `int`, `record Customer`,
    /// `union [null, string]`, `array<long>`.
    pub fn describe(&self, schema: &Schema) -> String {
        let names = [self.writer_names, self.reader_names];
        let schema = names.iter().fold(schema, |s, n| resolve(s, n));
        match underlying(schema) {
            Schema::Record(r) => format!("record {}", r.name.fullname(None)),
            Schema::Enum(e) => format!("enum {}", e.name.fullname(None)),
            Schema::Fixed(f) => format!("fixed {}", f.name.fullname(None)),
            Schema::Array(a) => format!("array<{}>", self.describe(&a.items)),
            Schema::Map(m) => format!("map<{}>", self.describe(&m.types)),
            Schema::Union(u) => {
                let branches: Vec<String> = u.variants().iter().map(|b| self.describe(b)).collect();
                format!("union [{}]", branches.join(", "))
            }
            Schema::Ref { name } => name.fullname(None),
            Schema::Null => "null".into(),
            Schema::Boolean => "boolean".into(),
            Schema::Int => "int".into(),
            Schema::Long => "long".into(),
            Schema::Float => "float".into(),
            Schema::Double => "double".into(),
            Schema::Bytes => "bytes".into(),
            Schema::String => "string".into(),
            other => format!("{:?}", SchemaKind::from(other)).to_lowercase(),
        }
    }
}

fn within(step: Step, problems: Vec<Problem>) -> Vec<Problem> {
    problems.into_iter().map(|p| p.within(step.clone())).collect()
}

fn renamed(what: &'static str, writer: &Name, reader: &Name) -> Problem {
    Problem::here(ProblemKind::Renamed {
        what,
        written: writer.fullname(None),
        read: reader.fullname(None),
    })
}

fn enums(writer: &EnumSchema, reader: &EnumSchema) -> Vec<Problem> {
    let mut found = Vec::new();
    if !reads_name(&writer.name, &reader.name, &reader.aliases) {
        found.push(renamed("enum", &writer.name, &reader.name));
    }
    let lost: Vec<String> =
        writer.symbols.iter().filter(|s| !reader.symbols.contains(s)).cloned().collect();
    if !lost.is_empty() && reader.default.is_none() {
        let name = reader.name.fullname(None);
        found.push(Problem::here(ProblemKind::LostSymbols { name, symbols: lost }));
    }
    found
}

fn fixed(writer: &FixedSchema, reader: &FixedSchema) -> Vec<Problem> {
    let mut found = Vec::new();
    if !reads_name(&writer.name, &reader.name, &reader.aliases) {
        found.push(renamed("fixed", &writer.name, &reader.name));
    }
    if writer.size != reader.size {
        found.push(Problem::here(ProblemKind::Resized {
            name: reader.name.fullname(None),
            written: writer.size,
            read: reader.size,
        }));
    }
    found
}

/// Whether a written primitive is read as `reader`: itself, or a promotion.
fn promotes(writer: &Schema, reader: &Schema) -> bool {
    use Schema::*;
    matches!(
        (writer, reader),
        (Null, Null)
            | (Boolean, Boolean)
            | (Int, Int | Long | Float | Double)
            | (Long, Long | Float | Double)
            | (Float, Float | Double)
            | (Double, Double)
            | (Bytes | String, Bytes | String)
    )
}

/// The definition a reference by name points at.
fn resolve<'a>(schema: &'a Schema, names: &NamesRef<'a>) -> &'a Schema {
    match schema {
        Schema::Ref { name } => names.get(name).copied().unwrap_or(schema),
        other => other,
    }
}

/// A logical type is compared as the type it annotates.
fn underlying(schema: &Schema) -> &Schema {
    static INT: Schema = Schema::Int;
    static LONG: Schema = Schema::Long;
    static BYTES: Schema = Schema::Bytes;
    static STRING: Schema = Schema::String;
    match schema {
        Schema::Decimal(decimal) => underlying(&decimal.inner),
        Schema::BigDecimal => &BYTES,
        Schema::Uuid => &STRING,
        Schema::Date | Schema::TimeMillis => &INT,
        Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => &LONG,
        other => other,
    }
}
