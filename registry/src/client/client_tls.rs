//! How the client trusts a registry served over HTTPS, and proves itself to
//! one that asks for a client certificate (mutual TLS). TLS is rustls (pure
//! Rust, no system OpenSSL to match), trusting the system's root
//! certificates by default (`rustls-native-certs`: a company's own CA,
//! installed in the system's store, is trusted as curl and Java trust it;
//! a root list baked into the binary would ignore it). A CA file given by
//! the user replaces them, as Confluent's clients do with
//! `schema.registry.ssl.ca.location`.

use std::path::{Path, PathBuf};

/// The PEM files of the client's TLS, as the user names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// CA certificates to trust instead of the system's roots.
    pub ca: Option<PathBuf>,
    /// The client's certificate (chain) for mutual TLS…
    pub certificate: Option<PathBuf>,
    /// …and its private key.
    pub key: Option<PathBuf>,
}

/// Why the client's TLS files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, as named.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file holds nothing of what it should, in PEM form.
    #[error("{path} holds no usable {what} in PEM form: {reason}")]
    Pem {
        /// The file, as named.
        path: PathBuf,
        /// What it should hold (a CA certificate, a certificate and key).
        what: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// Only one of the certificate and the key is given.
    #[error("a client certificate needs its key, and a key its certificate: give both")]
    HalfIdentity,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|source| TlsFileError::Read { path: path.to_owned(), source })
}

impl ClientTls {
    /// `builder` trusting and presenting what these settings name.
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TlsFileError> {
        if let Some(ca) = &self.ca {
            let certificates = reqwest::Certificate::from_pem_bundle(&read(ca)?).map_err(|e| {
                TlsFileError::Pem {
                    path: ca.clone(),
                    what: "CA certificate",
                    reason: e.to_string(),
                }
            })?;
            if certificates.is_empty() {
                let reason = "no certificate found".to_owned();
                return Err(TlsFileError::Pem { path: ca.clone(), what: "CA certificate", reason });
            }
            builder = builder.tls_built_in_root_certs(false);
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        match (&self.certificate, &self.key) {
            (None, None) => Ok(builder),
            (Some(certificate), Some(key)) => {
                // reqwest's rustls identity takes one PEM holding both.
                let mut pem = read(certificate)?;
                pem.push(b'\n');
                pem.extend(read(key)?);
                let identity =
                    reqwest::Identity::from_pem(&pem).map_err(|e| TlsFileError::Pem {
                        path: key.clone(),
                        what: "certificate and private key",
                        reason: e.to_string(),
                    })?;
                Ok(builder.identity(identity))
            }
            _ => Err(TlsFileError::HalfIdentity),
        }
    }
}
