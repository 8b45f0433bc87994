//! The population every bench (and the Cedar, C and Python comparators) decides over: distinct
//! valid national ids, three grants per subject, and the request kinds, all deterministic so
//! separate processes build the same ledger contents.

#![allow(dead_code, reason = "each bench binary uses a different subset")]

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use consent_core::storage::{Batch, EventRecord, Head, Store, SubjectKey};
use consent_core::{
    Actor, Code, Evidence, EvidenceMethod, GrantRequest, Grantor, Ledger, NationalId, Notice,
    Result, control_digits,
};

/// Grants per subject.
pub const GRANTS_PER_SUBJECT: usize = 3;

/// A size from the environment (for a quick run), or the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Subjects in the decision benches' ledger (`BENCH_SUBJECTS`, default 1,000,000).
pub fn subjects() -> usize {
    env_usize("BENCH_SUBJECTS", 1_000_000)
}

/// `n` distinct valid national ids (fødselsnummer of people born 1950–1999), in a fixed order:
/// birth dates DDMMYY, then individnummer 000–499 (the 1900s), skipping numbers whose control
/// digits do not exist.
pub fn national_ids(n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    'done: for individ in 0..500u32 {
        for yy in 50..100u32 {
            for mm in 1..=12u32 {
                for dd in 1..=28u32 {
                    if out.len() == n {
                        break 'done;
                    }
                    let nine = format!("{dd:02}{mm:02}{yy:02}{individ:03}");
                    if let Some(id) = control_digits(&nine) {
                        out.push(id);
                    }
                }
            }
        }
    }
    out
}

/// The instant the grants start.
pub fn valid_from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The options of every benchmarked ledger: a test clock an hour after the grants start, so
/// that they are recorded on the day they were given (a production ledger refuses a consent
/// dated more than 30 days before it is recorded).
pub fn options() -> consent_core::LedgerOptions {
    consent_core::LedgerOptions::default()
        .with_test_clock(valid_from() + chrono::Duration::hours(1))
}

/// The instant every benchmarked decision is made at.
pub fn decision_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// When the first grant of every fifth subject expired (before [`decision_at`]).
pub fn expired_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The scope of one grant.
#[derive(Debug, Clone)]
pub struct GrantSpec {
    /// Recipient codes.
    pub recipients: &'static [&'static str],
    /// Purpose codes.
    pub purposes: &'static [&'static str],
    /// Category codes.
    pub categories: &'static [&'static str],
    /// Explicit consent.
    pub explicit: bool,
    /// The end, if any.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The three grants of subject number `index`: health coordination for name and address
/// (expired for every fifth subject), for family and health (not explicit for every seventh),
/// and NAV/Bufetat follow-up for finances and housing.
pub fn grant_specs(index: usize) -> [GrantSpec; GRANTS_PER_SUBJECT] {
    [
        GrantSpec {
            recipients: &["helsetjenesten"],
            purposes: &["health_coordination"],
            categories: &["name", "address"],
            explicit: false,
            valid_until: index.is_multiple_of(5).then(expired_at),
        },
        // Every seventh subject consented (not explicitly) to family only: a consent to health
        // data that is not explicit is refused when it is recorded, so health has no basis.
        if index.is_multiple_of(7) {
            GrantSpec {
                recipients: &["helsetjenesten"],
                purposes: &["health_coordination"],
                categories: &["family"],
                explicit: false,
                valid_until: None,
            }
        } else {
            GrantSpec {
                recipients: &["helsetjenesten"],
                purposes: &["health_coordination"],
                categories: &["family", "health"],
                explicit: true,
                valid_until: None,
            }
        },
        GrantSpec {
            recipients: &["nav", "bufetat"],
            purposes: &["employment_followup", "case_handling"],
            categories: &["finances", "housing"],
            explicit: false,
            valid_until: None,
        },
    ]
}

/// A kind of disclosure request: recipient, purpose, three categories.
pub type RequestKind = (&'static str, &'static str, [&'static str; 3]);

/// The statute path: every category covered by `nir_registration`.
pub const STATUTE: RequestKind = (
    "nir",
    "nir_registration",
    ["name", "national_id", "education"],
);

/// The consent path: no rule covers these, two grants do (unless the first expired).
pub const CONSENT: RequestKind = (
    "helsetjenesten",
    "health_coordination",
    ["name", "address", "family"],
);

/// A mix for the equality check against Cedar: both paths, a special category, mixed
/// statute-and-consent, and a category nothing covers.
pub const MIX: [RequestKind; 5] = [
    STATUTE,
    CONSENT,
    (
        "helsetjenesten",
        "health_coordination",
        ["name", "family", "health"],
    ),
    (
        "nav",
        "employment_followup",
        ["name", "finances", "housing"],
    ),
    ("bufetat", "case_handling", ["finances", "housing", "name"]),
];

fn codes(list: &[&str]) -> Vec<Code> {
    list.iter().filter_map(|c| Code::new(c).ok()).collect()
}

/// The grant requests of one subject.
pub fn grant_requests(subject: &NationalId, index: usize) -> Vec<GrantRequest> {
    grant_specs(index)
        .into_iter()
        .map(|spec| GrantRequest {
            subject: subject.clone(),
            grantor: Grantor::Subject,
            purposes: codes(spec.purposes),
            recipients: codes(spec.recipients),
            categories: codes(spec.categories),
            explicit: spec.explicit,
            valid_from: valid_from(),
            valid_until: spec.valid_until,
            evidence: Evidence {
                method: EvidenceMethod::SignedPaper,
                reference: "2026/1234".into(),
                language: "ar".into(),
                interpreter: true,
                collected_by: None,
            },
            notice: Notice {
                id: "bosetting-personvern".into(),
                version: "2024-10-16".into(),
            },
            maturity_assessment: None,
            child_heard: None,
            subject_birth_date: None,
            idempotency_key: None,
        })
        .collect()
}

/// The case worker every bench acts as.
#[expect(clippy::unreachable, reason = "a fixed actor that is valid")]
pub fn actor() -> Actor {
    Actor::new("saksbehandler-17", "case_worker").unwrap_or_else(|_| unreachable!())
}

/// Parses the ids with the ledger's options.
///
/// # Errors
/// `InvalidNationalId` (the generator makes only valid ids).
pub fn parse_ids(ledger: &Ledger, ids: &[String]) -> Result<Vec<NationalId>> {
    ids.iter().map(|id| ledger.parse_national_id(id)).collect()
}

/// Records three grants for every subject with `grant_many`, `batch` subjects per durable
/// write.
///
/// # Errors
/// Whatever the ledger returns.
pub fn populate(ledger: &Ledger, subjects: &[NationalId], batch: usize) -> Result<()> {
    let actor = actor();
    for (chunk_index, chunk) in subjects.chunks(batch.max(1)).enumerate() {
        let requests: Vec<GrantRequest> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, subject)| grant_requests(subject, chunk_index * batch + i))
            .collect();
        ledger.grant_many(&requests, &actor)?;
    }
    Ok(())
}

/// A store that accepts and forgets every append, so a ledger built on it measures the
/// in-memory projection alone. It keeps only the newest head anchor, which opening a ledger
/// checks.
#[derive(Debug, Default)]
pub struct DiscardStore {
    meta: Mutex<BTreeMap<String, String>>,
    head: Mutex<Option<Head>>,
}

impl Store for DiscardStore {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        if let Ok(mut head) = self.head.lock() {
            *head = Some(batch.head.clone());
        }
        Ok(())
    }

    fn subject_keys(&self, _visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        Ok(())
    }

    fn scan(&self, _from: u64, _visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        Ok(())
    }

    fn subject_records(&self, _subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        Ok(Vec::new())
    }

    fn head(&self) -> Result<Option<Head>> {
        Ok(self.head.lock().ok().and_then(|h| h.clone()))
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.meta.lock().ok().and_then(|m| m.get(key).cloned()))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        if let Ok(mut meta) = self.meta.lock() {
            meta.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }
}

/// The resident set size of this process in bytes (`/proc/self/statm`, 4 KiB pages as on
/// x86-64 Linux), or 0 where that file does not exist.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// A small, fast, deterministic generator (SplitMix64) for picking random subjects.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random index below `n` (which must not be 0).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the product shifted right by 64 is below `n`, a usize"
    )]
    pub fn below(&mut self, n: usize) -> usize {
        // Multiply-shift: unbiased enough for picking subjects.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Creates (or reuses, when it already holds `events` events) a SQLite ledger at `path` whose
/// events are the grants of the population in order, `events` of them, imported with
/// `grant_many` in writes of 10,000 grants. Returns the import rate in grants per second when
/// it was created now.
///
/// # Errors
/// Whatever the ledger returns.
pub fn sqlite_fixture(path: &std::path::Path, events: usize) -> Result<Option<f64>> {
    if path.exists() {
        let ledger = Ledger::open(path, options())?;
        if ledger.event_count() == events as u64 {
            return Ok(None);
        }
        drop(ledger);
        for suffix in ["", "-wal", "-shm", ".key", ".lock"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::remove_file(name).ok();
        }
    }
    let ledger = Ledger::open(path, options())?;
    let ids = national_ids(events.div_ceil(GRANTS_PER_SUBJECT));
    let subjects = parse_ids(&ledger, &ids)?;
    let actor = actor();
    let started = std::time::Instant::now();
    let mut written = 0usize;
    for (chunk_index, chunk) in subjects.chunks(10_000 / GRANTS_PER_SUBJECT).enumerate() {
        let mut requests: Vec<GrantRequest> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, s)| grant_requests(s, chunk_index * (10_000 / GRANTS_PER_SUBJECT) + i))
            .collect();
        requests.truncate(events - written);
        written += requests.len();
        ledger.grant_many(&requests, &actor)?;
    }
    Ok(Some(written as f64 / started.elapsed().as_secs_f64()))
}
