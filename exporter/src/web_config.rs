//! `--web.config.file`: TLS and basic auth configured like Prometheus' exporter web config (YAML with
//! `tls_server_config.cert_file` / `key_file` and `basic_auth_users` holding bcrypt hashes). Relative
//! file paths are resolved against the config file's directory, as the exporter toolkit does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use crate::basic_auth::BasicAuth;

/// Why a web config could not be used; each names the file or key at fault.
#[derive(Debug)]
pub enum WebConfigError {
    Read(PathBuf, std::io::Error),
    Parse(PathBuf, String),
    Tls(PathBuf, String),
    BadHash(String),
}

impl std::fmt::Display for WebConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebConfigError::Read(path, err) => write!(f, "{}: {err}", path.display()),
            WebConfigError::Parse(path, msg) => write!(f, "{}: {msg}", path.display()),
            WebConfigError::Tls(path, msg) => write!(f, "{}: {msg}", path.display()),
            WebConfigError::BadHash(user) => {
                write!(
                    f,
                    "basic_auth_users.{user}: not a bcrypt hash (generate one with htpasswd -nBC 10 \"\" )"
                )
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebConfigFile {
    tls_server_config: Option<TlsServerConfig>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsServerConfig {
    cert_file: PathBuf,
    key_file: PathBuf,
}

/// The loaded web configuration: an optional TLS acceptor and basic-auth users.
pub struct WebConfig {
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub auth: Option<BasicAuth>,
}

impl WebConfig {
    /// Loads and checks a web config file (certificates are read and parsed now, not at first use).
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| WebConfigError::Read(path.to_path_buf(), e))?;
        let file: WebConfigFile = if text.trim().is_empty() {
            WebConfigFile { tls_server_config: None, basic_auth_users: BTreeMap::new() }
        } else {
            serde_norway::from_str(&text)
                .map_err(|e| WebConfigError::Parse(path.to_path_buf(), e.to_string()))?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let tls = match file.tls_server_config {
            Some(tls) => Some(tls_acceptor(&base.join(&tls.cert_file), &base.join(&tls.key_file))?),
            None => None,
        };
        let auth = if file.basic_auth_users.is_empty() {
            None
        } else {
            for (user, hash) in &file.basic_auth_users {
                if hash.parse::<bcrypt::HashParts>().is_err() {
                    return Err(WebConfigError::BadHash(user.clone()));
                }
            }
            let users = file.basic_auth_users;
            Some(BasicAuth::new(users).map_err(|e| WebConfigError::BadHash(format!("(dummy hash: {e})")))?)
        };
        Ok(WebConfig { tls, auth })
    }
}

fn tls_acceptor(cert_file: &Path, key_file: &Path) -> Result<tokio_rustls::TlsAcceptor, WebConfigError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert_file).and_then(|iter| iter.collect()).map_err(|e| {
            WebConfigError::Tls(cert_file.to_path_buf(), format!("cannot read certificates: {e}"))
        })?;
    if certs.is_empty() {
        return Err(WebConfigError::Tls(cert_file.to_path_buf(), "no certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        WebConfigError::Tls(key_file.to_path_buf(), format!("cannot read the private key: {e}"))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| WebConfigError::Tls(cert_file.to_path_buf(), e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_hashes_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("web.yml");
        std::fs::write(&path, "basic_auth_user:\n  a: b\n").expect("write");
        let err = WebConfig::load(&path).err().expect("unknown key").to_string();
        assert!(err.contains("basic_auth_user"), "{err}");
        std::fs::write(&path, "basic_auth_users:\n  alice: plaintext\n").expect("write");
        let err = WebConfig::load(&path).err().expect("bad hash").to_string();
        assert!(err.contains("basic_auth_users.alice"), "{err}");
        std::fs::write(&path, "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n")
            .expect("write");
        let err = WebConfig::load(&path).err().expect("missing cert").to_string();
        assert!(err.contains("missing.crt"), "{err}");
    }
}
