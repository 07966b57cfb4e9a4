//! Exposition text helpers: `parseText` (text 0.0.4 / OpenMetrics into families), `contentType`,
//! `negotiate` (choose the format from an HTTP `Accept` header).

use napi::Env;
use napi_derive::napi;
use srekit::expfmt::{self, Format};

use crate::errors::{throw_error, ErrorPosition, JsErrorCode};
use crate::families::families_to_js;
use crate::js::{Js, RawValue};
use crate::registry::format_from_name;

/// Parses Prometheus text 0.0.4 (or OpenMetrics) into metric families. Throws an `Error` with
/// `line` and `column` properties on malformed input.
#[napi(ts_return_type = "MetricFamily[]")]
pub fn parse_text(env: Env, text: String) -> napi::Result<RawValue> {
    match expfmt::parse_text(&text) {
        Ok(families) => Ok(RawValue(families_to_js(Js::new(&env), &families)?)),
        Err(err) => {
            let position = ErrorPosition { line: Some(err.line), column: Some(err.column), offset: None };
            Err(throw_error(&env, &err, position))
        }
    }
}

/// The HTTP `Content-Type` of `format` (`'text'` by default, or `'openmetrics'`).
#[napi]
pub fn content_type(format: Option<String>) -> napi::Result<String, JsErrorCode> {
    Ok(format_from_name(format)?.content_type().to_string())
}

/// The format Prometheus would get for this `Accept` header: `'openmetrics'` or `'text'`.
#[napi]
pub fn negotiate(accept: String) -> &'static str {
    match expfmt::negotiate(&accept) {
        Format::OpenMetrics => "openmetrics",
        Format::Text => "text",
    }
}
