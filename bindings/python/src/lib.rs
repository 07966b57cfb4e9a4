//! The `srekit._srekit` native module: pyo3 glue only. Each submodule converts Python arguments,
//! calls the srekit core, converts the result back and maps core errors to Python exceptions.

use pyo3::prelude::*;

mod columns;
mod errors;
mod expfmt;
mod families;
mod host;
mod input;
mod logs;
mod names;
mod pipeline;
mod records;
mod registry;
mod rules;

/// The native module imported as `srekit._srekit`; `srekit/__init__.py` re-exports its items.
#[pymodule]
fn _srekit(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(module)?;
    names::register(module)?;
    registry::register(module)?;
    expfmt::register(module)?;
    host::register(module)?;
    logs::register(module)?;
    columns::register(module)?;
    rules::register(module)?;
    pipeline::register(module)?;
    Ok(())
}
