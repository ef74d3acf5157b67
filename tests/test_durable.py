"""asl.durable: an execution whose history is in a store survives a crash and resumes on replay."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

import asl
import durable_machine
from asl import durable, store
from asl.store import ExecutionExists, StoreError, open_store

ROOT = Path(__file__).resolve().parent.parent
WORK = durable_machine.WORK


def child(db: Path, name: str, log: Path, crash_at: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run the test machine in a child process (killed by SIGKILL during call `crash_at`)."""
    command = [sys.executable, str(ROOT / "tests" / "durable_machine.py"), str(db), name, str(log)]
    if crash_at is not None:
        command.append(str(crash_at))
    environment = {"PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'tests'}", "PATH": "/usr/bin:/bin"}
    return subprocess.run([*command, "--virtual"], capture_output=True, text=True, timeout=60, env=environment)


def calls(log: Path) -> list[str]:
    return [line[5:] for line in log.read_text().splitlines() if line.startswith("call ")]


def completed_calls(db: Path, name: str) -> set[str]:
    """The inputs of the Task calls whose outcome the store holds (they must never run again)."""
    opened = open_store(db)
    scheduled: dict[str, str] = {}
    done: set[str] = set()
    for event in opened.history(name):
        details = event.details or {}
        if event.type in ("LambdaFunctionScheduled", "TaskScheduled"):
            scheduled[event.lane] = json.dumps(details.get("input", details.get("parameters")), sort_keys=True)
        elif event.type in ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "TaskSubmitted"):
            done.add(scheduled[event.lane])
    opened.close()
    return done


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[str]]:
    folder = tmp_path_factory.mktemp("whole")
    done = child(folder / "asl.db", "whole", folder / "calls.log")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["output"], sorted(calls(folder / "calls.log"))


@pytest.mark.parametrize("crash_at", [1, 3, 5, 6, 8])
def test_a_crash_during_a_task_resumes_to_the_same_output_running_no_completed_task_again(
    tmp_path: Path, crash_at: int, uninterrupted: tuple[Any, list[str]]
) -> None:
    db, log = tmp_path / "asl.db", tmp_path / "calls.log"
    crashed = child(db, "n", log, crash_at)
    assert crashed.returncode == -9
    before = len(calls(log))
    completed = completed_calls(db, "n")
    resumed = child(db, "n", log)
    assert resumed.returncode == 0, resumed.stderr
    output, every_call = uninterrupted
    assert json.loads(resumed.stdout) == {"status": "SUCCEEDED", "output": output}
    again = calls(log)[before:]
    assert not completed & set(again)  # no Task whose outcome was recorded ran again
    assert set(calls(log)) == set(every_call)  # each call made at least once, none made up
    history = open_store(db).history("n")
    assert [e.id for e in history] == list(range(1, len(history) + 1))
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_resumed_history_is_the_uninterrupted_one(tmp_path: Path) -> None:
    whole, crashed = tmp_path / "whole.db", tmp_path / "crashed.db"
    assert child(whole, "n", tmp_path / "a.log").returncode == 0
    assert child(crashed, "n", tmp_path / "b.log", 4).returncode == -9
    assert child(crashed, "n", tmp_path / "b.log").returncode == 0

    def shape(db: Path) -> list[tuple[str, str, Any]]:  # ids and order of concurrent branches may differ
        return sorted((e.lane, e.type, json.dumps(e.details, sort_keys=True)) for e in open_store(db).history("n"))

    assert shape(crashed) == shape(whole)


def machine(states: dict[str, Any]) -> asl.StateMachine:
    return asl.parse({"StartAt": next(iter(states)), "States": states})


ONE_TASK = machine({"T": {"Type": "Task", "Resource": WORK, "End": True}})


def test_an_ended_execution_is_returned_as_recorded_running_nothing(tmp_path: Path) -> None:
    seen: list[Any] = []
    first = durable.run(ONE_TASK, {"a": 1}, store=tmp_path / "s.db", name="n", resources={WORK: seen.append})
    again = durable.run(ONE_TASK, {"a": 1}, store=tmp_path / "s.db", name="n", resources={WORK: seen.append})
    assert seen == [{"a": 1}]
    assert (again.status, again.output) == (first.status, first.output)
    assert [e.to_dict() for e in again.history] == [e.to_dict() for e in first.history]


def test_the_same_name_with_another_input_is_execution_already_exists(tmp_path: Path) -> None:
    durable.run(ONE_TASK, {"a": 1}, store=tmp_path / "s.db", name="n", resources={WORK: lambda x: x})
    with pytest.raises(ExecutionExists, match="another input"):
        durable.run(ONE_TASK, {"a": 2}, store=tmp_path / "s.db", name="n", resources={WORK: lambda x: x})


def test_the_same_name_with_another_definition_is_execution_already_exists(tmp_path: Path) -> None:
    durable.run(ONE_TASK, {}, store=tmp_path / "s.db", name="n", resources={WORK: lambda x: x})
    other = machine({"P": {"Type": "Pass", "End": True}})
    with pytest.raises(ExecutionExists, match="another definition"):
        durable.run(other, {}, store=tmp_path / "s.db", name="n")


def test_an_execution_resumes_on_its_stored_definition(tmp_path: Path) -> None:
    durable.run(ONE_TASK, {}, store=tmp_path / "s.db", name="n", resources={WORK: lambda x: 5})
    assert durable.run(None, store=tmp_path / "s.db", name="n").output == 5


def test_a_wait_resumes_at_its_original_due_time(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    waits = machine(
        {"W": {"Type": "Wait", "Seconds": 100, "Next": "T"}, "T": {"Type": "Task", "Resource": WORK, "End": True}}
    )

    def crash(_: Any) -> Any:
        raise KeyboardInterrupt  # the process stops after the Wait's start was recorded

    with pytest.raises(KeyboardInterrupt):
        durable.run(waits, {}, store=db, name="n", resources={WORK: crash}, clock=asl.VirtualClock(1000))
    clock = asl.VirtualClock(1060)  # restarted 60 s into the wait
    resumed = durable.run(waits, {}, store=db, name="n", resources={WORK: lambda x: "ok"}, clock=clock)
    exited = next(e for e in resumed.history if e.type == "WaitStateExited")
    assert (resumed.output, exited.timestamp) == ("ok", 1100.0)


def test_a_retry_backoff_resumes_its_remaining_delay(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    retried = machine(
        {"T": {"Type": "Task", "Resource": WORK, "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 50}], "End": True}}
    )
    attempts: list[float] = []

    def first(_: Any) -> Any:
        attempts.append(0)
        if len(attempts) == 1:
            raise asl.TaskFailed("E", "once")
        raise KeyboardInterrupt  # killed during the second attempt

    with pytest.raises(KeyboardInterrupt):
        durable.run(retried, {}, store=db, name="n", resources={WORK: first}, clock=asl.VirtualClock(0))
    resumed = durable.run(retried, {}, store=db, name="n", resources={WORK: lambda x: "ok"}, clock=asl.VirtualClock(0))
    scheduled = [e.timestamp for e in resumed.history if e.type == "LambdaFunctionScheduled"]
    assert (resumed.output, scheduled) == ("ok", [0.0, 50.0])


def test_a_hand_edited_history_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with pytest.raises(KeyboardInterrupt):
        durable.run(ONE_TASK, {"a": 1}, store=db, name="n", resources={WORK: _interrupt})
    edit = sqlite3.connect(db)
    edit.execute("""UPDATE events SET details = '{"input":{"a":2},"roleArn":"x"}' WHERE id = 1""")
    edit.commit()
    with pytest.raises(StoreError, match="altered"):
        durable.run(ONE_TASK, {"a": 1}, store=db, name="n", resources={WORK: lambda x: x})


def test_a_history_edited_with_its_digests_redone_is_still_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with pytest.raises(KeyboardInterrupt):
        durable.run(ONE_TASK, {"a": 1}, store=db, name="n", resources={WORK: _interrupt})
    edit = sqlite3.connect(db)
    rows = edit.execute("SELECT id, lane, previous, timestamp, type, details FROM events ORDER BY id").fetchall()
    digest = ""
    for event_id, lane, previous, timestamp, kind, details in rows:
        if kind == "LambdaFunctionScheduled":
            details = details.replace('"a":1', '"a":7')
        digest = store.chain(digest, event_id, lane, previous, timestamp, kind, details or "")
        edit.execute("UPDATE events SET details = ?, digest = ? WHERE id = ?", (details, digest, event_id))
    edit.execute("UPDATE executions SET digest = ?", (digest,))
    edit.commit()
    with pytest.raises(StoreError, match="does not match its definition"):
        durable.run(ONE_TASK, {"a": 1}, store=db, name="n", resources={WORK: lambda x: x})


def _interrupt(_: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.anyio
async def test_a_token_answered_from_another_process_completes_the_task(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    callback = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token"},
                "End": True,
            }
        }
    )
    handed: list[str] = []
    resources = {"arn:aws:states:::sqs:sendMessage.waitForTaskToken": lambda event: handed.append(event["token"]) or {}}

    async def answer() -> None:
        while not handed:
            await anyio.sleep(0.01)
        script = f"from asl import durable; durable.send_task_success({str(db)!r}, {handed[0]!r}, {{'ok': 1}})"
        environment = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
        await anyio.run_process([sys.executable, "-c", script], env=environment)

    async with anyio.create_task_group() as tg:
        tg.start_soon(answer)
        with anyio.fail_after(30):
            execution = await durable.execute(callback, {}, store=db, name="n", resources=resources)
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"ok": 1})
    with pytest.raises(StoreError, match="no longer waits"):
        durable.send_task_success(db, handed[0], {})


def test_describe_shows_a_running_execution_and_its_history(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with pytest.raises(KeyboardInterrupt):
        durable.run(ONE_TASK, {}, store=db, name="n", resources={WORK: _interrupt})
    described = durable.describe(db, "n")
    assert described.status is asl.Status.RUNNING
    assert [e.type for e in described.history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
    ]


def test_the_in_memory_api_writes_nothing(tmp_path: Path) -> None:
    execution = asl.run(ONE_TASK, {}, resources={WORK: lambda x: 1})
    assert execution.output == 1 and list(tmp_path.iterdir()) == []


def test_a_token_answered_while_no_process_runs_the_execution_is_taken_on_resume(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    callback = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"token.$": "$$.Task.Token"},
                "End": True,
            }
        }
    )
    tokens: list[str] = []

    def hand_out_then_die(event: Any) -> Any:
        tokens.append(event["token"])
        raise KeyboardInterrupt

    arn = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    with pytest.raises(KeyboardInterrupt):
        durable.run(callback, {}, store=db, name="n", resources={arn: hand_out_then_die})
    assert durable.send_task_success(db, tokens[0], {"late": True}) == "n"
    resumed = durable.run(
        callback, {}, store=db, name="n", resources={arn: lambda event: tokens.append(event["token"])}
    )
    assert (resumed.output, tokens[1]) == ({"late": True}, tokens[0])  # called again, with the same token


def test_the_execution_timeout_counts_from_the_original_start(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    timed = asl.parse(
        {"StartAt": "T", "TimeoutSeconds": 100, "States": {"T": {"Type": "Task", "Resource": WORK, "End": True}}}
    )
    with pytest.raises(KeyboardInterrupt):
        durable.run(timed, {}, store=db, name="n", resources={WORK: _interrupt}, clock=asl.VirtualClock(1000))

    async def slow(_: Any) -> Any:
        await anyio.sleep(30)  # longer than the test: only the deadline can end the run

    resumed = durable.run(timed, {}, store=db, name="n", resources={WORK: slow}, clock=asl.VirtualClock(1090))
    assert (resumed.status, resumed.history[-1].timestamp) == (asl.Status.TIMED_OUT, 1100.0)


HEARTBEAT = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "HeartbeatSeconds": 10,
            "TimeoutSeconds": 100,
            "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "End": True,
        }
    },
}
SILENT_THEN_KILLED = """
import os, signal, sys, asl
from asl import durable
calls = []
def silent_then_killed(event):
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # killed during the retry
    return {}  # the first attempt never answers: its heartbeat times out
machine = asl.parse(%r)
arn = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
durable.run(machine, {}, store=sys.argv[1], name="n", resources={arn: silent_then_killed}, clock=asl.VirtualClock(0))
"""


def test_a_recorded_heartbeat_timeout_is_retried_as_one_on_resume(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    environment = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    script = SILENT_THEN_KILLED % (HEARTBEAT,)
    killed = subprocess.run([sys.executable, "-c", script, str(db)], env=environment, timeout=60, capture_output=True)
    assert killed.returncode == -9, killed.stderr

    def answer(event: Any, context: Any) -> Any:
        context.send_task_success("done")
        return {}

    arn = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    resumed = durable.run(
        asl.parse(HEARTBEAT), {}, store=db, name="n", resources={arn: answer}, clock=asl.VirtualClock(0)
    )
    assert (resumed.status, resumed.output) == (asl.Status.SUCCEEDED, "done")
