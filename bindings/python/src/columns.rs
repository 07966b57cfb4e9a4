//! `LogColumns`, what `Parser.parse_arrow` returns: the core's columnar batch
//! (`srekit::logs::columnar`) handed to Arrow consumers through the Arrow PyCapsule interface
//! (`__arrow_c_stream__`, `__arrow_c_schema__`, `__arrow_c_array__`), so `pyarrow.table(x)`,
//! `polars.DataFrame(x)` and others take it without copying. The C structs are arrow-rs's FFI types;
//! this file only puts them in capsules.

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList, PyTuple};
use srekit::error::codes::LOG_IO;

use crate::errors::coded_error;

/// Parsed lines as Arrow columns, and the lines that did not parse.
#[pyclass(module = "srekit._srekit", name = "LogColumns", frozen)]
pub(crate) struct PyLogColumns {
    batch: RecordBatch,
    errors: Py<PyList>,
}

impl PyLogColumns {
    pub(crate) fn new(batch: RecordBatch, errors: Py<PyList>) -> Self {
        PyLogColumns { batch, errors }
    }
}

/// An arrow-rs FFI error as a Python exception.
fn ffi_error(err: arrow_schema::ArrowError) -> PyErr {
    coded_error(LOG_IO, format!("arrow: {err}"))
}

#[pymethods]
impl PyLogColumns {
    /// The lines that did not parse, as `LogParseError`s (with `.line` and `.offset`).
    #[getter]
    fn errors(&self, py: Python<'_>) -> Py<PyList> {
        self.errors.clone_ref(py)
    }

    /// How many lines parsed (rows).
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch.schema().fields().iter().map(|field| field.name().clone()).collect()
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// The schema, as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.batch.schema().as_ref()).map_err(ffi_error)?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    /// The batch as a stream of one record batch, as an `arrow_array_stream` capsule (a requested
    /// schema is not applied: the columns' types are the parse's).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The batch as one struct array: `(arrow_schema, arrow_array)` capsules.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let schema = FFI_ArrowSchema::try_from(data.data_type()).map_err(ffi_error)?;
        let array = FFI_ArrowArray::new(&data);
        let schema = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
        let array = PyCapsule::new_with_value(py, array, c"arrow_array")?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    fn __repr__(&self) -> String {
        let schema = self.batch.schema();
        let columns: Vec<String> =
            schema.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect();
        format!("LogColumns({} rows; {})", self.batch.num_rows(), columns.join(", "))
    }
}

/// Adds the `LogColumns` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyLogColumns>()
}
