//! TLS and basic auth end to end: a self-signed certificate generated here, a web config file like
//! Prometheus' exporter toolkit reads, a rustls client, and a real Prometheus scraping over TLS with
//! basic auth.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::*;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

struct TlsSetup {
    dir: tempfile::TempDir,
    cert_pem: String,
}

fn tls_setup() -> TlsSetup {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = certified.cert.pem();
    std::fs::write(dir.path().join("server.crt"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("server.key"), certified.signing_key.serialize_pem()).unwrap();
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    // Relative paths: resolved against the web config's directory.
    let web = format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {hash}\n"
    );
    std::fs::write(dir.path().join("web.yml"), web).unwrap();
    TlsSetup { dir, cert_pem }
}

/// GET over TLS, trusting only `cert_pem`; returns status and body.
fn https_get(
    port: u16,
    cert_pem: &str,
    path: &str,
    auth: Option<(&str, &str)>,
) -> std::io::Result<(u16, String)> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port))?;
    socket.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n");
    if let Some((user, password)) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    tls.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw); // a close without close_notify is fine for HTTP/1.0
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

fn start_tls_exporter(setup: &TlsSetup) -> (Process, u16) {
    let web = setup.dir.path().join("web.yml");
    let (process, port) = spawn_exporter(&[&format!("--web.config.file={}", web.display())]);
    wait_until(Duration::from_secs(20), || {
        https_get(port, &setup.cert_pem, "/healthz", None).map(|(s, _)| s == 200).unwrap_or(false)
    })
    .expect("exporter answers /healthz over TLS");
    (process, port)
}

#[test]
fn tls_with_basic_auth() {
    let setup = tls_setup();
    let (_exporter, port) = start_tls_exporter(&setup);
    let (status, body) =
        https_get(port, &setup.cert_pem, "/metrics", Some(("prometheus", "s3cret"))).unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("node_cpu_seconds_total"));
    assert_eq!(https_get(port, &setup.cert_pem, "/metrics", Some(("prometheus", "wrong"))).unwrap().0, 401);
    assert_eq!(https_get(port, &setup.cert_pem, "/metrics", Some(("nobody", "s3cret"))).unwrap().0, 401);
    assert_eq!(https_get(port, &setup.cert_pem, "/metrics", None).unwrap().0, 401);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = http_get(port, "/metrics", &[]);
    assert!(plain.map(|r| r.status != 200).unwrap_or(true), "plain HTTP must not be served on a TLS port");
}

#[test]
fn bad_web_config_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(&web, "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n").unwrap();
    let out = std::process::Command::new(exporter_binary())
        .args(["--web.listen-address=127.0.0.1:0", &format!("--web.config.file={}", web.display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.crt"));
}

#[test]
fn prometheus_scrapes_over_tls_with_basic_auth() {
    let setup = tls_setup();
    let (_exporter, port) = start_tls_exporter(&setup);
    let ca = setup.dir.path().join("server.crt");
    let extra = format!(
        "    scheme: https\n    tls_config:\n      ca_file: {}\n      server_name: localhost\n    basic_auth:\n      username: prometheus\n      password: s3cret\n",
        Path::new(&ca).display()
    );
    let prometheus = Prometheus::start(&[port], &extra);
    prometheus.wait_for("up{job=\"srekit\"}", Duration::from_secs(60), |v| v == 1.0);
    prometheus.wait_for("count(node_cpu_seconds_total)", Duration::from_secs(30), |v| v > 0.0);
}

/// A certificate renewed on disk is served after SIGHUP (the web config file is re-read), as
/// exporter-toolkit reloads its certificates; a client trusting only the old one is refused then.
#[test]
fn a_reload_serves_the_renewed_certificate() {
    let setup = tls_setup();
    let web = setup.dir.path().join("web.yml");
    let (mut exporter, port) = spawn_exporter(&[
        "--collector.disable-defaults",
        "--collector.loadavg",
        &format!("--web.config.file={}", web.display()),
    ]);
    wait_until(Duration::from_secs(20), || {
        https_get(port, &setup.cert_pem, "/healthz", None).map(|(s, _)| s == 200).unwrap_or(false)
    })
    .expect("exporter answers /healthz over TLS");
    let auth = Some(("prometheus", "s3cret"));
    let (status, body) = https_get(port, &setup.cert_pem, "/metrics", auth).unwrap();
    assert_eq!(status, 200);
    let not_after = |body: &str| {
        body.lines().find(|l| l.starts_with("srekit_exporter_tls_cert_not_after_seconds ")).map(str::to_owned)
    };
    let before = not_after(&body).expect("the certificate's end is exported");

    // Renew: a new key and certificate (valid for another span) written over the old files.
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let renewed = params.self_signed(&key).unwrap();
    std::fs::write(setup.dir.path().join("server.crt"), renewed.pem()).unwrap();
    std::fs::write(setup.dir.path().join("server.key"), key.serialize_pem()).unwrap();
    // Not in force before the reload.
    assert_eq!(https_get(port, &setup.cert_pem, "/healthz", None).unwrap().0, 200);

    let pid = exporter.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_until(Duration::from_secs(20), || {
        https_get(port, &renewed.pem(), "/healthz", None).map(|(s, _)| s == 200).unwrap_or(false)
    })
    .unwrap_or_else(|e| panic!("the renewed certificate is served after SIGHUP: {e}"));
    let old = https_get(port, &setup.cert_pem, "/healthz", None);
    assert!(old.map(|(s, _)| s != 200).unwrap_or(true), "the old certificate is no longer served");
    let (status, body) = https_get(port, &renewed.pem(), "/metrics", auth).unwrap();
    assert_eq!(status, 200);
    let after = not_after(&body).expect("still exported");
    assert_ne!(before, after);
    assert!(after.ends_with(" 4.0709088e+09"), "{after}");
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
}
