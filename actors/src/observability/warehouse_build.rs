//! The warehouse probe: how old the marts are, for an alert when the
//! schedule that builds them stalls (a scheduler down, the DAG paused, its
//! builds failing). The Airflow DAG's last task records each successful
//! build in `warehouse.builds`; `superstore run` reads the newest row every
//! `every` and serves it as `superstore_warehouse_last_build_timestamp_seconds`,
//! because Prometheus already scrapes `run` and Airflow serves no Prometheus
//! endpoint of its own (its metrics go to StatsD or OpenTelemetry).
//!
//! It runs beside the pipeline on a blocking thread, so a slow database
//! never holds up the stages. A read that fails sets the last value read
//! again: a warehouse that cannot be read is no fresher, and the gauge must
//! not leave the exposition (it would, once idle) while the build ages.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::sync::Mutex;
use std::time::Duration;
use superstore_database::schema::warehouse::builds as warehouse_builds;
use superstore_database::PgPool;

/// How long the probe waits for a connection of the pool.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads the newest row of `warehouse.builds` and serves it as a gauge.
pub struct WarehouseBuildProbe {
    pool: PgPool,
    readings: Mutex<Readings>,
}

#[derive(Default)]
struct Readings {
    /// The last successful read: when the warehouse was built (`Some(None)`: never).
    last_read: Option<Option<f64>>,
    /// Whether the last read failed, so that an outage is logged once.
    failing: bool,
}

impl WarehouseBuildProbe {
    /// A probe that reads through `pool`; nothing is read before [`Self::spawn`].
    pub fn new(pool: PgPool) -> Self {
        WarehouseBuildProbe { pool, readings: Mutex::default() }
    }

    /// Reads every `every` until the actix system stops.
    pub fn spawn(self, every: Duration) {
        let stopped = "the warehouse probe panicked; the last build is no longer read";
        super::periodic::every(every, self, WarehouseBuildProbe::measure, stopped);
    }

    /// The newest build in `warehouse.builds`, or why it cannot be read.
    fn read(&self) -> Result<Option<DateTime<Utc>>, String> {
        let mut conn = self.pool.get_timeout(CONNECTION_TIMEOUT).map_err(|e| e.to_string())?;
        last_warehouse_build(&mut conn).map_err(|e| e.to_string())
    }

    /// One reading, served.
    fn measure(&self) {
        let read = self.read();
        let mut readings = self.readings.lock().expect("warehouse probe lock");
        match read {
            Ok(built_at) => {
                let seconds = built_at.map(|at| at.timestamp_millis() as f64 / 1000.0);
                crate::metrics::warehouse_last_build(seconds);
                *readings = Readings { last_read: Some(seconds), failing: false };
            }
            Err(e) => {
                if !readings.failing {
                    tracing::warn!(error = %e, "cannot read warehouse.builds (`superstore \
                        migrate` creates it); the last build served stays as it was");
                }
                if let Some(seconds) = readings.last_read {
                    crate::metrics::warehouse_last_build(seconds);
                }
                readings.failing = true;
            }
        }
    }
}

/// When the warehouse was last built successfully (the newest row of
/// warehouse.builds, which the Airflow DAG's last task writes); None before
/// the first build.
pub(crate) fn last_warehouse_build(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    warehouse_builds::table.select(diesel::dsl::max(warehouse_builds::built_at)).first(conn)
}
