//! The HTTP side of an output: one keep-alive HTTP/1.1 connection (plain or rustls TLS) to the
//! receiver, a POST per queued body, and the answer classified for the retry policy: 2xx taken;
//! network errors, timeouts, 5xx and 429 retried (`Retry-After` honoured); other 4xx rejected, so the
//! body is dropped and counted rather than retried for ever.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::credentials::{Auth, Credentials};

/// An output whose endpoint cannot be set up; each names the setting or file at fault.
#[derive(Debug, Error)]
pub enum EndpointError {
    /// The URL does not parse or is not http(s) with a host.
    #[error("url {url:?}: {reason}")]
    Url {
        /// The URL as configured.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A header name or value is not allowed in HTTP.
    #[error("header {0:?}: not a valid HTTP header name and value")]
    Header(String),
    /// A file (CA, certificate, key, password, token) cannot be read or used.
    #[error("{what} {path}: {message}")]
    File {
        /// Which setting.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

/// TLS settings of an https endpoint.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// CA bundle (PEM) to verify the receiver with; the system bundle when absent.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// Client key (PEM).
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate (testing only).
    pub insecure_skip_verify: bool,
}

/// What became of one POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the receiver took it.
    Sent,
    /// Worth retrying (network error, timeout, 5xx, 429), after `after` when the receiver said.
    Retry {
        /// `Retry-After` (seconds or an HTTP-date), when the receiver gave it.
        after: Option<Duration>,
        /// Why, for the log.
        reason: String,
    },
    /// Another 4xx: the receiver will never take this body.
    Rejected {
        /// The status code.
        status: u16,
        /// The start of the response body, for the log.
        message: String,
    },
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A receiver's URL, headers and TLS, and the open connection to it.
pub struct Endpoint {
    uri: Uri,
    authority: String,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
    credentials: Option<Credentials>,
    connection: Option<SendRequest<Full<Bytes>>>,
}

impl Clone for Endpoint {
    /// The same settings, not connected yet.
    fn clone(&self) -> Endpoint {
        Endpoint {
            uri: self.uri.clone(),
            authority: self.authority.clone(),
            tls: self.tls.clone(),
            headers: self.headers.clone(),
            timeout: self.timeout,
            credentials: self.credentials.clone(),
            connection: None,
        }
    }
}

/// The most a CA, certificate or key file may hold (a bundle of every public CA is ~250 KiB).
pub const MAX_TLS_FILE_BYTES: u64 = 4 << 20;

/// Reads a TLS file (CA, certificate, key) of at most [`MAX_TLS_FILE_BYTES`]: a path pointing at
/// something endless (`/dev/zero`, a FIFO fed forever) is an error, not an unbounded read.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("ca.pem");
/// std::fs::write(&path, "pem").unwrap();
/// assert_eq!(srekit_push::sender::read_bounded(&path).unwrap(), b"pem");
/// assert!(srekit_push::sender::read_bounded(std::path::Path::new("/dev/zero")).is_err());
/// ```
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_TLS_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TLS_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_TLS_FILE_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

fn read_file(what: &'static str, path: &Path) -> Result<Vec<u8>, EndpointError> {
    read_bounded(path).map_err(|e| EndpointError::File {
        what,
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub use crate::credentials::read_secret;

fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, EndpointError> {
    let pem = read_file(what, path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(EndpointError::File {
            what,
            path: path.to_path_buf(),
            message: "no PEM certificate in it".into(),
        });
    }
    Ok(certs)
}

/// The system CA bundle's usual places.
const SYSTEM_CA_FILES: &[&str] = &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

fn tls_config(options: &TlsOptions) -> Result<rustls::ClientConfig, EndpointError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| EndpointError::File { what: "tls", path: PathBuf::new(), message: e.to_string() })?;
    let builder = if options.insecure_skip_verify {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(insecure::AcceptAny(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let files: Vec<PathBuf> = match &options.ca_file {
            Some(path) => vec![path.clone()],
            None => SYSTEM_CA_FILES.iter().map(PathBuf::from).filter(|p| p.exists()).take(1).collect(),
        };
        for path in &files {
            for cert in certificates("tls.ca_file", path)? {
                roots.add(cert).map_err(|e| EndpointError::File {
                    what: "tls.ca_file",
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&options.cert_file, &options.key_file) {
        (Some(cert), Some(key)) => {
            let chain = certificates("tls.cert_file", cert)?;
            let key_pem = read_file("tls.key_file", key)?;
            let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| EndpointError::File {
                what: "tls.key_file",
                path: key.clone(),
                message: e.to_string(),
            })?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| EndpointError::File {
                what: "tls.key_file",
                path: key.clone(),
                message: e.to_string(),
            })
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(path), None) | (None, Some(path)) => Err(EndpointError::File {
            what: "tls",
            path: path.clone(),
            message: "cert_file and key_file go together".into(),
        }),
    }
}

impl Endpoint {
    /// Checks the URL, headers and TLS files; connects lazily on the first [`post`](Self::post).
    ///
    /// ```
    /// use srekit_push::sender::{Endpoint, TlsOptions};
    /// use std::time::Duration;
    /// let ok = Endpoint::new("http://127.0.0.1:9090/api/v1/write", &[], &TlsOptions::default(), Duration::from_secs(5));
    /// assert!(ok.is_ok());
    /// let bad = Endpoint::new("ftp://x/", &[], &TlsOptions::default(), Duration::from_secs(5));
    /// assert!(bad.err().unwrap().to_string().contains("http or https"));
    /// ```
    pub fn new(
        url: &str,
        headers: &[(String, String)],
        tls: &TlsOptions,
        timeout: Duration,
    ) -> Result<Endpoint, EndpointError> {
        let bad = |reason: &str| EndpointError::Url { url: url.to_owned(), reason: reason.to_owned() };
        let uri: Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let bare_host = host.trim_start_matches('[').trim_end_matches(']');
        let authority =
            if bare_host.contains(':') { format!("[{bare_host}]:{port}") } else { format!("{host}:{port}") };
        let tls = if https {
            let name =
                ServerName::try_from(bare_host.to_owned()).map_err(|_| bad("not a valid TLS server name"))?;
            Some((tokio_rustls::TlsConnector::from(Arc::new(tls_config(tls)?)), name))
        } else {
            None
        };
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let header = || EndpointError::Header(name.clone());
                Ok((
                    HeaderName::from_bytes(name.as_bytes()).map_err(|_| header())?,
                    HeaderValue::from_str(value).map_err(|_| header())?,
                ))
            })
            .collect::<Result<_, EndpointError>>()?;
        Ok(Endpoint { uri, authority, tls, headers, timeout, credentials: None, connection: None })
    }

    /// Authenticates every request with `auth`, its file read now (an error names a missing,
    /// unreadable or oversized file) and again whenever it changes, so a rotated secret needs no
    /// restart.
    ///
    /// ```
    /// use srekit_push::credentials::Auth;
    /// use srekit_push::sender::{Endpoint, TlsOptions};
    /// let endpoint = Endpoint::new("http://127.0.0.1:9/", &[], &TlsOptions::default(), std::time::Duration::from_secs(1)).unwrap();
    /// let missing = Auth::Bearer { token_file: "/nonexistent/token".into() };
    /// let err = endpoint.with_auth(missing).err().unwrap();
    /// assert!(err.to_string().starts_with("bearer_token_file /nonexistent/token"), "{err}");
    /// ```
    pub fn with_auth(mut self, auth: Auth) -> Result<Endpoint, EndpointError> {
        self.credentials = Some(Credentials::new(auth)?);
        Ok(self)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| format!("connect {}: {e}", self.authority))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            Some((connector, name)) => Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS with {}: {e}", self.authority))?,
            ),
            None => Box::new(tcp),
        };
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP handshake with {}: {e}", self.authority))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// POSTs `body` with the endpoint's headers plus `extra` (content type and encoding), within the
    /// timeout, and classifies the answer.
    pub async fn post(&mut self, body: Bytes, extra: &[(HeaderName, HeaderValue)]) -> Outcome {
        match tokio::time::timeout(self.timeout, self.try_post(body, extra)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                self.connection = None;
                Outcome::Retry { after: None, reason: format!("no answer within {:?}", self.timeout) }
            }
        }
    }

    async fn try_post(&mut self, body: Bytes, extra: &[(HeaderName, HeaderValue)]) -> Outcome {
        let retry = |reason: String| Outcome::Retry { after: None, reason };
        let mut sender = match self.connection.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => match self.connect().await {
                Ok(sender) => sender,
                Err(reason) => return retry(reason),
            },
        };
        if sender.ready().await.is_err() {
            sender = match self.connect().await {
                Ok(sender) => sender,
                Err(reason) => return retry(reason),
            };
        }
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.path_and_query().map_or("/", |p| p.as_str()));
        request = request.header(hyper::header::HOST, self.uri.authority().map_or("", |a| a.as_str()));
        request =
            request.header(hyper::header::USER_AGENT, concat!("srekit-push/", env!("CARGO_PKG_VERSION")));
        for (name, value) in self.headers.iter().chain(extra) {
            request = request.header(name, value);
        }
        if let Some(credentials) = &mut self.credentials {
            request = request.header(hyper::header::AUTHORIZATION, credentials.current());
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => return Outcome::Rejected { status: 0, message: e.to_string() },
        };
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => return retry(format!("POST {}: {e}", self.uri)),
        };
        let status = response.status();
        let after = response
            .headers()
            .get(hyper::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let text = match response.into_body().collect().await {
            Ok(collected) => {
                let bytes = collected.to_bytes();
                String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).trim().to_owned()
            }
            Err(e) => return retry(format!("reading the answer of {}: {e}", self.uri)),
        };
        self.connection = Some(sender);
        if status.is_success() {
            Outcome::Sent
        } else if status.as_u16() == 429 || status.is_server_error() {
            Outcome::Retry { after, reason: format!("{} answered {status}: {text}", self.uri) }
        } else {
            Outcome::Rejected { status: status.as_u16(), message: text }
        }
    }
}

/// A `Retry-After` value as a delay from `now`: delay-seconds (`120`) or an HTTP-date
/// (`Fri, 31 Dec 1999 23:59:59 GMT`, also the obsolete RFC 850 and asctime forms); a date in the past
/// is no delay. None when it is neither.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use srekit_push::sender::retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(946_684_790); // 1999-12-31 23:59:50 UTC
/// assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(retry_after("Fri, 31 Dec 1999 23:59:59 GMT", now), Some(Duration::from_secs(9)));
/// assert_eq!(retry_after("Fri, 31 Dec 1999 23:00:00 GMT", now), Some(Duration::ZERO));
/// assert_eq!(retry_after("soon", now), None);
/// ```
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A certificate verifier that accepts any certificate (`insecure_skip_verify = true`).
mod insecure {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    pub struct AcceptAny(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
