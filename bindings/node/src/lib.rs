//! napi-rs glue exposing the srekit core to Node as the npm package `srekit` (built from `node/`).
//!
//! Every function here is thin: convert the JavaScript arguments, call the core, convert the result,
//! map the error. Logic lives in the `srekit` crate. Modules:
//! - [`errors`]: turning core errors into thrown JavaScript `Error`s that carry offsets / positions;
//! - [`names`]: metric and label name helpers.

pub mod errors;
pub mod names;
