//! `superstore replay --from-dlq`: re-publishes dead letters to the sales
//! topic (see `superstore_actors::dead_letter::replay`) and prints what it
//! did.

use super::failure::Failure;
use super::kafka_access::{self, KafkaArgs};
use chrono::{DateTime, NaiveDate, Utc};
use superstore_actors::dead_letter::{self, replay};

#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// Replay from the dead-letter topic (the one source of replays).
    #[arg(long, required = true)]
    pub from_dlq: bool,
    /// The sales topic to publish to; its dead-letter topic is `<topic>.dlq` unless
    /// --dlq-topic says otherwise.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// The dead-letter topic to read.
    #[arg(long, env = "SUPERSTORE_DLQ_TOPIC")]
    pub dlq_topic: Option<String>,
    /// Only records quarantined for this reason code (e.g. refused_by_database).
    #[arg(long)]
    pub reason: Option<String>,
    /// Only records quarantined at or after this time (RFC 3339, or a UTC date YYYY-MM-DD).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Print what would be replayed; publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Bytes of dead letters held at once: they are published in rounds of at most this
    /// much, each acknowledged before the next is read (default 16 MiB).
    #[arg(long, env = "SUPERSTORE_REPLAY_MAX_IN_FLIGHT_BYTES")]
    #[arg(default_value_t = replay::DEFAULT_MAX_IN_FLIGHT_BYTES)]
    pub max_in_flight_bytes: u64,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|day| day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("{text:?} is neither RFC 3339 (2026-11-29T12:00:00Z) nor a date"))
}

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let (_, settings) = kafka_access::resolve(&args.kafka)?;
    kafka_access::check(&settings)?;
    let bootstrap = settings.bootstrap().to_owned();
    let plan = replay::ReplayPlan {
        kafka: settings,
        dlq_topic: args
            .dlq_topic
            .clone()
            .unwrap_or_else(|| dead_letter::default_topic(&args.topic)),
        target_topic: args.topic.clone(),
        reason: args.reason.clone(),
        since: args.since,
        dry_run: args.dry_run,
        max_in_flight_bytes: args.max_in_flight_bytes.max(1),
    };
    let report = actix::System::new().block_on(replay::replay(&plan)).map_err(|e| match e {
        replay::ReplayError::Kafka(e) => Failure::kafka(&bootstrap, e),
        other => Failure::Refused(other.to_string()),
    })?;
    let verb = if plan.dry_run { "would replay" } else { "replayed" };
    let by_reason: Vec<String> = report.replayed.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let by_reason =
        if by_reason.is_empty() { String::new() } else { format!(": {}", by_reason.join(", ")) };
    println!(
        "{verb} {} of {} dead letters from {} to {}{by_reason}",
        report.replayed_total(),
        report.read,
        plan.dlq_topic,
        plan.target_topic,
    );
    Ok(())
}
