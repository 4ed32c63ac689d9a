"""Runs the outbox engine in a loop; the chaos test kills it with SIGKILL at random moments."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from hallclient.platform.client import PlatformClient
from hallclient.store import outbox_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database
from hallclient.sync.engine import Backoff, OutboxEngine


def main(data_dir: str, url: str, seed: int) -> None:
    root = Path(data_dir)
    db = open_database(root / DB_FILE, check=False, synchronous="NORMAL")
    client = PlatformClient(url, "W01", "pw", timeout=(2, 5))
    engine = OutboxEngine(db, AttachmentStore(root / "attachments"), client,
                          rng=random.Random(seed), backoff=Backoff(0.01, 0.05))
    print("READY", flush=True)
    while True:
        report = engine.run_once(limit=5)
        print(f"done={report.done} retried={report.retried} attention={report.attention}", flush=True)
        if outbox_repo.counts(db.conn).get("pending", 0) == 0:
            time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
