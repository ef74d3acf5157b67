"""`asl validate`: one line per problem, a summary per valid file, and an exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from asl import cli

VALID = {
    "StartAt": "A",
    "States": {
        "A": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
            "Next": "C",
        },
        "C": {"Type": "Succeed"},
    },
}
INVALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Foo"}}}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, content: object) -> str:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_valid_files_get_a_summary_and_exit_0(tmp_path: Path) -> None:
    first, second = write(tmp_path, "one.json", VALID), write(tmp_path, "two.json", VALID)
    status, out, err = run("validate", first, second)
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"{first}: valid (3 states)", f"{second}: valid (3 states)"]


def test_each_problem_is_one_line_with_file_and_pointer(tmp_path: Path) -> None:
    good, bad = write(tmp_path, "good.json", VALID), write(tmp_path, "bad.json", INVALID)
    status, out, _ = run("validate", bad, good)
    assert status == 1
    assert out.splitlines() == [
        f"{bad}#/States/A/Next: Missing 'Next' target: Foo",
        f"{good}: valid (3 states)",
    ]


def test_a_missing_file_is_one_clear_line_and_exit_status_3(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.json")
    assert run("validate", missing) == (3, "", f"asl: {missing}: No such file\n")


def test_an_unreadable_file_among_others_still_exits_3(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    status, out, err = run("validate", str(tmp_path), str(good))
    assert status == 3
    assert out == f"{good}: valid (1 state)\n"
    assert err == f"asl: {tmp_path}: is a directory, not a file\n"


def test_bad_json_is_one_line_with_line_and_column(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.json", '{"StartAt": "A",\n "States": }')
    status, out, _ = run("validate", broken)
    assert status == 1
    assert out == f"{broken}: Invalid JSON at line 2, column 12: Expecting value\n"


def test_usage_errors_exit_2_on_stderr() -> None:
    status, out, err = run("validate")
    assert status == 2 and out == ""
    assert "the following arguments are required: FILE" in err
    status, _, err = run("frobnicate")
    assert status == 2 and "invalid choice" in err


def test_help_exits_0() -> None:
    status, out, _ = run("--help")
    assert status == 0 and "validate" in out
    status, out, _ = run("validate", "--help")
    assert status == 0 and "FILE" in out


def test_no_command_prints_help_and_exits_2() -> None:
    status, out, _ = run()
    assert status == 2 and "usage: asl" in out


def test_python_dash_m_asl_runs_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, "machine.json", VALID)
    done = subprocess.run([sys.executable, "-m", "asl", "validate", path], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{path}: valid (3 states)\n", "")


def test_help_does_not_import_the_validator() -> None:
    code = "import sys; from asl import cli; cli.main(['--help']); print('jsonschema' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False"


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("[1]"))
    status, out, _ = run("validate", "-")
    assert (status, out) == (1, "-: Definition must be a valid JSON object\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(VALID)))
    assert run("validate", "-") == (0, "-: valid (3 states)\n", "")
