"""A clerk accepting one case from a script (as installer/check-wheel.sh does): every
required material kept from a scan, the case committed, and its 受理通知书 written as a PDF
into the data dir's notices/ (a training one as 培训-…, when ``--training`` is given).

    python accept_case.py DATA_DIR [--training]

Prints {"case_no", "notice", "attachments": [paths]} as JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from hallclient import resources  # noqa: E402
from hallclient.documents.notices import NoticeContext, notice_path, visit_of, write_pdf  # noqa: E402
from hallclient.services.case_desk import CaseDesk  # noqa: E402
from hallclient.store import catalog_repo  # noqa: E402
from hallclient.store.attachments import AttachmentStore  # noqa: E402
from hallclient.store.db import DB_FILE, open_database  # noqa: E402

# run as a script: the shared recipes come from the checkout
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.recipes import case_draft  # noqa: E402


def main(root: Path, training: bool) -> None:
    _app = QApplication.instance() or QApplication(sys.argv[:1])     # the notice's fonts
    db = open_database(root / DB_FILE)
    catalog = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))
    with db.write() as conn:
        catalog_repo.import_items(conn, catalog["items"], catalog["version"])
    store = AttachmentStore(root / "attachments")
    desk = CaseDesk(db, store, region="330109")
    draft = case_draft(desk)
    case_no = desk.commit(draft, 1, "zhang").case_no
    case = desk.load(case_no)
    pdf = write_pdf("accept", NoticeContext("示范县政务服务中心", case, draft.item),
                    notice_path(root / "notices", case_no, "accept", visit=visit_of(case)), training)
    files = [str(store.path(a["sha256"])) for a in case["attachments"]]
    db.close()
    print(json.dumps({"case_no": case_no, "notice": str(pdf), "attachments": files},
                     ensure_ascii=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--training" in sys.argv[2:])
