//! How every command reaches the schema registry: the URL it resolved, the
//! basic-auth credentials the environment gives (`SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO`,
//! `user:password`, as Confluent's clients take `basic.auth.user.info`), the
//! TLS files it names (`SCHEMA_REGISTRY_SSL_*_LOCATION`), how the registry's
//! refusals are said (cause, fix, exit code), and the warning, once per
//! command, that a registry at level NONE checks nothing.

use super::failure::Failure;
use std::sync::atomic::{AtomicBool, Ordering};
use superstore_database::redact;
use superstore_registry::{BasicAuth, ClientTls, RegistryClient, RegistryClientError};

/// The client side's credentials: `user:password`.
pub const USER_INFO: &str = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";

/// The environment's credentials for the registry, if it gives any.
pub fn credentials() -> Result<Option<BasicAuth>, Failure> {
    match std::env::var(USER_INFO) {
        Ok(user_info) if !user_info.is_empty() => BasicAuth::from_user_info(&user_info)
            .map(Some)
            .map_err(|e| Failure::Usage(format!("{USER_INFO}: {e}"))),
        _ => Ok(None),
    }
}

/// The CA that replaces the system's roots, and the client certificate and
/// key of mutual TLS (Confluent's `schema.registry.ssl.*.location`).
pub const CA_LOCATION: &str = "SCHEMA_REGISTRY_SSL_CA_LOCATION";
pub const CERTIFICATE_LOCATION: &str = "SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION";
pub const KEY_LOCATION: &str = "SCHEMA_REGISTRY_SSL_KEY_LOCATION";

/// The environment's TLS files for the registry.
pub fn tls() -> ClientTls {
    let path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(Into::into);
    ClientTls {
        ca: path(CA_LOCATION),
        certificate: path(CERTIFICATE_LOCATION),
        key: path(KEY_LOCATION),
    }
}

/// A client of the registry at `url`, with the environment's credentials
/// and TLS files.
pub fn client(url: &str) -> Result<RegistryClient, Failure> {
    RegistryClient::new(url).with_basic_auth(credentials()?).with_tls(&tls()).map_err(|e| {
        Failure::Usage(format!("{e} ({CA_LOCATION}, {CERTIFICATE_LOCATION}, {KEY_LOCATION})"))
    })
}

/// What a failed request to the registry at `url` means for the user.
pub fn failure(url: &str, err: RegistryClientError) -> Failure {
    match err {
        RegistryClientError::Unreachable { .. } => match tls_refusal(&err) {
            Some((cause, fix)) => Failure::Usage(format!(
                "the schema registry at {} refused the connection: {cause}. Fix: {fix}",
                redact(url)
            )),
            None => Failure::registry(url, err),
        },
        RegistryClientError::Api { status: 401, .. } => {
            let given = if std::env::var_os(USER_INFO).is_some() { "are refused" } else { "unset" };
            Failure::Usage(format!(
                "the schema registry at {} requires HTTP basic authentication and answered 401 \
                 (credentials {given}). Fix: set {USER_INFO}=user:password to credentials it \
                 accepts",
                redact(url)
            ))
        }
        RegistryClientError::Api { status: 403, message, .. } => Failure::Usage(format!(
            "the schema registry at {} refused the request (403: {message}). Fix: use \
             credentials in {USER_INFO} that may do this",
            redact(url)
        )),
        other => Failure::Refused(other.to_string()),
    }
}

/// The cause and the fix of a TLS failure that waiting cannot cure, read
/// from the error's chain (rustls and hyper say what failed).
fn tls_refusal(err: &RegistryClientError) -> Option<(&'static str, String)> {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        chain.push_str(&e.to_string());
        chain.push('\n');
        source = e.source();
    }
    let says = |words: &[&str]| words.iter().any(|w| chain.contains(w));
    if says(&["NotValidForName", "not valid for name"]) {
        let cause = "the registry's certificate does not name the host of the URL (hostname \
                     mismatch)";
        return Some((
            cause,
            "use a host name the certificate holds in SCHEMA_REGISTRY_URL".into(),
        ));
    }
    if says(&["UnknownIssuer", "BadSignature", "invalid peer certificate"]) {
        let cause = "the registry's certificate is not signed by a CA this client trusts (unknown \
                     CA)";
        return Some((cause, format!("set {CA_LOCATION} to the CA certificate that signed it")));
    }
    if says(&["CertificateRequired", "certificate required", "BadCertificate", "UnknownCA"]) {
        let cause = "the registry requires a client certificate (mutual TLS) it did not accept";
        let fix =
            format!("set {CERTIFICATE_LOCATION} and {KEY_LOCATION} to a certificate it trusts");
        return Some((cause, fix));
    }
    if says(&["invalid HTTP version", "InvalidContentType", "corrupt message"]) {
        let cause = "the port speaks another protocol than the URL's (HTTPS against HTTP, or the \
                     other way)";
        return Some((
            cause,
            "use https:// or http:// in SCHEMA_REGISTRY_URL as the registry serves".into(),
        ));
    }
    None
}

static WARNED_UNCHECKED: AtomicBool = AtomicBool::new(false);

/// Warns on stderr, once per command, when `level` (the effective level of
/// `scope`) is NONE: the registry then accepts any schema, however
/// incompatible. Fresh Apicurio registries start there.
pub fn warn_if_unchecked(level: &str, scope: Option<&str>, url: &str) {
    if !level.eq_ignore_ascii_case("NONE") || WARNED_UNCHECKED.swap(true, Ordering::Relaxed) {
        return;
    }
    let (what, fix) = match scope {
        Some(subject) => (
            format!("subject {subject}"),
            format!(
                "`superstore schemas config BACKWARD` for every subject without a level of its \
                 own, or `superstore schemas config BACKWARD --subject {subject}`"
            ),
        ),
        None => ("the registry".to_owned(), "`superstore schemas config BACKWARD`".to_owned()),
    };
    eprintln!(
        "warning: the compatibility level of {what} at {} is NONE: the registry accepts any \
         schema, however incompatible, and consumers may fail to read what producers write. \
         Fix: {fix} (see docs/src/operate/registry.md)",
        redact(url)
    );
}

/// Registers `schemas/sale/v<version>.avsc` under `<topic>-value`, as the
/// publishing commands (`generate`, `import`) do before they publish; its id.
/// Warns when the subject's level is NONE (a registry that checks nothing).
pub async fn register_sale_schema(url: &str, topic: &str, version: u32) -> Result<i32, Failure> {
    let schema_text = superstore_domain::sale_schema_text(version)
        .ok_or_else(|| Failure::Usage(format!("schema v{version} of the sale is not released")))?;
    register(url, topic, superstore_registry::SALE_RECORD, schema_text, version).await
}

/// Registers the newest return schema under its subject on `topic`
/// (`<topic>-superstore.sales.ReturnRecorded`), for a command that
/// publishes returns; returns its id.
pub async fn register_return_schema(url: &str, topic: &str) -> Result<i32, Failure> {
    let version = superstore_domain::LATEST_RETURN_SCHEMA_VERSION;
    let schema_text = superstore_domain::return_schema_text(version).expect("the latest exists");
    register(url, topic, superstore_registry::RETURN_RECORD, schema_text, version).await
}

async fn register(
    url: &str,
    topic: &str,
    record: &str,
    schema_text: &str,
    version: u32,
) -> Result<i32, Failure> {
    let registry = client(url)?;
    let subject = superstore_registry::subject_for_record(topic, record);
    let id = registry.register(&subject, schema_text).await.map_err(|e| match e {
        RegistryClientError::Api { code: 409 | 42201, .. } => {
            Failure::Refused(format!("the registry refused schema v{version} under {subject}: {e}"))
        }
        other => failure(url, other),
    })?;
    match registry.compatibility(Some(&subject)).await {
        Ok(level) => warn_if_unchecked(&level, Some(&subject), url),
        Err(e) => tracing::debug!(error = %e, "the registry did not tell its compatibility level"),
    }
    Ok(id)
}
