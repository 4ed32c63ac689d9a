"""Every SQL statement lives in store/ (the servers keep theirs in servers/*_store.py):
nothing else writes SQL text or calls ``execute``."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "hallclient"

SQL_START = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT"
                       r"|ROLLBACK|WITH)\s")
EXECUTE = {"execute", "executemany", "executescript"}

# Files whose SQL is being moved into stores as part of the same redesign; each entry goes
# once its file is clean (the last test below fails for an entry whose file has no SQL left).
NOT_YET_MOVED: set[str] = set()


def is_store(relative: Path) -> bool:
    return relative.parts[0] == "store" or (
        relative.parts[0] == "servers" and relative.name.endswith("_store.py"))


def sql_in(path: Path) -> list[str]:
    """Where ``path`` writes SQL: "line: what" for each string and execute call."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
        if text is not None and SQL_START.match(text):
            found.append(f"{node.lineno}: {text.strip().splitlines()[0][:60]}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in EXECUTE):
            found.append(f"{node.lineno}: .{node.func.attr}(")
    return sorted(set(found), key=lambda line: int(line.split(":")[0]))


def outside_stores() -> dict[str, list[str]]:
    result = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        relative = file.relative_to(PACKAGE)
        if not is_store(relative) and (found := sql_in(file)):
            result[relative.as_posix()] = found
    return result


def test_no_sql_outside_the_stores() -> None:
    stray = {name: lines for name, lines in outside_stores().items() if name not in NOT_YET_MOVED}
    assert stray == {}, "SQL belongs in store/ (or servers/*_store.py): " + repr(stray)


def test_the_scan_finds_sql_strings_and_execute_calls(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "hallclient"
    for folder in ("store", "services", "servers"):
        (fake / folder).mkdir(parents=True)
    (fake / "store" / "repo.py").write_text('def f(c):\n    return c.execute("SELECT 1")\n')
    (fake / "servers" / "sim_store.py").write_text('Q = "DELETE FROM blobs"\n')
    (fake / "services" / "bad.py").write_text(
        'def f(db, t):\n'
        '    rows = db.query(f"SELECT * FROM {t}")\n'
        '    db.conn.executescript(script)\n'
        '    return "UPDATE cases SET x = 1" + " WHERE uid = ?"\n')
    (fake / "services" / "fine.py").write_text('TEXT = "Select the window first"\nUPDATED = "UPDATED"\n')
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert outside_stores() == {"services/bad.py": [
        "2: SELECT * FROM", "3: .executescript(", "4: UPDATE cases SET x = 1"]}


def test_each_file_still_waiting_has_sql_left() -> None:
    """An entry whose file is clean is taken off the list, so the list stays exact."""
    left = outside_stores()
    assert sorted(name for name in NOT_YET_MOVED if name not in left) == []
