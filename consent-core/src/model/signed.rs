//! Actors the ledger can believe: a JSON Web Token (RFC 7519) signed by the municipality's
//! identity provider with RS256 or ES256 (RFC 7518), verified against the issuer and the keys
//! of a JWKS document (RFC 7517) the host configures, with the actor's id and role taken from
//! named claims.
//!
//! The library still trusts its host to authenticate people: a token only proves that the
//! issuer vouched for this id and role until the token's expiry. What it removes is the need to
//! trust every host process with the power to name any actor. A token is a bearer credential:
//! no message of this module contains it or any of its parts.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::parse_json;
use super::party::Actor;
use crate::error::{Error, ErrorCode, Result};

/// How far a token's `exp` and `nbf` may be off the ledger's clock (clocks of two hosts).
pub const TOKEN_LEEWAY_SECONDS: i64 = 60;

/// The largest token read (a JWT of an identity provider is a few KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The longest trusted issuer, in characters (it is stored on events).
const MAX_ISSUER_CHARS: usize = 512;

/// An actor given as a signed token (a compact JWS, RS256 or ES256) instead of an id and a
/// role: the ledger verifies it on each call, at the call's instant, against the trust it was
/// opened with ([`LedgerOptions::with_actor_trust`](crate::LedgerOptions::with_actor_trust)),
/// and then uses the id and role of its claims as it uses an [`Actor`]'s. A bearer credential:
/// its `Debug` shows no part of it, and no message or event contains it.
#[derive(Clone)]
pub struct SignedActor {
    token: String,
}

impl SignedActor {
    /// Wraps a token; only its form is checked here (the signature and claims are checked by
    /// the ledger on each call).
    ///
    /// ```
    /// # use consent_core::SignedActor;
    /// assert!(SignedActor::new("eyJhbGciOiJFUzI1NiJ9.e30.c2ln").is_ok());
    /// assert!(SignedActor::new("").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an empty token, one longer than 16 KiB, or one with characters a
    /// compact JWS never has (whitespace, controls). The message never contains the token.
    pub fn new(token: &str) -> Result<SignedActor> {
        if token.is_empty() {
            return Err(Error::invalid("the signed actor's token is empty"));
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::invalid("the signed actor is longer than 16 KiB"));
        }
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(Error::invalid(
                "the signed actor is not a compact JWS (only base64url parts joined by `.`)",
            ));
        }
        Ok(SignedActor {
            token: token.to_owned(),
        })
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Debug for SignedActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignedActor(..)")
    }
}

/// Who acts on a call, as the bindings receive it: an actor the host names, or a signed token
/// the ledger verifies. Its JSON is `{"id": "saksbehandler-17", "role": "case_worker"}` or
/// `{"token": "<compact JWS>"}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyActor {
    /// An actor the host names (and authenticated).
    Named(Actor),
    /// A signed token the ledger verifies.
    Signed(SignedActor),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyActorDoc {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

impl AnyActor {
    /// Parses the actor JSON: `{"id": "...", "role": "..."}` or `{"token": "..."}`.
    ///
    /// ```
    /// # use consent_core::AnyActor;
    /// assert!(matches!(AnyActor::from_json(r#"{"id": "revisor-1", "role": "auditor"}"#)?, AnyActor::Named(_)));
    /// assert!(matches!(AnyActor::from_json(r#"{"token": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}"#)?, AnyActor::Signed(_)));
    /// assert!(AnyActor::from_json(r#"{"id": "revisor-1", "role": "auditor", "token": "a.b.c"}"#).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown field, both or neither shape, or fields
    /// as [`Actor::new`] and [`SignedActor::new`] reject them. Messages never contain a token.
    pub fn from_json(json: &str) -> Result<AnyActor> {
        let doc: AnyActorDoc = parse_json(json, "actor")?;
        match (doc.id, doc.role, doc.token) {
            (Some(id), Some(role), None) => Ok(AnyActor::Named(Actor::new(&id, &role)?)),
            (None, None, Some(token)) => Ok(AnyActor::Signed(SignedActor::new(&token)?)),
            // A named actor missing one field says which, as every other document does.
            (Some(_), None, None) => Err(Error::invalid(
                "actor: missing field `role` (give `id` and `role`, or a signed `token` alone)",
            )),
            (None, Some(_), None) => Err(Error::invalid(
                "actor: missing field `id` (give `id` and `role`, or a signed `token` alone)",
            )),
            _ => Err(Error::invalid(
                "actor: give `id` and `role`, or a signed `token` alone",
            )),
        }
    }
}

impl From<Actor> for AnyActor {
    fn from(actor: Actor) -> Self {
        AnyActor::Named(actor)
    }
}

impl From<SignedActor> for AnyActor {
    fn from(actor: SignedActor) -> Self {
        AnyActor::Signed(actor)
    }
}

/// Who acts on a call: an [`Actor`] the host names, a [`SignedActor`] the ledger verifies, or
/// either ([`AnyActor`]). Every call of the ledger that takes an actor takes `&dyn Acting`, so
/// `&actor` of each of these types may be passed. Sealed: implemented only by these three.
pub trait Acting: sealed::Sealed + std::fmt::Debug + Sync {}

impl Acting for Actor {}
impl Acting for SignedActor {}
impl Acting for AnyActor {}

pub(crate) mod sealed {
    use super::{Actor, AnyActor, SignedActor};

    /// What an actor argument holds, for the ledger to resolve.
    #[derive(Debug, Clone, Copy)]
    pub enum Claim<'a> {
        /// Named by the host.
        Named(&'a Actor),
        /// A token to verify.
        Signed(&'a SignedActor),
    }

    /// Keeps [`Acting`](super::Acting) to the types of this crate.
    pub trait Sealed {
        /// What this argument holds.
        fn claim(&self) -> Claim<'_>;
    }

    impl Sealed for Actor {
        fn claim(&self) -> Claim<'_> {
            Claim::Named(self)
        }
    }

    impl Sealed for SignedActor {
        fn claim(&self) -> Claim<'_> {
            Claim::Signed(self)
        }
    }

    impl Sealed for AnyActor {
        fn claim(&self) -> Claim<'_> {
            match self {
                AnyActor::Named(actor) => Claim::Named(actor),
                AnyActor::Signed(token) => Claim::Signed(token),
            }
        }
    }
}

/// Which issuer and keys the ledger trusts for signed actors, and where in a token the actor's
/// id and role are.
#[derive(Debug, Clone)]
pub struct ActorTrust {
    issuer: String,
    audience: Option<String>,
    id_claim: String,
    role_claim: String,
    keys: Vec<TrustedKey>,
}

#[derive(Debug, Clone)]
struct TrustedKey {
    kid: Option<String>,
    key: KeyMaterial,
}

#[derive(Debug, Clone)]
enum KeyMaterial {
    /// RS256: the modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// ES256: the uncompressed P-256 point (`04 || x || y`).
    P256(Vec<u8>),
}

#[derive(Deserialize)]
struct JwksDoc {
    keys: Vec<JwkDoc>,
}

#[derive(Deserialize)]
struct JwkDoc {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct HeaderDoc {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Base64url without padding (RFC 7515 section 2); `None` for anything else.
fn b64url(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        let take = chunk.len() - 1;
        out.extend(bytes.iter().skip(1).take(take));
        // The unused low bits of a final partial group must be zero (one encoding per value).
        let unused = match chunk.len() {
            2 => bits & 0xFFFF,
            3 => bits & 0xFF,
            _ => 0,
        };
        if unused != 0 {
            return None;
        }
    }
    Some(out)
}

fn invalid_jwks(what: &str) -> Error {
    Error::invalid(format!("the JWKS document: {what}"))
}

/// A token that does not prove who acts: `NotPermitted`, naming only what failed.
fn refused(what: &str) -> Error {
    Error::new(
        ErrorCode::NotPermitted,
        format!("the signed actor is not accepted: {what}"),
    )
}

impl ActorTrust {
    /// Trust in `issuer` (its `iss` claim, compared exactly) with the keys of a JWKS document
    /// (`{"keys": [{"kty": "RSA", "kid", "n", "e"}, {"kty": "EC", "crv": "P-256", "kid", "x",
    /// "y"}]}`; keys for encryption or of other types are skipped, and at least one usable key
    /// is required). The actor's id is the `sub` claim and the role the `role` claim unless
    /// [`ActorTrust::with_claims`] names others.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, a malformed key, no usable key, or an empty issuer.
    pub fn from_jwks(issuer: &str, jwks_json: &str) -> Result<ActorTrust> {
        if issuer.trim().is_empty() {
            return Err(Error::invalid("the trusted issuer is empty"));
        }
        // The issuer is stored on the events of the actors it vouches for.
        super::text::check(issuer, "trusted issuer", MAX_ISSUER_CHARS)?;
        let doc: JwksDoc = parse_json(jwks_json, "JWKS document")?;
        let mut keys = Vec::new();
        for (index, jwk) in doc.keys.into_iter().enumerate() {
            if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let part = |value: Option<String>, name: &str| {
                value.as_deref().and_then(b64url).ok_or_else(|| {
                    invalid_jwks(&format!(
                        "key {index}: `{name}` is missing or not base64url"
                    ))
                })
            };
            let key = match (jwk.kty.as_str(), jwk.alg.as_deref()) {
                ("RSA", None | Some("RS256")) => {
                    let n = part(jwk.n, "n")?;
                    if n.len() < 256 {
                        return Err(invalid_jwks(&format!(
                            "key {index}: an RSA key must have at least 2048 bits"
                        )));
                    }
                    KeyMaterial::Rsa {
                        n,
                        e: part(jwk.e, "e")?,
                    }
                }
                ("EC", None | Some("ES256")) => {
                    if jwk.crv.as_deref() != Some("P-256") {
                        return Err(invalid_jwks(&format!(
                            "key {index}: only the curve P-256 is accepted"
                        )));
                    }
                    let (x, y) = (part(jwk.x, "x")?, part(jwk.y, "y")?);
                    if x.len() != 32 || y.len() != 32 {
                        return Err(invalid_jwks(&format!(
                            "key {index}: a P-256 coordinate is not 32 bytes"
                        )));
                    }
                    let mut point = vec![4u8];
                    point.extend(x);
                    point.extend(y);
                    KeyMaterial::P256(point)
                }
                // Other key types and algorithms are not trusted for actors.
                _ => continue,
            };
            keys.push(TrustedKey { kid: jwk.kid, key });
        }
        if keys.is_empty() {
            return Err(invalid_jwks("no RS256 or ES256 signing key"));
        }
        Ok(ActorTrust {
            issuer: issuer.to_owned(),
            audience: None,
            id_claim: "sub".to_owned(),
            role_claim: "role".to_owned(),
            keys,
        })
    }

    /// Reads the JWKS document from a file (at most 1 MiB).
    ///
    /// # Errors
    /// As [`ActorTrust::from_jwks`]; `Storage` when the file cannot be read.
    pub fn from_jwks_file(issuer: &str, path: &std::path::Path) -> Result<ActorTrust> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::storage(
                &format!("cannot read the JWKS file `{}`", path.display()),
                e,
            )
        })?;
        ActorTrust::from_jwks(issuer, &text)
    }

    /// This trust, reading the actor's id and role from other claims.
    #[must_use]
    pub fn with_claims(mut self, id_claim: &str, role_claim: &str) -> ActorTrust {
        id_claim.clone_into(&mut self.id_claim);
        role_claim.clone_into(&mut self.role_claim);
        self
    }

    /// This trust, requiring the token's `aud` to be (or to contain) `audience`.
    #[must_use]
    pub fn with_audience(mut self, audience: &str) -> ActorTrust {
        self.audience = Some(audience.to_owned());
        self
    }

    /// Verifies a compact JWS token at `now` and returns the actor it vouches for. Only RS256
    /// and ES256 are accepted, and only with a key of the matching type (no `none`, no
    /// algorithm taken from the token alone); `iss` must be the trusted issuer, `exp` must be
    /// present and not passed, `nbf` (when present) reached, `aud` (when configured) match,
    /// each within [`TOKEN_LEEWAY_SECONDS`].
    ///
    /// # Errors
    /// `InvalidInput` for a token that is not a compact JWS; `NotPermitted` for a bad
    /// signature, an unknown key, another issuer or audience, an expired or not yet valid
    /// token, or missing claims; as [`Actor::new`] for an id or role that is not one. Messages
    /// never contain the token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Actor> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::invalid("the signed actor is longer than 16 KiB"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::invalid(
                "the signed actor is not a compact JWS (three parts)",
            ));
        };
        let decode = |part: &str, what: &str| {
            b64url(part).ok_or_else(|| {
                Error::invalid(format!("the signed actor's {what} is not base64url"))
            })
        };
        let header_doc: HeaderDoc = serde_json::from_slice(&decode(header, "header")?)
            .map_err(|_| Error::invalid("the signed actor's header is not a JWS header"))?;
        let signature = decode(signature, "signature")?;
        let message = token
            .get(..header.len() + 1 + payload.len())
            .ok_or_else(|| Error::invalid("the signed actor is not a compact JWS"))?;
        self.check_signature(&header_doc, message.as_bytes(), &signature)?;
        let claims: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&decode(payload, "payload")?)
                .map_err(|_| refused("its claims are not a JSON object"))?;
        self.check_claims(&claims, now)?;
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| refused(&format!("the claim `{name}` is missing or not a string")))
        };
        Ok(Actor::new(text(&self.id_claim)?, text(&self.role_claim)?)?.signed_by(&self.issuer))
    }

    /// The trusted issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn check_signature(&self, header: &HeaderDoc, message: &[u8], signature: &[u8]) -> Result<()> {
        use ring::signature::{self, UnparsedPublicKey};
        let candidates = self
            .keys
            .iter()
            .filter(|k| header.kid.is_none() || k.kid.is_none() || k.kid == header.kid);
        let mut matched_type = false;
        for candidate in candidates {
            let verified = match (&candidate.key, header.alg.as_str()) {
                (KeyMaterial::Rsa { n, e }, "RS256") => {
                    matched_type = true;
                    signature::RsaPublicKeyComponents { n, e }
                        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
                        .is_ok()
                }
                (KeyMaterial::P256(point), "ES256") => {
                    matched_type = true;
                    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                        .verify(message, signature)
                        .is_ok()
                }
                _ => false,
            };
            if verified {
                return Ok(());
            }
        }
        Err(refused(match (header.alg.as_str(), matched_type) {
            ("RS256" | "ES256", true) => "its signature does not verify with a trusted key",
            ("RS256" | "ES256", false) => "no trusted key of its algorithm and key id",
            _ => "only RS256 and ES256 are accepted",
        }))
    }

    fn check_claims(
        &self,
        claims: &serde_json::Map<String, serde_json::Value>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if claims.get("iss").and_then(serde_json::Value::as_str) != Some(self.issuer.as_str()) {
            return Err(refused(
                "it was issued by another issuer than the one trusted",
            ));
        }
        let now = now.timestamp();
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| refused("it has no expiry (`exp`)"))?;
        if now > exp.saturating_add(TOKEN_LEEWAY_SECONDS) {
            return Err(refused("it has expired"));
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf
                .as_i64()
                .ok_or_else(|| refused("`nbf` is not a number"))?;
            if now < nbf.saturating_sub(TOKEN_LEEWAY_SECONDS) {
                return Err(refused("it is not valid yet"));
            }
        }
        if let Some(audience) = &self.audience {
            let ok = match claims.get("aud") {
                Some(serde_json::Value::String(aud)) => aud == audience,
                Some(serde_json::Value::Array(auds)) => {
                    auds.iter().any(|a| a.as_str() == Some(audience.as_str()))
                }
                _ => false,
            };
            if !ok {
                return Err(refused("it is meant for another audience"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::b64url;

    #[test]
    fn base64url_decodes_only_canonical_unpadded_text() {
        assert_eq!(b64url("").as_deref(), Some(&b""[..]));
        assert_eq!(b64url("Zg").as_deref(), Some(&b"f"[..]));
        assert_eq!(b64url("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(b64url("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(b64url("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert!(b64url("Zg==").is_none(), "padding");
        assert!(b64url("Zh").is_none(), "non-zero unused bits");
        assert!(b64url("Z").is_none(), "a lone character");
        assert!(b64url("Zm+v").is_none(), "standard base64's alphabet");
    }
}
