//! The catalogue's TOML document and its validation, one function per section.
//!
//! Two formats are read. Format 1 is what version 0.1 wrote (no `format` key): it keeps the
//! meaning it had then (consent is the GDPR basis of every purpose, a rule's statutes are
//! shown together, its confidentiality exception is any code). Format 2 (`format = 2`) names
//! both gates of every basis: each purpose says what consent does for it and what statute its
//! processing rests on, exceptions from confidentiality are declared with their statute and
//! whether they hold only inside the same legal entity, and rules may require an asserted
//! condition.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::controller::ControllerDoc;
use super::index::CodeIndex;
use super::roles::{Operation, Role, default_roles};
use super::{
    Art6, Art9, Catalogue, Category, Code, Condition, ConsentRole, Exception, Inner, MAX_CODES,
    NoticeEntry, Period, Purpose, Recipient, Retention, Rule, RuleRef, Settings, Statute,
};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::hex;
use crate::time::{self, Micros};

/// The newest format this build reads.
pub(super) const FORMAT: u32 = 2;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    format: Option<u32>,
    version: String,
    settings: SettingsDoc,
    #[serde(default)]
    purpose: Vec<PurposeDoc>,
    #[serde(default)]
    recipient: Vec<RecipientDoc>,
    #[serde(default)]
    category: Vec<CategoryDoc>,
    #[serde(default)]
    statute: Vec<StatuteDoc>,
    #[serde(default)]
    exception: Vec<ExceptionDoc>,
    #[serde(default)]
    condition: Vec<ConditionDoc>,
    #[serde(default)]
    rule: Vec<RuleDoc>,
    #[serde(default)]
    notice: Vec<NoticeDoc>,
    #[serde(default)]
    role: Vec<RoleDoc>,
    #[serde(default)]
    controller: Option<ControllerDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleDoc {
    code: String,
    name: String,
    may: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsDoc {
    self_consent_age: u32,
    /// Format 1's name for `special_self_consent_age`.
    #[serde(default)]
    self_consent_age_special: Option<u32>,
    #[serde(default)]
    special_self_consent_age: Option<u32>,
    #[serde(default)]
    mature_minor_min_age: Option<u32>,
    #[serde(default)]
    hear_child_from_age: Option<u32>,
    representative_until_age: u32,
    #[serde(default)]
    statistics_min_cell: Option<u32>,
    #[serde(default)]
    statistics_period: Option<Period>,
    #[serde(default)]
    max_backdating_days: Option<u32>,
    #[serde(default)]
    migration_roles: Option<Vec<String>>,
    #[serde(default)]
    succession_roles: Option<Vec<String>>,
    #[serde(default)]
    archival_statutes: Option<Vec<String>>,
    #[serde(default)]
    log_all_decisions: Option<bool>,
    #[serde(default)]
    require_signed_actors: Option<bool>,
    #[serde(default)]
    disclose_staff_ids: Option<bool>,
    #[serde(default)]
    access_log_retention_years: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeDoc {
    id: String,
    version: String,
    #[serde(default)]
    earlier: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeDoc {
    code: String,
    name: String,
    #[serde(default)]
    consent_role: Option<ConsentRole>,
    #[serde(default)]
    art6: Option<Art6>,
    #[serde(default)]
    art9: Option<Art9>,
    #[serde(default)]
    statutes: Option<Vec<String>>,
    #[serde(default)]
    consent_exception: Option<String>,
    #[serde(default)]
    retired_from: Option<String>,
    #[serde(default)]
    retention_years: Option<RetentionDoc>,
}

/// `retention_years = 10` or `retention_years = "permanent"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RetentionDoc {
    Years(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientDoc {
    code: String,
    name: String,
    #[serde(default)]
    same_legal_entity: bool,
    #[serde(default)]
    retired_from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDoc {
    code: String,
    name: String,
    #[serde(default)]
    special: bool,
    #[serde(default)]
    confidential: Option<bool>,
    #[serde(default)]
    retired_from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatuteDoc {
    code: String,
    title: String,
    lovdata_id: Option<String>,
    valid_from: String,
    valid_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionDoc {
    code: String,
    name: String,
    #[serde(default)]
    statute: Option<String>,
    #[serde(default)]
    same_legal_entity: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionDoc {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    code: String,
    statutes: Vec<String>,
    recipient: String,
    purposes: Vec<String>,
    categories: Vec<String>,
    art6: Art6,
    art9: Option<Art9>,
    confidentiality_exception: String,
    #[serde(default)]
    require: Option<Vec<String>>,
    valid_from: Option<String>,
    valid_to: Option<String>,
    #[serde(default)]
    archival_duty: bool,
    #[serde(default)]
    restriction_applies: bool,
    #[serde(default)]
    continues_under_restriction: Option<bool>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidCatalogue, message)
}

fn code(text: &str, what: &str) -> Result<Code> {
    Code::new(text).map_err(|e| bad(format!("{what}: {}", e.message())))
}

/// A format-2 key found in a format-1 document.
fn needs_format_2(present: bool, key: &str) -> Result<()> {
    if present {
        Err(bad(format!(
            "`{key}` needs `format = 2` at the top of the catalogue"
        )))
    } else {
        Ok(())
    }
}

/// Parses a catalogue date: `YYYY-MM-DD` (local midnight in Norway) or RFC 3339.
fn instant(text: &str, what: &str) -> Result<Micros> {
    let at = if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        time::oslo_midnight(date)
    } else {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    };
    let at = at.ok_or_else(|| {
        bad(format!(
            "{what}: `{}` is not a date (YYYY-MM-DD) or an RFC 3339 instant",
            printable(text)
        ))
    })?;
    time::to_micros(at, what).map_err(|e| bad(e.message()))
}

fn optional_instant(text: Option<&str>, what: &str) -> Result<Option<Micros>> {
    text.map(|t| instant(t, what)).transpose()
}

fn window(from: Micros, to: Option<Micros>, what: &str) -> Result<()> {
    match to {
        Some(to) if to <= from => Err(bad(format!("{what}: valid_to is not after valid_from"))),
        _ => Ok(()),
    }
}

fn index<'a>(codes: impl Iterator<Item = &'a Code>, kind: &str) -> Result<FxHashMap<Box<str>, u8>> {
    let mut map = FxHashMap::default();
    for (i, code) in codes.enumerate() {
        if i >= MAX_CODES {
            return Err(bad(format!("more than {MAX_CODES} {kind} codes")));
        }
        let id = u8::try_from(i).map_err(|_| bad(format!("too many {kind} codes")))?;
        if map.insert(code.as_str().into(), id).is_some() {
            return Err(bad(format!("duplicate {kind} code `{code}`")));
        }
    }
    Ok(map)
}

fn set(map: &FxHashMap<Box<str>, u8>, codes: &[String], kind: &str, rule: &str) -> Result<u64> {
    if codes.is_empty() {
        return Err(bad(format!("rule `{rule}` lists no {kind}")));
    }
    let mut out = 0u64;
    for text in codes {
        let id = map.get(text.as_str()).ok_or_else(|| {
            bad(format!(
                "rule `{rule}` names unknown {kind} `{}`",
                printable(text)
            ))
        })?;
        let bit = 1u64 << id;
        if out & bit != 0 {
            return Err(bad(format!("rule `{rule}` lists {kind} `{text}` twice")));
        }
        out |= bit;
    }
    Ok(out)
}

/// What the sections after the codes need to look codes up.
struct Context<'a> {
    format: u32,
    statutes: &'a [Statute],
    exceptions: &'a [Exception],
    recipients: &'a [Recipient],
    purpose_ids: FxHashMap<Box<str>, u8>,
    recipient_ids: FxHashMap<Box<str>, u8>,
    category_ids: FxHashMap<Box<str>, u8>,
    condition_ids: FxHashMap<Box<str>, u8>,
    special_mask: u64,
}

impl Context<'_> {
    /// The statutes named by `codes`, each known.
    fn statutes(&self, codes: &[String], what: &str) -> Result<Vec<&Statute>> {
        codes
            .iter()
            .map(|name| {
                self.statutes
                    .iter()
                    .find(|s| s.code.as_str() == name)
                    .ok_or_else(|| {
                        bad(format!(
                            "{what} names unknown statute `{}`",
                            printable(name)
                        ))
                    })
            })
            .collect()
    }
}

fn titles(statutes: &[&Statute]) -> String {
    statutes
        .iter()
        .map(|s| s.title.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn parse(text: &str) -> Result<Catalogue> {
    let doc = document(text)?;
    let format = doc.format.unwrap_or(1);
    if format == 0 || format > FORMAT {
        return Err(Error::new(
            ErrorCode::UnsupportedVersion,
            format!("catalogue format {format} is not supported (this build reads 1 and 2)"),
        ));
    }
    if doc.version.trim().is_empty() {
        return Err(bad("catalogue version is empty"));
    }
    if format < 2 {
        needs_format_2(!doc.exception.is_empty(), "[[exception]]")?;
        needs_format_2(!doc.condition.is_empty(), "[[condition]]")?;
        needs_format_2(!doc.role.is_empty(), "[[role]]")?;
        needs_format_2(doc.controller.is_some(), "[controller]")?;
    }
    let controller = doc
        .controller
        .as_ref()
        .map(ControllerDoc::validate)
        .transpose()?;
    let roles_declared = !doc.role.is_empty();
    let roles = if roles_declared {
        roles(&doc.role)?
    } else {
        default_roles()
    };
    let statutes = statutes(&doc.statute)?;
    let settings = settings(&doc.settings, format, &statutes)?;
    let exceptions = exceptions(&doc.exception, &statutes)?;
    let recipients = recipients(&doc.recipient, format)?;
    let categories = categories(&doc.category, format)?;
    let conditions = conditions(&doc.condition)?;
    let mut context = Context {
        format,
        statutes: &statutes,
        exceptions: &exceptions,
        recipients: &recipients,
        purpose_ids: FxHashMap::default(),
        recipient_ids: index(recipients.iter().map(|e| &e.code), "recipient")?,
        category_ids: index(categories.iter().map(|e| &e.code), "category")?,
        condition_ids: index(conditions.iter().map(|e| &e.code), "condition")?,
        special_mask: categories
            .iter()
            .enumerate()
            .filter(|(_, c)| c.special)
            .fold(0u64, |mask, (i, _)| mask | (1u64 << i)),
    };
    let purposes = purposes(&doc.purpose, &context)?;
    context.purpose_ids = index(purposes.iter().map(|e| &e.code), "purpose")?;
    let rules = doc
        .rule
        .iter()
        .try_fold(Vec::new(), |mut rules: Vec<Rule>, doc| {
            if rules.iter().any(|r| r.code.as_str() == doc.code) {
                return Err(bad(format!(
                    "duplicate rule code `{}`",
                    printable(&doc.code)
                )));
            }
            rules.push(rule(doc, &context)?);
            Ok(rules)
        })?;
    let notices = notices(&doc.notice, format)?;
    let rule_table = rule_table(&rules, recipients.len(), purposes.len())?;
    // Validation above used hash maps; decisions look codes up in the compact index.
    let purpose_index = CodeIndex::new(purposes.iter().map(|c| c.code.as_str()));
    let recipient_index = CodeIndex::new(recipients.iter().map(|c| c.code.as_str()));
    let category_index = CodeIndex::new(categories.iter().map(|c| c.code.as_str()));
    let condition_index = CodeIndex::new(conditions.iter().map(|c| c.code.as_str()));
    let special_mask = context.special_mask;
    Ok(Catalogue {
        inner: Arc::new(Inner {
            format,
            version: doc.version,
            digest: hex::encode(&Sha256::digest(text.as_bytes())),
            text: text.into(),
            settings,
            purposes,
            recipients,
            categories,
            statutes,
            exceptions,
            conditions,
            rules,
            notices,
            controller,
            roles,
            roles_declared,
            purpose_index,
            recipient_index,
            category_index,
            condition_index,
            special_mask,
            rule_table,
        }),
    })
}

/// The TOML document, with a syntax or shape error named by its line.
fn document(text: &str) -> Result<Document> {
    toml::from_str(text).map_err(|e| {
        let detail = e.message().replace('\n', " ");
        match e.span().and_then(|span| text.get(..span.start)) {
            Some(before) => bad(format!(
                "catalogue TOML, line {}: {detail}",
                before.lines().count()
            )),
            None => bad(format!("catalogue TOML: {detail}")),
        }
    })
}

/// The competence ages of `[settings]`.
struct Ages {
    self_consent_age: u32,
    mature_minor_min_age: u32,
    special_self_consent_age: u32,
    hear_child_from_age: Option<u32>,
    representative_until_age: u32,
    representative_special_until_age: u32,
}

/// The ages, each within 1 to 18 and in order. Format 2 names `special_self_consent_age`,
/// `mature_minor_min_age` and `hear_child_from_age` (defaults 16, 15 and 12); a format-1 file
/// keeps 0.1's meaning: `self_consent_age_special` is the age for special categories, no
/// minor's own grant needs a maturity assessment, no representative must record that the
/// child was heard, and every representative's grant lapses at `representative_until_age`.
fn ages(doc: &SettingsDoc, format: u32) -> Result<Ages> {
    let in_range = |age: u32, name: &str| {
        if (1..=18).contains(&age) {
            Ok(age)
        } else {
            Err(bad(format!(
                "settings: ages must be between 1 and 18, and {name} is {age}"
            )))
        }
    };
    let self_consent_age = in_range(doc.self_consent_age, "self_consent_age")?;
    let representative_until_age =
        in_range(doc.representative_until_age, "representative_until_age")?;
    let ages = if format < 2 {
        needs_format_2(
            doc.special_self_consent_age.is_some(),
            "special_self_consent_age",
        )?;
        needs_format_2(doc.mature_minor_min_age.is_some(), "mature_minor_min_age")?;
        needs_format_2(doc.hear_child_from_age.is_some(), "hear_child_from_age")?;
        let special = doc
            .self_consent_age_special
            .ok_or_else(|| bad("settings: a format-1 catalogue needs self_consent_age_special"))?;
        let special = in_range(special, "self_consent_age_special")?;
        if self_consent_age > special {
            return Err(bad(
                "settings: self_consent_age is above self_consent_age_special",
            ));
        }
        Ages {
            self_consent_age,
            mature_minor_min_age: self_consent_age,
            special_self_consent_age: special,
            hear_child_from_age: None,
            representative_until_age,
            representative_special_until_age: representative_until_age,
        }
    } else {
        if doc.self_consent_age_special.is_some() {
            return Err(bad(
                "settings: format 2 names it special_self_consent_age (self_consent_age_special is format 1's name)",
            ));
        }
        let special = in_range(
            doc.special_self_consent_age.unwrap_or(16),
            "special_self_consent_age",
        )?;
        let mature = in_range(
            doc.mature_minor_min_age.unwrap_or(15),
            "mature_minor_min_age",
        )?;
        let hear = in_range(doc.hear_child_from_age.unwrap_or(12), "hear_child_from_age")?;
        if mature > self_consent_age {
            return Err(bad(
                "settings: mature_minor_min_age is above self_consent_age",
            ));
        }
        if special > representative_until_age {
            return Err(bad(
                "settings: special_self_consent_age is above representative_until_age",
            ));
        }
        Ages {
            self_consent_age,
            mature_minor_min_age: mature,
            special_self_consent_age: special,
            hear_child_from_age: Some(hear),
            representative_until_age,
            // From the age a person consents alone to special categories, a representative's
            // consent to them no longer holds (pasient- og brukerrettighetsloven § 4-3).
            representative_special_until_age: special,
        }
    };
    Ok(ages)
}

/// `[settings]`: ages within 1 to 18 and in order, a positive statistics threshold, and the
/// format-2 settings with their defaults.
fn settings(doc: &SettingsDoc, format: u32, statutes: &[Statute]) -> Result<Settings> {
    if format < 2 {
        needs_format_2(doc.statistics_period.is_some(), "statistics_period")?;
        needs_format_2(doc.max_backdating_days.is_some(), "max_backdating_days")?;
        needs_format_2(doc.migration_roles.is_some(), "migration_roles")?;
        needs_format_2(doc.succession_roles.is_some(), "succession_roles")?;
        needs_format_2(doc.archival_statutes.is_some(), "archival_statutes")?;
        needs_format_2(doc.log_all_decisions.is_some(), "log_all_decisions")?;
        needs_format_2(doc.require_signed_actors.is_some(), "require_signed_actors")?;
        needs_format_2(doc.disclose_staff_ids.is_some(), "disclose_staff_ids")?;
        needs_format_2(
            doc.access_log_retention_years.is_some(),
            "access_log_retention_years",
        )?;
    }
    let access_log_retention_years = doc.access_log_retention_years.unwrap_or(5);
    if !(1..=100).contains(&access_log_retention_years) {
        return Err(bad(
            "settings: access_log_retention_years must be between 1 and 100",
        ));
    }
    let ages = ages(doc, format)?;
    let statistics_min_cell = doc.statistics_min_cell.unwrap_or(5);
    if statistics_min_cell == 0 {
        return Err(bad("settings: statistics_min_cell must be at least 1"));
    }
    let max_backdating_days = doc.max_backdating_days.unwrap_or(30);
    if max_backdating_days > 3660 {
        return Err(bad(
            "settings: max_backdating_days is above 3660 (ten years)",
        ));
    }
    let migration_roles = match &doc.migration_roles {
        Some(roles) => roles
            .iter()
            .map(|r| code(r, "settings: migration_roles"))
            .collect::<Result<Vec<_>>>()?,
        None => vec![Code("dpo".into()), Code("archivist".into())],
    };
    let succession_roles = match &doc.succession_roles {
        Some(roles) => roles
            .iter()
            .map(|r| code(r, "settings: succession_roles"))
            .collect::<Result<Vec<_>>>()?,
        None => vec![Code("case_worker".into()), Code("dpo".into())],
    };
    let archival_statutes = doc
        .archival_statutes
        .iter()
        .flatten()
        .map(|name| {
            statutes
                .iter()
                .find(|s| s.code.as_str() == name)
                .map(|s| s.code.clone())
                .ok_or_else(|| {
                    bad(format!(
                        "settings: archival_statutes names unknown statute `{}`",
                        printable(name)
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Settings {
        self_consent_age: ages.self_consent_age,
        mature_minor_min_age: ages.mature_minor_min_age,
        special_self_consent_age: ages.special_self_consent_age,
        hear_child_from_age: ages.hear_child_from_age,
        representative_until_age: ages.representative_until_age,
        representative_special_until_age: ages.representative_special_until_age,
        statistics_min_cell,
        statistics_period: doc.statistics_period.unwrap_or(Period::Month),
        max_backdating_days,
        migration_roles,
        succession_roles,
        archival_statutes,
        log_all_decisions: doc.log_all_decisions.unwrap_or(false),
        require_signed_actors: doc.require_signed_actors.unwrap_or(false),
        disclose_staff_ids: doc.disclose_staff_ids.unwrap_or(false),
        access_log_retention_years,
    })
}

/// `[[role]]`: each code once, each operation it may perform known and listed once.
fn roles(docs: &[RoleDoc]) -> Result<Vec<Role>> {
    let mut roles: Vec<Role> = Vec::with_capacity(docs.len());
    for doc in docs {
        let role_code = code(&doc.code, "role")?;
        if roles.iter().any(|r| r.code == role_code) {
            return Err(bad(format!("duplicate role code `{role_code}`")));
        }
        if doc.name.trim().is_empty() {
            return Err(bad(format!("role `{role_code}` has no name")));
        }
        let mut may: Vec<Operation> = Vec::with_capacity(doc.may.len());
        for name in &doc.may {
            let op = Operation::parse(name).map_err(|_| {
                bad(format!(
                    "role `{role_code}`: unknown operation `{}` in `may`",
                    printable(name)
                ))
            })?;
            if may.contains(&op) {
                return Err(bad(format!(
                    "role `{role_code}` lists operation `{op}` twice"
                )));
            }
            may.push(op);
        }
        roles.push(Role::new(role_code, doc.name.clone(), &may));
    }
    Ok(roles)
}

/// `[[purpose]]`: in format 2, what consent does for the purpose and, where consent only
/// waives confidentiality, the GDPR basis and the statutes the processing rests on.
fn purposes(docs: &[PurposeDoc], context: &Context<'_>) -> Result<Vec<Purpose>> {
    docs.iter()
        .map(|doc| {
            let purpose_code = code(&doc.code, "purpose")?;
            let what = format!("purpose `{purpose_code}`");
            let retired_from = optional_instant(doc.retired_from.as_deref(), &what)?;
            if context.format < 2 {
                needs_format_2(doc.consent_role.is_some(), "consent_role")?;
                needs_format_2(doc.art6.is_some() || doc.art9.is_some(), "art6 on a purpose")?;
                needs_format_2(doc.statutes.is_some(), "statutes on a purpose")?;
                needs_format_2(doc.consent_exception.is_some(), "consent_exception")?;
                needs_format_2(doc.retention_years.is_some(), "retention_years")?;
                return Ok(Purpose {
                    code: purpose_code,
                    name: doc.name.clone(),
                    consent_role: ConsentRole::Basis,
                    art6: None,
                    art9: None,
                    statute: None,
                    consent_exception: Code("fvl_13a_1".into()),
                    retired_from,
                    retention: None,
                });
            }
            let consent_role = doc.consent_role.unwrap_or(ConsentRole::ConfidentialityWaiver);
            let consent_exception = code(
                doc.consent_exception.as_deref().unwrap_or("fvl_13a_1"),
                &format!("{what}: consent_exception"),
            )?;
            if !context.exceptions.iter().any(|e| e.code == consent_exception) {
                return Err(bad(format!(
                    "{what}: consent_exception `{consent_exception}` is not a declared [[exception]]"
                )));
            }
            let (art6, statute) = match consent_role {
                ConsentRole::ConfidentialityWaiver => {
                    let art6 = doc.art6.ok_or_else(|| {
                        bad(format!(
                            "{what}: consent only waives confidentiality, so the purpose needs the art6 basis its processing rests on"
                        ))
                    })?;
                    check_statutory_art6(art6, &what)?;
                    let statutes = doc.statutes.as_deref().unwrap_or_default();
                    if statutes.is_empty() {
                        return Err(bad(format!(
                            "{what}: consent only waives confidentiality, so the purpose needs the statutes its processing rests on (GDPR Art. 6(3))"
                        )));
                    }
                    (Some(art6), Some(titles(&context.statutes(statutes, &what)?)))
                }
                ConsentRole::Basis => {
                    if doc.art6.is_some() || doc.statutes.is_some() {
                        return Err(bad(format!(
                            "{what}: consent is its basis (A6_1_a), so it names no art6 or statutes"
                        )));
                    }
                    (None, None)
                }
            };
            let retention = doc
                .retention_years
                .as_ref()
                .map(|r| retention(r, &what))
                .transpose()?;
            Ok(Purpose {
                code: purpose_code,
                name: doc.name.clone(),
                consent_role,
                art6,
                art9: doc.art9,
                statute,
                consent_exception,
                retired_from,
                retention,
            })
        })
        .collect()
}

/// A purpose's retention: whole years from 1 to 1000, or `"permanent"`.
fn retention(doc: &RetentionDoc, what: &str) -> Result<Retention> {
    match doc {
        RetentionDoc::Years(years) => u32::try_from(*years)
            .ok()
            .filter(|y| (1..=1000).contains(y))
            .map(Retention::Years)
            .ok_or_else(|| {
                bad(format!(
                    "{what}: retention_years must be from 1 to 1000, or \"permanent\""
                ))
            }),
        RetentionDoc::Word(word) if word == "permanent" => Ok(Retention::Permanent),
        RetentionDoc::Word(_) => Err(bad(format!(
            "{what}: retention_years must be a number of years or \"permanent\""
        ))),
    }
}

/// A statutory basis: not consent (which grants record) and not legitimate interests (which a
/// public authority may not use for its tasks).
fn check_statutory_art6(art6: Art6, what: &str) -> Result<()> {
    match art6 {
        Art6::A => Err(bad(format!(
            "{what}: A6_1_a is consent, which grants record; a statutory basis is needed here"
        ))),
        Art6::F => Err(bad(format!(
            "{what}: public authorities may not use A6_1_f for their tasks"
        ))),
        _ => Ok(()),
    }
}

/// `[[recipient]]`.
fn recipients(docs: &[RecipientDoc], format: u32) -> Result<Vec<Recipient>> {
    docs.iter()
        .map(|doc| {
            let code = code(&doc.code, "recipient")?;
            if format < 2 {
                needs_format_2(doc.retired_from.is_some(), "retired_from")?;
            }
            let what = format!("recipient `{code}`");
            Ok(Recipient {
                retired_from: optional_instant(doc.retired_from.as_deref(), &what)?,
                code,
                name: doc.name.clone(),
                same_legal_entity: doc.same_legal_entity,
            })
        })
        .collect()
}

/// `[[category]]`.
fn categories(docs: &[CategoryDoc], format: u32) -> Result<Vec<Category>> {
    docs.iter()
        .map(|doc| {
            let code = code(&doc.code, "category")?;
            if format < 2 {
                needs_format_2(doc.confidential.is_some(), "confidential")?;
                needs_format_2(doc.retired_from.is_some(), "retired_from")?;
            }
            let what = format!("category `{code}`");
            Ok(Category {
                retired_from: optional_instant(doc.retired_from.as_deref(), &what)?,
                code,
                name: doc.name.clone(),
                special: doc.special,
                confidential: doc.confidential.unwrap_or(false),
            })
        })
        .collect()
}

/// `[[statute]]`: unique codes, valid windows.
fn statutes(docs: &[StatuteDoc]) -> Result<Vec<Statute>> {
    let mut statutes = Vec::new();
    let mut statute_codes = HashSet::new();
    for doc in docs {
        let code = code(&doc.code, "statute")?;
        if !statute_codes.insert(code.clone()) {
            return Err(bad(format!("duplicate statute code `{code}`")));
        }
        let what = format!("statute `{code}`");
        let valid_from = instant(&doc.valid_from, &what)?;
        let valid_to = optional_instant(doc.valid_to.as_deref(), &what)?;
        window(valid_from, valid_to, &what)?;
        statutes.push(Statute {
            code,
            title: doc.title.clone(),
            lovdata_id: doc.lovdata_id.clone(),
            valid_from,
            valid_to,
        });
    }
    Ok(statutes)
}

/// `[[exception]]` (format 2): unique codes, a known statute.
fn exceptions(docs: &[ExceptionDoc], statutes: &[Statute]) -> Result<Vec<Exception>> {
    let mut out: Vec<Exception> = Vec::new();
    for doc in docs {
        let code = code(&doc.code, "exception")?;
        if out.iter().any(|e| e.code == code) {
            return Err(bad(format!("duplicate exception code `{code}`")));
        }
        let statute = match &doc.statute {
            Some(name) => Some(
                statutes
                    .iter()
                    .find(|s| s.code.as_str() == name)
                    .map(|s| s.title.clone())
                    .ok_or_else(|| {
                        bad(format!(
                            "exception `{code}` names unknown statute `{}`",
                            printable(name)
                        ))
                    })?,
            ),
            None => None,
        };
        out.push(Exception {
            code,
            name: doc.name.clone(),
            statute,
            same_legal_entity: doc.same_legal_entity,
        });
    }
    Ok(out)
}

/// `[[condition]]` (format 2).
fn conditions(docs: &[ConditionDoc]) -> Result<Vec<Condition>> {
    docs.iter()
        .map(|doc| {
            Ok(Condition {
                code: code(&doc.code, "condition")?,
                name: doc.name.clone(),
            })
        })
        .collect()
}

/// One `[[rule]]`: known codes, a statutory Art. 6 basis, an Art. 9 condition for special
/// categories, a window inside its statutes' windows, and in format 2 a declared exception
/// that fits its recipient and known conditions.
fn rule(doc: &RuleDoc, context: &Context<'_>) -> Result<Rule> {
    let rule_code = code(&doc.code, "rule")?;
    let what = format!("rule `{rule_code}`");
    if doc.statutes.is_empty() {
        return Err(bad(format!("{what} cites no statute")));
    }
    let cited = context.statutes(&doc.statutes, &what)?;
    let recipient = *context
        .recipient_ids
        .get(doc.recipient.as_str())
        .ok_or_else(|| {
            bad(format!(
                "{what} names unknown recipient `{}`",
                printable(&doc.recipient)
            ))
        })?;
    let purposes = set(
        &context.purpose_ids,
        &doc.purposes,
        "purpose",
        rule_code.as_str(),
    )?;
    let categories = set(
        &context.category_ids,
        &doc.categories,
        "category",
        rule_code.as_str(),
    )?;
    check_statutory_art6(doc.art6, &what)?;
    if categories & context.special_mask != 0 && doc.art9.is_none() {
        return Err(bad(format!(
            "{what} covers a special category but names no Art. 9(2) condition"
        )));
    }
    let confidentiality_exception = code(
        &doc.confidentiality_exception,
        &format!("{what}: confidentiality_exception"),
    )?;
    let (confidentiality_statute, requires, requires_set) = if context.format < 2 {
        needs_format_2(doc.require.is_some(), "require")?;
        (None, Vec::new(), 0)
    } else {
        let exception = rule_exception(&confidentiality_exception, recipient, context, &what)?;
        let requires = doc
            .require
            .iter()
            .flatten()
            .map(|c| code(c, &format!("{what}: require")))
            .collect::<Result<Vec<_>>>()?;
        let mut requires_set = 0u64;
        for condition in &requires {
            let id = context
                .condition_ids
                .get(condition.as_str())
                .ok_or_else(|| bad(format!("{what} requires unknown condition `{condition}`")))?;
            requires_set |= 1u64 << id;
        }
        (exception.statute.clone(), requires, requires_set)
    };
    let (valid_from, valid_to) = rule_window(doc, &cited, &what)?;
    if context.format < 2 {
        needs_format_2(
            doc.continues_under_restriction.is_some(),
            "continues_under_restriction",
        )?;
    }
    let continues_under_restriction = doc.continues_under_restriction.unwrap_or(false);
    Ok(Rule {
        code: rule_code,
        statute: titles(&cited),
        art6: doc.art6,
        art9: doc.art9,
        confidentiality_exception,
        confidentiality_statute,
        requires,
        archival_duty: doc.archival_duty,
        restriction_applies: doc.restriction_applies,
        continues_under_restriction,
        recipient,
        purposes,
        categories,
        requires_set,
        valid_from,
        valid_to,
    })
}

/// A format-2 rule's exception: declared, and inside the same legal entity where it must be.
fn rule_exception<'c>(
    code: &Code,
    recipient: u8,
    context: &'c Context<'_>,
    what: &str,
) -> Result<&'c Exception> {
    let exception = context
        .exceptions
        .iter()
        .find(|e| e.code == *code)
        .ok_or_else(|| {
            bad(format!(
                "{what}: confidentiality_exception `{code}` is not a declared [[exception]]"
            ))
        })?;
    if exception.same_legal_entity {
        let inside = context
            .recipients
            .get(usize::from(recipient))
            .is_some_and(|r| r.same_legal_entity);
        if !inside {
            return Err(bad(format!(
                "{what}: `{code}` lifts confidentiality only inside the same legal entity, and its recipient is not marked same_legal_entity"
            )));
        }
    }
    Ok(exception)
}

/// A rule is valid where it and every statute it cites are in force.
fn rule_window(doc: &RuleDoc, cited: &[&Statute], what: &str) -> Result<(Micros, Option<Micros>)> {
    let mut valid_from = match &doc.valid_from {
        Some(t) => instant(t, what)?,
        None => Micros::MIN,
    };
    let mut valid_to = optional_instant(doc.valid_to.as_deref(), what)?;
    window(valid_from, valid_to, what)?;
    for statute in cited {
        valid_from = valid_from.max(statute.valid_from);
        valid_to = match (valid_to, statute.valid_to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    window(valid_from, valid_to, &format!("{what} and its statutes"))?;
    Ok((valid_from, valid_to))
}

/// `[[notice]]`: an id and a version each, no id twice, earlier versions (format 2) distinct.
fn notices(docs: &[NoticeDoc], format: u32) -> Result<Vec<NoticeEntry>> {
    let mut notices: Vec<NoticeEntry> = Vec::new();
    for notice in docs {
        if notice.id.trim().is_empty() || notice.version.trim().is_empty() {
            return Err(bad("a notice needs an id and a version"));
        }
        if notices.iter().any(|n| n.id == notice.id) {
            return Err(bad(format!("duplicate notice `{}`", printable(&notice.id))));
        }
        if format < 2 {
            needs_format_2(notice.earlier.is_some(), "earlier")?;
        }
        let earlier = notice.earlier.clone().unwrap_or_default();
        let mut seen: HashSet<&str> = HashSet::from([notice.version.as_str()]);
        for version in &earlier {
            if version.trim().is_empty() || !seen.insert(version.as_str()) {
                return Err(bad(format!(
                    "notice `{}` lists an empty or repeated version",
                    printable(&notice.id)
                )));
            }
        }
        notices.push(NoticeEntry {
            id: notice.id.clone(),
            version: notice.version.clone(),
            earlier,
        });
    }
    Ok(notices)
}

/// The rules per (recipient, purpose), in catalogue order.
fn rule_table(rules: &[Rule], recipients: usize, width: usize) -> Result<Vec<Vec<RuleRef>>> {
    if rules.len() > usize::from(u16::MAX) {
        return Err(bad("too many rules"));
    }
    let mut table = vec![Vec::new(); recipients * width];
    for (index, rule) in rules.iter().enumerate() {
        let index = u16::try_from(index).map_err(|_| bad("too many rules"))?;
        for purpose in super::bits(rule.purposes) {
            if let Some(slot) =
                table.get_mut(usize::from(rule.recipient) * width + usize::from(purpose))
            {
                slot.push(RuleRef::new(index, rule));
            }
        }
    }
    Ok(table)
}

/// A catalogue with no codes and no rules: it denies everything.
pub(super) fn empty() -> Catalogue {
    Catalogue {
        inner: Arc::new(Inner {
            format: FORMAT,
            version: "empty".into(),
            digest: String::new(),
            text: "".into(),
            settings: Settings {
                self_consent_age: 18,
                mature_minor_min_age: 18,
                special_self_consent_age: 18,
                hear_child_from_age: None,
                representative_until_age: 18,
                representative_special_until_age: 18,
                statistics_min_cell: 5,
                statistics_period: Period::Year,
                max_backdating_days: 0,
                migration_roles: Vec::new(),
                succession_roles: Vec::new(),
                archival_statutes: Vec::new(),
                log_all_decisions: true,
                require_signed_actors: true,
                disclose_staff_ids: false,
                access_log_retention_years: 5,
            },
            purposes: Vec::new(),
            recipients: Vec::new(),
            categories: Vec::new(),
            statutes: Vec::new(),
            exceptions: Vec::new(),
            conditions: Vec::new(),
            rules: Vec::new(),
            notices: Vec::new(),
            controller: None,
            // No role may do anything (fail closed).
            roles: Vec::new(),
            roles_declared: true,
            purpose_index: CodeIndex::new(std::iter::empty()),
            recipient_index: CodeIndex::new(std::iter::empty()),
            category_index: CodeIndex::new(std::iter::empty()),
            condition_index: CodeIndex::new(std::iter::empty()),
            special_mask: 0,
            rule_table: Vec::new(),
        }),
    }
}
