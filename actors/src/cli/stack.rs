//! `superstore up | down | status | env`: the local stack from the command line.

use super::failure::Failure;
use super::observe;
use superstore_actors::observability::endpoint::MetricsAddr;
use superstore_database::redact;
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
    println!("  postgres    {}", redact(&endpoints.database_url));
    println!("  registry    {}", redact(&endpoints.schema_registry_url));
    if let Some(url) = prometheus {
        println!("  prometheus  {url} (open it in a browser; alerts at {url}/alerts)");
    }
    println!("run `eval \"$(superstore env)\"` to point other tools at it");
    warn_of_ephemeral_ports(&stack);
    Ok(())
}

/// A stack created with the earlier defaults keeps them; says how to move it.
fn warn_of_ephemeral_ports(stack: &LocalStack) {
    let ports = stack.ports().in_ephemeral_range();
    if ports.is_empty() {
        return;
    }
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let record = superstore_stack::ports::record_file(stack.home());
    eprintln!(
        "note: this stack uses ports {} (recorded in {}), inside Linux's range for outgoing \
         connections (32768-60999): one of them may be taken when a service starts. To move \
         the stack to the defaults below it, keeping its data: `superstore down`, delete that \
         file, then `superstore up` (a cluster of several brokers must be created again)",
        list.join(", "),
        record.display()
    );
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
        println!("{}", redact(&serde_json::to_string_pretty(&services)?));
    } else {
        for s in &services {
            let health = if s.healthy { "healthy" } else { "DOWN" };
            let (address, detail) = (redact(&s.address), redact(&s.detail));
            println!("{:<10} {:<8} {:<24} {detail}", s.service, health, address);
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
