"""Type stubs for the native module ``consent._native`` (checked with ``mypy.stubtest``)."""

import os
from datetime import datetime, timedelta
from typing import (
    Any,
    ClassVar,
    Iterator,
    Literal,
    Optional,
    Sequence,
    TypedDict,
    Union,
    overload,
)

from typing_extensions import NotRequired, final

__version__: str
__all__ = [
    "ConflictError",
    "ConsentError",
    "Decision",
    "IntegrityError",
    "InvalidCatalogueError",
    "InvalidInputError",
    "InvalidNationalIdError",
    "KeyMismatchError",
    "Ledger",
    "LockedError",
    "NotFoundError",
    "NotPermittedError",
    "StorageError",
    "UnknownCodeError",
    "UnsupportedVersionError",
    "__version__",
]

# The names below that start with an underscore exist only for type checkers: the literal
# codes of the core's JSON (denial reasons, grantor roles, evidence methods, error codes) and
# the dict shapes the API takes and returns.

_DenialReason = Literal[
    "no_basis", "withdrawn", "expired", "not_explicit", "reconsent_required", "restricted"
]
_GrantorRole = Literal["self", "parent", "verge", "representant", "barnevern"]
_EvidenceMethod = Literal["signed_paper", "digital_form", "edialog", "oral_recorded"]
_ErrorCodeName = Literal[
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

class _ActorDict(TypedDict):
    id: str
    role: str

class _GrantorDict(TypedDict):
    role: _GrantorRole
    id: NotRequired[str]
    authority: NotRequired[str]

class _EvidenceDict(TypedDict):
    method: _EvidenceMethod
    reference: str
    language: str
    interpreter: bool
    collected_by: NotRequired[str]

class _NoticeDict(TypedDict):
    id: str
    version: str

class _DecisionRequest(TypedDict):
    subject: str
    recipient: str
    purpose: str
    categories: Sequence[str]
    at: datetime

class _BasisDict(TypedDict):
    kind: Literal["statute", "consent"]
    art6: str
    art9: Optional[str]
    confidentiality_exception: str
    rule: NotRequired[str]
    statute: NotRequired[str]
    grant_id: NotRequired[str]
    explicit: NotRequired[bool]

class _CategoryOutcomeDict(TypedDict):
    category: str
    permitted: bool
    basis: NotRequired[_BasisDict]
    reason: NotRequired[_DenialReason]

class _DecisionDict(TypedDict):
    version: int
    permitted: bool
    at: str
    recipient: str
    purpose: str
    categories: list[_CategoryOutcomeDict]

class _AccessRequestDict(TypedDict):
    id: str
    received_at: str
    due_at: str

class _RestrictedDict(TypedDict):
    outcome: Literal["restricted"]
    at: str
    rules: list[str]
    statutes: list[str]

class _ErasedDict(TypedDict):
    outcome: Literal["erased"]
    at: str
    events_erased: int

class _StatisticsRowDict(TypedDict):
    month: str
    purpose: str
    recipient: str
    grants: Optional[int]
    withdrawals: Optional[int]
    refusals: Optional[int]
    disclosures: Optional[int]

class _ActiveGrantsDict(TypedDict):
    purpose: str
    recipient: str
    count: Optional[int]

class _StatisticsDict(TypedDict):
    min_cell: int
    at: str
    rows: list[_StatisticsRowDict]
    active_grants: list[_ActiveGrantsDict]

_ReconsentReason = Literal["comes_of_age", "expires", "notice_superseded"]

class _ReconsentItemDict(TypedDict):
    grant_id: str
    subject: str
    reason: _ReconsentReason
    due_at: str
    purposes: list[str]
    recipients: list[str]
    categories: list[str]

class _VerifyReportDict(TypedDict):
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: Optional[int]
    problem: Optional[str]

@final
class Decision:
    """The answer to a disclosure request: may it, on what basis, and if not, why not."""

    @property
    def permitted(self) -> bool: ...
    @property
    def at(self) -> datetime: ...
    @property
    def recipient(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def denial(self) -> Optional[_DenialReason]: ...
    @property
    def bases(self) -> list[_CategoryOutcomeDict]: ...
    def to_dict(self) -> _DecisionDict: ...
    def to_json(self) -> str: ...
    def explain(self) -> str: ...

@final
class Ledger:
    """A consent ledger. May be shared between threads."""

    @staticmethod
    def open(
        path: Union[str, os.PathLike[str]],
        *,
        key_file: Union[str, os.PathLike[str], None] = None,
        test_mode: bool = False,
        catalogue_file: Union[str, os.PathLike[str], None] = None,
        read_only: bool = False,
        group_access: bool = False,
    ) -> Ledger: ...
    @staticmethod
    def in_memory(
        *,
        test_mode: bool = False,
        catalogue_file: Union[str, os.PathLike[str], None] = None,
    ) -> Ledger: ...
    def grant(
        self,
        *,
        actor: _ActorDict,
        subject: str,
        grantor: _GrantorDict,
        purposes: Sequence[str],
        recipients: Sequence[str],
        categories: Sequence[str],
        explicit: bool,
        valid_from: datetime,
        evidence: _EvidenceDict,
        notice: _NoticeDict,
        valid_until: Optional[datetime] = None,
        version: int = 1,
    ) -> str: ...
    def withdraw(
        self,
        grant_id: str,
        *,
        at: datetime,
        actor: _ActorDict,
        reason: Optional[str] = None,
    ) -> None: ...
    def refuse(
        self,
        *,
        actor: _ActorDict,
        subject: str,
        grantor: _GrantorDict,
        purposes: Sequence[str],
        recipients: Sequence[str],
        categories: Sequence[str],
        at: datetime,
        evidence: _EvidenceDict,
        notice: _NoticeDict,
        version: int = 1,
    ) -> str: ...
    def decide(
        self,
        *,
        subject: str,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime,
    ) -> Decision: ...
    def decide_many(self, requests: list[_DecisionRequest]) -> list[Decision]: ...
    def record_disclosure(
        self,
        *,
        subject: str,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime,
        actor: _ActorDict,
    ) -> Decision: ...
    def pseudonym(self, subject: str) -> str: ...
    def subject_export(self, subject: str) -> dict[str, Any]: ...
    def register_access_request(
        self, subject: str, *, received_at: datetime, actor: _ActorDict
    ) -> _AccessRequestDict: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: str,
        *,
        field: Literal["evidence_reference"],
        value: str,
        reason: str,
        actor: _ActorDict,
    ) -> str: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: str,
        *,
        field: Literal["valid_from"],
        value: datetime,
        reason: str,
        actor: _ActorDict,
    ) -> str: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: str,
        *,
        field: Literal["valid_until"],
        value: Optional[datetime],
        reason: str,
        actor: _ActorDict,
    ) -> str: ...
    def request_erasure(
        self, subject: str, *, actor: _ActorDict
    ) -> Union[_RestrictedDict, _ErasedDict]: ...
    def statistics(
        self,
        *,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        min_cell: Optional[int] = None,
    ) -> _StatisticsDict: ...
    def reconsent_due(self, *, at: datetime, window: timedelta) -> list[_ReconsentItemDict]: ...
    def verify(self) -> _VerifyReportDict: ...
    @property
    def event_count(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Ledger: ...
    def __exit__(self, *_exc: object) -> bool: ...
    def events(self) -> Iterator[dict[str, Any]]: ...

class ConsentError(Exception):
    """The root of every error the consent package raises."""

    code: ClassVar[Optional[_ErrorCodeName]]

class InvalidInputError(ConsentError): ...
class InvalidNationalIdError(InvalidInputError): ...
class UnknownCodeError(ConsentError): ...
class NotFoundError(ConsentError): ...
class ConflictError(ConsentError): ...
class NotPermittedError(ConsentError): ...
class InvalidCatalogueError(ConsentError): ...
class StorageError(ConsentError): ...
class IntegrityError(ConsentError): ...
class KeyMismatchError(ConsentError): ...
class LockedError(ConsentError): ...
class UnsupportedVersionError(ConsentError): ...
