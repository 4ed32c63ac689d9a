"""Accept one case at a counter, as the installed program's own case desk does: a person
applicant (王𠮷, a name beyond the BMP), every required material kept with a scanned JPEG, so
the resumable attachment upload runs too. For the installer checks (check-wheel.sh and the
Windows wine check), run by the installed Python from outside the checkout:

    python accept_case.py DATA_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hallclient import resources
from hallclient.core.cases import Applicant, CaseDraft, Decision, MaterialStatus
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database


def main(root: Path) -> str:
    db = open_database(root / DB_FILE)
    catalog = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))
    with db.write() as conn:
        catalog_repo.import_items(conn, catalog["items"], catalog["version"])
    desk = CaseDesk(db, AttachmentStore(root / "attachments"), region="330109")
    item = next(i for i in (catalog_repo.get(db.conn, s.impl_code)
                            for s in catalog_repo.search(db.conn, ""))
                if i.applicant_kind == "person")
    draft = CaseDraft.for_item(item)
    draft.applicant = Applicant("person", "王𠮷", "11010519491231002X", mobile="13800138000")
    scan = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400 + b"\xff\xd9"
    for m in draft.materials:
        if m.required:
            m.files.append(desk.stage_bytes(scan, m.name))
            m.status = MaterialStatus.KEPT
        else:
            m.status = MaterialStatus.NOT_APPLICABLE
    draft.decision = Decision.ACCEPT
    case_no = desk.commit(draft, 1, "check").case_no
    db.close()
    return case_no


if __name__ == "__main__":
    print("accepted", main(Path(sys.argv[1])))
