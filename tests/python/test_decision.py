"""Decisions: statutes, consent, explicit consent, scope, withdrawal, expiry, minors."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

import consent
from conftest import ACTOR, ADULT, CHILD, NOTICE, EVIDENCE, VERGE, GrantFn, utc, new_ledger, recorded, recorded_events


def decide_health(ledger: consent.Ledger, at: datetime) -> consent.Decision:
    return ledger.decide(
        subject=ADULT,
        recipient="laeringssenteret",
        purpose="health_coordination",
        categories=["health"],
        at=at,
    )


def test_nir_registration_is_permitted_by_statute_without_consent(ledger: consent.Ledger) -> None:
    decision = ledger.decide(
        subject=ADULT,
        recipient="nir",
        purpose="nir_registration",
        categories=["name", "national_id", "programme_participation"],
        at=utc(2026, 1, 5),
    )
    assert decision.permitted
    assert decision.denial is None
    assert [b["category"] for b in decision.bases] == ["name", "national_id", "programme_participation"]
    for outcome in decision.bases:
        assert outcome["permitted"] is True
        basis = outcome["basis"]
        assert basis["kind"] == "statute"
        assert basis["rule"] == "nir_registration"
        assert basis["statute"] == "integreringsloven § 43"
    assert recorded(ledger) == 0


def test_health_to_laeringssenteret_is_denied_without_consent(ledger: consent.Ledger) -> None:
    decision = decide_health(ledger, utc(2026, 2, 1))
    assert not decision.permitted
    assert decision.denial == "no_basis"
    assert decision.bases == [{"category": "health", "permitted": False, "reason": "no_basis"}]


def test_health_needs_explicit_consent(ledger: consent.Ledger, grant: GrantFn) -> None:
    # Consent that is not explicit could never cover health: refused at the door.
    with pytest.raises(consent.InvalidInputError, match="explicit"):
        grant(explicit=False)
    assert recorded(ledger) == 0
    denied = decide_health(ledger, utc(2026, 2, 1))
    assert not denied.permitted
    assert denied.denial == "no_basis"

    grant_id = grant(explicit=True)
    permitted = decide_health(ledger, utc(2026, 2, 1))
    assert permitted.permitted
    (outcome,) = permitted.bases
    assert outcome["basis"]["kind"] == "consent"
    assert outcome["basis"]["grant_id"] == grant_id
    assert outcome["basis"]["explicit"] is True
    assert outcome["basis"]["art9"] is not None


def test_consent_covers_only_its_purpose_and_recipient(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant(purposes=["case_handling"], recipients=["nav"], categories=["finances"], explicit=False)
    at = utc(2026, 3, 1)

    def decide(recipient: str, purpose: str) -> consent.Decision:
        return ledger.decide(subject=ADULT, recipient=recipient, purpose=purpose, categories=["finances"], at=at)

    assert decide("nav", "case_handling").permitted
    other_purpose = decide("nav", "employment_followup")
    assert not other_purpose.permitted and other_purpose.denial == "no_basis"
    other_recipient = decide("okonomiavdelingen", "case_handling")
    assert not other_recipient.permitted and other_recipient.denial == "no_basis"


def test_withdrawal_takes_effect_at_its_instant(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    t = utc(2026, 4, 1, 12)
    ledger.withdraw(grant_id, at=t, actor=ACTOR, reason="subject asked by phone")
    assert decide_health(ledger, t - timedelta(microseconds=1)).permitted
    after = decide_health(ledger, t)
    assert not after.permitted
    assert after.denial == "withdrawn"


def test_grant_expires_at_valid_until(ledger: consent.Ledger, grant: GrantFn) -> None:
    until = utc(2026, 6, 30)
    grant(valid_until=until)
    assert decide_health(ledger, until - timedelta(seconds=1)).permitted
    expired = decide_health(ledger, until)
    assert not expired.permitted
    assert expired.denial == "expired"


def test_before_valid_from_there_is_no_basis(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant(valid_from=utc(2026, 5, 1))
    assert decide_health(ledger, utc(2026, 4, 30)).denial == "no_basis"


def test_a_minor_cannot_consent_alone_but_a_verge_can_until_18(ledger: consent.Ledger, grant: GrantFn) -> None:
    child_grant = dict(
        subject=CHILD,
        purposes=["case_handling"],
        recipients=["bufetat"],
        categories=["family", "address"],
        explicit=False,
        valid_from=utc(2026, 6, 1),
    )
    before = ledger.event_count
    with pytest.raises(consent.InvalidInputError, match="under 15"):
        grant(**child_grant, grantor={"role": "self"})
    assert ledger.event_count == before

    grantor = {"role": "verge", "id": VERGE, "authority": "fylkesmannen-2025/77"}
    # The child is 14: a representative's grant records that the child was heard.
    with pytest.raises(consent.InvalidInputError, match="child was heard"):
        grant(**child_grant, grantor=grantor)
    assert ledger.event_count == before
    grant(**child_grant, grantor=grantor,
          child_heard={"at": utc(2026, 1, 4, 12), "position": "agrees", "reference": "2026/1233"})
    assert ledger.event_count == before + 1

    def decide(at: datetime) -> consent.Decision:
        return ledger.decide(subject=CHILD, recipient="bufetat", purpose="case_handling", categories=["family"], at=at)

    assert decide(utc(2026, 6, 2)).permitted
    assert decide(utc(2030, 3, 1)).permitted
    # The child turns 18 on 2030-03-15 (Norwegian time); the verge's grant lapses then.
    lapsed = decide(utc(2030, 3, 16))
    assert not lapsed.permitted
    assert lapsed.denial == "reconsent_required"


def test_decision_attributes_and_repr_hide_the_national_id(ledger: consent.Ledger) -> None:
    at = datetime(2026, 1, 5, 10, tzinfo=timezone(timedelta(hours=1)))
    decision = ledger.decide(subject=ADULT, recipient="imdi", purpose="settlement", categories=["name"], at=at)
    assert decision.at == utc(2026, 1, 5, 9)
    assert decision.at.tzinfo == timezone.utc
    assert decision.recipient == "imdi"
    assert decision.purpose == "settlement"
    text = repr(decision)
    assert text == "<Decision permitted: imdi for settlement at 2026-01-05T09:00:00Z; name: statute imdi_settlement>"
    assert ADULT not in text
    assert ADULT not in decision.to_json()
    with pytest.raises(AttributeError):
        decision.permitted = False  # type: ignore[misc]


def test_to_dict_is_the_core_json(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    decision = ledger.decide(
        subject=ADULT,
        recipient="laeringssenteret",
        purpose="health_coordination",
        categories=["health", "name"],
        at=utc(2026, 2, 1),
    )
    as_dict = decision.to_dict()
    # The core's JSON, with the grant id as a uuid.UUID.
    core = json.loads(decision.to_json())
    core["categories"][0]["basis"]["grant_id"] = uuid.UUID(core["categories"][0]["basis"]["grant_id"])
    assert as_dict == core
    assert json.loads(json.dumps(as_dict, default=str)) == json.loads(decision.to_json())
    assert as_dict["version"] == 1
    assert as_dict["permitted"] is False
    assert as_dict["at"] == "2026-02-01T00:00:00Z"
    assert as_dict["recipient"] == "laeringssenteret"
    assert as_dict["categories"] == decision.bases
    health, name = as_dict["categories"]
    assert health["basis"]["grant_id"] == grant_id
    assert name == {"category": "name", "permitted": False, "reason": "no_basis"}
    assert decision.denial == "no_basis"


def test_decide_many_matches_decide(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    requests = [
        {"subject": ADULT, "recipient": "laeringssenteret", "purpose": "health_coordination",
         "categories": ["health"], "at": utc(2026, 1, 1 + day)}
        for day in range(10)
    ] + [
        {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
         "categories": ["name"], "at": utc(2026, 1, 5)}
    ]
    decisions = ledger.decide_many(requests)
    assert len(decisions) == len(requests)
    for request, decision in zip(requests, decisions):
        single = ledger.decide(**request)  # type: ignore[arg-type]
        assert decision.to_dict() == single.to_dict()
    # The grant takes effect on 2026-01-05 at 09:00, after the request for midnight that day.
    assert [d.permitted for d in decisions[:6]] == [False] * 5 + [True]
    assert ledger.decide_many([]) == []


def test_decide_many_names_the_bad_request(ledger: consent.Ledger) -> None:
    good = {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
            "categories": ["name"], "at": utc(2026, 1, 5)}
    with pytest.raises(consent.UnknownCodeError, match=r"^request 1: "):
        ledger.decide_many([good, {**good, "recipient": "mossad"}])
    with pytest.raises(consent.InvalidInputError, match=r"^request 0: .*naive"):
        ledger.decide_many([{**good, "at": datetime(2026, 1, 5)}])
    with pytest.raises(consent.InvalidInputError, match="request 0"):
        ledger.decide_many([{**good, "extra": 1}])
    with pytest.raises(consent.InvalidInputError):
        ledger.decide_many("not a list")  # type: ignore[arg-type]


def test_decide_many_converts_any_batch_as_decide_does(ledger: consent.Ledger, grant: GrantFn) -> None:
    """decide_many remembers the objects of the previous request; nothing here repeats them
    the usual way (keys and codes built at run time, tuples, lists of different lengths)."""
    grant()

    def built(*parts: str) -> str:
        return "".join(parts)

    statute = {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
               "categories": ["name"], "at": utc(2026, 1, 5)}
    requests = [
        {built("sub", "ject"): ADULT, built("recip", "ient"): built("laerings", "senteret"),
         built("pur", "pose"): built("health_", "coordination"),
         built("categ", "ories"): (built("hea", "lth"),), built("a", "t"): utc(2026, 2, 1)},
        {**statute, "categories": ["name", "national_id", "education"]},
        {**statute, "categories": ["education"]},
        {**statute, "categories": ("national_id", "name")},
        {**statute, "subject": CHILD},
        {**statute, "recipient": "laeringssenteret", "purpose": "health_coordination",
         "categories": ["health"], "at": utc(2026, 1, 5, 8)},
        {**statute, "recipient": "laeringssenteret", "purpose": "health_coordination",
         "categories": ["health"], "at": utc(2026, 1, 5, 10)},
    ]
    decisions = ledger.decide_many(requests)
    singles = [ledger.decide(**{str(k): v for k, v in r.items()}) for r in requests]
    assert [d.to_dict() for d in decisions] == [d.to_dict() for d in singles]
    assert [d.permitted for d in decisions] == [True, True, True, True, True, False, True]
    assert [[b["category"] for b in d.bases] for d in decisions][1:4] == [
        ["name", "national_id", "education"], ["education"], ["national_id", "name"]
    ]


def test_decide_many_sees_a_list_changed_while_it_converts(ledger: consent.Ledger) -> None:
    """The requests share one category list, and converting the second request's `at` runs
    Python code (a tzinfo) that changes the list: the second decision is for the new list."""
    shared = ["name"]

    class Changing(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            shared[0] = "national_id"
            return timedelta(0)

        def dst(self, dt: datetime | None) -> timedelta | None:
            return None

    request = {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
               "categories": shared, "at": utc(2026, 1, 5)}
    first, second = ledger.decide_many(
        [request, {**request, "at": datetime(2026, 1, 5, tzinfo=Changing())}]
    )
    assert [b["category"] for b in first.bases] == ["name"]
    assert [b["category"] for b in second.bases] == ["national_id"]


class _Datetime(datetime):
    """A datetime subclass: converted by the careful path, to the same instant."""


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
        datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 1, 0, 30, tzinfo=timezone(-timedelta(hours=9, minutes=45))),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
        datetime(1850, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
        _Datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_decide_takes_the_instant_of_any_aware_datetime(ledger: consent.Ledger, at: datetime) -> None:
    request = {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
               "categories": ["name"], "at": at}
    expected = at.astimezone(timezone.utc)
    assert ledger.decide(**request).at == expected  # type: ignore[arg-type]
    (decision,) = ledger.decide_many([request])
    assert decision.at == expected
    assert decision.at.tzinfo == timezone.utc


GOOD = {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
        "categories": ["name"], "at": utc(2026, 1, 5)}


@pytest.mark.parametrize(
    "requests, error, message",
    [
        # A malformed code fails its request before later requests are converted.
        ([{**GOOD, "categories": ["Name"]}, {**GOOD, "at": datetime(2026, 1, 5)}],
         consent.UnknownCodeError, "request 0: categories: unknown code `Name`"),
        ([GOOD, {**GOOD, "recipient": "NIR"}],
         consent.UnknownCodeError, "request 1: recipient: unknown code `NIR`"),
        ([GOOD, {**GOOD, "purpose": "X y", "categories": ["Q"]}],
         consent.UnknownCodeError, "request 1: purpose: unknown code `X y`"),
        # A well-formed code the catalogue lacks is found when deciding, after converting.
        ([{**GOOD, "recipient": "mossad"}, {**GOOD, "at": datetime(2026, 1, 5)}],
         consent.InvalidInputError, "request 1: `at` is a naive datetime"),
        ([GOOD, {**GOOD, "categories": ["name", 3]}],
         consent.InvalidInputError, "request 1: `categories[1]` must be a str, not int"),
        ([{**GOOD, "categories": ["name", "address"]}, {**GOOD, "categories": ["name", b"x"]}],
         consent.InvalidInputError, "request 1: `categories[1]` must be a str, not bytes"),
        ([{**GOOD, "categories": "name"}],
         consent.InvalidInputError, "request 0: `categories` must be a list of str, not str"),
        ([{**GOOD, "purpose": "\ud800"}], consent.InvalidInputError,
         "request 0: `purpose` is not valid text"),
        ([{**GOOD, "subject": "\ud800"}], consent.InvalidInputError,
         "request 0: `subject` is not valid text"),
        ([{**GOOD, "subject": 1}], consent.InvalidInputError,
         "request 0: `subject` must be a str, not int"),
        ([GOOD, {**GOOD, "subject": "15038510191"}], consent.InvalidNationalIdError,
         "request 1: national id has an invalid second control digit"),
        ([{k: v for k, v in {**GOOD, "x": 1}.items() if k != "at"}], consent.InvalidInputError,
         "request 0: missing `at`"),
        ([{**{"".join(["a", "t"]): utc(2026, 1, 5), "y": 1},
           **{k: v for k, v in GOOD.items() if k not in ("at", "subject")}}],
         consent.InvalidInputError, "request 0: missing `subject`"),
        ([GOOD, [1]], consent.InvalidInputError, "request 1: must be a dict"),
        ([{**GOOD, "categories": ["name", "name"]}], consent.InvalidInputError,
         "request 0: category `name` is listed twice"),
        ((GOOD,), consent.InvalidInputError, "`requests` must be a list of dicts"),
    ],
)
def test_decide_many_raises_the_first_bad_requests_error(
    ledger: consent.Ledger, requests: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        ledger.decide_many(requests)
    assert str(raised.value).startswith(message), str(raised.value)
    assert "15038510191" not in str(raised.value)


def test_record_disclosure_records_a_permitted_disclosure_only(ledger: consent.Ledger, grant: GrantFn) -> None:
    decision = ledger.record_disclosure(
        subject=ADULT, recipient="nir", purpose="nir_registration",
        categories=["name"], at=utc(2026, 1, 5), actor=ACTOR,
    )
    assert decision.permitted
    assert recorded(ledger) == 1
    (event,) = recorded_events(ledger)
    assert event["payload"]["type"] == "disclosure_recorded"
    assert event["payload"]["bases"] == [
        {
            "category": "name",
            "rule": "nir_registration",
            "statute": "integreringsloven § 43",
            "art6": "A6_1_c",
            "confidentiality_exception": "special_statute",
        }
    ]
    with pytest.raises(consent.NotPermittedError, match="not permitted"):
        ledger.record_disclosure(
            subject=ADULT, recipient="laeringssenteret", purpose="health_coordination",
            categories=["health"], at=utc(2026, 1, 5), actor=ACTOR,
        )
    assert recorded(ledger) == 1


def test_refusal_is_recorded(ledger: consent.Ledger) -> None:
    record_id = ledger.refuse(
        subject=ADULT, grantor={"role": "self"}, purposes=["statistics"], recipients=["imdi"],
        categories=["family"], at=utc(2026, 1, 6), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR,
    )
    (event,) = recorded_events(ledger)
    assert isinstance(record_id, uuid.UUID)
    assert event["id"] == str(record_id)
    assert event["payload"]["type"] == "grant_refused"
    assert event["payload"]["at"] == "2026-01-06T00:00:00Z"
    assert ledger.decide(subject=ADULT, recipient="imdi", purpose="statistics",
                         categories=["family"], at=utc(2026, 2, 1)).denial == "no_basis"


def test_a_decision_has_no_truth_value(ledger: consent.Ledger) -> None:
    # `if ledger.decide(...):` would be true for a denial too: fail open. It raises instead.
    denied = decide_health(ledger, utc(2026, 2, 1))
    assert not denied.permitted
    with pytest.raises(TypeError, match=r"use `decision.permitted`"):
        bool(denied)
    with pytest.raises(TypeError):
        if denied:
            pass
    with pytest.raises(TypeError):
        assert not denied


def test_decisions_compare_by_value(ledger: consent.Ledger, grant: GrantFn) -> None:
    first = decide_health(ledger, utc(2026, 2, 1))
    again = decide_health(ledger, utc(2026, 2, 1))
    assert first == again and not first != again
    assert hash(first) == hash(again)
    assert len({first, again}) == 1
    assert first != decide_health(ledger, utc(2026, 2, 2)), "another instant"
    grant()
    permitted = decide_health(ledger, utc(2026, 2, 1))
    assert permitted != first, "another outcome"
    assert first != "denied" and first != first.to_dict()
    # Decisions of two ledgers under the same (embedded) catalogue compare equal too.
    other = new_ledger()
    assert other.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                        categories=["name"], at=utc(2026, 2, 1)) == \
        ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                      categories=["name"], at=utc(2026, 2, 1))


def test_the_repr_says_the_verdict_first(ledger: consent.Ledger, grant: GrantFn) -> None:
    denied = decide_health(ledger, utc(2026, 2, 1))
    assert repr(denied) == ("<Decision denied (no_basis): laeringssenteret for health_coordination"
                            " at 2026-02-01T00:00:00Z; health: no_basis>")
    grant_id = grant()
    permitted = decide_health(ledger, utc(2026, 2, 1))
    assert repr(permitted) == ("<Decision permitted: laeringssenteret for health_coordination"
                               f" at 2026-02-01T00:00:00Z; health: consent {grant_id}>")
    nir = ledger.decide(subject=ADULT, recipient="nir", purpose="nir_registration",
                        categories=["name", "national_id"], at=utc(2026, 2, 1))
    assert repr(nir).startswith("<Decision permitted: nir for nir_registration at ")
    assert repr(nir).endswith("; name: statute nir_registration; national_id: statute nir_registration>")
    assert ADULT not in repr(nir)


def test_ids_are_uuids_in_and_out(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    assert isinstance(grant_id, uuid.UUID) and grant_id.version == 7
    decision = decide_health(ledger, utc(2026, 2, 1))
    assert decision.bases[0]["basis"]["grant_id"] == grant_id
    assert decision.to_dict()["categories"][0]["basis"]["grant_id"] == grant_id
    assert str(grant_id) in decision.to_json(), "the JSON text keeps the text form"
    # A withdrawal takes the UUID or its text.
    second = grant(purposes=["case_handling"], recipients=["nav"], categories=["finances"],
                   explicit=False)
    ledger.withdraw(grant_id, at=utc(2026, 3, 1), actor=ACTOR)
    ledger.withdraw(str(second).upper(), at=utc(2026, 3, 1), actor=ACTOR)
    assert decide_health(ledger, utc(2026, 3, 2)).denial == "withdrawn"
    with pytest.raises(consent.ConflictError):
        ledger.withdraw(str(second), at=utc(2026, 3, 2), actor=ACTOR)
    with pytest.raises(consent.InvalidInputError, match="uuid.UUID or a str"):
        ledger.withdraw(grant_id.int, at=utc(2026, 3, 2), actor=ACTOR)  # type: ignore[arg-type]
