//! `superstore schemas`: register, check, list and configure the schemas of
//! a subject in the registry, for people (readable text) and scripts (`--json`).

use super::failure::Failure;
use super::registry_access::{self, warn_if_unchecked};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use superstore_registry::{
    subject_for_record, NormalizedSchema, Refusal, RegistryClient, RegistryClientError,
};

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
    /// Registry subject; by default the sales topic's subject for the file's record:
    /// `<topic>-value` for the sale, `<topic>-<namespace>.<name>` for any other (the return).
    #[arg(long)]
    pub subject: Option<String>,
    /// The sales topic, whose subjects are the default.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
}

impl SubjectArg {
    /// The subject given, or the one the record of `file` (its text `text`)
    /// is registered under on the topic.
    fn subject(&self, file: &Path, text: &str) -> Result<String, Failure> {
        if let Some(subject) = &self.subject {
            return Ok(subject.clone());
        }
        let schema = apache_avro::Schema::parse_str(text)
            .map_err(|e| Failure::Refused(format!("{} is not valid Avro: {e}", file.display())))?;
        let apache_avro::Schema::Record(record) = schema else {
            return Err(Failure::Usage(format!(
                "{} is not a record schema: give its subject with --subject",
                file.display()
            )));
        };
        Ok(subject_for_record(&self.topic, &record.name.fullname(None)))
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum SchemasCommand {
    /// Register an evolved schema; the compatibility check runs first, and refuses with every
    /// reason.
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
    /// Show the compatibility level, or set it to LEVEL (NONE, BACKWARD[_TRANSITIVE],
    /// FORWARD[_TRANSITIVE], FULL[_TRANSITIVE]).
    Config {
        level: Option<String>,
        /// Set or show the level of this subject instead of the global one.
        #[arg(long)]
        subject: Option<String>,
    },
}

fn read_schema(file: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", file.display())))?;
    NormalizedSchema::parse(&text)
        .map_err(|e| Failure::Refused(format!("{} is not a valid schema: {e}", file.display())))?;
    Ok(text)
}

/// The registry of one command, and how its failures are said.
struct Registry {
    client: RegistryClient,
    url: String,
}

/// Who gave the reasons of a refusal, for people and for `--json`.
fn reasons_source(refusal: &Refusal) -> &'static str {
    if refusal.explained_locally {
        "local explanation"
    } else {
        "registry"
    }
}

impl Registry {
    fn failure(&self, err: RegistryClientError) -> Failure {
        registry_access::failure(&self.url, err)
    }

    /// The effective level of `subject` (or the global one), with the
    /// warning when it is NONE.
    async fn level(&self, subject: Option<&str>) -> Result<String, Failure> {
        let level = self.client.compatibility(subject).await.map_err(|e| self.failure(e))?;
        warn_if_unchecked(&level, subject, &self.url);
        Ok(level)
    }

    /// Refuses (exit 4, every reason printed) when `text` cannot follow `subject`.
    async fn require_compatible(
        &self,
        file: &Path,
        subject: &str,
        text: &str,
        as_json: bool,
    ) -> Result<(), Failure> {
        let refusal =
            self.client.check_compatibility(subject, text).await.map_err(|e| self.failure(e))?;
        let Some(refusal) = refusal else { return Ok(()) };
        let reasons = &refusal.reasons;
        if as_json {
            let source = reasons_source(&refusal);
            let answer = json!({"file": file, "subject": subject, "compatible": false,
                "reasons": reasons, "reasons_from": source});
            println!("{answer}");
        } else if refusal.explained_locally {
            println!(
                "{} is NOT compatible with {subject}. The registry gave no reasons; \
                 local explanation (superstore's own checker, on the registry's versions):",
                file.display()
            );
        } else {
            println!("{} is NOT compatible with {subject}:", file.display());
        }
        if !as_json {
            for reason in reasons {
                println!("  - {reason}");
            }
        }
        Err(Failure::Refused(format!(
            "{} is incompatible with {subject} ({} reason(s) above, from the {})",
            file.display(),
            reasons.len(),
            reasons_source(&refusal)
        )))
    }

    /// Registers `text`, the schema read from `file`.
    async fn register(
        &self,
        file: &Path,
        text: &str,
        subject: &str,
        as_json: bool,
    ) -> Result<(), Failure> {
        self.require_compatible(file, subject, text, as_json).await?;
        let id = self.client.register(subject, text).await.map_err(|e| self.failure(e))?;
        let version = self.client.lookup(subject, text).await.map_err(|e| self.failure(e))?;
        self.level(Some(subject)).await?;
        if as_json {
            println!("{}", json!({"file": file, "subject": subject, "id": id, "version": version}));
        } else {
            let file = file.display();
            println!("registered {file} as {subject} version {version} (schema id {id})");
        }
        Ok(())
    }

    /// Checks `text`, the schema read from `file`.
    async fn check(
        &self,
        file: &Path,
        text: &str,
        subject: &str,
        as_json: bool,
    ) -> Result<(), Failure> {
        self.require_compatible(file, subject, text, as_json).await?;
        let level = self.level(Some(subject)).await?;
        if as_json {
            let answer =
                json!({"file": file, "subject": subject, "compatible": true, "level": level});
            println!("{answer}");
        } else {
            println!("{} is compatible with {subject} under {level}", file.display());
        }
        Ok(())
    }

    async fn list(&self, as_json: bool) -> Result<(), Failure> {
        let mut listing = Vec::new();
        self.level(None).await?;
        for subject in self.client.subjects().await.map_err(|e| self.failure(e))? {
            let versions = self.client.versions(&subject).await.map_err(|e| self.failure(e))?;
            let level = self.level(Some(&subject)).await?;
            listing.push((subject, versions, level));
        }
        if as_json {
            let body: Vec<_> = listing
                .iter()
                .map(|(s, v, l)| json!({"subject": s, "versions": v, "compatibility": l}))
                .collect();
            println!("{}", serde_json::Value::Array(body));
        } else if listing.is_empty() {
            println!("no subjects registered");
        } else {
            for (subject, versions, level) in listing {
                let versions: Vec<String> = versions.iter().map(i32::to_string).collect();
                println!("{subject:<40} versions {:<12} {level}", versions.join(","));
            }
        }
        Ok(())
    }

    async fn config(
        &self,
        level: Option<String>,
        subject: Option<String>,
        as_json: bool,
    ) -> Result<(), Failure> {
        let scope = subject.as_deref();
        let shown = match level {
            Some(level) => self.client.set_compatibility(scope, &level).await,
            None => self.client.compatibility(scope).await,
        }
        .map_err(|e| match e {
            RegistryClientError::Api { code: 42203, message, .. } => Failure::Usage(message),
            other => self.failure(other),
        })?;
        warn_if_unchecked(&shown, scope, &self.url);
        if as_json {
            println!("{}", json!({"subject": subject, "compatibility": shown}));
        } else {
            println!("{}: {shown}", subject.as_deref().unwrap_or("global"));
        }
        Ok(())
    }
}

pub fn run(args: SchemasArgs) -> anyhow::Result<()> {
    let endpoints = superstore_stack::resolve().map_err(Failure::from)?;
    let url = endpoints.schema_registry_url.clone();
    let as_json = args.json;
    actix::System::new().block_on(async move {
        let registry = Registry { client: registry_access::client(&url)?, url };
        match args.command {
            SchemasCommand::Register { file, subject } => {
                let text = read_schema(&file)?;
                let subject = subject.subject(&file, &text)?;
                registry.register(&file, &text, &subject, as_json).await?
            }
            SchemasCommand::Check { file, subject } => {
                let text = read_schema(&file)?;
                let subject = subject.subject(&file, &text)?;
                registry.check(&file, &text, &subject, as_json).await?
            }
            SchemasCommand::List => registry.list(as_json).await?,
            SchemasCommand::Config { level, subject } => {
                registry.config(level, subject, as_json).await?
            }
        }
        Ok(())
    })
}
