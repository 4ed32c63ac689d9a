"""Records every path a Python process writes, when HALLCLIENT_TEST_WRITES names a file:
one absolute path a line, appended. A test puts this folder first on PYTHONPATH, so the
program it runs — and every Python process that program starts, such as the training
mode's platform simulator — records alike.

Recorded: files opened for writing (``open``, ``os.open``, temporary files), folders made,
the targets of renames and copies, and each SQLite database with its longest sidecar
(``-journal``). Python's audit events see them all; what Qt writes goes to paths the
program made first (a PDF's temporary file)."""

from __future__ import annotations

import os
import sys
from typing import Any

_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT


def _written(event: str, args: tuple[Any, ...]) -> list[Any]:
    if event == "open":
        path, mode, flags = args
        if isinstance(mode, str):
            return [path] if any(c in mode for c in "wax+") else []
        return [path] if isinstance(flags, int) and flags & _WRITING else []
    if event in ("os.mkdir", "tempfile.mkstemp", "tempfile.mkdtemp"):
        return [args[0]]
    if event in ("os.rename", "os.replace", "shutil.copyfile", "os.link", "os.symlink"):
        return [args[1]]
    if event == "sqlite3.connect":
        return [f"{os.fsdecode(args[0])}-journal"]
    return []


def _start(log: str) -> None:
    out = open(log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115  # open to the end

    def record(event: str, args: tuple[Any, ...]) -> None:
        for path in _written(event, args):
            if isinstance(path, (str, bytes, os.PathLike)):
                text = os.fsdecode(path)
                if not text.startswith("file:") and text != ":memory:-journal":
                    out.write(os.path.abspath(text) + "\n")

    sys.addaudithook(record)


if os.environ.get("HALLCLIENT_TEST_WRITES"):
    _start(os.environ["HALLCLIENT_TEST_WRITES"])
