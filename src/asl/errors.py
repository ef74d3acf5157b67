"""Every exception the library raises, in one tree.

    AslError                          root: catch this to catch everything of ours
    ├── DefinitionError (ValueError)  an invalid definition; holds every Problem
    ├── ExpressionError               a path, intrinsic call or JSONata text that does not compile
    ├── ResourceError                 a Task resource the embedding program did not provide
    ├── InvalidName (ValueError)      an execution name AWS would refuse
    └── ExecutionError                an ASL run-time error (what Retry and Catch match on)
        ├── TaskFailed                a Task callable failed: any error name, any cause
        ├── RuntimeFailure            States.Runtime: never retried, never caught
        ├── QueryEvaluationError      States.QueryEvaluationError: a JSONata failure
        ├── IntrinsicFailure          States.IntrinsicFailure
        ├── NoChoiceMatched           States.NoChoiceMatched
        ├── Timeout                   States.Timeout
        │   └── HeartbeatTimeout      a missed heartbeat: States.Timeout, also matched by States.HeartbeatTimeout
        ├── DataLimitExceeded         States.DataLimitExceeded
        │   └── OutputLimitExceeded   a state's or the execution's output over the quota: never retried nor caught
        ├── ResultPathMatchFailure    States.ResultPathMatchFailure
        └── ExceedToleratedFailureThreshold

The ASL error name is data (`error`), so a resource may fail with any name it likes. Which
ErrorEquals names cover an error is the error's own answer (`matches`); where it arose is
`state_name`, set once by the executor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "AslError",
    "DataLimitExceeded",
    "DefinitionError",
    "ExceedToleratedFailureThreshold",
    "ExecutionError",
    "ExpressionError",
    "HeartbeatTimeout",
    "IntrinsicFailure",
    "InvalidName",
    "NoChoiceMatched",
    "OutputLimitExceeded",
    "Problem",
    "pointer",
    "QueryEvaluationError",
    "ResourceError",
    "ResultPathMatchFailure",
    "RuntimeFailure",
    "TaskFailed",
    "Timeout",
]


class AslError(Exception):
    """The root of every exception this library raises."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One defect of a definition: where it is (a JSON Pointer), a stable code, and a plain message."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


def pointer(*tokens: object) -> str:
    """The JSON Pointer (RFC 6901) of a node from its keys and indices: `pointer("States", "a/b")` is `/States/a~1b`."""
    return "".join([_TOKENS.get(token) or _token(token) for token in tokens])


_TOKENS: dict[object, str] = {}  # names recur (each state's is escaped by validation and the compiler)


def _token(token: object) -> str:
    text = "/" + str(token).replace("~", "~0").replace("/", "~1")
    if len(_TOKENS) >= 8192:
        _TOKENS.clear()
    _TOKENS[token] = text
    return text


class DefinitionError(AslError, ValueError):
    """The definition is not valid ASL; `problems` lists every defect found, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"invalid definition ({count} problem{'s' * (count != 1)}):\n{lines}")


class ExpressionError(AslError):
    """A path, intrinsic call or JSONata expression that does not compile; `position` is 0-based or None."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        self.text, self.position = text, position
        super().__init__(message)


class ResourceError(AslError):
    """A Task names a resource that was not given to the run."""


class InvalidName(AslError, ValueError):
    """An execution name AWS would refuse (its API error InvalidName)."""


class ExecutionError(AslError):
    """An ASL run-time error: what Retry and Catch match on, with AWS's error name and cause."""

    name: ClassVar[str] = "States.TaskFailed"
    # AWS prefixes these causes with "An error occurred while executing the state ...".
    located: ClassVar[bool] = False
    # States.Runtime and terminal data-limit failures bypass Retry and Catch.
    catchable: ClassVar[bool] = True

    def __init__(self, cause: str = "", *, error: str | None = None) -> None:
        self.error: str = self.name if error is None else error
        self.cause: str = cause
        # The state the error arose in, set once by the executor (`runtime.locate`): a parent
        # state it then passes through (a Parallel, a Map) neither records nor prefixes it again.
        self.state_name: str | None = None
        super().__init__(f"{self.error}: {cause}" if cause else self.error)

    def matches(self, name: str) -> bool:
        """Whether the ErrorEquals name `name` covers this error (States.TaskFailed: all but a timeout)."""
        if name == self.error or name == "States.ALL":
            return True
        return name == "States.TaskFailed" and self.error != "States.Timeout"


class TaskFailed(ExecutionError):
    """Raised by a resource callable to fail its Task with an ASL error name and a cause."""

    def __init__(self, error: str = "States.TaskFailed", cause: str = "") -> None:
        super().__init__(cause, error=error)


class RuntimeFailure(ExecutionError):
    """States.Runtime: a path or value AWS cannot process; it is never retried nor caught."""

    name = "States.Runtime"
    located = True
    catchable = False

    @classmethod
    def too_deep(cls) -> RuntimeFailure:
        """A value nested deeper than Python can walk (its recursion limit), as one plain cause."""
        return cls("The payload is nested too deeply to be processed.")


class QueryEvaluationError(ExecutionError):
    """States.QueryEvaluationError: a JSONata expression failed or gave an unusable value."""

    name = "States.QueryEvaluationError"
    located = True


class IntrinsicFailure(ExecutionError):
    """States.IntrinsicFailure: an intrinsic function was called with arguments it cannot use."""

    name = "States.IntrinsicFailure"
    located = True


class NoChoiceMatched(ExecutionError):
    """States.NoChoiceMatched: no Choice rule matched and there is no Default."""

    name = "States.NoChoiceMatched"


class Timeout(ExecutionError):
    """States.Timeout: a Task or the execution ran longer than its TimeoutSeconds."""

    name = "States.Timeout"


class HeartbeatTimeout(Timeout):
    """A Task sent no heartbeat within HeartbeatSeconds: AWS records States.Timeout, and
    Retry and Catch match it by that name or by States.HeartbeatTimeout."""

    def matches(self, name: str) -> bool:
        return name == "States.HeartbeatTimeout" or super().matches(name)


class DataLimitExceeded(ExecutionError):
    """States.DataLimitExceeded: a payload is larger than AWS's 256 KiB quota."""

    name = "States.DataLimitExceeded"


class OutputLimitExceeded(DataLimitExceeded):
    """States.DataLimitExceeded for a state's output or the execution's: it ends the execution,
    unseen by Retry and Catch (a Task's own oversized result stays a catchable DataLimitExceeded)."""

    catchable = False


class ResultPathMatchFailure(ExecutionError):
    """States.ResultPathMatchFailure: ResultPath cannot be applied to the state's input."""

    name = "States.ResultPathMatchFailure"
    located = True


class ExceedToleratedFailureThreshold(ExecutionError):
    """States.ExceedToleratedFailureThreshold: more Map items failed than the state tolerates."""

    name = "States.ExceedToleratedFailureThreshold"
