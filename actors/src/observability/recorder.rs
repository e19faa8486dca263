//! The process-wide recorder behind the `metrics` facade: the Prometheus
//! exporter, rendering on request (our own listener serves the text).
//!
//! Histograms get explicit buckets, so they render as Prometheus histograms
//! (`_bucket`, `_sum`, `_count`) that `histogram_quantile` can aggregate,
//! not as summaries. Gauges that stop being refreshed (the lag of a
//! partition this process no longer holds) leave the exposition after
//! [`IDLE_GAUGE_TIMEOUT`].

use crate::metrics::{BATCH_COMMIT_BUCKETS, BATCH_COMMIT_SECONDS, BATCH_SIZE, BATCH_SIZE_BUCKETS};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;
use std::time::Duration;

/// A gauge not set for this long is dropped from the exposition.
pub(crate) const IDLE_GAUGE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Why the recorder could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    /// The exporter refused its settings, or a recorder is installed already.
    #[error("cannot install the metrics recorder: {0}")]
    Build(#[from] BuildError),
    /// The thread that folds histogram samples into buckets did not start.
    #[error("cannot start the metrics upkeep thread: {0}")]
    Upkeep(std::io::Error),
}

/// Installs the recorder for this process and returns the handle that
/// renders the exposition. Call it once, before anything is recorded.
pub fn install() -> Result<PrometheusHandle, RecorderError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(BATCH_COMMIT_SECONDS.into()), &BATCH_COMMIT_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &BATCH_SIZE_BUCKETS)?
        .idle_timeout(MetricKindMask::GAUGE, Some(IDLE_GAUGE_TIMEOUT))
        .install_recorder()?;
    crate::metrics::describe();
    let upkeep = handle.clone();
    // Without upkeep, histogram samples would pile up between scrapes.
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        })
        .map_err(RecorderError::Upkeep)?;
    Ok(handle)
}
