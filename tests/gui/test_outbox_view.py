"""需处理: the platform refuses a field; the clerk sees why, corrects it and resends."""

from __future__ import annotations

import json

import requests
from PySide6.QtCore import Qt

from hallclient import resources
from hallclient.secrets import write_secret
from hallclient.services.context import open_context

from .conftest import sign_in
from .test_sync_status import commit_case

API = "/api/v1"


def test_fix_and_resend_a_refused_case(qtbot, start_app, sim, tmp_path, qtmodeltester):
    requests.put(sim.url + API + "/admin/faults",
                 json={"reject_fields": {"mobile": "手机号码与实名信息不符"}}, timeout=5)
    (tmp_path / "data").mkdir()
    write_secret(tmp_path / "data", "pw")                 # admin set-device, done beforehand
    app = start_app(config={"platform.url": sim.url, "platform.device_id": "W01",
                            "sync.interval_seconds": "0.3"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8")))
    ctx.close()
    sign_in(qtbot, app)
    case_no = commit_case(app)
    qtbot.waitUntil(lambda: app.sync is not None and app.sync.last_status["attention"] == 1,
                    timeout=10000)
    qtbot.waitUntil(lambda: "需处理 1" in app.window.sync_label.text())

    view = app.shell.open_outbox()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert view.model.index(0, 3).data() == "需处理"
    view.resize(1300, 500)                                   # the 办件编号 whole, the reason the rest
    qtbot.waitUntil(lambda: view.table.columnWidth(1)
                    >= view.table.fontMetrics().horizontalAdvance(case_no))
    qtmodeltester.check(view.model)
    view.model.set_in_flight(view.model.row(0)["id"])         # 上传中, while the tester watches
    assert view.model.index(0, 3).data() == "上传中"
    view.model.set_in_flight(None)
    view._select(view.model.index(0, 0))
    assert "手机号码与实名信息不符" in view.reason.text()
    assert view.resend_button.isEnabled()

    requests.put(sim.url + API + "/admin/faults", json={}, timeout=5)   # the rule is met now
    view.mobile_edit.setText("139 0000 1111")
    with qtbot.waitSignal(view.service.resend_queued):
        qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.sync.last_status["attention"] == 0
                    and app.sync.last_status["pending"] == 0, timeout=10000)
    stored = sim.sim.store.one("SELECT version, body FROM cases WHERE case_no = ?", (case_no,))
    assert stored[0] == 2 and json.loads(stored[1])["mobile"] == "139 0000 1111"
    states = sorted(r[0] for r in app.reader.rows("SELECT state FROM outbox"))
    assert states == ["done", "superseded"]
    assert "case_amended" in app.reader.actions()


def test_wrong_corrections_are_refused_locally(qtbot, start_app, sim, tmp_path):
    requests.put(sim.url + API + "/admin/faults", json={"reject_fields": {"mobile": "x"}}, timeout=5)
    (tmp_path / "data").mkdir()
    write_secret(tmp_path / "data", "pw")
    app = start_app(config={"platform.url": sim.url, "platform.device_id": "W01"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8")))
    ctx.close()
    sign_in(qtbot, app)
    commit_case(app)
    app.sync.sync_now()
    qtbot.waitUntil(lambda: app.sync is not None and app.sync.last_status["attention"] == 1,
                    timeout=10000)
    view = app.shell.open_outbox()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    view._select(view.model.index(0, 0))
    view.mobile_edit.setText("12345")
    with qtbot.waitSignal(view.service.action_failed) as failed:
        qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
    assert "手机号码" in failed.args[0] and view.message.text() == failed.args[0]


def test_the_row_in_flight_reads_uploading(qtbot):
    from hallclient.ui.outbox_view import OutboxModel

    model = OutboxModel()
    row = {"id": 7, "kind": "case_upsert", "version": 1, "state": "pending", "attempts": 0,
           "next_try_at": None, "last_error": None, "case_no": "N1", "applicant_name": "王𠮷"}
    model.set_rows([row])
    assert model.index(0, 3).data() == "待上传"
    with qtbot.waitSignal(model.dataChanged):
        model.set_in_flight(7)
    assert model.index(0, 3).data() == "上传中"
    model.set_in_flight(None)
    assert model.index(0, 3).data() == "待上传"


def test_the_engine_announces_the_row_in_flight(tmp_path):
    from hallclient.sync.engine import OutboxEngine

    seen = []

    class Client:
        def put_evaluation(self, uid, body):
            seen.append(("sent", uid))

    from hallclient.core.evaluation import Level
    from hallclient.queue.local import LocalQueue
    from hallclient.services.context import DbContext
    from hallclient.services.evaluation_service import save_evaluation
    from hallclient.store.attachments import AttachmentStore
    from hallclient.store.db import open_database

    db = open_database(tmp_path / "c.sqlite3")
    ctx = DbContext(db=db, queue=LocalQueue(db), clock=__import__("hallclient.core.clock",
                         fromlist=["local_now"]).local_now)
    save_evaluation(ctx, level=Level.SATISFIED, reasons=[], text="", case_no="", ticket="A1",
                    window=1, clerk="li", rectify_days=5)
    engine = OutboxEngine(db, AttachmentStore(tmp_path / "a"), Client(),
                          on_sending=lambda row_id: seen.append(("flight", row_id)))
    assert engine.run_once().done == 1
    assert [s[0] for s in seen] == ["flight", "sent", "flight"] and seen[-1] == ("flight", None)
    db.close()
