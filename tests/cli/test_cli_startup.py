"""The command line starts cheaply: parsing imports no pipeline, database or web code, and each
command imports only what it uses (every `syndicate ...` paid ~1.5 s of CPU for imports before)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

HEAVY = ("sqlalchemy", "pydantic", "httpx", "uvicorn", "syndicate.store", "syndicate.ingest")


def loaded_after(code: str) -> list[str]:
    """Which HEAVY modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_building_the_parser_imports_nothing_heavy() -> None:
    assert loaded_after("from syndicate.cli import build_parser\nbuild_parser()") == []


def test_help_and_version_answer_without_the_pipeline() -> None:
    for args in (["--version"], ["--help"], ["run", "--help"], ["sources", "--help"]):
        code = (
            "import contextlib, io\nfrom syndicate.cli import main\n"
            f"with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main({args!r})"
        )
        assert loaded_after(code) == [], args


def test_reload_looks_for_the_service_without_importing_it(tmp_path: Path) -> None:
    code = (
        "from syndicate.cli.ops import signal_reload\n"
        "from syndicate.config import settings_from_dict\n"
        f"url = 'sqlite:///{tmp_path}/s.db'\n"
        "status, message = signal_reload(settings_from_dict({'storage': {'url': url}}), 0)\n"
        "assert status == 1 and 'no running syndicate' in message, message\n"
        "import sys\nprint('syndicate.service' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_a_command_skips_the_collectors_teardown_passes_only_as_the_process_itself(
    tmp_path: Path,
) -> None:
    # As the program (argv from sys.argv) the objects are frozen before exit; called with an
    # argv list (a test, an embedding program) nothing is frozen, so nothing leaks.
    missing = tmp_path / "none.toml"
    code = (
        "import gc, sys\nfrom syndicate.cli import main\n"
        f"status = main(['check-config', '--config', {str(missing)!r}])\n"
        "print(status, gc.get_freeze_count() > 0)\n"
        f"sys.argv = ['syndicate', 'check-config', '--config', {str(missing)!r}]\n"
        "status = main()\n"
        "print(status, gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.split() == ["2", "False", "2", "True"], out.stderr
