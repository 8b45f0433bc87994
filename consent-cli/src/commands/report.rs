//! The commands that read: `export`, `stats`, `verify`, `reconsent`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use consent_core::{Ledger, StatisticsQuery};
use serde_json::{Value, json};

use super::{json_of, json_out};
use consent_documents::interop::FhirOptions;

use crate::cli::{ExportArgs, ExportFormat, ReconsentArgs, StatsArgs};
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::progress::Progress;
use crate::table::{Table, list};
use crate::when::at_or;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A JSON value as a table cell: strings bare, lists joined, null blank.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => {
            let texts: Vec<String> = items.iter().map(|v| cell(Some(v))).collect();
            list(&texts)
        }
        Some(other) => other.to_string(),
    }
}

fn count(value: &Value, key: &str) -> usize {
    value.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

/// The export as a document for programs: ours (`--json`, `--format json`: the library's
/// `consent-export/1` document with the tool's `schema` field), or as another system reads it
/// (`--format fhir|dpv`, documents of their own standards, untagged); `None` for the table.
fn document(
    ledger: &Ledger,
    export: &consent_core::SubjectExport,
    subject: &consent_core::NationalId,
    args: &ExportArgs,
    json: bool,
) -> Result<Option<String>, CliError> {
    let mut text = match args.format {
        Some(ExportFormat::Fhir) => {
            let options = if args.fhir_national_id {
                FhirOptions::with_national_id(ledger, export, subject)?
            } else {
                FhirOptions::pseudonym()
            };
            consent_documents::interop::fhir_bundle(export, &options)?
        }
        Some(ExportFormat::Dpv) => consent_documents::interop::dpv_jsonld(export)?,
        Some(ExportFormat::Json) => return tagged_export(export).map(Some),
        None if json => return tagged_export(export).map(Some),
        None => return Ok(None),
    };
    text.push('\n');
    Ok(Some(text))
}

/// The export under `--json`: the library's document, every field where it was, and `schema`.
fn tagged_export(export: &consent_core::SubjectExport) -> Result<String, CliError> {
    json_out("consent-cli-export/1", export.to_value()?)
}

pub fn export(ctx: &Context<'_>, args: &ExportArgs) -> Result<Outcome, CliError> {
    if args.fhir_national_id && args.format != Some(ExportFormat::Fhir) {
        return Err(CliError::new(
            "usage",
            "--fhir-national-id is for --format fhir only",
        ));
    }
    let given = crate::ids::read_one("subject", &args.subject)?;
    let actor = ctx.acting()?;
    // The export records who read it: a writer's open.
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let export = ledger.subject_export(&subject, &actor, &args.lookup_purpose)?;
    if let Some(text) = document(&ledger, &export, &subject, args, ctx.json())? {
        return Ok(Outcome::ok(text));
    }
    let doc = &export.to_value()?;
    let mut out = format!(
        "subject {} (pseudonym), status {}, generated {}\n",
        cell(doc.get("pii_principal_id")),
        cell(doc.get("status")),
        cell(doc.get("generated_at"))
    );
    let mut consents = Table::new(&[
        "grant",
        "state",
        "purposes",
        "recipients",
        "categories",
        "valid_from",
        "valid_until",
    ]);
    for record in doc
        .get("consent_records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let validity = record.get("current_validity");
        consents.row(vec![
            cell(record.get("record_id")),
            cell(record.get("event_state")),
            cell(record.get("purposes")),
            cell(record.get("recipient_third_parties")),
            cell(record.get("pii_information")),
            cell(validity.and_then(|v| v.get("valid_from"))),
            cell(validity.and_then(|v| v.get("valid_until"))),
        ]);
    }
    out.push_str("\nConsents\n");
    out.push_str(&consents.render());
    let mut disclosures =
        Table::new(&["seq", "disclosed_at", "recipient", "purpose", "categories"]);
    for record in doc
        .get("disclosures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        disclosures.row(vec![
            cell(record.get("seq")),
            cell(record.get("disclosed_at")),
            cell(record.get("recipient")),
            cell(record.get("purpose")),
            cell(record.get("pii_information")),
        ]);
    }
    out.push_str("\nDisclosures\n");
    out.push_str(&disclosures.render());
    let mut accesses = Table::new(&["accessed_at", "role", "operation", "purpose", "staff"]);
    for access in doc
        .get("accesses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        accesses.row(vec![
            cell(access.get("accessed_at")),
            cell(access.get("role")),
            cell(access.get("operation")),
            cell(access.get("purpose")),
            cell(access.get("entity_id")),
        ]);
    }
    out.push_str("\nWho looked (this export included)\n");
    out.push_str(&accesses.render());
    out.push_str(&format!(
        "\n{} refusals, {} rectifications, {} restrictions, {} access requests, erasure: {}\n(the full document, the answer to an access request: add --json)\n",
        count(doc, "refusals"),
        count(doc, "rectifications"),
        count(doc, "restrictions"),
        count(doc, "access_requests"),
        match doc.get("erasure") {
            None | Some(Value::Null) => "none".to_owned(),
            Some(value) => cell(value.get("outcome").or(Some(value))),
        }
    ));
    Ok(Outcome::ok(out))
}

pub fn stats(ctx: &Context<'_>, args: &StatsArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let actor = ctx.acting()?;
    let stats = ledger.statistics(
        &StatisticsQuery {
            from: args.from.clone(),
            to: args.to.clone(),
            min_cell: args.min_cell,
        },
        &actor,
    )?;
    if ctx.json() {
        return Ok(Outcome::ok(json_of("consent-cli-stats/1", &stats)?));
    }
    let hidden = format!("<{}", stats.min_cell);
    let shown = |n: Option<u64>| n.map_or_else(|| "(hidden)".to_owned(), |n| n.to_string());
    let mut rows = Table::new(&[
        stats.period.as_str(),
        "purpose",
        "recipient",
        "grants",
        "withdrawals",
        "refusals",
        "disclosures",
    ]);
    for row in &stats.rows {
        rows.row(vec![
            row.period.clone(),
            row.purpose.to_string(),
            row.recipient.to_string(),
            shown(row.grants),
            shown(row.withdrawals),
            shown(row.refusals),
            shown(row.disclosures),
        ]);
    }
    for total in &stats.totals {
        rows.row(vec![
            total.period.clone(),
            "(all)".to_owned(),
            "(all)".to_owned(),
            shown(total.grants),
            shown(total.withdrawals),
            shown(total.refusals),
            shown(total.disclosures),
        ]);
    }
    let mut active = Table::new(&[
        stats.period.as_str(),
        "at",
        "purpose",
        "recipient",
        "active grants",
    ]);
    for row in &stats.active_grants {
        active.row(vec![
            row.period.clone(),
            instant(row.at),
            row.purpose.to_string(),
            row.recipient.to_string(),
            shown(row.count),
        ]);
    }
    Ok(Outcome::ok(format!(
        "Events by {} ({})\n{}\nActive grants at the end of each {}\n{}\n(counts from 1 to {} are hidden, as {hidden}, and so are other counts where a total would give them away)\n",
        stats.period.as_str(),
        stats.periods.join(", "),
        rows.render(),
        stats.period.as_str(),
        active.render(),
        stats.min_cell.saturating_sub(1),
    )))
}

pub fn verify(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    ctx.require_ledger()?;
    let options = ctx.options()?;
    let spinner = Progress::spinner("verifying the hash chain");
    // A PostgreSQL ledger is opened read-only and verified (opening replays and checks the
    // chain; a chain that does not verify stops the open with the bad event named).
    let report = match ctx.postgres_url() {
        Some(_) => ctx
            .open_read_only()
            .and_then(|ledger| ledger.verify().map_err(CliError::from)),
        None => Ledger::verify_file(ctx.path(), &options).map_err(CliError::from),
    };
    spinner.finish();
    let report = report?;
    let failure = (!report.ok).then(|| {
        format!(
            "the ledger does not verify: first bad event seq {}: {}",
            report
                .first_bad_seq
                .map_or_else(|| "unknown".to_owned(), |s| s.to_string()),
            report.problem.as_deref().unwrap_or("unknown problem")
        )
    });
    let stdout = if ctx.json() {
        json_of("consent-cli-verify/1", &report)?
    } else if report.ok {
        format!(
            "ok: {} events verified, head {}\n",
            report.events, report.head_hash
        )
    } else {
        format!(
            "FAILED: {} events verified before the first bad event seq {}\n",
            report.events,
            report
                .first_bad_seq
                .map_or_else(|| "unknown".to_owned(), |s| s.to_string())
        )
    };
    Ok(Outcome {
        stdout,
        code: if failure.is_some() { 1 } else { 0 },
        stderr: failure,
    })
}

pub fn reconsent(ctx: &Context<'_>, args: &ReconsentArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let at = at_or(args.at, Utc::now);
    let items = ledger.reconsent_due(at, Duration::days(i64::from(args.days)))?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-reconsent/1",
            json!({
                "at": at,
                "days": args.days,
                "items": super::encode(&items)?,
            }),
        )?));
    }
    let mut table = Table::new(&[
        "due",
        "reason",
        "grant",
        "subject (pseudonym)",
        "purposes",
        "recipients",
        "categories",
    ]);
    for item in &items {
        table.row(vec![
            instant(item.due_at),
            item.reason.as_str().to_owned(),
            item.grant_id.to_string(),
            item.subject.to_string(),
            list(&item.purposes),
            list(&item.recipients),
            list(&item.categories),
        ]);
    }
    let head = format!(
        "{} grants need new consent within {} days of {}\n",
        items.len(),
        args.days,
        instant(at)
    );
    if table.is_empty() {
        return Ok(Outcome::ok(head));
    }
    Ok(Outcome::ok(format!("{head}{}", table.render())))
}
