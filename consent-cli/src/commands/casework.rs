//! `consent succession`, `consent notifications`, `consent notified`, `consent deviations`:
//! case work that follows a person (an identity succession), the notification worklist (GDPR
//! Art. 18(3) and 19), and the deviations a municipality follows up (avvik).

use chrono::{DateTime, SecondsFormat, Utc};
use consent_core::SuccessionMode;
use serde_json::json;
use uuid::Uuid;

use super::json_out;
use crate::cli::{DeviationsArgs, NotificationsArgs, NotifiedArgs, SuccessionArgs};
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::table::Table;
use crate::when::at_or;

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `consent succession FROM TO --reference R [--merge]`: the person known under FROM (a DUF
/// number or a D-number) is now known under TO; their history follows them. A TO that already
/// holds records is joined only with `--merge`.
pub fn succession(ctx: &Context<'_>, args: &SuccessionArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    // Each `-` takes the next line of standard input: FROM first, then TO.
    let given = crate::ids::read(&[("FROM", &args.from), ("TO", &args.to)])?;
    let ledger = ctx.open()?;
    let (Some(from), Some(to)) = (given.first(), given.get(1)) else {
        return Err(CliError::new("invalid_input", "give FROM and TO"));
    };
    let (from, to) = (from.parse(&ledger)?, to.parse(&ledger)?);
    let mode = if args.merge {
        SuccessionMode::Merge
    } else {
        SuccessionMode::Move
    };
    let id = ledger.record_identity_succession(&from, &to, &args.reference, mode, &actor)?;
    let from_pseudonym = ledger.pseudonym(&from).to_string();
    let to_pseudonym = ledger.pseudonym(&to).to_string();
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-succession/1",
            json!({
                "event_id": id,
                "from": from_pseudonym,
                "to": to_pseudonym,
                "merge": args.merge,
            }),
        )?));
    }
    let joined = if args.merge {
        "; the two histories were merged"
    } else {
        ""
    };
    Ok(Outcome::ok(format!(
        "recorded the succession {from_pseudonym} -> {to_pseudonym} (pseudonyms) as event {id}; the person's history follows them{joined}\n"
    )))
}

/// `consent notifications [--at T]`: the tasks of telling the person of a lifted restriction
/// and every recipient of a rectification, a restriction or an erasure, not yet marked done.
pub fn notifications(ctx: &Context<'_>, args: &NotificationsArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let at = at_or(args.at, || ledger.now());
    let tasks = ledger.notifications_due(at)?;
    if ctx.json() {
        let items = super::encode(&tasks)?;
        return Ok(Outcome::ok(json_out(
            "consent-cli-notifications/1",
            json!({ "at": at, "items": items }),
        )?));
    }
    let mut table = Table::new(&[
        "due",
        "before",
        "reason",
        "tell",
        "event",
        "subject (pseudonym)",
    ]);
    for task in &tasks {
        let reason = match serde_json::to_value(task.reason) {
            Ok(serde_json::Value::String(text)) => text,
            _ => {
                return Err(CliError::new(
                    "storage",
                    "cannot encode a notification reason",
                ));
            }
        };
        table.row(vec![
            instant(task.due_at),
            task.before.map_or_else(|| "-".to_owned(), instant),
            reason,
            task.recipient
                .as_ref()
                .map_or_else(|| "the person".to_owned(), ToString::to_string),
            task.event_id.to_string(),
            task.subject.to_string(),
        ]);
    }
    let head = format!("{} notifications due at {}\n", tasks.len(), instant(at));
    if table.is_empty() {
        return Ok(Outcome::ok(head));
    }
    Ok(Outcome::ok(format!("{head}{}", table.render())))
}

/// `consent deviations [--since T]`: disclosures the ledger would now deny at their instant.
pub fn deviations(ctx: &Context<'_>, args: &DeviationsArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let since = match args.since {
        None => DateTime::<Utc>::UNIX_EPOCH,
        Some(when) => when.resolve(|| ledger.now()),
    };
    let deviations = ledger.deviations(since)?;
    if ctx.json() {
        let items = super::encode(&deviations)?;
        return Ok(Outcome::ok(json_out(
            "consent-cli-deviations/1",
            json!({ "since": since, "items": items }),
        )?));
    }
    let mut table = Table::new(&[
        "disclosed",
        "recorded",
        "recipient",
        "purpose",
        "denied now",
        "event",
        "subject (pseudonym)",
    ]);
    for deviation in &deviations {
        let denied: Vec<String> = deviation
            .categories
            .iter()
            .map(|c| format!("{}: {}", c.category, c.reason.as_str()))
            .collect();
        table.row(vec![
            instant(deviation.at),
            instant(deviation.recorded_at),
            deviation.recipient.to_string(),
            deviation.purpose.to_string(),
            denied.join(", "),
            deviation.event_id.to_string(),
            deviation.subject.to_string(),
        ]);
    }
    let head = format!(
        "{} deviations among the disclosures recorded since {}\n",
        deviations.len(),
        instant(since)
    );
    if table.is_empty() {
        return Ok(Outcome::ok(head));
    }
    Ok(Outcome::ok(format!("{head}{}", table.render())))
}

/// `consent notified EVENT_ID [--recipient R] --at T`: marks a task of the worklist done.
pub fn notified(ctx: &Context<'_>, args: &NotifiedArgs) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let event_id = Uuid::parse_str(&args.event_id)
        .map_err(|_| CliError::new("invalid_input", "EVENT_ID is not a UUID"))?;
    let ledger = ctx.open()?;
    let at = args.at.resolve(|| ledger.now());
    let id = ledger.record_notification(event_id, args.recipient.as_deref(), at, &actor)?;
    let told = args.recipient.as_deref().unwrap_or("the person");
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-notified/1",
            json!({
                "record_id": id,
                "event_id": event_id,
                "recipient": args.recipient,
                "at": at,
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "recorded that {told} was told at {} of event {event_id} (record {id})\n",
        instant(at)
    )))
}
