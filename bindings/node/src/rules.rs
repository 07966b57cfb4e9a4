//! Log -> metrics rules for JavaScript: `LogRules` turns parsed lines into counter, gauge and histogram
//! updates in a `Registry`, with the exporter's `[[metrics]]` config keys. Lines are parsed and
//! applied in Rust, so no record object is built in JavaScript.

use napi::bindgen_prelude::{Buffer, ClassInstance, Either};
use napi::Env;
use napi_derive::napi;
use srekit::error::codes::CONFIG_INVALID;
use srekit::logs::config::RuleConfig;
use srekit::logs::rules::{RuleSet, Selection};
use std::cell::RefCell;

use crate::errors::{coded_error, invalid_arg, JsErrorCode};
use crate::js::{Js, RawValue};
use crate::logs::{JsParser, JsRecordFeed};
use crate::registry::JsRegistry;

/// Log -> metrics rules bound to a registry.
#[napi(js_name = "LogRules")]
pub struct JsLogRules {
    rules: RefCell<RuleSet>,
    selection: Selection,
}

#[napi]
impl JsLogRules {
    /// Registers the rules' metrics (and srekit's per-rule drop / skip counters) in `registry`.
    /// `rulesJson` is the JSON text of an array of rule tables with the exporter's config keys
    /// (`name`, `help`, `kind`, `inputs`, `labels`, `match`, `exclude`, `value`, `scale`, `buckets`,
    /// `exemplar`, `max_series`, `max_label_value_length`, `max_series_bytes`); `input` names the input the lines come from (for `inputs`).
    #[napi(constructor)]
    pub fn new(
        registry: &JsRegistry,
        rules_json: String,
        input: Option<String>,
    ) -> napi::Result<Self, JsErrorCode> {
        let configs: Vec<RuleConfig> = serde_json::from_str(&rules_json)
            .map_err(|err| coded_error(CONFIG_INVALID, format!("invalid rules: {err}")))?;
        let rules = RuleSet::new(&configs, registry.core())
            .map_err(|err| coded_error(CONFIG_INVALID, format!("invalid rules: {err}")))?;
        let selection = rules.selection(input.as_deref().unwrap_or("app"));
        Ok(JsLogRules { rules: RefCell::new(rules), selection })
    }

    /// Number of rules.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.rules.borrow().len() as u32
    }

    /// Parses every line of `data` with `parser` and applies the rules to each record. Returns
    /// `{ records, errors }`: the number of records applied and the lines that did not parse.
    #[napi(ts_return_type = "{ records: number; errors: LineErrorInfo[] }")]
    pub fn apply_lines(
        &self,
        env: Env,
        parser: ClassInstance<JsParser>,
        data: Either<String, Buffer>,
    ) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        let bytes = match &data {
            Either::A(text) => text.as_bytes(),
            Either::B(buffer) => buffer,
        };
        let mut rules =
            self.rules.try_borrow_mut().map_err(|_| invalid_arg("LogRules is already applying lines"))?;
        let mut records = 0u64;
        let mut errors = Vec::new();
        parser.core().parse_many_ref(bytes, |line_no, parsed| match parsed {
            Ok(record) => {
                rules.apply(&self.selection, record);
                records += 1;
            }
            Err(err) => errors.push((line_no, err.offset, err.to_string())),
        });
        applied(js, records, &errors)
    }

    /// Parses the next `chunk` of a stream through `feed` (a framed parser's `RecordFeed`, which keeps
    /// the lines being joined between chunks; `null` ends the stream) and applies the rules to each
    /// record. Returns `{ records, errors }` as `applyLines`, error lines counted from the stream's start.
    #[napi(
        ts_args_type = "feed: RecordFeed, chunk: Buffer | null",
        ts_return_type = "{ records: number; errors: LineErrorInfo[] }"
    )]
    pub fn apply_feed(
        &self,
        env: Env,
        feed: ClassInstance<JsRecordFeed>,
        chunk: Option<Buffer>,
    ) -> napi::Result<RawValue> {
        let mut rules =
            self.rules.try_borrow_mut().map_err(|_| invalid_arg("LogRules is already applying lines"))?;
        let items = feed.parse_owned(chunk.as_deref())?;
        let mut records = 0u64;
        let mut errors = Vec::new();
        for (line, result) in &items {
            match result {
                Ok(record) => {
                    rules.apply(&self.selection, record);
                    records += 1;
                }
                Err(err) => {
                    errors.push((usize::try_from(*line).unwrap_or(usize::MAX), err.offset, err.to_string()))
                }
            }
        }
        applied(Js::new(&env), records, &errors)
    }
}

/// `{ records, errors }`: the records applied, and `{ line, offset, message }` of each bad line.
fn applied(js: Js, records: u64, errors: &[(usize, usize, String)]) -> napi::Result<RawValue> {
    let out = js.object()?;
    js.set(out, js.string("records")?, js.number(records as f64)?)?;
    let list = js.array(errors.len())?;
    let (line_key, offset_key, message_key) =
        (js.string("line")?, js.string("offset")?, js.string("message")?);
    for (index, (line, offset, message)) in errors.iter().enumerate() {
        let error = js.object()?;
        js.set(error, line_key, js.number(*line as f64)?)?;
        js.set(error, offset_key, js.number(*offset as f64)?)?;
        js.set(error, message_key, js.string(message)?)?;
        js.set_index(list, index, error)?;
    }
    js.set(out, js.string("errors")?, list)?;
    Ok(RawValue(out))
}
