//! The loopback ports of the local stack, and the record that keeps a
//! stack on the ports it was created with.
//!
//! The defaults lie below 32768: Linux hands out ports from 32768 to 60999
//! to outgoing connections, and any one of them can hold a port a service
//! then cannot bind. A stack records its ports in `<home>/ports` when `up`
//! first creates it, so that a later change of the defaults never moves an
//! existing stack without a word. A stack created before the record existed
//! used the earlier defaults, which lay in that range; it keeps them, and
//! `up` says how to move it ([`StackPorts::in_ephemeral_range`]).
//! `SUPERSTORE_*_PORT` variables override both, for one command.

use crate::variables;
use std::fs;
use std::path::{Path, PathBuf};

/// The ports of one stack (the first broker's, with `up --brokers N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackPorts {
    /// PostgreSQL's port.
    pub postgres: u16,
    /// The first Kafka broker's client port.
    pub kafka: u16,
    /// The first Kafka controller's port (KRaft).
    pub kafka_controller: u16,
    /// The schema registry's HTTP port.
    pub registry: u16,
    /// The local Prometheus's port.
    pub prometheus: u16,
}

/// Where Linux takes the source ports of outgoing connections from.
pub const EPHEMERAL_RANGE: std::ops::RangeInclusive<u16> = 32768..=60999;

impl StackPorts {
    /// A new stack's ports.
    pub const DEFAULT: StackPorts = StackPorts {
        postgres: 15432,
        kafka: 19092,
        kafka_controller: 19093,
        registry: 18081,
        prometheus: 19090,
    };

    /// The ports of every stack created before stacks recorded theirs.
    pub const BEFORE_THE_RECORD: StackPorts = StackPorts {
        postgres: 55432,
        kafka: 59092,
        kafka_controller: 59093,
        registry: 58081,
        prometheus: 59090,
    };

    /// The ports of the stack in `home`: recorded, or those of a stack that
    /// predates the record, or the defaults for a stack not created yet.
    /// `initialized`: whether a stack was created there already.
    pub fn of_home(home: &Path, initialized: bool) -> StackPorts {
        match fs::read_to_string(record_file(home)) {
            Ok(text) => parse(&text).unwrap_or(StackPorts::DEFAULT),
            Err(_) if initialized => StackPorts::BEFORE_THE_RECORD,
            Err(_) => StackPorts::DEFAULT,
        }
    }

    /// Each port with its `SUPERSTORE_*_PORT` variable applied.
    pub fn with_environment(self) -> StackPorts {
        let port = |name: &str, default: u16| {
            std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
        };
        StackPorts {
            postgres: port(variables::POSTGRES_PORT, self.postgres),
            kafka: port(variables::KAFKA_PORT, self.kafka),
            kafka_controller: port(variables::KAFKA_CONTROLLER_PORT, self.kafka_controller),
            registry: port(variables::REGISTRY_PORT, self.registry),
            prometheus: port(variables::PROMETHEUS_PORT, self.prometheus),
        }
    }

    /// Writes the record, unless `home` has one already.
    pub fn record_once(&self, home: &Path) -> std::io::Result<()> {
        let file = record_file(home);
        if file.exists() {
            return Ok(());
        }
        fs::write(file, self.render())
    }

    /// The ports of this stack that outgoing connections can take.
    pub fn in_ephemeral_range(&self) -> Vec<u16> {
        let all =
            [self.postgres, self.kafka, self.kafka_controller, self.registry, self.prometheus];
        all.into_iter().filter(|p| EPHEMERAL_RANGE.contains(p)).collect()
    }

    fn render(&self) -> String {
        format!(
            "# The ports this stack was created with; `superstore up` keeps them.\n\
             # SUPERSTORE_*_PORT variables override them for one command.\n\
             postgres={}\nkafka={}\nkafka_controller={}\nregistry={}\nprometheus={}\n",
            self.postgres, self.kafka, self.kafka_controller, self.registry, self.prometheus
        )
    }
}

/// `<home>/ports`.
pub fn record_file(home: &Path) -> PathBuf {
    home.join("ports")
}

fn parse(text: &str) -> Option<StackPorts> {
    let value = |key: &str| -> Option<u16> {
        text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')?.trim().parse().ok())
    };
    Some(StackPorts {
        postgres: value("postgres")?,
        kafka: value("kafka")?,
        kafka_controller: value("kafka_controller")?,
        registry: value("registry")?,
        prometheus: value("prometheus")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ports-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_defaults_lie_below_the_ephemeral_range() {
        assert!(StackPorts::DEFAULT.in_ephemeral_range().is_empty());
        assert_eq!(StackPorts::BEFORE_THE_RECORD.in_ephemeral_range().len(), 5);
    }

    #[test]
    fn a_stack_keeps_the_ports_it_was_created_with() {
        let dir = home("kept");
        assert_eq!(StackPorts::of_home(&dir, false), StackPorts::DEFAULT);
        let created = StackPorts { postgres: 20001, ..StackPorts::DEFAULT };
        created.record_once(&dir).unwrap();
        StackPorts::DEFAULT.record_once(&dir).unwrap();
        assert_eq!(StackPorts::of_home(&dir, true), created, "the first record stays");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_stack_created_before_the_record_keeps_the_earlier_defaults() {
        let dir = home("before");
        assert_eq!(StackPorts::of_home(&dir, true), StackPorts::BEFORE_THE_RECORD);
        fs::remove_dir_all(dir).unwrap();
    }
}
