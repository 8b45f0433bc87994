//! Idempotency keys (DESIGN.md section 7, "nothing doubled"): a retried grant, refusal or
//! withdrawal with the same key writes nothing and returns what the first returned, the same
//! key with other content is `Conflict`, and the ledger remembers keys across reopening and
//! across handles without ever storing a key in clear.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use crate::common::*;
use consent_core::{ErrorCode, GrantRequest, Ledger, RefusalRequest};

fn keyed(key: &str, categories: &[&str]) -> serde_json::Value {
    let mut json = grant_json(ADULT, &["nav"], &["case_handling"], categories, false);
    json["idempotency_key"] = key.into();
    json
}

fn refusal(ledger: &Ledger, key: &str) -> RefusalRequest {
    let mut json = grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false);
    let map = json.as_object_mut().unwrap();
    map.remove("explicit");
    map.remove("valid_until");
    map.remove("valid_from");
    map.insert("at".into(), "2026-01-05T09:00:00Z".into());
    map.insert("idempotency_key".into(), key.into());
    RefusalRequest::from_json_with(&json.to_string(), ledger.id_options()).unwrap()
}

#[test]
fn a_retried_grant_returns_the_first_id_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    let request = parse(&ledger, &keyed("sak 2026/1234 skjema 1", &["family"]));
    let first = ledger.grant(&request, &actor()).unwrap();
    assert_eq!(ledger.grant(&request, &actor()).unwrap(), first);
    assert_eq!(recorded(&ledger), 1);

    // Other content under the same key is refused, and nothing changes.
    let other = parse(&ledger, &keyed("sak 2026/1234 skjema 1", &["name"]));
    let err = ledger.grant(&other, &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{}", err.message());
    assert!(
        err.message().contains("nothing was written"),
        "{}",
        err.message()
    );
    assert_eq!(recorded(&ledger), 1);

    // Without a key the same request is a second grant, as before.
    let mut plain = request.clone();
    plain.idempotency_key = None;
    assert_ne!(ledger.grant(&plain, &actor()).unwrap(), first);
    assert_eq!(recorded(&ledger), 2);

    // A reopened ledger remembers the key from the log.
    drop(ledger);
    let reopened = Ledger::open(&path, options()).unwrap();
    assert_eq!(reopened.grant(&request, &actor()).unwrap(), first);
    assert_eq!(recorded(&reopened), 2);
    drop(reopened);

    // The key is kept only as a digest, in the grant's (sealed) record.
    let reopened = Ledger::open(&path, options()).unwrap();
    let events = recorded_events(&reopened);
    let consent_core::EventPayload::GrantRecorded(record) = &events[0].payload else {
        unreachable!("the first event is the grant")
    };
    let kept = record.idempotency.as_ref().unwrap();
    assert_eq!(kept.key.len(), 64);
    assert!(kept.key.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        !serde_json::to_string(&events[0])
            .unwrap()
            .contains("skjema")
    );
    // The grant without a key carries none.
    let consent_core::EventPayload::GrantRecorded(plain) = &events[1].payload else {
        unreachable!("the second event is the grant without a key")
    };
    assert!(plain.idempotency.is_none());
}

#[test]
fn a_rerun_batch_writes_only_what_is_new() {
    let ledger = ledger();
    let a = parse(&ledger, &keyed("rad-1", &["family"]));
    let b = parse(&ledger, &keyed("rad-2", &["name"]));
    let first = ledger
        .grant_many(std::slice::from_ref(&a), &actor())
        .unwrap();
    // The import is run again with a new row and a row that repeats one within the batch.
    let ids = ledger
        .grant_many(&[a.clone(), b.clone(), b.clone()], &actor())
        .unwrap();
    assert_eq!(ids[0], first[0]);
    assert_ne!(ids[1], ids[0]);
    assert_eq!(ids[2], ids[1], "a key repeated within a batch is one grant");
    assert_eq!(recorded(&ledger), 2);
    // A batch with a key used for other content fails whole.
    let clash = parse(&ledger, &keyed("rad-2", &["family"]));
    let new = parse(&ledger, &keyed("rad-3", &["family"]));
    let err = ledger.grant_many(&[new, clash], &actor()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.message().contains("grant 1"), "{}", err.message());
    assert_eq!(recorded(&ledger), 2);
}

#[test]
fn a_retried_refusal_and_withdrawal_write_nothing() {
    let ledger = ledger();
    let request = refusal(&ledger, "avslag-7");
    let first = ledger.refuse(&request, &actor()).unwrap();
    assert_eq!(ledger.refuse(&request, &actor()).unwrap(), first);
    assert_eq!(recorded(&ledger), 1);
    // A grant may not reuse a refusal's key: the kinds differ, so the content does.
    let err = ledger
        .grant(&parse(&ledger, &keyed("avslag-7", &["family"])), &actor())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);

    let grant = ledger
        .grant(&parse(&ledger, &keyed("skjema-8", &["family"])), &actor())
        .unwrap();
    let at = ledger.now();
    ledger
        .withdraw_idempotent(grant, at, &actor(), Some("by phone"), "trekk-8")
        .unwrap();
    ledger
        .withdraw_idempotent(grant, at, &actor(), Some("by phone"), "trekk-8")
        .unwrap();
    assert_eq!(recorded(&ledger), 3);
    // Without the key the retry is the conflict it always was; with the key and another
    // reason, a conflict of keys.
    let err = ledger
        .withdraw(grant, at, &actor(), Some("by phone"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    let err = ledger
        .withdraw_idempotent(grant, at, &actor(), Some("by letter"), "trekk-8")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(recorded(&ledger), 3);
}

#[test]
fn a_stale_handle_finds_the_key_another_handle_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let a = Ledger::open(&path, options()).unwrap();
    let b = Ledger::open(&path, options()).unwrap();
    let request = parse(&a, &keyed("skjema-9", &["family"]));
    let first = a.grant(&request, &actor()).unwrap();
    // `b` has not seen `a`'s write; under the write lock it catches up first.
    assert_eq!(b.grant(&request, &actor()).unwrap(), first);
    assert_eq!(recorded(&b), 1);
}

#[test]
fn an_erasure_forgets_the_persons_keys_in_the_live_ledger_as_in_a_reopened_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    let request = parse(&ledger, &keyed("skjema-10", &["family"]));
    let first = ledger.grant(&request, &actor()).unwrap();
    erase_by_kassasjon(&ledger, &subject(&ledger, ADULT));
    // The payload holding the key's digest is shredded, so a replay cannot know the key;
    // the live ledger forgets it too, and both behave alike.
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    reopened.set_clock(ledger.now()).unwrap();
    let live = ledger.grant(&request, &actor()).map_err(|e| e.code());
    let replayed = reopened.grant(&request, &actor()).map_err(|e| e.code());
    assert_eq!(live, replayed);
    // Forgotten, the request is judged as new: two years on, it is backdated.
    assert_eq!(live, Err(ErrorCode::InvalidInput), "first was {first}");
}

#[test]
fn a_bad_key_is_invalid_input() {
    let ledger = ledger();
    for key in [
        String::new(),
        "   ".to_owned(),
        "x".repeat(129),
        "sak\n1".to_owned(),
        format!("sak {ADULT}"),
    ] {
        let err = GrantRequest::from_json(&keyed(&key, &["family"]).to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{key:?}");
        assert!(
            err.message().contains("idempotency_key"),
            "{}",
            err.message()
        );
        assert!(!err.message().contains(ADULT), "{}", err.message());
    }
    let grant = ledger
        .grant(
            &parse(&ledger, &keyed(&"x".repeat(128), &["family"])),
            &actor(),
        )
        .unwrap();
    let err = ledger
        .withdraw_idempotent(grant, ledger.now(), &actor(), None, "")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(recorded(&ledger), 1);
}

#[test]
fn a_key_follows_its_person_through_a_succession_and_a_kassasjon_forgets_it_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, kassasjon_options()).unwrap();
    // A D-nummer (20 November 1990, day + 40), then the person's fødselsnummer.
    let d = national_id("601190", "12");
    let mut json = grant_json(&d, &["nav"], &["case_handling"], &["family"], false);
    json["idempotency_key"] = "skjema-d".into();
    let request = parse(&ledger, &json);
    let first = ledger.grant(&request, &actor()).unwrap();
    ledger
        .record_identity_succession(
            &subject(&ledger, &d),
            &subject(&ledger, ADULT),
            "Folkeregisteret 2026/77",
            consent_core::SuccessionMode::Move,
            &actor(),
        )
        .unwrap();
    // The retried grant (still under the D-nummer) finds its key, live and after reopening.
    assert_eq!(ledger.grant(&request, &actor()).unwrap(), first);
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    assert_eq!(reopened.grant(&request, &actor()).unwrap(), first);
    drop(reopened);
    assert_eq!(recorded(&ledger), 2, "the grant and the succession");

    // Kassasjon of the person (under the new id) forgets the key moved to it, in both.
    erase_by_kassasjon(&ledger, &subject(&ledger, ADULT));
    let reopened = Ledger::open(&path, kassasjon_options()).unwrap();
    reopened.set_clock(ledger.now()).unwrap();
    let live = ledger.grant(&request, &actor()).map_err(|e| e.code());
    let replayed = reopened.grant(&request, &actor()).map_err(|e| e.code());
    assert_eq!(live, replayed);
    assert_eq!(
        live,
        Err(ErrorCode::InvalidInput),
        "judged as new: backdated"
    );
}

#[test]
fn repeated_refusals_and_withdrawals_are_found_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.db");
    let ledger = Ledger::open(&path, options()).unwrap();
    let request = refusal(&ledger, "avslag-11");
    let refused = ledger.refuse(&request, &actor()).unwrap();
    let grant = ledger
        .grant(&parse(&ledger, &keyed("skjema-11", &["family"])), &actor())
        .unwrap();
    let at = ledger.now();
    ledger
        .withdraw_idempotent(grant, at, &actor(), None, "trekk-11")
        .unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path, options()).unwrap();
    assert_eq!(ledger.refuse(&request, &actor()).unwrap(), refused);
    ledger
        .withdraw_idempotent(grant, at, &actor(), None, "trekk-11")
        .unwrap();
    assert_eq!(recorded(&ledger), 3);
}

#[test]
fn a_key_set_in_code_is_checked_like_one_from_json() {
    let ledger = ledger();
    let mut request = parse(&ledger, &keyed("skjema-12", &["family"]));
    for bad in [
        format!("sak {ADULT}"),
        "sak\n12".to_owned(),
        "k".repeat(129),
    ] {
        request.idempotency_key = Some(bad.clone());
        let err = ledger.grant(&request, &actor()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad:?}");
        assert!(!err.message().contains(ADULT), "{}", err.message());
        let err = ledger.grant_many(&[request.clone()], &actor()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad:?}");
    }
    assert_eq!(recorded(&ledger), 0);
}

#[test]
fn the_content_key_of_a_request_is_pinned_and_keyed() {
    // A fixed pseudonym key and request: the key `consent import` derives for a row must stay
    // the same across versions, or a re-run import after an upgrade would double every grant.
    // A change here is a format change: keep version 1 readable and say so in CHANGELOG.md.
    let key = consent_core::PseudonymKey::from_bytes([7; 32]);
    let ledger = Ledger::open(consent_core::MEMORY_PATH, options().with_key(key.clone())).unwrap();
    let request = parse(
        &ledger,
        &grant_json(ADULT, &["nav"], &["case_handling"], &["family"], false),
    );
    let content_key = ledger.content_key(&request).unwrap();
    assert_eq!(content_key, PINNED_CONTENT_KEY);
    assert!(
        !content_key.bytes().any(|b| b.is_ascii_digit()),
        "never like a national id"
    );
    // Under another ledger's key the same row has another key.
    let other = Ledger::open(
        consent_core::MEMORY_PATH,
        options().with_key(consent_core::PseudonymKey::from_bytes([8; 32])),
    )
    .unwrap();
    assert_ne!(other.content_key(&request).unwrap(), content_key);
}

const PINNED_CONTENT_KEY: &str =
    "content ipjpildmmmkdpkacjnffcgodoldiahpmbikgoeknimlmiamkdepbhaedpafcmikf";
