//! Python bindings over `consent-core`: the native module `consent._native`, re-exported by the
//! `consent` package. This crate only converts; every rule lives in the core.

mod batch;
mod casework;
mod convert;
mod decision;
mod documents;
mod errors;
mod ledger;
mod located;
mod prepared;

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The native part of the `consent` package: `Ledger`, `Decision` and the exception classes.
#[pyo3::pymodule]
pub mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::decision::Decision;
    #[pymodule_export]
    use crate::ledger::Ledger;
    #[pymodule_export]
    use crate::prepared::PreparedRequest;

    /// Adds the exception classes and the version.
    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::errors::register(module)?;
        module.add("__version__", crate::VERSION)?;
        Ok(())
    }
}
