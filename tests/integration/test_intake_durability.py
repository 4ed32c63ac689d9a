"""Kill -9 during intake: afterwards every case is complete or absent, never half there.

The suite runs a few kills; set HALLCLIENT_KILLS=50 for the long run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from hallclient.store import log_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database

KILLS = int(os.environ.get("HALLCLIENT_KILLS", "6"))
ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(data_dir: Path, seed: int, rng: random.Random) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "integration" / "intake_worker.py"), str(data_dir), str(seed)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
    time.sleep(rng.uniform(0.05, 0.6))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return [line for line in out.splitlines() if line]


def test_killed_intake_leaves_whole_cases_or_none(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    acknowledged: list[str] = []
    for k in range(KILLS):
        acknowledged += run_and_kill(tmp_path, k, rng)

    conn = sqlite3.connect(tmp_path / DB_FILE)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    cases = {row[0]: row[1] for row in conn.execute("SELECT case_no, id FROM cases")}
    assert set(acknowledged) <= set(cases)           # every acknowledged commit survived
    assert len(cases) >= KILLS                        # and the test really committed cases

    store = AttachmentStore(tmp_path / "attachments")
    logged = {e["detail"] for e in log_repo.entries(conn) if e["action"] == "intake_accept"}
    for case_no, case_id in cases.items():
        impl = conn.execute("SELECT impl_code FROM cases WHERE id = ?", (case_id,)).fetchone()[0]
        expected = conn.execute(
            "SELECT json_array_length(body, '$.materials') FROM catalog_items WHERE impl_code = ?",
            (impl,)).fetchone()[0]
        materials = conn.execute(
            "SELECT status FROM case_materials WHERE case_id = ?", (case_id,)).fetchall()
        assert len(materials) == expected, case_no
        kept = sum(1 for (s,) in materials if s == "kept")
        files = conn.execute(
            "SELECT sha256 FROM case_attachments WHERE case_id = ?", (case_id,)).fetchall()
        assert len(files) == kept and all(store.verify(sha) for (sha,) in files), case_no
        assert conn.execute("SELECT count(*) FROM outbox WHERE case_id = ?",
                            (case_id,)).fetchone()[0] == 1, case_no
        assert any(f'"case_no":"{case_no}"' in d for d in logged), case_no
    assert log_repo.verify(conn).intact
    conn.close()
    # the database still opens and takes new cases after all that
    open_database(tmp_path / DB_FILE).close()
