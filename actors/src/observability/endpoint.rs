//! The listener of `--metrics-addr`: `/metrics` in the Prometheus text
//! format, and, on `superstore run`, `/health/live` and `/health/ready`.
//!
//! It is bound before the command does any work, so a port already taken
//! stops the command at once with an error naming the address and the flag.
//! The server runs on one worker thread of its own, beside the actors, and
//! leaves the signals to the command (SIGTERM still drains the pipeline).

use super::readiness::Readiness;
use actix_web::dev::Server;
use actix_web::{http::StatusCode, web, App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::str::FromStr;

/// The media type of the Prometheus text exposition format.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Where to serve, from `--metrics-addr`: an `IP:PORT`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAddr {
    /// Nothing is served, and no recorder is installed.
    Off,
    /// Served on this address.
    At(SocketAddr),
}

impl FromStr for MetricsAddr {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        if value.eq_ignore_ascii_case("off") {
            return Ok(MetricsAddr::Off);
        }
        value.parse().map(MetricsAddr::At).map_err(|_| {
            format!("`{value}` is not an address: give IP:PORT (e.g. 127.0.0.1:9898), or `off`")
        })
    }
}

impl std::fmt::Display for MetricsAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsAddr::Off => f.write_str("off"),
            MetricsAddr::At(addr) => addr.fmt(f),
        }
    }
}

/// The address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address}: {cause}. Fix: {fix}")]
pub struct BindError {
    pub(crate) address: SocketAddr,
    pub(crate) cause: String,
    pub(crate) fix: String,
}

/// Binds `address`; `flag` names the setting the user can change (for
/// example `--metrics-addr (SUPERSTORE_METRICS_ADDR)`).
pub fn bind(address: SocketAddr, flag: &str) -> Result<TcpListener, BindError> {
    let port = address.port();
    TcpListener::bind(address).map_err(|e| {
        let (cause, fix) = match e.kind() {
            ErrorKind::AddrInUse => (
                format!("port {port} is already in use by another process"),
                format!("stop that process, or choose another address with {flag}, or `off`"),
            ),
            ErrorKind::PermissionDenied => (
                format!("port {port} needs privileges this process does not have"),
                format!("choose a port above 1023 with {flag}"),
            ),
            _ => (e.to_string(), format!("choose an address of this machine with {flag}")),
        };
        BindError { address, cause, fix }
    })
}

/// What the listener serves.
#[derive(Clone)]
struct Served {
    metrics: PrometheusHandle,
    readiness: Option<Readiness>,
}

async fn metrics(served: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().content_type(EXPOSITION).body(served.metrics.render())
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "live" }))
}

async fn ready(served: web::Data<Served>) -> HttpResponse {
    let Some(readiness) = served.readiness.clone() else {
        return HttpResponse::NotFound().finish();
    };
    let report = readiness.check().await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    HttpResponse::build(status).json(report)
}

/// Serves `/metrics` (and the health probes when `readiness` is given) on
/// `listener`. Await or spawn the server inside an actix system.
pub fn serve(
    listener: TcpListener,
    metrics_handle: PrometheusHandle,
    readiness: Option<Readiness>,
) -> std::io::Result<Server> {
    let address = listener.local_addr()?;
    let served = web::Data::new(Served { metrics: metrics_handle, readiness });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(served.clone())
            .route("/metrics", web::get().to(metrics))
            .route("/health/live", web::get().to(live))
            .route("/health/ready", web::get().to(ready))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    tracing::info!(%address, "serving /metrics and /health on http://{address}");
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_off() {
        assert_eq!("off".parse::<MetricsAddr>(), Ok(MetricsAddr::Off));
        assert_eq!(
            "127.0.0.1:9898".parse::<MetricsAddr>(),
            Ok(MetricsAddr::At("127.0.0.1:9898".parse().unwrap()))
        );
        let refused = "localhost".parse::<MetricsAddr>().unwrap_err();
        assert!(refused.contains("IP:PORT"), "{refused}");
    }

    #[test]
    fn a_taken_port_names_the_port_and_the_flag() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap();
        let err = bind(address, "--metrics-addr").unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&format!("port {} is already in use", address.port())));
        assert!(message.contains("--metrics-addr"), "{message}");
    }
}
