//! The commands of a person's own requests: `refuse`, `rectify`, `access-request`, and
//! `pseudonym` (the key a subject's events are recorded under).

use chrono::{DateTime, SecondsFormat, Utc};
use consent_core::{Correction, GrantId};
use serde_json::json;

use super::json_out;
use crate::cli::{AccessRequestArgs, RectifyArgs, RefuseArgs, SubjectArgs, Until};
use crate::context::{Context, Outcome, read_input};
use crate::error::CliError;
use crate::ids;
use crate::when::at_or;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `consent refuse FILE`: a refusal JSON document (`-` for standard input), checked by the
/// library as `grant` checks a grant.
pub fn refuse(ctx: &Context<'_>, args: &RefuseArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let text = read_input(&args.file, consent_core::MAX_DOCUMENT_BYTES)?;
    let ledger = ctx.open()?;
    let request = ledger.parse_refusal(&text)?;
    let id = ledger.refuse(&request, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-refuse/1",
            json!({ "record_id": id }),
        )?));
    }
    Ok(Outcome::ok(format!("{id}\n")))
}

/// `consent rectify SUBJECT GRANT_ID (--evidence-reference R | --valid-from T | --valid-until
/// T|none) --reason TEXT`.
pub fn rectify(ctx: &Context<'_>, args: &RectifyArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let grant: GrantId = args.grant.parse()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    // clap's group requires exactly one of the three.
    let (field, correction) = match (&args.evidence_reference, args.valid_from, args.valid_until) {
        (Some(reference), None, None) => (
            "evidence_reference",
            Correction::EvidenceReference(reference.clone()),
        ),
        (None, Some(from), None) => (
            "valid_from",
            Correction::ValidFrom(from.resolve(|| ledger.now())),
        ),
        (None, None, Some(Until::Never)) => ("valid_until", Correction::ValidUntil(None)),
        (None, None, Some(Until::At(until))) => (
            "valid_until",
            Correction::ValidUntil(Some(until.resolve(|| ledger.now()))),
        ),
        _ => {
            return Err(CliError::new(
                "invalid_input",
                "give exactly one of --evidence-reference, --valid-from and --valid-until",
            ));
        }
    };
    let shown = serde_json::to_value(&correction)
        .map_err(|e| CliError::new("storage", format!("cannot encode the correction: {e}")))?;
    let id = ledger.rectify(&subject, grant, correction, &args.reason, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-rectify/1",
            json!({
                "record_id": id,
                "grant_id": grant,
                "correction": shown,
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "corrected {field} of grant {grant} (record {id}); decisions for earlier instants are unchanged\n"
    )))
}

/// `consent access-request SUBJECT [--at T]`: registers the request; the answer is due one
/// month after receipt.
pub fn access_request(ctx: &Context<'_>, args: &AccessRequestArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let received_at = at_or(args.at, || ledger.now());
    let request = ledger.register_access_request(&subject, received_at, &actor)?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-access-request/1",
            json!({
                "record_id": request.id,
                "received_at": instant(request.received_at),
                "due_at": instant(request.due_at),
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "registered the access request received {} (record {}); answer it by {} (`consent export`)\n",
        instant(request.received_at),
        request.id,
        instant(request.due_at)
    )))
}

/// `consent pseudonym SUBJECT`: reads nothing of the person's data, so no actor is needed.
pub fn pseudonym(ctx: &Context<'_>, args: &SubjectArgs) -> Result<Outcome, CliError> {
    let given = ids::read_one("subject", &args.subject)?;
    let ledger = ctx.open_read_only()?;
    let subject = given.parse(&ledger)?;
    let pseudonym = ledger.pseudonym(&subject).to_string();
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-pseudonym/1",
            json!({ "pseudonym": pseudonym }),
        )?));
    }
    Ok(Outcome::ok(format!("{pseudonym}\n")))
}
