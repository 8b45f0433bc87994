//! Unit tests of the ledger's storage paths: large replays, bulk writes that fail midway, many
//! subjects' keys.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::check::PARALLEL_UNWRAP_FROM;
use super::commit::PIPELINE_FROM;
use super::tests::{actor, adult, at, codes, decide, ledger, request, test_options};
use super::*;
use crate::id::national_id::control_digits;
use crate::log::event::EventPayload;
use crate::log::record::EventRecord;
use crate::policy::statistics::StatisticsQuery;
use crate::store::{Batch, Stream, SubjectKey};

#[test]
fn a_large_log_replays_on_two_threads_to_the_same_state() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let options = LedgerOptions {
        key: Some(PseudonymKey::from_bytes([4; 32])),
        ..test_options()
    };
    let ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    let requests: Vec<_> = (0..super::replay::PARALLEL_REPLAY_FROM + 100)
        .map(|i| {
            let purpose = ["case_handling", "statistics", "settlement"][(i % 3) as usize];
            request(adult(), "nav", purpose, &["name"])
        })
        .collect();
    let ids = ledger.grant_many(&requests, &actor()).unwrap();
    ledger
        .withdraw(ids[5], at(2026, 3, 1), &actor(), None)
        .unwrap();
    let reopened = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    assert_eq!(reopened.event_count(), ledger.event_count());
    assert_eq!(reopened.projection_snapshot(), ledger.projection_snapshot());

    // A bad event deep in the log is still named, and nothing opens.
    store.tamper(7_000, |r| r.payload[3] ^= 1);
    let err = Ledger::with_store(Box::new(store), options).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Integrity);
    assert!(
        err.message().starts_with("event 7000:"),
        "{}",
        err.message()
    );
}

/// A memory store whose streamed writes fail after taking their first chunk, as a disk that
/// fills up in the middle of a bulk import would.
#[derive(Debug)]
struct FailingStream {
    inner: std::sync::Arc<MemoryStore>,
    fail: std::sync::atomic::AtomicBool,
}

impl Store for FailingStream {
    fn append(&self, batch: &Batch<'_>) -> Result<()> {
        self.inner.append(batch)
    }

    fn append_stream(&self, stream: Stream<'_>) -> Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            let first = stream.chunks.next();
            assert!(matches!(first, Some(Ok(ref chunk)) if !chunk.is_empty()));
            return Err(Error::storage("cannot append", "disk full"));
        }
        self.inner.append_stream(stream)
    }

    fn subject_keys(&self, visit: &mut dyn FnMut(SubjectKey) -> Result<()>) -> Result<()> {
        self.inner.subject_keys(visit)
    }

    fn scan(&self, from_seq: u64, visit: &mut dyn FnMut(EventRecord) -> Result<()>) -> Result<()> {
        self.inner.scan(from_seq, visit)
    }

    fn subject_records(&self, subject: &[u8; 16]) -> Result<Vec<EventRecord>> {
        self.inner.subject_records(subject)
    }

    fn head(&self) -> Result<Option<Head>> {
        self.inner.head()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.inner.meta(key)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.inner.set_meta(key, value)
    }
}

#[test]
fn a_bulk_write_that_fails_midway_stores_nothing_and_keeps_no_key() {
    let memory = std::sync::Arc::new(MemoryStore::new());
    let store = std::sync::Arc::new(FailingStream {
        inner: memory.clone(),
        fail: std::sync::atomic::AtomicBool::new(true),
    });
    let options = LedgerOptions {
        key: Some(PseudonymKey::from_bytes([5; 32])),
        ..test_options()
    };
    let ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    let requests: Vec<_> = (0..PIPELINE_FROM + 10)
        .map(|_| request(adult(), "nav", "case_handling", &["name"]))
        .collect();

    // The ledger's first event records its catalogue.
    assert_eq!(ledger.event_count(), 1);
    let err = ledger.grant_many(&requests, &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    assert_eq!(ledger.event_count(), 1);
    assert_eq!(ledger.sizes().unwrap(), (0, 0));
    assert_eq!(memory.head().unwrap().map(|h| h.seq), Some(1));
    memory
        .scan(2, &mut |_| {
            panic!("nothing may be stored after the catalogue's adoption")
        })
        .unwrap();
    let none = decide(
        &ledger,
        &adult(),
        "nav",
        "case_handling",
        &["name"],
        at(2026, 2, 1),
    );
    assert!(!none.permitted());

    // The same import succeeds once the store does, and a reopened ledger opens every payload
    // under the key that was stored with it (not one left over from the failed write).
    store.fail.store(false, Ordering::SeqCst);
    let ids = ledger.grant_many(&requests, &actor()).unwrap();
    assert_eq!(ids.len(), requests.len());
    let reopened = Ledger::with_store(Box::new(store), options).unwrap();
    // And the adoption of the catalogue, the ledger's first event.
    assert_eq!(reopened.event_count(), requests.len() as u64 + 1);
    assert_eq!(reopened.projection_snapshot(), ledger.projection_snapshot());
    assert!(reopened.verify().unwrap().ok);
    let events = reopened.events().unwrap();
    assert!(matches!(
        events[0].payload,
        EventPayload::CatalogueAdopted(_)
    ));
    assert!(
        events[1..]
            .iter()
            .all(|e| matches!(e.payload, EventPayload::GrantRecorded(_)))
    );
}

#[test]
fn a_ledger_of_many_subjects_reopens_with_every_key() {
    // Enough subjects that opening unwraps their keys on two threads.
    let subjects: Vec<NationalId> = (0..)
        .flat_map(|day: u32| (100..500u32).map(move |individual| (day, individual)))
        .filter_map(|(day, individual)| {
            let date = NaiveDate::from_ymd_opt(1980, 1, 1)? + Duration::days(i64::from(day));
            control_digits(&format!("{}{individual}", date.format("%d%m%y")))
        })
        .take(PARALLEL_UNWRAP_FROM + 50)
        .map(|number| NationalId::parse(&number).unwrap())
        .collect();
    let store = std::sync::Arc::new(MemoryStore::new());
    let options = LedgerOptions {
        key: Some(PseudonymKey::from_bytes([6; 32])),
        ..test_options()
    };
    let ledger = Ledger::with_store(Box::new(store.clone()), options.clone()).unwrap();
    let requests: Vec<_> = subjects
        .iter()
        .map(|s| request(s.clone(), "nav", "case_handling", &["name"]))
        .collect();
    ledger.grant_many(&requests, &actor()).unwrap();
    // An export records its access, so the original's exports are read before the store is
    // opened a second time (two handles on one memory store do not catch up with each other).
    let reader = crate::Actor::new("saksbehandler-17", "case_worker").unwrap();
    let records = |l: &Ledger, subject: &NationalId| {
        l.subject_export(subject, &reader, "test")
            .unwrap()
            .consent_records
    };
    let sampled: Vec<&NationalId> = subjects.iter().step_by(997).collect();
    let expected: Vec<_> = sampled.iter().map(|s| records(&ledger, s)).collect();
    let snapshot = ledger.projection_snapshot();
    drop(ledger);
    let reopened = Ledger::with_store(Box::new(store), options).unwrap();
    assert_eq!(reopened.projection_snapshot(), snapshot);
    for (subject, expected) in sampled.into_iter().zip(expected) {
        assert!(
            decide(
                &reopened,
                subject,
                "nav",
                "case_handling",
                &["name"],
                at(2026, 2, 1)
            )
            .permitted()
        );
        assert_eq!(records(&reopened, subject), expected);
    }
}

#[test]
fn a_large_import_names_its_first_bad_request_and_writes_nothing() {
    let ledger = ledger();
    let good = request(adult(), "nav", "case_handling", &["name"]);
    let mut bad = good.clone();
    bad.recipients = codes(&["the_press"]);
    let count = PIPELINE_FROM + 100;
    // A batch large enough for the pipelined write: the first bad request is named, and a
    // write that fails validation never starts.
    for bad_at in [
        [count - 3, count - 2],
        [5, count - 2],
        [count / 2, count / 2 + 1],
    ] {
        let mut requests = vec![good.clone(); count];
        for index in bad_at {
            requests[index] = bad.clone();
        }
        let err = ledger.grant_many(&requests, &actor()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownCode);
        let expected = format!("grant {}:", bad_at[0]);
        assert!(err.message().starts_with(&expected), "{}", err.message());
        // Only the adoption of the catalogue.
        assert_eq!(ledger.event_count(), 1);
    }
    assert_eq!(
        ledger
            .grant_many(&vec![good; count], &actor())
            .unwrap()
            .len(),
        count
    );
}

/// A clock that panics once armed and called `limit` more times, like a host's clock with a
/// bug.
#[derive(Debug)]
struct PanickingClock {
    armed: std::sync::atomic::AtomicBool,
    calls: std::sync::atomic::AtomicUsize,
    limit: usize,
}

impl Clock for PanickingClock {
    fn now(&self) -> DateTime<Utc> {
        if self.armed.load(Ordering::SeqCst)
            && self.calls.fetch_add(1, Ordering::SeqCst) >= self.limit
        {
            panic!("the host's clock failed");
        }
        at(2026, 1, 5)
    }
}

#[test]
fn a_bulk_write_whose_sealing_thread_panics_stores_nothing() {
    let requests: Vec<_> = (0..PIPELINE_FROM + 10)
        .map(|_| request(adult(), "nav", "case_handling", &["name"]))
        .collect();
    // The write's stamp takes one clock reading, checking one a grant, sealing one a record
    // (its id; the record is stamped with the write's instant): the panic comes in the
    // sealing thread after it has handed the store a few chunks.
    let clock = std::sync::Arc::new(PanickingClock {
        armed: std::sync::atomic::AtomicBool::new(false),
        calls: std::sync::atomic::AtomicUsize::new(0),
        limit: requests.len() + 2 + 700,
    });
    let memory = std::sync::Arc::new(MemoryStore::new());
    let options = LedgerOptions {
        key: Some(PseudonymKey::from_bytes([7; 32])),
        clock: clock.clone(),
        ..test_options()
    };
    let ledger = Ledger::with_store(Box::new(memory.clone()), options.clone()).unwrap();
    clock.armed.store(true, Ordering::SeqCst);
    let err = ledger.grant_many(&requests, &actor()).unwrap_err();
    clock.armed.store(false, Ordering::SeqCst);
    assert_eq!(err.code(), ErrorCode::Storage, "{}", err.message());
    // Only the adoption of the catalogue.
    assert_eq!(ledger.event_count(), 1);
    memory
        .scan(2, &mut |_| {
            panic!("nothing may be stored after the catalogue's adoption")
        })
        .unwrap();

    // The ledger and the store agree, so the next write and a reopen work.
    ledger.grant_many(&requests, &actor()).unwrap();
    let reopened = Ledger::with_store(Box::new(memory), options).unwrap();
    // And the adoption of the catalogue, the ledger's first event.
    assert_eq!(reopened.event_count(), requests.len() as u64 + 1);
    assert!(reopened.verify().unwrap().ok);
}

/// Security finding 7: a long read of the log (statistics, the event stream) held the only
/// SQLite connection, so a grant waited for it (1.6 s behind `statistics()` on a large
/// ledger). Here a read stops in the middle of the log until a grant on another thread has
/// been recorded; with one connection that grant could never finish.
#[test]
fn a_long_read_of_the_log_never_blocks_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("consent.db"), test_options()).unwrap();
    for _ in 0..3 {
        ledger
            .grant(
                &request(adult(), "nav", "case_handling", &["name"]),
                &actor(),
            )
            .unwrap();
    }
    let (granted, done) = std::sync::mpsc::channel();
    let writer = ledger.clone();
    let mut seen = 0;
    std::thread::scope(|scope| {
        ledger
            .for_each_event(|_| {
                seen += 1;
                if seen == 2 {
                    let writer = writer.clone();
                    let granted = granted.clone();
                    scope.spawn(move || {
                        let request = request(adult(), "nav", "statistics", &["name"]);
                        let _ = granted.send(writer.grant(&request, &actor()).is_ok());
                    });
                    // Generous: a grant takes milliseconds; with the old single connection it
                    // waits for this read forever, and the test fails here instead of hanging.
                    let recorded = done
                        .recv_timeout(std::time::Duration::from_secs(30))
                        .map_err(|_| Error::storage("test", "the grant waited for the read"))?;
                    assert!(recorded);
                }
                Ok(())
            })
            .unwrap();
    });
    // The catalogue's adoption and three grants.
    assert_eq!(seen, 4, "the read sees the log as it was when it began");
    assert_eq!(ledger.event_count(), 5);
    assert!(
        ledger
            .statistics(
                &StatisticsQuery::default(),
                &Actor::new("revisor-1", "auditor").unwrap()
            )
            .is_ok()
    );
}
