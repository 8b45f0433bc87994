//! `consent catalogue show` and `consent catalogue check`.

use std::path::Path;

use consent_core::Catalogue;
use serde_json::{Value, json};

use super::json_out;
use crate::context::{Context, Outcome, load_catalogue};
use crate::error::CliError;
use crate::table::{Table, list};

/// A serde value's JSON string form (`A6_1_e`), for table cells.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub fn show(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    let catalogue = ctx.catalogue()?;
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-catalogue-show/1",
            catalogue_json(&catalogue),
        )?));
    }
    let mut out = format!(
        "catalogue {} ({} purposes, {} recipients, {} categories, {} statutory rules)\n",
        catalogue.version(),
        catalogue.purposes().len(),
        catalogue.recipients().len(),
        catalogue.categories().len(),
        catalogue.rules().len()
    );
    let settings = catalogue.settings();
    let heard = match settings.hear_child_from_age {
        Some(age) => format!("; a representative records the child's view from age {age}"),
        None => String::new(),
    };
    out.push_str(&format!(
        "self-consent from age {} ({} with a maturity assessment, {} for special categories); a representative's grant lapses at {} ({} for special categories){}; statistics suppress counts below {}\n",
        settings.self_consent_age,
        settings.mature_minor_min_age,
        settings.special_self_consent_age,
        settings.representative_until_age,
        settings.representative_special_until_age,
        heard,
        settings.statistics_min_cell
    ));

    let mut purposes = Table::new(&["purpose", "name"]);
    for entry in catalogue.purposes() {
        purposes.row(vec![entry.code.to_string(), entry.name.clone()]);
    }
    let mut recipients = Table::new(&["recipient", "name"]);
    for entry in catalogue.recipients() {
        recipients.row(vec![entry.code.to_string(), entry.name.clone()]);
    }
    let mut categories = Table::new(&["category", "name", "special (Art. 9)"]);
    for category in catalogue.categories() {
        categories.row(vec![
            category.code.to_string(),
            category.name.clone(),
            if category.special { "yes" } else { "no" }.to_owned(),
        ]);
    }
    let mut statutes = Table::new(&["statute", "citation", "lovdata"]);
    for statute in catalogue.statutes() {
        statutes.row(vec![
            statute.code.to_string(),
            statute.title.clone(),
            statute.lovdata_id.clone().unwrap_or_default(),
        ]);
    }
    let mut rules = Table::new(&[
        "rule",
        "statute",
        "recipient",
        "purposes",
        "categories",
        "art6",
        "art9",
        "exception",
    ]);
    for rule in catalogue.rules() {
        rules.row(vec![
            rule.code.to_string(),
            rule.statute.clone(),
            catalogue.rule_recipient(rule).to_string(),
            list(&catalogue.rule_purposes(rule)),
            list(&catalogue.rule_categories(rule)),
            name_of(&rule.art6),
            rule.art9.as_ref().map(name_of).unwrap_or_default(),
            rule.confidentiality_exception.to_string(),
        ]);
    }
    for (title, table) in [
        ("Purposes", purposes),
        ("Recipients", recipients),
        ("Data categories", categories),
        ("Statutes", statutes),
        ("Statutory rules (everything else needs consent)", rules),
    ] {
        out.push_str(&format!("\n{title}\n"));
        out.push_str(&table.render());
    }
    Ok(Outcome::ok(out))
}

pub fn check(ctx: &Context<'_>, file: &Path) -> Result<Outcome, CliError> {
    let catalogue = load_catalogue(file)?;
    let advice = catalogue.advice();
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-catalogue-check/1",
            json!({
                "valid": true,
                "format": catalogue.format(),
                "version": catalogue.version(),
                "digest": catalogue.digest(),
                "advice": advice,
                "purposes": catalogue.purposes().len(),
                "recipients": catalogue.recipients().len(),
                "categories": catalogue.categories().len(),
                "statutes": catalogue.statutes().len(),
                "rules": catalogue.rules().len(),
            }),
        )?));
    }
    let mut out = format!(
        "catalogue `{}` is valid: format {}, version {}, {} purposes, {} recipients, {} categories, {} statutes, {} rules\n",
        file.display(),
        catalogue.format(),
        catalogue.version(),
        catalogue.purposes().len(),
        catalogue.recipients().len(),
        catalogue.categories().len(),
        catalogue.statutes().len(),
        catalogue.rules().len()
    );
    if !advice.is_empty() {
        out.push_str("\nFor the data protection officer:\n");
        for item in &advice {
            out.push_str(&format!("  [{}] {}\n", item.code, item.message));
        }
    }
    Ok(Outcome::ok(out))
}

/// `consent catalogue adopt FILE`: the ledger opens under the catalogue in force (whatever
/// `--catalogue` says) and records the adoption of the new one.
pub fn adopt(ctx: &Context<'_>, file: &Path) -> Result<Outcome, CliError> {
    let actor = ctx.acting()?;
    let catalogue = load_catalogue(file)?;
    let ledger = ctx.open_in_force()?;
    let previous = ledger.catalogue().version().to_owned();
    let id = ledger.adopt_catalogue(&catalogue, &actor)?;
    let from = ledger
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    if ctx.json() {
        return Ok(Outcome::ok(json_out(
            "consent-cli-catalogue-adopt/1",
            json!({
                "event_id": id,
                "version": catalogue.version(),
                "digest": catalogue.digest(),
                "previous_version": previous,
                "in_force_from": from,
            }),
        )?));
    }
    Ok(Outcome::ok(format!(
        "adopted catalogue {} (sha256 {}) in place of {previous}, in force from {from}; decisions for earlier instants keep the rules in force then\n",
        catalogue.version(),
        catalogue.digest()
    )))
}

fn catalogue_json(catalogue: &Catalogue) -> Value {
    let settings = catalogue.settings();
    json!({
        "version": catalogue.version(),
        "digest": catalogue.digest(),
        "settings": settings,
        "format": catalogue.format(),
        "purposes": catalogue.purposes().iter()
            .map(|e| json!({"code": e.code, "name": e.name, "consent_role": e.consent_role,
                "art6": e.art6, "art9": e.art9, "statute": e.statute})).collect::<Vec<_>>(),
        "recipients": catalogue.recipients().iter()
            .map(|e| json!({"code": e.code, "name": e.name})).collect::<Vec<_>>(),
        "categories": catalogue.categories().iter()
            .map(|c| json!({"code": c.code, "name": c.name, "special": c.special}))
            .collect::<Vec<_>>(),
        "statutes": catalogue.statutes().iter()
            .map(|s| json!({"code": s.code, "title": s.title, "lovdata_id": s.lovdata_id}))
            .collect::<Vec<_>>(),
        "rules": catalogue.rules().iter().map(|r| json!({
            "code": r.code,
            "statute": r.statute,
            "recipient": catalogue.rule_recipient(r),
            "purposes": catalogue.rule_purposes(r),
            "categories": catalogue.rule_categories(r),
            "art6": r.art6,
            "art9": r.art9,
            "confidentiality_exception": r.confidentiality_exception,
            "confidentiality_statute": r.confidentiality_statute,
            "requires": r.requires,
            "archival_duty": r.archival_duty,
            "restriction_applies": r.restriction_applies,
        })).collect::<Vec<_>>(),
    })
}
