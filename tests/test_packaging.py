"""What a user meets before running anything: the distribution's name, its licence, version and
changelog, and what `help(asl)` and `dir(asl)` show."""

from __future__ import annotations

import os
import pydoc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import asl

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_distribution_is_not_named_like_pypis_unrelated_asl() -> None:
    assert PROJECT["name"] == "asl-local"  # `pip index versions asl-local`: not found when chosen
    assert PROJECT["scripts"] == {"asl": "asl.cli:main"}  # the command stays `asl`
    assert "asl-local" in (ROOT / "README.md").read_text()


def test_the_licence_file_holds_the_apache_2_text_the_metadata_names() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_the_version_is_one_constant_the_build_reads() -> None:
    assert PROJECT["dynamic"] == ["version"]
    assert asl.__version__ == "0.1.0"
    assert f"## {asl.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_help_lists_the_verbs_and_types_loaded_on_first_use() -> None:
    text = pydoc.render_doc(asl, renderer=pydoc.plaintext)
    for name in ("execute", "start", "Execution", "VirtualClock", "Status", "Limits", "StateMachine", "run", "parse"):
        assert f"\n    {name}" in text or f" {name}(" in text or f"class {name}" in text, name


def test_dir_shows_the_public_names_and_no_imported_helpers() -> None:
    names = dir(asl)
    assert {"execute", "start", "Execution", "VirtualClock", "Status", "Limits", "StateMachine"} <= set(names)
    assert {"gc", "os", "importlib", "cast", "Any", "Callable", "Mapping"}.isdisjoint(names)
    assert "__version__" in names


def test_importing_asl_does_not_load_the_engine() -> None:
    code = "import sys, asl; print(sorted(m for m in ('asl.executor', 'asl.compiler') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT / "src")
    assert done.stdout == "[]\n"


def test_the_benchmark_command_skips_clearly_without_the_shared_workloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
    try:
        import bench  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "tests" / "benchmarks"))
    monkeypatch.delenv("ASL_BENCH_DIR", raising=False)
    monkeypatch.setattr(bench, "DEFAULT_BENCH_DIR", tmp_path / "shared" / "bench")
    assert bench.main([]) == 0
    assert capsys.readouterr().err.startswith(f"skipped: no benchmark workloads at {tmp_path / 'shared' / 'bench'};")
    assert bench.main(["--bench-dir", str(tmp_path)]) == 2  # a folder named on purpose must hold them


def test_the_conformance_command_skips_clearly_without_the_shared_cases(tmp_path: Path) -> None:
    clone = tmp_path / "clone"  # nothing beside it
    (clone / "tests").mkdir(parents=True)
    for name in ("test_conformance.py", "conftest.py"):
        (clone / "tests" / name).write_text((ROOT / "tests" / name).read_text())
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "conformance", "-rs", "-p", "no:cacheprovider", "tests"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"no conformance cases at {tmp_path / 'shared' / 'conformance' / 'cases'}" in done.stdout
