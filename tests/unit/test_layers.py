"""Rooms with doors: the layers (README, "For developers: the map") are import-linter contracts in
pyproject.toml. lint-imports must keep every one of them, and each contract is shown to
fail on an import planted in a copy of the package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINTER = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[tool.importlinter]", 1)[1]
CONTRACTS = re.findall(r'^name = "(.+)"$', LINTER, flags=re.M)

# one forbidden import per contract: (contract, file in the package, the import)
PLANTED = [
    ("core imports nothing of ours, no Qt, no SQLite, no network",
     "core/announce.py", "import sqlite3"),
    ("ui reaches storage, queue backends, devices and documents only through services",
     "ui/outbox_view.py", "from hallclient.store import case_repo"),
    ("servers never import the client side or ui",
     "servers/run.py", "from hallclient.sync import engine"),
    ("layers point one way: ui, services, backends, platform and documents, store, core",
     "store/meta.py", "from hallclient.platform import client"),
    ("store, queue backends, sync and platform run without Qt",
     "sync/mapping.py", "from PySide6 import QtCore"),
    ("platform speaks HTTP and keeps no SQLite",
     "platform/client.py", "import sqlite3"),
    ("the wire formats, shared by servers and client, do no I/O and know neither side",
     "wire/hall.py", "import requests"),
    ("the report's records, replay and figures: plain data in, figures out",
     "reports/figures.py", "import sqlite3"),
    ("the servers are an optional extra that the client never imports",
     "queue/local.py", "import uvicorn"),
]


def lint_imports(root: Path) -> tuple[int, dict[str, str]]:
    """Run lint-imports on the package under ``root``; its exit code and each contract's
    verdict ("KEPT" / "BROKEN") by name."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "400", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120)
    text = " ".join(done.stdout.split())
    verdicts = {}
    for name in CONTRACTS:
        found = re.search(re.escape(name) + r" (KEPT|BROKEN)", text)
        verdicts[name] = found.group(1) if found else f"not reported: {done.stdout}{done.stderr}"
    return done.returncode, verdicts


def test_every_contract_is_planted_once() -> None:
    assert sorted(name for name, _, _ in PLANTED) == sorted(CONTRACTS)


def test_the_package_keeps_every_contract() -> None:
    code, verdicts = lint_imports(ROOT)
    assert verdicts == {name: "KEPT" for name in CONTRACTS}
    assert code == 0


def planted(tmp_path: Path, file: str, line: str) -> tuple[int, dict[str, str]]:
    """lint-imports on a copy of the package with ``line`` added to ``file``."""
    shutil.copytree(ROOT / "hallclient", tmp_path / "hallclient",
                    ignore=shutil.ignore_patterns("__pycache__", "resources"))
    (tmp_path / "hallclient" / "resources").mkdir()
    shutil.copy(ROOT / "hallclient" / "resources" / "__init__.py",
                tmp_path / "hallclient" / "resources" / "__init__.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "hallclient" / file
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return lint_imports(tmp_path)


@pytest.mark.parametrize(("contract", "file", "line"), PLANTED, ids=[p[1] for p in PLANTED])
def test_a_planted_import_breaks_its_contract(tmp_path: Path, contract: str, file: str,
                                              line: str) -> None:
    code, verdicts = planted(tmp_path, file, line)
    assert verdicts == {name: "BROKEN" if name == contract else "KEPT" for name in CONTRACTS}
    assert code == 1


UI_CONTRACT = "ui reaches storage, queue backends, devices and documents only through services"


WIDGET_IMPORTS = [
    ("ui/intake/materials_page.py", "from hallclient.devices.camera import DocumentCamera"),
    ("ui/counter_window.py", "from hallclient.devices.speech import Announcer"),
    ("ui/kiosk_window.py", "from hallclient.devices.printer import TicketPrinter"),
    ("ui/dashboard.py", "from hallclient.documents.report_tables import write_pdf"),
]


@pytest.mark.parametrize(("file", "line"), WIDGET_IMPORTS, ids=[Path(f).stem for f, _ in WIDGET_IMPORTS])
def test_no_widget_is_excused_from_reaching_devices_and_documents_through_services(
        tmp_path: Path, file: str, line: str) -> None:
    """The widgets that once imported a device or a document themselves have no exception
    left in the contract: the same import, put back, breaks it."""
    code, verdicts = planted(tmp_path, file, line)
    assert verdicts == {name: "BROKEN" if name == UI_CONTRACT else "KEPT" for name in CONTRACTS}
    assert code == 1
