//! `superstore up | down | status | env`: the local stack from the command line.

use super::failure::Failure;
use superstore_stack::LocalStack;

pub fn up() -> anyhow::Result<()> {
    let stack = LocalStack::from_environment().map_err(Failure::from)?;
    let endpoints = stack.up().map_err(Failure::from)?;
    println!("local stack is up in {}", stack.home().display());
    println!("  kafka     {}", endpoints.kafka_bootstrap_servers);
    println!("  postgres  {}", superstore_database::redact(&endpoints.database_url));
    println!("  registry  {}", endpoints.schema_registry_url);
    println!("run `eval \"$(superstore env)\"` to point other tools at it");
    Ok(())
}

pub fn down() -> anyhow::Result<()> {
    let stack = LocalStack::from_environment().map_err(Failure::from)?;
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
            println!("{:<9} {:<8} {:<24} {}", s.service, health, s.address, s.detail);
        }
    }
    let down: Vec<&str> = services.iter().filter(|s| !s.healthy).map(|s| s.service).collect();
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

pub fn env() -> anyhow::Result<()> {
    let endpoints = LocalStack::from_environment()?.endpoints()?;
    println!("export KAFKA_BOOTSTRAP_SERVERS={}", endpoints.kafka_bootstrap_servers);
    println!("export DATABASE_URL={}", endpoints.database_url);
    println!("export SCHEMA_REGISTRY_URL={}", endpoints.schema_registry_url);
    Ok(())
}
