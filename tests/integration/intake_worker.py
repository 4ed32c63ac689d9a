"""A clerk accepting cases as fast as possible; killed with SIGKILL by the durability test.

Prints each case number only after its commit returned, i.e. after it is durable.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from hallclient import resources
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database

# run as a script by the durability test: the shared recipes come from the checkout
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.recipes import COMPANY, PERSON, case_draft  # noqa: E402


def fake_scan(rng: random.Random, size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + rng.randbytes(size) + b"\xff\xd9"


def main(data_dir: str, seed: int) -> None:
    rng = random.Random(seed)
    root = Path(data_dir)
    db = open_database(root / DB_FILE, check=False)
    if catalog_repo.count(db.conn) == 0:
        catalog = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))
        with db.write() as conn:
            catalog_repo.import_items(conn, catalog["items"], catalog["version"])
    desk = CaseDesk(db, AttachmentStore(root / "attachments"), region="330109")
    items = [s.impl_code for s in catalog_repo.search(db.conn, "")]
    print("READY", flush=True)
    while True:
        item = catalog_repo.get(db.conn, rng.choice(items))
        assert item is not None
        draft = case_draft(desk, item, applicant=PERSON if item.applicant_kind == "person"
                           else COMPANY, scan=lambda _: fake_scan(rng, rng.randint(2_000, 60_000)))
        done = desk.commit(draft, 1, "chaos")
        print(done.case_no, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
