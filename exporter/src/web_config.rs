//! `--web.config.file`: TLS and basic auth configured like Prometheus' exporter web config (YAML with
//! `tls_server_config.cert_file` / `key_file` and `basic_auth_users` holding bcrypt hashes). Relative
//! file paths are resolved against the config file's directory, as the exporter toolkit does.
//! The server certificate's validity is read (x509-parser): an expired or not-yet-valid certificate is
//! warned about when loaded, and its end is exported as `srekit_exporter_tls_cert_not_after_seconds`.
//! [`LiveWeb`] holds the config in force: a reload (SIGHUP, `POST /-/reload`) re-reads the file and
//! swaps it, so new users, passwords and certificates apply to the next request and connection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use srekit::metrics::{GaugeVec, Registry};

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
#[derive(Clone)]
pub struct WebConfig {
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub auth: Option<BasicAuth>,
    /// The server certificate's validity, when TLS is configured.
    pub cert_validity: Option<CertValidity>,
}

/// When the server (leaf) certificate is valid, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertValidity {
    pub not_before: i64,
    pub not_after: i64,
}

impl CertValidity {
    /// Reads the validity of a DER certificate.
    fn of(cert: &CertificateDer<'_>) -> Result<CertValidity, String> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|e| format!("cannot parse the certificate: {e}"))?;
        let validity = parsed.validity();
        Ok(CertValidity {
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
        })
    }

    /// A warning when the certificate is not valid at `now` (Unix seconds).
    pub fn problem(&self, now: i64) -> Option<String> {
        if now > self.not_after {
            Some(format!("expired {} s ago (not after {})", now - self.not_after, self.not_after))
        } else if now < self.not_before {
            Some(format!(
                "not valid for another {} s (not before {})",
                self.not_before - now,
                self.not_before
            ))
        } else {
            None
        }
    }
}

/// The web config in force, read by the server for every connection (TLS) and request (basic auth)
/// and replaced by a reload; `srekit_exporter_tls_cert_not_after_seconds` follows the certificate
/// (registered with the first certificate; no series while TLS is off).
pub struct LiveWeb {
    current: RwLock<Arc<WebConfig>>,
    registry: Registry,
    cert_not_after: Mutex<Option<GaugeVec>>,
}

impl LiveWeb {
    /// Puts `web` in force, its certificate's end in `registry`.
    pub fn new(web: WebConfig, registry: &Registry) -> Result<LiveWeb, srekit::MetricError> {
        let live = LiveWeb {
            current: RwLock::new(Arc::new(WebConfig::none())),
            registry: registry.clone(),
            cert_not_after: Mutex::new(None),
        };
        live.replace(web)?;
        Ok(live)
    }

    /// The config in force now.
    pub fn current(&self) -> Arc<WebConfig> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Puts `web` in force from the next connection and request on (connections already open keep
    /// their TLS session). Fails only when the certificate gauge cannot be registered (its name is
    /// taken), and then changes nothing.
    pub fn replace(&self, web: WebConfig) -> Result<(), srekit::MetricError> {
        let mut gauge = self.cert_not_after.lock().unwrap_or_else(PoisonError::into_inner);
        match web.cert_validity {
            Some(validity) => {
                if gauge.is_none() {
                    *gauge = Some(self.registry.gauge(
                        "srekit_exporter_tls_cert_not_after_seconds",
                        "When the TLS server certificate expires (Unix seconds).",
                        &[],
                    )?);
                }
                if let Some(vec) = &*gauge {
                    vec.labels(&[])?.set(validity.not_after as f64);
                }
            }
            None => {
                if let Some(vec) = &*gauge {
                    vec.clear();
                }
            }
        }
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(web);
        Ok(())
    }
}

impl WebConfig {
    /// No TLS and no basic auth (no web config file).
    pub fn none() -> WebConfig {
        WebConfig { tls: None, auth: None, cert_validity: None }
    }

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
        let (tls, cert_validity) = match file.tls_server_config {
            Some(tls) => {
                let (acceptor, validity) =
                    tls_acceptor(&base.join(&tls.cert_file), &base.join(&tls.key_file))?;
                (Some(acceptor), Some(validity))
            }
            None => (None, None),
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
        Ok(WebConfig { tls, auth, cert_validity })
    }
}

fn tls_acceptor(
    cert_file: &Path,
    key_file: &Path,
) -> Result<(tokio_rustls::TlsAcceptor, CertValidity), WebConfigError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert_file).and_then(|iter| iter.collect()).map_err(|e| {
            WebConfigError::Tls(cert_file.to_path_buf(), format!("cannot read certificates: {e}"))
        })?;
    if certs.is_empty() {
        return Err(WebConfigError::Tls(cert_file.to_path_buf(), "no certificate found".into()));
    }
    let validity =
        CertValidity::of(&certs[0]).map_err(|e| WebConfigError::Tls(cert_file.to_path_buf(), e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if let Some(problem) = validity.problem(now) {
        log::warn!("TLS certificate {}: {problem}; clients will refuse it", cert_file.display());
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        WebConfigError::Tls(key_file.to_path_buf(), format!("cannot read the private key: {e}"))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| WebConfigError::Tls(cert_file.to_path_buf(), e.to_string()))?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), validity))
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

    #[test]
    fn an_expired_certificate_loads_with_its_validity_and_a_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        std::fs::write(dir.path().join("old.crt"), cert.pem()).expect("write");
        std::fs::write(dir.path().join("old.key"), key.serialize_pem()).expect("write");
        let path = dir.path().join("web.yml");
        std::fs::write(&path, "tls_server_config:\n  cert_file: old.crt\n  key_file: old.key\n")
            .expect("write");
        let web = WebConfig::load(&path).expect("an expired certificate still loads");
        let validity = web.cert_validity.expect("validity");
        assert_eq!(validity, CertValidity { not_before: 946_684_800, not_after: 978_307_200 });
        assert!(validity.problem(2_000_000_000).expect("expired").starts_with("expired"));
        assert!(validity.problem(900_000_000).expect("not yet").starts_with("not valid for another"));
        assert_eq!(validity.problem(960_000_000), None);
        let registry = srekit::metrics::Registry::new();
        let live = LiveWeb::new(web, &registry).expect("gauge");
        let text = registry.encode_to_string(srekit::expfmt::Format::Text);
        assert!(text.contains("srekit_exporter_tls_cert_not_after_seconds 9.783072e+08\n"), "{text}");
        // A reload without TLS: no certificate, no series.
        live.replace(WebConfig::none()).expect("replace");
        assert!(live.current().tls.is_none());
        let text = registry.encode_to_string(srekit::expfmt::Format::Text);
        assert!(
            !text.lines().any(|l| l.starts_with("srekit_exporter_tls_cert_not_after_seconds ")),
            "{text}"
        );
    }
}
