"""Several Python threads deciding while one grants: every answer is consistent."""

from __future__ import annotations

import threading
from datetime import timedelta

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, utc, new_ledger

GRANTS = 200
READERS = 4


def test_deciding_threads_while_one_grants() -> None:
    ledger = new_ledger()
    # The ledger's own record of its catalogue; nothing but the grants is written after it.
    adoptions = sum(1 for event in ledger.events() if event["kind"] == "catalogue_adopted")
    start = utc(2026, 1, 1)
    done = threading.Event()
    errors: list[BaseException] = []
    seen_permitted = [0] * READERS

    def writer() -> None:
        try:
            for i in range(GRANTS):
                ledger.grant(
                    subject=ADULT, grantor={"role": "self"}, purposes=["case_handling"],
                    recipients=["bufetat"], categories=["family"], explicit=False,
                    valid_from=start + timedelta(days=i), valid_until=start + timedelta(days=i + 1),
                    evidence=EVIDENCE, notice=NOTICE, actor=ACTOR,
                )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            done.set()

    def reader(index: int) -> None:
        try:
            rounds = 0
            while not done.is_set() or rounds < 20:
                rounds += 1
                count = ledger.event_count - adoptions  # the grants recorded so far
                # Grant i covers day i; any day before the count seen must be permitted.
                day = rounds % max(count, 1)
                decision = ledger.decide(subject=ADULT, recipient="bufetat", purpose="case_handling",
                                         categories=["family"], at=start + timedelta(days=day, hours=12))
                if count > day:
                    assert decision.permitted, (count, day, decision)
                    seen_permitted[index] += 1
                batch = ledger.decide_many([
                    {"subject": ADULT, "recipient": "nir", "purpose": "nir_registration",
                     "categories": ["name"], "at": start}
                ] * 8)
                assert all(d.permitted for d in batch)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert not errors, errors
    assert ledger.event_count - adoptions == GRANTS
    assert ledger.verify()["ok"] is True
    assert sum(seen_permitted) > 0
    last = ledger.decide(subject=ADULT, recipient="bufetat", purpose="case_handling",
                         categories=["family"], at=start + timedelta(days=GRANTS - 1, hours=1))
    assert last.permitted
