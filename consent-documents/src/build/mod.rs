//! From a view model and a language to the neutral document ([`Doc`]).

use crate::doc::{Block, Doc, Section, Span, Spans, Table, code, text, value};
use crate::i18n::Language;
use crate::keys::Key;
use crate::model::{
    Art6, Art9, Category, ConfidentialityException, ConfidentialityGate, ConsentRole,
    ConsentStatus, Contact, Controller, GdprGate, LegalGates, NoticePurpose, PrivacyNotice,
    ProcessingRecord, Retention,
};

mod access;

pub(crate) use access::access;

/// Where a person complains (GDPR Art. 77): Datatilsynet's postal and web address.
pub(crate) const DATATILSYNET_NAME: &str = "Datatilsynet";
pub(crate) const DATATILSYNET_ADDRESS: &str = "Postboks 458 Sentrum, 0105 Oslo";
pub(crate) const DATATILSYNET_URL: &str = "https://www.datatilsynet.no";

fn art6_citation(art6: Art6) -> (&'static str, Key) {
    match art6 {
        Art6::A => ("GDPR art. 6(1)(a)", Key::Art6A),
        Art6::B => ("GDPR art. 6(1)(b)", Key::Art6B),
        Art6::C => ("GDPR art. 6(1)(c)", Key::Art6C),
        Art6::D => ("GDPR art. 6(1)(d)", Key::Art6D),
        Art6::E => ("GDPR art. 6(1)(e)", Key::Art6E),
        Art6::F => ("GDPR art. 6(1)(f)", Key::Art6F),
    }
}

fn art9_citation(art9: Art9) -> (&'static str, Key) {
    match art9 {
        Art9::A => ("GDPR art. 9(2)(a)", Key::Art9A),
        Art9::B => ("GDPR art. 9(2)(b)", Key::Art9B),
        Art9::C => ("GDPR art. 9(2)(c)", Key::Art9C),
        Art9::D => ("GDPR art. 9(2)(d)", Key::Art9D),
        Art9::E => ("GDPR art. 9(2)(e)", Key::Art9E),
        Art9::F => ("GDPR art. 9(2)(f)", Key::Art9F),
        Art9::G => ("GDPR art. 9(2)(g)", Key::Art9G),
        Art9::H => ("GDPR art. 9(2)(h)", Key::Art9H),
        Art9::I => ("GDPR art. 9(2)(i)", Key::Art9I),
        Art9::J => ("GDPR art. 9(2)(j)", Key::Art9J),
    }
}

fn status_key(status: ConsentStatus) -> Key {
    match status {
        ConsentStatus::Active => Key::StatusActive,
        ConsentStatus::Withdrawn => Key::StatusWithdrawn,
        ConsentStatus::Expired => Key::StatusExpired,
        ConsentStatus::Lapsed => Key::StatusLapsed,
    }
}

/// "GDPR art. 6(1)(e): a task in the public interest", then Art. 9, then the statute.
fn gdpr_spans(lang: &Language, gate: &GdprGate) -> Spans {
    let (citation, key) = art6_citation(gate.art6);
    let mut out = vec![
        Span::Code(citation.to_owned()),
        Span::Text(format!(": {}", lang.text(key))),
    ];
    if let Some(art9) = gate.art9 {
        let (citation, key) = art9_citation(art9);
        out.push(Span::Break);
        out.push(Span::Code(citation.to_owned()));
        out.push(Span::Text(format!(": {}", lang.text(key))));
    }
    if let Some(statute) = &gate.statute {
        out.push(Span::Break);
        out.push(Span::Text(format!("{}: ", lang.text(Key::Statute))));
        out.push(Span::Value(statute.title.clone()));
    }
    out
}

fn confidentiality_spans(lang: &Language, gate: &ConfidentialityGate) -> Spans {
    let key = match gate.exception {
        ConfidentialityException::Consent => Key::ConfConsent,
        ConfidentialityException::SameBody => Key::ConfSameBody,
        ConfidentialityException::SpecialStatute => Key::ConfSpecialStatute,
        ConfidentialityException::DutyToInform => Key::ConfDutyToInform,
        ConfidentialityException::NotConfidential => Key::ConfNotConfidential,
    };
    let mut out = text(lang.text(key));
    if let Some(statute) = &gate.statute {
        out.push(Span::Break);
        out.push(Span::Text(format!("{}: ", lang.text(Key::Statute))));
        out.push(Span::Value(statute.title.clone()));
    }
    out
}

/// Both gates, labelled, for a table cell.
fn gates_spans(lang: &Language, gates: &LegalGates) -> Spans {
    let mut out = vec![
        Span::Strong(lang.text(Key::GdprGate).to_owned()),
        Span::Break,
    ];
    out.extend(gdpr_spans(lang, &gates.gdpr));
    out.push(Span::Break);
    out.push(Span::Strong(lang.text(Key::ConfidentialityGate).to_owned()));
    out.push(Span::Break);
    out.extend(confidentiality_spans(lang, &gates.confidentiality));
    out
}

/// Category names, special ones marked in words (not by colour or a symbol alone).
fn categories_spans(lang: &Language, categories: &[Category]) -> Spans {
    let mut out = Vec::new();
    for (i, category) in categories.iter().enumerate() {
        if i > 0 {
            out.push(Span::Text(lang.text(Key::ListSeparator).to_owned()));
        }
        out.push(Span::Value(category.name.clone()));
        if category.special {
            out.push(Span::Text(format!(
                " ({})",
                lang.text(Key::SpecialCategory)
            )));
        }
    }
    if out.is_empty() {
        out.push(Span::Text(lang.text(Key::None).to_owned()));
    }
    out
}

fn list_spans(lang: &Language, items: &[String]) -> Spans {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(Span::Text(lang.text(Key::ListSeparator).to_owned()));
        }
        out.push(Span::Value(item.clone()));
    }
    if out.is_empty() {
        out.push(Span::Text(lang.text(Key::None).to_owned()));
    }
    out
}

fn contact_facts(lang: &Language, contact: &Contact) -> Vec<(String, Spans)> {
    let mut facts = Vec::new();
    let fields = [
        (Key::Contact, &contact.name, false),
        (Key::Email, &contact.email, true),
        (Key::Phone, &contact.phone, true),
        (Key::Address, &contact.address, false),
        (Key::Web, &contact.url, true),
    ];
    for (key, field, is_code) in fields {
        if let Some(v) = field.as_deref().filter(|v| !v.trim().is_empty()) {
            let spans = if is_code { code(v) } else { value(v) };
            facts.push((lang.text(key).to_owned(), spans));
        }
    }
    facts
}

fn controller_facts(lang: &Language, controller: &Controller) -> Vec<(String, Spans)> {
    let mut facts = vec![
        (
            lang.text(Key::Controller).to_owned(),
            value(&controller.name),
        ),
        (
            lang.text(Key::OrgNumber).to_owned(),
            code(controller.org_number.grouped()),
        ),
        (lang.text(Key::Unit).to_owned(), value(&controller.unit)),
    ];
    facts.extend(contact_facts(lang, &controller.contact));
    facts
}

fn dpo_facts(lang: &Language, controller: &Controller) -> Vec<(String, Spans)> {
    contact_facts(lang, &controller.dpo)
        .into_iter()
        .map(|(label, spans)| (format!("{} – {}", lang.text(Key::Dpo), label), spans))
        .collect()
}

fn retention_spans(lang: &Language, retention: &Retention) -> Spans {
    let mut out = Vec::new();
    if let Some(years) = retention.years {
        out.extend(lang.spans(
            Key::RetentionYears,
            &[("years", Span::Code(years.to_string()))],
        ));
    }
    if let Some(t) = retention.text.as_deref().filter(|t| !t.trim().is_empty()) {
        if !out.is_empty() {
            out.push(Span::Break);
        }
        out.push(Span::Value(t.to_owned()));
    }
    if retention.archival_duty {
        // A line break only after something: an archival duty alone starts the cell.
        if !out.is_empty() {
            out.push(Span::Break);
        }
        out.push(Span::Text(lang.text(Key::ArchivalDuty).to_owned()));
    }
    out
}

fn rights_section(lang: &Language, controller: &Controller) -> Section {
    let mut blocks = vec![
        Block::Para(text(lang.text(Key::RightsIntro))),
        Block::List(
            [
                Key::RightsAccess,
                Key::RightsRectification,
                Key::RightsRestriction,
                Key::RightsObjection,
                Key::RightsErasure,
                Key::RightsWithdrawal,
            ]
            .into_iter()
            .map(|k| text(lang.text(k)))
            .collect(),
        ),
        Block::Para(lang.spans(
            Key::RightsContact,
            &[("unit", Span::Value(controller.unit.clone()))],
        )),
    ];
    let mut facts = contact_facts(lang, &controller.contact);
    facts.extend(dpo_facts(lang, controller));
    blocks.push(Block::Facts(facts));
    Section {
        id: "rights".to_owned(),
        heading: lang.text(Key::RightsHeading).to_owned(),
        blocks,
    }
}

fn complaint_section(lang: &Language) -> Section {
    Section {
        id: "complaint".to_owned(),
        heading: lang.text(Key::ComplaintHeading).to_owned(),
        blocks: vec![
            Block::Para(text(lang.text(Key::ComplaintText))),
            Block::Facts(vec![
                (lang.text(Key::Contact).to_owned(), code(DATATILSYNET_NAME)),
                (
                    lang.text(Key::Address).to_owned(),
                    code(DATATILSYNET_ADDRESS),
                ),
                (lang.text(Key::Web).to_owned(), code(DATATILSYNET_URL)),
            ]),
        ],
    }
}

fn none_para(lang: &Language) -> Block {
    Block::Para(text(lang.text(Key::None)))
}

/// The privacy notice.
pub(crate) fn notice(model: &PrivacyNotice, lang: &Language) -> Doc {
    let controller = &model.controller;
    let front = vec![
        Block::Para(lang.spans(
            Key::NoticeIntro,
            &[
                ("controller", Span::Value(controller.name.clone())),
                ("unit", Span::Value(controller.unit.clone())),
            ],
        )),
        Block::Para(lang.spans(
            Key::NoticeVersion,
            &[
                ("version", Span::Code(model.version.clone())),
                ("date", Span::Value(lang.date(model.published))),
            ],
        )),
    ];
    let mut sections = Vec::new();
    let mut facts = controller_facts(lang, controller);
    facts.extend(dpo_facts(lang, controller));
    sections.push(Section {
        id: "controller".to_owned(),
        heading: lang.text(Key::NoticeControllerHeading).to_owned(),
        blocks: vec![Block::Facts(facts)],
    });

    let mut blocks = Vec::new();
    for purpose in &model.purposes {
        purpose_blocks(lang, purpose, &mut blocks);
    }
    sections.push(Section {
        id: "purposes".to_owned(),
        heading: lang.text(Key::NoticePurposesHeading).to_owned(),
        blocks,
    });
    sections.push(rights_section(lang, controller));
    sections.push(complaint_section(lang));
    let mut facts = contact_facts(lang, &controller.contact);
    facts.extend(dpo_facts(lang, controller));
    sections.push(Section {
        id: "contact".to_owned(),
        heading: lang.text(Key::ContactHeading).to_owned(),
        blocks: vec![Block::Facts(facts)],
    });
    Doc {
        lang: lang.code().to_owned(),
        direction: lang.direction(),
        title: format!("{} – {}", lang.text(Key::NoticeTitle), controller.unit),
        front,
        sections,
    }
}

/// One purpose of the privacy notice: its gates, categories, retention and disclosures.
fn purpose_blocks(lang: &Language, purpose: &NoticePurpose, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(purpose.name.clone()));
    if let Some(description) = purpose
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        blocks.push(Block::Para(value(description)));
    }
    let consent = match purpose.consent {
        None => Key::NoticeNoConsent,
        Some(ConsentRole::ConfidentialityWaiver) => Key::NoticeConsentWaiver,
        Some(ConsentRole::Basis) => Key::NoticeConsentBasis,
    };
    let mut categories = categories_spans(lang, &purpose.categories);
    if purpose.categories.iter().any(|c| c.special) {
        categories.push(Span::Break);
        categories.push(Span::Text(lang.text(Key::SpecialCategoryNote).to_owned()));
    }
    blocks.push(Block::Facts(vec![
        (
            lang.text(Key::GdprGate).to_owned(),
            gdpr_spans(lang, &purpose.gdpr),
        ),
        (lang.text(Key::Basis).to_owned(), text(lang.text(consent))),
        (lang.text(Key::Categories).to_owned(), categories),
        (
            lang.text(Key::Retention).to_owned(),
            retention_spans(lang, &purpose.retention),
        ),
    ]));
    if purpose.disclosures.is_empty() {
        blocks.push(Block::Para(text(lang.text(Key::NoticeNoDisclosures))));
    } else {
        blocks.push(Block::Table(Table {
            caption: lang.fill(Key::NoticeDisclosuresCaption, &[("purpose", &purpose.name)]),
            head: vec![
                lang.text(Key::Recipient).to_owned(),
                lang.text(Key::Categories).to_owned(),
                lang.text(Key::Basis).to_owned(),
            ],
            rows: purpose
                .disclosures
                .iter()
                .map(|d| {
                    let mut basis = text(lang.text(if d.by_consent {
                        Key::NoticeOnlyWithConsent
                    } else {
                        Key::NoticeWithoutConsent
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
                        value(&d.recipient),
                        categories_spans(lang, &d.categories),
                        basis,
                    ]
                })
                .collect(),
            row_headers: true,
            widths: vec![1.2, 1.6, 2.6],
        }));
    }
}

/// The rows of one activity: (field label, content), (b) to (g).
pub(crate) fn activity_rows(
    lang: &Language,
    activity: &crate::model::ProcessingActivity,
) -> Vec<(String, Spans)> {
    let recipients: Vec<Spans> = activity
        .recipients
        .iter()
        .map(|r| {
            let mut spans = value(&r.name);
            if let Some(country) = &r.third_country {
                spans.push(Span::Text(" ".to_owned()));
                spans.extend(lang.spans(
                    Key::RecordThirdCountry,
                    &[("country", Span::Value(country.clone()))],
                ));
            }
            spans
        })
        .collect();
    let mut d = Vec::new();
    for (i, r) in recipients.into_iter().enumerate() {
        if i > 0 {
            d.push(Span::Text(lang.text(Key::ListSeparator).to_owned()));
        }
        d.extend(r);
    }
    if d.is_empty() {
        d = text(lang.text(Key::None));
    }
    let mut e = Vec::new();
    for transfer in &activity.transfers {
        if !e.is_empty() {
            e.push(Span::Break);
        }
        e.push(Span::Value(transfer.destination.clone()));
        e.push(Span::Text(": ".to_owned()));
        e.push(Span::Value(transfer.safeguards.clone()));
    }
    if e.is_empty() {
        e = text(lang.text(Key::None));
    }
    let mut b = value(&activity.purpose);
    b.push(Span::Break);
    b.extend(gdpr_spans(lang, &activity.gdpr));
    let mut g = Vec::new();
    for measure in &activity.security {
        if !g.is_empty() {
            g.push(Span::Break);
        }
        g.push(Span::Value(measure.clone()));
    }
    vec![
        (lang.text(Key::RecordB).to_owned(), b),
        (
            lang.text(Key::RecordCSubjects).to_owned(),
            list_spans(lang, &activity.data_subjects),
        ),
        (
            lang.text(Key::RecordCData).to_owned(),
            categories_spans(lang, &activity.categories),
        ),
        (lang.text(Key::RecordD).to_owned(), d),
        (lang.text(Key::RecordE).to_owned(), e),
        (
            lang.text(Key::RecordF).to_owned(),
            retention_spans(lang, &activity.retention),
        ),
        (lang.text(Key::RecordG).to_owned(), g),
    ]
}

/// The controller cell of the record: (a).
pub(crate) fn record_controller(lang: &Language, model: &ProcessingRecord) -> Vec<(String, Spans)> {
    let mut facts = controller_facts(lang, &model.controller);
    facts.extend(dpo_facts(lang, &model.controller));
    for joint in &model.joint_controllers {
        for (label, spans) in contact_facts(lang, joint) {
            facts.push((
                format!("{} – {label}", lang.text(Key::RecordJointControllers)),
                spans,
            ));
        }
    }
    if let Some(representative) = &model.representative {
        for (label, spans) in contact_facts(lang, representative) {
            facts.push((
                format!("{} – {label}", lang.text(Key::RecordRepresentative)),
                spans,
            ));
        }
    }
    facts
}

/// The record of processing activities.
pub(crate) fn record(model: &ProcessingRecord, lang: &Language) -> Doc {
    let front = vec![
        Block::Para(text(lang.text(Key::RecordIntro))),
        Block::Para(lang.spans(
            Key::RecordUpdated,
            &[("date", Span::Value(lang.date(model.updated)))],
        )),
    ];
    let mut sections = vec![Section {
        id: "controller".to_owned(),
        heading: lang.text(Key::RecordControllerHeading).to_owned(),
        blocks: vec![Block::Facts(record_controller(lang, model))],
    }];
    let mut blocks = Vec::new();
    for (i, activity) in model.activities.iter().enumerate() {
        let heading = lang.fill(
            Key::RecordActivityHeading,
            &[
                ("number", &(i + 1).to_string()),
                ("purpose", &activity.purpose),
            ],
        );
        blocks.push(Block::Heading(heading.clone()));
        blocks.push(Block::Table(Table {
            caption: heading,
            head: vec![
                lang.text(Key::RecordField).to_owned(),
                lang.text(Key::RecordContent).to_owned(),
            ],
            rows: activity_rows(lang, activity)
                .into_iter()
                .map(|(label, spans)| vec![text(label), spans])
                .collect(),
            row_headers: true,
            widths: vec![1.2, 3.0],
        }));
    }
    sections.push(Section {
        id: "activities".to_owned(),
        heading: lang.text(Key::RecordActivitiesHeading).to_owned(),
        blocks,
    });
    Doc {
        lang: lang.code().to_owned(),
        direction: lang.direction(),
        title: format!(
            "{} – {}",
            lang.text(Key::RecordTitle),
            model.controller.name
        ),
        front,
        sections,
    }
}
