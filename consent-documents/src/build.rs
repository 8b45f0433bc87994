//! From a view model and a language to the neutral document ([`Doc`]).

use crate::doc::{Block, Doc, Section, Span, Spans, Table, code, text, value};
use crate::i18n::Language;
use crate::keys::Key;
use crate::model::{
    AccessAnswer, AccessContent, Art6, Art9, Category, ConfidentialityException,
    ConfidentialityGate, ConsentRole, ConsentStatus, Contact, Controller, GdprGate, Grantor,
    HeldRecords, LegalGates, ObjectionOutcome, PrivacyNotice, ProcessingRecord, Retention,
};
use crate::timeline;

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
        out.push(Span::Break);
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
    sections.push(Section {
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
    });

    // Consents, oldest first, numbered as in the timeline's lanes.
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
        blocks.push(Block::Facts(facts));
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
        blocks.push(Block::Table(Table {
            caption: lang.fill(Key::AccessHistoryCaption, &[("purpose", &consent.purpose)]),
            head: vec![
                lang.text(Key::Date).to_owned(),
                lang.text(Key::Status).to_owned(),
                lang.text(Key::AccessNote).to_owned(),
            ],
            rows,
            row_headers: false,
            widths: vec![1.0, 1.0, 2.0],
        }));
    }
    if consents.is_empty() {
        blocks.push(none_para(lang));
    }
    sections.push(Section {
        id: "consents".to_owned(),
        heading: lang.text(Key::AccessConsentsHeading).to_owned(),
        blocks,
    });

    // Refusals.
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
    sections.push(Section {
        id: "refusals".to_owned(),
        heading: lang.text(Key::AccessRefusalsHeading).to_owned(),
        blocks,
    });

    // Disclosures.
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
    sections.push(Section {
        id: "disclosures".to_owned(),
        heading: lang.text(Key::AccessDisclosuresHeading).to_owned(),
        blocks,
    });

    // Look-ups.
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
    sections.push(Section {
        id: "lookups".to_owned(),
        heading: lang.text(Key::AccessLookupsHeading).to_owned(),
        blocks,
    });

    // Restrictions and objections.
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
    sections.push(Section {
        id: "restrictions".to_owned(),
        heading: lang.text(Key::AccessRestrictionsHeading).to_owned(),
        blocks,
    });

    // The timeline: a picture and the same events as a table.
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
    sections.push(Section {
        id: "timeline".to_owned(),
        heading: lang.text(Key::TimelineHeading).to_owned(),
        blocks,
    });
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
