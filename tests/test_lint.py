"""The code stays linted (ruff) and typed (mypy strict on the layers listed in pyproject,
ui/, devices/ and documents/ among them)."""

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


def test_mypy_strict_on_the_typed_layers():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    listed = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for layer in ("core", "store", "queue", "ui", "devices", "documents"):
        assert f'"hallclient/{layer}"' in listed, layer
