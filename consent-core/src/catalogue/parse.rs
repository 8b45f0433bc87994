//! The catalogue's TOML document and its validation.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::index::CodeIndex;
use super::{
    Art6, Art9, Catalogue, Category, Code, Entry, Inner, MAX_CODES, Rule, RuleRef, Settings,
    Statute,
};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::hex;
use crate::time::{self, Micros};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: String,
    settings: Settings,
    #[serde(default)]
    purpose: Vec<EntryDoc>,
    #[serde(default)]
    recipient: Vec<RecipientDoc>,
    #[serde(default)]
    category: Vec<CategoryDoc>,
    #[serde(default)]
    statute: Vec<StatuteDoc>,
    #[serde(default)]
    rule: Vec<RuleDoc>,
    #[serde(default)]
    notice: Vec<NoticeDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeDoc {
    id: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientDoc {
    code: String,
    name: String,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read for validation; fvl § 13 b nr. 3 rules use it later"
    )]
    same_legal_entity: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDoc {
    code: String,
    name: String,
    #[serde(default)]
    special: bool,
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
struct RuleDoc {
    code: String,
    statutes: Vec<String>,
    recipient: String,
    purposes: Vec<String>,
    categories: Vec<String>,
    art6: Art6,
    art9: Option<Art9>,
    confidentiality_exception: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
    #[serde(default)]
    archival_duty: bool,
    #[serde(default)]
    restriction_applies: bool,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidCatalogue, message)
}

fn code(text: &str, what: &str) -> Result<Code> {
    Code::new(text).map_err(|e| bad(format!("{what}: {}", e.message())))
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

fn window(from: Micros, to: Option<Micros>, what: &str) -> Result<()> {
    match to {
        Some(to) if to <= from => Err(bad(format!("{what}: valid_to is not after valid_from"))),
        _ => Ok(()),
    }
}

fn entry_codes(entries: &[Entry]) -> impl Iterator<Item = &str> {
    entries.iter().map(|e| e.code.as_str())
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

/// The codes of each kind, by code, for validating rules.
struct Indexes {
    purposes: FxHashMap<Box<str>, u8>,
    recipients: FxHashMap<Box<str>, u8>,
    categories: FxHashMap<Box<str>, u8>,
    special_mask: u64,
}

pub(super) fn parse(text: &str) -> Result<Catalogue> {
    let doc = document(text)?;
    if doc.version.trim().is_empty() {
        return Err(bad("catalogue version is empty"));
    }
    check_settings(&doc.settings)?;
    let purposes = entries(&doc.purpose, "purpose")?;
    let recipients = entries(
        &doc.recipient
            .iter()
            .map(|r| EntryDoc {
                code: r.code.clone(),
                name: r.name.clone(),
            })
            .collect::<Vec<_>>(),
        "recipient",
    )?;
    let categories = categories(&doc.category)?;
    let special_mask = categories
        .iter()
        .enumerate()
        .filter(|(_, c)| c.special)
        .fold(0u64, |mask, (i, _)| mask | (1u64 << i));
    let indexes = Indexes {
        purposes: index(purposes.iter().map(|e| &e.code), "purpose")?,
        recipients: index(recipients.iter().map(|e| &e.code), "recipient")?,
        categories: index(categories.iter().map(|e| &e.code), "category")?,
        special_mask,
    };
    let statutes = statutes(&doc.statute)?;
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
            rules.push(rule(doc, &statutes, &indexes)?);
            Ok(rules)
        })?;
    let notices = notices(&doc.notice)?;
    let rule_table = rule_table(&rules, recipients.len(), purposes.len())?;
    // Validation above used hash maps; decisions look codes up in the compact index.
    let purpose_index = CodeIndex::new(entry_codes(&purposes));
    let recipient_index = CodeIndex::new(entry_codes(&recipients));
    let category_index = CodeIndex::new(categories.iter().map(|c| c.code.as_str()));
    Ok(Catalogue {
        inner: Arc::new(Inner {
            version: doc.version,
            digest: hex::encode(&Sha256::digest(text.as_bytes())),
            settings: doc.settings,
            purposes,
            recipients,
            categories,
            statutes,
            rules,
            notices,
            purpose_index,
            recipient_index,
            category_index,
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

/// `[settings]`: ages within 1 to 18 and in order, a positive statistics threshold.
fn check_settings(s: &Settings) -> Result<()> {
    if !(1..=18).contains(&s.self_consent_age)
        || !(1..=18).contains(&s.self_consent_age_special)
        || !(1..=18).contains(&s.representative_until_age)
    {
        return Err(bad("settings: ages must be between 1 and 18"));
    }
    if s.self_consent_age > s.self_consent_age_special {
        return Err(bad(
            "settings: self_consent_age is above self_consent_age_special",
        ));
    }
    if s.statistics_min_cell == 0 {
        return Err(bad("settings: statistics_min_cell must be at least 1"));
    }
    Ok(())
}

/// `[[purpose]]` and `[[recipient]]`.
fn entries(docs: &[EntryDoc], kind: &str) -> Result<Vec<Entry>> {
    docs.iter()
        .map(|p| {
            Ok(Entry {
                code: code(&p.code, kind)?,
                name: p.name.clone(),
            })
        })
        .collect()
}

/// `[[category]]`.
fn categories(docs: &[CategoryDoc]) -> Result<Vec<Category>> {
    docs.iter()
        .map(|c| {
            Ok(Category {
                code: code(&c.code, "category")?,
                name: c.name.clone(),
                special: c.special,
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
        let valid_to = doc
            .valid_to
            .as_deref()
            .map(|t| instant(t, &what))
            .transpose()?;
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

/// One `[[rule]]`: known codes, a statutory Art. 6 basis, an Art. 9 condition for special
/// categories, and a window inside its statutes' windows.
fn rule(doc: &RuleDoc, statutes: &[Statute], indexes: &Indexes) -> Result<Rule> {
    let rule_code = code(&doc.code, "rule")?;
    let what = format!("rule `{rule_code}`");
    if doc.statutes.is_empty() {
        return Err(bad(format!("{what} cites no statute")));
    }
    let cited = doc
        .statutes
        .iter()
        .map(|name| {
            statutes
                .iter()
                .find(|s| s.code.as_str() == name)
                .ok_or_else(|| {
                    bad(format!(
                        "{what} names unknown statute `{}`",
                        printable(name)
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let recipient = *indexes
        .recipients
        .get(doc.recipient.as_str())
        .ok_or_else(|| {
            bad(format!(
                "{what} names unknown recipient `{}`",
                printable(&doc.recipient)
            ))
        })?;
    let purposes = set(
        &indexes.purposes,
        &doc.purposes,
        "purpose",
        rule_code.as_str(),
    )?;
    let categories = set(
        &indexes.categories,
        &doc.categories,
        "category",
        rule_code.as_str(),
    )?;
    match doc.art6 {
        Art6::A => {
            return Err(bad(format!(
                "{what}: A6_1_a is consent, which grants record; a rule needs a statutory basis"
            )));
        }
        Art6::F => {
            return Err(bad(format!(
                "{what}: public authorities may not use A6_1_f for their tasks"
            )));
        }
        _ => {}
    }
    if categories & indexes.special_mask != 0 && doc.art9.is_none() {
        return Err(bad(format!(
            "{what} covers a special category but names no Art. 9(2) condition"
        )));
    }
    let (valid_from, valid_to) = rule_window(doc, &cited, &what)?;
    Ok(Rule {
        code: rule_code,
        statute: cited
            .iter()
            .map(|s| s.title.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        art6: doc.art6,
        art9: doc.art9,
        confidentiality_exception: code(
            &doc.confidentiality_exception,
            &format!("{what}: confidentiality_exception"),
        )?,
        archival_duty: doc.archival_duty,
        restriction_applies: doc.restriction_applies,
        recipient,
        purposes,
        categories,
        valid_from,
        valid_to,
    })
}

/// A rule is valid where it and every statute it cites are in force.
fn rule_window(doc: &RuleDoc, cited: &[&Statute], what: &str) -> Result<(Micros, Option<Micros>)> {
    let mut valid_from = match &doc.valid_from {
        Some(t) => instant(t, what)?,
        None => Micros::MIN,
    };
    let mut valid_to = doc
        .valid_to
        .as_deref()
        .map(|t| instant(t, what))
        .transpose()?;
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

/// `[[notice]]`: an id and a version each, no id twice.
fn notices(docs: &[NoticeDoc]) -> Result<Vec<(String, String)>> {
    let mut notices: Vec<(String, String)> = Vec::new();
    for notice in docs {
        if notice.id.trim().is_empty() || notice.version.trim().is_empty() {
            return Err(bad("a notice needs an id and a version"));
        }
        if notices.iter().any(|(id, _)| id == &notice.id) {
            return Err(bad(format!("duplicate notice `{}`", printable(&notice.id))));
        }
        notices.push((notice.id.clone(), notice.version.clone()));
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
            version: "empty".into(),
            digest: String::new(),
            settings: Settings {
                self_consent_age: 18,
                self_consent_age_special: 18,
                representative_until_age: 18,
                statistics_min_cell: 5,
            },
            purposes: Vec::new(),
            recipients: Vec::new(),
            categories: Vec::new(),
            statutes: Vec::new(),
            rules: Vec::new(),
            notices: Vec::new(),
            purpose_index: CodeIndex::new(std::iter::empty()),
            recipient_index: CodeIndex::new(std::iter::empty()),
            category_index: CodeIndex::new(std::iter::empty()),
            special_mask: 0,
            rule_table: Vec::new(),
        }),
    }
}
