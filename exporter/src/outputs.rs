//! `[[outputs]]` of the config file: Prometheus remote write and OTLP pushes, each through a disk
//! queue (crate `srekit-push`). This module reads and checks the settings (a bad URL, a missing
//! password file or an unreadable CA is an error naming the output and the key) and turns them into
//! running outputs; the queue, sender and encoders live in `srekit-push` and the core.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use srekit_push::{Auth, Endpoint, Kind, Output, QueueOptions, TlsOptions};

/// One `[[outputs]]` table, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// `remote_write` or `otlp`.
    pub kind: OutputKind,
    /// Where to post (`.../api/v1/write`, `.../v1/metrics`).
    pub url: String,
    /// Its name in the self metrics (default: the kind, numbered when several share it).
    pub name: Option<String>,
    /// How often to collect and push (default 15s).
    pub interval: Option<String>,
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub basic_auth: Option<BasicAuthConfig>,
    pub bearer_token_file: Option<PathBuf>,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Per request (default 10s).
    pub timeout: Option<String>,
    /// OTLP: gzip the body (default true).
    pub gzip: Option<bool>,
    /// Remote write: samples per request at most (default 2000).
    pub max_samples_per_request: Option<usize>,
    /// Parallel senders, each series always through the same one (default 1).
    pub max_shards: Option<usize>,
    #[serde(default)]
    pub queue: QueueConfig,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    RemoteWrite,
    Otlp,
}

impl OutputKind {
    fn as_str(self) -> &'static str {
        match self {
            OutputKind::RemoteWrite => "remote_write",
            OutputKind::Otlp => "otlp",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthConfig {
    pub username: String,
    pub password_file: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// `[outputs.queue]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Default: `<[state].directory>/queue/<output name>`.
    pub directory: Option<PathBuf>,
    /// Default 256MiB.
    pub max_bytes: Option<String>,
    /// Default 24h.
    pub max_age: Option<String>,
}

/// A size such as `256MiB`, `1GB`, `4096` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a size (e.g. 256MiB, 1GB, 4096)"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        "tb" => 1_000_000_000_000,
        "tib" | "t" => 1 << 40,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)")),
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(bytes as u64)
}

/// The host name, for `instance` and `host.name`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn duration(key: &str, value: Option<&str>, default: Duration) -> Result<Duration, String> {
    match value {
        Some(text) => crate::flag_values::duration(text).map_err(|e| format!("{key}: {e}")),
        None => Ok(default),
    }
}

/// The outputs' names: `name`, or the kind, numbered from 1 when several outputs share a kind.
fn names(configs: &[OutputConfig]) -> Vec<String> {
    configs
        .iter()
        .enumerate()
        .map(|(i, config)| {
            if let Some(name) = &config.name {
                return name.clone();
            }
            let kind = config.kind.as_str();
            let same = configs.iter().filter(|c| c.name.is_none() && c.kind == config.kind).count();
            if same == 1 {
                kind.to_owned()
            } else {
                let n = configs[..=i].iter().filter(|c| c.name.is_none() && c.kind == config.kind).count();
                format!("{kind}-{n}")
            }
        })
        .collect()
}

/// Builds every output: reads password, token, CA and key files, parses URL, durations and sizes.
/// Errors name the output (`[[outputs]] #N (name)`) and the key.
pub fn build(configs: &[OutputConfig], state_directory: Option<&Path>) -> Result<Vec<Output>, String> {
    let names = names(configs);
    let host = host_name();
    let mut seen = std::collections::BTreeSet::new();
    let mut outputs = Vec::with_capacity(configs.len());
    for (i, (config, name)) in configs.iter().zip(&names).enumerate() {
        let whereabouts = format!("[[outputs]] #{} ({name})", i + 1);
        if !seen.insert(name.clone()) {
            return Err(format!("{whereabouts}: another output has the name {name:?}"));
        }
        outputs.push(
            build_one(config, name, &host, state_directory).map_err(|e| format!("{whereabouts}: {e}"))?,
        );
    }
    Ok(outputs)
}

fn build_one(config: &OutputConfig, name: &str, host: &str, state: Option<&Path>) -> Result<Output, String> {
    let headers: Vec<(String, String)> = config.headers.clone().into_iter().collect();
    let auth = match (&config.basic_auth, &config.bearer_token_file) {
        (Some(_), Some(_)) => return Err("basic_auth and bearer_token_file: use one".into()),
        (Some(auth), None) => {
            Some(Auth::Basic { username: auth.username.clone(), password_file: auth.password_file.clone() })
        }
        (None, Some(path)) => Some(Auth::Bearer { token_file: path.clone() }),
        (None, None) => None,
    };
    let tls = TlsOptions {
        ca_file: config.tls.ca_file.clone(),
        cert_file: config.tls.cert_file.clone(),
        key_file: config.tls.key_file.clone(),
        insecure_skip_verify: config.tls.insecure_skip_verify,
    };
    let timeout = duration("timeout", config.timeout.as_deref(), Duration::from_secs(10))?;
    let mut endpoint = Endpoint::new(&config.url, &headers, &tls, timeout).map_err(|e| e.to_string())?;
    if let Some(auth) = auth {
        // Read now, so `check` and start-up name a missing file; read again whenever it changes.
        endpoint = endpoint.with_auth(auth).map_err(|e| e.to_string())?;
    }
    let interval = duration("interval", config.interval.as_deref(), Duration::from_secs(15))?;
    let directory = match (&config.queue.directory, state) {
        (Some(dir), _) => dir.clone(),
        (None, Some(state)) => state.join("queue").join(name),
        (None, None) => return Err("queue.directory is needed when there is no [state] directory".into()),
    };
    let mut queue = QueueOptions::new(directory);
    if let Some(size) = &config.queue.max_bytes {
        queue.max_bytes = parse_size(size).map_err(|e| format!("queue.max_bytes: {e}"))?;
    }
    queue.max_age = duration("queue.max_age", config.queue.max_age.as_deref(), queue.max_age)?;
    queue.segment_bytes = (queue.max_bytes / 8).clamp(4096, 8 << 20);
    let mut external_labels: Vec<(String, String)> = config.external_labels.clone().into_iter().collect();
    let mut resource = vec![
        ("service.name".to_owned(), "srekit-exporter".to_owned()),
        ("host.name".to_owned(), host.to_owned()),
    ];
    resource.extend(external_labels.iter().cloned());
    for (label, default) in [("instance", host), ("job", "srekit")] {
        if !config.external_labels.contains_key(label) {
            external_labels.push((label.to_owned(), default.to_owned()));
        }
    }
    for (label, _) in &external_labels {
        if !srekit::metrics::is_valid_label_name(label) {
            return Err(format!("external_labels: {label:?} is not a valid label name"));
        }
    }
    Ok(Output {
        name: name.to_owned(),
        kind: match config.kind {
            OutputKind::RemoteWrite => Kind::RemoteWrite,
            OutputKind::Otlp => Kind::Otlp,
        },
        endpoint,
        interval,
        external_labels,
        resource,
        gzip: config.gzip.unwrap_or(true),
        queue,
        max_samples_per_request: config.max_samples_per_request.unwrap_or(2000).max(1),
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(5),
        shards: config.max_shards.unwrap_or(1).clamp(1, 64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<OutputConfig> {
        #[derive(Deserialize)]
        struct File {
            outputs: Vec<OutputConfig>,
        }
        toml::from_str::<File>(text).expect("parses").outputs
    }

    #[test]
    fn the_issue_example_parses_and_builds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret\n").expect("write");
        let text = format!(
            r#"
[[outputs]]
kind = "remote_write"
url = "http://prom.example:9090/api/v1/write"
interval = "15s"
external_labels = {{ cluster = "prod" }}
headers = {{ "X-Scope-OrgID" = "tenant-1" }}
basic_auth = {{ username = "u", password_file = "{}" }}
tls = {{ insecure_skip_verify = false }}
timeout = "10s"
[outputs.queue]
max_bytes = "256MiB"
max_age = "24h"

[[outputs]]
kind = "otlp"
url = "http://otel.example:4318/v1/metrics"
"#,
            pw.display()
        );
        let outputs = build(&parse(&text), Some(dir.path())).expect("builds");
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs[0].name, "remote_write");
        assert_eq!(outputs[0].queue.max_bytes, 256 << 20);
        assert_eq!(outputs[0].queue.max_age, Duration::from_secs(24 * 3600));
        assert_eq!(outputs[0].queue.directory, dir.path().join("queue/remote_write"));
        let labels: BTreeMap<_, _> = outputs[0].external_labels.iter().cloned().collect();
        assert_eq!(labels.get("cluster").map(String::as_str), Some("prod"));
        assert_eq!(labels.get("job").map(String::as_str), Some("srekit"));
        assert_eq!(labels.get("instance"), Some(&host_name()));
        assert_eq!(outputs[1].name, "otlp");
        assert!(outputs[1].resource.contains(&("service.name".into(), "srekit-exporter".into())));
    }

    #[test]
    fn bad_settings_are_errors_naming_output_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("url = \"not a url\"", "url"),
            ("url = \"ftp://x/y\"", "http or https"),
            (
                "url = \"http://x/\"\nbasic_auth = { username = \"u\", password_file = \"/nonexistent/pw\" }",
                "/nonexistent/pw",
            ),
            (
                "url = \"https://x/\"\ntls = { ca_file = \"/nonexistent/ca.pem\" }",
                "tls.ca_file /nonexistent/ca.pem",
            ),
            ("url = \"http://x/\"\ninterval = \"0s\"", "interval"),
            ("url = \"http://x/\"\n[outputs.queue]\nmax_bytes = \"12 parsecs\"", "queue.max_bytes"),
        ];
        for (body, expected) in cases {
            let text = format!("[[outputs]]\nkind = \"remote_write\"\n{body}\n");
            let err = build(&parse(&text), Some(dir.path())).err().unwrap_or_default();
            assert!(err.starts_with("[[outputs]] #1 (remote_write): "), "{body}: {err}");
            assert!(err.contains(expected), "{body}: {err:?} lacks {expected:?}");
        }
        let no_state = parse("[[outputs]]\nkind = \"otlp\"\nurl = \"http://x/v1/metrics\"\n");
        assert!(build(&no_state, None).err().unwrap_or_default().contains("queue.directory"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1 furlong").is_err());
    }
}
