"""The code stays linted (ruff) and typed (mypy strict on core/, store/, queue/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_ruff_is_clean():
    assert shutil.which("ruff") or run("ruff", "--version").returncode == 0
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_non_ui_layers():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hallclient/core" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
