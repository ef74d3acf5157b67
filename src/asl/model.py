"""The compiled state graph: frozen nodes, complete at birth, with every expression already compiled.

Dynamic values are `Expr`s: callables of a `Scope` (the `$` value, the environment, and for
JSONata the `$states` object). The executor never looks at raw definition text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .context import JSON, Env
from .paths import Path

__all__ = [
    "Catcher",
    "ChoiceBranch",
    "ChoiceState",
    "Expr",
    "FailState",
    "ItemReader",
    "MapState",
    "ParallelState",
    "PassState",
    "Retrier",
    "ResultWriter",
    "Scope",
    "State",
    "StateMachine",
    "SucceedState",
    "TaskState",
    "WaitState",
]

QueryLanguage = Literal["JSONPath", "JSONata"]


class Scope:
    """What an expression is evaluated against: `$` (JSONPath), `$states` (JSONata), and the Env."""

    __slots__ = ("value", "env", "states")

    def __init__(self, value: JSON, env: Env, states: dict[str, JSON] | None = None) -> None:
        self.value, self.env, self.states = value, env, states


Expr = Callable[[Scope], JSON]
Predicate = Callable[[Scope], bool]


@dataclass(frozen=True, slots=True)
class Retrier:
    """One Retry entry: which errors it owns and how it waits between attempts."""

    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"


@dataclass(frozen=True, slots=True)
class Catcher:
    """One Catch entry: where a matching error goes and how the error output is shaped."""

    error_equals: tuple[str, ...]
    next: str
    result_path: Path | None = None  # None: ResultPath null (JSONPath); ignored for JSONata
    discard_result: bool = False
    output: Expr | None = None  # JSONata Output
    assign: Expr | None = None


def _no_work(*_args: Any) -> Any:
    raise AssertionError("only Pass, Choice, Succeed and Fail states have a `work`")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class State:
    """Fields every state kind shares; `jsonata` tells which query language the state uses."""

    name: str
    kind: str
    entered_event: str = ""  # "PassStateEntered"...: spelled once here, not at every transition
    exited_event: str = ""
    instant: bool = False  # Pass, Choice, Succeed, Fail: never waits, runs without a coroutine
    jsonata: bool = False
    next: str | None = None
    end: bool = False
    # JSONPath input/output processing; None paths mean the field was set to null.
    input_path: Path | None = None
    output_path: Path | None = None
    input_null: bool = False
    output_null: bool = False
    parameters: Expr | None = None
    result_selector: Expr | None = None
    result_path: Path | None = None
    result_null: bool = False
    # JSONata.
    arguments: Expr | None = None
    output: Expr | None = None
    assign: Expr | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    # The state's definition, for error messages that quote it (never evaluated at run time).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # Pass, Choice, Succeed, Fail: their work as one function, composed by `states.basic`.
    work: Callable[..., Any] = field(default=_no_work, repr=False, compare=False)
    # A plain Pass: (bytes, copies) with output size <= bytes + copies * input size; None: unknown.
    growth: tuple[int, int] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PassState(State):
    result: JSON = None
    has_result: bool = False


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TaskState(State):
    resource: str = ""
    timeout_seconds: Expr | None = None
    heartbeat_seconds: Expr | None = None
    credentials: Expr | None = None
    timeout_field: str = "TimeoutSeconds"
    heartbeat_field: str = "HeartbeatSeconds"


@dataclass(frozen=True, slots=True)
class ChoiceBranch:
    """One top-level Choice rule: a compiled predicate and where it leads."""

    condition: Predicate
    next: str
    assign: Expr | None = None
    output: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ChoiceState(State):
    choices: tuple[ChoiceBranch, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class WaitState(State):
    seconds: Expr | None = None
    timestamp: Expr | None = None
    seconds_field: str = "Seconds"
    timestamp_field: str = "Timestamp"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FailState(State):
    error: Expr | None = None
    cause: Expr | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ParallelState(State):
    branches: tuple[StateMachine, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemReader:
    """A Map's ItemReader: the resource that gives the items, what it is called with, its ReaderConfig."""

    resource: str
    parameters: Expr | None = None  # `Parameters` (JSONPath) or `Arguments` (JSONata), a payload template
    reader_config: JSON = None  # as written: InputType, CSVHeaderLocation, CSVHeaders, ...
    max_items: Expr | None = None  # ReaderConfig `MaxItems` / `MaxItemsPath`


@dataclass(frozen=True, slots=True)
class ResultWriter:
    """A distributed Map's ResultWriter: the resource the results go to, its arguments, its WriterConfig."""

    resource: str
    parameters: Expr | None = None  # `Parameters` (JSONPath) or `Arguments` (JSONata), a payload template
    writer_config: JSON = None  # as written: OutputType, Transformation


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MapState(State):
    processor: StateMachine | None = None
    distributed: bool = False
    items: Expr | None = None  # ItemsPath or JSONata Items; None: the effective input
    items_field: str = "ItemsPath"
    item_selector: Expr | None = None
    max_concurrency: Expr | None = None
    max_concurrency_field: str = "MaxConcurrency"
    tolerated_failure_count: Expr | None = None
    tolerated_failure_count_field: str = "ToleratedFailureCount"
    tolerated_failure_percentage: Expr | None = None
    tolerated_failure_percentage_field: str = "ToleratedFailurePercentage"
    batch_max_items: Expr | None = None
    batch_input: Expr | None = None
    label: str | None = None
    batch_max_bytes: Expr | None = None  # ItemBatcher MaxInputBytesPerBatch(Path)
    item_reader: ItemReader | None = None
    result_writer: ResultWriter | None = None


@dataclass(frozen=True, slots=True, eq=False)
class StateMachine:
    """A compiled state machine (or a Parallel branch, or a Map processor): an immutable graph."""

    start_at: str
    states: Mapping[str, State]
    jsonata: bool = False
    timeout_seconds: int | None = None
    definition: Mapping[str, JSON] = field(default_factory=dict, repr=False)
    # Every state is a Pass, Choice, Succeed or Fail: a run of it never waits.
    instant: bool = field(default=False, compare=False)
    # Some state of it may assign variables (its own Assign, a Choice rule's or a Catcher's).
    # A branch or iteration of a graph that never does can read its parent's variables as they
    # are, without a scope of its own (nested branches and iterations have their own).
    assigns: bool = field(default=True, compare=False)

    def to_dict(self) -> dict[str, JSON]:
        """The definition this machine was compiled from (a deep copy)."""
        copy: dict[str, JSON] = json.loads(json.dumps(self.definition))
        return copy

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StateMachine) and self.definition == other.definition

    def __hash__(self) -> int:
        return hash(json.dumps(self.definition, sort_keys=True))

    def __len__(self) -> int:
        return len(self.states)

    def __repr__(self) -> str:
        return f"<StateMachine StartAt={self.start_at!r}, {len(self.states)} states>"
