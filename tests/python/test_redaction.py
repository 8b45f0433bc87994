"""Security finding 3 through the Python package: a national id written in disguise is refused
in free text, and no exception's ``str`` or ``repr`` shows it, whether the core echoed the input
(a code, a JSON key, a file path) or the binding formatted it (a dict key, a field path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, utc, recorded

DISGUISES = [
    "150385 10190",
    "150385-10190",
    "150385/10190",
    "150385_10190",
    "150385:10190",
    "(150385) 10190",
    "150385  10190",
    "150385\u00a010190",
    "150385\u201310190",
    "150385\u200b10190",
    "\uff11\uff15\uff10\uff13\uff18\uff15\uff11\uff10\uff11\uff19\uff10",
    "\u0661\u0665\u0660\u0663\u0668\u0665\u0661\u0660\u0661\u0669\u0660",
    "2026150385101909",
]

#: Any piece of the id that a message must not show, in the scripts above.
PIECES = ["150385", "10190", "\uff11\uff15\uff10\uff13\uff18\uff15", "\u0661\u0665\u0660\u0663\u0668\u0665"]


def grant_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        subject=ADULT, grantor={"role": "self"}, purposes=["case_handling"],
        recipients=["nav"], categories=["family"], explicit=False,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE,
    )
    fields.update(changes)
    return fields


def calls(text: str, tmp: Path) -> list[Callable[[consent.Ledger], Any]]:
    return [
        # Refused free text.
        lambda l: l.grant(**grant_fields(), actor={"id": f"ref {text}", "role": "case_worker"}),
        lambda l: l.grant(**grant_fields(), actor={"id": "x", "role": text}),
        lambda l: l.grant(**grant_fields(evidence={**EVIDENCE, "reference": f"2026/{text}"}),
                          actor=ACTOR),
        # Echoed by the core.
        lambda l: l.decide(subject=ADULT, recipient=text, purpose="case_handling",
                           categories=["family"], at=utc(2026, 3, 1)),
        lambda l: l.decide(subject=text, recipient="nav", purpose="case_handling",
                           categories=["family"], at=utc(2026, 3, 1)),
        lambda l: l.grant(**grant_fields(), actor={"id": "x", "role": "r", text: 1}),
        lambda l: consent.Ledger.open(tmp / "no" / f"{text}.db"),
        lambda l: consent.Ledger.open(":memory:", catalogue_file=tmp / f"{text}.toml"),
        # Formatted by the binding: a dict key in a field path, a request index.
        lambda l: l.grant(**grant_fields(), actor={"id": "x", "role": "r", text: object()}),
        lambda l: l.grant(**grant_fields(notice={"id": "n", "version": "1", text: {1, 2}}),
                          actor=ACTOR),
        lambda l: l.decide_many([{"subject": ADULT, "recipient": text, "purpose": "case_handling",
                                  "categories": ["family"], "at": utc(2026, 3, 1)}]),
    ]


@pytest.mark.parametrize("text", DISGUISES)
def test_ids_in_disguise_are_refused_and_never_shown(text: str, tmp_path: Path) -> None:
    ledger = consent.Ledger.in_memory()
    for index, call in enumerate(calls(text, tmp_path)):
        with pytest.raises(consent.ConsentError) as caught:
            call(ledger)
        for shown in (str(caught.value), repr(caught.value)):
            for piece in PIECES:
                assert piece not in shown, f"call {index} shows `{shown}`"
    assert recorded(ledger) == 0
