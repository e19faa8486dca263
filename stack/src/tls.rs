//! The secure stack's certificates, made once by `up --secure` under
//! `tls/` in the stack's home: a certificate authority of its own, a server
//! certificate for `127.0.0.1` and `localhost` that Kafka, PostgreSQL and
//! the registry present, and a client certificate for mutual TLS.
//!
//! The CA's private key is used to sign the two and never written: nothing
//! can be signed by it afterwards, so a stolen home cannot mint trusted
//! certificates. Keys are 0600 from their creation (see [`secrets`]). Each
//! service reads its own copy of the server's key, owned by the user it
//! runs as (PostgreSQL refuses a key file that another user owns).

use super::ownership::User;
use super::secrets::write_secret;
use super::StackError;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::fs;
use std::path::{Path, PathBuf};

/// The names every server certificate holds: how the stack's services are reached.
pub const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// Where the stack's certificates are.
#[derive(Debug, Clone)]
pub struct Certificates {
    pub dir: PathBuf,
}

impl Certificates {
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn server_certificate(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
    pub fn client_certificate(&self) -> PathBuf {
        self.dir.join("client.pem")
    }
    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client.key")
    }

    fn complete(&self) -> bool {
        [self.ca(), self.server_certificate(), self.server_key()]
            .into_iter()
            .chain([self.client_certificate(), self.client_key()])
            .all(|p| p.is_file())
    }

    /// Makes the CA and both certificates, unless they all exist. A partial
    /// set (an `up` that died while writing) is made again whole.
    pub fn ensure(&self) -> Result<(), StackError> {
        if self.complete() {
            return Ok(());
        }
        let failed = |e: rcgen::Error| StackError::Start {
            service: "the secure stack",
            detail: format!("cannot make its certificates: {e}"),
        };
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir)
                .map_err(|e| StackError::io("remove an incomplete tls directory", e))?;
        }
        fs::create_dir_all(&self.dir).map_err(|e| StackError::io("create the tls directory", e))?;
        let ca_key = KeyPair::generate().map_err(failed)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca.distinguished_name.push(DnType::CommonName, "superstore local stack CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_certificate = ca.self_signed(&ca_key).map_err(failed)?;
        let issuer = Issuer::new(ca, ca_key);
        self.issue(&issuer, "superstore server", ExtendedKeyUsagePurpose::ServerAuth)?;
        self.issue(&issuer, "superstore client", ExtendedKeyUsagePurpose::ClientAuth)?;
        write_public(&self.ca(), &ca_certificate.pem())
    }

    /// Signs a leaf certificate for [`SERVER_NAMES`] with `issuer`.
    fn issue(
        &self,
        issuer: &Issuer<'_, KeyPair>,
        name: &str,
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<(), StackError> {
        let failed = |e: rcgen::Error| StackError::Start {
            service: "the secure stack",
            detail: format!("cannot make the certificate of {name}: {e}"),
        };
        let key = KeyPair::generate().map_err(failed)?;
        let names: Vec<String> = SERVER_NAMES.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).map_err(failed)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let (certificate_file, key_file) = match usage {
            ExtendedKeyUsagePurpose::ClientAuth => (self.client_certificate(), self.client_key()),
            _ => (self.server_certificate(), self.server_key()),
        };
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let certificate = params.signed_by(&key, issuer).map_err(failed)?;
        write_secret(&key_file, &key.serialize_pem())
            .map_err(|e| StackError::io(format!("write {}", key_file.display()), e))?;
        write_public(&certificate_file, &certificate.pem())
    }

    /// A copy of the server's certificate and key in `dir`, for a service
    /// that runs as `user`: the key 0600 and owned by that user. Returns
    /// (certificate, key).
    pub fn server_copy(
        &self,
        dir: &Path,
        user: Option<&User>,
    ) -> Result<(PathBuf, PathBuf), StackError> {
        let (certificate, key) = (dir.join("server.pem"), dir.join("server.key"));
        let pem = fs::read_to_string(self.server_key())
            .map_err(|e| StackError::io("read the server key", e))?;
        let _ = fs::remove_file(&key);
        write_secret(&key, &pem).map_err(|e| StackError::io("copy the server key", e))?;
        fs::copy(self.server_certificate(), &certificate)
            .map_err(|e| StackError::io("copy the server certificate", e))?;
        if let Some(user) = user {
            for file in [&certificate, &key] {
                super::ownership::give_tree(file, user)?;
            }
        }
        Ok((certificate, key))
    }
}

fn write_public(path: &Path, pem: &str) -> Result<(), StackError> {
    fs::write(path, pem).map_err(|e| StackError::io(format!("write {}", path.display()), e))
}
