"""The floor of each benchmark workload: its data transformations written by hand in plain Python.

A floor does what the state machine does, state by state, with no interpreter: the same objects
built in the same key order, the same intrinsic work (MathAdd, Format, JsonToString, Hash, ...),
the same Catch and Retry control flow (a failing Task callable raises, as the real one does). It is
what an execution would cost if interpreting were free, so `ours / floor` is our overhead.

Every floor takes the workload's input and returns exactly its expected output (the harness and
`tests/test_benchmark_harness.py` check the value and the sha256 of its compact text). Floors never
mutate their input: they are timed over many repetitions of the same input.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["FLOORS"]

JSON = Any  # the workloads' values: None | bool | int | float | str | list | dict


class _Failed(Exception):
    """A failing Task callable: an ASL error name and cause."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


def trivial_1(value: JSON) -> JSON:
    # One Pass state with no fields: its output is its input.
    return value


def pass_chain_100(value: JSON) -> JSON:
    for i in range(100):
        # Parameters {"i": i, "prev.$": "$.cur.i", "name.$": "$.meta.name", "state.$": "$$.State.Name"}
        result = {"i": i, "prev": value["cur"]["i"], "name": value["meta"]["name"], "state": f"S{i:03d}"}
        value = {**value, "cur": result}  # ResultPath $.cur replaces the key where it stands
    return value


def choice_loop_1000(value: JSON) -> JSON:
    value = {"i": 0, "limit": value["limit"]}  # Init
    while value["i"] < value["limit"]:  # Check: NumericLessThanPath
        value = {"i": value["i"] + 1, "limit": value["limit"]}  # Incr: States.MathAdd($.i, 1)
    return value  # Done


def map_1000(value: JSON) -> JSON:
    results = []
    for index, item in enumerate(value["items"]):
        selected = {"item": item, "index": index, "factor": value["factor"]}  # ItemSelector
        p1 = {
            "id": selected["item"]["id"],
            "v": selected["item"]["v"],
            "index": selected["index"],
            "factor": selected["factor"],
        }
        p2 = {"id": p1["id"], "sum": p1["v"] + p1["index"], "scaled": p1["v"] + p1["factor"]}
        p3 = {
            "id": p2["id"],
            "sum": p2["sum"],
            "scaled": p2["scaled"],
            "label": f"item-{p2['id']}:{p2['sum']}",
        }
        results.append(p3)
    value = {**value, "results": results}  # ResultPath $.results
    return value["results"]  # OutputPath $.results


def parallel_16(value: JSON) -> JSON:
    results = []
    for branch in range(16):
        # BnnS1 adds the branch number, S2..S5 add 1 each.
        step = {"branch": branch, "step": 1, "v": value["v"] + branch}
        for number in range(2, 6):
            step = {"branch": branch, "step": number, "v": step["v"] + 1}
        results.append(step)
    return results


def intrinsics_heavy(value: JSON) -> JSON:
    while True:
        arr = value["arr"]
        build = {
            "i": value["i"],
            "n": value["n"],
            "arr": arr,
            "doc": value["doc"],
            "patch": {"iter": value["i"], "b": {"last": value["i"]}},
            "label": f"iter {value['i']} of {value['n']} for {value['doc']['name']}",
            "parts": [arr[start : start + 6] for start in range(0, len(arr), 6)],
        }
        label = build["label"].encode()
        encode = {
            "i": build["i"],
            "n": build["n"],
            "arr": build["arr"],
            "docStr": json.dumps(build["doc"], separators=(",", ":"), ensure_ascii=False),
            "patchStr": json.dumps(build["patch"], separators=(",", ":"), ensure_ascii=False),
            "hash": hashlib.sha256(label).hexdigest(),
            "b64": base64.b64encode(label).decode(),
            "nparts": len(build["parts"]),
            "lastPart": build["parts"][3],
        }
        decoded = base64.b64decode(encode["b64"]).decode()
        value = {
            "i": encode["i"] + 1,
            "n": encode["n"],
            "arr": encode["arr"],
            # States.JsonMerge(..., false) is a shallow merge: the patch's "b" replaces the doc's.
            "doc": {**json.loads(encode["docStr"]), **json.loads(encode["patchStr"])},
            "lastPart": encode["lastPart"],
            "digest": f"{encode['hash']}/{encode['nparts']}/{decoded}",
        }
        if not value["i"] < value["n"]:  # Check
            return value


def payload_large(value: JSON) -> JSON:
    for first in range(1, 21, 4):  # P01..P20: four kinds of Pass state, five times
        value = {**value, "data": value["data"]}  # InputPath $.data, ResultPath $.data
        value = {"meta": value["meta"], "data": value["data"], "hop": first + 1}  # Parameters
        last = {"hop": first + 2, "note": "small write"}  # Result at ResultPath $.meta.last
        value = {**value, "meta": {**value["meta"], "last": last}}
        records = value["data"]["records"]  # InputPath/ResultPath $.data.records, OutputPath $
        value = {**value, "data": {**value["data"], "records": records}}
    return value


def nested_map_parallel(value: JSON) -> JSON:
    groups = []
    for item in value["groups"]:
        selected = {"g": item["g"], "values": item["values"]}  # Outer ItemSelector
        branches = []
        for side, delta in (("A", 1), ("B", -1)):  # Fork: InnerA and InnerB
            results = []
            for v in selected["values"]:
                leaf = {"g": selected["g"], "v": v, "side": side}  # Inner ItemSelector
                for _ in range(5):
                    leaf = {"g": leaf["g"], "side": leaf["side"], "v": leaf["v"] + delta}
                results.append(leaf)
            branches.append(results)
        groups.append(branches)
    return groups


def retry_catch(value: JSON) -> JSON:
    while True:
        # Try: a one-branch Parallel whose Gate fails (Boom) below the threshold. The Fail is a
        # branch here, not a raised exception: the floor pays only for the data work.
        if value["attempt"] < value["failUntil"]:
            error, cause = "Transient", "attempt below threshold"
            # The Retrier (ErrorEquals ["Permanent"]) does not match; the first Catcher does.
            value = {**value, "lastError": {"Error": error, "Cause": cause}}
            # Backoff: Wait 0 seconds. Bump:
            value = {
                "attempt": value["attempt"] + 1,
                "rounds": value["rounds"],
                "maxRounds": value["maxRounds"],
                "failUntil": value["failUntil"],
                "errors": value["errors"] + 1,
                "lastError": value["lastError"],
            }
            continue
        value = {**value, "result": [{"ok": True, "attempt": value["attempt"]}]}  # Ok, ResultPath
        value = {  # NextRound
            "attempt": 0,
            "rounds": value["rounds"] + 1,
            "maxRounds": value["maxRounds"],
            "failUntil": value["failUntil"],
            "errors": value["errors"],
            "lastError": value["lastError"],
            "lastResult": value["result"],
        }
        if not value["rounds"] < value["maxRounds"]:  # RoundCheck
            return value  # Done


def retry_backoff(value: JSON) -> JSON:
    # Boom fails the Parallel's only branch on the first try and on both retries (their 1 s
    # waits skipped); then Catch States.ALL puts the error at $.error.
    error = None
    for _attempt in range(3):
        error = {"Error": "Flaky", "Cause": "always"}
    value = {**value, "error": error}
    return {"recovered": True, "error": value["error"]}  # Recovered


def _add(payload: JSON) -> JSON:
    return {"value": payload["x"] + payload["by"]}  # tasks.add


def task_chain_100(value: JSON) -> JSON:
    for index in range(100):
        result = _add({"x": value["acc"]["x"], "by": index % 3 + 1})  # "by" cycles 1, 2, 3
        value = {**value, "acc": {"x": result["value"]}}  # ResultSelector, ResultPath $.acc
    return value


def _flaky(payload: JSON) -> JSON:
    if payload["attempt"] < 1:  # tasks.flaky
        raise _Failed("Flaky", f"item {payload['n']} failed on attempt {payload['attempt']}")
    return {"n": payload["n"], "square": payload["n"] * payload["n"], "attempt": payload["attempt"]}


def task_map_retry(value: JSON) -> JSON:
    results = []
    for item in value["items"]:
        retry_count = 0
        while True:
            try:
                result = _flaky({"n": item["n"], "attempt": retry_count})
                break
            except _Failed as failure:
                if failure.error != "Flaky" or retry_count >= 2:  # Retry: MaxAttempts 2
                    raise
                retry_count += 1  # the 1 s interval is skipped, as with virtual time
        results.append(result)
    return results


FLOORS: Final[dict[str, Callable[[JSON], JSON]]] = {
    "trivial_1": trivial_1,
    "pass_chain_100": pass_chain_100,
    "choice_loop_1000": choice_loop_1000,
    "map_1000": map_1000,
    "parallel_16": parallel_16,
    "intrinsics_heavy": intrinsics_heavy,
    "payload_large": payload_large,
    "nested_map_parallel": nested_map_parallel,
    "retry_catch": retry_catch,
    "retry_backoff": retry_backoff,
    "task_chain_100": task_chain_100,
    "task_map_retry": task_map_retry,
}
