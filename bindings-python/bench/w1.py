"""W1 through Python: the median time of a search including the conversion of every slot
into Python values (benches/README.md, W1a and W1b).

    cargo run -p clinic-portal-benches --example w1_json > target/w1.json
    python bindings-python/bench/w1.py target/w1.json

Build the module with `maturin develop --release` first: a debug build measures the
debug engine. Each figure is the median of many runs after a warm-up:

- `search`: `Engine.search` (query to JSON, the engine's search without the GIL, one
  native `Slot` per start, the `Slots` result);
- `search + every start as datetime`: the same, then `slot.start` (an aware `datetime`
  in the clinic's `ZoneInfo`) and `slot.practitioner_ids` read for every slot.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List

import clinic_portal as cp


def median_ms(run: Callable[[], object], repeat: int) -> float:
    for _ in range(max(3, repeat // 10)):
        run()
    times: List[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def main(path: str) -> int:
    doc: Dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    engine = cp.Engine(doc["config"])
    engine.add_appointments(doc.pop("appointments"))
    gc.collect()  # the 10,000 loaded appointment dicts are garbage now: not timed
    now = datetime.fromisoformat(doc["now"].replace("Z", "+00:00"))
    expect = doc["expect"]
    results = []
    for name, query, count, repeat in (
        ("W1a", doc["w1a"], expect["w1a_slots"], 2000),
        ("W1b", doc["w1b"], expect["w1b_starts"], 200),
    ):
        slots = engine.search(query, now)
        assert len(slots) == count, (name, len(slots), count)

        def search() -> object:
            return engine.search(query, now)

        def search_and_read() -> object:
            out = engine.search(query, now)
            for s in out:
                s.start
                s.practitioner_ids
            return out

        results.append((name, count, median_ms(search, repeat), median_ms(search_and_read, repeat)))
    print(f"clinic_portal {sys.version.split()[0]}, appointments {engine.appointment_count()}")
    print("| Query | Slots | search (ms) | search + every start as datetime (ms) |")
    print("|---|---|---|---|")
    for name, count, plain, read in results:
        print(f"| {name} | {count} | {plain:.3f} | {read:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "target/w1.json"))
