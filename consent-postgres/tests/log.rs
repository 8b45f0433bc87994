//! PgLog against a real server: the tables, gap-free appends, the write lock, catch-up, the
//! server clock, reads, the listener, migrations and dropped connections.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use consent_core::ErrorCode;
use consent_core::storage::{EventRecord, GENESIS, Head, SubjectKey};
use consent_postgres::{PgLog, SCHEMA_VERSION};

use crate::common::{TestSchema, chain, password_of, record};

fn count(log: &PgLog) -> Vec<u64> {
    let mut seqs = Vec::new();
    log.scan(1, &mut |r| {
        seqs.push(r.seq);
        Ok(())
    })
    .expect("scan");
    seqs
}

fn head_of(records: &[EventRecord]) -> Head {
    let last = records.last().expect("records");
    Head::from_parts(last.seq, last.hash, [7; 32])
}

#[test]
fn opening_creates_the_tables_once_and_a_second_process_reuses_them() {
    let Some(schema) = TestSchema::new("open") else {
        return;
    };
    let first = PgLog::open(&schema.url()).expect("open");
    assert_eq!(first.schema(), schema.name);
    if let Some(password) = password_of(schema.server()) {
        assert!(!first.redacted_url().contains(&password));
        assert!(!format!("{first:?}").contains(&password));
        assert!(first.redacted_url().contains(":***@"));
    }
    let second = PgLog::open(&schema.url()).expect("reopen");
    assert_eq!(second.last_seq().expect("last_seq"), 0);
    assert_eq!(second.head().expect("head"), None);
    let version = schema.query(&format!(
        "SELECT version FROM \"{}\".consent_schema",
        schema.name
    ));
    assert_eq!(version, vec![Some(SCHEMA_VERSION.to_string())]);
    // Several ledgers in one database: another schema is another, empty ledger.
    let Some(other) = TestSchema::new("open2") else {
        return;
    };
    first
        .write(|txn| txn.append(&chain(0, &GENESIS, 3, None)))
        .expect("write");
    let other_log = PgLog::open(&other.url()).expect("open other");
    assert_eq!(other_log.last_seq().expect("last_seq"), 0);
    assert_eq!(second.last_seq().expect("last_seq"), 3);
}

#[test]
fn appends_are_gap_free_and_a_gap_or_duplicate_is_a_conflict_that_writes_nothing() {
    let Some(schema) = TestSchema::new("gapfree") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let records = chain(0, &GENESIS, 3, Some([1; 16]));
    log.write(|txn| {
        assert_eq!(txn.last_seq(), 0);
        assert_eq!(txn.next_seq(), 1);
        txn.append(&records)?;
        txn.set_head(&head_of(&records));
        Ok(())
    })
    .expect("append 1..3");
    assert_eq!(count(&log), vec![1, 2, 3]);
    let last = records.last().expect("last").hash;

    let gap = chain(4, &last, 1, None); // seq 5 where 4 is due
    let error = log
        .write(|txn| txn.append(&gap))
        .expect_err("a gap is refused");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert!(error.message().contains("not the next event 4"), "{error}");

    let duplicate = chain(2, &last, 1, None); // seq 3 again
    let error = log
        .write(|txn| txn.append(&duplicate))
        .expect_err("a duplicate is refused");
    assert_eq!(error.code(), ErrorCode::Conflict);

    // A write that appends good records, then a bad batch: nothing of it is kept.
    let good = chain(3, &last, 2, None);
    let error = log
        .write(|txn| {
            txn.append(&good)?;
            txn.append(&chain(10, &last, 1, None))
        })
        .expect_err("refused");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert_eq!(count(&log), vec![1, 2, 3]);
    assert_eq!(log.last_seq().expect("last_seq"), 3);

    // A head anchor that does not name the log's end is refused at commit.
    let error = log
        .write(|txn| {
            txn.append(&good)?;
            txn.set_head(&Head::from_parts(4, good[0].hash, [0; 32]));
            Ok(())
        })
        .expect_err("refused");
    assert_eq!(error.code(), ErrorCode::Conflict);
    assert_eq!(log.last_seq().expect("last_seq"), 3);

    // A record inserted behind the lock's back (not through a PgLog) makes the next append a
    // conflict at the database, and the pipelined commit rolls back.
    schema.sql(&format!(
        "INSERT INTO \"{}\".records (seq, header, payload, hash) VALUES (4, 'x', '\\x00', decode(repeat('00', 32), 'hex'))",
        schema.name
    ));
    let error = log.write(|txn| txn.append(&good)).expect_err("refused");
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    assert_eq!(
        log.last_seq().expect("last_seq"),
        3,
        "the head did not move"
    );
    assert_eq!(count(&log), vec![1, 2, 3, 4]);
}

#[test]
fn an_error_or_a_panic_in_the_closure_rolls_everything_back() {
    let Some(schema) = TestSchema::new("rollback") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let records = chain(0, &GENESIS, 2500, Some([2; 16]));
    let key = SubjectKey::new([2; 16], 1, vec![9; 60]);
    let error = log
        .write(|txn| {
            // 2,500 records: two batches go to the server before the error.
            txn.append(&records)?;
            txn.add_keys(std::slice::from_ref(&key))?;
            txn.set_meta("k", "v");
            txn.set_head(&head_of(&records));
            Err::<(), _>(consent_core::Error::new(
                ErrorCode::Conflict,
                "validation failed",
            ))
        })
        .expect_err("the closure's error");
    assert_eq!(error.message(), "validation failed");
    assert_eq!(log.last_seq().expect("last_seq"), 0);
    assert!(count(&log).is_empty());
    assert_eq!(log.meta("k").expect("meta"), None);
    let mut keys = 0;
    log.subject_keys(&mut |_| {
        keys += 1;
        Ok(())
    })
    .expect("keys");
    assert_eq!(keys, 0);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = log.write(|txn| {
            txn.append(&records[..1500])?;
            panic!("a bug in the caller");
            #[expect(unreachable_code, reason = "the closure's type")]
            Ok(())
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(log.last_seq().expect("last_seq"), 0);
    // The next write works (on a new connection) and sees an empty log.
    log.write(|txn| {
        assert_eq!(txn.last_seq(), 0);
        txn.append(&records)?;
        txn.add_keys(std::slice::from_ref(&key))?;
        txn.set_meta("k", "v");
        txn.set_head(&head_of(&records));
        Ok(())
    })
    .expect("write after the panic");
    assert_eq!(log.last_seq().expect("last_seq"), 2500);
    assert_eq!(log.meta("k").expect("meta").as_deref(), Some("v"));
    assert_eq!(log.head().expect("head"), Some(head_of(&records)));
}

#[test]
fn a_writer_reads_under_the_lock_what_others_committed() {
    let Some(schema) = TestSchema::new("catchup") else {
        return;
    };
    let a = PgLog::open(&schema.url()).expect("open a");
    let b = PgLog::open(&schema.url()).expect("open b");
    let first = chain(0, &GENESIS, 5, Some([3; 16]));
    a.write(|txn| {
        txn.append(&first)?;
        txn.add_keys(&[SubjectKey::new([3; 16], 1, vec![1; 60])])?;
        txn.set_head(&head_of(&first));
        Ok(())
    })
    .expect("a writes 1..5");
    // b last saw event 2.
    let mut seen = Vec::new();
    let keys = b
        .write(|txn| {
            assert_eq!(txn.last_seq(), 5);
            assert_eq!(txn.last_hash(), first[4].hash);
            txn.records_after(2, &mut |r| {
                seen.push(r);
                Ok(())
            })?;
            let keys = txn.keys_after(0)?;
            assert!(txn.keys_after(1)?.is_empty());
            let next = chain(5, &txn.last_hash(), 1, None);
            txn.append(&next)?;
            txn.set_head(&head_of(&next));
            Ok(keys)
        })
        .expect("b catches up and writes 6");
    assert_eq!(seen, first[2..].to_vec());
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].subject, [3; 16]);
    assert_eq!(a.last_seq().expect("last_seq"), 6);
    // The subject's records, in order.
    let subject = a.subject_records(&[3; 16]).expect("subject records");
    assert_eq!(subject, first);
    assert!(a.subject_records(&[4; 16]).expect("none").is_empty());
}

#[test]
fn writers_in_parallel_get_one_total_order_without_gaps() {
    let Some(schema) = TestSchema::new("parallel") else {
        return;
    };
    let writers = 4;
    let writes = 40;
    let barrier = Arc::new(Barrier::new(writers));
    let url = schema.url();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (barrier, url) = (Arc::clone(&barrier), url.clone());
            std::thread::spawn(move || {
                // Each thread is its own "host": its own PgLog, its own connections.
                let log = PgLog::open(&url).expect("open");
                barrier.wait();
                let mut mine = Vec::new();
                for _ in 0..writes {
                    let seq = log
                        .write(|txn| {
                            let batch = chain(
                                txn.last_seq(),
                                &txn.last_hash(),
                                1 + w as u64 % 2,
                                Some([w as u8; 16]),
                            );
                            txn.append(&batch)?;
                            txn.set_head(&head_of(&batch));
                            Ok(txn.next_seq() - 1)
                        })
                        .expect("write");
                    mine.push(seq);
                }
                mine
            })
        })
        .collect();
    let mut ends: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("writer"))
        .collect();
    ends.sort_unstable();
    let log = PgLog::open(&url).expect("open");
    let total: u64 = (0..writers as u64)
        .map(|w| writes as u64 * (1 + w % 2))
        .sum();
    assert_eq!(log.last_seq().expect("last_seq"), total);
    // Every sequence number once, and each record chains to the one before.
    let mut expected_seq = 1;
    let mut prev = GENESIS;
    log.scan(1, &mut |r| {
        assert_eq!(r.seq, expected_seq);
        let prev_hex: String = prev.iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            r.header.contains(&prev_hex),
            "event {} does not chain",
            r.seq
        );
        expected_seq += 1;
        prev = r.hash;
        Ok(())
    })
    .expect("scan");
    assert_eq!(expected_seq, total + 1);
    ends.dedup();
    assert_eq!(ends.len(), writers * writes, "every write got its own end");
}

#[test]
fn the_server_clock_never_runs_backwards() {
    let Some(schema) = TestSchema::new("clock") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let first = log.write(|txn| Ok(txn.now())).expect("now");
    let second = log.write(|txn| Ok(txn.now())).expect("now");
    assert!(second >= first);
    // The server's clock is "stepped back" relative to the newest time given: here, that time
    // lies in the future. The next write gets that time, not an earlier one.
    schema.sql(&format!(
        "UPDATE \"{}\".log_head SET last_at = '2099-01-01T00:00:00Z'",
        schema.name
    ));
    let clamped = log.write(|txn| Ok(txn.now())).expect("now");
    assert_eq!(clamped.to_rfc3339(), "2099-01-01T00:00:00+00:00");
    // A write that does not use the clock leaves the newest time alone; one that does keeps it.
    log.write(|txn| txn.append(&chain(0, &GENESIS, 1, None)))
        .expect("append");
    let again = log.write(|txn| Ok(txn.now())).expect("now");
    assert_eq!(again, clamped);
    // Microsecond precision, like the ledger's own clock.
    assert_eq!(again.timestamp_subsec_nanos() % 1_000, 0);
}

#[test]
fn scans_page_through_a_large_log_from_any_point() {
    let Some(schema) = TestSchema::new("scan") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let records = chain(0, &GENESIS, 4_500, None);
    log.write(|txn| {
        for piece in records.chunks(256) {
            txn.append(piece)?;
        }
        txn.set_head(&head_of(&records));
        Ok(())
    })
    .expect("bulk write");
    let mut all = Vec::new();
    log.scan(1, &mut |r| {
        all.push(r);
        Ok(())
    })
    .expect("scan");
    assert_eq!(all, records);
    let mut tail = Vec::new();
    log.scan(2_001, &mut |r| {
        tail.push(r.seq);
        Ok(())
    })
    .expect("scan");
    assert_eq!(tail, (2_001..=4_500).collect::<Vec<_>>());
    // A visit that fails stops the scan with its error.
    let mut visited = 0;
    let error = log
        .scan(1, &mut |_| {
            visited += 1;
            if visited == 10 {
                Err(consent_core::Error::new(ErrorCode::Integrity, "stop"))
            } else {
                Ok(())
            }
        })
        .expect_err("stopped");
    assert_eq!(error.message(), "stop");
    assert_eq!(visited, 10);
    // The reader connection still works.
    assert_eq!(log.last_seq().expect("last_seq"), 4_500);
}

#[test]
fn keys_can_be_destroyed_and_replaced_in_one_write() {
    let Some(schema) = TestSchema::new("keys") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let key = |since: u64, byte: u8| SubjectKey::new([5; 16], since, vec![byte; 60]);
    log.write(|txn| txn.add_keys(&[key(1, 1)])).expect("add");
    let error = log
        .write(|txn| txn.add_keys(&[key(2, 2)]))
        .expect_err("a subject has one key");
    assert_eq!(error.code(), ErrorCode::Conflict, "{error}");
    log.write(|txn| {
        txn.destroy_keys(&[[5; 16]]);
        txn.add_keys(&[key(7, 3)])
    })
    .expect("replace");
    let mut keys = Vec::new();
    log.subject_keys(&mut |k| {
        keys.push(k);
        Ok(())
    })
    .expect("keys");
    assert_eq!(keys, vec![key(7, 3)]);
    log.write(|txn| {
        txn.destroy_keys(&[[5; 16]]);
        Ok(())
    })
    .expect("destroy");
    let rows = schema.query(&format!(
        "SELECT count(*) FROM \"{}\".subject_keys",
        schema.name
    ));
    assert_eq!(rows, vec![Some("0".to_owned())]);
}

#[test]
fn a_listener_is_woken_by_a_commit_on_another_connection() {
    let Some(schema) = TestSchema::new("listen") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let mut listener = log.listen().expect("listen");
    assert_eq!(
        listener.wait(Duration::from_millis(50)).expect("wait"),
        None
    );
    let writer = PgLog::open(&schema.url()).expect("open writer");
    writer
        .write(|txn| txn.append(&chain(0, &GENESIS, 3, None)))
        .expect("write");
    writer
        .write(|txn| txn.append(&chain(3, &GENESIS, 2, None)))
        .expect("write");
    // A write that appends nothing wakes nobody.
    writer
        .write(|txn| {
            txn.set_meta("x", "y");
            Ok(())
        })
        .expect("meta");
    let mut newest = None;
    for _ in 0..50 {
        if let Some(seq) = listener.wait(Duration::from_millis(100)).expect("wait") {
            newest = Some(seq);
            if seq == 5 {
                break;
            }
        }
    }
    assert_eq!(newest, Some(5));
    // A rolled-back write wakes nobody.
    let _ = writer.write(|txn| {
        txn.append(&chain(5, &GENESIS, 1, None))?;
        Err::<(), _>(consent_core::Error::new(ErrorCode::Conflict, "no"))
    });
    assert_eq!(
        listener.wait(Duration::from_millis(200)).expect("wait"),
        None
    );
}

#[test]
fn a_schema_of_another_application_or_a_newer_version_is_refused() {
    let Some(schema) = TestSchema::new("foreign") else {
        return;
    };
    schema.sql(&format!(
        "CREATE SCHEMA \"{0}\"; CREATE TABLE \"{0}\".customers (id int)",
        schema.name
    ));
    let error = PgLog::open(&schema.url()).expect_err("not a ledger");
    assert_eq!(error.code(), ErrorCode::Storage);
    assert!(error.message().contains("not a consent ledger"), "{error}");

    let Some(newer) = TestSchema::new("newer") else {
        return;
    };
    drop(PgLog::open(&newer.url()).expect("create"));
    newer.sql(&format!(
        "UPDATE \"{}\".consent_schema SET version = {}",
        newer.name,
        SCHEMA_VERSION + 1
    ));
    let error = PgLog::open(&newer.url()).expect_err("newer tables");
    assert_eq!(error.code(), ErrorCode::UnsupportedVersion, "{error}");

    // An empty schema made beforehand (by a database administrator) is migrated.
    let Some(empty) = TestSchema::new("empty") else {
        return;
    };
    empty.sql(&format!("CREATE SCHEMA \"{}\"", empty.name));
    let log = PgLog::open(&empty.url()).expect("migrated");
    assert_eq!(log.last_seq().expect("last_seq"), 0);
}

#[test]
fn processes_opening_a_new_ledger_at_once_create_it_once() {
    let Some(schema) = TestSchema::new("race") else {
        return;
    };
    let barrier = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (barrier, url) = (Arc::clone(&barrier), schema.url());
            std::thread::spawn(move || {
                barrier.wait();
                PgLog::open(&url).map(|log| log.last_seq())
            })
        })
        .collect();
    for thread in threads {
        let opened = thread.join().expect("thread").expect("open");
        assert_eq!(opened.expect("last_seq"), 0);
    }
}

#[test]
fn a_dropped_connection_fails_the_write_it_broke_and_the_next_call_reconnects() {
    let Some(schema) = TestSchema::new("dropped") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    log.write(|txn| txn.append(&chain(0, &GENESIS, 2, None)))
        .expect("write");
    assert_eq!(log.last_seq().expect("read"), 2);
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'consent:{}'",
        schema.name
    );
    // Idle connections dropped (a server restart between calls): nothing had been sent, so
    // the next read and the next write just connect anew.
    assert_eq!(
        schema.query(&terminate).len(),
        2,
        "the writer and the reader"
    );
    assert_eq!(log.last_seq().expect("read after the drop"), 2);
    log.write(|txn| txn.append(&chain(2, &GENESIS, 1, None)))
        .expect("write after the drop");
    assert_eq!(log.last_seq().expect("read"), 3);
    // A connection dropped in the middle of a write: that write fails with Storage, without
    // the password, and leaves nothing behind.
    let error = log
        .write(|txn| {
            txn.append(&chain(3, &GENESIS, 1, None))?;
            assert!(!schema.query(&terminate).is_empty());
            Ok(())
        })
        .expect_err("the connection is gone");
    assert_eq!(error.code(), ErrorCode::Storage, "{error}");
    if let Some(password) = password_of(schema.server()) {
        assert!(!error.message().contains(&password), "{error}");
    }
    assert_eq!(log.last_seq().expect("read"), 3);
    // The next write connects anew.
    log.write(|txn| txn.append(&chain(3, &GENESIS, 1, None)))
        .expect("write after the failed one");
    assert_eq!(log.last_seq().expect("read"), 4);
    assert_eq!(count(&log), vec![1, 2, 3, 4]);
}

#[test]
fn a_record_is_stored_byte_for_byte() {
    let Some(schema) = TestSchema::new("bytes") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let mut odd = record(1, &GENESIS, None);
    odd.header = "{\"text\":\"æøå \\u0000 \u{202e} \\\" '\"}".to_owned();
    odd.payload = (0..=255u8).collect();
    let second = record(2, &odd.hash, Some([0xff; 16]));
    log.write(|txn| txn.append(&[odd.clone(), second.clone()]))
        .expect("write");
    let mut back = Vec::new();
    log.scan(1, &mut |r| {
        back.push(r);
        Ok(())
    })
    .expect("scan");
    assert_eq!(back, vec![odd, second]);
}

#[test]
fn a_scan_and_its_head_come_from_one_snapshot_while_another_host_writes() {
    let Some(schema) = TestSchema::new("snapshot") else {
        return;
    };
    let log = PgLog::open(&schema.url()).expect("open");
    let other = PgLog::open(&schema.url()).expect("open another");
    let first = chain(0, &GENESIS, 3, None);
    log.write(|txn| {
        txn.append(&first)?;
        txn.set_head(&head_of(&first));
        Ok(())
    })
    .expect("write 1..3");
    let mut seen = Vec::new();
    let head = log
        .scan_with_head(1, &mut |r| {
            if r.seq == 1 {
                // Another host appends event 4 and moves the anchor while this scan runs.
                other
                    .write(|txn| {
                        let next = chain(txn.last_seq(), &txn.last_hash(), 1, None);
                        txn.append(&next)?;
                        txn.set_head(&head_of(&next));
                        Ok(())
                    })
                    .expect("concurrent write");
            }
            seen.push(r.seq);
            Ok(())
        })
        .expect("scan");
    assert_eq!(seen, vec![1, 2, 3]);
    assert_eq!(
        head,
        Some(head_of(&first)),
        "the anchor of the scan's snapshot"
    );
    assert_eq!(log.head().expect("head").map(|h| h.seq), Some(4));
}

#[test]
fn two_hosts_creating_a_ledger_at_once_write_its_metadata_once() {
    let Some(schema) = TestSchema::new("create") else {
        return;
    };
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (barrier, url) = (Arc::clone(&barrier), schema.url());
            std::thread::spawn(move || {
                let log = PgLog::open(&url).expect("open");
                barrier.wait();
                // Each host would create the ledger with its own key check value.
                log.write(|txn| {
                    let existing = txn.meta("key_check")?;
                    if existing.is_none() {
                        txn.set_meta("key_check", &format!("host-{i}"));
                        assert_eq!(txn.meta("key_check")?, Some(format!("host-{i}")));
                        txn.set_head(&Head::from_parts(0, GENESIS, [i as u8; 32]));
                    }
                    Ok(existing.is_none())
                })
                .expect("create")
            })
        })
        .collect();
    let created: Vec<bool> = threads
        .into_iter()
        .map(|t| t.join().expect("host"))
        .collect();
    assert_eq!(created.iter().filter(|c| **c).count(), 1, "{created:?}");
    let log = PgLog::open(&schema.url()).expect("open");
    let winner = created
        .iter()
        .position(|c| *c)
        .expect("one host created it");
    assert_eq!(
        log.meta("key_check").expect("meta"),
        Some(format!("host-{winner}"))
    );
    assert_eq!(
        log.head().expect("head").map(|h| h.mac),
        Some([winner as u8; 32])
    );
}
