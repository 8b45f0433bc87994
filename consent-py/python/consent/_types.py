"""The shapes of the dicts the API takes and returns, as TypedDicts (plain dicts at run
time), and the literal codes inside them. Import them from :mod:`consent`.

Ids in these dicts are :class:`uuid.UUID` objects, instants RFC 3339 text. The JSON documents
returned as ``dict[str, Any]`` (``subject_export()``, ``events()``) keep the JSON's text for
both.
"""

import uuid
from typing import Literal, Optional, Sequence, TypedDict, Union
from datetime import datetime

DenialReason = Literal[
    "no_basis",
    "withdrawn",
    "expired",
    "not_explicit",
    "reconsent_required",
    "restricted",
    "condition_not_asserted",
    "grantor_authority_ended",
    "objected",
]
RestrictionGround = Literal["A18_1_a", "A18_1_b", "A18_1_c", "A18_1_d"]
ObjectionOutcome = Literal["upheld", "rejected"]
ChildPosition = Literal["agrees", "disagrees", "not_able"]
GrantorRole = Literal["self", "parent", "verge", "representant", "barnevern"]
EvidenceMethod = Literal["signed_paper", "digital_form", "edialog", "oral_recorded"]
ReconsentReason = Literal["comes_of_age", "expires", "notice_superseded", "authority_ends"]
NotificationReason = Literal["restriction_lifted", "rectification", "restriction", "erasure"]
ErrorCodeName = Literal[
    "invalid_input",
    "invalid_national_id",
    "unknown_code",
    "not_found",
    "conflict",
    "not_permitted",
    "invalid_catalogue",
    "storage",
    "integrity",
    "key_mismatch",
    "locked",
    "unsupported_version",
]

# Arguments.


class ActorDict(TypedDict):
    """Who performs a write: ``{"id": "saksbehandler-17", "role": "case_worker"}``; on a ledger
    opened with ``actor_trust``, ``{"token": "<JWT>"}`` instead (the ledger verifies it)."""

    id: str
    role: str


class _GrantorRequired(TypedDict):
    role: GrantorRole


class GrantorDict(_GrantorRequired, total=False):
    """Who grants: ``{"role": "self"}``, or a representative with ``id`` and ``authority``,
    and ``authority_valid_until`` when the authority ends (a decision after it is denied
    ``grantor_authority_ended``)."""

    id: str
    authority: str
    authority_valid_until: datetime


class MaturityAssessmentDict(TypedDict):
    """A grant's ``maturity_assessment``: a minor between ``mature_minor_min_age`` and the
    self-consent age may grant alone only with one."""

    assessed_by: str
    reference: str
    at: datetime


class ChildHeardDict(TypedDict):
    """A representative's grant's ``child_heard``: required when the child is at least
    ``hear_child_from_age`` (12)."""

    at: datetime
    position: ChildPosition
    reference: str


class _EvidenceRequired(TypedDict):
    method: EvidenceMethod
    reference: str
    language: str
    interpreter: bool


class EvidenceDict(_EvidenceRequired, total=False):
    """Where the consent is documented (GDPR Art. 7(1))."""

    collected_by: str


class NoticeDict(TypedDict):
    """The privacy notice the subject was given."""

    id: str
    version: str


class AssertionDict(TypedDict):
    """A condition the requester asserts for a disclosure, with the reference (a case or
    journal number) where the grounds are documented."""

    condition: str
    reference: str


class DecisionRequestDict(TypedDict):
    """One request of ``Ledger.decide_many``."""

    subject: str
    recipient: str
    purpose: str
    categories: Sequence[str]
    at: datetime


# Results.


class _BasisRequired(TypedDict):
    kind: Literal["statute", "consent"]
    art6: str
    confidentiality_exception: str


class BasisDict(_BasisRequired, total=False):
    """What permits a category: a statute (``rule``, and ``condition`` when a conditional rule
    relied on an asserted condition) or a grant (``grant_id``, ``explicit``); both name their
    two gates: the GDPR basis (``art6``, ``art9``, ``statute``) and the exception from the duty
    of confidentiality (``confidentiality_exception``, ``confidentiality_statute``)."""

    rule: str
    condition: str
    grant_id: uuid.UUID
    explicit: bool
    statute: Optional[str]
    art9: Optional[str]
    confidentiality_statute: Optional[str]


class _CategoryOutcomeRequired(TypedDict):
    category: str
    permitted: bool


class CategoryOutcomeDict(_CategoryOutcomeRequired, total=False):
    """One category of a decision: ``basis`` when permitted, ``reason`` when denied."""

    basis: BasisDict
    reason: DenialReason


class DecisionDict(TypedDict):
    """``Decision.to_dict()``."""

    version: int
    permitted: bool
    at: str
    recipient: str
    purpose: str
    as_of_seq: int
    categories: list[CategoryOutcomeDict]


class AccessRequestDict(TypedDict):
    """``Ledger.register_access_request()``: due one month after receipt."""

    id: uuid.UUID
    received_at: str
    due_at: str


class RestrictedDict(TypedDict):
    """``Ledger.request_erasure()``: the grants are withdrawn and processing is restricted;
    the archival duty keeps the records until ``kassasjon_due_at`` (``None``: a purpose's
    retention is permanent or not stated)."""

    outcome: Literal["restricted"]
    at: str
    rules: list[str]
    statutes: list[str]
    withdrawn: list[uuid.UUID]
    kassasjon_due_at: Optional[str]


class ErasedDict(TypedDict):
    """``Ledger.execute_kassasjon()``: the subject's payloads were made unrecoverable."""

    outcome: Literal["erased"]
    at: str
    events_erased: int


class KassasjonDueDict(TypedDict):
    """``Ledger.erasure_due()``: a subject (by pseudonym) whose kassasjon is due."""

    subject: str
    due_at: str


ErasureOutcomeDict = Union[RestrictedDict, ErasedDict]


class StatisticsRowDict(TypedDict):
    """Events of one period, purpose and recipient; ``None`` is a suppressed count."""

    period: str
    purpose: str
    recipient: str
    grants: Optional[int]
    withdrawals: Optional[int]
    refusals: Optional[int]
    disclosures: Optional[int]


class StatisticsTotalDict(TypedDict):
    """The sums of one period's rows; ``None`` is a suppressed total."""

    period: str
    grants: Optional[int]
    withdrawals: Optional[int]
    refusals: Optional[int]
    disclosures: Optional[int]


class ActiveGrantsDict(TypedDict):
    """Active grants at the end of one period (``at``) of one purpose and recipient; ``None``
    is a suppressed small count."""

    period: str
    at: str
    purpose: str
    recipient: str
    count: Optional[int]


class StatisticsDict(TypedDict):
    """``Ledger.statistics()``."""

    min_cell: int
    period: Literal["month", "quarter", "year"]
    periods: list[str]
    rows: list[StatisticsRowDict]
    totals: list[StatisticsTotalDict]
    active_grants: list[ActiveGrantsDict]


class ReconsentItemDict(TypedDict):
    """One item of ``Ledger.reconsent_due()``; ``subject`` is a pseudonym
    (``Ledger.pseudonym()``)."""

    grant_id: uuid.UUID
    subject: str
    reason: ReconsentReason
    due_at: str
    purposes: list[str]
    recipients: list[str]
    categories: list[str]


class NotificationDict(TypedDict):
    """One task of ``Ledger.notifications_due()``: tell ``recipient`` (a recipient code, or
    ``None``: the person) of the change recorded by the event ``event_id``; ``subject`` is a
    pseudonym (``Ledger.pseudonym()``)."""

    event_id: uuid.UUID
    subject: str
    reason: NotificationReason
    recipient: Optional[str]
    due_at: str
    #: The deadline the law sets: a lift takes effect then, and the person must be told before
    #: (Art. 18(3)); ``None``: as soon as possible (Art. 19).
    before: Optional[str]


class DeviationCategoryDict(TypedDict):
    """A category of a deviation and the reason it would now be denied."""

    category: str
    reason: DenialReason


class DeviationDict(TypedDict):
    """One item of ``Ledger.deviations()``: a disclosure recorded earlier that the ledger would
    now deny at its instant; ``subject`` is a pseudonym."""

    event_id: uuid.UUID
    seq: int
    subject: str
    recipient: str
    purpose: str
    at: str
    recorded_at: str
    categories: list[DeviationCategoryDict]


class VerifyReportDict(TypedDict):
    """``Ledger.verify()``."""

    ok: bool
    events: int
    head_hash: str
    first_bad_seq: Optional[int]
    problem: Optional[str]
