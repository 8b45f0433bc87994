"""Signed actors through the Python package (issue 17 item 3): a ledger opened with
``actor_trust`` takes ``{"token": "<JWT>"}`` wherever it takes an actor; expired, foreign and
unknown tokens raise with nothing recorded; ``require_signed_actors`` refuses plain actors;
statistics take an actor. Keys and tokens are made by this run (tests/shared/signed_actors.py,
openssl)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, LOOKUP, utc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))
import signed_actors  # noqa: E402

NOW = utc(2026, 3, 1, 10)
AUDITOR = {"id": "revisor-1", "role": "auditor"}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("signed")
    return directory, signed_actors.make(directory)


def trust(directory: Path) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((directory / "trust.json").read_text())
    return loaded


def open_ledger(directory: Path, **options: Any) -> consent.Ledger:
    return consent.Ledger.open(":memory:", test_mode=True, clock=NOW, **options)


def grant(ledger: consent.Ledger, actor: dict[str, str]) -> Any:
    return ledger.grant(actor=actor, subject=ADULT, grantor={"role": "self"},
                        purposes=["employment_followup"], recipients=["nav"],
                        categories=["finances"], explicit=False, valid_from=utc(2026, 3, 1, 9),
                        evidence=EVIDENCE, notice=NOTICE)


def test_a_valid_token_acts_and_its_actor_is_stored_with_the_issuer(fixtures: Any) -> None:
    directory, tokens = fixtures
    with open_ledger(directory, actor_trust=trust(directory)) as ledger:
        grant(ledger, {"token": tokens["case_worker"]})
        events = ledger.subject_events(ADULT, actor={"token": tokens["case_worker"]},
                                       lookup_purpose=LOOKUP)
        granted = [e for e in events if e["kind"] == "grant_recorded"][0]
        assert granted["actor"] == {"id": "saksbehandler-17", "role": "case_worker",
                                    "issuer": signed_actors.ISSUER}
        assert tokens["case_worker"].rsplit(".", 1)[1] not in json.dumps(events)


@pytest.mark.parametrize("name, error, needle", [
    ("expired", consent.NotPermittedError, "expired"),
    ("wrong_issuer", consent.NotPermittedError, "another issuer"),
    ("wrong_key", consent.NotPermittedError, "does not verify"),
    ("unknown_role", consent.UnknownCodeError, "`janitor`"),
])
def test_bad_tokens_raise_and_nothing_changes(fixtures: Any, name: str, error: type,
                                              needle: str) -> None:
    directory, tokens = fixtures
    with open_ledger(directory, actor_trust=trust(directory)) as ledger:
        before = ledger.event_count
        with pytest.raises(error, match=needle) as raised:
            grant(ledger, {"token": tokens[name]})
        for part in tokens[name].split("."):
            assert part not in str(raised.value)
        assert ledger.event_count == before


def test_a_token_needs_a_trust_and_a_trust_needs_its_keys(fixtures: Any) -> None:
    directory, tokens = fixtures
    with open_ledger(directory) as ledger:
        with pytest.raises(consent.NotPermittedError, match="without an actor trust"):
            grant(ledger, {"token": tokens["case_worker"]})
        assert ledger.event_count == 1
    with pytest.raises(consent.StorageError):
        open_ledger(directory, actor_trust={"issuer": signed_actors.ISSUER,
                                            "jwks_file": str(directory / "missing.json")})
    with pytest.raises(consent.InvalidInputError):
        open_ledger(directory, actor_trust={"issuer": signed_actors.ISSUER})


def test_require_signed_actors_refuses_plain_actors(fixtures: Any) -> None:
    directory, tokens = fixtures
    with open_ledger(directory, actor_trust=trust(directory),
                     catalogue_file=directory / "require_signed.toml") as ledger:
        before = ledger.event_count
        with pytest.raises(consent.NotPermittedError, match="require_signed_actors"):
            grant(ledger, ACTOR)
        with pytest.raises(consent.NotPermittedError, match="require_signed_actors"):
            ledger.statistics(actor=AUDITOR)
        assert ledger.event_count == before
        grant(ledger, {"token": tokens["case_worker"]})
        assert ledger.event_count == before + 1
        assert "totals" in ledger.statistics(actor={"token": tokens["auditor"]})


def test_statistics_are_refused_to_a_case_worker_and_read_by_an_auditor(fixtures: Any) -> None:
    directory, tokens = fixtures
    with open_ledger(directory, actor_trust=trust(directory)) as ledger:
        with pytest.raises(consent.NotPermittedError, match="`statistics`"):
            ledger.statistics(actor=ACTOR)
        assert ledger.statistics(actor=AUDITOR)["min_cell"] == 5
        assert ledger.statistics(actor={"token": tokens["auditor"]})["min_cell"] == 5
        with pytest.raises(TypeError):
            ledger.statistics()  # type: ignore[call-arg]
