"""The bad-input table through ``consent.Ledger``, mirroring consent-core/tests/bad_input.rs.

Every malformed input raises its own ``ConsentError`` subclass (the exact class, not a parent),
with a message that holds no national id, and leaves the event count unchanged. Beyond the Rust
table come the Python-only defects: naive datetimes, wrong types, ``None`` where a value is
required, lone surrogates, and ints too big for any field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, OTHER_ADULT, new_ledger, utc, recorded, DPO, LOOKUP

AUDITOR = {"id": "revisor-1", "role": "auditor"}

#: The embedded catalogue's source, for writing broken variants of it.
DEFAULT_TOML = (
    Path(__file__).resolve().parents[2] / "consent-core" / "src" / "catalogue" / "default.toml"
)

# Numbers whose control digits are valid, so only the tested defect is wrong (computed as the
# Rust table's with_number / national_id do, with consent_core::control_digits).
D_DAY_72 = "72038512049"
D_DAY_40 = "40038512058"
D_31_FEB = "71029012053"
FEB_29_2001 = "29020152190"
MONTH_13 = "01138512041"
SYNTHETIC = "01838512069"
HELP_NUMBER = "81111112088"
CHILD_14 = "01061151008"  # born 2011-06-01
TEEN_16 = "01060951027"  # born 2009-06-01
PARENT = "01028012019"  # born 1980-02-01
NO_GRANT = "01890a5d-ac96-774b-bcce-b302099a8057"

NATIONAL_ID = re.compile(r"\d{11}")


@dataclass
class Ctx:
    """What a row's call gets: the ledger, its one grant, and a scratch directory."""

    ledger: consent.Ledger
    grant_id: uuid.UUID
    tmp: Path


Call = Callable[[Ctx], Any]


def grant_fields(**overrides: Any) -> dict[str, Any]:
    """The Rust table's grant_json(ADULT, ["nav"], ["case_handling"], ["family"], false)."""
    fields: dict[str, Any] = {
        "subject": ADULT,
        "grantor": {"role": "self"},
        "purposes": ["case_handling"],
        "recipients": ["nav"],
        "categories": ["family"],
        "explicit": False,
        "valid_from": utc(2026, 1, 5, 9),
        "valid_until": None,
        "evidence": dict(EVIDENCE),
        "notice": dict(NOTICE),
    }
    fields.update(overrides)
    return fields


def grant(**overrides: Any) -> Call:
    actor = overrides.pop("actor", ACTOR)
    return lambda c: c.ledger.grant(actor=actor, **grant_fields(**overrides))


def grant_without(field: str) -> Call:
    def call(c: Ctx) -> Any:
        fields = grant_fields()
        del fields[field]
        return c.ledger.grant(actor=ACTOR, **fields)

    return call


def evidence(**overrides: Any) -> dict[str, Any]:
    return {**EVIDENCE, **overrides}


def decide(subject: Any = ADULT, **overrides: Any) -> Call:
    fields: dict[str, Any] = {
        "subject": subject,
        "recipient": "nav",
        "purpose": "case_handling",
        "categories": ["name"],
        "at": utc(2026, 3, 1),
    }
    fields.update(overrides)
    return lambda c: c.ledger.decide(**fields)


def disclose(**overrides: Any) -> Call:
    fields: dict[str, Any] = {
        "subject": ADULT,
        "recipient": "nav",
        "purpose": "case_handling",
        "categories": ["family"],
        "at": utc(2026, 3, 1),
        "actor": ACTOR,
    }
    fields.update(overrides)
    return lambda c: c.ledger.record_disclosure(**fields)


def refuse(**overrides: Any) -> Call:
    fields = grant_fields()
    for key in ("explicit", "valid_from", "valid_until"):
        del fields[key]
    fields["at"] = utc(2026, 2, 1, 10)
    fields.update(overrides)
    return lambda c: c.ledger.refuse(actor=ACTOR, **fields)


def withdraw(grant_id: Any = None, **overrides: Any) -> Call:
    fields: dict[str, Any] = {"at": utc(2026, 3, 1), "actor": ACTOR, "reason": None}
    fields.update(overrides)
    return lambda c: c.ledger.withdraw(c.grant_id if grant_id is None else grant_id, **fields)


def rectify(field: Any = "evidence_reference", value: Any = "2026/1235", **overrides: Any) -> Call:
    fields: dict[str, Any] = {"reason": "the form said otherwise", "actor": ACTOR}
    subject = overrides.pop("subject", ADULT)
    grant_id = overrides.pop("grant_id", None)
    fields.update(overrides)
    return lambda c: c.ledger.rectify(
        subject, c.grant_id if grant_id is None else grant_id, field=field, value=value, **fields
    )


def statistics(**kwargs: Any) -> Call:
    return lambda c: c.ledger.statistics(actor=AUDITOR, **kwargs)


def reconsent(at: Any = None, window: Any = timedelta(days=30)) -> Call:
    return lambda c: c.ledger.reconsent_due(at=utc(2026, 3, 1) if at is None else at, window=window)


def catalogue(edit: Callable[[str], str]) -> Call:
    """Opens an in-memory ledger with the embedded catalogue changed by `edit`."""

    def call(c: Ctx) -> Any:
        path = c.tmp / "catalogue.toml"
        path.write_text(edit(DEFAULT_TOML.read_text(encoding="utf-8")), encoding="utf-8")
        return new_ledger(catalogue_file=path)

    return call


def unknown_category(toml: str) -> str:
    assert '"finances"]' in toml, "the catalogue fixture no longer has the edited rule"
    return toml.replace('"finances"]', '"finance"]')


def missing_catalogue(c: Ctx) -> Any:
    return new_ledger(catalogue_file=c.tmp / "no-such-catalogue.toml")


def decide_many_one_bad(c: Ctx) -> Any:
    good = {
        "subject": ADULT,
        "recipient": "nav",
        "purpose": "case_handling",
        "categories": ["name"],
        "at": utc(2026, 3, 1),
    }
    return c.ledger.decide_many([good, {**good, "at": datetime(2026, 3, 1)}])


def self_containing_list() -> list[Any]:
    items: list[Any] = []
    items.append(items)
    return items


def self_containing_actor() -> dict[str, Any]:
    actor: dict[str, Any] = {"role": "case_worker"}
    actor["id"] = actor
    return actor


def nested(depth: int) -> list[Any]:
    items: list[Any] = []
    for _ in range(depth):
        items = [items]
    return items


class IntOffset(tzinfo):
    """A broken tzinfo: utcoffset() returns an int, so datetime.utcoffset() raises TypeError."""

    def utcoffset(self, dt: Any) -> Any:
        return 5


class RaisingOffset(tzinfo):
    """A broken tzinfo whose utcoffset() raises."""

    def utcoffset(self, dt: Any) -> Any:
        raise RuntimeError("no offset today")


E = consent
ROWS: list[Any] = [
    # National identity numbers, through decide.
    (E.InvalidNationalIdError, decide("15038510180"), "fnr: wrong first control digit"),
    (E.InvalidNationalIdError, decide("15038510191"), "fnr: wrong second control digit"),
    (E.InvalidNationalIdError, decide("1503851019"), "fnr: ten digits"),
    (E.InvalidNationalIdError, decide("150385101900"), "fnr: twelve digits"),
    (E.InvalidNationalIdError, decide("1503851019O"), "fnr: a letter"),
    (E.InvalidNationalIdError, decide(""), "fnr: empty"),
    (E.InvalidNationalIdError, decide("1503851\x00190"), "fnr: NUL byte"),
    (E.InvalidNationalIdError, decide("150385 10190"), "fnr: spaces"),
    (E.InvalidNationalIdError, decide("١٥٠٣٨٥١٠١٩٠"), "fnr: non-ASCII digits"),
    (E.InvalidNationalIdError, decide(D_DAY_72), "d-nummer: day 72"),
    (E.InvalidNationalIdError, decide(D_DAY_40), "d-nummer: day 40 (day 0)"),
    (E.InvalidNationalIdError, decide(D_31_FEB), "d-nummer: 31 February"),
    (E.InvalidNationalIdError, decide(FEB_29_2001), "fnr: 29 February 2001"),
    (E.InvalidNationalIdError, decide(MONTH_13), "fnr: month 13"),
    (
        E.InvalidNationalIdError,
        lambda c: consent.Ledger.in_memory().decide(
            subject=SYNTHETIC, recipient="nav", purpose="case_handling", categories=["name"],
            at=utc(2026, 3, 1),
        ),
        "fnr: synthetic outside test mode",
    ),
    (E.InvalidNationalIdError, decide(HELP_NUMBER), "fnr: help number"),
    (E.InvalidNationalIdError, decide("1" * 1_000_000), "fnr: a million digits"),
    (E.InvalidInputError, decide(15038510190), "fnr: an int"),
    (E.InvalidInputError, decide(None), "fnr: None"),
    (E.InvalidInputError, decide(b"15038510190"), "fnr: bytes"),
    (E.InvalidInputError, decide("1503851019\ud800"), "fnr: a lone surrogate"),
    # Grant documents.
    (E.UnknownCodeError, grant(purposes=["holidays"]), "grant: unknown purpose"),
    (E.UnknownCodeError, grant(recipients=["the_press"]), "grant: unknown recipient"),
    (E.UnknownCodeError, grant(categories=["shoe_size"]), "grant: unknown category"),
    (E.UnknownCodeError, grant(categories=["Family"]), "grant: malformed code"),
    (E.UnknownCodeError, grant(categories=[""]), "grant: empty code"),
    (E.InvalidInputError, grant(categories=["family", "family"]), "grant: duplicate category"),
    (
        E.InvalidInputError,
        grant(purposes=["case_handling", "case_handling"]),
        "grant: duplicate purpose",
    ),
    (E.InvalidInputError, grant(purposes=[]), "grant: no purposes"),
    (
        E.InvalidInputError,
        grant(valid_until=utc(2025, 1, 1)),
        "grant: valid_until before valid_from",
    ),
    (
        E.InvalidInputError,
        grant(valid_until=utc(2026, 1, 5, 9)),
        "grant: valid_until equal to valid_from",
    ),
    (E.InvalidInputError, grant(valid_from=datetime(2026, 1, 5, 9)), "grant: naive valid_from"),
    (
        E.InvalidInputError,
        grant(valid_until=datetime(2027, 1, 5, 9)),
        "grant: naive valid_until",
    ),
    (E.InvalidInputError, grant(valid_from=utc(1700, 1, 5, 9)), "grant: year 1700"),
    (E.InvalidInputError, grant(valid_from="2026-01-05T09:00:00Z"), "grant: valid_from a str"),
    (E.InvalidInputError, grant(valid_from=None), "grant: valid_from None"),
    (E.InvalidInputError, grant(colour="blue"), "grant: unknown field"),
    (E.InvalidInputError, grant_without("notice"), "grant: missing field"),
    (E.InvalidInputError, grant(explicit="yes"), "grant: explicit as a string"),
    (E.UnsupportedVersionError, grant(version=2), "grant: schema version 2"),
    (E.InvalidInputError, grant(version=2**70), "grant: schema version 2**70"),
    (E.InvalidInputError, grant(categories="family"), "grant: categories a str"),
    (E.InvalidInputError, grant(categories=[1]), "grant: a category an int"),
    (E.InvalidInputError, grant(categories=None), "grant: categories None"),
    (E.InvalidInputError, grant(subject=15038510190), "grant: subject an int"),
    (E.InvalidInputError, grant(subject="\ud800"), "grant: subject a lone surrogate"),
    (
        E.InvalidInputError,
        grant(evidence=evidence(reference="x" * 200)),
        "grant: oversized evidence reference",
    ),
    (
        E.InvalidInputError,
        grant(evidence=evidence(reference="")),
        "grant: empty evidence reference",
    ),
    (
        E.InvalidInputError,
        grant(evidence=evidence(reference="2026/\x0012")),
        "grant: NUL in evidence reference",
    ),
    (
        E.InvalidInputError,
        grant(evidence=evidence(reference="2026/\udc00")),
        "grant: lone surrogate in evidence reference",
    ),
    (
        E.InvalidInputError,
        grant(evidence=evidence(reference=f"fnr {ADULT}")),
        "grant: a national id in the evidence reference",
    ),
    (E.InvalidInputError, grant(evidence=evidence(language="Arabic")), "grant: bad language tag"),
    (
        E.InvalidInputError,
        grant(evidence=evidence(method="telepathy")),
        "grant: unknown evidence method",
    ),
    (E.InvalidInputError, grant(evidence="signed_paper"), "grant: evidence a str"),
    (
        E.InvalidInputError,
        grant(notice={"id": "n" * 300, "version": "1"}),
        "grant: oversized notice id",
    ),
    (E.InvalidInputError, grant(grantor={"role": "neighbour"}), "grantor: unknown role"),
    (E.InvalidInputError, grant(grantor={"role": "self", "id": ADULT}), "grantor: self with an id"),
    (
        E.InvalidInputError,
        grant(grantor={"role": "verge", "authority": "x"}),
        "grantor: verge without an id",
    ),
    (
        E.InvalidNationalIdError,
        grant(grantor={"role": "verge", "id": "15038510191", "authority": "x"}),
        "grantor: verge with a bad id",
    ),
    (
        E.InvalidInputError,
        grant(grantor={"role": "verge", "id": ADULT, "authority": "x"}),
        "grantor: the subject as its own verge",
    ),
    (
        E.InvalidInputError,
        grant(grantor={"role": "parent", "id": PARENT, "authority": "x"}),
        "grantor: a parent for an adult",
    ),
    (E.InvalidInputError, grant(subject=CHILD_14), "grant: a 14-year-old alone"),
    (
        E.InvalidInputError,
        grant(subject=CHILD_14, categories=["health"], explicit=True),
        "grant: a 14-year-old alone to health data",
    ),
    (
        E.InvalidInputError,
        grant(subject=TEEN_16),
        "grant: a 16-year-old alone without a maturity assessment",
    ),
    (
        E.InvalidInputError,
        grant(subject=CHILD_14, grantor={"role": "verge", "id": ADULT, "authority": "x"}),
        "grant: a verge for a 14-year-old who was not heard",
    ),
    (
        E.InvalidInputError,
        grant(subject=TEEN_16, maturity_assessment={"assessed_by": "helsesykepleier"}),
        "grant: a maturity assessment without a reference",
    ),
    # Actors.
    (E.InvalidInputError, grant(actor={"id": "", "role": "case_worker"}), "actor: empty id"),
    (
        E.InvalidInputError,
        grant(actor={"id": "ola\nnordmann", "role": "case_worker"}),
        "actor: control character",
    ),
    (
        E.InvalidInputError,
        grant(actor={"id": "saksbehandler-17", "role": "CaseWorker"}),
        "actor: uppercase role",
    ),
    (
        E.InvalidInputError,
        grant(actor={"id": ADULT, "role": "case_worker"}),
        "actor: a national id as the user id",
    ),
    (
        E.InvalidInputError,
        grant(actor={"id": "a", "role": "b", "x": 1}),
        "actor: unknown field",
    ),
    (E.InvalidInputError, grant(actor="saksbehandler-17"), "actor: a str"),
    (E.InvalidInputError, grant(actor=None), "actor: None"),
    (
        E.InvalidInputError,
        grant(actor={"id": "\ud800", "role": "case_worker"}),
        "actor: a lone surrogate",
    ),
    # Withdrawals.
    (E.InvalidInputError, withdraw(at=utc(2025, 12, 1)), "withdraw: before the grant takes effect"),
    (E.InvalidInputError, withdraw(reason="a\x07b"), "withdraw: reason with a control character"),
    (E.InvalidInputError, withdraw(reason="\ud800"), "withdraw: reason a lone surrogate"),
    (E.NotFoundError, withdraw(NO_GRANT), "withdraw: an unknown grant"),
    (E.InvalidInputError, withdraw("not-a-uuid"), "withdraw: a malformed grant id"),
    (E.InvalidInputError, withdraw(""), "withdraw: an empty grant id"),
    (E.InvalidInputError, withdraw(12345), "withdraw: grant id an int"),
    (E.InvalidInputError, withdraw(at=utc(1800, 1, 1)), "withdraw: year 1800"),
    (E.InvalidInputError, withdraw(at=datetime(2026, 3, 1)), "withdraw: naive datetime"),
    (E.InvalidInputError, withdraw(at=None), "withdraw: at None"),
    (E.InvalidInputError, withdraw(at=1772366400000), "withdraw: at Unix milliseconds"),
    (
        E.InvalidInputError,
        withdraw(at=datetime.max.replace(tzinfo=timezone(-timedelta(hours=1)))),
        "withdraw: datetime.max behind UTC (overflows)",
    ),
    (
        E.InvalidInputError,
        withdraw(at=datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))),
        "withdraw: datetime.min ahead of UTC (overflows)",
    ),
    # A tzinfo whose utcoffset() fails used to escape as a bare TypeError / RuntimeError.
    (
        E.InvalidInputError,
        withdraw(at=datetime(2026, 3, 1, tzinfo=IntOffset())),
        "withdraw: a tzinfo whose utcoffset returns an int",
    ),
    (
        E.InvalidInputError,
        decide(at=datetime(2026, 3, 1, tzinfo=RaisingOffset())),
        "decide: a tzinfo whose utcoffset raises",
    ),
    # These used to overflow the native stack and kill the interpreter (SIGSEGV).
    (
        E.InvalidInputError,
        grant(colour=self_containing_list()),
        "grant: a list that contains itself",
    ),
    (E.InvalidInputError, grant(colour=nested(100_000)), "grant: lists nested 100000 deep"),
    (
        E.InvalidInputError,
        grant(actor=self_containing_actor()),
        "actor: a dict that contains itself",
    ),
    # Decisions.
    (E.UnknownCodeError, decide(recipient="the_press"), "decide: unknown recipient"),
    (E.UnknownCodeError, decide(purpose="holidays"), "decide: unknown purpose"),
    (E.UnknownCodeError, decide(categories=["shoe_size"]), "decide: unknown category"),
    (E.InvalidInputError, decide(categories=[]), "decide: no categories"),
    (E.InvalidInputError, decide(categories=["name", "name"]), "decide: duplicate category"),
    (E.InvalidInputError, decide(at=utc(1800, 3, 1)), "decide: year 1800"),
    (E.InvalidInputError, decide(at=datetime(2026, 3, 1)), "decide: naive datetime"),
    (E.InvalidInputError, decide(categories="name"), "decide: categories a str"),
    (E.InvalidInputError, decide(categories=None), "decide: categories None"),
    (E.InvalidInputError, decide(recipient=None), "decide: recipient None"),
    (E.InvalidInputError, decide(purpose="\ud800"), "decide: purpose a lone surrogate"),
    (E.InvalidInputError, decide_many_one_bad, "decide_many: one naive datetime"),
    # Recorded disclosures.
    (E.NotPermittedError, disclose(categories=["health"]), "disclose: no basis"),
    (E.UnknownCodeError, disclose(recipient="the_press"), "disclose: unknown recipient"),
    (E.InvalidNationalIdError, disclose(subject="15038510191"), "disclose: bad subject"),
    (
        E.InvalidInputError,
        disclose(actor={"id": "", "role": "case_worker"}),
        "disclose: a permitted disclosure with a malformed actor",
    ),
    (E.InvalidInputError, disclose(at=datetime(2026, 3, 1)), "disclose: naive datetime"),
    # Refusals.
    (E.UnknownCodeError, refuse(purposes=["holidays"]), "refuse: unknown purpose"),
    (E.InvalidNationalIdError, refuse(subject="15038510191"), "refuse: bad subject"),
    (E.InvalidInputError, refuse(at=datetime(2026, 2, 1, 10)), "refuse: naive datetime"),
    (E.InvalidInputError, refuse(recipients=["nav", "nav"]), "refuse: duplicate recipient"),
    (E.UnsupportedVersionError, refuse(version=2), "refuse: schema version 2"),
    # Rights.
    (E.InvalidNationalIdError, lambda c: c.ledger.subject_export("15038510191", actor=ACTOR, lookup_purpose=LOOKUP), "export: bad id"),
    (E.InvalidInputError, lambda c: c.ledger.subject_export(None, actor=ACTOR, lookup_purpose=LOOKUP), "export: None"),
    (
        E.InvalidInputError,
        lambda c: c.ledger.register_access_request(
            ADULT, received_at=datetime(2026, 3, 1), actor=ACTOR
        ),
        "access request: naive datetime",
    ),
    (
        E.InvalidInputError,
        rectify("valid_until", utc(2025, 1, 1)),
        "rectify: valid_until before valid_from",
    ),
    (E.InvalidInputError, rectify("valid_from", datetime(2026, 1, 6)), "rectify: naive datetime"),
    (E.InvalidInputError, rectify("subject", "x"), "rectify: unknown field"),
    (E.InvalidInputError, rectify(value=""), "rectify: empty evidence reference"),
    (E.InvalidInputError, rectify(value=1235), "rectify: evidence reference an int"),
    (E.InvalidInputError, rectify(reason=""), "rectify: empty reason"),
    (E.InvalidInputError, rectify(grant_id="not-a-uuid"), "rectify: a malformed grant id"),
    (E.NotFoundError, rectify(grant_id=NO_GRANT), "rectify: a grant the subject does not have"),
    (E.NotFoundError, rectify(subject=OTHER_ADULT), "rectify: a subject the ledger does not hold"),
    (
        E.NotFoundError,
        lambda c: c.ledger.request_erasure(OTHER_ADULT, actor=DPO),
        "erasure: a subject the ledger does not hold",
    ),
    (
        E.InvalidInputError,
        lambda c: c.ledger.request_erasure(ADULT, actor={"role": "x"}),
        "erasure: a malformed actor",
    ),
    (E.InvalidInputError, statistics(min_cell=-1), "statistics: min_cell -1"),
    (E.InvalidInputError, statistics(min_cell=1), "statistics: min_cell below the catalogue's"),
    (E.InvalidInputError, statistics(min_cell=2**40), "statistics: min_cell 2**40"),
    (E.InvalidInputError, statistics(min_cell=2**64), "statistics: min_cell 2**64"),
    (E.InvalidInputError, statistics(min_cell=10**100), "statistics: min_cell 10**100"),
    (E.InvalidInputError, statistics(min_cell="5"), "statistics: min_cell a str"),
    (E.InvalidInputError, statistics(min_cell=5.0), "statistics: min_cell a float"),
    (E.InvalidInputError, statistics(from_period="2026-01-01T00:00:00Z"), "statistics: an instant, not a period"),
    (E.InvalidInputError, reconsent(window=timedelta(days=-1)), "reconsent: negative window"),
    (E.InvalidInputError, reconsent(window=30), "reconsent: window an int"),
    (E.InvalidInputError, reconsent(at=datetime(2026, 3, 1)), "reconsent: naive datetime"),
    (E.InvalidInputError, reconsent(window=timedelta.max), "reconsent: window timedelta.max"),
    # Catalogues.
    (
        E.InvalidCatalogueError,
        catalogue(unknown_category),
        "catalogue: a rule naming an unknown category",
    ),
    (E.InvalidCatalogueError, catalogue(lambda _: "[[rule]\ncode ="), "catalogue: TOML syntax"),
    (
        E.InvalidCatalogueError,
        catalogue(lambda t: t + '\n[[purpose]]\ncode = "statistics"\nname = "x"\n'),
        "catalogue: duplicate purpose",
    ),
    (E.StorageError, missing_catalogue, "catalogue: a file that does not exist"),
    (
        E.InvalidInputError,
        lambda c: new_ledger(catalogue_file=42),
        "catalogue: catalogue_file an int",
    ),
]

PARAMS = [pytest.param(error, call, id=name) for error, call, name in ROWS]


@pytest.fixture
def ctx(tmp_path: Path) -> Ctx:
    # A test ledger whose clock reads the day the grant was signed.
    ledger = new_ledger()
    grant_id = ledger.grant(actor=ACTOR, **grant_fields())
    return Ctx(ledger, grant_id, tmp_path)


def test_the_table_is_large_enough() -> None:
    assert len(ROWS) >= 40
    assert len({name for _, _, name in ROWS}) == len(ROWS), "row names must be unique"


@pytest.mark.parametrize(("error", "call"), PARAMS)
def test_bad_input(ctx: Ctx, error: type[consent.ConsentError], call: Call) -> None:
    before = ctx.ledger.event_count
    with pytest.raises(consent.ConsentError) as caught:
        call(ctx)
    assert type(caught.value) is error, f"{type(caught.value).__name__}: {caught.value}"
    assert caught.value.code == error.code
    message = str(caught.value)
    assert message
    assert NATIONAL_ID.search(message) is None, message
    assert ctx.ledger.event_count == before


def test_double_withdrawal_is_a_conflict_and_changes_nothing(ctx: Ctx) -> None:
    ctx.ledger.withdraw(ctx.grant_id, at=utc(2026, 3, 1), actor=ACTOR)
    before = ctx.ledger.event_count
    with pytest.raises(consent.ConsentError) as caught:
        ctx.ledger.withdraw(ctx.grant_id, at=utc(2026, 3, 2), actor=ACTOR)
    assert type(caught.value) is consent.ConflictError
    assert NATIONAL_ID.search(str(caught.value)) is None
    assert ctx.ledger.event_count == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evidence": {**EVIDENCE, "interpreter": "yes"}},
         'evidence.interpreter: invalid type: string "yes", expected a boolean'),
        ({"evidence": {**EVIDENCE, "interpreter": 1}},
         "evidence.interpreter: invalid type: integer `1`, expected a boolean"),
        ({"evidence": {**EVIDENCE, "method": "fax"}}, "evidence.method: unknown variant `fax`"),
        ({"evidence": {k: v for k, v in EVIDENCE.items() if k != "language"}},
         "evidence: missing field `language`"),
        ({"evidence": {**EVIDENCE, "colour": "red"}}, "evidence: unknown field `colour`"),
        ({"notice": {"id": "bosetting-personvern", "version": 2024}},
         "notice.version: invalid type: integer `2024`, expected a string"),
        ({"grantor": {"role": 7}}, "grantor.role: invalid type: integer `7`"),
        ({"purposes": ["case_handling", 5]}, "purposes[1]: invalid type: integer `5`"),
        ({"explicit": "no"}, 'explicit: invalid type: string "no", expected a boolean'),
        ({"colour": "red"}, "grant: unknown field `colour`"),
        ({"actor": {"id": "saksbehandler-17", "role": 3}},
         "actor.role: invalid type: integer `3`, expected a string"),
        ({"actor": {"id": "saksbehandler-17"}}, "actor: missing field `role`"),
    ],
)
def test_errors_in_nested_arguments_name_the_field(ledger: consent.Ledger, change: dict[str, Any],
                                                  message: str) -> None:
    fields = grant_fields()
    fields.update(change)
    actor = fields.pop("actor", ACTOR)
    with pytest.raises(consent.InvalidInputError) as info:
        ledger.grant(actor=actor, **fields)
    text = str(info.value)
    assert text.startswith(message), text
    assert "line 1" not in text and "column" not in text, text
    assert recorded(ledger) == 0


def test_errors_in_a_refusal_name_the_field(ledger: consent.Ledger) -> None:
    fields = grant_fields()
    for key in ("explicit", "valid_from", "valid_until"):
        fields.pop(key, None)
    with pytest.raises(consent.InvalidInputError, match=r"^evidence\.interpreter: invalid type"):
        ledger.refuse(actor=ACTOR, at=utc(2026, 2, 1), **{**fields, "evidence": {**EVIDENCE, "interpreter": "no"}})
    assert recorded(ledger) == 0
