//! The integration tests of consent-postgres, as one binary. Those that need a server read its
//! URL from `CONSENT_TEST_POSTGRES_URL` (scripts/with-postgres.sh starts a private cluster and
//! sets it); without it they print a notice and pass, unless `CONSENT_REQUIRE_POSTGRES=1`, which
//! makes a missing URL a failure (scripts/test-postgres.sh sets it).

#![expect(
    clippy::string_slice,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "tests slice ASCII names and make test bytes from small counters"
)]

mod common;

mod errors;
mod log;
mod open;
mod shared;
mod store;
mod tls;
