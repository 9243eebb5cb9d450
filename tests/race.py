"""Start several processes at once on fresh flag stores: `python -m tests.race TRIALS.json PROCESSES`.

TRIALS.json lists one Settings object (as JSON) per trial; for each trial this small process forks
PROCESSES children that wait at a barrier, then open (and so migrate) the flag book together. It
prints one JSON object: the tracebacks per failed trial. Forking from this process, not from
pytest's (which holds every library of the suite), keeps a trial to a fraction of a second.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import traceback
from pathlib import Path
from typing import Any

from reviewer.feedback.store import open_flags
from reviewer.settings import Settings


def _open_at_barrier(settings: Settings, barrier: Any, errors: Any) -> None:
    try:
        barrier.wait(timeout=30)
        open_flags(settings).list()
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        errors.put(traceback.format_exc(limit=4))


def start_at_once(settings: Settings, processes: int) -> list[str]:
    """Fork `processes` children that open the flag book together; their tracebacks, if any."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    errors = context.Queue()
    children = [context.Process(target=_open_at_barrier, args=(settings, barrier, errors)) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    failures += [f"exit code {c.exitcode}" for c in children if c.exitcode != 0 and not failures]
    return failures


def main() -> None:
    trials = [Settings.model_validate(t) for t in json.loads(Path(sys.argv[1]).read_text("utf-8"))]
    processes = int(sys.argv[2])
    failed = {str(n): f for n, s in enumerate(trials) if (f := start_at_once(s, processes))}
    print(json.dumps(failed))


if __name__ == "__main__":
    main()
