"""No full ID number, phone number or name in the program log (STYLE rule 7)."""

from __future__ import annotations

import json
import logging

import requests
from PySide6.QtCore import Qt

from hallclient import resources
from hallclient.secrets import write_secret
from hallclient.servers.platform_sim import RunningServer, create_app
from hallclient.services.context import open_context

from .conftest import sign_in
from .test_sync_status import commit_case

API = "/api/v1"


def test_the_log_never_holds_personal_data(qtbot, start_app, tmp_path):
    sim = RunningServer(create_app(tmp_path / "platform"))
    try:
        requests.post(sim.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                      timeout=5).raise_for_status()
        requests.put(sim.url + API + "/admin/faults",
                     json={"reject_fields": {"mobile": "手机号码 13800138000 与实名不符"}}, timeout=5)
        (tmp_path / "data").mkdir()
        write_secret(tmp_path / "data", "pw")
        app = start_app(config={"platform.url": sim.url, "platform.device_id": "W01",
                                "sync.interval_seconds": "0.2"})
        ctx = open_context(app.data_dir, app.config)
        ctx.import_catalog(json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8")))
        ctx.close()
        sign_in(qtbot, app)
        with qtbot.waitSignal(app.queue.ticket_called):
            qtbot.keyClick(app.window, Qt.Key.Key_F1)
        commit_case(app)
        qtbot.waitUntil(lambda: app.sync is not None and app.sync.last_status["attention"] == 1,
                        timeout=10000)
        logging.getLogger("hallclient.test").error("an unexpected error", exc_info=ValueError("boom"))
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = (app.data_dir / "logs" / "hallclient.log").read_text(encoding="utf-8")
        assert "boom" in text                                    # the log is really written
        for personal in ("11010519491231002X", "13800138000", "王𠮷"):
            assert personal not in text, personal
    finally:
        sim.stop()
