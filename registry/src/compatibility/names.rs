//! Whether a named type of the reader (record, enum, fixed) reads the named
//! type the writer wrote, by name. Avro's rule, as its Java checker applies
//! it: the same name, namespaces aside, or an alias of the reader that is the
//! writer's full name. Aliases are how a type is renamed without breaking the
//! data already written (`{"name": "Buyer", "aliases": ["Customer"]}`); an
//! unqualified alias is in the reader's namespace.
//!
//! apache-avro's checker ignores aliases and refused such renames, which is
//! why this rule is ours.

use apache_avro::schema::{Aliases, Name};

/// True when a reader type named `reader` with `reader_aliases` reads data
/// written as the type named `writer`.
pub(super) fn reads_name(writer: &Name, reader: &Name, reader_aliases: &Aliases) -> bool {
    if short_name(writer) == short_name(reader) {
        return true;
    }
    let written = writer.fullname(None);
    reader_aliases.iter().flatten().any(|alias| alias.fullname(None) == written)
}

/// The name without its namespace (`R` of `shop.sales.R`).
fn short_name(name: &Name) -> &str {
    name.name.rsplit('.').next().unwrap_or(&name.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::schema::Alias;

    fn name(full: &str) -> Name {
        Name::new(full).unwrap()
    }

    #[test]
    fn the_same_short_name_reads_whatever_the_namespace() {
        assert!(reads_name(&name("shop.v1.R"), &name("shop.v2.R"), &None));
        assert!(!reads_name(&name("Old"), &name("New"), &None));
    }

    #[test]
    fn an_alias_must_be_the_writers_full_name() {
        let aliases = Some(vec![Alias::new("legacy.Old").unwrap()]);
        assert!(reads_name(&name("legacy.Old"), &name("shop.New"), &aliases));
        assert!(!reads_name(&name("other.Old"), &name("shop.New"), &aliases));
        assert!(
            !reads_name(&name("shop.New"), &name("legacy.Old"), &None),
            "writer aliases count not"
        );
    }
}
