"""Threads: the GIL is released while the engine works."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any, Dict, List, Tuple

import clinic_portal as cp
from conftest import NOW, small_config

WEEK = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 15), to=date(2027, 3, 19))


def test_eight_threads_book_against_one_engine_within_capacity() -> None:
    engine = cp.Engine(small_config(capacity=3))
    for t in range(8):
        for i in range(10):
            engine.upsert_patient(cp.Patient(id=f"t{t}-p{i}"))
    slots = engine.search(WEEK, NOW)
    assert len(slots) == 30 and slots[0].remaining_capacity == 3
    booked: List[str] = []
    refused: List[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(t: int) -> None:
        barrier.wait()
        for i in range(10):
            slot = slots[(t + i) % 4]  # everyone fights over the first four starts
            try:
                b = engine.book(
                    cp.BookRequest(patient=f"t{t}-p{i}", service="physio-30", start=slot.start), NOW
                )
                with lock:
                    booked.append(b.appointment.id)
            except (cp.CapacityFull, cp.SlotUnavailable) as e:
                with lock:
                    refused.append(e.code)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(booked) == 4 * 3 and len(set(booked)) == 12  # exactly the capacity
    assert len(refused) == 80 - 12
    assert engine.appointment_count() == 12
    after = engine.search(WEEK, NOW)
    assert len(after) == 26 and all(s.start not in {x.start for x in slots[:4]} for s in after)


def big_config() -> Dict[str, Any]:
    """150 practitioners over a year: a search of every day takes a while."""
    config = small_config()
    template = config["practitioners"][0]
    config["practitioners"] = [dict(template, id=f"dr-{i}") for i in range(150)]
    config["portal"]["scheduling"]["max_days_ahead"] = 800
    return config


def test_another_thread_progresses_during_a_long_search() -> None:
    engine = cp.Engine(big_config())
    query = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 9), to=date(2028, 3, 8))
    expected = len(engine.search(query, NOW))
    assert expected > 1000

    ticks: List[float] = []
    stop = threading.Event()

    def counter() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())  # pure Python: runs only with the GIL
            time.sleep(0)

    th = threading.Thread(target=counter)
    th.start()
    calls: List[Tuple[float, float]] = []
    try:
        started = time.perf_counter()
        while len(calls) < 3 or time.perf_counter() - started < 0.5:
            t0 = time.perf_counter()
            assert len(engine.search(query, NOW)) == expected
            calls.append((t0, time.perf_counter()))
    finally:
        stop.set()
        th.join()
    # Held for the whole search, the GIL would let the counter tick only at the edges of
    # a call; released, the counter ticks in the middle half of the searches too.
    def ticked_mid_call(t0: float, t1: float) -> bool:
        lo, hi = t0 + (t1 - t0) / 4, t1 - (t1 - t0) / 4
        return any(lo <= t <= hi for t in ticks)

    mid = sum(ticked_mid_call(t0, t1) for t0, t1 in calls)
    assert mid * 2 >= len(calls), (mid, len(calls))
