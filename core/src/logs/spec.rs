//! [`ParserSpec`]: how a parser is described wherever users describe one (the exporter's `[[inputs]]`
//! and `parse` flags, Python's `Parser(...)`, Node's `new Parser(...)`), validated in one place and
//! built into a [`Parser`]; and [`ParserCache`], a small bounded cache of built parsers keyed by spec
//! (for one-line helpers such as `parse_regex` that would otherwise compile a regex per call).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::container::ContainerFormat;
use super::error::LogError;
use super::multiline::MultilineSpec;
use super::parser::{LogFormat, Parser, ParserOptions};
use super::split::DEFAULT_MAX_LINE_LENGTH;

/// Every format name a spec accepts, as error messages list them.
pub const FORMAT_NAMES: &str =
    "logfmt, ltsv, json, regex, nginx, nginx-common, apache, apache-common, syslog-rfc3164, syslog-rfc5424, raw";

/// A parser as users write it: a format name plus options, with the same names in TOML, Python
/// (keyword arguments) and Node (the camelCase of each name). Unknown keys are refused.
///
/// `regex` holds the pattern of `format = "regex"`, or the name of a preset (`nginx`, `apache`,
/// `syslog-rfc5424`, ...), which is accepted wherever a regex is. Later settings (container envelope,
/// multi-line) are added here as optional fields, so every place that builds a parser gets them.
///
/// ```
/// use srekit::logs::ParserSpec;
///
/// let spec: ParserSpec = toml::from_str("format = \"logfmt\"\ntypes = { status = \"int\" }").unwrap();
/// let parser = spec.build().unwrap();
/// assert_eq!(parser.parse(b"status=200").unwrap().get("status").and_then(|v| v.as_f64()), Some(200.0));
///
/// let bad = ParserSpec { regex: Some("^(?<a>.)$".into()), ..ParserSpec::new("json") };
/// assert_eq!(bad.build().unwrap_err().to_string(), "`regex` is only used with format \"regex\" (the format is \"json\")");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParserSpec {
    /// `logfmt` (default), `ltsv`, `json`, `regex` (with `regex`), or a preset: `nginx`,
    /// `nginx-common`, `apache`, `apache-common`, `syslog-rfc3164`, `syslog-rfc5424`.
    #[serde(default = "default_format")]
    pub format: String,
    /// The pattern (named groups become fields) or a preset name, for `format = "regex"`.
    #[serde(default)]
    pub regex: Option<String>,
    /// Field types: `field = "int" | "float" | "bool" | "string"` (Fluent Bit's `Types`).
    #[serde(default)]
    pub types: BTreeMap<String, String>,
    /// The field holding the record's time (presets default to `time`).
    #[serde(default)]
    pub time_key: Option<String>,
    /// strptime-style format of `time_key`; RFC 3339 or epoch seconds when absent.
    #[serde(default)]
    pub time_format: Option<String>,
    /// Replace invalid UTF-8 with U+FFFD instead of rejecting the line.
    #[serde(default)]
    pub lossy_utf8: bool,
    /// Longest line in bytes (default 1 MiB); longer lines are skipped and reported.
    #[serde(default = "default_max_line_length")]
    pub max_line_length: usize,
    /// The container runtime's envelope: `cri`, `docker` or `auto` (decided per file from its first
    /// line). Records get the fields `stream` and `time` besides the payload's.
    #[serde(default)]
    pub container: Option<String>,
    /// Multi-line grouping (TOML `[inputs.multiline]`), after the envelope is unwrapped.
    #[serde(default)]
    pub multiline: Option<MultilineSpec>,
}

impl Default for ParserSpec {
    fn default() -> Self {
        ParserSpec::new("logfmt")
    }
}

impl ParserSpec {
    /// A spec for `format` with every option at its default.
    ///
    /// ```
    /// let spec = srekit::logs::ParserSpec::new("ltsv");
    /// assert_eq!((spec.format.as_str(), spec.max_line_length), ("ltsv", 1 << 20));
    /// ```
    pub fn new(format: impl Into<String>) -> ParserSpec {
        ParserSpec {
            format: format.into(),
            regex: None,
            types: BTreeMap::new(),
            time_key: None,
            time_format: None,
            lossy_utf8: false,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            container: None,
            multiline: None,
        }
    }

    /// The spec of a one-line regex helper: a preset name (`nginx`, `syslog-rfc5424`, ...) or a
    /// pattern with named groups.
    ///
    /// ```
    /// use srekit::logs::ParserSpec;
    /// assert_eq!(ParserSpec::regex("nginx").build().unwrap().options().format.name(), "nginx");
    /// assert_eq!(ParserSpec::regex("^(?<a>.)$").build().unwrap().options().format.name(), "regex");
    /// ```
    pub fn regex(pattern_or_preset: impl Into<String>) -> ParserSpec {
        ParserSpec { regex: Some(pattern_or_preset.into()), ..ParserSpec::new("regex") }
    }

    /// The log format the spec names, checked: an unknown name, `regex` without a pattern, or a
    /// pattern with another format is an error. A preset name given as the regex is that preset.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, ParserSpec};
    /// assert_eq!(ParserSpec::regex("apache").log_format().unwrap(), LogFormat::Apache);
    /// assert!(ParserSpec::new("regex").log_format().unwrap_err().to_string().contains("needs `regex`"));
    /// assert!(ParserSpec::new("xml").log_format().unwrap_err().to_string().contains("regex"));
    /// ```
    pub fn log_format(&self) -> Result<LogFormat, LogError> {
        match (self.format.as_str(), &self.regex) {
            ("regex", Some(pattern)) => Ok(LogFormat::from_name(pattern)
                .filter(|preset| preset.pattern().is_some())
                .unwrap_or_else(|| LogFormat::Regex(pattern.clone()))),
            ("regex", None) => Err(LogError::MissingRegex),
            (name, regex) => {
                let format =
                    LogFormat::from_name(name).ok_or_else(|| LogError::UnknownFormat(name.to_owned()))?;
                match regex {
                    Some(_) => Err(LogError::RegexWithoutRegexFormat(name.to_owned())),
                    None => Ok(format),
                }
            }
        }
    }

    /// The checked [`ParserOptions`] (format, types, time, UTF-8 policy, line limit).
    ///
    /// ```
    /// let mut spec = srekit::logs::ParserSpec::new("json");
    /// spec.types.insert("status".into(), "decimal".into());
    /// assert!(spec.options().unwrap_err().to_string().starts_with("unknown field type \"decimal\""));
    /// ```
    pub fn options(&self) -> Result<ParserOptions, LogError> {
        let mut options = ParserOptions::new(self.log_format()?);
        for (field, type_name) in &self.types {
            options.set_type(field, type_name)?;
        }
        options.time_key = self.time_key.clone();
        options.time_format = self.time_format.clone();
        options.lossy_utf8 = self.lossy_utf8;
        options.max_line_length = self.max_line_length;
        options.container = match &self.container {
            Some(name) => Some(
                ContainerFormat::from_name(name).ok_or_else(|| LogError::UnknownContainer(name.clone()))?,
            ),
            None => None,
        };
        options.multiline = self.multiline.clone();
        Ok(options)
    }

    /// Builds the parser (compiling its regex and time format).
    ///
    /// ```
    /// let spec = srekit::logs::ParserSpec { max_line_length: 0, ..Default::default() };
    /// assert_eq!(spec.build().unwrap_err().to_string(), "max_line_length must be at least 1");
    /// ```
    pub fn build(&self) -> Result<Parser, LogError> {
        Parser::new(self.options()?)
    }
}

fn default_format() -> String {
    "logfmt".to_owned()
}

fn default_max_line_length() -> usize {
    DEFAULT_MAX_LINE_LENGTH
}

/// Built parsers kept by a [`ParserCache`] unless another size is given.
pub const PARSER_CACHE_SIZE: usize = 64;

/// A bounded cache of built parsers keyed by their spec: the oldest entry goes when it is full.
/// Specs that fail to build are not kept. [`ParserCache::shared`] is the process-wide one the
/// bindings' one-line helpers use.
///
/// ```
/// use srekit::logs::{ParserCache, ParserSpec};
///
/// let cache = ParserCache::new(2);
/// let first = cache.get(&ParserSpec::regex("nginx")).unwrap();
/// let again = cache.get(&ParserSpec::regex("nginx")).unwrap();
/// assert!(std::sync::Arc::ptr_eq(&first, &again));
/// cache.get(&ParserSpec::new("json")).unwrap();
/// cache.get(&ParserSpec::new("ltsv")).unwrap(); // evicts the nginx parser
/// assert_eq!(cache.len(), 2);
/// assert!(!std::sync::Arc::ptr_eq(&first, &cache.get(&ParserSpec::regex("nginx")).unwrap()));
/// assert!(cache.get(&ParserSpec::regex("(")).is_err());
/// ```
#[derive(Debug)]
pub struct ParserCache {
    capacity: usize,
    entries: Mutex<CacheEntries>,
}

#[derive(Debug, Default)]
struct CacheEntries {
    parsers: HashMap<ParserSpec, Arc<Parser>>,
    /// Keys in insertion order, oldest first.
    order: VecDeque<ParserSpec>,
}

impl ParserCache {
    /// A cache of at most `capacity` parsers (at least one).
    ///
    /// ```
    /// assert!(srekit::logs::ParserCache::new(8).is_empty());
    /// ```
    pub fn new(capacity: usize) -> ParserCache {
        ParserCache { capacity: capacity.max(1), entries: Mutex::new(CacheEntries::default()) }
    }

    /// The process-wide cache ([`PARSER_CACHE_SIZE`] parsers).
    ///
    /// ```
    /// let parser = srekit::logs::ParserCache::shared().get(&srekit::logs::ParserSpec::new("logfmt")).unwrap();
    /// assert!(parser.parse(b"a=1").is_ok());
    /// ```
    pub fn shared() -> &'static ParserCache {
        static SHARED: OnceLock<ParserCache> = OnceLock::new();
        SHARED.get_or_init(|| ParserCache::new(PARSER_CACHE_SIZE))
    }

    /// The parser for `spec`, built (and kept) on first use.
    ///
    /// ```
    /// let cache = srekit::logs::ParserCache::new(4);
    /// assert!(cache.get(&srekit::logs::ParserSpec::new("xml")).is_err());
    /// assert!(cache.is_empty());
    /// ```
    pub fn get(&self, spec: &ParserSpec) -> Result<Arc<Parser>, LogError> {
        if let Ok(entries) = self.entries.lock() {
            if let Some(parser) = entries.parsers.get(spec) {
                return Ok(Arc::clone(parser));
            }
        }
        let parser = Arc::new(spec.build()?);
        if let Ok(mut entries) = self.entries.lock() {
            if !entries.parsers.contains_key(spec) {
                while entries.order.len() >= self.capacity {
                    if let Some(oldest) = entries.order.pop_front() {
                        entries.parsers.remove(&oldest);
                    }
                }
                entries.order.push_back(spec.clone());
                entries.parsers.insert(spec.clone(), Arc::clone(&parser));
            }
        }
        Ok(parser)
    }

    /// Number of parsers kept.
    ///
    /// ```
    /// assert_eq!(srekit::logs::ParserCache::new(1).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.parsers.len())
    }

    /// Whether no parser is kept.
    ///
    /// ```
    /// assert!(srekit::logs::ParserCache::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
