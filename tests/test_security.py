"""No way for a definition to run code: nothing in a definition or an input makes the library
import or call Python code the embedding program did not hand in.

A Task's Resource is only a key into the `resources` mapping (never a module path or a dotted
name to import); JSONata, intrinsic functions and JSONPath see JSON values only, never Python
objects; the command line reads the files it is told to read as JSON and reports anything else
in one line. A Python audit hook watches every attack for the events code execution raises
(`import`, `exec`, `compile`, `os.system`, `subprocess.Popen`, ...).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import anyio
import pytest

import asl
from asl import cli
from asl.errors import ResourceError
from asl.teststate import test_state as run_test_state
from helpers import GUARD, machine

pytestmark = pytest.mark.anyio


ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"

# Audit events that code being loaded or run on a definition's behalf would raise.
DANGEROUS = (
    "import",
    "exec",
    "compile",
    "open",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.kill",
    "os.remove",
    "os.rename",
    "os.putenv",
    "subprocess.Popen",
    "pty.spawn",
    "ctypes.",
    "socket.",
    "shutil.",
    "webbrowser.open",
    "urllib.Request",
)


# -- helpers --------------------------------------------------------------------------------------


class _Watch:
    """The audit events seen while `nothing_runs()` is active (None when nothing is watched)."""

    events: list[str] | None = None
    installed = False


def _ply_table_import(event: str, args: tuple[Any, ...]) -> bool:
    """jsonpath-ng's parser (ply) loads its own parse tables with exec("import jsonpath_ng...")."""
    if event == "compile":
        return isinstance(args[0], bytes) and args[0].startswith(b"import jsonpath_ng._ply_tables")
    if event == "exec":
        names = getattr(args[0], "co_names", ("?",))
        return all(name.startswith("jsonpath_ng") for name in names)
    return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    seen = _Watch.events
    if seen is not None and event.startswith(DANGEROUS) and not _ply_table_import(event, args):
        seen.append(f"{event} {args[0]!r}" if args else event)


@contextlib.contextmanager
def nothing_runs() -> Iterator[None]:
    """Fail if anything inside imports a module, compiles or executes code, spawns or opens."""
    if not _Watch.installed:  # an audit hook cannot be removed: one, installed once, idle when not watching
        sys.addaudithook(_audit)
        _Watch.installed = True
    _Watch.events = []
    try:
        yield
    finally:
        seen, _Watch.events = _Watch.events, None
    assert seen == [], f"code ran on the definition's behalf: {seen}"


def task(resource: str, **fields: Any) -> asl.StateMachine:
    return machine({"T": {"Type": "Task", "Resource": resource, "End": True, **fields}})


async def run(mach: asl.StateMachine, value: Any = None, **options: Any) -> asl.Execution:
    options.setdefault("clock", asl.VirtualClock(0))
    options.setdefault("seed", 0)
    with anyio.fail_after(GUARD):
        return await asl.execute(mach, value, **options)


def jsonata_pass(output: Any) -> asl.StateMachine:
    return machine({"P": {"Type": "Pass", "Output": output, "End": True}}, QueryLanguage="JSONata")


def jsonpath_pass(parameters: dict[str, Any]) -> asl.StateMachine:
    return machine({"P": {"Type": "Pass", "Parameters": parameters, "End": True}})


@pytest.fixture
def warm_parser() -> None:
    """Load what the validator and compiler load on first use (schemas, parsers) before watching."""
    jsonpath_pass({"a.$": "$..x", "b.$": "States.Format('{}', $.x)", "c.$": "$.y[?(@.x)]"})
    for text in ("States.Nope()", "nope(", "States.Format('{}'.x)"):
        with contextlib.suppress(asl.DefinitionError):
            jsonpath_pass({"a.$": text})


@pytest.fixture
async def warm(warm_parser: None) -> None:
    """Load what the engines load on first use (parsers, tables, lazy imports) before watching."""
    await run(jsonata_pass({"a": "{% $string($states.input.a) %}", "b": "{% $x %}"}), {"a": 1})
    await run(jsonata_pass("{% $nope %}"), {})
    await run(jsonata_pass("{% $eval('1') %}"), {})
    await run(
        jsonpath_pass({"a.$": "$..x", "b.$": "States.Format('{}', $.x)", "c.$": "$.y[?(@.x)]"}), {"x": 1, "y": []}
    )
    await run(jsonpath_pass({"a.$": "$.nope"}), {})
    await run(jsonpath_pass({"a.$": "States.Format($.f, 1)"}), {"f": "{x}"})


def test_the_audit_watch_sees_code_run() -> None:
    """The watch below can fail: evaluating Python text inside it is caught."""
    with pytest.raises(AssertionError, match="code ran on the definition's behalf"), nothing_runs():
        eval("1 + 1")  # the very thing the watch must see


class Recorder:
    """A resource that remembers being called."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, event: Any) -> Any:
        self.calls.append(event)
        return {"called": "recorder"}


# -- Task resources are keys, never code to import -------------------------------------------------

PYTHON_NAMES = [
    "os.system",
    "subprocess:run",
    "subprocess.run",
    "builtins.eval",
    "builtins:exec",
    "os.path:join",
    "__import__('os').system",
    f"{ACCOUNT_ARN}:os.system",
    f"{ACCOUNT_ARN}:subprocess.run",
    "arn:aws:states:::os:system",
    "arn:aws:states:::subprocess:run.sync",
]


@pytest.mark.parametrize("resource", PYTHON_NAMES)
async def test_a_resource_naming_python_code_is_an_unknown_resource(resource: str, warm: None) -> None:
    mach = task(resource)
    harmless = Recorder()
    with nothing_runs(), pytest.raises(ResourceError) as raised:
        await run(mach, {"cmd": "echo pwned"}, resources={"harmless": harmless})
    assert repr(resource) in str(raised.value)  # names the resource it could not find
    assert "no callable was given" in str(raised.value)
    assert harmless.calls == []


@pytest.mark.parametrize("resource", ["os.system", "subprocess:run", f"{ACCOUNT_ARN}:builtins.eval"])
def test_the_sync_runner_refuses_a_python_name_without_a_callable(resource: str) -> None:
    with pytest.raises(ResourceError, match=re.escape(repr(resource))):
        asl.run(task(resource), {"cmd": "echo pwned"})  # no resources at all


async def test_asl_start_refuses_a_python_name_before_anything_runs(warm: None) -> None:
    with nothing_runs(), pytest.raises(ResourceError, match="'os.system'"), anyio.fail_after(GUARD):
        async with asl.start(task("os.system"), {}, resources={}, clock=asl.VirtualClock(0)):
            pytest.fail("the execution must not start")  # pragma: no cover


def test_teststate_refuses_a_python_name_without_a_callable() -> None:
    with pytest.raises(ResourceError, match="'subprocess:run'"):
        run_test_state({"Type": "Task", "Resource": "subprocess:run", "End": True}, input={"args": ["id"]})


@pytest.mark.parametrize("resource", ["os.system", f"{ACCOUNT_ARN}:os.system", "builtins:eval"])
async def test_a_resource_named_like_python_code_calls_only_the_callable_given_for_it(
    resource: str, warm: None
) -> None:
    given = Recorder()
    with nothing_runs():
        execution = await run(task(resource), {"cmd": "echo pwned"}, resources={resource: given})
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"called": "recorder"})
    assert given.calls == [{"cmd": "echo pwned"}]


@pytest.mark.parametrize("function", ["os.system", "subprocess:run", "builtins.eval", f"{ACCOUNT_ARN}:os.system"])
async def test_lambda_invoke_of_a_python_name_from_the_input_is_not_found(function: str, warm: None) -> None:
    mach = task(
        "arn:aws:states:::lambda:invoke",
        Parameters={"FunctionName.$": "$.function", "Payload": {"cmd": "echo pwned"}},
    )
    harmless = Recorder()
    with nothing_runs():
        execution = await run(mach, {"function": function}, resources={"harmless": harmless})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "Lambda.ResourceNotFoundException")
    assert execution.cause is not None and execution.cause.startswith("Function not found: arn:aws:lambda:")
    assert function.rsplit(":", 1)[-1] in execution.cause
    assert harmless.calls == []


async def test_an_item_reader_naming_python_code_is_refused_before_the_start(warm: None) -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": True}},
    }
    reader = {"Resource": "os.listdir", "Parameters": {"path": "/"}}
    mach = machine({"M": {"Type": "Map", "ItemReader": reader, "ItemProcessor": processor, "End": True}})
    with nothing_runs(), pytest.raises(ResourceError, match="'os.listdir'"):
        await run(mach, {}, resources={"harmless": Recorder()})


class Sentinel(NamedTuple):
    module: str  # importable (its folder is on sys.path and is the current directory)
    marker: Path  # written when the module is imported, and again when its function is called


SENTINEL_MODULE = """
import pathlib

pathlib.Path({marker!r}).write_text("imported")


def boom(*args):
    pathlib.Path({marker!r}).write_text("called")
    return "boom"
"""


@pytest.fixture
def sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sentinel]:
    module = "asl_sentinel_" + re.sub(r"\W", "_", tmp_path.name)  # unique: no stale sys.modules
    marker = tmp_path / "sentinel-touched.txt"
    (tmp_path / f"{module}.py").write_text(SENTINEL_MODULE.format(marker=str(marker)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # an attempt to import it would succeed
    importlib.invalidate_caches()
    yield Sentinel(module, marker)
    sys.modules.pop(module, None)


def sentinel_resources(module: str) -> list[str]:
    return [f"{module}.boom", f"{module}:boom", module, f"{ACCOUNT_ARN}:{module}", f"{ACCOUNT_ARN}:{module}.boom"]


def test_the_sentinel_records_an_import(sentinel: Sentinel) -> None:
    """The check below can fail: importing the sentinel module leaves its mark."""
    importlib.import_module(sentinel.module)
    assert sentinel.marker.read_text() == "imported"


async def test_a_resource_naming_an_importable_module_never_imports_it(sentinel: Sentinel, warm: None) -> None:
    for resource in sentinel_resources(sentinel.module):
        with nothing_runs(), pytest.raises(ResourceError, match=re.escape(repr(resource))):
            await run(task(resource), {}, resources={"harmless": Recorder()})
    invoke = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": f"{sentinel.module}.boom"})
    execution = await run(invoke, {}, resources={"harmless": Recorder()})
    assert execution.error == "Lambda.ResourceNotFoundException"
    assert sentinel.module not in sys.modules
    assert not sentinel.marker.exists()


# -- JSONata sees JSON, never Python objects -------------------------------------------------------

UNDEFINED = "returned nothing (undefined)."
UNSUPPORTED = "returned an unsupported result type."
NOT_A_FUNCTION = "threw an error during evaluation. T1006: Attempted to invoke a non-function"

JSONATA_ATTACKS = [
    ("$states.__class__", UNDEFINED),
    ("$states.input.__class__.__mro__", UNDEFINED),
    ("$states.__class__.__init__.__globals__", UNDEFINED),
    ("$states.input.__dict__", UNDEFINED),
    ("$states.context.Execution.__class__", UNDEFINED),
    ("$string.__globals__", UNDEFINED),
    ("$string.__globals__.__builtins__.__import__", UNDEFINED),
    ("$string.__class__.__subclasses__()", UNDEFINED),
    ("$string.__code__", UNDEFINED),
    ("$string.function", UNDEFINED),
    ("$string.signature", UNDEFINED),
    ("$now.__globals__", UNDEFINED),
    ("$lookup($states, '__class__')", UNDEFINED),
    ("$lookup($string, '__globals__')", UNDEFINED),
    ("$keys($string)", UNDEFINED),
    ("function($f){ $f.__closure__ }($string)", UNDEFINED),
    ("$eval", UNDEFINED),
    ("$eval('$string.__globals__')", NOT_A_FUNCTION),
    ("$eval('1 + 1')", NOT_A_FUNCTION),
    ("__import__('os').system('echo pwned')", NOT_A_FUNCTION),
    ("$states.__class__('x')", NOT_A_FUNCTION),
    ("$string", UNSUPPORTED),
    ("$string.__call__", UNDEFINED),
    ("{'f': $string}", UNSUPPORTED),
    ("[$string, $eval, $keys]", UNSUPPORTED),
    ("$spread($now)", UNSUPPORTED),
]


@pytest.mark.parametrize(("expression", "outcome"), JSONATA_ATTACKS)
async def test_jsonata_cannot_reach_python_objects(expression: str, outcome: str, warm: None) -> None:
    with nothing_runs():
        execution = await run(jsonata_pass(f"{{% {expression} %}}"), {"a": 1})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.QueryEvaluationError")
    assert execution.output is None
    assert execution.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        f"The JSONata expression '{expression}' specified for the field 'Output' {outcome}"
    )


JSONATA_VALUES = [
    ("$states.input.__class__", "data"),  # a key of the input is only a key
    ("$states.input.__globals__.__builtins__", {"open": "no"}),
    ("$lookup($states.input, '__class__')", "data"),
    ("$keys($states.input)", ["__class__", "__globals__"]),
    ("$type($string)", "function"),
    ("$string($string)", ""),  # jsonata-js: a function prints as an empty string
    ("$string($states.input)", '{"__class__":"data","__globals__":{"__builtins__":{"open":"no"}}}'),
    ("($eval := function($x){ $x & '!' }; $eval('only JSONata'))", "only JSONata!"),
    ("$each($states.input, function($v, $k){ $k })", ["__class__", "__globals__"]),
]


@pytest.mark.parametrize(("expression", "expected"), JSONATA_VALUES)
async def test_jsonata_values_are_plain_json(expression: str, expected: Any, warm: None) -> None:
    value = {"__class__": "data", "__globals__": {"__builtins__": {"open": "no"}}}
    with nothing_runs():
        execution = await run(jsonata_pass(f"{{% {expression} %}}"), value)
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, expected)
    assert json.loads(json.dumps(execution.output)) == expected  # JSON through and through


async def test_jsonata_arguments_pass_data_keys_and_never_python_objects(warm: None) -> None:
    given = Recorder()
    arguments = {"cls": "{% $states.input.__class__ %}", "mro": "{% $states.input.__class__.__mro__ %}"}
    mach = machine(
        {"T": {"Type": "Task", "Resource": "given", "Arguments": arguments, "End": True}}, QueryLanguage="JSONata"
    )
    with nothing_runs():
        execution = await run(mach, {"__class__": {"__mro__": ["data"]}}, resources={"given": given})
    assert execution.status is asl.Status.SUCCEEDED
    assert given.calls == [{"cls": {"__mro__": ["data"]}, "mro": ["data"]}]


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Task", "Resource": "given", "Arguments": {"f": "{% $string.__globals__ %}"}}, "Arguments/f"),
        ({"Type": "Pass", "Assign": {"g": "{% $string.__globals__ %}"}}, "Assign/g"),
    ],
)
async def test_jsonata_fields_reaching_for_python_objects_fail_the_state(
    state: dict[str, Any], field: str, warm: None
) -> None:
    given = Recorder()
    mach = machine({"S": {**state, "End": True}}, QueryLanguage="JSONata")
    with nothing_runs():
        execution = await run(mach, {}, resources={"given": given})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.QueryEvaluationError")
    assert execution.cause == (
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression "
        f"'$string.__globals__' specified for the field '{field}' returned nothing (undefined)."
    )
    assert given.calls == []


# -- intrinsic functions and JSONPath read JSON data only -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('{}'.__class__)",
        "States.Format('{}', $.s).__class__",
        "__import__('os').system('echo pwned')",
        "os.system('echo pwned')",
        "eval('1 + 1')",
        "States.Eval('1 + 1')",
        "States.__class__('x')",
    ],
)
def test_python_in_an_intrinsic_is_an_invalid_definition(text: str, warm_parser: None) -> None:
    with nothing_runs(), pytest.raises(asl.DefinitionError) as raised:
        jsonpath_pass({"r.$": text})
    assert [problem.path for problem in raised.value.problems] == ["/States/P/Parameters/r.$"]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("States.Format('{}.__class__.__mro__', $.s)", {"s": "x"}, "x.__class__.__mro__"),
        ("States.Format('{}', $.s)", {"s": "{0.__class__.__mro__}"}, "{0.__class__.__mro__}"),
        ("States.Format('{}', $.s)", {"s": "{.__init__.__globals__}"}, "{.__init__.__globals__}"),
        ("States.Format($.f, $.s)", {"f": "{} and {}", "s": "{}"}, None),  # too few arguments: fails
        ("States.StringToJson($.t)", {"t": '{"__class__": {"__init__": 1}}'}, {"__class__": {"__init__": 1}}),
        ("States.JsonToString($.__class__)", {"__class__": {"a": 1}}, '{"a":1}'),
        ("States.Array($.__class__, $.__dict__)", {"__class__": 1, "__dict__": 2}, [1, 2]),
        (
            "States.JsonMerge($.a, $.b, false)",
            {"a": {"__class__": 1}, "b": {"__dict__": 2}},
            {"__class__": 1, "__dict__": 2},
        ),
    ],
)
async def test_intrinsics_treat_python_looking_strings_as_text(
    text: str, value: Any, expected: Any, warm: None
) -> None:
    with nothing_runs():
        execution = await run(jsonpath_pass({"r.$": text}), value)
    if expected is None:
        assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Runtime")
    else:
        assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"r": expected})


@pytest.mark.parametrize("fmt", ["{0.__class__}", "{__class__}", "{!r}", "{0.__init__.__globals__}", "{:>{}}"])
async def test_states_format_never_applies_python_format_fields(fmt: str, warm: None) -> None:
    with nothing_runs():
        execution = await run(jsonpath_pass({"r.$": "States.Format($.fmt, $.s)"}), {"fmt": fmt, "s": "x"})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Runtime")
    assert execution.cause is not None and execution.cause.endswith("Invalid arguments in States.Format")
    assert "class" not in (execution.cause or "").replace(fmt, "")  # nothing of a Python object leaks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('{}', $.__class__)", "Invalid path '$.__class__' : No results for path: $['__class__']"),
        (
            "States.JsonToString($.s.__class__)",
            "Invalid path '$.s.__class__' : No results for path: $['s']['__class__']",
        ),
        ("States.ArrayLength($.__len__)", "Invalid path '$.__len__' : No results for path: $['__len__']"),
    ],
)
async def test_intrinsic_paths_to_python_attributes_select_nothing(text: str, expected: str, warm: None) -> None:
    with nothing_runs():
        execution = await run(jsonpath_pass({"r.$": text}), {"s": "x"})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Runtime")
    assert execution.cause is not None and execution.cause.endswith(expected)


DATA = {"x": {"__class__": "plain"}, "y": [{"__class__": 2}, "text"], "z": "str", "n": 5}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$..__class__", ["plain", 2]),  # only the data's own keys of that name
        ("$..__globals__", []),
        ("$..__dict__", []),
        ("$.y[?(@.__class__)]", [{"__class__": 2}]),
        ("$.y[?(@.__class__ == 2)].__class__", [2]),
        ("$.*.__class__", ["plain"]),
    ],
)
async def test_jsonpath_reads_only_json_data(path: str, expected: Any, warm: None) -> None:
    with nothing_runs():
        execution = await run(jsonpath_pass({"r.$": path}), DATA)
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"r": expected})


@pytest.mark.parametrize("path", ["$.z.__class__", "$.n.__class__", "$.y.__len__", "$.__class__", "$$.__class__"])
async def test_a_plain_path_to_a_python_attribute_is_not_found(path: str, warm: None) -> None:
    with nothing_runs():
        execution = await run(jsonpath_pass({"r.$": path}), DATA)
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Runtime")
    assert f"The JSONPath '{path}' specified for the field 'r.$' could not be found" in (execution.cause or "")


async def test_a_choice_on_a_python_attribute_sees_it_absent(warm: None) -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.s.__class__", "IsPresent": True, "Next": "Found"}],
                "Default": "Absent",
            },
            "Found": {"Type": "Pass", "Result": "found", "End": True},
            "Absent": {"Type": "Pass", "Result": "absent", "End": True},
        }
    )
    with nothing_runs():
        execution = await run(mach, {"s": "x"})
    assert execution.output == "absent"


# -- the command line ------------------------------------------------------------------------------

PASS_MACHINE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def cli_run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def task_definition(resource: str) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


@pytest.fixture
def deep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory three folders below tmp_path, holding a valid machine."""
    here = tmp_path / "a" / "b" / "c"
    here.mkdir(parents=True)
    (here / "machine.json").write_text(json.dumps(PASS_MACHINE), encoding="utf-8")
    monkeypatch.chdir(here)
    return here


def test_cli_input_outside_the_working_directory_is_read_as_json(deep: Path) -> None:
    (deep.parents[2] / "data.json").write_text('{"from": "above"}', encoding="utf-8")
    status, out, err = cli_run("run", "machine.json", "--input", "../../../data.json")
    assert (status, err) == (0, "")
    assert json.loads(out) == {"from": "above"}


def test_cli_input_traversing_to_a_non_json_file_is_one_line_that_does_not_echo_it(deep: Path) -> None:
    (deep.parents[2] / "passwd").write_text("root:x:0:0:TOP-SECRET:/root:/bin/sh\n", encoding="utf-8")
    status, out, err = cli_run("run", "machine.json", "--input", "../../../passwd")
    assert (status, out) == (3, "")
    assert one_line(err) == "asl: --input ../../../passwd: Invalid JSON at line 1, column 1: Expecting value\n"
    assert "TOP-SECRET" not in err


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd on this system")
def test_cli_input_traversing_to_etc_passwd_is_one_line(deep: Path) -> None:
    name = "../" * 40 + "etc/passwd"
    status, out, err = cli_run("run", "machine.json", "--input", name)
    assert (status, out) == (3, "")
    assert one_line(err).startswith(f"asl: --input {name}: Invalid JSON at line 1")
    assert "root:" not in err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../..", "asl: --input ../../..: cannot read: Is a directory\n"),
        ("../../../missing.json", "asl: --input ../../../missing.json: No such file\n"),
        ("../../../binary.dat", "asl: --input ../../../binary.dat: cannot read: 'utf-8' codec can't decode"),
    ],
)
def test_cli_input_that_cannot_be_read_is_one_line(deep: Path, name: str, expected: str) -> None:
    (deep.parents[2] / "binary.dat").write_bytes(b"\xff\xfe\x00\x01binary")
    status, out, err = cli_run("run", "machine.json", "--input", name)
    assert (status, out) == (3, "")
    assert one_line(err).startswith(expected)


def test_cli_machine_traversing_to_a_non_json_file_is_one_line(deep: Path) -> None:
    (deep.parents[2] / "passwd").write_text("root:x:0:0:TOP-SECRET:/root:/bin/sh\n", encoding="utf-8")
    status, out, err = cli_run("run", "../../../passwd")
    assert (status, out) == (2, "")
    assert one_line(err) == "../../../passwd: Invalid JSON at line 1, column 1: Expecting value\n"
    assert "TOP-SECRET" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "machine.json", "--input", "../data\0.json"],
        ["run", "machine.json", "--history", "../history\0.json"],
        ["run", "machine.json", "--mock-config", "../mocks\0.json", "--test-case", "T"],
        ["graph", "machine.json", "--execution", "../history\0.json"],
    ],
)
def test_cli_a_path_with_a_nul_byte_is_one_line(deep: Path, argv: list[str]) -> None:
    status, out, err = cli_run(*argv)  # cli.main documents: "returns the exit status, never raises"
    assert (status, out) == (3, "")
    one_line(err)


@pytest.mark.parametrize("index", range(5))
def test_cli_never_imports_a_module_a_resource_names(sentinel: Sentinel, index: int) -> None:
    resource = sentinel_resources(sentinel.module)[index]
    Path("machine.json").write_text(json.dumps(task_definition(resource)), encoding="utf-8")
    status, out, err = cli_run("run", "machine.json", "--virtual-time")
    assert (status, out) == (4, "")
    assert one_line(err).startswith(f"asl: no callable was given for the resource {resource!r}")
    assert sentinel.module not in sys.modules
    assert not sentinel.marker.exists()


def test_cli_calls_only_the_resources_given_even_for_a_module_name(sentinel: Sentinel) -> None:
    resource = f"{sentinel.module}.boom"
    Path("given.py").write_text(f"RESOURCES = {{{resource!r}: lambda event: 'from given.py'}}\n", encoding="utf-8")
    Path("machine.json").write_text(json.dumps(task_definition(resource)), encoding="utf-8")
    status, out, err = cli_run("run", "machine.json", "--resources", "given.py", "--virtual-time")
    assert (status, err) == (0, "")
    assert json.loads(out) == "from given.py"
    assert sentinel.module not in sys.modules
    assert not sentinel.marker.exists()


def test_cli_lambda_invoke_of_a_module_name_is_not_found_and_not_imported(sentinel: Sentinel) -> None:
    definition = task_definition("arn:aws:states:::lambda:invoke")
    definition["States"]["T"]["Parameters"] = {"FunctionName.$": "$.f"}
    Path("machine.json").write_text(json.dumps(definition), encoding="utf-8")
    Path("input.json").write_text(json.dumps({"f": f"{sentinel.module}.boom"}), encoding="utf-8")
    status, out, err = cli_run("run", "machine.json", "--input", "input.json", "--virtual-time")
    assert (status, out) == (1, "")
    assert one_line(err).startswith("asl: execution FAILED: Lambda.ResourceNotFoundException: Function not found:")
    assert sentinel.module not in sys.modules
    assert not sentinel.marker.exists()
