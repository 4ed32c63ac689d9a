"""Uploading in the background (后台上传): the outbox engine on its own thread.

The engine has its own database connection and its own requests.Session, so the GUI and
the lanes never wait on the platform. Runs at start, every ``interval`` seconds, and
at once on 立即同步 (``sync_now``). Results come back as signals on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

SECRET_FILE = "device.secret"


KEYRING_SERVICE = "hallclient"


def _keyring() -> Any:
    """The OS keyring when this PC has a usable one, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        return None
    return keyring


_SYSTEM = object()


class KeyringUnavailableError(Exception):
    """This PC has a keyring, but it failed (locked, its service not answering): not the
    same as "no keyring". A secret that may be in it must not be guessed at, replaced or
    written beside it. The message says in Chinese what to do."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = type(cause).__name__
        super().__init__(
            f"系统密钥环打不开（{self.cause}：可能已锁定，或密钥环服务没有运行）。"
            "请先解锁系统密钥环（在桌面上登录本机账户，按提示输入密钥环密码），再重试")


def _secret_place(data_dir: Path, kind: str) -> tuple[str, Path]:
    """Keyring account and fallback file of a secret: "platform" (the provincial platform's
    device secret), "hall" (the hall server's device token) or "signing" (the log-bundle
    signing key)."""
    if kind == "platform":
        return str(data_dir), data_dir / SECRET_FILE
    return f"{data_dir}#{kind}", data_dir / f"{kind}-device.secret"


def secret_file(data_dir: Path, kind: str = "platform") -> Path:
    """The owner-only file a secret lives in when there is no keyring (a backup carries the
    signing key in a file of the same name, so a restored data dir finds it there)."""
    return _secret_place(data_dir, kind)[1]


def stored_secret(data_dir: Path, ring: Any = _SYSTEM,
                  kind: str = "platform") -> tuple[str | None, str]:
    """Both places a secret may be: (the keyring's value — None when this PC has no usable
    keyring, "" when it holds none for this data dir —, the file's value or "").
    KeyringUnavailableError when the keyring exists but fails."""
    account, path = _secret_place(data_dir, kind)
    ring = _keyring() if ring is _SYSTEM else ring
    in_ring: str | None = None
    if ring is not None:
        try:
            in_ring = str(ring.get_password(KEYRING_SERVICE, account) or "")
        except Exception as exc:         # the caller says so, in Chinese
            raise KeyringUnavailableError(exc) from exc
    return in_ring, _file_secret(path)


def _file_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def read_secret(data_dir: Path, ring: Any = _SYSTEM, kind: str = "platform") -> str:
    """A device secret: from the OS keyring where one exists, else from an owner-only
    file in the data directory — never from config.ini. A failing keyring falls back to the
    file, except for the signing key (KeyringUnavailableError)."""
    try:
        in_ring, in_file = stored_secret(data_dir, ring, kind)
    except KeyringUnavailableError as exc:
        if kind == "signing":     # never another signing key than the county's
            raise
        log.warning("keyring unavailable: %s", exc.cause)
        return _file_secret(secret_file(data_dir, kind))
    return in_ring or in_file


def write_secret(data_dir: Path, secret: str, ring: Any = _SYSTEM, kind: str = "platform") -> str:
    """Store the secret; returns where ("keyring" or the file path). The signing key is
    never written beside a keyring that failed (KeyringUnavailableError): the keyring may
    still hold the key the county registered, and two keys would then compete."""
    account, path = _secret_place(data_dir, kind)
    ring = _keyring() if ring is _SYSTEM else ring
    if ring is not None:
        try:
            ring.set_password(KEYRING_SERVICE, account, secret)
        except Exception as exc:
            if kind == "signing":
                raise KeyringUnavailableError(exc) from exc
            log.warning("keyring unavailable: %s", type(exc).__name__)
        else:
            path.unlink(missing_ok=True)
            return "keyring"
    _write_owner_only(path, secret)
    return str(path)


def _write_owner_only(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in a file only its owner can read from the first byte,
    whole or not at all: a crash while a new signing key is written must not leave half a
    key where the old one was."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):       # the rename itself on disk, not in the page cache
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


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
                        AttachmentStore(data_dir / "attachments"), client)


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
                               "message": f"上传出错：{type(exc).__name__}"})
            self._wake.wait(self.interval_s)
            self._wake.clear()
        if engine is not None:
            engine.client.close()
            engine.db.close()

    def _cycle(self, engine: Any) -> dict[str, Any]:
        from hallclient.platform.client import PlatformError

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
            except ValueError as exc:          # a catalog the platform sent that we cannot use
                messages.append(f"事项目录更新失败：{exc}")
        connection = "offline" if offline else ("error" if auth or messages else "online")
        return {**engine.status(), "connection": connection,
                "message": messages[-1] if messages else ""}

    def _publish(self, status: dict[str, Any]) -> None:
        self.last_status = status
        self.status_changed.emit(status)
