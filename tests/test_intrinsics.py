"""Intrinsic functions: the parser, every function's results and failures, and their laws."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import random
import re
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from asl import errors, intrinsics
from asl.context import JSON, Env
from asl.paths import PathNotFound
from strategies import intrinsic_like_texts, json_arrays, json_values, same_json, texts


def run(text: str, value: JSON = None, env: Env | None = None) -> JSON:
    return intrinsics.compile(text).evaluate(value, env or Env(random=random.Random(0)))


def fails(text: str, value: JSON = None) -> errors.ExecutionError:
    with pytest.raises(errors.RuntimeFailure) as info:
        run(text, value)
    return info.value


def invalid(text: str, value: JSON = None) -> str:
    """The cause of a run-time failure, checking that it is States.Runtime as AWS reports it."""
    error = fails(text, value)
    assert error.error == "States.Runtime"
    assert error.located
    return error.cause


def rejected(text: str) -> errors.ExpressionError:
    with pytest.raises(errors.ExpressionError) as info:
        intrinsics.compile(text)
    return info.value


# ------------------------------------------------------------------------------------------ parser


def test_compile_returns_an_immutable_call_tree() -> None:
    call = intrinsics.compile("States.Format('{}', States.ArrayLength($.items))")
    assert call.name == "States.Format"
    assert isinstance(call.args[0], intrinsics.Literal)
    assert isinstance(call.args[1], intrinsics.Call)
    assert isinstance(call.args[1].args[0], intrinsics.PathArgument)
    with pytest.raises(AttributeError):
        call.name = "States.Array"  # type: ignore[misc]


def test_literals_of_every_kind() -> None:
    assert run("States.Array('a', 1, -2, 2.5, -0.5, 1e3, true, false, null)") == [
        "a", 1, -2, 2.5, -0.5, 1000.0, True, False, None,
    ]  # fmt: skip


def test_integer_and_float_literals_keep_their_kind() -> None:
    one, one_point_zero = run("States.Array(1, 1.0)")  # type: ignore[misc]
    assert type(one) is int and type(one_point_zero) is float


def test_whitespace_around_arguments() -> None:
    assert run("  States.Array(  1 ,\n'x'\t, $.a  )  ", {"a": 2}) == [1, "x", 2]


def test_string_escapes() -> None:
    assert run(r"States.Array('it\'s', '\{\}', '\\')") == ["it's", "{}", "\\"]


def test_a_real_newline_inside_a_literal_is_a_character() -> None:
    assert run("States.StringSplit('Hello\nWorld', '\n')") == ["Hello", "World"]


def test_other_escapes_are_rejected() -> None:
    error = rejected(r"States.Format('a\nb')")
    assert error.position == 16


def test_path_arguments_read_input_context_and_variables() -> None:
    env = Env(context={"Execution": {"Name": "run-1"}}, variables={"v": {"x": 3}})
    assert run("States.Array($, $.a, $$.Execution.Name, $v.x, $v)", {"a": 1}, env) == [
        {"a": 1}, 1, "run-1", 3, {"x": 3},
    ]  # fmt: skip


def test_path_arguments_with_brackets_commas_and_filters() -> None:
    value = {"a, b": 1, "items": [{"k": 1}, {"k": 2}]}
    assert run("States.Array($['a, b'], $.items[?(@.k == 2)], $.items[0].k)", value) == [1, [{"k": 2}], 1]


def test_a_path_that_selects_nothing_fails_at_run_time() -> None:
    with pytest.raises(PathNotFound):
        run("States.ArrayLength($.missing)", {})


def test_nested_calls() -> None:
    text = "States.ArrayGetItem(States.StringSplit($.name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.name, '-')), -1))"  # noqa: E501
    assert run(text, {"name": "a-b-c"}) == "c"


def test_ten_levels_of_nesting_are_allowed_eleven_are_not() -> None:
    ten = "States.Array(" * 10 + ")" * 10
    assert run(ten) == [[[[[[[[[[]]]]]]]]]]  # one list per call: ten deep
    assert "nested" in str(rejected("States.Array(" * 11 + ")" * 11))


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("States.Nope()", 0),
        ("States.Array(1, States.Nope())", 16),
        ("States.Array(", 13),
        ("States.Array(1 2)", 15),
        ("States.Array(1,)", 15),
        ("States.Array('abc", 13),
        ("States.Array($.a[)", 13),
        ("States.UUID() x", 14),
        ("States.UUID", 11),
        ("$.a", 0),
        ("", 0),
    ],
)
def test_syntax_errors_name_their_position(text: str, position: int) -> None:
    assert rejected(text).position == position


@pytest.mark.parametrize(
    "text",
    [
        "States.UUID(1)",
        "States.ArrayLength()",
        "States.ArrayLength($, $)",
        "States.Hash('x')",
        "States.ArrayRange(1, 2)",
        "States.JsonMerge($, $)",
        "States.MathRandom(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.Format()",
    ],
)
def test_wrong_argument_counts_are_rejected_at_compile_time(text: str) -> None:
    assert "argument" in str(rejected(text))


def test_is_call() -> None:
    assert intrinsics.is_call("States.Format('{}', $.x)")
    assert intrinsics.is_call("States.UUID()")
    assert not intrinsics.is_call("$.x")
    assert not intrinsics.is_call("$$.Execution.Id")
    assert not intrinsics.is_call("States.Format")
    assert not intrinsics.is_call(" States.UUID()")


def test_every_function_has_a_table_entry() -> None:
    assert len(intrinsics.INTRINSICS) == 18
    assert all(name.startswith("States.") for name in intrinsics.INTRINSICS)


@given(st.one_of(st.text(), intrinsic_like_texts))
@example("States.Format('{}', $.a[?(@.b == 'x,)'])")
@example("States.Array(" * 12)
def test_any_text_compiles_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(errors.ExpressionError):  # any other exception is a bug
        assert isinstance(intrinsics.compile(text), intrinsics.Call)


# ------------------------------------------------------------------------------------------ Format


def test_format_inserts_values() -> None:
    assert run("States.Format('Hello, {}!', $.name)", {"name": "Arnav"}) == "Hello, Arnav!"
    assert run("States.Format($.template, $.name)", {"template": "Hi {}", "name": "Ana"}) == "Hi Ana"
    assert run("States.Format('no placeholders')") == "no placeholders"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("raw string", "raw string"),
        ("", ""),
        (None, "null"),
        (True, "true"),
        (1, "1"),
        (1.1, "1.1"),
        (1.0, "1.0"),
        (1e20, "1.0E20"),
        ('{"Arg1": 1}', '{"Arg1": 1}'),
        ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
        ({"a": {"b": "c"}, "d": [1, "x", None]}, "{a={b=c}, d=[1, x, null]}"),
        ([1, 2.5, "s"], "[1, 2.5, s]"),
    ],
)
def test_format_renders_values_as_aws_does(value: JSON, text: str) -> None:
    assert run("States.Format('<{}>', $.v)", {"v": value}) == f"<{text}>"


@given(json_values, json_values)
def test_format_with_a_literal_template_renders_as_with_a_template_read_from_the_input(x: JSON, y: JSON) -> None:
    # A literal template is composed into one function when compiled; one read from the input
    # goes through format_. Both must render every value alike.
    data = {"t": "<{}|{}>", "x": x, "y": y}
    assert run("States.Format('<{}|{}>', $.x, $.y)", data) == run("States.Format($.t, $.x, $.y)", data)


def test_format_escaped_braces_are_not_placeholders() -> None:
    assert run(r"States.Format('\{\} {}', 1)") == "{} 1"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("States.Format('{} {}', 1)", None),
        ("States.Format('{}', 1, 2)", None),
        ("States.Format('Hello {', 1)", None),
        ("States.Format('}')", None),
        ("States.Format('Hello {{}}', 1)", None),
        ("States.Format($.t, 1)", {"t": 123}),
        ("States.Format($.t)", {"t": "{}"}),
    ],
)
def test_format_invalid_arguments(text: str, value: JSON) -> None:
    assert invalid(text, value) == "Invalid arguments in States.Format"


# --------------------------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": [1, 2.5, "x"], "b": null}', {"a": [1, 2.5, "x"], "b": None}),
        ('"HelloWorld"', "HelloWorld"),
        ("true", True),
        ("null", None),
        ("-0", 0),
        ("1.0", 1.0),
        ("", None),
        ("   ", None),
    ],
)
def test_string_to_json(text: str, value: JSON) -> None:
    assert same_json(run("States.StringToJson($.s)", {"s": text}), value)


@pytest.mark.parametrize("value", [1, None, {"a": 1}, "{bad json", "NaN", "[1,"])
def test_string_to_json_invalid_arguments(value: JSON) -> None:
    assert invalid("States.StringToJson($.s)", {"s": value}) == "Invalid arguments in States.StringToJson"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"Arg1": 1, "Arg2": []}, '{"Arg1":1,"Arg2":[]}'),
        ([1, 2, "HelloWorld"], '[1,2,"HelloWorld"]'),
        ("HelloWorld", '"HelloWorld"'),
        (0, "0"),
        (1.1, "1.1"),
        (True, "true"),
        (None, "null"),
        ("é\u0001\n", '"é\\u0001\\n"'),
    ],
)
def test_json_to_string_is_compact(value: JSON, text: str) -> None:
    assert run("States.JsonToString($.v)", {"v": value}) == text


def test_json_merge_is_shallow_and_the_second_wins() -> None:
    value = {"a": {"a": {"a1": 1}, "b": 2, "d": 3}, "b": {"a": {"a3": 1}, "c": 3, "d": 4}}
    assert run("States.JsonMerge($.a, $.b, false)", value) == {"a": {"a3": 1}, "b": 2, "c": 3, "d": 4}


@pytest.mark.parametrize(
    "text",
    [
        "States.JsonMerge($.o, $.o, true)",
        "States.JsonMerge($.o, $.o, 'false')",
        "States.JsonMerge($.o, $.l, false)",
        "States.JsonMerge($.l, $.o, false)",
    ],
)
def test_json_merge_invalid_arguments(text: str) -> None:
    assert invalid(text, {"o": {"a": 1}, "l": [1]}) == "Invalid arguments in States.JsonMerge"


# ------------------------------------------------------------------------------------------- arrays


def test_array() -> None:
    assert run("States.Array()") == []
    assert run("States.Array($.a, $.b)", {"a": None, "b": {"x": [1]}}) == [None, {"x": [1]}]


@pytest.mark.parametrize(
    ("items", "size", "chunks"),
    [
        ([], 1, []),
        ([0, 1, 2, 3], 1, [[0], [1], [2], [3]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0, 1], 5, [[0, 1]]),
        ([0, 1, 2], 2.9, [[0, 1], [2]]),
    ],
)
def test_array_partition(items: JSON, size: JSON, chunks: JSON) -> None:
    assert run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size}) == chunks


@pytest.mark.parametrize(("items", "size"), [([1], 0), ([1], -1), ([1], 0.49), ([1], "2"), ("abc", 1), ([1], None)])
def test_array_partition_invalid_arguments(items: JSON, size: JSON) -> None:
    cause = invalid("States.ArrayPartition($.a, $.n)", {"a": items, "n": size})
    assert cause == "Invalid arguments in States.ArrayPartition"


@pytest.mark.parametrize(
    ("items", "wanted", "found"),
    [
        ([], None, False),
        ([], [], False),
        ([[1, 2, 3], 2], [1, 2, 3], True),
        ([{"1": 2, "2": []}], {"2": [], "1": 2}, True),
        ([{"1": 2, "2": []}], [], False),
        ([True, False], True, True),
        ([1], True, False),
        ([1], 1.0, False),
        ([None], None, True),
    ],
)
def test_array_contains_compares_deeply(items: JSON, wanted: JSON, found: bool) -> None:
    assert run("States.ArrayContains($.a, $.v)", {"a": items, "v": wanted}) is found


def test_array_contains_invalid_arguments() -> None:
    assert invalid("States.ArrayContains($.a, 1)", {"a": "x"}) == "Invalid arguments in States.ArrayContains"


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("States.ArrayRange(0, 9, 3)", [0, 3, 6, 9]),
        ("States.ArrayRange(0, 10, 3)", [0, 3, 6, 9]),
        ("States.ArrayRange(1, 9, 9)", [1]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayRange(5, 1, 1)", []),
        ("States.ArrayRange(3, 3, -1)", [3]),
        ("States.ArrayRange(5.4, -0.6, -2.4)", [5, 3, 1]),  # AWS drops fractions
    ],
)
def test_array_range(text: str, result: JSON) -> None:
    assert run(text) == result


def test_array_range_limit_is_1000_elements() -> None:
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000  # type: ignore[arg-type]
    assert invalid("States.ArrayRange(1, 1001, 1)") == "Invalid arguments in States.ArrayRange"
    assert invalid("States.ArrayRange(1001, 1, -1)") == "Invalid arguments in States.ArrayRange"


@pytest.mark.parametrize(
    "text", ["States.ArrayRange(1, 10, 0)", "States.ArrayRange(1, 10, 0.49)", "States.ArrayRange('a', 5, 1)"]
)
def test_array_range_invalid_arguments(text: str) -> None:
    assert invalid(text) == "Invalid arguments in States.ArrayRange"


def test_array_get_item() -> None:
    assert run("States.ArrayGetItem($.a, 5)", {"a": [1, 2, 3, 4, 5, 6, 7]}) == 6
    assert run("States.ArrayGetItem($.a, 1.2)", {"a": [10, 20, 30]}) == 20
    assert run("States.ArrayGetItem($.a, 999)", {"a": []}) is None  # as observed on AWS


@pytest.mark.parametrize(("items", "index"), [([1, 2, 3], 3), ([1, 2, 3], -1), ([1], "0"), ("abc", 0)])
def test_array_get_item_invalid_arguments(items: JSON, index: JSON) -> None:
    cause = invalid("States.ArrayGetItem($.a, $.i)", {"a": items, "i": index})
    assert cause == "Invalid arguments in States.ArrayGetItem"


def test_array_length() -> None:
    length = run("States.ArrayLength($)", [1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert length == 9 and type(length) is int
    assert invalid("States.ArrayLength($)", {"a": 1}) == "Invalid arguments in States.ArrayLength"


def test_array_unique_keeps_first_occurrences() -> None:
    pairs = [
        [None, None],
        [True, True],
        [1, 1, 1.0],
        ["x", "x"],
        [[], []],
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
    ]
    value = [item for pair in pairs for item in pair] + [{"a": 2}]
    result = run("States.ArrayUnique($)", value)
    assert same_json(result, [None, True, 1, 1.0, "x", [], {"a": 1, "b": 2}, {"a": 2}])
    assert invalid("States.ArrayUnique($)", "x") == "Invalid arguments in States.ArrayUnique"


# ------------------------------------------------------------------------------- encoding, hashing


def test_base64() -> None:
    assert run("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode"
    assert run("States.Base64Encode('')") == ""
    assert run("States.Base64Decode('')") == ""
    assert run("States.Base64Decode('RGF0YQ')") == "Data"  # padding may be left out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("States.Base64Encode($)", 1),
        ("States.Base64Encode($)", "a" * 10_001),
        ("States.Base64Decode($)", "A" * 10_004),
        ("States.Base64Decode($)", "not base64!"),
        ("States.Base64Decode($)", "A"),
        ("States.Base64Decode($)", None),
    ],
)
def test_base64_invalid_arguments(text: str, value: JSON) -> None:
    assert invalid(text, value).startswith("Invalid arguments in States.Base64")


def test_base64_limit_is_10000_characters() -> None:
    assert run("States.Base64Encode($)", "a" * 10_000) == base64.b64encode(b"a" * 10_000).decode()


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
        ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("SHA-256", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
        (
            "SHA-384",
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562",
        ),
        ("SHA-512", hashlib.sha512(b"input data").hexdigest()),
    ],
)
def test_hash(algorithm: str, digest: str) -> None:
    assert run("States.Hash($.d, $.a)", {"d": "input data", "a": algorithm}) == digest


def test_hash_of_a_non_string_hashes_its_json_text() -> None:
    assert run("States.Hash(123, 'MD5')") == hashlib.md5(b"123").hexdigest()
    assert run("States.Hash($, 'MD5')", {"a": [1]}) == hashlib.md5(b'{"a":[1]}').hexdigest()


@pytest.mark.parametrize(
    ("data", "algorithm"),
    [("x", "sha-256"), ("x", "SHA256"), ("x", ""), ("x", 1), ("x", None), ("a" * 10_001, "MD5")],
)
def test_hash_invalid_arguments(data: JSON, algorithm: JSON) -> None:
    assert invalid("States.Hash($.d, $.a)", {"d": data, "a": algorithm}) == "Invalid arguments in States.Hash"


# --------------------------------------------------------------------------------------------- math


@pytest.mark.parametrize(
    ("first", "second", "total"),
    [
        (-9, 3, -6),
        (1.49, 1.5, 3),
        (-1.5, -1.51, -3),
        (0.5, 0, 1),
        (2.5, 0, 3),
        (-0.5, 0, 0),
        (-1.5, 0, -1),
        (-2.5, 0, -2),
        (-3.5, 0, -3),
        (-1.51, 0, -2),
        (-0.5, 0.5, 1),
    ],
)
def test_math_add_rounds_halves_up(first: float, second: float, total: int) -> None:
    result = run("States.MathAdd($.a, $.b)", {"a": first, "b": second})
    assert result == total and type(result) is int


@pytest.mark.parametrize(("first", "second"), [("1", 2), (None, 1), (True, 1), (2**31, 0), (0, -(2**31) - 1)])
def test_math_add_invalid_arguments(first: JSON, second: JSON) -> None:
    assert invalid("States.MathAdd($.a, $.b)", {"a": first, "b": second}) == "Invalid arguments in States.MathAdd"


def test_math_random_is_in_range_with_an_exclusive_end() -> None:
    values = {run("States.MathRandom(1, 4)", env=Env(random=random.Random(seed))) for seed in range(60)}
    assert values == {1, 2, 3}
    value = run("States.MathRandom(12.5, 44.51)")
    assert isinstance(value, int) and 12 <= value < 44


def test_math_random_with_a_seed_repeats() -> None:
    first = run("States.MathRandom(0, 999, 3)", env=Env(random=random.Random(1)))
    second = run("States.MathRandom(0, 999, 3)", env=Env(random=random.Random(2)))
    assert first == second


@pytest.mark.parametrize(
    "text",
    [
        "States.MathRandom(1, 1)",
        "States.MathRandom(10, 5)",
        "States.MathRandom(1.4, 1.6)",
        "States.MathRandom('a', 10)",
        "States.MathRandom(1, 10, null)",
        "States.MathRandom(1, 10, 'seed')",
    ],
)
def test_math_random_invalid_arguments(text: str) -> None:
    assert invalid(text) == "Invalid arguments in States.MathRandom"


# ------------------------------------------------------------------------------------------ strings


@pytest.mark.parametrize(
    ("text", "delimiters", "pieces"),
    [
        ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
        (" ", ",", [" "]),
        (", , ,", ",", [" ", " "]),
        (",,,,", ",", []),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
        ("a]b^c", "]^", ["a", "b", "c"]),
        ("abc", "", ["abc"]),
    ],
)
def test_string_split_on_every_delimiter_character(text: str, delimiters: str, pieces: JSON) -> None:
    assert run("States.StringSplit($.s, $.d)", {"s": text, "d": delimiters}) == pieces


@pytest.mark.parametrize(("text", "delimiters"), [(1, ","), ("a,b", 1), (None, ",")])
def test_string_split_invalid_arguments(text: JSON, delimiters: JSON) -> None:
    cause = invalid("States.StringSplit($.s, $.d)", {"s": text, "d": delimiters})
    assert cause == "Invalid arguments in States.StringSplit"


def test_uuid_is_a_version_4_uuid() -> None:
    value = run("States.UUID()")
    assert isinstance(value, str)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)


# --------------------------------------------------------------------------------------- properties


@given(json_values)
def test_string_to_json_inverts_json_to_string(value: JSON) -> None:
    assert same_json(run("States.StringToJson(States.JsonToString($))", value), value)


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=2000))
def test_base64_decode_inverts_encode(text: str) -> None:
    assert run("States.Base64Decode(States.Base64Encode($))", text) == text


@given(json_arrays, st.integers(min_value=1, max_value=12))
def test_array_partition_chunks_concatenate_back(items: list[JSON], size: int) -> None:
    chunks = run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size})
    assert isinstance(chunks, list)
    assert [item for chunk in chunks for item in chunk] == items  # type: ignore[union-attr]
    assert all(len(chunk) == size for chunk in chunks[:-1])  # type: ignore[arg-type]
    assert all(0 < len(chunk) <= size for chunk in chunks)  # type: ignore[arg-type]


@given(st.lists(st.one_of(json_values, st.sampled_from([1, 1.0, True, "x", None])), max_size=12))
def test_array_unique_is_idempotent(items: list[JSON]) -> None:
    once = run("States.ArrayUnique($)", items)
    assert same_json(run("States.ArrayUnique($)", once), once)
    assert all(run("States.ArrayContains($.u, $.v)", {"u": once, "v": item}) for item in items)


@given(
    st.integers(min_value=-500, max_value=500),
    st.integers(min_value=-500, max_value=500),
    st.integers(min_value=-50, max_value=50).filter(bool),
)
def test_array_range_length(first: int, last: int, step: int) -> None:
    result = run("States.ArrayRange($.f, $.l, $.s)", {"f": first, "l": last, "s": step})
    assert result == list(range(first, last + (1 if step > 0 else -1), step))
    assert len(result) == max(0, math.floor((last - first) / step) + 1)  # type: ignore[arg-type]


def _java_round(number: float) -> int:
    # Java's Math.round: floor(x + 1/2), computed exactly.
    return int((Decimal(number) + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR))


@given(
    st.one_of(st.integers(-(2**31), 2**31 - 1), st.floats(-(2**31), 2**31 - 1.5)),
    st.one_of(st.integers(-(2**31), 2**31 - 1), st.floats(-(2**31), 2**31 - 1.5)),
)
@example(0.49999999999999994, 0)
@example(-0.5, -2.5)
def test_math_add_agrees_with_javas_rounding(first: float, second: float) -> None:
    result = run("States.MathAdd($.a, $.b)", {"a": first, "b": second})
    assert result == _java_round(first) + _java_round(second)


@given(st.integers(min_value=0, max_value=2**32))
def test_seeded_runs_repeat_uuid_and_math_random(seed: int) -> None:
    text = "States.Array(States.UUID(), States.MathRandom(0, 1000000), States.UUID())"
    assert run(text, env=Env(random=random.Random(seed))) == run(text, env=Env(random=random.Random(seed)))


@given(texts.filter(lambda text: not set(text) & set("{}\\")), json_values)
def test_format_with_one_placeholder(template: str, inserted: JSON) -> None:
    result = run("States.Format($.t, $.v)", {"t": template + "{}" + template, "v": inserted})
    assert isinstance(result, str) and result.startswith(template) and result.endswith(template)
