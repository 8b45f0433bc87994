"""File ledgers: reopening keeps the state, and the file's guards raise their own classes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import consent
from conftest import CLOCK, ACTOR, ADULT, EVIDENCE, NOTICE, utc, recorded


def add_grants(ledger: consent.Ledger) -> str:
    grant_id = ledger.grant(
        subject=ADULT, grantor={"role": "self"}, purposes=["health_coordination"],
        recipients=["laeringssenteret"], categories=["health"], explicit=True,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR,
    )
    ledger.withdraw(grant_id, at=utc(2026, 3, 1), actor=ACTOR)
    return grant_id


def health(ledger: consent.Ledger, month: int) -> consent.Decision:
    return ledger.decide(subject=ADULT, recipient="laeringssenteret", purpose="health_coordination",
                         categories=["health"], at=utc(2026, month, 1))


def close(ledger: consent.Ledger) -> None:
    ledger.close()


def test_reopening_keeps_grants_withdrawals_and_decisions(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    assert "file" in repr(ledger)
    add_grants(ledger)
    before = [health(ledger, m).to_dict() for m in (2, 4)]
    events = list(ledger.events())
    close(ledger)
    assert (tmp_path / "ledger.db.key").exists()

    reopened = consent.Ledger.open(str(path), test_mode=True, clock=CLOCK)
    assert recorded(reopened) == 2
    assert list(reopened.events()) == events
    assert [health(reopened, m).to_dict() for m in (2, 4)] == before
    assert before[0]["permitted"] is True and before[1]["categories"][0]["reason"] == "withdrawn"
    report = reopened.verify()
    # The adoption of the ledger's catalogue, then the two events of `add_grants`.
    assert report["ok"] is True and report["events"] == 3
    # The national id is never stored in clear text.
    close(reopened)
    assert ADULT.encode() not in path.read_bytes()


def test_close_and_context_manager(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with consent.Ledger.open(path, test_mode=True, clock=CLOCK) as ledger:
        add_grants(ledger)
    assert "closed" in repr(ledger)
    with pytest.raises(consent.StorageError, match="closed"):
        ledger.event_count
    with pytest.raises(consent.StorageError, match="closed"):
        health(ledger, 2)
    ledger.close()  # closing twice is harmless
    # The lock was released, so the file opens again.
    with consent.Ledger.open(path, test_mode=True, clock=CLOCK) as again:
        assert recorded(again) == 2


def test_memory_path_opens_an_in_memory_ledger() -> None:
    ledger = consent.Ledger.open(":memory:", test_mode=True)
    assert recorded(ledger) == 0
    assert "in memory" in repr(ledger)


def test_explicit_key_file_and_key_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    key = tmp_path / "a.key"
    close_me = consent.Ledger.open(path, key_file=key, test_mode=True, clock=CLOCK)
    add_grants(close_me)
    close(close_me)
    assert key.exists()
    close(consent.Ledger.open(tmp_path / "b.db"))
    with pytest.raises(consent.KeyMismatchError):
        consent.Ledger.open(path, key_file=tmp_path / "b.db.key")
    # Without its key file the ledger does not open (a new key would not match).
    with pytest.raises(consent.KeyMismatchError, match="key file"):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    assert recorded(consent.Ledger.open(path, key_file=key)) == 2


def test_two_handles_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    first = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    second = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    grant_id = first.grant(
        subject=ADULT, grantor={"role": "self"}, purposes=["health_coordination"],
        recipients=["laeringssenteret"], categories=["health"], explicit=True,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR,
    )
    # Acknowledged through `first`: `second` sees it on its next decision, and says where.
    decision = health(second, 2)
    assert decision.permitted
    assert decision.as_of_seq == 2
    assert decision.to_dict()["as_of_seq"] == 2
    second.withdraw(grant_id, at=utc(2026, 1, 20), actor=ACTOR)
    assert not health(first, 2).permitted
    # The same withdrawal through the other handle: a conflict, and nothing written.
    with pytest.raises(consent.ConflictError):
        first.withdraw(grant_id, at=utc(2026, 1, 20), actor=ACTOR)
    assert health(first, 2).as_of_seq == 3
    close(first)
    close(second)


def test_a_forked_child_refuses_the_parents_ledger(tmp_path: Path) -> None:
    ledger = consent.Ledger.open(tmp_path / "ledger.db", test_mode=True, clock=CLOCK)
    health(ledger, 2)
    pid = os.fork()
    if pid == 0:  # the child: its copy of the ledger must not decide on the parent's state
        try:
            health(ledger, 2)
            code = 1
        except consent.StorageError as error:
            code = 0 if "forked" in str(error) else 2
        except BaseException:  # noqa: BLE001 - any other outcome fails the test
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not health(ledger, 2).permitted
    close(ledger)


def test_storage_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\\x42" * 8192)
    with pytest.raises(consent.StorageError):
        consent.Ledger.open(garbage)
    with pytest.raises(consent.StorageError):
        consent.Ledger.open(tmp_path / "no" / "such" / "dir" / "ledger.db")


def test_another_schema_version_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    close(consent.Ledger.open(path, test_mode=True, clock=CLOCK))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(consent.UnsupportedVersionError):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK)


def test_tampering_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    add_grants(ledger)
    close(ledger)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE events SET header = replace(header, 'saksbehandler-17', 'saksbehandler-99') WHERE seq = 2")
    conn.close()
    with pytest.raises(consent.IntegrityError, match="^event 2:"):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK)


@pytest.mark.parametrize("value", ["yes", 1, 0, "", [], None.__class__])
def test_a_test_mode_that_is_not_a_bool_is_invalid_input(value: object) -> None:
    """Security finding 10: ``test_mode="yes"`` raised ``TypeError``; every surface raises the
    library's own ``InvalidInputError`` for a wrong type, and opens nothing."""
    with pytest.raises(consent.InvalidInputError, match="test_mode"):
        consent.Ledger.open(":memory:", test_mode=value)  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError, match="test_mode"):
        consent.Ledger.in_memory(test_mode=value)  # type: ignore[arg-type]
    assert recorded(consent.Ledger.open(":memory:", test_mode=False)) == 0


def test_an_emptied_or_deleted_ledger_is_an_integrity_error(tmp_path: Path) -> None:
    """Security finding 1: with the key file in place, an emptied ledger file (``: > ledger.db``)
    or a deleted one opened as a new, empty ledger that denied everything as ``no_basis``."""
    path = tmp_path / "ledger.db"
    ledger = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    add_grants(ledger)
    close(ledger)
    # The lock file and the shared head file stay beside a ledger that was opened; remove them
    # as someone emptying the ledger might, so nothing but the key file is left.
    (tmp_path / "ledger.db.lock").unlink()
    (tmp_path / "ledger.db.head").unlink()
    path.write_bytes(b"")
    with pytest.raises(consent.IntegrityError, match="empty"):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    with pytest.raises(consent.IntegrityError, match="empty"):
        consent.Ledger.open(path, read_only=True)
    assert path.read_bytes() == b""
    path.unlink()
    with pytest.raises(consent.IntegrityError, match="deleted"):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db.key"]


def test_read_only_creates_nothing_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = consent.Ledger.open(path, test_mode=True, clock=CLOCK)
    add_grants(ledger)
    close(ledger)
    (tmp_path / "ledger.db.lock").unlink()
    before = sorted(p.name for p in tmp_path.iterdir())
    with consent.Ledger.open(path, read_only=True, test_mode=True, clock=CLOCK) as reader:
        assert recorded(reader) == 2
        assert health(reader, 2).permitted
        with pytest.raises(consent.StorageError, match="read-only"):
            add_grants(reader)
        assert recorded(reader) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_write_waits_for_another_writer_only_as_long_as_write_wait(tmp_path: Path) -> None:
    """`write_wait` bounds how long a write waits for another process's write lock; past it the
    write raises LockedError naming the holder, and writes nothing."""
    import fcntl

    path = tmp_path / "consent.db"
    ledger = consent.Ledger.open(path, test_mode=True, clock=CLOCK, write_wait=0.1)
    before = ledger.event_count
    # Another writer holds the lock (here this process, through a file description of its own).
    with open(f"{path}.lock", "r+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(consent.LockedError, match=f"pid {os.getpid()}"):
            ledger.grant(
                actor=ACTOR, subject=ADULT, grantor={"role": "self"}, purposes=["case_handling"],
                recipients=["nav"], categories=["family"], explicit=False,
                valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE,
            )
        assert ledger.event_count == before
    for bad in (0, -1, "soon", float("nan")):
        with pytest.raises(consent.InvalidInputError, match="write_wait"):
            consent.Ledger.open(path, test_mode=True, clock=CLOCK, write_wait=bad)
    with pytest.raises(consent.InvalidInputError, match="max_staleness_ms"):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK, max_staleness_ms=-5)
