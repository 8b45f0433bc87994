//! The commands that write: `init`, `grant`, `withdraw`, `import`.

use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use consent_core::storage::MemoryStore;
use consent_core::{GrantId, GrantRequest, Ledger, LedgerOptions, OpenMode};
use serde_json::{Value, json};

use super::json_out;
use crate::cli::{GrantArgs, ImportArgs, WithdrawArgs};
use crate::context::{Context, MAX_IMPORT_BYTES, Outcome, read_input};
use crate::error::CliError;
use crate::progress::Progress;
use crate::when::at_or;

/// `<path><suffix>`, as the core names the files beside a ledger.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub fn init(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    if ctx.postgres_url().is_some() {
        return init_postgres(ctx);
    }
    let path = ctx.path();
    if path.exists() {
        return Err(CliError::new(
            "conflict",
            format!(
                "a file already exists at `{}`; refusing to overwrite it",
                path.display()
            ),
        ));
    }
    let key_path = ctx
        .global
        .key_file
        .clone()
        .unwrap_or_else(|| beside(path, ".key"));
    let key_existed = key_path.exists();
    let options = ctx.options()?.with_mode(OpenMode::Create);
    let catalogue_version = options.catalogue.as_ref().map_or_else(
        || ctx.catalogue().map(|c| c.version().to_owned()),
        |c| Ok(c.version().to_owned()),
    )?;
    // The core creates the database, then the key file, and leaves nothing behind on failure.
    drop(ctx.open_location(options)?);
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-init/1",
            json!({
                "ledger": path,
                "key_file": key_path,
                "key_file_created": !key_existed,
                "catalogue_version": catalogue_version,
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "created ledger `{}` (catalogue {catalogue_version})\n{} key file `{}`: keep it secret and backed up; without it the ledger cannot be opened\n",
        path.display(),
        if key_existed {
            "using the existing"
        } else {
            "created the"
        },
        key_path.display()
    )))
}

pub fn grant(ctx: &Context<'_>, args: &GrantArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let text = read_input(&args.file, consent_core::MAX_DOCUMENT_BYTES)?;
    let ledger = ctx.open()?;
    let request = ledger.parse_grant(&text)?;
    let id = ledger.grant(&request, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-grant/1",
            json!({ "grant_id": id }),
        )?));
    }
    Ok(Outcome::ok(format!("{id}\n")))
}

pub fn withdraw(ctx: &Context<'_>, args: &WithdrawArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let id: GrantId = args.id.parse()?;
    let at = at_or(args.at, Utc::now);
    let ledger = ctx.open()?;
    match &args.idempotency_key {
        None => ledger.withdraw(id, at, &actor, args.reason.as_deref())?,
        Some(key) => ledger.withdraw_idempotent(id, at, &actor, args.reason.as_deref(), key)?,
    }
    let at_text = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-withdraw/1",
            json!({ "grant_id": id, "withdrawn_at": at_text }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "withdrew grant {id} from {at_text}; decisions for earlier instants are unchanged\n"
    )))
}

/// The grant documents of an import file with a label for each (`line 3`, `document 3`).
fn documents(text: &str) -> Result<Vec<(String, String)>, CliError> {
    if text.trim_start().starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(text).map_err(|e| {
            CliError::new(
                "invalid_input",
                format!(
                    "the JSON array of grants: {}",
                    e.to_string().replace('\n', " ")
                ),
            )
        })?;
        Ok(values
            .iter()
            .enumerate()
            .map(|(i, value)| (format!("document {}", i + 1), value.to_string()))
            .collect())
    } else {
        Ok(text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| (format!("line {}", i + 1), line.to_owned()))
            .collect())
    }
}

pub fn import(ctx: &Context<'_>, args: &ImportArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let text = read_input(&args.file, MAX_IMPORT_BYTES)?;
    let docs = documents(&text)?;
    if docs.is_empty() {
        return Err(CliError::new(
            "invalid_input",
            format!("no grant documents in `{}`", args.file.display()),
        ));
    }
    let ledger = ctx.open()?;

    // Check every grant first, against a scratch ledger in memory with the same catalogue and
    // national id options, so bad input anywhere in the file writes nothing.
    let total = u64::try_from(docs.len()).unwrap_or(u64::MAX);
    // The scratch ledger reads the same clock (a test clock in test mode), so backdating is
    // judged the same way.
    let mut scratch_options = LedgerOptions::default()
        .with_catalogue(ledger.catalogue().clone())
        .with_id_options(ctx.options()?.id_options);
    if let Some(at) = ctx.clock() {
        scratch_options = scratch_options.with_test_clock(at);
    }
    let scratch = Ledger::with_store(Box::new(MemoryStore::new()), scratch_options)?;
    let checking = Progress::bar(total, "checking");
    let mut requests: Vec<GrantRequest> = Vec::with_capacity(docs.len());
    for (label, doc) in &docs {
        let request = ledger
            .parse_grant(doc)
            .and_then(|mut request| {
                // A key for each row that brings none, made from its content: a re-run of the
                // import (after a failure half-way, or by mistake) writes no grant twice.
                if request.idempotency_key.is_none() {
                    request.idempotency_key = Some(ledger.content_key(&request)?);
                }
                if args.historical {
                    scratch.grant_historical(std::slice::from_ref(&request), &actor)?;
                } else {
                    scratch.grant(&request, &actor)?;
                }
                Ok(request)
            })
            .map_err(|e| CliError::from(e).context(label))?;
        requests.push(request);
        checking.inc(1);
    }
    checking.finish();
    drop(scratch);

    let batch = usize::try_from(args.batch_size)
        .map_err(|_| CliError::new("invalid_input", "--batch-size is too large"))?
        .max(1);
    let recording = Progress::bar(total, "recording");
    let mut ids: Vec<GrantId> = Vec::with_capacity(requests.len());
    let mut batches = 0usize;
    for chunk in requests.chunks(batch) {
        let written = if args.historical {
            ledger.grant_historical(chunk, &actor)
        } else {
            ledger.grant_many(chunk, &actor)
        };
        let recorded = written.map_err(|e| {
            CliError::from(e).context(format!(
                "{} of {} grants were recorded before this batch failed",
                ids.len(),
                requests.len()
            ))
        })?;
        recording.inc(u64::try_from(recorded.len()).unwrap_or(u64::MAX));
        ids.extend(recorded);
        batches += 1;
    }
    recording.finish();
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-import/1",
            json!({
                "imported": ids.len(),
                "batches": batches,
                "grant_ids": ids,
            }),
        )?));
    }
    let range = match (ids.first(), ids.last()) {
        (Some(first), Some(last)) => format!(" (first {first}, last {last})"),
        _ => String::new(),
    };
    Ok(Outcome::ok(format!(
        "imported {} grants in {batches} durable batch{}{range} (a row this ledger recorded before is not written again: its first id is given)\n",
        ids.len(),
        if batches == 1 { "" } else { "es" },
    )))
}

/// `consent init` for a PostgreSQL ledger: creates the ledger in the URL's schema (which must
/// hold none yet) under the key in `--key-file`, made there (0600) when the file does not exist.
fn init_postgres(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    let Some(key_path) = ctx.global.key_file.clone() else {
        return Err(CliError::new(
            "invalid_input",
            "a PostgreSQL ledger needs --key-file (or CONSENT_KEY_FILE): the host keeps the pseudonym key, the database only its check value",
        ));
    };
    let key_existed = key_path.exists();
    let options = ctx.options()?.with_mode(OpenMode::Create);
    let ledger = ctx.open_location(options)?;
    let catalogue_version = ledger.catalogue().version().to_owned();
    drop(ledger);
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-init/1",
            json!({
                "ledger": "postgresql",
                "key_file": key_path,
                "key_file_created": !key_existed,
                "catalogue_version": catalogue_version,
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "created a PostgreSQL ledger (catalogue {catalogue_version})\n{} key file `{}`: keep it secret and backed up; without it the ledger cannot be opened\n",
        if key_existed {
            "using the existing"
        } else {
            "wrote the new"
        },
        key_path.display()
    )))
}
