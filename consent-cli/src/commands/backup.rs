//! `backup`, `restore` and `verify --against`: copies of a live ledger and proof that a ledger
//! is the one backed up; `upgrade`, which backs a 0.1 ledger up before it converts it.

use std::path::Path;

use consent_core::{BackupManifest, Ledger};
use serde_json::json;

use super::{json_of, json_out};
use crate::cli::{BackupArgs, RestoreArgs, UpgradeArgs};
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::progress::Progress;

pub fn backup(ctx: &Context<'_>, args: &BackupArgs) -> Result<Outcome, CliError> {
    ctx.require_ledger()?;
    let options = ctx.options()?;
    let spinner = Progress::spinner("copying and verifying the ledger");
    let made = Ledger::backup_file(ctx.path(), &options, &args.dest, !args.without_key);
    spinner.finish();
    let manifest = made?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-backup/1",
            json!({
                "directory": args.dest,
                "manifest": super::encode(&manifest)?,
            }),
        )?));
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
    let actor = ctx.acting()?;
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
        return Ok(Outcome::ok(json_of("consent-cli-restore/1", &report)?));
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
        json_of("consent-cli-verify-against/1", &report)?
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
        return Ok(Outcome::ok(json_out(
            "consent-cli-snapshot/1",
            json!({ "seq": seq }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "wrote a snapshot of the state after event {seq}\n"
    )))
}

/// `consent upgrade`: a consent 0.1 ledger file (format 1) to this version's format, after a
/// backup, recorded as the actor's (who must be permitted `adopt_catalogue`). A ledger that
/// already opens as this version's format is left as it is: nothing to do, exit 0.
pub fn upgrade(ctx: &Context<'_>, args: &UpgradeArgs) -> Result<Outcome, CliError> {
    let actor = ctx.actor()?;
    if ctx.postgres_url().is_some() {
        return Err(CliError::new(
            "invalid_input",
            "a PostgreSQL ledger is created in this version's format: there is nothing to upgrade",
        ));
    }
    ctx.require_ledger()?;
    let path = ctx.path();
    // Already this version's format (a cheap open that reads the format, writes nothing)?
    match consent_core::storage::SqliteStore::open_read_only(path) {
        Ok(store) => {
            drop(store);
            return already_upgraded(ctx);
        }
        Err(e) if e.code() == consent_core::ErrorCode::UnsupportedVersion => {}
        Err(e) => return Err(e.into()),
    }
    let open_with = ctx.catalogue()?;
    let written_under = args
        .written_under
        .as_deref()
        .map(crate::context::load_catalogue)
        .transpose()?;
    let key_path = ctx.global.key_file.clone().unwrap_or_else(|| {
        let mut name = path.as_os_str().to_owned();
        name.push(".key");
        std::path::PathBuf::from(name)
    });
    let key = consent_core::read_key_file(&key_path)?;
    let backup = match &args.backup_to {
        Some(dir) => dir.clone(),
        None => {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(
                ".before-upgrade-{}",
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ));
            std::path::PathBuf::from(name)
        }
    };
    let spinner = Progress::spinner("verifying, backing up and upgrading the ledger");
    let done = consent_core::storage::upgrade_file_as(
        path,
        &key,
        written_under.as_ref(),
        &open_with,
        &actor,
        &backup,
        !args.without_key,
    );
    spinner.finish();
    let (manifest, report) = done
        .map_err(|e| CliError::from(e).context(format!("`{}` was not upgraded", path.display())))?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-upgrade/1",
            json!({
                "ledger": path,
                "upgraded": true,
                "storage_schema": consent_core::storage::STORAGE_SCHEMA,
                "from_format": report.from_format,
                "to_format": report.to_format,
                "events": report.events,
                "keys_rewrapped": report.keys_rewrapped,
                "catalogues_adopted": report.catalogues_adopted,
                "recorded_by": {"id": actor.id(), "role": actor.role().as_str()},
                "backup": {"directory": backup, "manifest": super::encode(&manifest)?},
            }),
        )?));
    }
    let key_note = if manifest.key_included {
        "with its key file"
    } else {
        "WITHOUT its key file"
    };
    Ok(Outcome::ok(format!(
        "backed up the consent 0.1 ledger ({} events, head {}) to `{}`, {key_note}\nupgraded `{}` from file format {} to {}: {} events verified, {} subject keys re-wrapped, catalogues {} recorded as adopted by {} ({})\n",
        manifest.head_seq,
        manifest.head_hash,
        backup.display(),
        path.display(),
        report.from_format,
        report.to_format,
        report.events,
        report.keys_rewrapped,
        report.catalogues_adopted.join(" then "),
        actor.id(),
        actor.role().as_str(),
    )))
}

/// `consent upgrade` on a ledger of this version's format: nothing to do.
fn already_upgraded(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    let format = consent_core::storage::STORAGE_SCHEMA;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-upgrade/1",
            json!({ "ledger": ctx.path(), "upgraded": false, "storage_schema": format }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "`{}` is already this version's format (storage schema {format}): nothing to upgrade\n",
        ctx.path().display()
    )))
}
