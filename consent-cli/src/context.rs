//! What the global options resolve to: ledger options, the open ledger, the actor.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use consent_core::storage::FileAccess;
use consent_core::{Actor, AnyActor, Catalogue, Ledger, LedgerOptions, OpenMode, SignedActor};

use crate::cli::Global;
use crate::error::CliError;

/// A command's result: what goes to standard output and the exit code.
#[derive(Debug)]
pub struct Outcome {
    /// Text for standard output.
    pub stdout: String,
    /// A line for standard error (a finding, not an error: a denial, a broken chain).
    pub stderr: Option<String>,
    /// The exit code: 0 success, 1 a negative finding (denied, does not verify).
    pub code: u8,
}

impl Outcome {
    /// Success with this output.
    pub fn ok(stdout: String) -> Self {
        Outcome {
            stdout,
            stderr: None,
            code: 0,
        }
    }
}

/// The global options, resolved on demand.
#[derive(Debug)]
pub struct Context<'a> {
    /// The options as parsed.
    pub global: &'a Global,
}

impl Context<'_> {
    /// Whether to print JSON.
    pub fn json(&self) -> bool {
        self.global.json
    }

    /// The catalogue: the `--catalogue` file, or the embedded default.
    pub fn catalogue(&self) -> Result<Catalogue, CliError> {
        match &self.global.catalogue {
            Some(path) => load_catalogue(path),
            None => Ok(Catalogue::embedded()),
        }
    }

    /// The options to open the ledger with.
    pub fn options(&self) -> Result<LedgerOptions, CliError> {
        let mut options = LedgerOptions::default();
        if let Some(key_file) = &self.global.key_file {
            options = options.with_key_file(key_file.clone());
        }
        options.id_options.test_mode = self.global.test_mode;
        if let Some(at) = self.clock() {
            if !self.global.test_mode {
                return Err(CliError::new(
                    "invalid_input",
                    "--clock sets the ledger's clock, which only a test-mode ledger allows (--test-mode)",
                ));
            }
            options = options.with_test_clock(at);
        }
        if let Some(ms) = self.global.max_staleness_ms {
            options = options.with_max_staleness_ms(ms);
        }
        if self.global.group_access {
            options = options.with_file_access(FileAccess::Group);
        }
        if self.global.catalogue.is_some() {
            options.catalogue = Some(self.catalogue()?);
        }
        if let Some(path) = &self.global.actor_trust {
            let text = read_small(path, "actor trust", 64 * 1024)?;
            let trust = consent_core::ActorTrust::from_config_json(&text).map_err(|e| {
                CliError::from(e).context(format!("--actor-trust `{}`", path.display()))
            })?;
            options = options.with_actor_trust(trust);
        }
        Ok(options)
    }

    /// The test clock's instant (`--clock`), `now` read from the system clock.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.global.clock.map(|when| when.resolve(Utc::now))
    }

    /// The ledger path.
    pub fn path(&self) -> &Path {
        &self.global.ledger
    }

    /// The ledger's PostgreSQL URL, when `--ledger` names one rather than a file.
    pub fn postgres_url(&self) -> Option<&str> {
        self.path()
            .to_str()
            .filter(|location| consent_core::is_postgres_url(location))
    }

    /// Opens the ledger `--ledger` names (a file or a PostgreSQL URL) with `options`.
    pub fn open_location(&self, options: LedgerOptions) -> consent_core::Result<Ledger> {
        match self.postgres_url() {
            Some(url) => consent_postgres::open(url, options),
            None => Ledger::open(self.path(), options),
        }
    }

    /// Fails unless the ledger file exists (so a typo never creates an empty ledger). A
    /// PostgreSQL ledger is checked when it is opened (its schema must hold a ledger).
    pub fn require_ledger(&self) -> Result<(), CliError> {
        if self.postgres_url().is_some() || std::fs::symlink_metadata(self.path()).is_ok() {
            Ok(())
        } else {
            Err(CliError::new(
                "not_found",
                format!(
                    "no ledger at `{}`; create one with `consent init` or pass --ledger",
                    self.path().display()
                ),
            ))
        }
    }

    /// Opens the existing ledger for writing.
    pub fn open(&self) -> Result<Ledger, CliError> {
        self.open_with(OpenMode::OpenOrCreate)
    }

    /// Opens the existing ledger for writing under the catalogue in force, whatever
    /// `--catalogue` names (to adopt a new one).
    pub fn open_in_force(&self) -> Result<Ledger, CliError> {
        self.require_ledger()?;
        let mut options = self.options()?;
        options.catalogue = None;
        self.open_location(options)
            .inspect(|ledger| self.warn_snapshot(ledger))
            .map_err(CliError::from)
    }

    /// Opens the existing ledger for reading only: nothing is created or written beside it (no
    /// key, no lock file, no WAL), and a writing service may keep it open meanwhile.
    pub fn open_read_only(&self) -> Result<Ledger, CliError> {
        self.open_with(OpenMode::ReadOnly)
    }

    fn open_with(&self, mode: OpenMode) -> Result<Ledger, CliError> {
        self.require_ledger()?;
        let options = self.options()?.with_mode(mode);
        self.open_location(options)
            .inspect(|ledger| self.warn_snapshot(ledger))
            .map_err(|e| {
                let integrity = e.code() == consent_core::ErrorCode::Integrity;
                let error = CliError::from(e);
                if integrity {
                    error.context("the ledger does not verify (inspect it with `consent verify`)")
                } else {
                    error
                }
            })
    }

    /// Says on standard error when the ledger's snapshot was there but not trusted (the open
    /// replayed the whole log): a snapshot is never trusted silently, nor ignored silently.
    fn warn_snapshot(&self, ledger: &Ledger) {
        use std::io::Write;
        if let consent_core::SnapshotStatus::Ignored { reason } = ledger.snapshot_status() {
            let line = if self.json() {
                serde_json::json!({
                    "schema": "consent-cli-warning/1",
                    "warning": {"code": "snapshot_ignored", "message": reason},
                })
                .to_string()
            } else {
                format!(
                    "warning: the ledger's snapshot was not used ({reason}); the whole log was replayed"
                )
            };
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    /// Who performs a command: the signed token of --actor-token-file, or the actor of
    /// --actor-id and --actor-role (not both).
    pub fn acting(&self) -> Result<AnyActor, CliError> {
        let Some(path) = &self.global.actor_token_file else {
            return self.actor().map(AnyActor::from);
        };
        if self.global.actor_id.is_some() || self.global.actor_role.is_some() {
            return Err(CliError::new(
                "invalid_input",
                "give the actor either as --actor-token-file or as --actor-id and --actor-role, not both",
            ));
        }
        let text = if path.as_os_str() == "-" {
            use std::io::Read;
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_TOKEN_FILE as u64 + 1)
                .read_to_string(&mut text)
                .map_err(|e| {
                    CliError::new(
                        "storage",
                        format!("cannot read the token from standard input: {e}"),
                    )
                })?;
            if text.len() > MAX_TOKEN_FILE {
                return Err(CliError::new(
                    "invalid_input",
                    "the actor token is larger than 16 KiB",
                ));
            }
            text
        } else {
            read_small(path, "actor token", MAX_TOKEN_FILE)?
        };
        // The message names the file, never the token.
        SignedActor::new(text.trim())
            .map(AnyActor::from)
            .map_err(|e| CliError::from(e).context("--actor-token-file"))
    }

    /// The actor of a mutating command, from the flags or the environment.
    pub fn actor(&self) -> Result<Actor, CliError> {
        match (&self.global.actor_id, &self.global.actor_role) {
            (Some(id), Some(role)) => {
                Actor::new(id, role).map_err(|e| CliError::from(e).context("actor"))
            }
            (id, role) => {
                let missing: Vec<&str> = [
                    id.is_none().then_some("--actor-id (or CONSENT_ACTOR_ID)"),
                    role.is_none()
                        .then_some("--actor-role (or CONSENT_ACTOR_ROLE)"),
                ]
                .into_iter()
                .flatten()
                .collect();
                Err(CliError::new(
                    "invalid_input",
                    format!(
                        "this command records who performs it: missing {}",
                        missing.join(" and ")
                    ),
                ))
            }
        }
    }
}

/// The largest actor token file read (a JWT is a few KiB).
const MAX_TOKEN_FILE: usize = 16 * 1024 + 2;

/// Reads a small text file (a token, a trust document) of at most `max` bytes.
fn read_small(path: &Path, what: &str, max: usize) -> Result<String, CliError> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max as u64 + 1).read_to_string(&mut text))
        .map_err(|e| CliError::io(&format!("read the {what}"), path, &e))?;
    if text.len() > max {
        return Err(CliError::new(
            "invalid_input",
            format!(
                "the {what} file `{}` is larger than {max} bytes",
                path.display()
            ),
        ));
    }
    Ok(text)
}

/// Reads and validates a catalogue TOML file (a regular file of at most 1 MiB).
pub fn load_catalogue(path: &Path) -> Result<Catalogue, CliError> {
    let text = consent_core::read_catalogue_file(path)?;
    Catalogue::from_toml(&text)
        .map_err(|e| CliError::from(e).context(format!("catalogue `{}`", path.display())))
}

/// The most an import file may hold: 1 GiB (about 1.5 million grants); split larger imports.
pub const MAX_IMPORT_BYTES: usize = 1 << 30;

/// Reads an input file, or standard input for `-`, of at most `limit` bytes: no further than
/// one byte past it, so `/dev/zero` or an endless pipe is refused instead of filling memory.
pub fn read_input(path: &Path, limit: usize) -> Result<String, CliError> {
    let shown = if path.as_os_str() == "-" {
        Path::new("standard input")
    } else {
        path
    };
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let read = if path.as_os_str() == "-" {
        std::io::stdin().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(cap).read_to_end(&mut bytes))
    };
    read.map_err(|e| CliError::io("read", shown, &e))?;
    if bytes.len() > limit {
        return Err(CliError::new(
            "invalid_input",
            format!(
                "`{}` is larger than {limit} bytes; refusing to read it",
                shown.display()
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::new(
            "invalid_input",
            format!("`{}` is not UTF-8 text", shown.display()),
        )
    })
}
