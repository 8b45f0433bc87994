//! A settlement case from start to finish, printed as a report a case worker can read.
//!
//! A refugee family is settled in the municipality: the mother consents to sharing with NAV
//! and (explicitly) to health coordination with the learning centre; her 14-year-old son's
//! verge consents for him. The municipality registers the mother in NIR by statute, shares
//! what each basis allows (and records those disclosures), the mother withdraws one consent,
//! and the decisions change from that instant on, while earlier ones stand.
//!
//! The ledger is an embedded SQLite file (a fresh one in the temporary directory unless a path
//! is given); at the end the example closes it, reopens it and shows that nothing was lost.
//! It runs on a test clock that moves through the case's dates, so the report is the same on
//! every run: a production ledger stamps each event with the system clock, and refuses a
//! consent dated more than 30 days before it is recorded.
//!
//! Run: `cargo run -p consent-core --example settlement [-- LEDGER_FILE]`

use std::error::Error;

use chrono::{DateTime, Utc};
use consent_core::{
    Actor, Assertion, Basis, Decision, DisclosureRequest, Ledger, LedgerOptions, NationalId,
    control_digits,
};

fn at(text: &str) -> Result<DateTime<Utc>, Box<dyn Error>> {
    Ok(text.parse()?)
}

/// A valid national id for a birth date and an individnummer prefix (synthetic people).
fn person(ddmmyy: &str, individ: &str) -> Result<String, Box<dyn Error>> {
    (0..10)
        .find_map(|d| control_digits(&format!("{ddmmyy}{individ}{d}")))
        .ok_or_else(|| "no valid control digits".into())
}

fn show(label: &str, decision: &Decision) {
    let verdict = if decision.permitted() {
        "PERMITTED"
    } else {
        "DENIED"
    };
    println!(
        "  {label:<44} {verdict:<9} -> {} for {}",
        decision.recipient(),
        decision.purpose()
    );
    for outcome in decision.outcomes() {
        let basis = match outcome.result {
            Ok(Basis::Statute(rule)) => match outcome.condition {
                Some(condition) => format!("rule {} on {condition}", rule.code),
                None => format!("rule {}", rule.code),
            },
            Ok(Basis::Consent { grant, explicit }) => format!(
                "{}consent, grant {grant}",
                if explicit { "explicit " } else { "" }
            ),
            Err(reason) => format!("denied: {reason}"),
            Ok(_) => "another basis".to_owned(),
        };
        println!("      {:<24} {basis}", outcome.category.as_str());
        // The two gates every disclosure passes: a GDPR basis, and an exception from the
        // duty of confidentiality.
        if let Some(gates) = outcome.gates {
            let art9 = gates.art9.map(|a| format!(" + {}", a.as_str()));
            let source = gates.confidentiality_statute.map(|s| format!(" ({s})"));
            println!(
                "      {:<24} GDPR: {}{} ({}); confidentiality: {}{}",
                "",
                gates.art6.as_str(),
                art9.unwrap_or_default(),
                gates.statute.unwrap_or("consent is the basis"),
                gates.confidentiality_exception,
                source.unwrap_or_default(),
            );
        }
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the example reads as one case, top to bottom"
)]
fn main() -> Result<(), Box<dyn Error>> {
    let path = match std::env::args().nth(1) {
        Some(path) => std::path::PathBuf::from(path),
        None => {
            // A fresh demo ledger each run.
            let dir = std::env::temp_dir().join("consent-settlement-demo");
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
            dir.join("settlement.db")
        }
    };
    let options = |now| LedgerOptions::default().with_test_clock(now);
    let ledger = Ledger::open(&path, options(at("2026-01-05T10:00:00Z")?))?;
    let case_worker = Actor::new("saksbehandler-17", "case_worker")?;

    // Synthetic people (valid control digits; not real persons).
    let mother = person("150385", "10")?; // born 1985
    let son = person("010611", "51")?; // born 1 June 2011: 14 at settlement
    let verge = person("020270", "42")?; // the son's verge
    let mother_id = ledger.parse_national_id(&mother)?;
    let son_id: NationalId = ledger.parse_national_id(&son)?;

    println!("consent: settlement case, Elverum kommune (synthetic people)");
    println!("ledger file {} (key file beside it)", path.display());
    println!(
        "catalogue {} with {} statutory rules\n",
        ledger.catalogue().version(),
        ledger.catalogue().rules().len()
    );

    let grant = |json: serde_json::Value| -> Result<_, Box<dyn Error>> {
        let request = ledger.parse_grant(&json.to_string())?;
        Ok(ledger.grant(&request, &case_worker)?)
    };
    let evidence = serde_json::json!({
        "method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true,
        "collected_by": "flyktningtjenesten"
    });
    let notice = serde_json::json!({"id": "bosetting-personvern", "version": "2024-10-16"});

    println!("1. Consents recorded on 5 January 2026");
    let nav_grant = grant(serde_json::json!({
        "subject": mother, "grantor": {"role": "self"},
        "purposes": ["employment_followup"], "recipients": ["nav"],
        "categories": ["finances", "family"], "explicit": false,
        "valid_from": "2026-01-05T09:00:00Z", "valid_until": "2027-01-05T09:00:00Z",
        "evidence": evidence, "notice": notice
    }))?;
    println!("  mother -> NAV, employment follow-up, finances+family      grant {nav_grant}");
    let health_grant = grant(serde_json::json!({
        "subject": mother, "grantor": {"role": "self"},
        "purposes": ["health_coordination"], "recipients": ["laeringssenteret"],
        "categories": ["health"], "explicit": true,
        "valid_from": "2026-01-05T09:00:00Z", "valid_until": null,
        "evidence": evidence, "notice": notice
    }))?;
    println!("  mother -> Læringssenteret, health (explicit)              grant {health_grant}");
    let own = ledger.parse_grant(
        &serde_json::json!({
            "subject": son, "grantor": {"role": "self"},
            "purposes": ["health_coordination"], "recipients": ["helsetjenesten"],
            "categories": ["family"], "explicit": true,
            "valid_from": "2026-01-05T09:00:00Z", "evidence": evidence, "notice": notice
        })
        .to_string(),
    )?;
    match ledger.grant(&own, &case_worker) {
        Ok(_) => println!("  son (14) alone: recorded (unexpected)"),
        Err(e) => println!("  son (14) alone -> rejected: {e}"),
    }
    let son_grant = grant(serde_json::json!({
        "subject": son,
        "grantor": {"role": "verge", "id": verge, "authority": "Statsforvalteren i Innlandet 2025/4411"},
        "purposes": ["health_coordination"], "recipients": ["helsetjenesten"],
        "categories": ["family"], "explicit": true,
        // He is 14: the verge heard him first (barneloven § 31, from 12 in the catalogue).
        "child_heard": {"at": "2026-01-05T08:30:00Z", "position": "agrees", "reference": "2026/4412"},
        "valid_from": "2026-01-05T09:00:00Z", "evidence": evidence, "notice": notice
    }))?;
    println!("  son's verge -> helsetjenesten, family                     grant {son_grant}\n");

    println!("2. Decisions on 1 March 2026");
    let march = at("2026-03-01T10:00:00Z")?;
    ledger.set_clock(march)?;
    let nir = ledger.decide_with(
        &mother_id,
        "nir",
        "nir_registration",
        &["name", "national_id", "programme_participation"],
        march,
    )?;
    show("register the mother in NIR", &nir);
    let nav = ledger.decide_with(
        &mother_id,
        "nav",
        "employment_followup",
        &["name", "finances", "family"],
        march,
    )?;
    show("employment follow-up with NAV", &nav);
    let health = ledger.decide_with(
        &mother_id,
        "laeringssenteret",
        "health_coordination",
        &["health"],
        march,
    )?;
    show("health needs to Læringssenteret", &health);
    let wrong_purpose = ledger.decide_with(
        &mother_id,
        "nav",
        "introduction_benefit",
        &["finances"],
        march,
    )?;
    show("finances to NAV for another purpose", &wrong_purpose);
    let son_health = ledger.decide_with(
        &son_id,
        "helsetjenesten",
        "health_coordination",
        &["family"],
        march,
    )?;
    show("son's family situation to helsetjenesten", &son_health);
    // Barnevernet is told only when there is reason to believe a child is at risk, or on
    // order: the rule needs an asserted condition, and routine sharing is denied.
    let routine = ledger.decide_with(
        &son_id,
        "barnevern",
        "child_welfare_followup",
        &["name", "family"],
        march,
    )?;
    show("son to barnevernet, routine", &routine);
    let concern = [Assertion::new("serious_concern", "2026/55")?];
    let duty = ledger.decide_asserted(
        &son_id,
        "barnevern",
        "child_welfare_followup",
        &["name", "family"],
        &concern,
        march,
    )?;
    show("son to barnevernet, serious concern 2026/55", &duty);

    // The unit shares what was permitted and records each disclosure: the record re-checks
    // the permit, and the mother's access letter lists who received what, and why.
    for (recipient, purpose, categories) in [
        (
            "nir",
            "nir_registration",
            &["name", "national_id", "programme_participation"][..],
        ),
        (
            "nav",
            "employment_followup",
            &["name", "finances", "family"][..],
        ),
        ("laeringssenteret", "health_coordination", &["health"][..]),
    ] {
        let request =
            DisclosureRequest::new(mother_id.clone(), recipient, purpose, categories, march)?;
        ledger.record_disclosure(&request, &case_worker)?;
    }
    println!("  recorded: the mother's data to NIR, NAV and Læringssenteret, as permitted");

    println!("\n3. The mother withdraws her NAV consent on 1 April 2026");
    ledger.set_clock(at("2026-04-01T08:30:00Z")?)?;
    ledger.withdraw(
        nav_grant,
        at("2026-04-01T08:00:00Z")?,
        &case_worker,
        Some("by phone to the case worker"),
    )?;
    let may = at("2026-05-01T10:00:00Z")?;
    ledger.set_clock(may)?;
    show(
        "employment follow-up with NAV, 1 May",
        &ledger.decide_with(
            &mother_id,
            "nav",
            "employment_followup",
            &["name", "finances"],
            may,
        )?,
    );
    show(
        "the same request, 1 March (unchanged)",
        &ledger.decide_with(
            &mother_id,
            "nav",
            "employment_followup",
            &["name", "finances"],
            march,
        )?,
    );

    println!("\n4. The son turns 18 on 1 June 2029");
    let after = at("2029-06-02T10:00:00Z")?;
    ledger.set_clock(after)?;
    show(
        "son's family situation, 2 June 2029",
        &ledger.decide_with(
            &son_id,
            "helsetjenesten",
            "health_coordination",
            &["family"],
            after,
        )?,
    );

    let report = ledger.verify()?;
    println!(
        "\n5. Ledger: {} events, chain {} (head {}…)",
        ledger.event_count(),
        if report.ok { "verified" } else { "BROKEN" },
        report.head_hash.get(..16).unwrap_or_default()
    );
    for event in ledger.events()? {
        println!(
            "  #{:<2} {:<20} by {} ({}), {}",
            event.seq,
            event.payload.kind(),
            event.actor.id(),
            event.actor.role(),
            event
                .subject
                .map_or_else(|| "no subject".to_owned(), |s| format!("subject {s}"))
        );
    }
    println!("  (subjects appear only as keyed pseudonyms; no national id is stored)");

    let before = ledger.decide_with(
        &mother_id,
        "nav",
        "employment_followup",
        &["name", "finances"],
        march,
    )?;
    let events = ledger.event_count();
    drop(ledger);
    let reopened = Ledger::open(&path, options(after))?;
    let again = reopened.decide_with(
        &mother_id,
        "nav",
        "employment_followup",
        &["name", "finances"],
        march,
    )?;
    println!(
        "\n6. Reopened {}: {} events (was {events}), chain {}, the 1 March decision {}",
        path.display(),
        reopened.event_count(),
        if reopened.verify()?.ok {
            "verified"
        } else {
            "BROKEN"
        },
        if again.to_json() == before.to_json() {
            "unchanged"
        } else {
            "CHANGED"
        }
    );
    Ok(())
}
