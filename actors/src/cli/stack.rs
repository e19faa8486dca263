//! `superstore up | down | status | env`: the local stack from the command line.

use super::failure::Failure;
use super::observe;
use superstore_actors::observability::endpoint::MetricsAddr;
use superstore_stack::{LocalStack, ScrapeTargets, StackError};

pub fn up(monitoring: bool, brokers: Option<u16>, secure: Option<bool>) -> anyhow::Result<()> {
    let targets = if monitoring { Some(scrape_targets()?) } else { None };
    let stack = LocalStack::from_environment().map_err(Failure::from)?;
    let endpoints = stack.up(brokers, secure).map_err(|e| match e {
        StackError::Usage(why) => Failure::Usage(why),
        e => Failure::from(e),
    })?;
    let prometheus = targets.map(|targets| stack.start_monitoring(&targets)).transpose()?;
    let stack = LocalStack::from_environment().map_err(Failure::from)?;
    let how = if stack.is_secure() { " (secure: TLS and authentication)" } else { "" };
    println!("local stack is up in {}{how}", stack.home().display());
    println!("  kafka       {}", endpoints.kafka_bootstrap_servers);
    println!("  postgres    {}", superstore_database::redact(&endpoints.database_url));
    println!("  registry    {}", endpoints.schema_registry_url);
    if let Some(url) = prometheus {
        println!("  prometheus  {url} (open it in a browser; alerts at {url}/alerts)");
    }
    println!("run `eval \"$(superstore env)\"` to point other tools at it");
    Ok(())
}

/// Where `run` and `generate` serve their metrics, from the same settings
/// they read themselves.
fn scrape_targets() -> Result<ScrapeTargets, Failure> {
    let address = |variable: &str, default: &str| {
        let value = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
        match value.parse::<MetricsAddr>() {
            Ok(MetricsAddr::At(address)) => Ok(Some(address)),
            Ok(MetricsAddr::Off) => Ok(None),
            Err(e) => Err(Failure::Usage(format!("{variable}: {e}"))),
        }
    };
    Ok(ScrapeTargets {
        pipeline: address(observe::RUN_VARIABLE, observe::RUN_DEFAULT)?,
        generator: address(observe::GENERATE_VARIABLE, observe::GENERATE_DEFAULT)?,
        registry: None,
        registry_ca: None,
    })
}

pub fn down(monitoring_only: bool) -> anyhow::Result<()> {
    let stack = LocalStack::from_environment().map_err(Failure::from)?;
    if monitoring_only {
        stack.stop_monitoring();
        println!("the local Prometheus is stopped; its data stays in {}", stack.home().display());
        return Ok(());
    }
    stack.down().map_err(Failure::from)?;
    println!("local stack is stopped; its data stays in {}", stack.home().display());
    Ok(())
}

pub fn status(json: bool) -> anyhow::Result<()> {
    let stack = LocalStack::from_environment()?;
    let services = stack.status();
    if json {
        println!("{}", serde_json::to_string_pretty(&services)?);
    } else {
        for s in &services {
            let health = if s.healthy { "healthy" } else { "DOWN" };
            println!("{:<10} {:<8} {:<24} {}", s.service, health, s.address, s.detail);
        }
    }
    let down: Vec<&str> =
        services.iter().filter(|s| !s.healthy).map(|s| s.service.as_str()).collect();
    if down.is_empty() {
        Ok(())
    } else {
        Err(Failure::Unreachable {
            service: "the local stack",
            cause: format!("not answering: {}", down.join(", ")),
            fix: "run `superstore up`".into(),
        }
        .into())
    }
}

/// The `export` (and, for what the plain stack does not use, `unset`) lines
/// for `eval` in a shell.
pub fn env() -> anyhow::Result<()> {
    for (name, value) in LocalStack::from_environment()?.client_environment()? {
        match value {
            Some(value) => println!("export {name}={}", shell_word(&value)),
            None => println!("unset {name}"),
        }
    }
    Ok(())
}

/// `value` as one shell word: as it is when it holds nothing a shell reads
/// specially, single-quoted otherwise (the secure stack's URL holds `?` and `&`).
fn shell_word(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}
