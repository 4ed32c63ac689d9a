"""Chaos: N cases with attachments, >= 30 % injected faults, the uploader SIGKILLed at random
moments. At the end the platform holds exactly N cases, every blob matches its sha256, no
duplicates, none lost, and every local outbox row is done.

The suite kills 6 times; HALLCLIENT_SYNC_KILLS=25 HALLCLIENT_SYNC_CASES=40 for the long run.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from hallclient.platform.client import PlatformClient
from hallclient.servers.platform_sim import RunningServer, create_app
from hallclient.store import outbox_repo
from hallclient.store.db import open_database
from hallclient.sync.engine import Backoff, OutboxEngine

from ..recipes import accepted_case
from .test_platform_sim import API, faults

KILLS = int(os.environ.get("HALLCLIENT_SYNC_KILLS", "6"))
CASES = int(os.environ.get("HALLCLIENT_SYNC_CASES", "12"))
WORKER = Path(__file__).with_name("sync_worker.py")


def test_uploads_survive_faults_and_kills(tmp_path, db, desk):
    sim = RunningServer(create_app(tmp_path / "platform"))
    try:
        requests.post(sim.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                      timeout=5).raise_for_status()
        committed = [accepted_case(desk, seed=seed) for seed in range(CASES)]
        faults(sim, error_rate=0.15, retry_after_rate=0.05, retry_after_seconds=0,
               reset_rate=0.1, truncate_rate=0.05, seed=11)      # 35 % of requests fail
        data_dir = Path(db.path).parent
        rng = random.Random(2026)
        for k in range(KILLS):
            proc = subprocess.Popen([sys.executable, str(WORKER), str(data_dir), sim.url, str(k)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
            time.sleep(rng.uniform(0.05, 0.5))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        # the line comes back: drain what is left, in this process
        faults(sim)
        client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
        engine = OutboxEngine(open_database(Path(db.path)), desk.attachments, client,
                              backoff=Backoff(0.01, 0.05))
        with engine.db.write() as conn:
            for row in outbox_repo.all_rows(conn):
                if row["state"] == "pending":
                    outbox_repo.retry_now(conn, row["id"])
        for _ in range(50):
            if engine.run_once().touched == 0 and not outbox_repo.counts(engine.db.conn).get("pending"):
                break
        assert outbox_repo.counts(engine.db.conn) == {"done": CASES}     # every case 已上传
        stats = requests.get(sim.url + API + "/admin/stats", timeout=5).json()
        assert stats["cases"] == CASES                                    # no duplicate, none lost
        platform = sim.sim.store
        numbers = [r[0] for r in platform.all("SELECT case_no FROM cases")]
        assert sorted(numbers) == sorted(c.case_no for c in committed)
        for (sha,) in platform.all("SELECT sha256 FROM blobs"):
            blob = (platform.blob_dir / sha).read_bytes()
            assert hashlib.sha256(blob).hexdigest() == sha
        client.close()
        engine.db.close()
    finally:
        sim.stop()
