//! The access-request answer (innsyn) as a neutral document.

use super::{
    categories_spans, complaint_section, confidentiality_spans, gates_spans, gdpr_spans,
    list_spans, none_para, rights_section, status_key,
};
use crate::doc::{Block, Doc, Section, Span, Spans, Table, code, text, value};
use crate::i18n::Language;
use crate::keys::Key;
use crate::model::{AccessAnswer, AccessContent, Consent, Grantor, HeldRecords, ObjectionOutcome};
use crate::timeline;

/// The access-request answer.
pub(crate) fn access(model: &AccessAnswer, lang: &Language) -> Doc {
    let controller = &model.controller;
    let mut letterhead = vec![
        (
            lang.text(Key::Controller).to_owned(),
            value(&controller.name),
        ),
        (lang.text(Key::Unit).to_owned(), value(&controller.unit)),
        (
            lang.text(Key::OrgNumber).to_owned(),
            code(controller.org_number.grouped()),
        ),
        (
            lang.text(Key::Date).to_owned(),
            value(lang.date(model.date)),
        ),
    ];
    if let Some(reference) = &model.reference {
        letterhead.push((lang.text(Key::Reference).to_owned(), code(reference)));
    }
    if let Some(recipient) = &model.recipient {
        letterhead.push((lang.text(Key::AccessTo).to_owned(), value(&recipient.name)));
        if let Some(id) = &recipient.national_id {
            letterhead.push((
                lang.text(Key::AccessNationalId).to_owned(),
                code(id.expose()),
            ));
        }
    }
    let mut front = vec![
        Block::Facts(letterhead),
        Block::Para(lang.spans(
            Key::AccessIntro,
            &[
                ("controller", Span::Value(controller.name.clone())),
                ("unit", Span::Value(controller.unit.clone())),
            ],
        )),
    ];
    if let Some(received) = model.request_received {
        front.push(Block::Para(lang.spans(
            Key::AccessReceived,
            &[("date", Span::Value(lang.date(received)))],
        )));
    }

    let mut sections = Vec::new();
    match &model.content {
        AccessContent::NothingHeld => sections.push(Section {
            id: "held".to_owned(),
            heading: lang.text(Key::AccessNothingHeading).to_owned(),
            blocks: vec![Block::Para(lang.spans(
                Key::AccessNothingHeld,
                &[("unit", Span::Value(controller.unit.clone()))],
            ))],
        }),
        AccessContent::Held(held) => held_sections(held, lang, model, &mut sections),
    }
    sections.push(rights_section(lang, controller));
    sections.push(complaint_section(lang));
    Doc {
        lang: lang.code().to_owned(),
        direction: lang.direction(),
        title: lang.text(Key::AccessTitle).to_owned(),
        front,
        sections,
    }
}

fn held_sections(
    held: &HeldRecords,
    lang: &Language,
    model: &AccessAnswer,
    sections: &mut Vec<Section>,
) {
    sections.push(summary_section(held, lang));
    sections.push(consents_section(held, lang));
    sections.push(refusals_section(held, lang));
    sections.push(disclosures_section(held, lang));
    sections.push(lookups_section(held, lang));
    sections.push(restrictions_section(held, lang));
    sections.push(timeline_section(held, lang, model));
}

/// How many consents, disclosures and look-ups the letter lists.
fn summary_section(held: &HeldRecords, lang: &Language) -> Section {
    Section {
        id: "summary".to_owned(),
        heading: lang.text(Key::AccessSummaryHeading).to_owned(),
        blocks: vec![Block::Para(lang.spans(
            Key::AccessSummary,
            &[
                ("consents", Span::Code(held.consents.len().to_string())),
                (
                    "disclosures",
                    Span::Code(held.disclosures.len().to_string()),
                ),
                ("lookups", Span::Code(held.lookups.len().to_string())),
            ],
        ))],
    }
}

/// Consents, oldest first, numbered as in the timeline's lanes.
fn consents_section(held: &HeldRecords, lang: &Language) -> Section {
    let mut blocks = vec![Block::Para(text(lang.text(Key::AccessConsentsIntro)))];
    let mut consents: Vec<_> = held.consents.iter().collect();
    consents.sort_by_key(|c| c.given_at);
    for (i, consent) in consents.iter().enumerate() {
        let heading = lang.fill(
            Key::AccessConsentHeading,
            &[
                ("number", &(i + 1).to_string()),
                ("purpose", &consent.purpose),
            ],
        );
        blocks.push(Block::Heading(heading));
        blocks.push(Block::Facts(consent_facts(consent, lang)));
        blocks.push(Block::Table(consent_history(consent, lang)));
    }
    if consents.is_empty() {
        blocks.push(none_para(lang));
    }
    Section {
        id: "consents".to_owned(),
        heading: lang.text(Key::AccessConsentsHeading).to_owned(),
        blocks,
    }
}

/// What a consent covers, who gave it and when, and both gates of its basis.
fn consent_facts(consent: &Consent, lang: &Language) -> Vec<(String, Spans)> {
    let given_by = match &consent.given_by {
        Grantor::Person => text(lang.text(Key::AccessGivenByYou)),
        Grantor::Representative { role } => lang.spans(
            Key::AccessGivenByRepresentative,
            &[("role", Span::Value(role.clone()))],
        ),
    };
    let explicit = if consent.explicit {
        Key::AccessExplicitYes
    } else {
        Key::AccessExplicitNo
    };
    let mut facts = vec![
        (
            lang.text(Key::Recipients).to_owned(),
            list_spans(lang, &consent.recipients),
        ),
        (
            lang.text(Key::Categories).to_owned(),
            categories_spans(lang, &consent.categories),
        ),
        (lang.text(Key::AccessGivenBy).to_owned(), given_by),
        (
            lang.text(Key::AccessGivenAt).to_owned(),
            value(lang.date(consent.given_at)),
        ),
    ];
    if let Some(until) = consent.valid_until {
        facts.push((
            lang.text(Key::AccessValidUntil).to_owned(),
            value(lang.date(until)),
        ));
    }
    facts.push((
        lang.text(Key::AccessExplicit).to_owned(),
        text(lang.text(explicit)),
    ));
    if let Some(how) = consent
        .how_given
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        facts.push((lang.text(Key::AccessHowGiven).to_owned(), value(how)));
    }
    facts.push((
        lang.text(Key::Status).to_owned(),
        text(lang.text(status_key(consent.status))),
    ));
    facts.push((
        lang.text(Key::GdprGate).to_owned(),
        gdpr_spans(lang, &consent.gates.gdpr),
    ));
    facts.push((
        lang.text(Key::ConfidentialityGate).to_owned(),
        confidentiality_spans(lang, &consent.gates.confidentiality),
    ));
    facts
}

/// A consent's history: given, then each change of status.
fn consent_history(consent: &Consent, lang: &Language) -> Table {
    let mut rows = vec![vec![
        value(lang.date(consent.given_at)),
        text(lang.text(Key::StatusActive)),
        value(""),
    ]];
    for change in &consent.history {
        rows.push(vec![
            value(lang.date(change.at)),
            text(lang.text(status_key(change.status))),
            value(change.note.clone().unwrap_or_default()),
        ]);
    }
    Table {
        caption: lang.fill(Key::AccessHistoryCaption, &[("purpose", &consent.purpose)]),
        head: vec![
            lang.text(Key::Date).to_owned(),
            lang.text(Key::Status).to_owned(),
            lang.text(Key::AccessNote).to_owned(),
        ],
        rows,
        row_headers: false,
        widths: vec![1.0, 1.0, 2.0],
    }
}

/// Refusals, oldest first.
fn refusals_section(held: &HeldRecords, lang: &Language) -> Section {
    let mut refusals: Vec<_> = held.refusals.iter().collect();
    refusals.sort_by_key(|r| r.at);
    let blocks = if refusals.is_empty() {
        vec![none_para(lang)]
    } else {
        vec![Block::Table(Table {
            caption: lang.text(Key::AccessRefusalsCaption).to_owned(),
            head: vec![
                lang.text(Key::Date).to_owned(),
                lang.text(Key::Purpose).to_owned(),
                lang.text(Key::Recipients).to_owned(),
                lang.text(Key::Categories).to_owned(),
            ],
            rows: refusals
                .iter()
                .map(|r| {
                    vec![
                        value(lang.date(r.at)),
                        value(&r.purpose),
                        list_spans(lang, &r.recipients),
                        categories_spans(lang, &r.categories),
                    ]
                })
                .collect(),
            row_headers: false,
            widths: vec![1.0, 1.3, 1.3, 1.6],
        })]
    };
    Section {
        id: "refusals".to_owned(),
        heading: lang.text(Key::AccessRefusalsHeading).to_owned(),
        blocks,
    }
}

/// Disclosures, oldest first, each with both gates of its basis.
fn disclosures_section(held: &HeldRecords, lang: &Language) -> Section {
    let mut disclosures: Vec<_> = held.disclosures.iter().collect();
    disclosures.sort_by_key(|d| d.at);
    let mut blocks = vec![Block::Para(text(lang.text(Key::AccessDisclosuresIntro)))];
    if disclosures.is_empty() {
        blocks.push(none_para(lang));
    } else {
        blocks.push(Block::Table(Table {
            caption: lang.text(Key::AccessDisclosuresCaption).to_owned(),
            head: vec![
                lang.text(Key::Date).to_owned(),
                lang.text(Key::Recipient).to_owned(),
                lang.text(Key::Purpose).to_owned(),
                lang.text(Key::Categories).to_owned(),
                lang.text(Key::Basis).to_owned(),
            ],
            rows: disclosures
                .iter()
                .map(|d| {
                    let mut basis = text(lang.text(if d.by_consent {
                        Key::AccessByConsent
                    } else {
                        Key::AccessByLaw
                    }));
                    basis.push(Span::Break);
                    basis.extend(gates_spans(lang, &d.gates));
                    if let Some(condition) = &d.condition {
                        basis.push(Span::Break);
                        basis.extend(lang.spans(
                            Key::AccessCondition,
                            &[("condition", Span::Value(condition.clone()))],
                        ));
                    }
                    vec![
                        value(lang.date_time(d.at)),
                        value(&d.recipient),
                        value(&d.purpose),
                        categories_spans(lang, &d.categories),
                        basis,
                    ]
                })
                .collect(),
            row_headers: false,
            widths: vec![1.0, 1.0, 1.0, 1.2, 2.4],
        }));
    }
    Section {
        id: "disclosures".to_owned(),
        heading: lang.text(Key::AccessDisclosuresHeading).to_owned(),
        blocks,
    }
}

/// Look-ups of the person's data, oldest first.
fn lookups_section(held: &HeldRecords, lang: &Language) -> Section {
    let mut lookups: Vec<_> = held.lookups.iter().collect();
    lookups.sort_by_key(|l| l.at);
    let mut blocks = vec![Block::Para(text(lang.text(Key::AccessLookupsIntro)))];
    if lookups.is_empty() {
        blocks.push(none_para(lang));
    } else {
        blocks.push(Block::Table(Table {
            caption: lang.text(Key::AccessLookupsCaption).to_owned(),
            head: vec![
                lang.text(Key::Date).to_owned(),
                lang.text(Key::AccessRole).to_owned(),
                lang.text(Key::AccessLookupPurpose).to_owned(),
            ],
            rows: lookups
                .iter()
                .map(|l| {
                    vec![
                        value(lang.date_time(l.at)),
                        value(&l.role),
                        value(&l.purpose),
                    ]
                })
                .collect(),
            row_headers: false,
            widths: vec![1.0, 1.0, 2.0],
        }));
    }
    Section {
        id: "lookups".to_owned(),
        heading: lang.text(Key::AccessLookupsHeading).to_owned(),
        blocks,
    }
}

/// Restrictions and objections.
fn restrictions_section(held: &HeldRecords, lang: &Language) -> Section {
    let mut blocks = Vec::new();
    let mut restrictions: Vec<_> = held.restrictions.iter().collect();
    restrictions.sort_by_key(|r| r.from);
    if !restrictions.is_empty() {
        blocks.push(Block::Table(Table {
            caption: lang.text(Key::AccessRestrictionsCaption).to_owned(),
            head: vec![
                lang.text(Key::AccessGround).to_owned(),
                lang.text(Key::AccessFrom).to_owned(),
                lang.text(Key::AccessLifted).to_owned(),
            ],
            rows: restrictions
                .iter()
                .map(|r| {
                    vec![
                        value(&r.ground),
                        value(lang.date(r.from)),
                        match r.lifted {
                            Some(lifted) => value(lang.date(lifted)),
                            None => text(lang.text(Key::AccessStillRestricted)),
                        },
                    ]
                })
                .collect(),
            row_headers: false,
            widths: vec![2.0, 1.0, 1.0],
        }));
    }
    let mut objections: Vec<_> = held.objections.iter().collect();
    objections.sort_by_key(|o| o.at);
    if !objections.is_empty() {
        blocks.push(Block::Table(Table {
            caption: lang.text(Key::AccessObjectionsCaption).to_owned(),
            head: vec![
                lang.text(Key::Purpose).to_owned(),
                lang.text(Key::Date).to_owned(),
                lang.text(Key::AccessOutcome).to_owned(),
            ],
            rows: objections
                .iter()
                .map(|o| {
                    let outcome = match &o.outcome {
                        ObjectionOutcome::Pending => text(lang.text(Key::ObjectionPending)),
                        ObjectionOutcome::Upheld { at } => lang.spans(
                            Key::ObjectionUpheld,
                            &[("date", Span::Value(lang.date(*at)))],
                        ),
                        ObjectionOutcome::Rejected { at, reason } => lang.spans(
                            Key::ObjectionRejected,
                            &[
                                ("date", Span::Value(lang.date(*at))),
                                ("reason", Span::Value(reason.clone())),
                            ],
                        ),
                    };
                    vec![value(&o.purpose), value(lang.date(o.at)), outcome]
                })
                .collect(),
            row_headers: false,
            widths: vec![1.5, 1.0, 2.0],
        }));
    }
    if blocks.is_empty() {
        blocks.push(none_para(lang));
    }
    Section {
        id: "restrictions".to_owned(),
        heading: lang.text(Key::AccessRestrictionsHeading).to_owned(),
        blocks,
    }
}

/// The timeline: a picture and the same events as a table.
fn timeline_section(held: &HeldRecords, lang: &Language, model: &AccessAnswer) -> Section {
    let mut blocks = vec![Block::Para(text(lang.text(Key::TimelineIntro)))];
    match timeline::build(held, lang, model.date) {
        Some(timeline) => {
            let rows = timeline
                .events
                .iter()
                .map(|e| {
                    vec![
                        code(e.number.to_string()),
                        value(lang.date(e.at)),
                        e.label.clone(),
                    ]
                })
                .collect();
            blocks.push(Block::Timeline(timeline));
            blocks.push(Block::Table(Table {
                caption: lang.text(Key::TimelineCaption).to_owned(),
                head: vec![
                    lang.text(Key::TimelineNumber).to_owned(),
                    lang.text(Key::Date).to_owned(),
                    lang.text(Key::TimelineEvent).to_owned(),
                ],
                rows,
                row_headers: true,
                widths: vec![0.4, 1.2, 3.0],
            }));
        }
        None => blocks.push(none_para(lang)),
    }
    Section {
        id: "timeline".to_owned(),
        heading: lang.text(Key::TimelineHeading).to_owned(),
        blocks,
    }
}
