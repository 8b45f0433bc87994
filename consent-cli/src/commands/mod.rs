//! One module per group of commands; each returns an [`Outcome`] or a [`CliError`].

mod backup;
mod casework;
mod catalogue;
mod decide;
mod doctor;
mod documents;
mod person;
mod record;
mod report;
mod rights;
mod shell;

use crate::cli::{CatalogueCommand, Command, ReportCommand};
use crate::context::{Context, Outcome};
use crate::error::CliError;

/// Runs one command.
pub fn run(command: &Command, ctx: &Context<'_>) -> Result<Outcome, CliError> {
    match command {
        Command::Init => record::init(ctx),
        Command::Catalogue(CatalogueCommand::Show) => catalogue::show(ctx),
        Command::Catalogue(CatalogueCommand::Check { file }) => catalogue::check(ctx, file),
        Command::Catalogue(CatalogueCommand::Adopt { file }) => catalogue::adopt(ctx, file),
        Command::Grant(args) => record::grant(ctx, args),
        Command::Withdraw(args) => record::withdraw(ctx, args),
        Command::Import(args) => record::import(ctx, args),
        Command::Decide(args) => decide::decide(ctx, args),
        Command::Export(args) => report::export(ctx, args),
        Command::Succession(args) => casework::succession(ctx, args),
        Command::Notifications(args) => casework::notifications(ctx, args),
        Command::Deviations(args) => casework::deviations(ctx, args),
        Command::Notified(args) => casework::notified(ctx, args),
        Command::Stats(args) => report::stats(ctx, args),
        Command::Verify(args) => match &args.against {
            Some(manifest) => backup::verify_against(ctx, manifest),
            None => report::verify(ctx),
        },
        Command::Backup(args) => backup::backup(ctx, args),
        Command::Restore(args) => backup::restore(ctx, args),
        Command::Snapshot => backup::snapshot(ctx),
        Command::Upgrade(args) => backup::upgrade(ctx, args),
        Command::Reconsent(args) => report::reconsent(ctx, args),
        Command::Report(ReportCommand::Access(args)) => documents::access(ctx, args),
        Command::Report(ReportCommand::Notice(args)) => documents::notice(ctx, args),
        Command::Report(ReportCommand::ProcessingRecord(args)) => documents::record(ctx, args),
        Command::Restrict(args) => rights::restrict(ctx, args),
        Command::LiftRestriction(args) => rights::lift_restriction(ctx, args),
        Command::Object(args) => rights::object(ctx, args),
        Command::ResolveObjection(args) => rights::resolve_objection(ctx, args),
        Command::Erase(args) => rights::erase(ctx, args),
        Command::ErasureDue(args) => rights::erasure_due(ctx, args),
        Command::Kassasjon(args) => rights::kassasjon(ctx, args),
        Command::Refuse(args) => person::refuse(ctx, args),
        Command::Rectify(args) => person::rectify(ctx, args),
        Command::AccessRequest(args) => person::access_request(ctx, args),
        Command::Pseudonym(args) => person::pseudonym(ctx, args),
        Command::Doctor => doctor::doctor(ctx),
        Command::Completions { shell } => shell::completions(*shell),
        Command::Man => shell::manual(),
    }
}

/// A JSON document for standard output: `value` (an object) with its `schema` field, pretty,
/// newline-terminated. `schema` names the shape and its version, `consent-cli-<command>/<version>`
/// (`consent-cli-grant/1`), documented
/// with its shape in docs/cli-json.md and docs/schemas/.
///
/// # Errors
/// When `value` is not an object (a bug: every document is one), or cannot be encoded.
pub fn json_out(schema: &str, value: serde_json::Value) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(&tagged(schema, value)?)
        .map_err(|e| CliError::new("storage", format!("cannot encode the JSON output: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// [`json_out`] of a value the core serialises (a report, a worklist item).
///
/// # Errors
/// As [`json_out`], and when the value cannot be encoded.
pub fn json_of(schema: &str, value: &impl serde::Serialize) -> Result<String, CliError> {
    json_out(schema, encode(value)?)
}

/// A value the core serialises, as JSON.
///
/// # Errors
/// When it cannot be encoded (not expected of the core's types).
pub fn encode(value: &impl serde::Serialize) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(value)
        .map_err(|e| CliError::new("storage", format!("cannot encode the JSON output: {e}")))
}

/// `value` with `"schema": schema` added; the fields it had stay as they were.
///
/// # Errors
/// When `value` is not an object.
fn tagged(schema: &str, value: serde_json::Value) -> Result<serde_json::Value, CliError> {
    match value {
        serde_json::Value::Object(mut map) => {
            map.insert("schema".to_owned(), serde_json::Value::from(schema));
            Ok(serde_json::Value::Object(map))
        }
        _ => Err(CliError::new(
            "storage",
            format!("the `{schema}` document is not a JSON object"),
        )),
    }
}
