//! The commands of the rights that stop processing: `restrict`, `lift-restriction`, `object`,
//! `resolve-objection`, `erase`, `erasure-due`, `kassasjon`.

use chrono::{DateTime, SecondsFormat, Utc};
use consent_core::{ErasureOutcome, ObjectionOutcome, RestrictionGround};
use serde_json::json;
use uuid::Uuid;

use super::json_out;
use crate::cli::{
    ErasureDueArgs, LiftRestrictionArgs, ObjectArgs, ResolveObjectionArgs, RestrictArgs,
    SubjectArgs,
};
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::ids;
use crate::table::{Table, list};
use crate::when::at_or;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The outcome as JSON for `--json` (the core's own serialisation, with the command's
/// `schema`).
fn outcome_json(schema: &str, outcome: &ErasureOutcome) -> Result<String, CliError> {
    super::json_of(schema, outcome)
}

pub fn restrict(ctx: &Context<'_>, args: &RestrictArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let ground = RestrictionGround::parse(&args.ground)?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let at = at_or(args.at, || ledger.now());
    let id = ledger.restrict(&subject, ground, at, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-restrict/1",
            json!({
                "record_id": id,
                "ground": ground.as_str(),
                "at": instant(at),
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "restricted from {} on ground {} (record {id}): consent-based disclosures go on, statutory ones stop unless their rule continues under restriction\n",
        instant(at),
        ground.as_str()
    )))
}

pub fn lift_restriction(
    ctx: &Context<'_>,
    args: &LiftRestrictionArgs,
) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let at = at_or(args.at, || ledger.now());
    let id = ledger.lift_restriction(&subject, at, &actor, &args.reason)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-lift-restriction/1",
            json!({ "record_id": id, "at": instant(at) }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "lifted the restriction from {} (record {id})\n",
        instant(at)
    )))
}

pub fn object(ctx: &Context<'_>, args: &ObjectArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let at = at_or(args.at, || ledger.now());
    let id = ledger.object(&subject, &args.purpose, at, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-object/1",
            json!({
                "objection_id": id,
                "purpose": args.purpose,
                "at": instant(at),
            }),
        )?));
    }
    Ok(Outcome::ok(format!("{id}\n")))
}

pub fn resolve_objection(
    ctx: &Context<'_>,
    args: &ResolveObjectionArgs,
) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let id = Uuid::parse_str(&args.id).map_err(|_| {
        CliError::new(
            "invalid_input",
            "the objection id is not a UUID (as `consent object` prints it)",
        )
    })?;
    let outcome = ObjectionOutcome::parse(&args.outcome)?;
    let ledger = ctx.open()?;
    let at = at_or(args.at, || ledger.now());
    let record = ledger.resolve_objection(id, outcome, at, &actor, &args.reason)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-resolve-objection/1",
            json!({
                "record_id": record,
                "objection_id": id,
                "outcome": outcome.as_str(),
                "at": instant(at),
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "objection {id} {} from {} (record {record})\n",
        outcome.as_str(),
        instant(at)
    )))
}

pub fn erase(ctx: &Context<'_>, args: &SubjectArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let outcome = ledger.request_erasure(&subject, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(outcome_json("consent-cli-erase/1", &outcome)?));
    }
    match outcome {
        ErasureOutcome::Restricted {
            at,
            rules,
            withdrawn,
            kassasjon_due_at,
            ..
        } => {
            let due = kassasjon_due_at.map_or_else(
                || "never (a purpose's retention is permanent or not stated)".to_owned(),
                instant,
            );
            let rules = if rules.is_empty() {
                String::new()
            } else {
                format!("; duties that continue: {}", list(&rules))
            };
            Ok(Outcome::ok(format!(
                "erasure requested at {}: {} grants withdrawn, processing restricted{rules}; kassasjon due {due}\n",
                instant(at),
                withdrawn.len()
            )))
        }
        // request_erasure never erases at once; should a later core do so, say it plainly.
        other => Ok(Outcome::ok(outcome_json("consent-cli-erase/1", &other)?)),
    }
}

pub fn erasure_due(ctx: &Context<'_>, args: &ErasureDueArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let at = at_or(args.at, || ledger.now());
    let due = ledger.erasure_due(at)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-erasure-due/1",
            json!({ "at": instant(at), "items": super::encode(&due)? }),
        )?));
    }
    let head = format!(
        "{} subjects due for kassasjon at {}\n",
        due.len(),
        instant(at)
    );
    let mut table = Table::new(&["due", "subject (pseudonym)"]);
    for item in &due {
        table.row(vec![instant(item.due_at), item.subject.to_string()]);
    }
    if table.is_empty() {
        return Ok(Outcome::ok(head));
    }
    Ok(Outcome::ok(format!("{head}{}", table.render())))
}

pub fn kassasjon(ctx: &Context<'_>, args: &SubjectArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let outcome = ledger.execute_kassasjon(&subject, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(outcome_json(
            "consent-cli-kassasjon/1",
            &outcome,
        )?));
    }
    match outcome {
        ErasureOutcome::Erased { at, events_erased } => Ok(Outcome::ok(format!(
            "kassasjon at {}: {events_erased} events made unreadable; the hash chain still verifies\n",
            instant(at)
        ))),
        other => Ok(Outcome::ok(outcome_json(
            "consent-cli-kassasjon/1",
            &other,
        )?)),
    }
}
