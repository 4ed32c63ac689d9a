from __future__ import annotations

import pytest

from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore


@pytest.fixture
def desk(db, demo_catalog, clock, tmp_path):
    """Intake on a real database file, its attachments beside it (as in a data dir)."""
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return CaseDesk(db, AttachmentStore(tmp_path / "attachments"), region="330109", clock=clock)
