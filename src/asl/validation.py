"""Is a definition valid ASL, as AWS judges it? Every problem at once, each with a JSON Pointer.

Three stages, one module each: `validation_load` reads the definition as strict JSON (a file, text,
bytes or a dict); `validation_schema` checks its shape against the language's JSON Schema;
`validation_semantics` checks what a schema cannot (transitions, names, paths, templates, JSONata,
Choice rules). This module runs them and adds AWS's size quota.
"""

from __future__ import annotations

import json
import os
from typing import Final

from .context import JSON
from .errors import DefinitionError, Problem
from .timestamps import is_timestamp
from .validation_load import is_text, load
from .validation_schema import schema, schema_problems
from .validation_semantics import semantic_problems

__all__ = ["is_timestamp", "load", "schema", "validate"]

MAX_DEFINITION_BYTES: Final = 1024 * 1024


def validate(definition: JSON | str | bytes | os.PathLike[str]) -> tuple[Problem, ...]:
    """Every problem of a definition (dict, JSON text, bytes or path); empty when AWS would accept it.

    Never raises: input that cannot be read or parsed is reported as a problem too.
    """
    try:
        document = load(definition)
    except DefinitionError as error:
        return error.problems
    try:
        found = [*_size_problems(definition, document), *schema_problems(document), *semantic_problems(document)]
    except RecursionError:
        found = [Problem("", "SCHEMA_VALIDATION_FAILED", "The definition is nested too deeply.")]
    return tuple(dict.fromkeys(found))


def _size_problems(source: object, document: JSON) -> list[Problem]:
    if isinstance(source, str | bytes | bytearray) and is_text(source):
        size = len(source.encode() if isinstance(source, str) else source)
    else:  # a dict, or a file whose text was parsed: measure it as compact JSON
        try:
            size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
        except (TypeError, ValueError):
            return []
    if size <= MAX_DEFINITION_BYTES:
        return []
    return [Problem("", "DEFINITION_TOO_LARGE", f"The definition is {size} bytes; AWS accepts at most 1 MiB.")]
