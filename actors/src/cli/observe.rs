//! `--metrics-addr` of `run` and `generate`: binds the address first (so a
//! taken port stops the command before it does anything, exit 2, naming
//! the port and the flag), installs the recorder, and serves once the
//! command's actix system runs.

use super::failure::Failure;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::TcpListener;
use superstore_actors::observability::endpoint::{self, MetricsAddr};
use superstore_actors::observability::readiness::Readiness;
use superstore_actors::observability::recorder;

/// Where `superstore run` serves by default (docker-compose.yml and the
/// local Prometheus expect it).
pub const RUN_DEFAULT: &str = "127.0.0.1:9898";
pub const RUN_VARIABLE: &str = "SUPERSTORE_METRICS_ADDR";
/// Where `superstore generate` serves by default: another port, so that
/// both can run side by side. `SUPERSTORE_GENERATE_METRICS_ADDR` sets it
/// alone; without it, generate honours `SUPERSTORE_METRICS_ADDR` like run
/// (then the two cannot listen at once, and the second names the port).
pub const GENERATE_DEFAULT: &str = "127.0.0.1:9899";
pub const GENERATE_VARIABLE: &str = "SUPERSTORE_GENERATE_METRICS_ADDR";

/// A bound listener and the recorder it renders.
pub struct Exposition {
    listener: TcpListener,
    handle: PrometheusHandle,
}

/// Binds `addr` and installs the recorder; None when `addr` is `off`.
pub fn prepare(addr: MetricsAddr, variable: &str) -> anyhow::Result<Option<Exposition>> {
    let MetricsAddr::At(address) = addr else {
        return Ok(None);
    };
    let flag = format!("--metrics-addr ({variable})");
    let listener = endpoint::bind(address, &flag).map_err(|e| Failure::Usage(e.to_string()))?;
    let handle = recorder::install()?;
    Ok(Some(Exposition { listener, handle }))
}

/// `generate`'s address: the flag (or SUPERSTORE_GENERATE_METRICS_ADDR), then
/// SUPERSTORE_METRICS_ADDR, then the default; bound as [`prepare`] does.
pub fn prepare_generate(flag: Option<MetricsAddr>) -> anyhow::Result<Option<Exposition>> {
    if let Some(addr) = flag {
        return prepare(addr, GENERATE_VARIABLE);
    }
    match std::env::var(RUN_VARIABLE) {
        Ok(value) if !value.trim().is_empty() => {
            let addr = value.trim().parse().map_err(|e: String| {
                Failure::Usage(format!("{RUN_VARIABLE}={value} is not an address: {e}"))
            })?;
            prepare(addr, RUN_VARIABLE)
        }
        _ => prepare(GENERATE_DEFAULT.parse().expect("a valid default"), GENERATE_VARIABLE),
    }
}

impl Exposition {
    /// Starts serving; call it inside the command's actix system.
    pub fn serve(self, readiness: Option<Readiness>) -> anyhow::Result<()> {
        let server = endpoint::serve(self.listener, self.handle, readiness)?;
        actix::spawn(async move {
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "the metrics endpoint stopped");
            }
        });
        Ok(())
    }
}

/// Serves `exposition`, if any.
pub fn serve(exposition: Option<Exposition>, readiness: Option<Readiness>) -> anyhow::Result<()> {
    match exposition {
        Some(exposition) => exposition.serve(readiness),
        None => Ok(()),
    }
}
