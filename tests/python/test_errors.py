"""Every exception class a real call can raise, with the event count unchanged."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, GrantFn, utc

ALL = [
    consent.InvalidInputError,
    consent.InvalidNationalIdError,
    consent.UnknownCodeError,
    consent.NotFoundError,
    consent.ConflictError,
    consent.NotPermittedError,
    consent.InvalidCatalogueError,
    consent.StorageError,
    consent.IntegrityError,
    consent.KeyMismatchError,
    consent.LockedError,
    consent.UnsupportedVersionError,
]


def test_hierarchy() -> None:
    assert issubclass(consent.ConsentError, Exception)
    assert consent.ConsentError.code is None
    for cls in ALL:
        assert issubclass(cls, consent.ConsentError)
        assert cls.__module__ == "consent"
        assert isinstance(cls.code, str)
    assert issubclass(consent.InvalidNationalIdError, consent.InvalidInputError)
    assert len({cls.code for cls in ALL}) == len(ALL)
    assert consent.UnknownCodeError.code == "unknown_code"


def raises_unchanged(
    ledger: consent.Ledger, cls: type[consent.ConsentError], call: Callable[[], Any], match: str | None = None
) -> consent.ConsentError:
    before = ledger.event_count
    with pytest.raises(cls, match=match) as info:
        call()
    assert type(info.value) is cls
    assert ledger.event_count == before
    assert ADULT not in str(info.value)
    return info.value


def test_invalid_national_id(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    bad = "15038510191"  # the example id with a wrong second control digit
    error = raises_unchanged(ledger, consent.InvalidNationalIdError, lambda: grant(subject=bad))
    assert bad not in str(error)
    raises_unchanged(
        ledger,
        consent.InvalidNationalIdError,
        lambda: ledger.decide(subject="123", recipient="nir", purpose="nir_registration",
                              categories=["name"], at=utc(2026, 1, 1)),
    )
    # A synthetic test number (month + 40) is accepted only in test mode.
    synthetic = "15438510190"
    raises_unchanged(ledger, consent.InvalidNationalIdError, lambda: grant(subject=synthetic))


def test_unknown_code(ledger: consent.Ledger, grant: GrantFn) -> None:
    raises_unchanged(ledger, consent.UnknownCodeError, lambda: grant(recipients=["mossad"]), match="mossad")
    raises_unchanged(
        ledger,
        consent.UnknownCodeError,
        lambda: ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                              categories=["shoe_size"], at=utc(2026, 1, 1)),
    )


def test_valid_until_before_valid_from(ledger: consent.Ledger, grant: GrantFn) -> None:
    raises_unchanged(
        ledger,
        consent.InvalidInputError,
        lambda: grant(valid_from=utc(2026, 5, 1), valid_until=utc(2026, 4, 1)),
        match="not after valid_from",
    )


def test_withdrawing_unknown_and_withdrawn_grants(ledger: consent.Ledger, grant: GrantFn) -> None:
    raises_unchanged(
        ledger, consent.NotFoundError,
        lambda: ledger.withdraw(str(uuid.uuid4()), at=utc(2026, 3, 1), actor=ACTOR),
    )
    raises_unchanged(
        ledger, consent.InvalidInputError,
        lambda: ledger.withdraw("not-a-uuid", at=utc(2026, 3, 1), actor=ACTOR),
    )
    grant_id = grant()
    ledger.withdraw(grant_id, at=utc(2026, 3, 1), actor=ACTOR)
    raises_unchanged(
        ledger, consent.ConflictError,
        lambda: ledger.withdraw(grant_id, at=utc(2026, 3, 2), actor=ACTOR),
        match="already withdrawn",
    )


def test_naive_datetimes_are_rejected(ledger: consent.Ledger, grant: GrantFn) -> None:
    naive = datetime(2026, 1, 5, 9)
    raises_unchanged(ledger, consent.InvalidInputError, lambda: grant(valid_from=naive), match="naive")
    raises_unchanged(ledger, consent.InvalidInputError, lambda: grant(valid_until=naive), match="naive")
    grant_id = grant()
    raises_unchanged(
        ledger, consent.InvalidInputError, lambda: ledger.withdraw(grant_id, at=naive, actor=ACTOR), match="naive"
    )
    raises_unchanged(
        ledger, consent.InvalidInputError,
        lambda: ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                              categories=["name"], at=naive),
        match="naive",
    )


def test_wrong_python_types_are_invalid_input(ledger: consent.Ledger, grant: GrantFn) -> None:
    cases: list[Callable[[], Any]] = [
        lambda: grant(valid_from="2026-01-05T09:00:00Z"),
        lambda: grant(purposes="health_coordination"),
        lambda: grant(explicit="yes"),
        lambda: grant(evidence={**EVIDENCE, "method": "carrier_pigeon"}),
        lambda: grant(evidence=object()),
        lambda: grant(colour="blue"),
        lambda: grant(subject=None),
        lambda: ledger.grant(actor=ACTOR),
        lambda: grant(actor={"id": "x"}),
        lambda: grant(actor="saksbehandler-17"),
        lambda: ledger.decide(subject=15038510190, recipient="nir", purpose="nir_registration",  # type: ignore[arg-type]
                              categories=["name"], at=utc(2026, 1, 1)),
        lambda: ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                              categories="name", at=utc(2026, 1, 1)),
        lambda: ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                              categories=[], at=utc(2026, 1, 1)),
        lambda: ledger.withdraw(42, at=utc(2026, 1, 1), actor=ACTOR),  # type: ignore[arg-type]
        lambda: grant(notice={"id": "n", "version": "1", "extra": True}),
        lambda: grant(evidence={**EVIDENCE, "reference": "fnr " + ADULT}),
    ]
    for index, case in enumerate(cases):
        try:
            raises_unchanged(ledger, consent.InvalidInputError, case)
        except BaseException as error:
            raise AssertionError(f"case {index}") from error


def test_not_permitted(ledger: consent.Ledger) -> None:
    raises_unchanged(
        ledger, consent.NotPermittedError,
        lambda: ledger.record_disclosure(subject=ADULT, recipient="bufetat", purpose="case_handling",
                                         categories=["name"], at=utc(2026, 1, 1), actor=ACTOR),
    )


def test_unsupported_version(ledger: consent.Ledger, grant: GrantFn) -> None:
    raises_unchanged(ledger, consent.UnsupportedVersionError, lambda: grant(version=2))


def test_wrong_path_types_are_invalid_input() -> None:
    with pytest.raises(consent.InvalidInputError):
        consent.Ledger.open(42)  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError):
        consent.Ledger.open(":memory:", key_file="x.key")


def test_idempotency_keys_make_retries_write_nothing(ledger: consent.Ledger, grant: GrantFn) -> None:
    """A retried grant or withdrawal (after a dropped connection, or a re-run import) with the
    same key returns what the first returned and writes nothing; the same key with other
    content is a conflict."""
    first = grant(idempotency_key="sak 2026/77 skjema")
    before = ledger.event_count
    assert grant(idempotency_key="sak 2026/77 skjema") == first
    assert ledger.event_count == before
    raises_unchanged(
        ledger, consent.ConflictError,
        lambda: grant(idempotency_key="sak 2026/77 skjema", categories=["name"]),
        match="idempotency key",
    )
    ledger.withdraw(first, at=utc(2026, 3, 1), actor=ACTOR, idempotency_key="trekk-77")
    before = ledger.event_count
    ledger.withdraw(first, at=utc(2026, 3, 1), actor=ACTOR, idempotency_key="trekk-77")
    assert ledger.event_count == before
    raises_unchanged(
        ledger, consent.ConflictError,
        lambda: ledger.withdraw(first, at=utc(2026, 3, 1), actor=ACTOR),
        match="already withdrawn",
    )
    raises_unchanged(
        ledger, consent.InvalidInputError,
        lambda: ledger.withdraw(first, at=utc(2026, 3, 1), actor=ACTOR, idempotency_key=""),
        match="idempotency_key",
    )
    raises_unchanged(
        ledger, consent.InvalidInputError,
        lambda: grant(idempotency_key=f"sak {ADULT}"),
        match="idempotency_key",
    )
