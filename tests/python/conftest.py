"""Shared fixtures: ledgers, instants, and valid national ids.

The ids are not real people's. The adult id is the project's documented example. The others
were computed with the core's hidden helper `consent_core::control_digits(first_nine)`, which
returns the full 11 digits when the nine leading digits have valid control digits, e.g.

    consent_core::control_digits("150312500") == Some("15031250010")

(day 15, month 03, year 12, individual number 500: born 2012-03-15).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Callable

import pytest

import consent

#: An adult (born 1985-03-15), the project's example id.
ADULT = "15038510190"
#: Another adult (born 1990-01-01): control_digits("010190124").
OTHER_ADULT = "01019012480"
#: A child born 2012-03-15 (14 in 2026, 18 on 2030-03-15): control_digits("150312500").
CHILD = "15031250010"
#: The child's verge, an adult born 1978-03-20: control_digits("200378101").
VERGE = "20037810100"

ACTOR = {"id": "saksbehandler-17", "role": "case_worker"}
# The roles the default catalogue lets request erasure, lift, resolve (DPO) and shred (archivist).
DPO = {"id": "personvernombud-1", "role": "dpo"}
ARCHIVIST = {"id": "arkivar-1", "role": "archivist"}
# The purpose of lookup the tests state when they read a person's data.
LOOKUP = "sak 2026/55: test"
EVIDENCE = {
    "method": "signed_paper",
    "reference": "2026/1234",
    "language": "ar",
    "interpreter": True,
}
NOTICE = {"id": "bosetting-personvern", "version": "2024-10-16"}


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]


#: When the fixtures record: the morning their grants start (2026-01-05T09:00Z), so that no
#: fixture's `valid_from` lies more than the catalogue's 30 days before it is recorded.
CLOCK = utc(2026, 1, 5, 10)


def new_ledger(**options: Any) -> consent.Ledger:
    """An in-memory ledger whose clock reads `CLOCK` (a test clock needs test mode)."""
    return consent.Ledger.in_memory(test_mode=True, clock=CLOCK, **options)


def recorded(ledger: consent.Ledger) -> int:
    """The events the test's own calls recorded: every event but the catalogue adoptions (a new
    ledger's first event records the adoption of its catalogue)."""
    return sum(1 for event in ledger.events() if event["kind"] != "catalogue_adopted")


def recorded_events(ledger: consent.Ledger) -> list[dict[str, Any]]:
    """Those events themselves, in log order."""
    return [event for event in ledger.events() if event["kind"] != "catalogue_adopted"]


@pytest.fixture
def ledger() -> consent.Ledger:
    return new_ledger()


GrantFn = Callable[..., uuid.UUID]


@pytest.fixture
def grant(ledger: consent.Ledger) -> GrantFn:
    """Grants with sensible defaults; keyword arguments override any field."""

    def make(**overrides: Any) -> uuid.UUID:
        fields: dict[str, Any] = {
            "subject": ADULT,
            "grantor": {"role": "self"},
            "purposes": ["health_coordination"],
            "recipients": ["laeringssenteret"],
            "categories": ["health"],
            "explicit": True,
            "valid_from": utc(2026, 1, 5, 9),
            "valid_until": None,
            "evidence": EVIDENCE,
            "notice": NOTICE,
        }
        fields.update(overrides)
        actor = fields.pop("actor", ACTOR)
        return ledger.grant(**fields, actor=actor)

    return make
