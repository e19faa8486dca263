//! What an operator's tools see of a running `superstore` process: the
//! Prometheus exposition of the metrics (`crate::metrics`, and the
//! registry's), and on `superstore run` the health probes.
//!
//! - [`recorder`] installs the process-wide recorder of the `metrics`
//!   facade (the Prometheus exporter, with the histograms' buckets);
//! - [`endpoint`] binds the listener of `--metrics-addr` (with an error
//!   that names the port and the flag) and serves `/metrics`,
//!   `/health/live` and `/health/ready` on it;
//! - [`readiness`] decides whether the pipeline is ready: partitions
//!   assigned, PostgreSQL answering, the registry answering;
//! - [`warehouse_build`] reads when the warehouse was last built, for the
//!   alert on a stalled schedule.

pub(crate) mod consumer_lag;
pub mod endpoint;
mod periodic;
pub mod readiness;
pub mod recorder;
pub mod warehouse_build;
