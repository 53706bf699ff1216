"""CI runs exactly README command 2, and that command runs the reviewers' checks before pytest."""

from __future__ import annotations

import collections
import re
import tomllib

from conftest import REPO


def _readme_command(number: int) -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split(f"**{number}. ", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()


def test_ci_runs_readme_command_2() -> None:
    script = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert script[-1].strip() == _readme_command(2)


def test_command_2_lints_formats_and_type_checks_before_the_tests() -> None:
    steps = [s.strip() for s in _readme_command(2).split("&&")]
    names = [s.removeprefix(".venv/bin/") for s in steps]
    tests = next(i for i, name in enumerate(names) if name.split()[0] == "pytest")
    for check in ("ruff check .", "ruff format --check .", "mypy"):
        assert check in names, check
        assert names.index(check) < tests
    assert tests == len(names) - 1  # the whole suite, last


def test_the_parallel_test_run_is_installed_by_the_test_extra() -> None:
    pytest_step = _readme_command(2).split("&&")[-1].split()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    extra = project["project"]["optional-dependencies"]["test"]
    if "-n" in pytest_step:
        assert any(dep.startswith("pytest-xdist") for dep in extra)


def test_mypy_is_configured_and_installed_by_the_test_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    mypy = project["tool"]["mypy"]
    assert mypy["files"] == ["syndicate"]
    assert not mypy.get("ignore_errors")
    assert any(
        dep.startswith("mypy") for dep in project["project"]["optional-dependencies"]["test"]
    )


def test_test_file_names_are_unique() -> None:
    # Test modules are imported by basename (no __init__.py, `from conftest import ...`): two
    # test_pages.py in different folders stop the whole run at collection.
    names = collections.Counter(p.name for p in (REPO / "tests").rglob("test_*.py"))
    names.update(p.name for p in (REPO / "tests").rglob("*_util.py"))
    assert not [n for n, count in names.items() if count > 1]
