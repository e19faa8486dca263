//! HTTPS for the registry's server: a certificate chain and its key in PEM
//! files, served by rustls through actix-web; optionally a CA whose client
//! certificates it requires (mutual TLS). Basic authentication is only safe
//! over it once the registry leaves loopback (the command refuses the
//! other way).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The server side's TLS, ready for actix-web.
#[derive(Clone)]
pub struct ServerTls {
    pub(crate) config: Arc<ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTls")
    }
}

/// Why the server's certificate, key or client CA cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ServerTlsError {
    /// A file cannot be read, or holds nothing of what it should in PEM form.
    #[error("{path}: no usable {what} in PEM form ({reason})")]
    Pem {
        /// The file, as named.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
        /// What the reader or the parser said.
        reason: String,
    },
    /// rustls refuses the pair (a key that does not match, a bad chain).
    #[error("the certificate and key do not make a TLS server: {0}")]
    Config(#[from] rustls::Error),
}

fn certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, ServerTlsError> {
    let failed = |reason: String| ServerTlsError::Pem { path: path.to_owned(), what, reason };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| failed(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(e.to_string()))?;
    if certificates.is_empty() {
        return Err(failed("no certificate found".into()));
    }
    Ok(certificates)
}

impl ServerTls {
    /// HTTPS with the chain in `certificate` and the key in `key`; with
    /// `client_ca`, only clients with a certificate it signed are served.
    pub fn from_pem_files(
        certificate: &Path,
        key: &Path,
        client_ca: Option<&Path>,
    ) -> Result<Self, ServerTlsError> {
        let chain = certificates(certificate, "certificate")?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| ServerTlsError::Pem {
            path: key.to_owned(),
            what: "private key",
            reason: e.to_string(),
        })?;
        // ring, which reqwest's rustls here is built on too: aws-lc-rs (rustls's
        // post-quantum default) would add a CMake build of a C library.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for certificate in certificates(ca, "CA certificate")? {
                    roots.add(certificate)?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| rustls::Error::General(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls { config: Arc::new(config) })
    }
}
