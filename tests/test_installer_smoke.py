"""The installer smoke test script passes against this installation, and fails when the
program does not start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "installer" / "smoke_test.sh"


def test_smoke_test_passes_on_the_installed_program(tmp_path):
    launcher = tmp_path / "hallclient"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m hallclient "$@"\n')
    launcher.chmod(0o755)
    result = subprocess.run(["bash", str(SCRIPT), str(launcher)], capture_output=True,
                            text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                         "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "SELFTEST OK" in result.stdout


def test_smoke_test_fails_when_the_program_is_broken(tmp_path):
    launcher = tmp_path / "hallclient"
    launcher.write_text("#!/bin/sh\necho starting\nexit 2\n")
    launcher.chmod(0o755)
    result = subprocess.run(["bash", str(SCRIPT), str(launcher)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
