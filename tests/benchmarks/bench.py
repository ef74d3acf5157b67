"""The benchmark harness: run the shared workloads through asl, one fresh process each, and report.

    python tests/benchmarks/bench.py [--bench-dir ../shared/bench] [-k NAME] [--runs 5] [--json out.json]
    python tests/benchmarks/bench.py --scale
    python tests/benchmarks/bench.py --one NAME [--profile]    # one workload, in this process

For every workload of the bench's manifest.json (or those whose name contains a -k NAME), a
subprocess of this script (`--one NAME`) parses the definition once (timed: the cold parse, which
includes loading the compiler), then re-parses it a few times (the warm parse), runs one untimed
warm-up execution and at least --runs timed ones (median wall time), and records the peak RSS.
Every execution is checked: status SUCCEEDED, output equal to expected_outputs.json's value, and
the sha256 of its compact JSON text equal to the recorded one (which also checks key order).
Then it checks and times the workload's floor (floors.py: the same work in plain Python).

The table reads as ratios: `x floor` is our median over the floor's (our overhead), `speedup`
is the peer's median (moto's interpreter with JSONPath parsing cached, same machine class) over
ours. The exit status is 1 when any output, ours or a floor's, is wrong.

`--scale` measures what the workloads do not: parsing a 1,000-state definition, a Map over
100,000 items, 1,000 concurrent executions in one event loop, and `python -m asl --help` start-up.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib.util
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
REPO: Final = HERE.parents[1]
DEFAULT_BENCH_DIR: Final = REPO.parent / "shared" / "bench"
RESULT_MARK: Final = "BENCH-RESULT "

# moto 5.2.1's interpreter called in-process with its JSONPath parsing memoised: median ms per
# execution, measured on the same machine class (the issue "Performance").
PEER_CACHED_MS: Final = {
    "pass_chain_100": 199.0,
    "choice_loop_1000": 208.0,
    "map_1000": 5808.0,
    "parallel_16": 204.0,
    "payload_large": 3616.0,
    "nested_map_parallel": 758.0,
    "retry_catch": 403.0,
}
# The floors as the author measured them (ms), to calibrate this machine against theirs.
AUTHOR_FLOOR_MS: Final = {
    "pass_chain_100": 0.032,
    "choice_loop_1000": 0.19,
    "map_1000": 1.23,
    "parallel_16": 0.019,
    "payload_large": 0.021,
    "nested_map_parallel": 0.62,
    "retry_catch": 0.053,
}

JSON = Any


# -- loading ------------------------------------------------------------------------------------


def load_module(path: Path, name: str) -> ModuleType:
    """Import a Python file by path (the bench's tasks.py, our floors.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_floors() -> dict[str, Callable[[JSON], JSON]]:
    """The floor functions, by workload name."""
    floors = sys.modules.get("asl_bench_floors") or load_module(HERE / "floors.py", "asl_bench_floors")
    return dict(floors.FLOORS)


def load_manifest(bench_dir: Path) -> list[dict[str, Any]]:
    """The workloads of manifest.json, in its order."""
    return list(json.loads((bench_dir / "manifest.json").read_text())["workloads"])


def load_expected(bench_dir: Path) -> dict[str, dict[str, Any]]:
    """expected_outputs.json's entries by workload name: output, sha256, agreed_by."""
    return dict(json.loads((bench_dir / "expected_outputs.json").read_text(encoding="utf-8"))["workloads"])


def select(workloads: Iterable[dict[str, Any]], patterns: Sequence[str] | None) -> list[dict[str, Any]]:
    """The workloads whose name contains any of the patterns (all of them without patterns)."""
    return [w for w in workloads if not patterns or any(p in w["name"] for p in patterns)]


# -- correctness --------------------------------------------------------------------------------


def compact(value: JSON) -> str:
    """The compact JSON text whose sha256 expected_outputs.json records."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_output(status: object, output: JSON, expected: dict[str, Any]) -> str | None:
    """What is wrong with an execution's result, or None when it is exactly the expected one."""
    status = getattr(status, "value", status)
    if status != "SUCCEEDED":
        return f"status {status}"
    if output != expected["output"]:
        return "output differs"
    if hashlib.sha256(compact(output).encode("utf-8")).hexdigest() != expected["sha256"]:
        return "output text differs (sha256; key order?)"
    return None


def adapt(function: Callable[[JSON], JSON], failure: type[Exception]) -> Callable[[JSON], JSON]:
    """Wrap a bench callable so that its `failure(error, cause)` fails the Task as asl.TaskFailed."""
    import asl

    def call(payload: JSON) -> JSON:
        try:
            return function(payload)
        except failure as error:
            raise asl.TaskFailed(error.error, error.cause) from None  # type: ignore[attr-defined]

    call.__name__ = call.__qualname__ = getattr(function, "__name__", "call")
    return call


def make_resources(workload: dict[str, Any], bench_dir: Path) -> dict[str, Callable[[JSON], JSON]]:
    """The Task resources of a workload: ARN -> adapted callable from the bench's tasks.py."""
    if not workload["tasks"]:
        return {}
    tasks = sys.modules.get("asl_bench_tasks") or load_module(bench_dir / "tasks.py", "asl_bench_tasks")
    resources = {}
    for arn, target in workload["tasks"].items():
        module_name, _, function_name = target.partition(":")
        if module_name != "tasks":
            raise ValueError(f"{workload['name']}: unknown task module in {target!r}")
        resources[arn] = adapt(getattr(tasks, function_name), tasks.TaskFailed)
    return resources


# -- measuring one workload (in its own process) ------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def time_floor(floor: Callable[[JSON], JSON], value: JSON, *, samples: int = 15, batch_s: float = 0.002) -> float:
    """The median seconds of one floor call: batches of calls long enough to time, then a median."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            floor(value)
        if (elapsed := time.perf_counter() - start) >= batch_s or number >= 1 << 20:
            break
        number *= 2 if elapsed <= 0 else max(2, min(10, int(batch_s / elapsed) + 1))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(number):
            floor(value)
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def measure_one(
    workload: dict[str, Any],
    bench_dir: Path,
    *,
    runs: int = 5,
    min_time: float = 0.5,
    max_runs: int = 200,
    profile: int = 0,
) -> dict[str, Any]:
    """Parse, warm up, time and check one workload, then check and time its floor."""
    import asl

    name = workload["name"]
    expected = load_expected(bench_dir)[name]
    definition = json.loads((bench_dir / workload["definition"]).read_text(encoding="utf-8"))
    input_text = (bench_dir / workload["input"]).read_text(encoding="utf-8")
    resources = make_resources(workload, bench_dir)

    def execute(machine: asl.StateMachine) -> tuple[asl.Execution, float]:
        value = json.loads(input_text)  # a fresh input each time, outside the timed region
        # The previous run's young cyclic garbage, collected outside the timed region. Not a full
        # collection: in CPython that also empties the interpreter's free lists, and the run after
        # it would allocate from scratch, as no run in a sequence of executions does.
        gc.collect(1)
        start = time.perf_counter()
        execution = asl.run(machine, value, resources=resources, clock=asl.VirtualClock())
        return execution, time.perf_counter() - start

    start = time.perf_counter()
    machine = asl.parse(definition)
    parse_s = time.perf_counter() - start
    reparse = []
    for _ in range(5):
        start = time.perf_counter()
        asl.parse(definition)
        reparse.append(time.perf_counter() - start)

    problems: list[str] = []
    warmup, _ = execute(machine)
    if problem := check_output(warmup.status, warmup.output, expected):
        problems.append(f"warm-up: {problem}" + (f" ({warmup.error}: {warmup.cause})" if warmup.error else ""))
    entered = sum(1 for event in warmup.history if event.type.endswith("StateEntered"))

    times: list[float] = []
    while len(times) < runs or (sum(times) < min_time and len(times) < max_runs):
        execution, elapsed = execute(machine)
        times.append(elapsed)
        if problem := check_output(execution.status, execution.output, expected):
            problems.append(f"run {len(times)}: {problem}")
            break
    rss = peak_rss_mb()
    median_s = statistics.median(times)

    result: dict[str, Any] = {
        "name": name,
        "transitions": workload["transitions"],
        "ours_only": workload["ours_only"],
        "entered_events": entered,
        "parse_ms": parse_s * 1e3,
        "reparse_ms": statistics.median(reparse) * 1e3,
        "runs": len(times),
        "median_ms": median_s * 1e3,
        "min_ms": min(times) * 1e3,
        "max_ms": max(times) * 1e3,
        "transitions_per_s": workload["transitions"] / median_s,
        "peak_rss_mb": rss,
        "ok": not problems,
        "problems": problems,
        "peer_cached_ms": PEER_CACHED_MS.get(name),
        "author_floor_ms": AUTHOR_FLOOR_MS.get(name),
    }

    floor = load_floors().get(name)
    if floor is not None:
        value = json.loads(input_text)
        floor_problem = check_output("SUCCEEDED", floor(value), expected)
        if value != json.loads(input_text):
            floor_problem = "the floor mutated its input"
        result["floor_ok"] = floor_problem is None
        result["floor_ms"] = time_floor(floor, value) * 1e3 if floor_problem is None else None
        if floor_problem:
            result["problems"].append(f"floor: {floor_problem}")
            result["ok"] = False

    if profile:
        profiler = cProfile.Profile()
        for _ in range(max(runs, 1)):
            value = json.loads(input_text)
            profiler.enable()
            asl.run(machine, value, resources=resources, clock=asl.VirtualClock())
            profiler.disable()
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)
        print(stream.getvalue(), file=sys.stderr)
    return result


def run_child(name: str, bench_dir: Path, runs: int, profile: int, timeout: float) -> dict[str, Any]:
    """Measure one workload in a fresh process; its result, or a failed one if the process failed."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", name, "--bench-dir", str(bench_dir)]
    command += ["--runs", str(runs)] + (["--profile", str(profile)] if profile else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"name": name, "ok": False, "problems": [f"timed out after {timeout:.0f} s"]}
    if profile and done.stderr:
        print(f"---- profile: {name}\n{done.stderr}", file=sys.stderr)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK) :])
            return result
    return {
        "name": name,
        "ok": False,
        "problems": [f"exit {done.returncode}: {last_lines(done.stderr or done.stdout)}"],
    }


def last_lines(text: str, count: int = 3) -> str:
    """The last few meaningful lines of a child's output (an exception's, usually)."""
    lines = [line.strip() for line in text.splitlines() if line.strip(" |+-^~\t")]
    return " | ".join(lines[-count:])


# -- the table ----------------------------------------------------------------------------------

COLUMNS: Final = (
    ("workload", "<20", "name", "{}"),
    ("trans", ">5", "transitions", "{}"),
    ("parse ms", ">8", "parse_ms", "{:.1f}"),
    ("reparse", ">7", "reparse_ms", "{:.2f}"),
    ("median ms", ">9", "median_ms", "{:.2f}"),
    ("runs", ">4", "runs", "{}"),
    ("trans/s", ">8", "transitions_per_s", "{:,.0f}"),
    ("RSS MB", ">6", "peak_rss_mb", "{:.1f}"),
    ("floor ms", ">8", "floor_ms", "{:.3g}"),
    ("(author)", ">8", "author_floor_ms", "{:.3f}"),
    ("x floor", ">7", "ratio_to_floor", "{:,.0f}"),
    ("peer ms", ">7", "peer_cached_ms", "{:.0f}"),
    ("speedup", ">7", "speedup", "{:.1f}"),
    ("ok", "<4", "ok_text", "{}"),
)


def derive(result: dict[str, Any]) -> dict[str, Any]:
    """Add the ratios: ours over the floor, the peer over ours."""
    median, floor, peer = result.get("median_ms"), result.get("floor_ms"), result.get("peer_cached_ms")
    result["ratio_to_floor"] = median / floor if median and floor else None
    result["speedup"] = peer / median if median and peer else None
    result["ok_text"] = "ok" if result.get("ok") else "FAIL: " + "; ".join(result.get("problems", []))
    return result


def format_table(results: Iterable[dict[str, Any]]) -> str:
    """A fixed-width text table, one row per workload."""
    rows = [" ".join(f"{title:{align}}" for title, align, _, _ in COLUMNS)]
    for result in results:
        cells = []
        for _, align, key, template in COLUMNS:
            value = result.get(key)
            cells.append(f"{'-' if value is None else template.format(value):{align}}")
        rows.append(" ".join(cells).rstrip())
    return "\n".join(rows)


# -- scale --------------------------------------------------------------------------------------


def pass_chain(count: int) -> dict[str, Any]:
    """A definition of `count` Pass states in sequence, each with a Parameters template and ResultPath."""
    names = [f"S{index:04d}" for index in range(count)]
    states: dict[str, Any] = {}
    for index, name in enumerate(names):
        state: dict[str, Any] = {
            "Type": "Pass",
            "Parameters": {"i": index, "prev.$": "$.cur.i", "state.$": "$$.State.Name"},
            "ResultPath": "$.cur",
        }
        if index + 1 < count:
            state["Next"] = names[index + 1]
        else:
            state["End"] = True
        states[name] = state
    return {"Comment": f"{count} Pass states", "StartAt": names[0], "States": states}


def scale_parse_1000() -> dict[str, Any]:
    import asl

    asl.parse({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})  # load the compiler
    definition = pass_chain(1000)
    times = []
    for _ in range(7):
        start = time.perf_counter()
        machine = asl.parse(definition)
        times.append(time.perf_counter() - start)
    execution = asl.run(machine, {"cur": {"i": -1}}, clock=asl.VirtualClock())
    ok = getattr(execution.status, "value", execution.status) == "SUCCEEDED"
    return {
        "parse_1000_median_ms": statistics.median(times) * 1e3,
        "parse_1000_min_ms": min(times) * 1e3,
        "ok": ok,
    }


def scale_map_100k(items: int = 100_000) -> dict[str, Any]:
    import asl

    machine = asl.parse(
        {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 0,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        "StartAt": "Echo",
                        "States": {"Echo": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            },
        }
    )
    value: dict[str, Any] = {"items": [{"n": index} for index in range(items)]}
    # AWS fails this execution: 25,000 history events at most, 256 KiB per payload (the output is
    # about 1.2 MB). Both limits are raised here, so that the figure is the cost of the work.
    limits: dict[str, Any] = {}
    if hasattr(asl, "Limits"):
        limits["limits"] = asl.Limits(history_events=10 * items + 100, payload_bytes=1 << 30)
    before = peak_rss_mb()
    start = time.perf_counter()
    execution = asl.run(machine, value, clock=asl.VirtualClock(), **limits)
    wall = time.perf_counter() - start
    status = getattr(execution.status, "value", execution.status)
    ok = status == "SUCCEEDED" and execution.output == value["items"]
    return {
        "map_status": status if ok else f"{status} {execution.error}: {execution.cause}",
        "map_items": items,
        "map_wall_s": wall,
        "map_peak_rss_mb": peak_rss_mb(),
        "map_rss_before_mb": before,
        "map_history_events": len(execution.history),
        "ok": ok,
    }


def scale_concurrent_1000(count: int = 1000) -> dict[str, Any]:
    import anyio

    import asl

    definition = pass_chain(10)
    # A one-second Wait in the middle, so that the executions interleave on virtual time.
    definition["States"]["S0004"]["Next"] = "Nap"
    definition["States"]["Nap"] = {"Type": "Wait", "Seconds": 1, "Next": "S0005"}
    machine = asl.parse(definition)
    statuses: list[str] = []

    async def one(index: int) -> None:
        execution = await asl.execute(machine, {"cur": {"i": -1}, "n": index}, clock=asl.VirtualClock())
        statuses.append(getattr(execution.status, "value", execution.status))

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for index in range(count):
                group.start_soon(one, index)

    start = time.perf_counter()
    anyio.run(main)
    wall = time.perf_counter() - start
    succeeded = statuses.count("SUCCEEDED")
    return {
        "concurrent_executions": count,
        "concurrent_wall_s": wall,
        "concurrent_per_execution_ms": wall / count * 1e3,
        "concurrent_succeeded": succeeded,
        "concurrent_peak_rss_mb": peak_rss_mb(),
        "ok": succeeded == count,
    }


SCALE_PARTS: Final = {
    "parse_1000": scale_parse_1000,
    "map_100k": scale_map_100k,
    "concurrent_1000": scale_concurrent_1000,
}


def median_command_s(command: Sequence[str], repeat: int = 5) -> float:
    """The median wall time of a command run `repeat` times (after one untimed run)."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_scale(timeout: float) -> tuple[dict[str, Any], bool]:
    """Every scale figure, each part in a fresh process; and whether every part succeeded."""
    figures: dict[str, Any] = {}
    ok = True
    for part in SCALE_PARTS:
        command = [sys.executable, str(Path(__file__).resolve()), "--scale-one", part]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            figures[f"{part}_error"] = f"timed out after {timeout:.0f} s"
            ok = False
            continue
        lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if not lines:
            figures[f"{part}_error"] = f"exit {done.returncode}: {last_lines(done.stderr or done.stdout)}"
            ok = False
            continue
        part_figures = json.loads(lines[-1][len(RESULT_MARK) :])
        part_ok = part_figures.pop("ok")
        ok = ok and part_ok
        figures.update(part_figures)
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPROFILEIMPORTTIME", None)
    figures["python_startup_ms"] = median_command_s([sys.executable, "-c", "pass"]) * 1e3
    figures["cli_help_startup_ms"] = median_command_s([sys.executable, "-m", "asl", "--help"]) * 1e3
    return figures, ok


def format_scale(figures: dict[str, Any]) -> str:
    """The scale figures, one line each."""
    f = figures
    lines = []
    if "parse_1000_median_ms" in f:
        lines.append(
            f"parse, 1,000 Pass states:     {f['parse_1000_median_ms']:.1f} ms median of 7"
            f" (min {f['parse_1000_min_ms']:.1f} ms)"
        )
    if "map_wall_s" in f:
        lines.append(
            f"Map over {f['map_items']:,} Pass items: {f['map_wall_s']:.2f} s wall,"
            f" peak RSS {f['map_peak_rss_mb']:.0f} MB (input alone: {f['map_rss_before_mb']:.0f} MB),"
            f" {f['map_history_events']:,} history events, {f['map_status']}"
        )
    if "concurrent_wall_s" in f:
        lines.append(
            f"{f['concurrent_executions']:,} concurrent executions: {f['concurrent_wall_s']:.2f} s wall"
            f" ({f['concurrent_per_execution_ms']:.2f} ms each; 11 states with a 1 s virtual Wait;"
            f" {f['concurrent_succeeded']} succeeded), peak RSS {f['concurrent_peak_rss_mb']:.0f} MB"
        )
    lines.append(
        f"python -m asl --help:         {f['cli_help_startup_ms']:.0f} ms median of 5"
        f" (bare `python -c pass`: {f['python_startup_ms']:.0f} ms)"
    )
    lines += [f"{key}: {value}" for key, value in f.items() if key.endswith("_error")]
    return "\n".join(lines)


# -- the command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench.py")
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(os.environ.get("ASL_BENCH_DIR", DEFAULT_BENCH_DIR)),
        help="the shared workloads (default: $ASL_BENCH_DIR, else ../shared/bench beside the repo)",
    )
    parser.add_argument(
        "-k", dest="patterns", action="append", metavar="NAME", help="workloads whose name contains NAME"
    )
    parser.add_argument("--runs", type=int, default=5, help="at least this many timed executions (default 5)")
    parser.add_argument("--min-time", type=float, default=0.5, help="keep timing until this many seconds (default 0.5)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write every figure to this JSON file")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        default=0,
        metavar="N",
        help="print a cProfile of the executions (top N functions) to stderr",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per child process")
    parser.add_argument("--scale", action="store_true", help="measure the scale figures instead")
    parser.add_argument("--one", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--scale-one", choices=sorted(SCALE_PARTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    bench_dir: Path = args.bench_dir.resolve()

    if args.scale_one:
        print(RESULT_MARK + json.dumps(SCALE_PARTS[args.scale_one]()), flush=True)
        return 0
    if args.scale:
        figures, ok = run_scale(args.timeout)
        print(format_scale(figures))
        if args.json:
            args.json.write_text(json.dumps({"meta": meta(), "scale": figures}, indent=1) + "\n")
        return 0 if ok else 1
    if not (bench_dir / "manifest.json").is_file():
        given = "--bench-dir" in (sys.argv[1:] if argv is None else argv) or "ASL_BENCH_DIR" in os.environ
        if not given:  # a clone with nothing beside it: the workloads are not part of the repository
            print(
                f"skipped: no benchmark workloads at {bench_dir}; they are the project's shared material, kept "
                "beside the repository in ../shared/bench (or pass --bench-dir DIR)",
                file=sys.stderr,
            )
            return 0
        print(f"no benchmark workloads at {bench_dir} (use --bench-dir)", file=sys.stderr)
        return 2
    workloads = load_manifest(bench_dir)
    if args.one:
        workload = next((w for w in workloads if w["name"] == args.one), None)
        if workload is None:
            print(f"no workload named {args.one!r}", file=sys.stderr)
            return 2
        result = measure_one(workload, bench_dir, runs=args.runs, min_time=args.min_time, profile=args.profile)
        print(RESULT_MARK + json.dumps(result), flush=True)
        return 0 if result["ok"] else 1

    chosen = select(workloads, args.patterns)
    if not chosen:
        print(f"no workload matches {args.patterns}", file=sys.stderr)
        return 2
    results = []
    for workload in chosen:
        results.append(derive(run_child(workload["name"], bench_dir, args.runs, args.profile, args.timeout)))
        print(f"  {workload['name']}: {results[-1]['ok_text']}", file=sys.stderr, flush=True)
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta(), "workloads": results}, indent=1) + "\n")
    return 0 if all(result.get("ok") for result in results) else 1


def meta() -> dict[str, Any]:
    """Where and when the figures were taken."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


if __name__ == "__main__":
    sys.exit(main())
