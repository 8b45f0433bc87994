//! The integration tests of consent-core, as one binary (STYLE.md rule 32).

mod common;

mod bad_input;
mod durable;
mod fuzz_bytes;
mod model;
mod properties;
mod rights;
mod scenarios;
