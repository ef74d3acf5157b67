"""SIGKILL at random instants: a durable execution resumes to the uninterrupted output.

The test machine (tests/durable_machine.py: Task, Wait, Parallel, Map, Retry, a callback) runs
in a child process that is killed at a random instant, resumed (and perhaps killed again), until
it ends. A handful of kill points in the `ci` profile, 100 in `long`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asl.store import open_store

from . import PROFILE

ROOT = Path(__file__).resolve().parents[2]
KILLS = 100 if PROFILE == "long" else 4


def _start(db: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(ROOT / "tests" / "durable_machine.py"), str(db), "n", str(log), "--virtual"]
    environment = {"PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'tests'}", "PATH": "/usr/bin:/bin", "ASL_SLOW": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)


def _completed(db: Path) -> set[str]:
    scheduled: dict[str, str] = {}
    done: set[str] = set()
    for event in open_store(db).history("n"):
        details = event.details or {}
        if event.type in ("LambdaFunctionScheduled", "TaskScheduled"):
            scheduled[event.lane] = json.dumps(details.get("input", details.get("parameters")), sort_keys=True)
        elif event.type in ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "TaskSubmitted"):
            done.add(scheduled[event.lane])
    return done


def _calls(log: Path) -> list[str]:
    return [line[5:] for line in log.read_text().splitlines() if line.startswith("call ")] if log.exists() else []


def _run_to_end(db: Path, log: Path, kill_after: list[float]) -> tuple[bytes, int]:
    """Run, killing the process after each delay of `kill_after` (if it still runs), then to the end."""
    kills = 0
    for delay in [*kill_after, None]:
        completed = _completed(db) if db.exists() else set()
        before = len(_calls(log))
        process = _start(db, log)
        try:
            out, err = process.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()
            kills += 1
        else:
            assert process.returncode == 0, err.decode()
        again = set(_calls(log)[before:])
        assert not completed & again, f"completed Tasks ran again: {completed & again}"
        if process.returncode == 0:
            return out, kills
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], list[tuple[str, str]]]:
    folder = tmp_path_factory.mktemp("whole")
    out, _ = _run_to_end(folder / "asl.db", folder / "calls.log", [])
    events = sorted((e.lane, e.type) for e in open_store(folder / "asl.db").history("n"))
    return json.loads(out), events


def test_sigkill_at_random_instants_loses_and_repeats_nothing(
    tmp_path: Path, uninterrupted: tuple[dict[str, object], list[tuple[str, str]]]
) -> None:
    rng = random.Random(20)
    total = 0
    round_ = 0
    while total < KILLS:
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        round_ += 1
        db, log = folder / "asl.db", folder / "calls.log"
        delays = [rng.uniform(0.2, 1.2) for _ in range(rng.randint(1, 3))]
        started = time.monotonic()
        out, kills = _run_to_end(db, log, delays)
        total += kills
        expected_output, expected_events = uninterrupted
        assert json.loads(out) == expected_output
        history = open_store(db).history("n")
        assert [e.id for e in history] == list(range(1, len(history) + 1))
        assert sorted((e.lane, e.type) for e in history) == expected_events  # none lost, none twice
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert time.monotonic() - started < 120
