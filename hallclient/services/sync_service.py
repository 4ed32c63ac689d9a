"""Uploading in the background (后台上传): the outbox engine on its own thread.

The engine has its own database connection and its own requests.Session, so the GUI and
the lanes never wait on the platform. Runs at start, every ``interval`` seconds, and
at once on 立即同步 (``sync_now``). Results come back as signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from hallclient.secrets import read_secret

log = logging.getLogger(__name__)


def make_engine(data_dir: Path, config: Any) -> Any:
    """The outbox engine for a counter's data dir: its own database connection (outcome
    marks need no fsync: a lost one only means an idempotent resend) and platform client."""
    from hallclient.platform.client import PlatformClient
    from hallclient.store.attachments import AttachmentStore
    from hallclient.store.db import DB_FILE, open_database
    from hallclient.sync.engine import OutboxEngine

    client = PlatformClient(config["platform.url"], config["platform.device_id"],
                            read_secret(data_dir), ca_bundle=config["platform.ca_bundle"] or None)
    return OutboxEngine(open_database(data_dir / DB_FILE, check=False, synchronous="NORMAL"),
                        AttachmentStore(data_dir / "attachments"), client,
                        appointments=config["queue.source"] == "local")


class SyncService(QObject):
    """Signals: status_changed(dict) — keys: connection ("online" / "offline" / "error" /
    "not_configured"), pending, attention, done, oldest_pending_s, message;
    sending(object) — the outbox row id in flight (上传中), or None"""

    status_changed = Signal(object)
    sending = Signal(object)

    def __init__(self, make_engine: Callable[[], Any] | None, interval_s: float = 30.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.make_engine = make_engine
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_status: dict[str, Any] = {"connection": "not_configured", "pending": 0,
                                            "attention": 0, "done": 0, "oldest_pending_s": None,
                                            "message": ""}

    def start(self) -> None:
        if self.make_engine is None:
            self.status_changed.emit(self.last_status)
            return
        self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
        self._thread.start()

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        engine = None
        while not self._stop.is_set():
            try:
                if engine is None:
                    assert self.make_engine is not None
                    engine = self.make_engine()
                    engine.on_sending = self.sending.emit
                self._publish(self._cycle(engine))
            except ImportError as exc:  # a broken installation: say so, not a class name
                log.error("sync cannot start", exc_info=exc)
                self._publish({**self.last_status, "connection": "error",
                               "message": f"上传出错：程序安装不完整（缺少 {exc.name or '模块'}），"
                                          "请联系信息管理员重新安装"})
            except Exception as exc:   # keep the thread alive: report and try again later
                log.error("sync cycle failed", exc_info=exc)
                self._publish({**self.last_status, "connection": "error",
                               "message": "上传出错：程序内部错误，已记录到日志；"
                                          "稍后自动重试，一直出现请联系信息管理员"})
            self._wake.wait(self.interval_s)
            self._wake.clear()
        if engine is not None:
            engine.client.close()
            engine.db.close()

    def _cycle(self, engine: Any) -> dict[str, Any]:
        from hallclient.core.catalog import CatalogRefusedError
        from hallclient.platform.client import PlatformError
        from hallclient.sync.engine import catalog_refusal_text

        offline = auth = False
        messages: list[str] = []
        for _ in range(20):                       # until nothing is due (bounded per cycle)
            report = engine.run_once()
            offline |= report.offline
            auth |= report.auth_failed
            messages += report.errors
            if report.touched == 0 or report.offline or report.auth_failed:
                break
        if not offline and not auth:
            try:
                engine.pull_changes()
                engine.refresh_catalog()
            except PlatformError as exc:
                messages.append(exc.message)
            except CatalogRefusedError as exc:   # the local catalog is kept, intake goes on
                messages.append(catalog_refusal_text(exc.reason, exc.held))
            try:
                engine.pull_appointments()       # the day's 预约 (a PC with its own queue)
            except PlatformError as exc:
                messages.append(exc.message)
        connection = "offline" if offline else ("error" if auth or messages else "online")
        return {**engine.status(), "connection": connection,
                "message": messages[-1] if messages else ""}

    def _publish(self, status: dict[str, Any]) -> None:
        self.last_status = status
        self.status_changed.emit(status)
