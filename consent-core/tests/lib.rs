//! The integration tests of consent-core, as one binary (STYLE.md rule 32).

#![expect(
    clippy::string_slice,
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::unreachable,
    reason = "tests slice ASCII fixtures, tell a scenario in one function, and stop loudly"
)]

mod common;

mod accountability;
mod backup;
mod bad_input;
mod catalogue_adoption;
mod deviations;
mod durable;
mod fuzz_bytes;
mod idempotency;
mod identity;
mod law;
mod layers;
mod minors;
mod model;
mod prepared;
mod properties;
mod restriction;
mod rights;
mod scenarios;
mod security;
mod shared;
mod signed;
mod snapshot;
mod upgrade;
