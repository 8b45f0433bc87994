//! Signed actors (issue 17 item 3): JWTs that the test signs with keys it makes (ES256 with
//! ring, RS256 with an RSA key from `openssl`), verified against a JWKS document: a valid
//! token gives its actor; an expired one, another issuer, another key, `alg: none`, a
//! symmetric algorithm, a tampered payload and a malformed token are refused, and no message
//! carries the token.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of a test fail the test on a bad fixture"
)]

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use consent_core::{ActorTrust, ErrorCode};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde_json::json;

const ISSUER: &str = "https://login.melhus.kommune.no";

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn now() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn claims(iss: &str, exp_in_seconds: i64) -> serde_json::Value {
    json!({
        "iss": iss,
        "sub": "saksbehandler-17",
        "role": "case_worker",
        "iat": now().timestamp(),
        "exp": (now() + Duration::seconds(exp_in_seconds)).timestamp(),
    })
}

/// A P-256 key the test makes, its JWKS entry and a signer.
struct Ec {
    pair: EcdsaKeyPair,
    kid: &'static str,
}

impl Ec {
    fn new(kid: &'static str) -> Ec {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .unwrap();
        Ec { pair, kid }
    }

    fn jwk(&self) -> serde_json::Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig",
               "x": b64url(&point[1..33]), "y": b64url(&point[33..65])})
    }

    fn token(&self, claims: &serde_json::Value) -> String {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let message = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), message.as_bytes())
            .unwrap();
        format!("{message}.{}", b64url(signature.as_ref()))
    }
}

fn trust(keys: &[serde_json::Value]) -> ActorTrust {
    ActorTrust::from_jwks(ISSUER, &json!({ "keys": keys }).to_string()).unwrap()
}

#[track_caller]
fn refused(trust: &ActorTrust, token: &str, code: ErrorCode, needle: &str) {
    let err = trust.verify(token, now()).unwrap_err();
    assert_eq!(err.code(), code, "{}", err.message());
    assert!(err.message().contains(needle), "{}", err.message());
    // A token is a bearer credential: no part of it is ever in a message.
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!err.message().contains(part), "{}", err.message());
    }
}

#[test]
fn an_es256_token_gives_its_actor_and_everything_else_is_refused() {
    let key = Ec::new("idp-2026");
    let other = Ec::new("idp-2026");
    let trust = trust(&[key.jwk()]);
    let actor = trust
        .verify(&key.token(&claims(ISSUER, 300)), now())
        .unwrap();
    assert_eq!(actor.id(), "saksbehandler-17");
    assert_eq!(actor.role().as_str(), "case_worker");

    refused(
        &trust,
        &key.token(&claims(ISSUER, -120)),
        ErrorCode::NotPermitted,
        "expired",
    );
    // Within the leeway an expiry a few seconds ago still passes (two hosts' clocks).
    trust
        .verify(&key.token(&claims(ISSUER, -30)), now())
        .unwrap();
    refused(
        &trust,
        &key.token(&claims("https://evil.example", 300)),
        ErrorCode::NotPermitted,
        "another issuer",
    );
    refused(
        &trust,
        &other.token(&claims(ISSUER, 300)),
        ErrorCode::NotPermitted,
        "does not verify",
    );
    let mut no_exp = claims(ISSUER, 300);
    no_exp.as_object_mut().unwrap().remove("exp");
    refused(
        &trust,
        &key.token(&no_exp),
        ErrorCode::NotPermitted,
        "no expiry",
    );
    let mut early = claims(ISSUER, 3600);
    early["nbf"] = json!((now() + Duration::seconds(600)).timestamp());
    refused(
        &trust,
        &key.token(&early),
        ErrorCode::NotPermitted,
        "not valid yet",
    );
    let mut no_role = claims(ISSUER, 300);
    no_role.as_object_mut().unwrap().remove("role");
    refused(
        &trust,
        &key.token(&no_role),
        ErrorCode::NotPermitted,
        "`role`",
    );

    // A payload changed after signing.
    let token = key.token(&claims(ISSUER, 300));
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims(ISSUER, 300);
    forged["role"] = json!("dpo");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(forged.to_string().as_bytes()),
        parts[2]
    );
    refused(
        &trust,
        &tampered,
        ErrorCode::NotPermitted,
        "does not verify",
    );

    // `alg: none` and a symmetric algorithm (the key confusion attack) are never accepted.
    let body = b64url(claims(ISSUER, 300).to_string().as_bytes());
    let none = format!("{}.{body}.", b64url(br#"{"alg":"none"}"#));
    refused(
        &trust,
        &none,
        ErrorCode::NotPermitted,
        "only RS256 and ES256",
    );
    let hs = format!(
        "{}.{body}.{}",
        b64url(br#"{"alg":"HS256"}"#),
        b64url(b"mac")
    );
    refused(&trust, &hs, ErrorCode::NotPermitted, "only RS256 and ES256");

    // Malformed tokens are bad input.
    refused(
        &trust,
        "not a token",
        ErrorCode::InvalidInput,
        "compact JWS",
    );
    refused(&trust, "a.b.c.d", ErrorCode::InvalidInput, "compact JWS");
    refused(&trust, "%%%.e30.e30", ErrorCode::InvalidInput, "base64url");

    // Other claims, and an audience.
    let named = trust
        .clone()
        .with_claims("preferred_username", "consent_role");
    let mut custom = claims(ISSUER, 300);
    custom["preferred_username"] = json!("kari.nordmann");
    custom["consent_role"] = json!("dpo");
    let actor = named.verify(&key.token(&custom), now()).unwrap();
    assert_eq!(
        (actor.id(), actor.role().as_str()),
        ("kari.nordmann", "dpo")
    );
    let audience = trust.clone().with_audience("consent-melhus");
    refused(
        &audience,
        &key.token(&claims(ISSUER, 300)),
        ErrorCode::NotPermitted,
        "audience",
    );
    let mut aud = claims(ISSUER, 300);
    aud["aud"] = json!(["nav", "consent-melhus"]);
    audience.verify(&key.token(&aud), now()).unwrap();

    // A national id as the actor's id is refused as everywhere else.
    let mut fnr = claims(ISSUER, 300);
    fnr["sub"] = json!("15038510190");
    let err = trust.verify(&key.token(&fnr), now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(!err.message().contains("15038510190"));
}

#[test]
fn bad_jwks_documents_are_invalid_input() {
    for (jwks, needle) in [
        ("not json", "JWKS document"),
        (r#"{"keys": []}"#, "no RS256 or ES256"),
        (
            r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
            "no RS256 or ES256",
        ),
        (
            r#"{"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}]}"#,
            "P-256",
        ),
        (
            r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#,
            "2048 bits",
        ),
        (r#"{"keys": [{"kty": "RSA", "e": "AQAB"}]}"#, "`n`"),
    ] {
        let err = ActorTrust::from_jwks(ISSUER, jwks).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{jwks}");
        assert!(err.message().contains(needle), "{jwks}: {}", err.message());
    }
    let err = ActorTrust::from_jwks(" ", r#"{"keys": []}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

/// An RSA key from `openssl` (ring does not make RSA keys): PKCS#8 for ring to sign with, and
/// the modulus for the JWKS. `None` where openssl is missing, which the README's test command
/// does not allow (`CONSENT_REQUIRE_TOOLS`).
fn rsa_key(dir: &std::path::Path) -> Option<(RsaKeyPair, Vec<u8>)> {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CONSENT_REQUIRE_TOOLS").is_none(),
            "openssl is missing, and CONSENT_REQUIRE_TOOLS is set"
        );
        println!("notice: openssl is not installed; the RS256 check is skipped");
        return None;
    }
    let pem = dir.join("key.pem");
    let der = dir.join("key.der");
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        pem.to_str().unwrap(),
    ]);
    run(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-outform",
        "DER",
        "-in",
        pem.to_str().unwrap(),
        "-out",
        der.to_str().unwrap(),
    ]);
    let modulus = String::from_utf8(run(&[
        "rsa",
        "-in",
        pem.to_str().unwrap(),
        "-noout",
        "-modulus",
    ]))
    .unwrap();
    let hex = modulus.trim().trim_start_matches("Modulus=");
    let n: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let pair = RsaKeyPair::from_pkcs8(&std::fs::read(der).unwrap()).unwrap();
    Some((pair, n))
}

#[test]
fn an_rs256_token_gives_its_actor() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pair, n)) = rsa_key(dir.path()) else {
        return;
    };
    let jwk = json!({"kty": "RSA", "kid": "idp-rsa", "n": b64url(&n), "e": b64url(&[1, 0, 1])});
    let ec = Ec::new("idp-ec");
    // One JWKS with both keys: a token picks its key by `kid` and algorithm.
    let trust = trust(&[jwk, ec.jwk()]);
    let header = json!({"alg": "RS256", "kid": "idp-rsa"});
    let message = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims(ISSUER, 300).to_string().as_bytes())
    );
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut sig,
    )
    .unwrap();
    let token = format!("{message}.{}", b64url(&sig));
    assert_eq!(
        trust.verify(&token, now()).unwrap().id(),
        "saksbehandler-17"
    );
    trust
        .verify(&ec.token(&claims(ISSUER, 300)), now())
        .unwrap();
    // An RS256 header on an ES256 signature, and the reverse: no key of that type verifies it.
    let swapped = format!(
        "{message}.{}",
        ec.token(&claims(ISSUER, 300)).rsplit('.').next().unwrap()
    );
    refused(&trust, &swapped, ErrorCode::NotPermitted, "does not verify");
}

// ---- Through the ledger: every call that takes an actor takes a signed one ----------------

use consent_core::{
    Actor, AnyActor, Catalogue, Ledger, LedgerOptions, MEMORY_PATH, SignedActor, StatisticsQuery,
};

use crate::common::{ADULT, LOOKUP, actor, auditor, grant_json, parse, subject};

fn ledger_trusting(trust: Option<ActorTrust>, catalogue: Catalogue) -> Ledger {
    let mut options = LedgerOptions::default()
        .with_catalogue(catalogue)
        .with_test_clock(now());
    if let Some(trust) = trust {
        options = options.with_actor_trust(trust);
    }
    Ledger::open(MEMORY_PATH, options).unwrap()
}

fn grant_request(ledger: &Ledger) -> consent_core::GrantRequest {
    let mut json = grant_json(
        ADULT,
        &["nav"],
        &["employment_followup"],
        &["finances"],
        false,
    );
    json["valid_from"] = json!(now());
    parse(ledger, &json)
}

fn signed(key: &Ec, claims: &serde_json::Value) -> SignedActor {
    SignedActor::new(&key.token(claims)).unwrap()
}

/// A call given `token` fails with `code` and a message holding `needle` (and no part of the
/// token), and the ledger is unchanged.
#[track_caller]
fn call_refused(
    ledger: &Ledger,
    token: &SignedActor,
    token_text: &str,
    code: ErrorCode,
    needle: &str,
) {
    let before = ledger.event_count();
    let err = ledger.grant(&grant_request(ledger), token).unwrap_err();
    assert_eq!(err.code(), code, "{}", err.message());
    assert!(err.message().contains(needle), "{}", err.message());
    for part in token_text.split('.').filter(|p| p.len() > 8) {
        assert!(!err.message().contains(part), "{}", err.message());
    }
    assert_eq!(ledger.event_count(), before, "nothing is recorded");
}

#[test]
fn a_signed_actor_acts_through_the_ledger_and_its_event_names_the_issuer() {
    let key = Ec::new("idp-2026");
    let ledger = ledger_trusting(Some(trust(&[key.jwk()])), Catalogue::embedded());
    let token_text = key.token(&claims(ISSUER, 3600));
    let token = SignedActor::new(&token_text).unwrap();
    assert_eq!(
        format!("{token:?}"),
        "SignedActor(..)",
        "Debug shows no token"
    );
    ledger.grant(&grant_request(&ledger), &token).unwrap();
    let events = ledger.events().unwrap();
    let event = events.last().unwrap();
    assert_eq!(event.kind, "grant_recorded");
    assert_eq!(event.actor.id(), "saksbehandler-17");
    assert_eq!(event.actor.role().as_str(), "case_worker");
    assert_eq!(event.actor.issuer(), Some(ISSUER));
    let stored = serde_json::to_string(&event).unwrap();
    for part in token_text.split('.') {
        assert!(!stored.contains(part), "the token is never stored");
    }
    // The same through the actor JSON the bindings pass, and a read recorded as an access.
    let any = AnyActor::from_json(&json!({ "token": token_text }).to_string()).unwrap();
    let person = subject(&ledger, ADULT);
    let events = ledger.subject_events(&person, &any, LOOKUP).unwrap();
    let access = events.last().unwrap();
    assert_eq!(access.kind, "subject_accessed");
    assert_eq!(access.actor.issuer(), Some(ISSUER));
    // A plain actor on the same ledger is stored as before: no issuer.
    ledger.grant(&grant_request(&ledger), &actor()).unwrap();
    let plain = ledger.events().unwrap();
    assert_eq!(plain.last().unwrap().actor.issuer(), None);
    let text = serde_json::to_value(&plain.last().unwrap().actor).unwrap();
    assert_eq!(
        text,
        json!({"id": "saksbehandler-17", "role": "case_worker"})
    );
    // A host cannot mark its own actor as signed: an issuer it deserialised is not stored.
    let forged: Actor =
        serde_json::from_value(json!({"id": "x-1", "role": "case_worker", "issuer": ISSUER}))
            .unwrap();
    ledger.grant(&grant_request(&ledger), &forged).unwrap();
    let last = ledger.events().unwrap();
    assert_eq!(last.last().unwrap().actor.issuer(), None);
}

#[test]
fn a_signed_actor_is_refused_when_expired_foreign_or_unknown_and_nothing_changes() {
    let key = Ec::new("idp-2026");
    let other_key = Ec::new("idp-2026");
    let ledger = ledger_trusting(Some(trust(&[key.jwk()])), Catalogue::embedded());
    let refuse = |claims: &serde_json::Value, by: &Ec, code, needle| {
        let text = by.token(claims);
        call_refused(
            &ledger,
            &SignedActor::new(&text).unwrap(),
            &text,
            code,
            needle,
        );
    };
    refuse(
        &claims(ISSUER, -600),
        &key,
        ErrorCode::NotPermitted,
        "expired",
    );
    refuse(
        &claims("https://evil.example", 300),
        &key,
        ErrorCode::NotPermitted,
        "another issuer",
    );
    refuse(
        &claims(ISSUER, 300),
        &other_key,
        ErrorCode::NotPermitted,
        "does not verify",
    );
    let mut janitor = claims(ISSUER, 300);
    janitor["role"] = json!("janitor");
    refuse(&janitor, &key, ErrorCode::UnknownCode, "`janitor`");
    let mut auditor_claims = claims(ISSUER, 300);
    auditor_claims["role"] = json!("auditor");
    refuse(
        &auditor_claims,
        &key,
        ErrorCode::NotPermitted,
        "may not perform `grant`",
    );

    // Verified at the call's instant (the ledger's clock): valid now, expired an hour later.
    let text = key.token(&claims(ISSUER, 600));
    let token = SignedActor::new(&text).unwrap();
    ledger
        .check_permission(&token, consent_core::Operation::Grant)
        .unwrap();
    ledger.set_clock(now() + Duration::hours(1)).unwrap();
    call_refused(&ledger, &token, &text, ErrorCode::NotPermitted, "expired");

    // A ledger opened without an actor trust cannot check a token: refused, never believed.
    let untrusting = ledger_trusting(None, Catalogue::embedded());
    let text = key.token(&claims(ISSUER, 300));
    call_refused(
        &untrusting,
        &signed(&key, &claims(ISSUER, 300)),
        &text,
        ErrorCode::NotPermitted,
        "without an actor trust",
    );

    // Bad actor JSON is bad input, naming neither shape's values.
    for bad in [
        json!({"token": ""}),
        json!({"token": "a b.c"}),
        json!({"id": "saksbehandler-17", "role": "case_worker", "token": text}),
        json!({"id": "saksbehandler-17"}),
        json!({}),
    ] {
        let err = AnyActor::from_json(&bad.to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
        assert!(!err.message().contains(&text), "{}", err.message());
    }
}

fn requiring_signed_actors() -> Catalogue {
    let text = Catalogue::embedded_toml().replace(
        "require_signed_actors = false",
        "require_signed_actors = true",
    );
    assert_ne!(text, Catalogue::embedded_toml());
    let catalogue = Catalogue::from_toml(&text).unwrap();
    assert!(catalogue.settings().require_signed_actors);
    catalogue
}

#[test]
fn require_signed_actors_refuses_every_plain_actor_and_the_ledger_is_unchanged() {
    assert!(!Catalogue::embedded().settings().require_signed_actors);
    let key = Ec::new("idp-2026");
    let ledger = ledger_trusting(Some(trust(&[key.jwk()])), requiring_signed_actors());
    let before = ledger.event_count();
    let person = subject(&ledger, ADULT);
    let refused = |err: consent_core::Error| {
        assert_eq!(err.code(), ErrorCode::NotPermitted, "{}", err.message());
        assert!(
            err.message().contains("require_signed_actors"),
            "{}",
            err.message()
        );
    };
    refused(ledger.grant(&grant_request(&ledger), &actor()).unwrap_err());
    refused(
        ledger
            .subject_events(&person, &actor(), LOOKUP)
            .unwrap_err(),
    );
    refused(
        ledger
            .subject_export(&person, &actor(), LOOKUP)
            .unwrap_err(),
    );
    refused(ledger.verify_as(&auditor()).unwrap_err());
    refused(
        ledger
            .statistics(&StatisticsQuery::default(), &auditor())
            .unwrap_err(),
    );
    refused(ledger.request_erasure(&person, &common_dpo()).unwrap_err());
    assert_eq!(ledger.event_count(), before, "nothing recorded");
    // A signed actor acts.
    ledger
        .grant(&grant_request(&ledger), &signed(&key, &claims(ISSUER, 300)))
        .unwrap();
    assert_eq!(ledger.event_count(), before + 1);
    let mut auditor_claims = claims(ISSUER, 300);
    auditor_claims["role"] = json!("auditor");
    assert!(ledger.verify_as(&signed(&key, &auditor_claims)).unwrap().ok);

    // The setting is catalogue data, validated on load.
    let text = Catalogue::embedded_toml().replace(
        "require_signed_actors = false",
        "require_signed_actors = \"yes\"",
    );
    let err = Catalogue::from_toml(&text).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCatalogue);
    assert!(
        err.message().contains("expected a boolean"),
        "{}",
        err.message()
    );
}

fn common_dpo() -> Actor {
    crate::common::dpo()
}

#[test]
fn statistics_need_a_role_that_may_read_them() {
    let key = Ec::new("idp-2026");
    let ledger = ledger_trusting(Some(trust(&[key.jwk()])), Catalogue::embedded());
    ledger.grant(&grant_request(&ledger), &actor()).unwrap();
    let before = ledger.event_count();
    let err = ledger
        .statistics(&StatisticsQuery::default(), &actor())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotPermitted);
    assert!(err.message().contains("`case_worker`") && err.message().contains("`statistics`"));
    let stats = ledger
        .statistics(&StatisticsQuery::default(), &auditor())
        .unwrap();
    assert_eq!(stats.totals.len(), 1);
    ledger
        .statistics(&StatisticsQuery::default(), &common_dpo())
        .unwrap();
    let mut auditor_claims = claims(ISSUER, 300);
    auditor_claims["role"] = json!("auditor");
    ledger
        .statistics(&StatisticsQuery::default(), &signed(&key, &auditor_claims))
        .unwrap();
    // Statistics are no read of one person's data: no access is recorded.
    assert_eq!(ledger.event_count(), before);
    let stranger = Actor::new("x-1", "janitor").unwrap();
    assert_eq!(
        ledger
            .statistics(&StatisticsQuery::default(), &stranger)
            .unwrap_err()
            .code(),
        ErrorCode::UnknownCode
    );
}

#[test]
fn the_options_document_configures_the_trust_the_bindings_share() {
    let key = Ec::new("idp-2026");
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("idp.jwks.json");
    std::fs::write(&jwks, json!({ "keys": [key.jwk()] }).to_string()).unwrap();
    let options = |trust: serde_json::Value| {
        LedgerOptions::from_json(
            &json!({"test_mode": true, "clock": now(), "actor_trust": trust}).to_string(),
        )
    };
    let ledger = Ledger::open(
        MEMORY_PATH,
        options(
            json!({"issuer": ISSUER, "jwks_file": jwks, "id_claim": "preferred_username",
                       "role_claim": "consent_role", "audience": "consent"}),
        )
        .unwrap(),
    )
    .unwrap();
    let mut custom = claims(ISSUER, 300);
    custom["preferred_username"] = json!("kari.nordmann");
    custom["consent_role"] = json!("case_worker");
    custom["aud"] = json!("consent");
    ledger
        .grant(&grant_request(&ledger), &signed(&key, &custom))
        .unwrap();
    let event = ledger.events().unwrap().pop().unwrap();
    assert_eq!(event.actor.id(), "kari.nordmann");
    // Another audience is refused.
    custom["aud"] = json!("nav");
    let text = key.token(&custom);
    call_refused(
        &ledger,
        &SignedActor::new(&text).unwrap(),
        &text,
        ErrorCode::NotPermitted,
        "audience",
    );

    for (bad, code) in [
        (json!({"issuer": ISSUER}), ErrorCode::InvalidInput),
        (json!({"jwks_file": jwks}), ErrorCode::InvalidInput),
        (
            json!({"issuer": ISSUER, "jwks_file": jwks, "role": "x"}),
            ErrorCode::InvalidInput,
        ),
        (
            json!({"issuer": ISSUER, "jwks_file": jwks, "id_claim": ""}),
            ErrorCode::InvalidInput,
        ),
        (
            json!({"issuer": ISSUER, "jwks_file": dir.path().join("missing.json")}),
            ErrorCode::Storage,
        ),
    ] {
        let err = options(bad.clone()).unwrap_err();
        assert_eq!(err.code(), code, "{bad}: {}", err.message());
    }
}
