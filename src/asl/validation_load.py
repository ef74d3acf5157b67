"""Validation, stage one: a definition from a dict, JSON text, bytes or a file, as strict JSON.

Unreadable files, text that is not UTF-8 or not JSON, and duplicate keys are `DefinitionError`s
with a Problem each; nothing here judges the language (see `validation_schema` and
`validation_semantics`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from .context import JSON
from .errors import DefinitionError, Problem
from .errors import pointer as json_pointer

__all__ = ["is_text", "load"]

_JSON_START: Final = re.compile(r"\s*\{")


def is_text(source: object) -> bool:
    """Whether `load` reads `source` as JSON text (bytes, or a str that starts with `{`), not as a path."""
    return isinstance(source, bytes | bytearray) or (isinstance(source, str) and bool(_JSON_START.match(source)))


def load(source: JSON | str | bytes | os.PathLike[str], *, own: bool = False) -> JSON:
    """Parsed definition from a dict, JSON text, bytes or a file path; raises DefinitionError if unreadable.

    A str is JSON text when it starts (after white space) with `{`, otherwise a file path.
    Duplicate keys in one JSON object are refused: a parser that keeps the last one would hide them.
    A dict (or list) comes back as it is, or with `own=True` as a deep copy that the caller alone
    holds (what `asl.parse` keeps: the caller's later changes must not reach the machine).
    """
    if isinstance(source, bytes | bytearray):
        return _parse(source)
    if isinstance(source, str):
        return _parse(source if _JSON_START.match(source) else _read(Path(source)))
    if isinstance(source, os.PathLike):
        return _parse(_read(Path(source)))
    if not own:
        return source
    try:
        return _copy(source)
    except RecursionError:  # as `validate` reports it
        raise _problem("", "SCHEMA_VALIDATION_FAILED", "The definition is nested too deeply.") from None


def _copy(node: JSON) -> JSON:
    """A deep copy of the containers of a JSON value (scalars are immutable: shared)."""
    kind = type(node)
    if kind is dict:
        return {key: _copy(value) for key, value in node.items()}  # type: ignore[union-attr]
    if kind is list:
        return [_copy(value) for value in node]  # type: ignore[union-attr]
    if isinstance(node, dict | list):  # a subclass: copied as the plain container
        return _copy(dict(node) if isinstance(node, dict) else list(node))
    return node


def _read(path: Path) -> bytes:
    try:
        if not path.is_file():
            if path.exists():
                raise _problem("", "FILE_NOT_FOUND", f"{path} is not a file")
            raise _problem("", "FILE_NOT_FOUND", f"No such file: {path}")
        return path.read_bytes()
    except OSError as error:
        raise _problem("", "FILE_NOT_FOUND", f"Cannot read {path}: {error.strerror or error}") from None


def _problem(pointer: str, code: str, message: str) -> DefinitionError:
    return DefinitionError([Problem(pointer, code, message)])


def _parse(text: str | bytes | bytearray) -> JSON:
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _problem("", "INVALID_JSON", f"The definition is not UTF-8 text: {error.reason}") from None
    duplicates: list[tuple[dict[str, Any], list[str]]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            counts = Counter(key for key, _ in items)
            duplicates.append((result, [key for key, count in counts.items() if count > 1]))
        return result

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as error:
        message = f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        raise _problem("", "INVALID_JSON", message) from None
    except ValueError as error:
        raise _problem("", "INVALID_JSON", f"Invalid JSON: {error}") from None
    except RecursionError:
        raise _problem("", "INVALID_JSON", "Invalid JSON: nested too deeply") from None
    if duplicates:
        owners = {id(obj): keys for obj, keys in duplicates}
        problems = [
            Problem(pointer + json_pointer(key), "DUPLICATE_KEY", f"Duplicate key '{key}': JSON keeps only one.")
            for pointer, node in _objects(value, "")
            for key in owners.get(id(node), ())
        ]
        raise DefinitionError(problems)
    return value  # type: ignore[no-any-return]


def _objects(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, child in node.items():
            yield from _objects(child, pointer + json_pointer(key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _objects(child, f"{pointer}/{index}")
