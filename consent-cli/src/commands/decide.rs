//! `consent decide`: exit 0 permitted, 1 denied, 2 error.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use consent_core::{
    AnyActor, Assertion, Basis, Decision, DenialReason, DisclosureRequest, Ledger, NationalId,
};

use crate::cli::DecideArgs;
use crate::context::{Context, MAX_IMPORT_BYTES, Outcome};
use crate::error::CliError;
use crate::ids;
use crate::table::Table;
use crate::when::at_or;

pub fn decide(ctx: &Context<'_>, args: &DecideArgs) -> Result<Outcome, CliError> {
    let given = match &args.subject {
        Some(subject) => Some(ids::read_one("subject", subject)?),
        None => None,
    };
    // A logged decision writes its access; a plain one only reads.
    let reader = match &args.lookup_purpose {
        Some(purpose) => Some((ctx.acting()?, purpose.clone())),
        None => None,
    };
    let ledger = if reader.is_some() {
        ctx.open()?
    } else {
        ctx.open_read_only()?
    };
    let at = at_or(args.at, Utc::now);
    let assertions = args
        .assertions
        .iter()
        .map(|text| {
            let (condition, reference) = text.split_once('=').ok_or_else(|| {
                CliError::new(
                    "invalid_input",
                    "--assert takes CONDITION=REFERENCE, for example `serious_concern=2026/55`",
                )
            })?;
            Ok(Assertion::new(condition, reference)?)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    if let Some(path) = &args.subjects_from {
        return decide_batch(ctx, &ledger, args, path, &assertions, at, reader.as_ref());
    }
    let Some(given) = given else {
        return Err(CliError::new(
            "invalid_input",
            "give --subject FNR, --subject - (standard input) or --subjects-from FILE",
        ));
    };
    let subject = given.parse(&ledger)?;
    let decision = one(&ledger, &subject, args, &assertions, at, reader.as_ref())?;
    let stdout = if ctx.json() {
        super::json_out("consent-cli-decide/1", decision_value(&decision)?)?
    } else {
        render(&decision)
    };
    Ok(Outcome {
        stdout,
        stderr: None,
        code: if decision.permitted() { 0 } else { 1 },
    })
}

/// `decide --subjects-from FILE`: every line is parsed before any decision is made (a bad line
/// is exit 2 with no output); then one decision per line, in order. Exit 0 when every one is
/// permitted, 1 when any is denied.
/// One decision: logged when the caller gave an actor and a purpose of lookup.
fn one(
    ledger: &Ledger,
    subject: &NationalId,
    args: &DecideArgs,
    assertions: &[Assertion],
    at: DateTime<Utc>,
    reader: Option<&(AnyActor, String)>,
) -> Result<Decision, consent_core::Error> {
    match reader {
        None => ledger.decide_asserted(
            subject,
            &args.recipient,
            &args.purpose,
            &args.categories,
            assertions,
            at,
        ),
        Some((actor, purpose)) => {
            let request = DisclosureRequest::new(
                subject.clone(),
                &args.recipient,
                &args.purpose,
                &args.categories,
                at,
            )?
            .with_assertions(assertions.to_vec());
            ledger.decide_logged(&request, actor, purpose)
        }
    }
}

fn decide_batch(
    ctx: &Context<'_>,
    ledger: &Ledger,
    args: &DecideArgs,
    path: &Path,
    assertions: &[Assertion],
    at: DateTime<Utc>,
    reader: Option<&(AnyActor, String)>,
) -> Result<Outcome, CliError> {
    let subjects = ids::national_ids_from(ledger, path, MAX_IMPORT_BYTES)?;
    let mut stdout = String::new();
    let mut documents = Vec::new();
    let mut denied = 0usize;
    for (line, subject) in &subjects {
        let decision = one(ledger, subject, args, assertions, at, reader)
            .map_err(|e| CliError::from(e).context(format!("line {line}")))?;
        if !decision.permitted() {
            denied += 1;
        }
        if ctx.json() {
            let mut value = decision_value(&decision)?;
            if let Some(map) = value.as_object_mut() {
                map.insert("line".to_owned(), serde_json::Value::from(*line));
            }
            documents.push(value);
        } else {
            stdout.push_str(&summary(*line, &decision));
        }
    }
    if ctx.json() {
        stdout = super::json_out(
            "consent-cli-decide-batch/1",
            serde_json::json!({
                "decisions": documents,
                "denied": denied,
                "permitted": subjects.len() - denied,
            }),
        )?;
    }
    Ok(Outcome {
        stdout,
        stderr: (denied > 0).then(|| format!("{denied} of {} denied", subjects.len())),
        code: if denied == 0 { 0 } else { 1 },
    })
}

/// The library's decision document (docs/json.md, "Decision") as a JSON value.
fn decision_value(decision: &Decision) -> Result<serde_json::Value, CliError> {
    super::encode(decision)
}

/// One line per decision of a batch: the input's line number, the verdict, and each category
/// with its basis kind or denial reason (never the id).
fn summary(line: usize, decision: &Decision) -> String {
    let categories: Vec<String> = decision
        .outcomes()
        .map(|outcome| {
            let why = match outcome.result {
                Ok(Basis::Statute(rule)) => format!("rule:{}", rule.code),
                Ok(Basis::Consent { grant, .. }) => format!("grant:{grant}"),
                Err(reason) => reason.to_string(),
                Ok(_) => "other".to_owned(),
            };
            format!("{}={why}", outcome.category)
        })
        .collect();
    format!(
        "line {line}\t{}\t{}\n",
        if decision.permitted() {
            "PERMITTED"
        } else {
            "DENIED"
        },
        categories.join(" ")
    )
}

/// Why a reason denies, for people.
fn denial_text(reason: DenialReason) -> &'static str {
    match reason {
        DenialReason::NoBasis => "no statutory rule and no active consent covers it",
        DenialReason::Withdrawn => "the consent that covered it was withdrawn",
        DenialReason::Expired => "the consent that covered it has expired",
        DenialReason::NotExplicit => "special-category data needs explicit consent",
        DenialReason::ReconsentRequired => {
            "a representative's consent lapsed when the subject came of age; ask the subject"
        }
        DenialReason::Restricted => "the subject's processing is restricted",
        DenialReason::ConditionNotAsserted => {
            "a statute covers it only with an asserted condition (--assert CONDITION=REFERENCE)"
        }
        _ => "denied",
    }
}

fn render(decision: &Decision) -> String {
    let mut out = format!(
        "{}: {} for {} at {}\n",
        if decision.permitted() {
            "PERMITTED"
        } else {
            "DENIED"
        },
        decision.recipient(),
        decision.purpose(),
        decision.at().to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let mut table = Table::new(&["category", "result", "basis or reason"]);
    for outcome in decision.outcomes() {
        let category = if outcome.special {
            format!("{} (special)", outcome.category)
        } else {
            outcome.category.to_string()
        };
        // Both gates: the GDPR basis (and its statute) and the exception from confidentiality.
        let gates = outcome.gates.map_or_else(String::new, |g| {
            format!(
                "; GDPR {}{}{}; confidentiality {}",
                g.art6.as_str(),
                g.art9
                    .map_or_else(String::new, |a| format!(" + {}", a.as_str())),
                g.statute.map_or_else(String::new, |s| format!(" ({s})")),
                g.confidentiality_exception
            )
        });
        let (result, why) = match outcome.result {
            Ok(Basis::Statute(rule)) => (
                "permitted",
                format!(
                    "statute: rule {}{}{gates}",
                    rule.code,
                    outcome
                        .condition
                        .map_or_else(String::new, |c| format!(", asserted {c}"))
                ),
            ),
            Ok(Basis::Consent { grant, explicit }) => (
                "permitted",
                format!(
                    "{}consent: grant {grant}{gates}",
                    if explicit { "explicit " } else { "" }
                ),
            ),
            Err(reason) => ("denied", format!("{reason}: {}", denial_text(reason))),
            Ok(_) => ("permitted", "another basis".to_owned()),
        };
        table.row(vec![category, result.to_owned(), why]);
    }
    out.push_str(&table.render());
    out
}
