//! `consent decide`: exit 0 permitted, 1 denied, 2 error.

use chrono::{SecondsFormat, Utc};
use consent_core::{Assertion, Basis, Decision, DenialReason};

use crate::cli::DecideArgs;
use crate::context::{Context, Outcome};
use crate::error::CliError;
use crate::table::Table;
use crate::when::at_or;

pub fn decide(ctx: &Context<'_>, args: &DecideArgs) -> Result<Outcome, CliError> {
    let ledger = ctx.open_read_only()?;
    let subject = ledger
        .parse_national_id(&args.subject)
        .map_err(|e| CliError::from(e).context("subject"))?;
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
    let decision = ledger.decide_asserted(
        &subject,
        &args.recipient,
        &args.purpose,
        &args.categories,
        &assertions,
        at,
    )?;
    let stdout = if ctx.json() {
        let mut text = decision.to_json();
        text.push('\n');
        text
    } else {
        render(&decision)
    };
    Ok(Outcome {
        stdout,
        stderr: None,
        code: if decision.permitted() { 0 } else { 1 },
    })
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
