//! `superstore import`: publishes the lines of CSV and Parquet files in the
//! classic Superstore layout as sale events, with a progress bar, a closing
//! line (lines read, published, refused, lines/s) and the refused lines, each
//! with its line number and reason, on stderr and in a rejected-lines report.
//! With `--dry-run` it checks every line and prints the events as JSON lines
//! instead of publishing them. With `--metrics-addr` it serves `/metrics`
//! while it publishes (an import is a short batch job: off by default).
//!
//! With `--returns`, the files are the workbook's Returns sheet as CSV: each
//! returned order becomes one return per line of the order as staged, so
//! the orders are imported (and run) first.

use super::failure::Failure;
use super::kafka_access::{self, KafkaArgs};
use super::observe;
use super::registry_access;
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use superstore_actors::import::{
    write_report, Format, ImportFile, ImportSource, RefusedLine, ReturnsFile,
};
use superstore_actors::kafka;
use superstore_actors::observability::endpoint::MetricsAddr;
use superstore_actors::publish::producer::idempotent_producer;
use superstore_actors::publish::{publish, EventSource, PublishError, PublishPlan, SourceItem};
use superstore_actors::supervision::RestartPolicy;
use superstore_domain::LATEST_SCHEMA_VERSION;

/// Refused lines printed on stderr; the report holds them all.
const SHOWN_REFUSALS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Files in the classic Superstore layout (the 21 columns "Row ID" … "Profit", any order).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Format of every file; by default each file's extension says (.csv, .parquet).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Topic to publish to.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// Name of the dataset, which with each line's Row ID makes the line's event id; by default
    /// each file's name without its extension. Renaming a file (or changing this) gives its
    /// lines new ids: they are then imported again as new sales.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Read and check every line, print the events as JSON lines, publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The files are the Returns sheet as CSV (columns "Order ID" and "Returned", others
    /// ignored): each returned order becomes one return per line of the order, whole quantity
    /// and sales, read from staging (DATABASE_URL): import and run the orders first. Ids follow
    /// from the order and product, so importing the sheet again stages nothing new.
    #[arg(long)]
    pub returns: bool,
    /// Partitions of the topic, if this run creates it.
    #[arg(long, default_value_t = 3)]
    pub partitions: i32,
    /// Folder of the rejected-lines reports (created); by default $SUPERSTORE_HOME/imports,
    /// else .superstore/imports.
    #[arg(long)]
    pub rejects_dir: Option<PathBuf>,
    /// Where to serve /metrics while publishing (IP:PORT), or `off`.
    #[arg(long, env = IMPORT_METRICS_VARIABLE, default_value = "off")]
    pub metrics_addr: MetricsAddr,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

const IMPORT_METRICS_VARIABLE: &str = "SUPERSTORE_IMPORT_METRICS_ADDR";

/// The files to import, each with its format and dataset.
fn import_files(args: &ImportArgs) -> Result<Vec<ImportFile>, Failure> {
    args.files
        .iter()
        .map(|path| {
            let format = match args.format {
                Some(FormatArg::Csv) => Format::Csv,
                Some(FormatArg::Parquet) => Format::Parquet,
                None => Format::from_extension(path).ok_or_else(|| {
                    Failure::Usage(format!(
                        "cannot tell the format of {} from its name: add --format csv or \
                         --format parquet",
                        path.display()
                    ))
                })?,
            };
            let dataset = args.dataset.clone().unwrap_or_else(|| ImportFile::default_dataset(path));
            if dataset.trim().is_empty() {
                return Err(Failure::Usage(format!(
                    "{} gives an empty dataset name: name one with --dataset",
                    path.display()
                )));
            }
            Ok(ImportFile { path: path.clone(), format, dataset })
        })
        .collect()
}

pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    if args.returns {
        return import_returns(&args);
    }
    let files = import_files(&args)?;
    let source = ImportSource::open(files).map_err(|e| {
        Failure::Refused(format!("{e}\nNothing was published. Fix the file, then import it again"))
    })?;
    let source = Arc::new(source);
    let started = Instant::now();
    let lines =
        if args.dry_run { preview(&source)? } else { publish_lines(&args, source.clone())? };
    conclude(&args, &source, lines, started.elapsed())
}

/// The Returns sheet: reads it with the lines of its orders, then publishes
/// (or, with --dry-run, prints) the returns and reports the refused lines.
fn import_returns(args: &ImportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (endpoints, _) = kafka_access::resolve(&args.kafka)?;
    let pool = super::database_access::pool(&endpoints.database_url, 1)?;
    let mut conn = pool.get().context("connect to PostgreSQL")?;
    let mut sheets = Vec::new();
    for path in &args.files {
        let sheet = ReturnsFile::read(path, &mut conn).map_err(|e| {
            Failure::Refused(format!(
                "{e}\nNothing was published. Fix the file, then import it again"
            ))
        })?;
        sheets.push((path.clone(), Arc::new(sheet)));
    }
    drop(conn);
    let mut refused = Vec::new();
    for (path, sheet) in sheets {
        let returns = sheet.returns().len();
        if args.dry_run {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for event in sheet.returns() {
                serde_json::to_writer(&mut out, event)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        } else if returns > 0 {
            publish_returns(args, sheet.clone())?;
        }
        let summary = format!(
            "{} {} into {} in {:.1} s: {} lines read, {} returned orders, {returns} returns {}, \
             {} refused",
            if args.dry_run { "checked" } else { "imported" },
            path.display(),
            args.topic,
            started.elapsed().as_secs_f64(),
            sheet.lines,
            sheet.returned_orders,
            if args.dry_run { "to publish (dry run: nothing published)" } else { "published" },
            sheet.refused().len(),
        );
        if args.dry_run {
            eprintln!("{summary}");
        } else {
            println!("{summary}");
        }
        refused.extend(sheet.refused().iter().cloned());
    }
    if refused.is_empty() {
        return Ok(());
    }
    let dataset = args.files.first().map(|p| ImportFile::default_dataset(p));
    Err(refusals(args, dataset.as_deref().unwrap_or("returns"), &refused)?.into())
}

/// Publishes the returns of a sheet.
fn publish_returns(args: &ImportArgs, source: Arc<ReturnsFile>) -> anyhow::Result<()> {
    let (endpoints, settings) = kafka_access::resolve(&args.kafka)?;
    kafka_access::check(&settings)?;
    let bootstrap = settings.bootstrap().to_owned();
    let registry_url = endpoints.schema_registry_url;
    actix::System::new().block_on(async move {
        let schema_id = registry_access::register_sale_schema(
            &registry_url,
            &args.topic,
            LATEST_SCHEMA_VERSION,
        )
        .await?;
        let return_schema_id =
            Some(registry_access::register_return_schema(&registry_url, &args.topic).await?);
        kafka::ensure_topic(&settings, &args.topic, args.partitions)
            .await
            .map_err(|e| Failure::kafka(&bootstrap, e))?;
        let producer = idempotent_producer(&settings).context("create the Kafka producer")?;
        let plan = PublishPlan {
            topic: args.topic.clone(),
            schema_id,
            return_schema_id,
            schema_version: LATEST_SCHEMA_VERSION,
            rate: None,
        };
        let progress = ProgressBar::hidden();
        match publish(plan, source, producer, progress, RestartPolicy::default()).await {
            Ok(_) => Ok(()),
            Err(PublishError::GaveUp(gave_up)) => Err(Failure::GaveUp(gave_up).into()),
            Err(other) => Err(anyhow::Error::new(other).context("publishing the returns failed")),
        }
    })
}

/// Publishes every line; how many lines were read.
fn publish_lines(args: &ImportArgs, source: Arc<ImportSource>) -> anyhow::Result<u64> {
    let (endpoints, settings) = kafka_access::resolve(&args.kafka)?;
    kafka_access::check(&settings)?;
    let bootstrap = settings.bootstrap().to_owned();
    let registry_url = endpoints.schema_registry_url;
    let exposition = observe::prepare(args.metrics_addr, IMPORT_METRICS_VARIABLE)?;
    actix::System::new().block_on(async move {
        observe::serve(exposition, None)?;
        let schema_id = registry_access::register_sale_schema(
            &registry_url,
            &args.topic,
            LATEST_SCHEMA_VERSION,
        )
        .await?;
        kafka::ensure_topic(&settings, &args.topic, args.partitions)
            .await
            .map_err(|e| Failure::kafka(&bootstrap, e))?;
        let producer = idempotent_producer(&settings).context("create the Kafka producer")?;
        let progress = ProgressBar::new(source.len_hint().unwrap_or(0)).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} lines ({per_sec}, eta {eta})",
            )
            .expect("valid template"),
        );
        let plan = PublishPlan {
            topic: args.topic.clone(),
            schema_id,
            return_schema_id: None,
            schema_version: LATEST_SCHEMA_VERSION,
            rate: None,
        };
        let outcome =
            publish(plan, source, producer, progress.clone(), RestartPolicy::default()).await;
        progress.finish_and_clear();
        match outcome {
            Ok(report) => Ok(report.items),
            Err(PublishError::GaveUp(gave_up)) => Err(Failure::GaveUp(gave_up).into()),
            Err(PublishError::Source(e)) => Err(Failure::Refused(format!(
                "the import stopped: {e}\nThe lines before it were published; fix the file and \
                 import it again (lines already imported stage nothing new)"
            ))
            .into()),
            Err(other) => Err(anyhow::Error::new(other).context("publishing failed")),
        }
    })
}

/// Prints every event as a JSON line; how many lines were read.
fn preview(source: &ImportSource) -> anyhow::Result<u64> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut lines = 0;
    for item in source.items(0)? {
        lines += 1;
        if let SourceItem::Event(event) = item.map_err(|e| Failure::Refused(e.to_string()))? {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(lines)
}

/// The closing line, the refused lines and their report, and the verdict.
fn conclude(
    args: &ImportArgs,
    source: &ImportSource,
    lines: u64,
    elapsed: Duration,
) -> anyhow::Result<()> {
    let refused = source.refused();
    let files: Vec<String> = source
        .files()
        .iter()
        .map(|f| format!("{} (dataset {})", f.path.display(), f.dataset))
        .collect();
    let seconds = elapsed.as_secs_f64();
    let published = lines - refused.len() as u64;
    let summary = format!(
        "{} {} into {} in {seconds:.1} s: {lines} lines read, {published} {}, {} refused \
         ({:.0} lines/s)",
        if args.dry_run { "checked" } else { "imported" },
        files.join(", "),
        args.topic,
        if args.dry_run { "to publish (dry run: nothing published)" } else { "published" },
        refused.len(),
        lines as f64 / seconds.max(1e-9),
    );
    if args.dry_run {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if refused.is_empty() {
        return Ok(());
    }
    let dataset = source.files().first().map_or("import", |f| f.dataset.as_str());
    Err(refusals(args, dataset, &refused)?.into())
}

/// Shows the refused lines, writes them to a report named after `dataset`;
/// the failure to exit with.
fn refusals(args: &ImportArgs, dataset: &str, refused: &[RefusedLine]) -> anyhow::Result<Failure> {
    for line in refused.iter().take(SHOWN_REFUSALS) {
        eprintln!("refused: {line}");
    }
    if refused.len() > SHOWN_REFUSALS {
        eprintln!("refused: … and {} more, in the report", refused.len() - SHOWN_REFUSALS);
    }
    let dir = args.rejects_dir.clone().unwrap_or_else(default_rejects_dir);
    let report = write_report(&dir, dataset, refused)
        .with_context(|| format!("write the rejected-lines report under {}", dir.display()))?;
    Ok(Failure::PartlyRefused(format!(
        "{} line(s) were refused and not published; each is listed in {} with its reason. \
         Fix: correct them and import the file again (the lines already imported stage nothing \
         new)",
        refused.len(),
        report.display()
    )))
}

fn default_rejects_dir() -> PathBuf {
    let home =
        std::env::var_os("SUPERSTORE_HOME").map_or_else(|| ".superstore".into(), PathBuf::from);
    Path::new(&home).join("imports")
}
