"""Signed actors for the C, C# and Python tests: RSA keys this run makes with `openssl`, a JWKS
document of the trusted key, and RS256 tokens (JWTs) for a ledger whose test clock reads
`NOW`. No key or token is committed.

    python3 tests/shared/signed_actors.py DIR

writes DIR/jwks.json, DIR/trust.json (the `actor_trust` object of the options document) and
one file per token, DIR/<name>.jwt:

    case_worker   valid, role case_worker (id saksbehandler-17)
    auditor       valid, role auditor (id revisor-1)
    expired       expired ten minutes before NOW
    wrong_issuer  signed by the trusted key, but issued by another issuer
    wrong_key     claims of a valid token, signed by a key the JWKS does not hold
    unknown_role  valid, role janitor (a role the catalogue does not declare)

and DIR/require_signed.toml, the default catalogue with `require_signed_actors = true`.

Imported (tests/python), `make(dir)` returns the same as a dict of name to token text.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

ISSUER = "https://login.melhus.kommune.no"
#: The ledgers' test clock: 2026-03-01T10:00:00Z.
NOW_ISO = "2026-03-01T10:00:00Z"
NOW = 1772359200


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    except FileNotFoundError:
        sys.exit("openssl is missing: the signed-actor tests need it (scripts/test.sh installs it)")
    if done.returncode != 0:
        sys.exit(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _rsa_key(path: Path) -> bytes:
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path))
    os.chmod(path, 0o600)
    modulus = _openssl("rsa", "-in", str(path), "-noout", "-modulus").decode().strip()
    return bytes.fromhex(modulus.split("=", 1)[1])


def _token(key: Path, kid: str, claims: dict[str, object]) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    message = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = _openssl("dgst", "-sha256", "-sign", str(key), data=message.encode())
    return f"{message}.{b64url(signature)}"


def make(directory: str | os.PathLike[str]) -> dict[str, str]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    trusted, other = out / "trusted.pem", out / "other.pem"
    modulus = _rsa_key(trusted)
    _rsa_key(other)
    jwks = {"keys": [{"kty": "RSA", "kid": "idp-1", "use": "sig", "alg": "RS256",
                      "n": b64url(modulus), "e": b64url(b"\x01\x00\x01")}]}
    (out / "jwks.json").write_text(json.dumps(jwks), encoding="ascii")
    (out / "trust.json").write_text(
        json.dumps({"issuer": ISSUER, "jwks_file": str((out / "jwks.json").resolve())}),
        encoding="ascii")

    def claims(sub: str, role: str, iss: str = ISSUER, exp: int = NOW + 3600) -> dict[str, object]:
        return {"iss": iss, "sub": sub, "role": role, "iat": NOW - 60, "exp": exp}

    tokens = {
        "case_worker": _token(trusted, "idp-1", claims("saksbehandler-17", "case_worker")),
        "auditor": _token(trusted, "idp-1", claims("revisor-1", "auditor")),
        "expired": _token(trusted, "idp-1",
                          claims("saksbehandler-17", "case_worker", exp=NOW - 600)),
        "wrong_issuer": _token(trusted, "idp-1",
                               claims("saksbehandler-17", "case_worker",
                                      iss="https://login.example.org")),
        "wrong_key": _token(other, "idp-1", claims("saksbehandler-17", "case_worker")),
        "unknown_role": _token(trusted, "idp-1", claims("vaktmester-3", "janitor")),
    }
    for name, token in tokens.items():
        (out / f"{name}.jwt").write_text(token, encoding="ascii")
    default = Path(__file__).resolve().parents[2] / "consent-core/src/catalogue/default.toml"
    text = default.read_text(encoding="utf-8")
    if "require_signed_actors = false" not in text:
        sys.exit(f"{default} does not set require_signed_actors = false")
    (out / "require_signed.toml").write_text(
        text.replace("require_signed_actors = false", "require_signed_actors = true"),
        encoding="utf-8")
    return tokens


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: signed_actors.py DIR")
    make(sys.argv[1])
