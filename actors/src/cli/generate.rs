//! `superstore generate`: publishes seeded sale events to Kafka, framed for
//! the registry, with a progress bar and a closing line with the rate (or,
//! with `--dry-run`, prints them as JSON lines). While it publishes it
//! serves `/metrics` on `--metrics-addr`.

use super::failure::Failure;
use super::kafka_access::{self, KafkaArgs};
use super::observe;
use super::registry_access;
use anyhow::Context as _;
use apache_avro::Schema;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use superstore_actors::generated_source::GeneratedSource;
use superstore_actors::kafka;
use superstore_actors::observability::endpoint::MetricsAddr;
use superstore_actors::publish::producer::idempotent_producer;
use superstore_actors::publish::{publish, PublishError, PublishPlan, PublishReport};
use superstore_actors::supervision::RestartPolicy;
use superstore_domain::generator::{
    count_returns, GeneratorConfig, LogEvent, LogGenerator, Provenance,
};
use superstore_domain::{sale_schema, SaleEvent, LATEST_SCHEMA_VERSION};

#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// How many events to publish.
    #[arg(long)]
    pub count: u64,
    /// Seed of the generator; the same seed publishes the same events. Random if omitted (and
    /// printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Events per second; as fast as Kafka takes them if omitted.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Topic to publish to.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// Share of events that re-send an earlier event unchanged (exactly ⌊count × ratio⌋).
    #[arg(long, default_value_t = 0.0)]
    pub duplicate_ratio: f64,
    /// Share of events that break one domain rule each, in turn (exactly ⌊count × ratio⌋); the
    /// same share of returns breaks a return rule, in turn.
    #[arg(long, default_value_t = 0.0)]
    pub invalid_ratio: f64,
    /// Share of orders that get a return, published a few events after the order's last line
    /// and keyed by its order id. Returns come on top of --count; 0 publishes sales only. The
    /// classic Superstore workbook returns about 6% of its orders.
    #[arg(long, default_value_t = 0.0)]
    pub return_ratio: f64,
    /// Partitions of the topic, if this run creates it.
    #[arg(long, default_value_t = 3)]
    pub partitions: i32,
    /// Day of the first order (UTC), e.g. 2024-06-01; orders then follow a few minutes apart.
    #[arg(long)]
    pub start_date: Option<chrono::NaiveDate>,
    /// Version of schemas/sale to write with (1 for an older producer).
    #[arg(long, default_value_t = LATEST_SCHEMA_VERSION)]
    pub schema_version: u32,
    /// Print the events as JSON lines instead of publishing them.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to serve /metrics while publishing (IP:PORT), or `off` [default: 127.0.0.1:9899,
    /// or SUPERSTORE_METRICS_ADDR when set]
    #[arg(long, env = observe::GENERATE_VARIABLE)]
    pub metrics_addr: Option<MetricsAddr>,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

/// One line of `--dry-run` output.
#[derive(Serialize)]
struct PreviewLine {
    /// `sale` or `return`.
    record: &'static str,
    provenance: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken_rule: Option<&'static str>,
    #[serde(flatten)]
    event: Map<String, Value>,
}

/// The event as JSON, as schema `version` carries it: without the fields it
/// does not have, and with its decimals at the schema's scale.
fn shaped_for(event: &SaleEvent, version: u32) -> anyhow::Result<Map<String, Value>> {
    let Value::Object(mut fields) = serde_json::to_value(event)? else {
        anyhow::bail!("an event serializes to a JSON object")
    };
    if let Some(Schema::Record(record)) = sale_schema(version) {
        fields.retain(|name, _| record.lookup.contains_key(name));
        for field in &record.fields {
            let (Schema::Decimal(declared), Some(Value::String(text))) =
                (&field.schema, fields.get_mut(&field.name))
            else {
                continue;
            };
            let mut amount: Decimal = text.parse()?;
            amount.rescale(declared.scale as u32);
            *text = amount.to_string();
        }
    }
    Ok(fields)
}

/// The generator's settings from the arguments, checked.
fn generator_config(args: &GenerateArgs, seed: u64) -> Result<GeneratorConfig, Failure> {
    let mut config = GeneratorConfig::new(seed, args.count);
    config.duplicate_ratio = args.duplicate_ratio;
    config.invalid_ratio = args.invalid_ratio;
    config.return_ratio = args.return_ratio;
    config.schema_version = args.schema_version;
    if let Some(day) = args.start_date {
        config.start = day.and_hms_opt(8, 0, 0).expect("08:00 exists").and_utc();
    }
    config.check().map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            let problem =
                format!("--rate must be a positive number of events per second, got {rate}");
            return Err(Failure::Usage(problem));
        }
    }
    Ok(config)
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let seed = args.seed.unwrap_or_else(|| u64::from(rand::random::<u32>()));
    let config = generator_config(&args, seed)?;
    if args.dry_run {
        return preview(config);
    }
    let exposition = observe::prepare_generate(args.metrics_addr)?;
    let (endpoints, settings) = kafka_access::resolve(&args.kafka)?;
    kafka_access::check(&settings)?;
    let bootstrap = settings.bootstrap().to_owned();
    let registry_url = endpoints.schema_registry_url;
    actix::System::new().block_on(async move {
        observe::serve(exposition, None)?;
        superstore_actors::metrics::prime_publisher(&args.topic);
        let schema_id =
            registry_access::register_sale_schema(&registry_url, &args.topic, args.schema_version)
                .await?;
        let (returns, invalid_returns) =
            count_returns(&config).map_err(|e| Failure::Usage(e.to_string()))?;
        let return_schema_id = match returns {
            0 => None,
            _ => Some(registry_access::register_return_schema(&registry_url, &args.topic).await?),
        };
        kafka::ensure_topic(&settings, &args.topic, args.partitions)
            .await
            .map_err(|e| Failure::kafka(&bootstrap, e))?;
        let producer = idempotent_producer(&settings).context("create the Kafka producer")?;
        let progress = ProgressBar::new(config.count + returns).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} events \
                 ({per_sec}, eta {eta})",
            )
            .expect("valid template"),
        );
        let plan = PublishPlan {
            topic: args.topic.clone(),
            schema_id,
            schema_version: args.schema_version,
            return_schema_id,
            rate: args.rate,
        };
        let source = Arc::new(GeneratedSource::new(config.clone(), returns));
        let started = Instant::now();
        let outcome =
            publish(plan, source, producer, progress.clone(), RestartPolicy::default()).await;
        progress.finish_and_clear();
        let report = match outcome {
            Err(PublishError::GaveUp(gave_up)) => return Err(Failure::GaveUp(gave_up).into()),
            other => other.context("publishing failed")?,
        };
        let returns = (returns, invalid_returns);
        print_summary(&report, &args.topic, &config, returns, schema_id, started.elapsed());
        Ok(())
    })
}

/// The closing line; `returns` is (returns, of which invalid).
fn print_summary(
    report: &PublishReport,
    topic: &str,
    config: &GeneratorConfig,
    (returns, invalid_returns): (u64, u64),
    schema_id: i32,
    took: std::time::Duration,
) {
    let seconds = took.as_secs_f64();
    let restarts = match report.restarts {
        0 => String::new(),
        n => format!(", {n} publisher restart(s)"),
    };
    let returns = match returns {
        0 => String::new(),
        n => format!("; and {n} returns, {invalid_returns} of them invalid"),
    };
    println!(
        "published {} events to {topic} in {seconds:.1} s ({:.0} events/s): {} fresh, \
         {} duplicates, {} invalid{returns}; schema id {schema_id}, seed {}{restarts}",
        report.delivered,
        report.delivered as f64 / seconds.max(1e-9),
        config.fresh_count(),
        config.duplicate_count(),
        config.invalid_count(),
        config.seed,
    );
}

fn preview(config: GeneratorConfig) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let version = config.schema_version;
    for generated in LogGenerator::new(config).map_err(|e| Failure::Usage(e.to_string()))? {
        let (provenance, record, event) = match generated {
            LogEvent::Sale(sale) => (sale.provenance, "sale", shaped_for(&sale.event, version)?),
            LogEvent::Return { event, provenance } => {
                let Value::Object(fields) = serde_json::to_value(&event)? else {
                    anyhow::bail!("a return serializes to a JSON object")
                };
                (provenance, "return", fields)
            }
        };
        let (provenance, broken_rule) = match provenance {
            Provenance::Fresh => ("fresh", None),
            Provenance::Duplicate => ("duplicate", None),
            Provenance::Invalid(rule) => ("invalid", Some(rule.code())),
        };
        let line = PreviewLine { record, provenance, broken_rule, event };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
