//! consent-core against Cedar on the same requests.
//!
//! The default catalogue's statutory rules become one Cedar `permit` each (recipient as the
//! principal, purposes as actions, categories in a `when`), and consent becomes one `permit`
//! over a `Grant` resource whose attributes are the grant's scope and validity, plus a
//! `forbid` for restricted subjects. Cedar answers one (principal, action, resource) question,
//! so the library's semantics ("every requested category is covered by a rule or by some
//! active grant") takes one call per category for the rules, then one per category and grant
//! until one allows. Cedar may stop at the first uncovered category (it only has to say
//! permitted or denied); the library computes every category's basis or reason, so the
//! comparison is conservative.
//!
//! Both sides decide the same requests (random subjects of a ledger of `BENCH_SUBJECTS`
//! subjects, default 1,000,000, three grants each; the request mix of the benches), and every
//! request's permitted/denied must agree. Cedar's entities for a subject are built before its
//! clock starts (as if cached); its requests and contexts are built inside.

#[path = "../../../consent-core/benches/common/mod.rs"]
mod common;

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use common::{DiscardStore, MIX, RequestKind, Rng};
use consent_core::{Catalogue, Ledger, NationalId};

type Res<T> = Result<T, Box<dyn Error>>;

fn uid(kind: &str, id: &str) -> Res<EntityUid> {
    Ok(EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(kind)?,
        EntityId::new(id),
    ))
}

fn quoted(list: &[&str]) -> String {
    list.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The catalogue's rules and the consent rule as Cedar policies.
fn policies(catalogue: &Catalogue) -> Res<(PolicySet, String)> {
    let mut text = String::new();
    for rule in catalogue.rules() {
        let recipient = catalogue.rule_recipient(rule).as_str();
        let purposes: Vec<String> = catalogue
            .rule_purposes(rule)
            .iter()
            .map(|p| format!("Action::\"{}\"", p.as_str()))
            .collect();
        let categories: Vec<&str> = catalogue
            .rule_categories(rule)
            .iter()
            .map(|c| c.as_str())
            .collect();
        let special = if rule.art9.is_some() {
            String::new()
        } else {
            " && !context.special".to_owned()
        };
        text.push_str(&format!(
            "// statutory rule {code}\n@id(\"{code}\")\npermit(principal == Recipient::\"{recipient}\", action in [{purposes}], resource is Subject)\nwhen {{ [{categories}].contains(context.category){special} }};\n\n",
            code = rule.code.as_str(),
            purposes = purposes.join(", "),
            categories = quoted(&categories),
        ));
    }
    text.push_str(
        r#"// consent: an active grant covering the purpose, the recipient and the category;
// special categories only under explicit consent
@id("consent")
permit(principal, action, resource is Grant)
when {
  resource.recipients.contains(context.recipient) &&
  resource.purposes.contains(context.purpose) &&
  resource.categories.contains(context.category) &&
  resource.valid_from <= context.at && context.at < resource.valid_until &&
  context.at < resource.withdrawn_at && context.at < resource.lapses_at &&
  (!context.special || resource.explicit)
};

// a restricted subject's consent-based disclosures are denied
@id("restricted")
forbid(principal, action, resource is Grant)
when { resource.restricted_from <= context.at };
"#,
    );
    Ok((PolicySet::from_str(&text)?, text))
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

fn strings(list: &[&str]) -> RestrictedExpression {
    RestrictedExpression::new_set(
        list.iter()
            .map(|s| RestrictedExpression::new_string((*s).to_owned())),
    )
}

/// One subject's Cedar entities: the subject and its grants.
struct SubjectEntities {
    subject: EntityUid,
    grants: Vec<EntityUid>,
    entities: Entities,
}

fn subject_entities(index: usize) -> Res<SubjectEntities> {
    let subject = uid("Subject", &index.to_string())?;
    let mut all = vec![Entity::new_no_attrs(subject.clone(), HashSet::new())];
    let mut grants = Vec::new();
    for (k, spec) in common::grant_specs(index).iter().enumerate() {
        let grant = uid("Grant", &format!("{index}-{k}"))?;
        let attrs: HashMap<String, RestrictedExpression> = [
            ("recipients", strings(spec.recipients)),
            ("purposes", strings(spec.purposes)),
            ("categories", strings(spec.categories)),
            ("explicit", RestrictedExpression::new_bool(spec.explicit)),
            (
                "valid_from",
                RestrictedExpression::new_long(micros(common::valid_from())),
            ),
            (
                "valid_until",
                RestrictedExpression::new_long(spec.valid_until.map_or(i64::MAX, micros)),
            ),
            ("withdrawn_at", RestrictedExpression::new_long(i64::MAX)),
            ("lapses_at", RestrictedExpression::new_long(i64::MAX)),
            ("restricted_from", RestrictedExpression::new_long(i64::MAX)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        all.push(Entity::new(
            grant.clone(),
            attrs,
            HashSet::from([subject.clone()]),
        )?);
        grants.push(grant);
    }
    Ok(SubjectEntities {
        subject,
        grants,
        entities: Entities::from_entities(all, None)?,
    })
}

/// Cedar's answer: every category allowed by a rule (resource: the subject) or by some grant.
fn cedar_permits(
    authorizer: &Authorizer,
    policies: &PolicySet,
    special: &HashSet<String>,
    entities: &SubjectEntities,
    kind: RequestKind,
    at: i64,
) -> Res<bool> {
    let (recipient, purpose, categories) = kind;
    let principal = uid("Recipient", recipient)?;
    let action = uid("Action", purpose)?;
    for category in categories {
        let context = Context::from_pairs([
            (
                "recipient".to_owned(),
                RestrictedExpression::new_string(recipient.to_owned()),
            ),
            (
                "purpose".to_owned(),
                RestrictedExpression::new_string(purpose.to_owned()),
            ),
            (
                "category".to_owned(),
                RestrictedExpression::new_string(category.to_owned()),
            ),
            (
                "special".to_owned(),
                RestrictedExpression::new_bool(special.contains(category)),
            ),
            ("at".to_owned(), RestrictedExpression::new_long(at)),
        ])?;
        let mut covered = false;
        for resource in std::iter::once(&entities.subject).chain(&entities.grants) {
            let request = Request::new(
                principal.clone(),
                action.clone(),
                resource.clone(),
                context.clone(),
                None,
            )?;
            if authorizer
                .is_authorized(&request, policies, &entities.entities)
                .decision()
                == Decision::Allow
            {
                covered = true;
                break;
            }
        }
        if !covered {
            return Ok(false);
        }
    }
    Ok(true)
}

fn main() -> Res<()> {
    let n = common::subjects();
    let sample = common::env_usize("BENCH_CEDAR_SAMPLE", 2_000);
    let rounds = common::env_usize("BENCH_CEDAR_ROUNDS", 5);
    let catalogue = Catalogue::embedded();
    let (policy_set, text) = policies(&catalogue)?;
    if std::env::var_os("BENCH_CEDAR_PRINT").is_some() {
        println!("{text}");
    }
    println!("cedar policies: {}", policy_set.policies().count());
    let special: HashSet<String> = catalogue
        .categories()
        .iter()
        .filter(|c| c.special)
        .map(|c| c.code.as_str().to_owned())
        .collect();

    let ledger = Ledger::with_store(
        Box::new(DiscardStore::default()),
        common::options().with_catalogue(catalogue),
    )?;
    let ids = common::national_ids(n);
    let subjects: Vec<NationalId> = common::parse_ids(&ledger, &ids)?;
    drop(ids);
    let started = Instant::now();
    common::populate(&ledger, &subjects, 10_000)?;
    println!(
        "ledger: {:?} (subjects, grants), built in {:.1} s",
        ledger.sizes()?,
        started.elapsed().as_secs_f64()
    );

    let authorizer = Authorizer::new();
    let at = common::decision_at();
    let at_micros = micros(at);
    let mut rng = Rng::new(7);
    let (mut native_time, mut cedar_time) = (Duration::ZERO, Duration::ZERO);
    let mut per_kind: Vec<(Duration, Duration, usize)> =
        vec![(Duration::ZERO, Duration::ZERO, 0); MIX.len()];
    let (mut decisions, mut agree, mut permitted) = (0usize, 0usize, 0usize);
    for _ in 0..rounds {
        let requests: Vec<(usize, usize)> =
            (0..sample).map(|i| (rng.below(n), i % MIX.len())).collect();
        // Native, cold: these subjects have not been touched since the ledger was built.
        // Timed per kind in one block each, so the clock's own cost stays out.
        let mut native = vec![false; sample];
        for (kind, &(recipient, purpose, categories)) in MIX.iter().enumerate() {
            let start = Instant::now();
            for (slot, &(index, k)) in native.iter_mut().zip(&requests) {
                if k != kind {
                    continue;
                }
                if let Some(subject) = subjects.get(index) {
                    let decision = ledger.decide_with(
                        black_box(subject),
                        recipient,
                        purpose,
                        &categories,
                        at,
                    )?;
                    *slot = black_box(decision.permitted());
                }
            }
            let spent = start.elapsed();
            native_time += spent;
            if let Some(k) = per_kind.get_mut(kind) {
                k.0 += spent;
            }
        }
        // Cedar: entities per subject built beforehand, requests inside the clock.
        let entities: Vec<SubjectEntities> = requests
            .iter()
            .map(|&(index, _)| subject_entities(index))
            .collect::<Res<_>>()?;
        for ((&(_, kind), entities), native) in requests.iter().zip(&entities).zip(&native) {
            let Some(&request) = MIX.get(kind) else {
                continue;
            };
            let start = Instant::now();
            let permits = cedar_permits(
                &authorizer,
                &policy_set,
                &special,
                entities,
                request,
                at_micros,
            )?;
            let spent = start.elapsed();
            cedar_time += spent;
            if let Some(k) = per_kind.get_mut(kind) {
                k.1 += spent;
                k.2 += 1;
            }
            decisions += 1;
            if permits == *native {
                agree += 1;
            }
            if permits {
                permitted += 1;
            }
        }
    }
    let per = |d: Duration, count: usize| d.as_nanos() as f64 / count.max(1) as f64;
    let native_ns = per(native_time, decisions);
    let cedar_ns = per(cedar_time, decisions);
    println!(
        "answers: {agree}/{decisions} agree, {permitted} permitted, {} denied",
        decisions - permitted
    );
    for ((recipient, purpose, categories), (native, cedar, count)) in MIX.iter().zip(&per_kind) {
        println!(
            "BENCH-RESULT cedar_kind=\"{recipient}/{purpose}/{}\" native_ns={:.0} cedar_ns={:.0} ratio={:.0}",
            categories.join(","),
            per(*native, *count),
            per(*cedar, *count),
            per(*cedar, *count) / per(*native, *count).max(1e-9)
        );
    }
    println!(
        "BENCH-RESULT cedar_all native_ns={native_ns:.0} cedar_ns={cedar_ns:.0} ratio={:.0} agree={agree}/{decisions}",
        cedar_ns / native_ns.max(1e-9)
    );
    if agree != decisions {
        return Err(format!(
            "Cedar and consent-core disagree on {} requests",
            decisions - agree
        )
        .into());
    }
    Ok(())
}
