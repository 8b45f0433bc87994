//! The ledger URL: a PostgreSQL connection URL with one parameter of ours, `schema`, which names
//! the schema that holds the ledger (several ledgers share a database, one schema each).
//!
//! `postgresql://user:password@db.kommune.example:5432/database?schema=ledger_a&sslmode=verify-full&sslrootcert=/etc/consent/db-ca.pem`
//!
//! The `schema` parameter is removed before the rest goes to the driver; so are `sslmode` and
//! `sslrootcert`, which [`crate::tls`] reads the way libpq does. Nothing derived from
//! the URL ever carries the password: messages are scrubbed of it and the URL is shown redacted.

use std::str::FromStr;
use std::time::Duration;

use std::path::PathBuf;
use std::sync::Arc;

use consent_core::{Error, ErrorCode, Result};

use crate::tls::{self, SslMode};

/// The schema a URL without `schema=` uses.
pub const DEFAULT_SCHEMA: &str = "consent";

/// Longest schema name: leaves room in PostgreSQL's 63-byte identifiers for the NOTIFY channel
/// (`consent_` + schema).
pub const MAX_SCHEMA_LEN: usize = 48;

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long unacknowledged data may sit on a connection before it counts as dropped, when the
/// URL does not say (`tcp_user_timeout`): a host that vanished fails a call, not hangs it.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed ledger URL.
#[derive(Clone)]
pub(crate) struct LedgerUrl {
    pub(crate) schema: String,
    pub(crate) config: tokio_postgres::Config,
    pub(crate) redacted: String,
    /// The TLS set-up of `sslmode` and `sslrootcert`; `None` for `sslmode=disable`.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    /// The password as written in the URL and percent-decoded: scrubbed from every message.
    secrets: Vec<String>,
}

impl std::fmt::Debug for LedgerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerUrl")
            .field("url", &self.redacted)
            .field("schema", &self.schema)
            .finish()
    }
}

fn bad_url(redacted: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::Storage,
        format!("invalid ledger URL `{redacted}`: {why}"),
    )
}

/// Whether `name` may name a ledger's schema: lowercase ASCII letters, digits and `_`, starting
/// with a letter or `_`, at most [`MAX_SCHEMA_LEN`] bytes, not PostgreSQL's reserved `pg_`.
pub fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && name.len() <= MAX_SCHEMA_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("pg_")
}

/// The URL with the password replaced by `***` (best effort on malformed input: everything
/// between `://` and the last `@` of the authority is replaced when it holds a `:`).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => format!("{scheme}://{authority}{tail}"),
    }
}

/// A query value percent-decoded (`%2F` → `/`), or `None` when that is not UTF-8 or a `%` is
/// not followed by two hex digits.
fn percent_decoded(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The password as it appears in the URL's userinfo, before percent-decoding.
fn raw_password(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (userinfo, _) = rest.get(..authority_end)?.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

/// The query parameters that are ours (`schema`) or that we read in place of the driver
/// (`sslmode`, `sslrootcert`), and the rest, for the driver.
struct Params<'a> {
    schema: Option<String>,
    ssl_mode: Option<SslMode>,
    root_cert: Option<PathBuf>,
    kept: Vec<&'a str>,
}

impl<'a> Params<'a> {
    fn parse(query: Option<&'a str>, redacted: &str) -> Result<Params<'a>> {
        let mut schema: Option<String> = None;
        let mut ssl_mode: Option<SslMode> = None;
        let mut root_cert: Option<PathBuf> = None;
        let mut kept: Vec<&str> = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            match pair.split_once('=') {
                Some(("schema", value)) => {
                    if schema.is_some() {
                        return Err(bad_url(redacted, "`schema` is given twice"));
                    }
                    if !valid_schema_name(value) {
                        return Err(bad_url(
                            redacted,
                            &format!(
                                "the schema must be 1 to {MAX_SCHEMA_LEN} lowercase letters, digits or `_`, starting with a letter or `_`, and not `pg_…`"
                            ),
                        ));
                    }
                    schema = Some(value.to_owned());
                }
                Some(("sslmode", value)) => {
                    if ssl_mode.is_some() {
                        return Err(bad_url(redacted, "`sslmode` is given twice"));
                    }
                    ssl_mode = Some(SslMode::parse(value).ok_or_else(|| {
                        bad_url(
                            redacted,
                            "`sslmode` is one of disable, prefer, require, verify-ca, verify-full",
                        )
                    })?);
                }
                Some(("sslrootcert", value)) => {
                    if root_cert.is_some() || value.is_empty() {
                        return Err(bad_url(redacted, "`sslrootcert` names one CA file (PEM)"));
                    }
                    root_cert = Some(PathBuf::from(percent_decoded(value).ok_or_else(|| {
                        bad_url(redacted, "`sslrootcert` is not valid percent-encoded UTF-8")
                    })?));
                }
                _ => kept.push(pair),
            }
        }
        Ok(Params {
            schema,
            ssl_mode,
            root_cert,
            kept,
        })
    }
}

impl LedgerUrl {
    /// Parses a ledger URL.
    ///
    /// # Errors
    /// `Storage` for a URL that is not `postgresql://` or `postgres://`, a bad or repeated
    /// `schema`, or anything the driver rejects; the message shows the URL redacted.
    pub(crate) fn parse(url: &str) -> Result<LedgerUrl> {
        let redacted = redact(url);
        if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
            return Err(bad_url(
                &redacted,
                "it must start with `postgresql://` or `postgres://`",
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (url, None),
        };
        let Params {
            schema,
            ssl_mode,
            root_cert,
            kept,
        } = Params::parse(query, &redacted)?;
        let schema = schema.unwrap_or_else(|| DEFAULT_SCHEMA.to_owned());
        let driver_url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut secrets: Vec<String> = raw_password(url).into_iter().collect();
        let mut config = tokio_postgres::Config::from_str(&driver_url).map_err(|e| {
            let url = LedgerUrl {
                schema: schema.clone(),
                config: tokio_postgres::Config::new(),
                redacted: redacted.clone(),
                tls: None,
                secrets: secrets.clone(),
            };
            bad_url(&redacted, &url.scrub(&crate::conn::with_causes(&e)))
        })?;
        if let Some(password) = config.get_password() {
            let decoded = String::from_utf8_lossy(password).into_owned();
            if !decoded.is_empty() && !secrets.contains(&decoded) {
                secrets.push(decoded);
            }
        }
        // Longest first, so a password that contains another is scrubbed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name(format!("consent:{schema}"));
        }
        // libpq's default: TLS when the server offers it.
        let ssl_mode = ssl_mode.unwrap_or(SslMode::Prefer);
        config.ssl_mode(ssl_mode.driver());
        let tls = tls::client_config(ssl_mode, root_cert.as_deref())?.map(Arc::new);
        Ok(LedgerUrl {
            schema,
            config,
            redacted,
            tls,
            secrets,
        })
    }

    /// `text` with the password (as written and decoded) replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }

    /// The schema, quoted as an SQL identifier (it holds only `[a-z0-9_]`).
    pub(crate) fn quoted_schema(&self) -> String {
        format!("\"{}\"", self.schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parameter_is_taken_out_and_the_rest_kept() {
        let url = LedgerUrl::parse(
            "postgresql://alice:s3cret@127.0.0.1:5433/db?sslmode=disable&schema=ledger_a&connect_timeout=3",
        )
        .expect("parse");
        assert_eq!(url.schema, "ledger_a");
        assert_eq!(url.config.get_dbname(), Some("db"));
        assert_eq!(url.config.get_ports(), &[5433]);
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(url.config.get_application_name(), Some("consent:ledger_a"));
        assert_eq!(
            url.redacted,
            "postgresql://alice:***@127.0.0.1:5433/db?sslmode=disable&schema=ledger_a&connect_timeout=3"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn without_a_schema_the_default_is_used() {
        let url = LedgerUrl::parse("postgres://u@localhost/db").expect("parse");
        assert_eq!(url.schema, DEFAULT_SCHEMA);
        assert_eq!(url.quoted_schema(), "\"consent\"");
        assert_eq!(url.redacted, "postgres://u@localhost/db");
    }

    #[test]
    fn bad_urls_are_storage_errors_without_the_password() {
        for bad in [
            "mysql://u:hunter2pw@host/db",
            "postgresql://u:hunter2pw@host/db?schema=Ledger",
            "postgresql://u:hunter2pw@host/db?schema=pg_catalog",
            "postgresql://u:hunter2pw@host/db?schema=",
            "postgresql://u:hunter2pw@host/db?schema=a&schema=b",
            "postgresql://u:hunter2pw@host/db?schema=a;drop",
            "postgresql://u:hunter2pw@host/db?frobnicate=1",
            "postgresql://u:hunter2pw@host:notaport/db",
            "postgresql://u:hunter2pw@host/db?sslmode=sometimes",
            "hunter2pw",
        ] {
            let error = LedgerUrl::parse(bad).expect_err(bad);
            assert_eq!(error.code(), ErrorCode::Storage, "{bad}");
            assert!(!error.message().contains("hunter2pw"), "{bad}: {error}");
            assert!(error.message().starts_with("invalid ledger URL"), "{error}");
        }
        let long = format!(
            "postgresql://u@h/db?schema={}",
            "a".repeat(MAX_SCHEMA_LEN + 1)
        );
        assert!(LedgerUrl::parse(&long).is_err());
        let longest = format!("postgresql://u@h/db?schema={}", "a".repeat(MAX_SCHEMA_LEN));
        assert!(LedgerUrl::parse(&longest).is_ok());
    }

    #[test]
    fn a_percent_encoded_password_is_scrubbed_in_both_forms() {
        let url = LedgerUrl::parse("postgresql://u:p%40ss%2Fword@h/db").expect("parse");
        assert_eq!(url.scrub("x p%40ss%2Fword y p@ss/word z"), "x *** y *** z");
        assert_eq!(url.redacted, "postgresql://u:***@h/db");
    }
}
