//! `superstore schemas`: register, check, list and configure the schemas of
//! a subject in the registry, for people (readable text) and scripts (`--json`).

use crate::endpoints;
use crate::failure::Failure;
use crate::registry::{RegistryClient, RegistryClientError, NormalizedSchema};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct SchemasArgs {
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: SchemasCommand,
}

#[derive(Debug, Clone, Args)]
pub struct SubjectArg {
    /// Registry subject; defaults to `<topic>-value` of the sales topic.
    #[arg(long)]
    pub subject: Option<String>,
    /// The sales topic, whose value subject is the default.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
}

impl SubjectArg {
    fn subject(&self) -> String {
        self.subject.clone().unwrap_or_else(|| format!("{}-value", self.topic))
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum SchemasCommand {
    /// Register an evolved schema; the compatibility check runs first, and refuses with every reason.
    Register {
        file: PathBuf,
        #[command(flatten)]
        subject: SubjectArg,
    },
    /// Check a schema against the subject's level without registering it.
    Check {
        file: PathBuf,
        #[command(flatten)]
        subject: SubjectArg,
    },
    /// List subjects, their versions and their compatibility levels.
    List,
    /// Show the compatibility level, or set it to LEVEL (NONE, BACKWARD[_TRANSITIVE], FORWARD[_TRANSITIVE], FULL[_TRANSITIVE]).
    Config {
        level: Option<String>,
        /// Set or show the level of this subject instead of the global one.
        #[arg(long)]
        subject: Option<String>,
    },
}

fn read_schema(file: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::Refused(format!("cannot read {}: {e}", file.display())))?;
    NormalizedSchema::parse(&text).map_err(|e| Failure::Refused(format!("{} is not a valid schema: {e}", file.display())))?;
    Ok(text)
}

fn api_failure(url: &str, err: RegistryClientError) -> Failure {
    match err {
        RegistryClientError::Unreachable { .. } => Failure::registry(url, err),
        other => Failure::Refused(other.to_string()),
    }
}

fn refuse_incompatible(file: &Path, subject: &str, reasons: &[String], as_json: bool) -> Failure {
    if as_json {
        println!("{}", json!({"file": file, "subject": subject, "compatible": false, "reasons": reasons}));
    } else {
        println!("{} is NOT compatible with {subject}:", file.display());
        for reason in reasons {
            println!("  - {reason}");
        }
    }
    Failure::Refused(format!("{} is incompatible with {subject} ({} reason(s) above)", file.display(), reasons.len()))
}

pub fn run(args: SchemasArgs) -> anyhow::Result<()> {
    let endpoints = endpoints::resolve()?;
    let url = endpoints.schema_registry_url.clone();
    let as_json = args.json;
    actix::System::new().block_on(async move {
        let registry = RegistryClient::new(&url);
        match args.command {
            SchemasCommand::Register { file, subject } => {
                let subject = subject.subject();
                let text = read_schema(&file)?;
                let reasons = registry.check_compatibility(&subject, &text).await.map_err(|e| api_failure(&url, e))?;
                if !reasons.is_empty() {
                    return Err(refuse_incompatible(&file, &subject, &reasons, as_json).into());
                }
                let id = registry.register(&subject, &text).await.map_err(|e| api_failure(&url, e))?;
                let version = registry.lookup(&subject, &text).await.map_err(|e| api_failure(&url, e))?;
                if as_json {
                    println!("{}", json!({"file": file, "subject": subject, "id": id, "version": version}));
                } else {
                    println!("registered {} as {subject} version {version} (schema id {id})", file.display());
                }
            }
            SchemasCommand::Check { file, subject } => {
                let subject = subject.subject();
                let text = read_schema(&file)?;
                let reasons = registry.check_compatibility(&subject, &text).await.map_err(|e| api_failure(&url, e))?;
                if !reasons.is_empty() {
                    return Err(refuse_incompatible(&file, &subject, &reasons, as_json).into());
                }
                let level = registry.compatibility(Some(&subject)).await.map_err(|e| api_failure(&url, e))?;
                if as_json {
                    println!("{}", json!({"file": file, "subject": subject, "compatible": true, "level": level}));
                } else {
                    println!("{} is compatible with {subject} under {level}", file.display());
                }
            }
            SchemasCommand::List => {
                let mut listing = Vec::new();
                for subject in registry.subjects().await.map_err(|e| api_failure(&url, e))? {
                    let versions = registry.versions(&subject).await.map_err(|e| api_failure(&url, e))?;
                    let level = registry.compatibility(Some(&subject)).await.map_err(|e| api_failure(&url, e))?;
                    listing.push((subject, versions, level));
                }
                if as_json {
                    let body: Vec<_> =
                        listing.iter().map(|(s, v, l)| json!({"subject": s, "versions": v, "compatibility": l})).collect();
                    println!("{}", serde_json::Value::Array(body));
                } else if listing.is_empty() {
                    println!("no subjects registered");
                } else {
                    for (subject, versions, level) in listing {
                        let versions: Vec<String> = versions.iter().map(i32::to_string).collect();
                        println!("{subject:<40} versions {:<12} {level}", versions.join(","));
                    }
                }
            }
            SchemasCommand::Config { level, subject } => {
                let scope = subject.as_deref();
                let shown = match level {
                    Some(level) => registry.set_compatibility(scope, &level).await,
                    None => registry.compatibility(scope).await,
                }
                .map_err(|e| match e {
                    RegistryClientError::Api { code: 42203, message, .. } => Failure::Usage(message),
                    other => api_failure(&url, other),
                })?;
                if as_json {
                    println!("{}", json!({"subject": subject, "compatibility": shown}));
                } else {
                    println!("{}: {shown}", subject.as_deref().unwrap_or("global"));
                }
            }
        }
        Ok(())
    })
}
