"""A PostgreSQL ledger from Python: `Ledger.open("postgresql://…", key_file=…)`, two handles
standing in for two hosts, and the errors of a wrong key, a wrong password and a bad URL.

Needs the server scripts/with-postgres.sh starts (CONSENT_TEST_POSTGRES_URL); without it these
tests are skipped with their reason, unless CONSENT_REQUIRE_POSTGRES=1 (scripts/test-postgres.sh
sets it), which makes a missing server a failure.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE

SERVER = os.environ.get("CONSENT_TEST_POSTGRES_URL", "")

if not SERVER:
    if os.environ.get("CONSENT_REQUIRE_POSTGRES") == "1":
        raise RuntimeError("CONSENT_REQUIRE_POSTGRES=1 but CONSENT_TEST_POSTGRES_URL is not set")
    pytest.skip("CONSENT_TEST_POSTGRES_URL is not set (run scripts/test-postgres.sh)",
                allow_module_level=True)


def ledger_url() -> str:
    separator = "&" if "?" in SERVER else "?"
    return f"{SERVER}{separator}schema=py_{uuid.uuid4().hex[:16]}"


def password() -> str:
    userinfo = SERVER.split("://", 1)[1].split("@", 1)[0]
    return userinfo.split(":", 1)[1]


def now() -> datetime:
    return datetime.now(timezone.utc)


def grant(ledger: consent.Ledger) -> str:
    return ledger.grant(
        subject=ADULT, grantor={"role": "self"}, purposes=["employment_followup"],
        recipients=["nav"], categories=["finances"], explicit=False,
        valid_from=(now() - timedelta(days=1)).replace(microsecond=0),
        evidence=EVIDENCE, notice=NOTICE, actor=ACTOR,
    )


def decide(ledger: consent.Ledger) -> consent.Decision:
    return ledger.decide(subject=ADULT, recipient="nav", purpose="employment_followup",
                         categories=["finances"], at=now())


def test_two_hosts_share_a_postgres_ledger(tmp_path: Path) -> None:
    url = ledger_url()
    key = tmp_path / "host.key"
    with consent.Ledger.open(url, key_file=key) as a, consent.Ledger.open(url, key_file=key) as b:
        assert key.exists(), "a new ledger's key file is written by the host"
        assert not decide(b).permitted
        grant_id = grant(a)
        seen = decide(b)
        assert seen.permitted, "B's decision checks the database's head"
        assert seen.as_of_seq == 2
        b.withdraw(grant_id, at=now(), actor=ACTOR)
        # A's view is older; its write catches up under the lock and finds the grant withdrawn.
        with pytest.raises(consent.ConflictError):
            a.withdraw(grant_id, at=now(), actor=ACTOR)
        after = decide(a)
        assert not after.permitted
        assert after.as_of_seq == 3
        assert a.verify()["ok"]


def test_postgres_errors_are_specific_and_hide_the_password(tmp_path: Path) -> None:
    url = ledger_url()
    key = tmp_path / "host.key"
    consent.Ledger.open(url, key_file=key).close()
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n")
    other.chmod(0o600)
    with pytest.raises(consent.KeyMismatchError):
        consent.Ledger.open(url, key_file=other)
    with pytest.raises(consent.InvalidInputError):
        consent.Ledger.open(url)
    secret = password()
    wrong = url.replace(f":{secret}@", ":Wr0ng-Secret@", 1)
    rest = url.rsplit("@", 1)[1].split("/", 1)[1]
    for bad in (wrong,
                f"postgresql://consent_test:{secret}@127.0.0.1:1/{rest}",
                f"postgresql://consent_test:{secret}@127.0.0.1:port/{rest}"):
        with pytest.raises(consent.StorageError) as raised:
            consent.Ledger.open(bad, key_file=key)
        assert secret not in str(raised.value)
        assert "Wr0ng-Secret" not in str(raised.value)
