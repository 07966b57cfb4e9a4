//! napi-rs glue exposing the srekit core to Node as the npm package `srekit` (built from `node/`).
//!
//! Every function here is thin: convert the JavaScript arguments, call the core, convert the result,
//! map the error. Logic lives in the `srekit` crate. Modules:
//! - [`errors`]: turning core errors into thrown JavaScript `Error`s that carry offsets / positions;
//! - `js`: a small builder of JavaScript values over raw napi calls;
//! - [`families`]: the one conversion of metric families into JavaScript objects;
//! - [`names`]: metric and label name helpers;
//! - [`registry`]: the instrumentation registry and its metrics;
//! - [`expfmt`]: exposition text parsing, content types and negotiation;
//! - [`host`]: host collection, on the calling thread or off it (napi `AsyncTask`);
//! - [`logs`]: log parsers; `batch` hands many records to JavaScript in a few flat buffers, and
//!   `stream` parses a large input on a worker thread while JavaScript builds the objects (`logs`
//!   uses `stream`, `batch`, `input` and `values`; `stream` uses `batch` and `input`; `batch` uses
//!   `values`: no module imports one that imports it);
//! - [`columns`]: `parseColumns`, the core's Arrow columns as IPC stream bytes;
//! - [`rules`]: log -> metrics rules applied to parsed lines in Rust.
//!
//! The JavaScript half (buffered metric updates, `labels(...)`, building `parseMany`'s objects,
//! streaming, the prom-client bridge) is in `node/`.

mod batch;
pub mod columns;
pub mod errors;
pub mod expfmt;
pub mod families;
pub mod host;
mod input;
mod js;
pub mod logs;
pub mod names;
pub mod pipeline;
mod pool;
pub mod registry;
pub mod rules;
mod stream;
mod values;
