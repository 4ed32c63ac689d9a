"""Start the real app on a real data directory and drive it like a clerk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.accounts import Role
from hallclient.core.tickets import PriorityClass
from hallclient.services.context import open_context
from hallclient.store.db import DB_FILE

PASSWORD = "pw-1234"


def seed(data_dir: Path, demo_hall: dict, tickets: list[str], config: dict | None = None) -> None:
    cfg = Config(data_dir / CONFIG_FILE, config or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    cfg.save()
    ctx = open_context(data_dir, cfg)
    ctx.import_hall(demo_hall)
    ctx.add_clerk("li", "李𠮷", Role.CLERK, PASSWORD)
    for code in tickets:
        ctx.queue.issue(code, PriorityClass.NORMAL, "test")
    ctx.close()


class Reader:
    """Looks at the database the way an auditor would: a separate connection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, params=()) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def state(self, number: str) -> str:
        return self.rows("SELECT state FROM tickets WHERE number = ?", (number,))[0][0]

    def actions(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT action FROM event_log ORDER BY seq")]


@pytest.fixture
def start_app(qtbot, tmp_path, demo_hall):
    apps = []

    def start(tickets=("ZH", "ZH", "ZH", "SC"), config=None, argv=()):
        data_dir = tmp_path / "data"
        seed(data_dir, demo_hall, list(tickets), config)
        app = main(["--data-dir", str(data_dir), *argv])
        apps.append(app)
        app.reader = Reader(data_dir / DB_FILE)
        if app.window is not None:
            qtbot.addWidget(app.window)
            qtbot.waitUntil(lambda: app.window.sign_in_page.window_box.count() > 0)
        return app

    yield start
    for app in apps:
        app.close()


def sign_in(qtbot, app, username="li", password=PASSWORD, window=1):
    page = app.window.sign_in_page
    page.username.clear()
    qtbot.keyClicks(page.username, username)
    page.password.clear()
    qtbot.keyClicks(page.password, password)
    page.window_box.setCurrentIndex(page.window_box.findData(window))
    with qtbot.waitSignal(app.session.signed_in):
        qtbot.mouseClick(page.button, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.queue.snapshot is not None and bool(app.queue.services))


def supervisor_board(qtbot, app):
    """A supervisor (zhang) signed in at the counter, and the daily report opened for them."""
    ctx = open_context(app.data_dir, app.config)
    ctx.add_clerk("zhang", "张值班", Role.SUPERVISOR, "sup-5678")
    ctx.close()
    sign_in(qtbot, app, username="zhang", password="sup-5678")
    return app.shell.open_dashboard()
