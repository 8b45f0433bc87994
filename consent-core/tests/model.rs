//! Model-based test: random sequences of grant, withdraw, refuse, decide and reopen, checked at
//! every step against a reference model written from docs/json.md and docs/catalogue.md alone: a plain
//! list of grants, the statutory table with its conditions, and each purpose's two gates, read
//! directly, with no interning, bitsets or projection. The model also knows what a grant must be
//! to be recorded: not backdated beyond 30 days, explicit for health, not asked where an
//! unconditional statute already covers it, and given by someone competent (docs/json.md and
//! DOMAIN.md section 0.3: alone from 18, from 15 with a maturity assessment, from 16 for health;
//! a representative hears a child of 12 or older, and their grant lapses at 16 for health and
//! at 18 for the rest). It knows restriction and objection as GDPR Art. 18(2) and 21 have
//! them: while restricted, consent still permits and a statutory rule is denied `restricted`
//! unless it continues under a restriction (`nir_registration`, `barnevern_duty`); an objection
//! to a purpose denies `objected` to every Art. 6(1)(e) basis of it (the rule
//! `nav_introduction`, and consents that only waive confidentiality), until it is rejected.
//!
//! 2,000 sequences by default; `CONSENT_MODEL_CASES=20000 cargo test -p consent-core --test integration model::` for more.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a model test fails loudly on any disagreement"
)]

use std::sync::Arc;

use crate::common::{actor, national_id};
use chrono::{DateTime, Duration, TimeZone, Utc};
use consent_core::storage::MemoryStore;
use consent_core::{
    Catalogue, DenialReason, ErrorCode, GrantId, Ledger, LedgerOptions, PseudonymKey,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const RECIPIENTS: [&str; 5] = ["nav", "nir", "bufetat", "helsetjenesten", "barnevern"];
const PURPOSES: [&str; 5] = [
    "employment_followup",
    "nir_registration",
    "case_handling",
    "health_coordination",
    "child_welfare_followup",
];
const CATEGORIES: [&str; 5] = ["name", "finances", "family", "health", "national_id"];

/// A statutory rule of docs/catalogue.md, restricted to the codes above.
struct ModelRule {
    code: &'static str,
    recipient: &'static str,
    purpose: &'static str,
    categories: &'static [&'static str],
    art6: &'static str,
    statute: &'static str,
    exception: &'static str,
    /// Whether the rule permits only with an asserted condition.
    conditional: bool,
    /// Whether it continues while the subject's processing is restricted.
    continues: bool,
}

/// The rules, each valid from integreringsloven's or barnevernsloven's start, long before the
/// test's instants. No rule covers health.
const RULES: [ModelRule; 3] = [
    ModelRule {
        code: "nir_registration",
        recipient: "nir",
        purpose: "nir_registration",
        categories: &["name", "national_id", "finances"],
        art6: "A6_1_c",
        statute: "integreringsloven § 43",
        exception: "special_statute",
        conditional: false,
        continues: true,
    },
    ModelRule {
        code: "nav_introduction",
        recipient: "nav",
        purpose: "employment_followup",
        categories: &["name", "national_id"],
        art6: "A6_1_e",
        statute: "integreringsloven § 41, integreringsloven § 42 andre ledd",
        exception: "special_statute",
        conditional: false,
        continues: false,
    },
    ModelRule {
        code: "barnevern_duty",
        recipient: "barnevern",
        purpose: "child_welfare_followup",
        categories: &["name", "national_id", "family"],
        art6: "A6_1_c",
        statute: "barnevernsloven § 13-2",
        exception: "duty_to_inform",
        conditional: true,
        continues: true,
    },
];

/// Whether the person may object to a purpose (Art. 21(1)): a rule or a consent for it rests
/// on Art. 6(1)(e). Every purpose above but the NIR registration (Art. 6(1)(c)).
fn objectable(purpose: &str) -> bool {
    purpose != "nir_registration"
}

/// A restriction of the model: from, until (`None`: not lifted).
#[derive(Debug, Clone)]
struct ModelRestriction {
    subject: usize,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

/// An objection of the model.
#[derive(Debug, Clone)]
struct ModelObjection {
    id: uuid::Uuid,
    subject: usize,
    purpose: &'static str,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    resolved: bool,
}

/// What stops processing of a subject at an instant: the model's whole rule.
#[derive(Debug, Default)]
struct ModelFlags {
    restrictions: Vec<ModelRestriction>,
    objections: Vec<ModelObjection>,
}

impl ModelFlags {
    fn restricted(&self, subject: usize, at: DateTime<Utc>) -> bool {
        self.restrictions
            .iter()
            .any(|r| r.subject == subject && r.from <= at && r.until.is_none_or(|u| at < u))
    }

    fn objected(&self, subject: usize, purpose: &str, at: DateTime<Utc>) -> bool {
        self.objections.iter().any(|o| {
            o.subject == subject
                && o.purpose == purpose
                && o.from <= at
                && o.until.is_none_or(|u| at < u)
        })
    }
}

fn rule_for(recipient: &str, purpose: &str, category: &str) -> Option<&'static ModelRule> {
    RULES.iter().find(|r| {
        r.recipient == recipient && r.purpose == purpose && r.categories.contains(&category)
    })
}

/// The GDPR gate of a consent for each purpose above: consent only waives confidentiality
/// (fvl § 13 a nr. 1), and the processing rests on the purpose's statute.
fn consent_gdpr_gate(purpose: &str) -> (&'static str, &'static str) {
    match purpose {
        "nir_registration" => ("A6_1_c", "integreringsloven § 43"),
        _ => ("A6_1_e", "integreringsloven § 41"),
    }
}

#[derive(Debug, Clone)]
struct Person {
    number: String,
    /// Local midnight in Norway on the 12th, 15th, 16th and 18th birthdays.
    turns_12: DateTime<Utc>,
    turns_15: DateTime<Utc>,
    turns_16: DateTime<Utc>,
    turns_18: DateTime<Utc>,
}

fn oslo_midnight(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    // Summer time (UTC+2) for the dates used here: 1 June.
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
        - Duration::hours(if (4..=9).contains(&m) { 2 } else { 1 })
}

fn people() -> Vec<Person> {
    vec![
        Person {
            number: "15038510190".into(),
            turns_12: oslo_midnight(1997, 3, 15),
            turns_15: oslo_midnight(2000, 3, 15),
            turns_16: oslo_midnight(2001, 3, 15),
            turns_18: oslo_midnight(2003, 3, 15),
        },
        Person {
            number: national_id("010280", "12"),
            turns_12: oslo_midnight(1992, 2, 1),
            turns_15: oslo_midnight(1995, 2, 1),
            turns_16: oslo_midnight(1996, 2, 1),
            turns_18: oslo_midnight(1998, 2, 1),
        },
        // Born 1 June 2011: 15 on 1 June 2026, 16 on 1 June 2027, 18 on 1 June 2029, inside the
        // test's years.
        Person {
            number: national_id("010611", "51"),
            turns_12: oslo_midnight(2023, 6, 1),
            turns_15: oslo_midnight(2026, 6, 1),
            turns_16: oslo_midnight(2027, 6, 1),
            turns_18: oslo_midnight(2029, 6, 1),
        },
    ]
}

const VERGE: &str = "15038510190";

#[derive(Debug, Clone)]
enum Op {
    Grant {
        subject: usize,
        by_verge: bool,
        purposes: Vec<usize>,
        recipients: Vec<usize>,
        categories: Vec<usize>,
        explicit: bool,
        from: i64,
        length: Option<i64>,
        /// How many hours after `from` the grant is recorded (negative: before it starts).
        recorded: i64,
        /// Whether it records a maturity assessment, and that the child was heard.
        assessed: bool,
        heard: bool,
    },
    Withdraw {
        pick: usize,
        at_offset: i64,
    },
    WithdrawUnknown,
    Refuse {
        subject: usize,
    },
    Decide {
        subject: usize,
        recipient: usize,
        purpose: usize,
        categories: Vec<usize>,
        at: i64,
        asserted: bool,
    },
    /// A decision at (or a microsecond around) a boundary of an existing grant, where
    /// off-by-one errors live.
    DecideAtBoundary {
        pick: usize,
        boundary: usize,
        delta: i64,
        recipient: usize,
        purpose: usize,
        categories: Vec<usize>,
    },
    Restrict {
        subject: usize,
        at: i64,
    },
    Lift {
        subject: usize,
        at: i64,
    },
    Object {
        subject: usize,
        purpose: usize,
        at: i64,
    },
    Resolve {
        pick: usize,
        rejected: bool,
        at_offset: i64,
    },
    Reopen,
}

/// Instants between 2025-01-01 and 2031-01-01, as hours.
fn hours() -> impl Strategy<Value = i64> {
    0i64..(6 * 366 * 24)
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn instant(hours: i64) -> DateTime<Utc> {
    base() + Duration::hours(hours)
}

fn subset(n: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 1..=n.min(3))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, any::<bool>(), subset(5), subset(5), subset(5), any::<bool>(), hours(), proptest::option::of(-100i64..20_000), -200i64..1_000, any::<bool>(), any::<bool>())
            .prop_map(|(subject, by_verge, purposes, recipients, categories, explicit, from, length, recorded, assessed, heard)| Op::Grant {
                subject, by_verge, purposes, recipients, categories, explicit, from, length, recorded, assessed, heard
            }),
        2 => (any::<usize>(), -2_000i64..20_000).prop_map(|(pick, at_offset)| Op::Withdraw { pick, at_offset }),
        1 => Just(Op::WithdrawUnknown),
        1 => (0..3usize).prop_map(|subject| Op::Refuse { subject }),
        6 => (0..3usize, 0..5usize, 0..5usize, subset(5), hours(), any::<bool>())
            .prop_map(|(subject, recipient, purpose, categories, at, asserted)| Op::Decide { subject, recipient, purpose, categories, at, asserted }),
        4 => (any::<usize>(), 0..5usize, -1i64..=1, 0..5usize, 0..5usize, subset(5))
            .prop_map(|(pick, boundary, delta, recipient, purpose, categories)| Op::DecideAtBoundary {
                pick, boundary, delta, recipient, purpose, categories
            }),
        1 => (0..3usize, hours()).prop_map(|(subject, at)| Op::Restrict { subject, at }),
        1 => (0..3usize, hours()).prop_map(|(subject, at)| Op::Lift { subject, at }),
        1 => (0..3usize, 0..5usize, hours()).prop_map(|(subject, purpose, at)| Op::Object { subject, purpose, at }),
        1 => (any::<usize>(), any::<bool>(), -200i64..5_000).prop_map(|(pick, rejected, at_offset)| Op::Resolve { pick, rejected, at_offset }),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Debug, Clone)]
struct ModelGrant {
    id: GrantId,
    subject: usize,
    purposes: Vec<&'static str>,
    recipients: Vec<&'static str>,
    categories: Vec<&'static str>,
    explicit: bool,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    withdrawn: Option<DateTime<Utc>>,
    /// When a representative's grant lapses for health, and for the other categories.
    lapses_special: Option<DateTime<Utc>>,
    lapses: Option<DateTime<Utc>>,
}

/// The model's answer for one category: `Ok(true)` statute, `Ok(false)` consent, or a denial.
fn model_category(
    grants: &[ModelGrant],
    flags: &ModelFlags,
    subject: usize,
    request: (&str, &str, &str),
    asserted: bool,
    at: DateTime<Utc>,
) -> Result<bool, DenialReason> {
    let (recipient, purpose, category) = request;
    let rule = rule_for(recipient, purpose, category);
    if let Some(rule) = rule.filter(|r| !r.conditional || asserted) {
        if flags.restricted(subject, at) && !rule.continues {
            // Art. 18(2): it continues with the person's consent, unless that is objected to.
            let consent = model_consent(grants, subject, request, at, false);
            let objected = flags.objected(subject, purpose, at) && objectable(purpose);
            return match consent {
                Ok(false) if !objected => Ok(false),
                _ => Err(DenialReason::Restricted),
            };
        }
        if flags.objected(subject, purpose, at) && rule.art6 == "A6_1_e" {
            return Err(DenialReason::Objected);
        }
        return Ok(true);
    }
    let consent = model_consent(grants, subject, request, at, rule.is_some());
    if consent == Ok(false) && flags.objected(subject, purpose, at) && objectable(purpose) {
        return Err(DenialReason::Objected);
    }
    consent
}

/// The consent path of the model, for a category no rule covers (or whose rule's condition
/// was not asserted: `unasserted`).
fn model_consent(
    grants: &[ModelGrant],
    subject: usize,
    request: (&str, &str, &str),
    at: DateTime<Utc>,
    unasserted: bool,
) -> Result<bool, DenialReason> {
    let (recipient, purpose, category) = request;
    let special = category == "health";
    let mut reasons = Vec::new();
    for g in grants.iter().filter(|g| g.subject == subject) {
        let in_scope = g.purposes.contains(&purpose)
            && g.recipients.contains(&recipient)
            && g.categories.contains(&category)
            && g.from <= at;
        if !in_scope {
            continue;
        }
        let withdrawn = g.withdrawn.is_some_and(|w| at >= w);
        let lapses = if special { g.lapses_special } else { g.lapses };
        let lapsed = lapses.is_some_and(|l| at >= l);
        let expired = g.until.is_some_and(|u| at >= u);
        if !withdrawn && !lapsed && !expired {
            if !special || g.explicit {
                return Ok(false);
            }
            reasons.push(DenialReason::NotExplicit);
        } else if withdrawn {
            reasons.push(DenialReason::Withdrawn);
        } else if lapsed {
            reasons.push(DenialReason::ReconsentRequired);
        } else {
            reasons.push(DenialReason::Expired);
        }
    }
    // The most useful reason first (docs/json.md lists them; the engine documents
    // this order).
    for reason in [
        DenialReason::NotExplicit,
        DenialReason::ReconsentRequired,
        DenialReason::Withdrawn,
        DenialReason::Expired,
    ] {
        if reasons.contains(&reason) {
            return Err(reason);
        }
    }
    if unasserted {
        Err(DenialReason::ConditionNotAsserted)
    } else {
        Err(DenialReason::NoBasis)
    }
}

fn grant_json(person: &Person, op: &Op) -> serde_json::Value {
    let Op::Grant {
        by_verge,
        purposes,
        recipients,
        categories,
        explicit,
        from,
        length,
        assessed,
        heard,
        ..
    } = op
    else {
        panic!("not a grant")
    };
    let from_at = instant(*from);
    let grantor = if *by_verge {
        serde_json::json!({"role": "verge", "id": VERGE, "authority": "Statsforvalteren 2025/1"})
    } else {
        serde_json::json!({"role": "self"})
    };
    // Both made before the earliest recording (200 hours before the first instant).
    let before = base() - Duration::days(10);
    let assessment = assessed.then(|| {
        serde_json::json!({"assessed_by": "helsesykepleier", "reference": "2026/78", "at": before})
    });
    let hearing = heard
        .then(|| serde_json::json!({"at": before, "position": "agrees", "reference": "2026/79"}));
    serde_json::json!({
        "maturity_assessment": assessment,
        "child_heard": hearing,
        "subject": person.number,
        "grantor": grantor,
        "purposes": purposes.iter().map(|i| PURPOSES[*i]).collect::<Vec<_>>(),
        "recipients": recipients.iter().map(|i| RECIPIENTS[*i]).collect::<Vec<_>>(),
        "categories": categories.iter().map(|i| CATEGORIES[*i]).collect::<Vec<_>>(),
        "explicit": explicit,
        "valid_from": from_at,
        "valid_until": length.map(|l| from_at + Duration::hours(l)),
        "evidence": {"method": "digital_form", "reference": "2026/77", "language": "so", "interpreter": false},
        "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
    })
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let people = people();
    let store = Arc::new(MemoryStore::new());
    let options = LedgerOptions::default()
        .with_catalogue(Catalogue::embedded())
        .with_key(PseudonymKey::from_bytes([5; 32]))
        .with_test_clock(base());
    let mut ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    let mut grants: Vec<ModelGrant> = Vec::new();
    let mut flags = ModelFlags::default();
    let mut events = 0u64;
    for op in ops {
        match &op {
            Op::Grant {
                subject,
                by_verge,
                purposes,
                recipients,
                categories,
                explicit,
                from,
                length,
                recorded,
                assessed,
                heard,
            } => {
                let person = &people[*subject];
                let from_at = instant(*from);
                let recorded_at = from_at + Duration::hours(*recorded);
                ledger.set_clock(recorded_at).unwrap();
                let until = length.map(|l| from_at + Duration::hours(l));
                let cats: Vec<&str> = categories.iter().map(|i| CATEGORIES[*i]).collect();
                let special = cats.contains(&"health");
                let ordinary = cats.iter().any(|c| *c != "health");
                let covered_by_statute = purposes.iter().any(|p| {
                    recipients.iter().any(|r| {
                        cats.iter().any(|c| {
                            rule_for(RECIPIENTS[*r], PURPOSES[*p], c)
                                .is_some_and(|r| !r.conditional)
                        })
                    })
                });
                let expected_ok = until.is_none_or(|u| u > from_at)
                    && from_at >= recorded_at - Duration::days(30)
                    && (!special || *explicit)
                    && !covered_by_statute
                    && if *by_verge {
                        // A verge may grant for a minor (lapses at 16 for health and at 18 for
                        // the rest; a child of 12 or older is heard first) or an adult (no
                        // lapse), but not be the subject, and never with a maturity assessment.
                        person.number != VERGE
                            && !*assessed
                            && (*heard || from_at < person.turns_12 || from_at >= person.turns_18)
                            && !(special && from_at >= person.turns_16 && from_at < person.turns_18)
                    } else {
                        // Alone: health from 16; the rest from 18, or from 15 with a maturity
                        // assessment, which an adult's grant does not take; no hearing.
                        !*heard
                            && (!special || from_at >= person.turns_16)
                            && (!ordinary
                                || from_at >= person.turns_18
                                || (*assessed && from_at >= person.turns_15))
                            && !(*assessed && from_at >= person.turns_18)
                    };
                let request = ledger
                    .parse_grant(&grant_json(person, &op).to_string())
                    .unwrap();
                let result = ledger.grant(&request, &actor());
                prop_assert_eq!(result.is_ok(), expected_ok, "grant {:?}: {:?}", op, result);
                if let Ok(id) = result {
                    events += 1;
                    grants.push(ModelGrant {
                        id,
                        subject: *subject,
                        purposes: purposes.iter().map(|i| PURPOSES[*i]).collect(),
                        recipients: recipients.iter().map(|i| RECIPIENTS[*i]).collect(),
                        categories: cats.clone(),
                        explicit: *explicit,
                        from: from_at,
                        until,
                        withdrawn: None,
                        lapses_special: (*by_verge && from_at < person.turns_18)
                            .then_some(person.turns_16),
                        lapses: (*by_verge && from_at < person.turns_18).then_some(person.turns_18),
                    });
                } else {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidInput);
                }
            }
            Op::Withdraw { pick, at_offset } => {
                if grants.is_empty() {
                    continue;
                }
                let index = pick % grants.len();
                let g = &grants[index];
                let at = g.from + Duration::hours(*at_offset);
                let result = ledger.withdraw(g.id, at, &actor(), None);
                let expected = if g.withdrawn.is_some() {
                    Err(ErrorCode::Conflict)
                } else if at < g.from {
                    Err(ErrorCode::InvalidInput)
                } else {
                    Ok(())
                };
                prop_assert_eq!(
                    result.as_ref().map_err(|e| e.code()),
                    expected.as_ref().map_err(|c| *c),
                    "withdraw {:?}",
                    op
                );
                if result.is_ok() {
                    events += 1;
                    grants[index].withdrawn = Some(at);
                }
            }
            Op::WithdrawUnknown => {
                let unknown: GrantId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
                let err = ledger
                    .withdraw(unknown, base(), &actor(), None)
                    .unwrap_err();
                prop_assert_eq!(err.code(), ErrorCode::NotFound);
            }
            Op::Refuse { subject } => {
                let doc = serde_json::json!({
                    "subject": people[*subject].number, "grantor": {"role": "self"},
                    "purposes": ["case_handling"], "recipients": ["imdi"], "categories": ["family"],
                    "at": base(),
                    "evidence": {"method": "oral_recorded", "reference": "J-2026-5", "language": "ti", "interpreter": true},
                    "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}
                });
                let request = consent_core::RefusalRequest::from_json_with(
                    &doc.to_string(),
                    Default::default(),
                )
                .unwrap();
                ledger.refuse(&request, &actor()).unwrap();
                events += 1;
            }
            Op::Decide { .. } | Op::DecideAtBoundary { .. } => {
                let (subject, recipient, purpose, categories, at, asserted) = match &op {
                    Op::Decide {
                        subject,
                        recipient,
                        purpose,
                        categories,
                        at,
                        asserted,
                    } => (
                        subject,
                        recipient,
                        purpose,
                        categories,
                        instant(*at),
                        *asserted,
                    ),
                    Op::DecideAtBoundary {
                        pick,
                        boundary,
                        delta,
                        recipient,
                        purpose,
                        categories,
                    } => {
                        if grants.is_empty() {
                            continue;
                        }
                        let g = &grants[pick % grants.len()];
                        let edge = [
                            Some(g.from),
                            g.until,
                            g.withdrawn,
                            g.lapses,
                            g.lapses_special,
                        ][*boundary]
                            .unwrap_or(g.from);
                        (
                            &g.subject,
                            recipient,
                            purpose,
                            categories,
                            edge + Duration::microseconds(*delta),
                            false,
                        )
                    }
                    _ => unreachable!(),
                };
                let person = &people[*subject];
                let s = ledger.parse_national_id(&person.number).unwrap();
                let cats: Vec<&str> = categories.iter().map(|i| CATEGORIES[*i]).collect();
                let assertions = if asserted {
                    vec![consent_core::Assertion::new("serious_concern", "2026/55").unwrap()]
                } else {
                    Vec::new()
                };
                let (recipient, purpose) = (RECIPIENTS[*recipient], PURPOSES[*purpose]);
                let decision = ledger
                    .decide_asserted(&s, recipient, purpose, &cats, &assertions, at)
                    .unwrap();
                let mut all = true;
                for (outcome, category) in decision.outcomes().zip(&cats) {
                    let expected = model_category(
                        &grants,
                        &flags,
                        *subject,
                        (recipient, purpose, category),
                        asserted,
                        at,
                    );
                    check_gates(&outcome, (recipient, purpose, category))?;
                    let actual = match outcome.result {
                        Ok(consent_core::Basis::Statute(_)) => Ok(true),
                        Ok(consent_core::Basis::Consent { grant, .. }) => {
                            // The cited grant must itself cover the request in the model.
                            let g = grants.iter().find(|g| g.id == grant).unwrap();
                            prop_assert!(g.subject == *subject && g.categories.contains(category));
                            Ok(false)
                        }
                        Err(reason) => Err(reason),
                        Ok(_) => panic!("unknown basis"),
                    };
                    prop_assert_eq!(actual, expected, "category {} of {:?}", category, op);
                    all &= actual.is_ok();
                }
                prop_assert_eq!(decision.permitted(), all);
            }
            Op::Restrict { subject, at } => {
                let s = ledger.parse_national_id(&people[*subject].number).unwrap();
                let at = instant(*at);
                // Recorded when it is made (the bounds by the clock: tests/restriction.rs).
                ledger.set_clock(at).unwrap();
                let open = flags
                    .restrictions
                    .iter()
                    .any(|r| r.subject == *subject && r.until.is_none());
                let result =
                    ledger.restrict(&s, consent_core::RestrictionGround::Accuracy, at, &actor());
                if open {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::Conflict);
                } else {
                    prop_assert!(result.is_ok(), "{:?}", result);
                    events += 1;
                    flags.restrictions.push(ModelRestriction {
                        subject: *subject,
                        from: at,
                        until: None,
                    });
                }
            }
            Op::Lift { subject, at } => {
                let s = ledger.parse_national_id(&people[*subject].number).unwrap();
                let at = instant(*at);
                ledger.set_clock(at).unwrap();
                let result = ledger.lift_restriction(&s, at, &crate::common::dpo(), "verified");
                let open = flags
                    .restrictions
                    .iter_mut()
                    .find(|r| r.subject == *subject && r.until.is_none());
                match open {
                    None => prop_assert_eq!(result.unwrap_err().code(), ErrorCode::NotFound),
                    Some(r) if at < r.from => {
                        prop_assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidInput);
                    }
                    Some(r) => {
                        prop_assert!(result.is_ok(), "{:?}", result);
                        events += 1;
                        r.until = Some(at);
                    }
                }
            }
            Op::Object {
                subject,
                purpose,
                at,
            } => {
                let s = ledger.parse_national_id(&people[*subject].number).unwrap();
                let (purpose, at) = (PURPOSES[*purpose], instant(*at));
                ledger.set_clock(at).unwrap();
                let result = ledger.object(&s, purpose, at, &actor());
                let pending = flags
                    .objections
                    .iter()
                    .any(|o| o.subject == *subject && o.purpose == purpose && !o.resolved);
                if !objectable(purpose) {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidInput);
                } else if pending {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::Conflict);
                } else {
                    let id = result.unwrap();
                    events += 1;
                    flags.objections.push(ModelObjection {
                        id,
                        subject: *subject,
                        purpose,
                        from: at,
                        until: None,
                        resolved: false,
                    });
                }
            }
            Op::Resolve {
                pick,
                rejected,
                at_offset,
            } => {
                if flags.objections.is_empty() {
                    continue;
                }
                let index = pick % flags.objections.len();
                let o = &mut flags.objections[index];
                let at = o.from + Duration::hours(*at_offset);
                let outcome = if *rejected {
                    consent_core::ObjectionOutcome::Rejected
                } else {
                    consent_core::ObjectionOutcome::Upheld
                };
                ledger.set_clock(at).unwrap();
                let result =
                    ledger.resolve_objection(o.id, outcome, at, &crate::common::dpo(), "decided");
                if o.resolved {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::Conflict);
                } else if at < o.from {
                    prop_assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidInput);
                } else {
                    prop_assert!(result.is_ok(), "{:?}", result);
                    events += 1;
                    o.resolved = true;
                    if *rejected {
                        o.until = Some(at);
                    }
                }
            }
            Op::Reopen => {
                drop(ledger);
                ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
            }
        }
        prop_assert_eq!(crate::common::recorded(&ledger), events);
    }
    prop_assert!(ledger.verify().unwrap().ok);
    Ok(())
}

/// The two gates of a permitted category, as the model reads them from docs/catalogue.md.
fn check_gates(
    outcome: &consent_core::CategoryOutcome<'_>,
    (recipient, purpose, category): (&str, &str, &str),
) -> Result<(), TestCaseError> {
    let Ok(basis) = outcome.result else {
        prop_assert!(outcome.gates.is_none());
        return Ok(());
    };
    let gates = outcome.gates.unwrap();
    let (art6, statute, exception) = match basis {
        consent_core::Basis::Statute(rule) => {
            let model = rule_for(recipient, purpose, category).unwrap();
            prop_assert_eq!(rule.code.as_str(), model.code);
            (model.art6, model.statute, model.exception)
        }
        consent_core::Basis::Consent { .. } => {
            let (art6, statute) = consent_gdpr_gate(purpose);
            (art6, statute, "fvl_13a_1")
        }
        _ => panic!("unknown basis"),
    };
    prop_assert_eq!(gates.art6.as_str(), art6);
    prop_assert_eq!(gates.statute, Some(statute));
    prop_assert_eq!(gates.confidentiality_exception.as_str(), exception);
    let expected_art9 = match basis {
        consent_core::Basis::Consent { .. } if category == "health" => Some("A9_2_a"),
        _ => None,
    };
    prop_assert_eq!(gates.art9.map(|a| a.as_str()), expected_art9);
    Ok(())
}

#[test]
fn the_engine_agrees_with_the_reference_model() {
    let cases = std::env::var("CONSENT_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..40), run);
    if let Err(failure) = result {
        panic!("{failure}");
    }
    eprintln!("{cases} sequences agreed with the model");
}
