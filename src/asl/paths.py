"""JSONPath as Step Functions reads it: compiled once, evaluated many times.

A path names one of three roots: `$` (the data), `$$` (the context object) or `$name`
(a workflow variable). Plain paths (`$.a.b[0]`, `$$.Map.Item.Value`, `$var.x`) compile to a
tuple of keys and indices that is walked directly; only wildcards, slices, filters and deep
scans go through jsonpath-ng, whose parser runs once, here, at compile time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from .context import JSON, Env
from .errors import ExpressionError, ResultPathMatchFailure, RuntimeFailure

__all__ = ["Path", "PathNotFound", "compile", "compile_reference", "dumps"]

Root = Literal["data", "context", "variable"]
Segment = str | int

_VARIABLE = re.compile(r"\$([^\W\d]\w*)")
_DOT_NAME = re.compile(r"\.([^.\[\]*\s]+)")
_BRACKET_INDEX = re.compile(r"\[\s*(\d+)\s*\]")
_BRACKET_NAME = re.compile(r"\[\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*\]")
_REFERENCE_FORBIDDEN = re.compile(r"[@,:?*]|\.\.")


def dumps(value: JSON) -> str:
    """Compact JSON text as AWS prints payloads inside messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class PathNotFound(RuntimeFailure):
    """A path selected nothing; `path` is its text and `cause` AWS's default wording for it."""

    def __init__(self, path: str, missing: Sequence[Segment], leaf: bool) -> None:
        self.path = path
        where = "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']" for s in missing)
        reason = "No results for path:" if leaf else "Missing property in path"
        super().__init__(f"Invalid path '{path}' : {reason} ${where}")


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path: `get` reads it, `put` (reference paths on data only) writes through it.

    `get(value, env)` is a function made for this path when it is compiled: `$.a.b` on the data
    is two lookups, with no test of the root or of the path's shape on each use.
    """

    text: str
    root: Root
    variable: str = ""
    segments: tuple[Segment, ...] = ()
    # jsonpath-ng expression for indefinite paths; None for plain ones.
    query: Any = field(default=None, compare=False)
    keys_only: bool = field(default=False, compare=False)
    get: Callable[[JSON, Env], JSON] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "get", self._getter())

    @property
    def definite(self) -> bool:
        return self.query is None

    @property
    def key(self) -> str | None:
        """The one key a `$.name` path reads from the data (the commonest path), else None."""
        if self.root == "data" and self.keys_only and len(self.segments) == 1:
            return self.segments[0]  # type: ignore[return-value]  # names only: a str
        return None

    def _getter(self) -> Callable[[JSON, Env], JSON]:
        """The selected value: the node itself for a plain path, a list of matches otherwise."""
        walk, root, segments, data = self._walk, self._root, self.segments, self.root == "data"
        if not self.keys_only:
            return lambda value, env: walk(root(value, env))
        if data and not segments:
            return lambda value, env: value
        key = self.key
        if key is not None:

            def get_key(value: JSON, env: Env) -> JSON:  # `$.name`, the most common path: one lookup
                try:
                    return value[key]  # type: ignore[index,call-overload]
                except (KeyError, TypeError):
                    return walk(value)

            return get_key

        context = self.root == "context"

        def get_keys(value: JSON, env: Env) -> JSON:  # names only: walked without checks
            found = node = value if data else env.context if context else root(value, env)
            try:
                for segment in segments:
                    found = found[segment]  # type: ignore[index]
                return found
            except (KeyError, TypeError):
                return walk(node)  # names what is missing, as AWS does

        return get_keys

    def _root(self, value: JSON, env: Env) -> JSON:
        if self.root == "data":
            return value
        if self.root == "context":
            return env.context
        try:
            return env.variables[self.variable]
        except KeyError:
            raise RuntimeFailure(f"Undefined variable '${self.variable}' in path '{self.text}'") from None

    def _walk(self, node: JSON) -> JSON:
        """Follow the path from its root node; names what is missing, as AWS does."""
        if self.query is not None:
            return [match.value for match in self.query.find(node)]
        for depth, segment in enumerate(self.segments):
            if isinstance(segment, int):
                if isinstance(node, list) and -len(node) <= segment < len(node):
                    node = node[segment]
                    continue
            elif isinstance(node, dict) and segment in node:
                node = node[segment]
                continue
            leaf = depth == len(self.segments) - 1
            raise PathNotFound(self.text, self.segments[: depth + 1], leaf)
        return node

    def exists(self, value: JSON, env: Env) -> bool:
        """Whether the path selects something (for IsPresent)."""
        try:
            found = self.get(value, env)
        except RuntimeFailure:
            return False
        return self.definite or found != []

    def put(self, target: JSON, value: JSON) -> JSON:
        """A copy of `target` with `value` placed at this path; untouched parts are shared, not copied."""
        if not self.segments:
            return value
        return _put(target, self.segments, value, self.text)


def _put(node: JSON, segments: tuple[Segment, ...], value: JSON, text: str) -> JSON:
    head, rest = segments[0], segments[1:]
    if isinstance(head, int):
        if not isinstance(node, list) or not -len(node) <= head < len(node):
            raise ResultPathMatchFailure(f"Unable to apply ReferencePath {text} to input {dumps(node)}")
        copy = list(node)
        copy[head] = _put(copy[head], rest, value, text) if rest else value
        return copy
    if node is None:
        node = {}
    if not isinstance(node, dict):
        raise ResultPathMatchFailure(f"Unable to apply ReferencePath {text} to input {dumps(node)}")
    updated = dict(node)
    updated[head] = _put(node.get(head), rest, value, text) if rest else value
    return updated


def _split_root(text: str) -> tuple[Root, str, str]:
    """(root, variable name, the rest of the path after the root token)."""
    if text.startswith("$$"):
        return "context", "", text[2:]
    match = _VARIABLE.match(text)
    if match:
        return "variable", match.group(1), text[match.end() :]
    if text.startswith("$"):
        return "data", "", text[1:]
    raise ExpressionError(f"a path must start with '$', got {text!r}", text, 0)


def _plain_segments(rest: str) -> tuple[Segment, ...] | None:
    """The keys and indices of a plain path, or None when it needs the full JSONPath engine."""
    segments: list[Segment] = []
    position = 0
    while position < len(rest):
        if match := _DOT_NAME.match(rest, position):
            segments.append(match.group(1))
        elif match := _BRACKET_INDEX.match(rest, position):
            segments.append(int(match.group(1)))
        elif match := _BRACKET_NAME.match(rest, position):
            if match.group(1) is not None:  # only \' is an escape inside single quotes
                segments.append(match.group(1).replace("\\'", "'"))
            else:
                segments.append(match.group(2).replace('\\"', '"'))
        else:
            return None
        position = match.end()
    return tuple(segments)


@lru_cache(maxsize=4096)
def compile(text: str) -> Path:  # noqa: A001 - the module's verb, as re.compile
    """Compile a path (`$...`, `$$...`, `$name...`); raises ExpressionError when it is not valid."""
    if not isinstance(text, str) or not text:
        raise ExpressionError("a path must be a non-empty string", str(text), 0)
    # AWS reads paths with Jayway JsonPath, which trims the text before parsing: a published
    # sample's `"$$.Execution.Name "` deploys and runs (issue 15). Leading white space stays refused:
    # a payload template's value is read as a path only when it starts with `$`.
    body = text.rstrip()
    if not body or body[0].isspace():
        raise ExpressionError(f"a path must not start with white space: {text!r}", text, 0)
    root, variable, rest = _split_root(body)
    rest = _dot_bracket(rest)
    segments = _plain_segments(rest)
    if segments is not None:
        keys_only = all(isinstance(segment, str) for segment in segments)
        return Path(text, root, variable, segments, keys_only=keys_only)
    return Path(text, root, variable, (), _jsonpath_query(text, rest))


def compile_reference(text: str) -> Path:
    """Compile a reference path: one that names a single node (no wildcards, filters or slices)."""
    path = compile(text)
    if not path.definite or _REFERENCE_FORBIDDEN.search(text.replace("$$", "$", 1)):
        raise ExpressionError(f"{text!r} is not a reference path (it must select a single node)", text, 0)
    return path


def _jsonpath_query(text: str, rest: str) -> Any:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext.parser import parse

    try:
        return parse("$" + rest)
    except (JsonPathLexerError, JsonPathParserError, Exception) as error:
        raise ExpressionError(f"invalid JSONPath {text!r}: {error}", text, None) from None


def _dot_bracket(rest: str) -> str:
    """`rest` with each `.[` outside quotes read as `[`, as Jayway JsonPath (AWS's reader) reads it:
    `$.[?(@.OU > 0)]` is `$[?(@.OU > 0)]` (jsonpath-ng accepts `$.[0]` but not a filter there).
    A deep scan's `..[` is left as it is."""
    out: list[str] = []
    quote = ""
    index = 0
    while index < len(rest):
        char = rest[index]
        if quote:
            if char == "\\":
                out.append(rest[index : index + 2])
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif rest.startswith(".[", index) and not rest.startswith("..", index - 1 if index else index):
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)
