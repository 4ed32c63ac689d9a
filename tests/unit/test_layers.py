"""Rooms with doors: core/ and reports/ import no Qt, SQLite or HTTP; ui/ imports no SQLite
or HTTP."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "hallclient"

FORBIDDEN = {
    # urllib.parse only splits strings (the platform URL rule); the network parts stay out
    "core": {"PySide6", "sqlite3", "sqlite_utils", "requests", "urllib.request", "urllib.error",
             "http", "socket", "ssl", "asyncio",
             "hallclient.store", "hallclient.queue", "hallclient.services", "hallclient.ui"},
    # the report's records, replay and figures: plain data in, figures out, like core/
    "reports": {"PySide6", "sqlite3", "sqlite_utils", "requests", "urllib", "http", "socket",
                "hallclient.store", "hallclient.queue", "hallclient.services", "hallclient.ui",
                "hallclient.documents", "hallclient.servers"},
    "store": {"PySide6", "requests", "hallclient.services", "hallclient.ui"},
    "ui": {"sqlite3", "sqlite_utils", "requests", "urllib", "http", "socket", "hallclient.store.db",
           "hallclient.store.queue_repo", "hallclient.store.log_repo", "hallclient.servers",
           "fastapi", "uvicorn"},
    "services": {"hallclient.ui", "hallclient.servers", "fastapi", "uvicorn"},
    "queue": {"PySide6", "hallclient.ui", "hallclient.services", "hallclient.servers", "fastapi",
              "uvicorn"},
    "servers": {"PySide6", "hallclient.ui", "hallclient.devices"},
    "sync": {"PySide6", "hallclient.ui", "hallclient.servers"},
    "platform": {"PySide6", "sqlite3", "sqlite_utils", "hallclient.ui", "hallclient.store",
                 "hallclient.servers"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            # relative import inside the package: resolve against the file's layer
            layer = path.relative_to(PACKAGE).parts[0]
            names.add(f"hallclient.{layer}.{node.module or ''}".rstrip("."))
    return names


def violations(layer: str) -> list[str]:
    found = []
    for file in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imported_modules(file):
            for bad in FORBIDDEN[layer]:
                if name == bad or name.startswith(bad + "."):
                    found.append(f"{file.relative_to(PACKAGE)} imports {name}")
    return sorted(found)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_keeps_its_doors(layer: str) -> None:
    assert (PACKAGE / layer).is_dir()
    assert violations(layer) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "hallclient"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "bad.py").write_text("import sqlite3\nfrom PySide6 import QtCore\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert violations("core") == ["core/bad.py imports PySide6", "core/bad.py imports sqlite3"]
