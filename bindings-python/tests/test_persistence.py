"""Plan, store, apply (docs/persistence.md) with stdlib sqlite3: two engines share one
journal table; racing bookings from threads never double-book."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any, Dict, List

import pytest

import clinic_portal as cp
from conftest import NOW, small_config

WEEK = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 15), to=date(2027, 3, 19))


class Store:
    """A journal table `(seq PRIMARY KEY, change)` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self.connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, change TEXT NOT NULL)")

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def catch_up(self, engine: cp.Engine) -> None:
        """Applies every stored change the engine has not seen (another thread sharing the
        engine may apply one first: then it is already there)."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT seq, change FROM journal WHERE seq > ? ORDER BY seq", (engine.last_seq(),)
            ).fetchall()
        for seq, text in rows:
            try:
                engine.apply(text)
            except cp.StaleSequence:
                if engine.last_seq() < seq:
                    raise

    def run(self, engine: cp.Engine, operation: Dict[str, Any]) -> Any:
        """Plans, stores at its seq (first writer wins), applies; retries when beaten."""
        while True:
            self.catch_up(engine)
            planned = engine.plan_operation(operation, NOW)
            if planned.change is None:
                return planned.outcome
            try:
                with self.connect() as db:
                    db.execute(
                        "INSERT INTO journal (seq, change) VALUES (?, ?)",
                        (planned.change.seq, planned.change.to_json()),
                    )
            except sqlite3.IntegrityError:
                continue  # another engine stored this seq first: catch up, plan again
            # Stored: the change is durable and its outcome ours, whoever applies it.
            try:
                engine.apply(planned.change)
            except cp.StaleSequence:
                self.catch_up(engine)  # a thread sharing this engine applied it already
            return planned.outcome


def test_two_engines_one_database(tmp_path: Path) -> None:
    store = Store(tmp_path / "portal.db")
    a, b = cp.Engine(small_config()), cp.Engine(small_config())
    store.run(a, {"op": "upsert_patient", "patient": {"id": "ana"}})
    start = a.search(WEEK, NOW)[0].start
    booking = store.run(b, {"op": "book", "request": {
        "patient": "ana", "service": "physio-30", "start": start.isoformat()}})
    assert booking["appointment"]["patient"] == "ana"
    store.catch_up(a)
    assert a.snapshot() == b.snapshot()
    # Planning changes nothing until applied.
    planned = a.plan_operation({"op": "upsert_patient", "patient": {"id": "carol"}}, NOW)
    assert planned.change is not None
    with pytest.raises(cp.NotFound):
        a.patient("carol")
    # A stale change is refused and changes nothing.
    store.run(b, {"op": "upsert_patient", "patient": {"id": "bob"}})
    store.catch_up(a)  # now `a` is past the seq the change was planned at
    with pytest.raises(cp.StaleSequence):
        a.apply(planned.change)
    # A restored engine replays the stored journal to the same state.
    replica = cp.Engine(small_config())
    store.catch_up(replica)
    store.catch_up(a)
    assert replica.snapshot() == a.snapshot() == b.snapshot()


def test_racing_bookings_from_threads(tmp_path: Path) -> None:
    store = Store(tmp_path / "race.db")
    engines = [cp.Engine(small_config()), cp.Engine(small_config())]
    for i in range(8):
        store.run(engines[0], {"op": "upsert_patient", "patient": {"id": f"p{i}"}})
    starts = [s.start.isoformat() for s in engines[0].search(WEEK, NOW)][:3]
    results: List[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        engine = engines[i % 2]
        for start in starts:
            op = {"op": "book", "request": {"patient": f"p{i}", "service": "physio-30", "start": start}}
            try:
                store.run(engine, op)
                outcome = "booked"
            except (cp.CapacityFull, cp.SlotUnavailable, cp.PatientBusy, cp.LimitReached) as e:
                outcome = e.code
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("booked") == len(starts), results  # capacity 1 per start
    for engine in engines:
        store.catch_up(engine)
    assert engines[0].snapshot() == engines[1].snapshot()
    assert engines[0].appointment_count() == len(starts)
