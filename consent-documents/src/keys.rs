//! Every text a translation file provides, with the placeholders each may use.
//!
//! This list is the contract of the translation files: a file must have every key, no other
//! key, and in each text exactly the placeholders listed here.

macro_rules! keys {
    ($( $variant:ident = $name:literal [$($placeholder:literal),*] ),* $(,)?) => {
        /// A text of the translation files.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) enum Key { $($variant),* }

        impl Key {
            pub(crate) const ALL: &'static [Key] = &[$(Key::$variant),*];

            /// The key as written in a translation file (`section.name`).
            pub(crate) fn name(self) -> &'static str {
                match self { $(Key::$variant => $name),* }
            }

            /// The placeholders its text must use, each exactly as `{name}`.
            pub(crate) fn placeholders(self) -> &'static [&'static str] {
                match self { $(Key::$variant => &[$($placeholder),*]),* }
            }
        }
    };
}

keys! {
    // Formats.
    DateFormat = "format.date" ["day", "month", "year"],
    DateTimeFormat = "format.date_time" ["date", "time"],
    ListSeparator = "format.list_separator" [],
    Month1 = "month.1" [], Month2 = "month.2" [], Month3 = "month.3" [], Month4 = "month.4" [],
    Month5 = "month.5" [], Month6 = "month.6" [], Month7 = "month.7" [], Month8 = "month.8" [],
    Month9 = "month.9" [], Month10 = "month.10" [], Month11 = "month.11" [], Month12 = "month.12" [],

    // Words shared by the documents.
    Controller = "common.controller" [],
    OrgNumber = "common.org_number" [],
    Unit = "common.unit" [],
    Contact = "common.contact" [],
    Dpo = "common.dpo" [],
    Email = "common.email" [],
    Phone = "common.phone" [],
    Address = "common.address" [],
    Web = "common.web" [],
    Date = "common.date" [],
    Reference = "common.reference" [],
    None = "common.none" [],
    SpecialCategory = "common.special_category" [],
    SpecialCategoryNote = "common.special_category_note" [],
    GdprGate = "common.gdpr_gate" [],
    ConfidentialityGate = "common.confidentiality_gate" [],
    Statute = "common.statute" [],
    Purpose = "common.purpose" [],
    Recipient = "common.recipient" [],
    Recipients = "common.recipients" [],
    Categories = "common.categories" [],
    Basis = "common.basis" [],
    Status = "common.status" [],
    Retention = "common.retention" [],
    RetentionYears = "common.retention_years" ["years"],
    ArchivalDuty = "common.archival_duty" [],

    // GDPR Art. 6(1) and Art. 9(2), in plain words.
    Art6A = "gdpr.art6_a" [], Art6B = "gdpr.art6_b" [], Art6C = "gdpr.art6_c" [],
    Art6D = "gdpr.art6_d" [], Art6E = "gdpr.art6_e" [], Art6F = "gdpr.art6_f" [],
    Art9A = "gdpr.art9_a" [], Art9B = "gdpr.art9_b" [], Art9C = "gdpr.art9_c" [],
    Art9D = "gdpr.art9_d" [], Art9E = "gdpr.art9_e" [], Art9F = "gdpr.art9_f" [],
    Art9G = "gdpr.art9_g" [], Art9H = "gdpr.art9_h" [], Art9I = "gdpr.art9_i" [],
    Art9J = "gdpr.art9_j" [],

    // What lifts confidentiality.
    ConfConsent = "confidentiality.consent" [],
    ConfSameBody = "confidentiality.same_body" [],
    ConfSpecialStatute = "confidentiality.special_statute" [],
    ConfDutyToInform = "confidentiality.duty_to_inform" [],
    ConfNotConfidential = "confidentiality.not_confidential" [],

    // Consent statuses.
    StatusActive = "status.active" [],
    StatusWithdrawn = "status.withdrawn" [],
    StatusExpired = "status.expired" [],
    StatusLapsed = "status.lapsed" [],

    // The access-request answer.
    AccessTitle = "access.title" [],
    AccessTo = "access.to" [],
    AccessNationalId = "access.national_id" [],
    AccessReceived = "access.received" ["date"],
    AccessIntro = "access.intro" ["controller", "unit"],
    AccessNothingHeading = "access.nothing_heading" [],
    AccessNothingHeld = "access.nothing_held" ["unit"],
    AccessSummaryHeading = "access.summary_heading" [],
    AccessSummary = "access.summary" ["consents", "disclosures", "lookups"],
    AccessConsentsHeading = "access.consents_heading" [],
    AccessConsentsIntro = "access.consents_intro" [],
    AccessConsentHeading = "access.consent_heading" ["number", "purpose"],
    AccessGivenBy = "access.given_by" [],
    AccessGivenByYou = "access.given_by_you" [],
    AccessGivenByRepresentative = "access.given_by_representative" ["role"],
    AccessGivenAt = "access.given_at" [],
    AccessValidUntil = "access.valid_until" [],
    AccessExplicit = "access.explicit" [],
    AccessExplicitYes = "access.explicit_yes" [],
    AccessExplicitNo = "access.explicit_no" [],
    AccessHowGiven = "access.how_given" [],
    AccessHistoryCaption = "access.history_caption" ["purpose"],
    AccessNote = "access.note" [],
    AccessRefusalsHeading = "access.refusals_heading" [],
    AccessRefusalsCaption = "access.refusals_caption" [],
    AccessDisclosuresHeading = "access.disclosures_heading" [],
    AccessDisclosuresIntro = "access.disclosures_intro" [],
    AccessDisclosuresCaption = "access.disclosures_caption" [],
    AccessByConsent = "access.by_consent" [],
    AccessByLaw = "access.by_law" [],
    AccessCondition = "access.condition" ["condition"],
    AccessLookupsHeading = "access.lookups_heading" [],
    AccessLookupsIntro = "access.lookups_intro" [],
    AccessLookupsCaption = "access.lookups_caption" [],
    AccessRole = "access.role" [],
    AccessLookupPurpose = "access.lookup_purpose" [],
    AccessRestrictionsHeading = "access.restrictions_heading" [],
    AccessRestrictionsCaption = "access.restrictions_caption" [],
    AccessGround = "access.ground" [],
    AccessFrom = "access.from" [],
    AccessLifted = "access.lifted" [],
    AccessStillRestricted = "access.still_restricted" [],
    AccessObjectionsCaption = "access.objections_caption" [],
    AccessOutcome = "access.outcome" [],
    ObjectionPending = "access.objection_pending" [],
    ObjectionUpheld = "access.objection_upheld" ["date"],
    ObjectionRejected = "access.objection_rejected" ["date", "reason"],
    TimelineHeading = "timeline.heading" [],
    TimelineIntro = "timeline.intro" [],
    TimelinePicture = "timeline.picture" [],
    TimelineCaption = "timeline.caption" [],
    TimelineEvent = "timeline.event" [],
    TimelineNumber = "timeline.number" [],
    TimelineConsents = "timeline.consents" [],
    TimelineDisclosures = "timeline.disclosures" [],
    TimelineRestrictions = "timeline.restrictions" [],
    TimelineGranted = "timeline.granted" ["purpose"],
    TimelineWithdrawn = "timeline.withdrawn" ["purpose"],
    TimelineExpired = "timeline.expired" ["purpose"],
    TimelineLapsed = "timeline.lapsed" ["purpose"],
    TimelineDisclosed = "timeline.disclosed" ["recipient"],
    TimelineRestricted = "timeline.restricted" [],
    TimelineRestrictionLifted = "timeline.restriction_lifted" [],
    RightsHeading = "rights.heading" [],
    RightsIntro = "rights.intro" [],
    RightsAccess = "rights.access" [],
    RightsRectification = "rights.rectification" [],
    RightsRestriction = "rights.restriction" [],
    RightsObjection = "rights.objection" [],
    RightsErasure = "rights.erasure" [],
    RightsWithdrawal = "rights.withdrawal" [],
    RightsContact = "rights.contact" ["unit"],
    ComplaintHeading = "complaint.heading" [],
    ComplaintText = "complaint.text" [],
    ContactHeading = "contact.heading" [],

    // The privacy notice.
    NoticeTitle = "notice.title" [],
    NoticeIntro = "notice.intro" ["controller", "unit"],
    NoticeVersion = "notice.version" ["version", "date"],
    NoticeControllerHeading = "notice.controller_heading" [],
    NoticePurposesHeading = "notice.purposes_heading" [],
    NoticeConsentWaiver = "notice.consent_waiver" [],
    NoticeConsentBasis = "notice.consent_basis" [],
    NoticeNoConsent = "notice.no_consent" [],
    NoticeDisclosuresCaption = "notice.disclosures_caption" ["purpose"],
    NoticeNoDisclosures = "notice.no_disclosures" [],
    NoticeOnlyWithConsent = "notice.only_with_consent" [],
    NoticeWithoutConsent = "notice.without_consent" [],

    // The record of processing activities.
    RecordTitle = "record.title" [],
    RecordIntro = "record.intro" [],
    RecordUpdated = "record.updated" ["date"],
    RecordControllerHeading = "record.controller_heading" [],
    RecordJointControllers = "record.joint_controllers" [],
    RecordRepresentative = "record.representative" [],
    RecordActivitiesHeading = "record.activities_heading" [],
    RecordActivityHeading = "record.activity_heading" ["number", "purpose"],
    RecordField = "record.field" [],
    RecordContent = "record.content" [],
    RecordA = "record.a" [],
    RecordB = "record.b" [],
    RecordCSubjects = "record.c_subjects" [],
    RecordCData = "record.c_data" [],
    RecordD = "record.d" [],
    RecordE = "record.e" [],
    RecordF = "record.f" [],
    RecordG = "record.g" [],
    RecordThirdCountry = "record.third_country" ["country"],
}
