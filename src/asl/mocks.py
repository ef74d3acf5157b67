"""Mocked service integrations from a Step Functions Local mock configuration file, loaded as it is.

    config = asl.mocks.load("MockConfigFile.json")          # MockConfigError: every problem, with a pointer
    case = config.test_case("OrderMachine", "RetryPath")     # MockNotFound names what exists
    execution = asl.run(machine, input, task_override=case.override())

A test case maps Task state names to mocked responses. A mocked response answers invocation
`n` (0-based) of its state with the entry whose key is `"n"` or an inclusive range `"a-b"`
holding `n`. Each state of one execution has one invocation counter, advanced by every
attempt: retries, passes of a loop and Map iterations all count. An invocation that no entry
covers fails the execution, since a mocked Task must have a response for every invocation.
States a test case does not name are not mocked: they call the resources given to the run.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .context import JSON
from .errors import AslError, Problem, RuntimeFailure, TaskFailed, pointer
from .model import StateMachine

__all__ = [
    "MockConfig",
    "MockConfigError",
    "MockExhausted",
    "MockNotFound",
    "MockedResponse",
    "Outcome",
    "TestCase",
    "load",
]

_INVOCATIONS: Final = re.compile(r"^(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?$")

Override = Callable[[str], Callable[..., Any] | None]


class MockConfigError(AslError, ValueError):
    """A mock configuration file that breaks the format; `problems` holds every one, each with a pointer."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" {source}" if source else ""
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid mock configuration{where} ({count} problem{'s' * (count != 1)}):\n{lines}")


class MockNotFound(AslError, LookupError):
    """A state machine, test case or mocked response name the configuration does not hold."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MockExhausted(RuntimeFailure):
    """A mocked Task was invoked more times than its mocked response covers (never retried nor caught)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one invocation of a mocked Task does: return `result`, or throw `error` with `cause`."""

    result: JSON = None
    error: str | None = None
    cause: str | None = None

    @property
    def throws(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, slots=True)
class MockedResponse:
    """One entry of MockedResponses: outcomes by inclusive invocation range, in invocation order."""

    name: str
    ranges: tuple[tuple[int, int, Outcome], ...]

    def outcome(self, invocation: int) -> Outcome | None:
        """The outcome of invocation `invocation` (0-based), or None when no range covers it."""
        for first, last, outcome in self.ranges:
            if first <= invocation <= last:
                return outcome
        return None

    def describe(self) -> str:
        return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b, _ in self.ranges) or "none"


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test case: which mocked response each Task state uses; `override()` makes a task_override."""

    __test__ = False  # not a pytest test class, despite its name

    state_machine: str
    name: str
    responses: Mapping[str, MockedResponse] = field(default_factory=dict)

    def override(self) -> Override:
        """A fresh `task_override` for one execution, with its own invocation counters."""
        counters: dict[str, int] = {}

        def task_override(state_name: str) -> Callable[..., Any] | None:
            response = self.responses.get(state_name)
            if response is None:
                return None
            invocation = counters.get(state_name, 0)
            counters[state_name] = invocation + 1
            outcome = response.outcome(invocation)

            async def mocked(_payload: JSON) -> JSON:
                if outcome is None:
                    raise MockExhausted(
                        f"The mocked response '{response.name}' of test case '{self.name}' has no response "
                        f"for invocation {invocation} of the state '{state_name}' "
                        f"(it covers invocations {response.describe()})."
                    )
                if outcome.error is not None:
                    raise TaskFailed(outcome.error, outcome.cause or "")
                return copy.deepcopy(outcome.result)

            return mocked

        return task_override

    def check(self, machine: StateMachine) -> None:
        """Raise MockNotFound when the test case mocks a state the machine has no Task of that name."""
        tasks = _task_names(machine)
        unknown = sorted(name for name in self.responses if name not in tasks)
        if unknown:
            raise MockNotFound(
                f"test case '{self.name}' of '{self.state_machine}' mocks "
                f"{', '.join(repr(n) for n in unknown)}, which {'is' if len(unknown) == 1 else 'are'} not "
                f"a Task state of the machine; its Task states are: {', '.join(sorted(tasks)) or 'none'}"
            )


@dataclass(frozen=True, slots=True)
class MockConfig:
    """A loaded mock configuration: test cases by state machine, and the mocked responses."""

    state_machines: Mapping[str, Mapping[str, TestCase]]
    responses: Mapping[str, MockedResponse]
    source: str = ""

    def test_case(
        self,
        state_machine: str | None = None,
        test_case: str | None = None,
        *,
        machine_file: str | os.PathLike[str] | None = None,
    ) -> TestCase:
        """The named test case; `state_machine` may be omitted when the file configures only one,
        or when one of them is named like `machine_file` (`order` for order.asl.json).

        Raises MockNotFound, naming the state machines or test cases that exist.
        """
        if state_machine is None and machine_file is not None and len(self.state_machines) > 1:
            named_like = os.path.basename(machine_file).split(".")[0]
            if named_like in self.state_machines:
                state_machine = named_like
        if state_machine is None:
            if len(self.state_machines) != 1:
                raise MockNotFound(
                    f"the mock configuration{_of(self.source)} configures "
                    f"{len(self.state_machines)} state machines; name one of: {_names(self.state_machines)}"
                )
            state_machine = next(iter(self.state_machines))
        cases = self.state_machines.get(state_machine)
        if cases is None:
            raise MockNotFound(
                f"no state machine '{state_machine}' in the mock configuration{_of(self.source)}; "
                f"it configures: {_names(self.state_machines)}"
            )
        if test_case is None:
            raise MockNotFound(f"name a test case of '{state_machine}': {_names(cases)}")
        case = cases.get(test_case)
        if case is None:
            raise MockNotFound(
                f"no test case '{test_case}' for the state machine '{state_machine}'; its test cases are: "
                f"{_names(cases)}"
            )
        return case


def _of(source: str) -> str:
    return f" {source}" if source else ""


def _names(mapping: Mapping[str, Any]) -> str:
    return ", ".join(repr(name) for name in mapping) or "none"


def _task_names(machine: StateMachine) -> set[str]:
    names: set[str] = set()
    for state in machine.states.values():
        if state.kind == "Task":
            names.add(state.name)
        for branch in getattr(state, "branches", ()):
            names |= _task_names(branch)
        processor = getattr(state, "processor", None)
        if processor is not None:
            names |= _task_names(processor)
    return names


# -- loading --------------------------------------------------------------------------------


def load(source: Mapping[str, Any] | str | bytes | os.PathLike[str]) -> MockConfig:
    """Load and check a mock configuration (a path, JSON text or bytes, or a dict).

    Raises MockConfigError listing every problem with its JSON Pointer inside the file.
    """
    name = ""
    if not isinstance(source, str | bytes | os.PathLike):  # already parsed JSON
        document: Any = source
    else:
        if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            name = os.fspath(source)
            try:
                with open(name, encoding="utf-8") as handle:
                    text: str | bytes = handle.read()
            except OSError as error:
                raise MockConfigError(
                    [Problem("", "unreadable", f"cannot read the file: {error.strerror}")], name
                ) from None
        else:
            text = source
        try:
            document = json.loads(text)
        except ValueError as error:
            raise MockConfigError([Problem("", "json", f"not JSON: {error}")], name) from None
    problems: list[Problem] = []
    config = _read(document, problems, name)
    if problems:
        raise MockConfigError(problems, name)
    return config


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _object(value: Any, where: str, what: str, problems: list[Problem]) -> bool:
    if isinstance(value, Mapping):
        return True
    problems.append(Problem(where, "type", f"{what} must be an object, not {_kind(value)}"))
    return False


def _unknown_fields(value: Mapping[str, Any], allowed: tuple[str, ...], where: str, problems: list[Problem]) -> None:
    for key in value:
        if key not in allowed:
            expected = " or ".join(repr(a) for a in allowed)
            problems.append(
                Problem(where + pointer(key), "unknown-field", f"unknown field {key!r}; expected {expected}")
            )


def _read(document: Any, problems: list[Problem], source: str) -> MockConfig:
    if not _object(document, "", "a mock configuration", problems):
        return MockConfig({}, {}, source)
    _unknown_fields(document, ("StateMachines", "MockedResponses"), "", problems)
    responses: dict[str, MockedResponse] = {}
    raw_responses = document.get("MockedResponses", {})
    if _object(raw_responses, "/MockedResponses", "MockedResponses", problems):
        for name, raw in raw_responses.items():
            response = _response(name, raw, pointer("MockedResponses", name), problems)
            if response is not None:
                responses[name] = response
    declared: Mapping[str, Any] = raw_responses if isinstance(raw_responses, Mapping) else {}
    machines: dict[str, dict[str, TestCase]] = {}
    raw_machines = document.get("StateMachines", {})
    if "StateMachines" not in document:
        problems.append(Problem("", "required", "the required field 'StateMachines' is missing"))
    elif _object(raw_machines, "/StateMachines", "StateMachines", problems):
        for machine_name, raw_machine in raw_machines.items():
            where = pointer("StateMachines", machine_name)
            if not _object(raw_machine, where, f"the state machine {machine_name!r}", problems):
                continue
            _unknown_fields(raw_machine, ("TestCases",), where, problems)
            if "TestCases" not in raw_machine:
                problems.append(Problem(where, "required", "the required field 'TestCases' is missing"))
                continue
            raw_cases = raw_machine["TestCases"]
            if not _object(raw_cases, where + "/TestCases", "TestCases", problems):
                continue
            cases: dict[str, TestCase] = {}
            for case_name, raw_case in raw_cases.items():
                case_where = where + pointer("TestCases", case_name)
                if not _object(raw_case, case_where, f"the test case {case_name!r}", problems):
                    continue
                mapping: dict[str, MockedResponse] = {}
                for state_name, response_name in raw_case.items():
                    state_where = case_where + pointer(state_name)
                    if not isinstance(response_name, str):
                        problems.append(
                            Problem(
                                state_where,
                                "type",
                                f"a mocked response name must be a string, not {_kind(response_name)}",
                            )
                        )
                    elif response_name not in declared:
                        known = ", ".join(repr(n) for n in declared)
                        problems.append(
                            Problem(
                                state_where,
                                "unknown-response",
                                f"no mocked response named {response_name!r} in MockedResponses"
                                + (f"; it defines: {known}" if known else ""),
                            )
                        )
                    elif response_name in responses:
                        mapping[state_name] = responses[response_name]
                cases[case_name] = TestCase(machine_name, case_name, mapping)
            machines[machine_name] = cases
    return MockConfig(machines, responses, source)


def _response(name: str, raw: Any, where: str, problems: list[Problem]) -> MockedResponse | None:
    if not _object(raw, where, f"the mocked response {name!r}", problems):
        return None
    if not raw:
        problems.append(Problem(where, "empty", "a mocked response needs at least one invocation entry"))
    ranges: list[tuple[int, int, Outcome]] = []
    spans: list[tuple[int, int, str]] = []
    for key, entry in raw.items():
        entry_where = where + pointer(key)
        match = _INVOCATIONS.match(key)
        if match is None:
            problems.append(
                Problem(
                    entry_where,
                    "invocation",
                    f'{key!r} is not an invocation number ("0") or an inclusive range ("1-2")',
                )
            )
            continue
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            problems.append(Problem(entry_where, "invocation", f"the range {key!r} ends before it starts"))
            continue
        for other_first, other_last, other_key in spans:
            if first <= other_last and other_first <= last:
                problems.append(Problem(entry_where, "overlap", f"invocations {key!r} overlap the entry {other_key!r}"))
                break
        spans.append((first, last, key))
        outcome = _outcome(entry, entry_where, problems)
        if outcome is not None:
            ranges.append((first, last, outcome))
    ranges.sort(key=lambda span: span[0])
    return MockedResponse(name, tuple(ranges))


def _outcome(entry: Any, where: str, problems: list[Problem]) -> Outcome | None:
    if not _object(entry, where, "an invocation entry", problems):
        return None
    _unknown_fields(entry, ("Return", "Throw"), where, problems)
    present = [key for key in ("Return", "Throw") if key in entry]
    if len(present) != 1:
        message = "has both 'Return' and 'Throw'" if present else "needs a 'Return' or a 'Throw'"
        problems.append(Problem(where, "outcome", f"an invocation entry {message}; give exactly one"))
        return None
    if present[0] == "Return":
        return Outcome(result=entry["Return"])
    throw = entry["Throw"]
    throw_where = where + "/Throw"
    if not _object(throw, throw_where, "Throw", problems):
        return None
    _unknown_fields(throw, ("Error", "Cause"), throw_where, problems)
    valid = True
    for key in ("Error", "Cause"):
        if key not in throw:
            problems.append(Problem(throw_where, "required", f"the required field {key!r} is missing"))
            valid = False
        elif not isinstance(throw[key], str):
            problems.append(
                Problem(throw_where + "/" + key, "type", f"{key} must be a string, not {_kind(throw[key])}")
            )
            valid = False
    if not valid:
        return None
    return Outcome(error=throw["Error"], cause=throw["Cause"])
