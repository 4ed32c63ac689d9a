"""Uploads from the running app, and the always-visible platform state."""

from __future__ import annotations

import socket

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from hallclient.app import main
from hallclient.secrets import write_secret
from hallclient.services.context import open_context

from ..recipes import accepted_case
from .conftest import sign_in


def commit_case(app) -> str:
    ctx = open_context(app.data_dir, app.config)
    try:
        return str(accepted_case(ctx.desk, clerk="demo").case_no)
    finally:
        ctx.close()


GREEN = "#1e8449"       # the status bar's colour for a real platform that answers


def test_demo_uploads_to_the_bundled_platform(qtbot):
    app = main(["--demo"])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.sync is not None and app.session.clerk is not None, timeout=10000)
        qtbot.waitUntil(lambda: app.sync.last_status["connection"] == "online", timeout=10000)
        case_no = commit_case(app)
        app.window.activateWindow()               # the demo's kiosk window opened last
        qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
        with qtbot.waitSignal(app.sync.status_changed, timeout=10000,
                              check_params_cb=lambda s: s["done"] == 1):
            qtbot.keyClick(app.window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
        # the demo's platform is the bundled simulator: named so, and not the green of a real one
        assert app.window.sync_label.text() == "演示平台：在线 · 待上传 0"
        assert GREEN not in app.window.sync_label.styleSheet()
        stats = requests.get(app.platform_sim.url + "/api/v1/admin/stats", timeout=5).json()
        assert stats["cases"] == 1
        sim_store = app.platform_sim.store()          # the simulator's own database
        try:
            assert sim_store.case_by_number(case_no)["case_no"] == case_no
        finally:
            sim_store.close()
        assert "secret" not in (app.data_dir / "config.ini").read_text(encoding="utf-8")
    finally:
        app.close()


def test_unreachable_platform_shows_offline_and_the_backlog(qtbot, start_app, tmp_path):
    (tmp_path / "data").mkdir()
    write_secret(tmp_path / "data", "pw")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                     # closed again: nothing listens there
    app = start_app(config={"platform.url": f"http://127.0.0.1:{port}",
                            "platform.device_id": "W01", "sync.interval_seconds": "0.2"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(__import__("json").loads(__import__("hallclient.resources", fromlist=["path"]).path(
        "demo", "catalog.json").read_text(encoding="utf-8")))
    ctx.close()
    sign_in(qtbot, app)
    commit_case(app)
    qtbot.waitUntil(lambda: app.sync.last_status["connection"] == "offline"
                    and app.sync.last_status["pending"] == 1, timeout=10000)
    qtbot.waitUntil(lambda: app.window.sync_label.text() == "平台：离线 · 待上传 1", timeout=5000)
    assert "连接平台失败" in app.window.sync_label.toolTip()


def test_an_unregistered_device_says_so_and_keeps_the_backlog(qtbot, start_app):
    app = start_app(config={"platform.url": "http://127.0.0.1:9", "platform.device_id": "W01",
                            "sync.interval_seconds": "0.2"})
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.sync is not None and app.sync.last_status["connection"] == "error",
                    timeout=10000)
    assert "admin set-device" in app.window.sync_label.toolTip()
    assert app.window.sync_label.text() == "平台：平台异常 · 待上传 0"


def test_without_a_platform_the_counter_says_not_configured(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.window.sync_label.text() == "平台：未配置 · 待上传 0", timeout=5000)
    assert GREEN not in app.window.sync_label.styleSheet()     # nothing to be glad about


def test_a_real_platform_online_is_green(qtbot, start_app):
    app = start_app()
    app.window.show_sync_status({"connection": "online", "pending": 0, "attention": 0})
    assert app.window.sync_label.text() == "平台：在线 · 待上传 0"
    assert GREEN in app.window.sync_label.styleSheet()


def test_training_mode_has_its_own_data_platform_and_banner(qtbot, tmp_path):
    app = main(["--data-dir", str(tmp_path), "--training"])
    try:
        qtbot.addWidget(app.window)
        assert app.data_dir == (tmp_path / "training").resolve()
        assert app.window.training_banner.text().startswith("培训模式")
        assert app.window.windowTitle().startswith("【培训】")
        qtbot.waitUntil(lambda: app.session.clerk is not None, timeout=10000)
        qtbot.waitUntil(lambda: app.sync is not None and app.sync.last_status["connection"] == "online",
                        timeout=10000)
        assert app.platform_sim is not None and app.platform_sim.url.startswith("http://127.0.0.1")
        # the simulator is 培训平台, never the green 平台：在线 of a real platform
        qtbot.waitUntil(lambda: app.window.sync_label.text().startswith("培训平台：在线"))
        assert GREEN not in app.window.sync_label.styleSheet()
    finally:
        app.close()
    assert not (tmp_path / "hallclient.sqlite3").exists()       # the real data was never touched


def test_network_return_syncs_at_once(qtbot, start_app):
    from PySide6.QtNetwork import QNetworkInformation

    app = start_app()
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: app.sync is not None)
    calls = []
    app.sync.sync_now = lambda: calls.append("now")
    app.shell.on_reachability(QNetworkInformation.Reachability.Disconnected)
    app.shell.on_reachability(QNetworkInformation.Reachability.Online)
    assert calls == ["now"]


def test_a_bad_catalog_from_the_platform_is_said_and_the_items_stay(qtbot, start_app, tmp_path,
                                                                     sim, demo_catalog):
    from hallclient.store import catalog_repo

    (tmp_path / "data").mkdir()
    write_secret(tmp_path / "data", "pw")
    requests.put(sim.url + "/api/v1/admin/catalog", json={"items": "x"},
                 timeout=5).raise_for_status()
    app = start_app(config={"platform.url": sim.url, "platform.device_id": "W01",
                            "sync.interval_seconds": "0.2"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(demo_catalog)
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: "事项目录" in app.window.sync_label.toolTip(), timeout=10000)
    assert app.window.sync_label.toolTip() == (
        "平台发来的事项目录无法使用：共 1 处问题：「items」应是事项的列表。整份未采用，请联系省平台更正")
    requests.put(sim.url + "/api/v1/admin/catalog", json={"version": "2099-01-01", "items": []},
                 timeout=5).raise_for_status()
    qtbot.waitUntil(lambda: "暂不采用" in app.window.sync_label.toolTip(), timeout=10000)
    assert "--accept-catalog" in app.window.sync_label.toolTip()
    try:
        assert catalog_repo.count(ctx.db.conn) == 33              # intake still has its items
    finally:
        ctx.close()
