//! `superstore offsets show | reset`: a consumer group's offsets as staged
//! in PostgreSQL, against the topic in Kafka, and the operator's way to
//! move them on purpose (after a topic was recreated, say). The work lives
//! in `superstore_actors::pipeline::{resume, reset}`.

use super::failure::Failure;
use super::kafka_access::{self, KafkaArgs};
use clap::{Args, Subcommand};
use std::time::Duration;
use superstore_actors::kafka::{self, KafkaSettings, TopicIdentity};
use superstore_actors::offsets::reset::{self, OffsetChange, ResetError, ResetTarget};
use superstore_actors::offsets::resume::{self, DEFAULT_GROUP};
use superstore_database::PgPool;

#[derive(Debug, Clone, Args)]
pub struct OffsetsArgs {
    #[command(subcommand)]
    pub command: OffsetsCommand,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

#[derive(Debug, Clone, Args)]
pub struct GroupTopic {
    /// The topic the group reads.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// The consumer group whose offsets these are.
    #[arg(long, default_value = DEFAULT_GROUP)]
    pub group: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum OffsetsCommand {
    /// Show the group's stored offsets, the topic's partitions in Kafka, and whether `run` may
    /// resume from them (exit 4 if it may not).
    Show(GroupTopic),
    /// Move the group's stored offsets: to each partition's start (`earliest`), its end
    /// (`latest`), or an offset. The pipeline must be stopped. Prints every change.
    Reset {
        #[command(flatten)]
        target_group: GroupTopic,
        /// earliest, latest, or an offset.
        #[arg(long)]
        to: ResetTarget,
        /// Only these partitions (repeat the flag); all by default.
        #[arg(long = "partition")]
        partitions: Vec<i32>,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn connect(args: &KafkaArgs) -> Result<(PgPool, KafkaSettings), Failure> {
    let (endpoints, settings) = kafka_access::resolve(args)?;
    let pool = super::database_access::pool(&endpoints.database_url, 2)?;
    kafka_access::check(&settings)?;
    Ok((pool, settings))
}

pub fn run(args: OffsetsArgs) -> anyhow::Result<()> {
    let connected = connect(&args.kafka)?;
    match args.command {
        OffsetsCommand::Show(which) => show(connected, &which),
        OffsetsCommand::Reset { target_group, to, partitions, dry_run } => {
            reset(connected, &target_group, to, &partitions, dry_run)
        }
    }
}

fn show((pool, settings): (PgPool, KafkaSettings), which: &GroupTopic) -> anyhow::Result<()> {
    let bootstrap = settings.bootstrap();
    let stored = resume::read_stored(&pool, &which.group, &which.topic, Duration::from_secs(10))
        .map_err(Failure::database)?;
    let actual = kafka::describe_topic(&settings, &which.topic, Duration::from_secs(15))
        .map_err(|e| Failure::kafka(bootstrap, e))?;
    println!("group {} on topic {} (topic id now {})", which.group, which.topic, actual.id);
    for (partition, (start, end)) in &actual.watermarks {
        let at = stored.iter().find(|s| s.partition == *partition);
        let position = at.map_or("nothing staged yet".to_owned(), |s| {
            format!("next offset {} (topic id {})", s.next_offset, id_or_unknown(&s.topic_id))
        });
        println!("  partition {partition}: holds {start} to {end}; stored {position}");
    }
    let mismatches = resume::mismatches(&stored, &actual);
    if mismatches.is_empty() {
        println!("run may resume from these offsets");
        return Ok(());
    }
    let (group, topic) = (which.group.clone(), which.topic.clone());
    Err(Failure::Refused(
        resume::ResumeRefused { group, topic, stored, actual, mismatches }.to_string(),
    )
    .into())
}

fn id_or_unknown(id: &Option<String>) -> &str {
    id.as_deref().unwrap_or("not recorded")
}

fn reset(
    (pool, settings): (PgPool, KafkaSettings),
    which: &GroupTopic,
    to: ResetTarget,
    partitions: &[i32],
    dry_run: bool,
) -> anyhow::Result<()> {
    let (group, topic) = (&which.group, &which.topic);
    let (actual, changes) = reset::reset(&pool, &settings, group, topic, to, partitions, dry_run)
        .map_err(|e| match e {
        ResetError::Kafka(e) => Failure::kafka(settings.bootstrap(), e),
        ResetError::Database(e) => Failure::database(e),
        ResetError::NoSuchPartition { .. } | ResetError::OutOfRange { .. } => {
            Failure::Usage(e.to_string())
        }
        ResetError::GroupActive { .. } => Failure::Refused(e.to_string()),
    })?;
    print_changes(group, topic, &actual, &changes, dry_run);
    Ok(())
}

fn print_changes(
    group: &str,
    topic: &str,
    actual: &TopicIdentity,
    changes: &[OffsetChange],
    dry_run: bool,
) {
    let verb = if dry_run { "would reset" } else { "reset" };
    println!("{verb} group {group} on topic {topic} (topic id {}):", actual.id);
    for change in changes {
        let before = match &change.before {
            Some((offset, id)) => format!("{offset} (topic id {})", id_or_unknown(id)),
            None => "none".to_owned(),
        };
        let after = match change.after {
            Some(offset) => offset.to_string(),
            None => "forgotten (the topic has no such partition)".to_owned(),
        };
        println!("  partition {}: {before} -> {after}", change.partition);
    }
}
