//! `backup`, `restore` and `verify --against`: copies of a live ledger and proof that a ledger
//! is the one backed up.

use std::path::Path;

use consent_core::{BackupManifest, Ledger};
use serde::Serialize;
use serde_json::json;

use super::json_out;
use crate::cli::{BackupArgs, RestoreArgs};
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::progress::Progress;

/// A report for `--json`, or the error that it could not be encoded.
fn encode(value: &impl Serialize) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(value)
        .map_err(|e| CliError::new("storage", format!("cannot encode the report: {e}")))
}

pub fn backup(ctx: &Context<'_>, args: &BackupArgs) -> Result<Outcome, CliError> {
    ctx.require_ledger()?;
    let options = ctx.options()?;
    let spinner = Progress::spinner("copying and verifying the ledger");
    let made = Ledger::backup_file(ctx.path(), &options, &args.dest, !args.without_key);
    spinner.finish();
    let manifest = made?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(&json!({
            "schema": "consent-cli-backup/1",
            "directory": args.dest,
            "manifest": encode(&manifest)?,
        }))?));
    }
    let key = if manifest.key_included {
        "with its key file"
    } else {
        "WITHOUT its key file (keep the key safe elsewhere: a restore needs it)"
    };
    Ok(Outcome::ok(format!(
        "backed up {} events (head {}) to `{}`, {key}\n",
        manifest.head_seq,
        manifest.head_hash,
        args.dest.display()
    )))
}

pub fn restore(ctx: &Context<'_>, args: &RestoreArgs) -> Result<Outcome, CliError> {
    let actor = ctx.actor()?;
    let options = ctx.options()?;
    let spinner = Progress::spinner("checking and restoring the backup");
    let restored = Ledger::restore_file(&args.backup, ctx.path(), &options, &actor, &args.reason);
    spinner.finish();
    let report = restored.map_err(|e| {
        CliError::from(e).context(format!(
            "nothing was restored to `{}`",
            ctx.path().display()
        ))
    })?;
    if ctx.json() {
        let mut value = encode(&report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("schema".to_owned(), json!("consent-cli-restore/1"));
        }
        return Ok(Outcome::ok(json_out(&value)?));
    }
    let mut text = format!(
        "restored `{}` to event {} and recorded the restore as event {}\n",
        ctx.path().display(),
        report.restore.backup_head_seq,
        report.head_seq
    );
    if let Some(kept) = &report.replaced_file {
        text.push_str(&format!(
            "the replaced ledger is kept as `{}`\n",
            kept.display()
        ));
    }
    if report.restore.rollback {
        text.push_str(
            "this restore is a rollback: events after the backup are not in the restored ledger (recorded as such)\n",
        );
    }
    Ok(Outcome::ok(text))
}

pub fn verify_against(ctx: &Context<'_>, manifest: &Path) -> Result<Outcome, CliError> {
    ctx.require_ledger()?;
    let options = ctx.options()?;
    let manifest = BackupManifest::read(manifest)?;
    let spinner = Progress::spinner("verifying the hash chain against the backup");
    let report = Ledger::verify_against_file(ctx.path(), &options, &manifest);
    spinner.finish();
    let report = report?;
    let stdout = if ctx.json() {
        let mut value = encode(&report)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("schema".to_owned(), json!("consent-cli-verify-against/1"));
        }
        json_out(&value)?
    } else if report.ok {
        format!(
            "ok: {} events verified; event {} is the backup's head, so this is the ledger backed up{}\n",
            report.events,
            manifest.head_seq,
            if report.events > manifest.head_seq {
                " (and has grown since)"
            } else {
                ""
            }
        )
    } else {
        format!(
            "FAILED: {}\n",
            report.problem.as_deref().unwrap_or("no match")
        )
    };
    Ok(Outcome {
        stdout,
        code: u8::from(!report.ok),
        stderr: (!report.ok).then(|| {
            format!(
                "the ledger is not the one backed up: {}",
                report.problem.as_deref().unwrap_or("no match")
            )
        }),
    })
}

pub fn snapshot(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    let ledger = ctx.open()?;
    let seq = ledger.write_snapshot()?.ok_or_else(|| {
        CliError::new(
            "invalid_input",
            "this ledger keeps no snapshot (it is not a file)",
        )
    })?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(&json!({
            "schema": "consent-cli-snapshot/1",
            "seq": seq,
        }))?));
    }
    Ok(Outcome::ok(format!(
        "wrote a snapshot of the state after event {seq}\n"
    )))
}
