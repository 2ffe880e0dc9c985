"""The test command: found from the project's markers, and its output in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

_PYTEST_MARKERS = ("pytest.ini", "conftest.py", "tox.ini", "setup.cfg", "pyproject.toml")
_MAKE_TEST = re.compile(r"^test\s*:", re.M)
# pytest's last line: "==== 2 failed, 3 passed in 0.12s ====", "1 passed in 0.01s"
_PYTEST_SUMMARY = re.compile(
    r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s(?: \([^)]*\))?\s*=*\s*$", re.M)


def detect_test_command(root: Path) -> str | None:
    """The test command a project's files point at, or None: `pytest` (a Python project
    with tests; the project's own `.venv` first), `npm test` (package.json with a test
    script), `cargo test`, `go test ./...`, `make test` (a Makefile with a test target)."""
    if (root / "package.json").is_file():
        try:
            scripts = json.loads((root / "package.json").read_text("utf-8")).get("scripts")
        except (OSError, ValueError, AttributeError):
            scripts = None
        if isinstance(scripts, dict) and isinstance(scripts.get("test"), str) \
                and "no test specified" not in scripts["test"]:
            return "npm test"
    if (root / "Cargo.toml").is_file():
        return "cargo test"
    if (root / "go.mod").is_file():
        return "go test ./..."
    if _python_tests(root):
        venv_pytest = root / ".venv" / "bin" / "pytest"
        return ".venv/bin/pytest" if venv_pytest.is_file() else "pytest"
    for name in ("Makefile", "makefile", "GNUmakefile"):
        path = root / name
        try:
            if path.is_file() and _MAKE_TEST.search(path.read_text("utf-8", "replace")):
                return "make test"
        except OSError:
            pass
    return None


def _python_tests(root: Path) -> bool:
    if not any((root / m).is_file() for m in _PYTEST_MARKERS) \
            and not (root / "tests").is_dir() and not (root / "test").is_dir():
        return False
    for folder in (root / "tests", root / "test", root):
        if folder.is_dir() and (any(folder.glob("test_*.py")) or any(folder.glob("*_test.py"))):
            return True
    return (root / "pytest.ini").is_file() or (root / "conftest.py").is_file()


def summarize(output: str, exit_code: int | None) -> str:
    """One line for the record: pytest's counts when it is pytest, else the last
    non-empty line of the output, with the exit status."""
    found = _PYTEST_SUMMARY.findall(output)
    if found:
        return found[-1].strip()
    last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
    status = "stopped" if exit_code is None else f"exit {exit_code}"
    return f"{status}: {last[:200]}" if last else status
