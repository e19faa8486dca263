//! A file of librdkafka settings in the Java-properties syntax that Confluent
//! Cloud, Aiven and Redpanda hand to their C, Python and Go clients:
//! `key=value` (or `key: value`), `#` and `!` comments, `\` continuations
//! and escapes. Read as UTF-8, since that is what those files are in (the
//! Java default, ISO-8859-1, would garble a non-ASCII password).
//!
//! Each setting keeps where it came from, so that an error can point at the
//! line to change.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a properties file.
    File {
        /// The file, as given.
        path: PathBuf,
        /// Its line number, from 1.
        line: usize,
    },
    /// An environment variable.
    Variable(&'static str),
    /// Set by the program (the local stack's own settings).
    Program,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{} line {line}", path.display()),
            Origin::Variable(name) => f.write_str(name),
            Origin::Program => f.write_str("the local stack"),
        }
    }
}

/// One `key=value` setting and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

impl fmt::Debug for Property {
    /// Never the value: it may be a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.key, self.origin)
    }
}

/// Why a properties file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    /// The file could not be read.
    #[error(
        "cannot read the Kafka properties file {path}: {source}. Fix: point --kafka-properties \
         (SUPERSTORE_KAFKA_PROPERTIES) at a readable file"
    )]
    Read {
        /// The file, as given.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A line is not in the properties syntax.
    #[error("{path} line {line}: not a `key=value` line of a properties file ({reason})")]
    Syntax {
        /// The file, as given.
        path: PathBuf,
        /// The line number, from 1 (0 when the parser did not say).
        line: usize,
        /// What the parser said.
        reason: String,
    },
}

/// Parses the text of a properties file read from `path`.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Property>, PropertiesError> {
    let lines =
        java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8);
    let mut properties = Vec::new();
    for line in lines {
        let line = line.map_err(|e| PropertiesError::Syntax {
            path: path.to_owned(),
            line: e.line_number().unwrap_or(0),
            reason: e.to_string(),
        })?;
        let number = line.line_number();
        if let java_properties::LineContent::KVPair(key, value) = line.consume_content() {
            let origin = Origin::File { path: path.to_owned(), line: number };
            properties.push(Property { key: key.trim().to_owned(), value, origin });
        }
    }
    Ok(properties)
}

/// Reads and parses the properties file at `path`.
pub fn read(path: &Path) -> Result<Vec<Property>, PropertiesError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| PropertiesError::Read { path: path.to_owned(), source })?;
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        parse(text, Path::new("client.properties"))
            .unwrap()
            .into_iter()
            .map(|p| match p.origin {
                Origin::File { line, .. } => (p.key, p.value, line),
                other => panic!("a file's property from {other}"),
            })
            .collect()
    }

    #[test]
    fn a_confluent_cloud_file_reads_as_its_lines_say() {
        let text = "# Required connection configs for Kafka producer, consumer, and admin\n\
                    bootstrap.servers=pkc-abc.eu-west-1.aws.confluent.cloud:9092\n\
                    security.protocol=SASL_SSL\n\
                    sasl.mechanisms=PLAIN\n\
                    sasl.username=KEY\n\
                    sasl.password=se=cr#et\n\
                    \n\
                    ! another comment\n\
                    client.id : ccloud-python-client\n";
        assert_eq!(
            pairs(text),
            [
                (
                    "bootstrap.servers".into(),
                    "pkc-abc.eu-west-1.aws.confluent.cloud:9092".into(),
                    2
                ),
                ("security.protocol".into(), "SASL_SSL".into(), 3),
                ("sasl.mechanisms".into(), "PLAIN".into(), 4),
                ("sasl.username".into(), "KEY".into(), 5),
                ("sasl.password".into(), "se=cr#et".into(), 6),
                ("client.id".into(), "ccloud-python-client".into(), 9),
            ]
        );
    }

    #[test]
    fn escapes_continuations_and_utf8_are_java_properties() {
        let text = "sasl.password=p\\u00e4ss\\\\word\nssl.ca.location=/etc/ssl/\\\n    ca.pem\n\
                    sasl.username=jürgen\n";
        let read = pairs(text);
        assert_eq!(read[0].1, "päss\\word");
        assert_eq!(read[1].1, "/etc/ssl/ca.pem");
        assert_eq!(read[2].1, "jürgen");
    }

    #[test]
    fn a_missing_file_names_the_setting_that_points_at_it() {
        let err = read(Path::new("/nonexistent/client.properties")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("/nonexistent/client.properties"), "{message}");
        assert!(message.contains("SUPERSTORE_KAFKA_PROPERTIES"), "{message}");
    }
}
