"""Sign-in, sign-out and the lock screen (签到 / 签退 / 锁屏)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from hallclient.core.tickets import QueueError

from .lanes import DB

if TYPE_CHECKING:
    from hallclient.core.accounts import Clerk
    from hallclient.core.hall import WindowSnapshot

    from .tasks import Runner

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> str:
    """A sentence for the clerk; unexpected errors go to the log with their traceback."""
    from hallclient.store.db import StoreError  # loaded by then: the db lane opened it

    if isinstance(exc, StoreError):
        log.warning("store: %s", exc.message)       # locked, full, corrupt: worth a line
        return exc.message
    if isinstance(exc, QueueError):
        return exc.message
    from hallclient.devices import DeviceError

    if isinstance(exc, DeviceError):             # a reader, scanner or printer said why
        log.info("device: %s", exc.message)
        return exc.message
    log.error("unexpected error", exc_info=exc)
    return f"程序内部错误（{type(exc).__name__}），已记录到日志，请联系信息管理员。"


class SessionService(QObject):
    """Signals:
    signed_in(Clerk, int window, object snapshot)
    sign_in_failed(str message)
    signed_out()
    locked(str reason)       — reason: "manual" or "idle"
    unlocked()
    unlock_failed(str message)
    """

    signed_in = Signal(object, int, object)
    sign_in_failed = Signal(str)
    signed_out = Signal()
    locked = Signal(str)
    unlocked = Signal()
    unlock_failed = Signal(str)

    def __init__(self, runner: Runner, idle_lock_minutes: float = 10.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.clerk: Clerk | None = None
        self.window: int | None = None
        self.is_locked = False
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(lambda: self.lock("idle"))
        self.set_idle_minutes(idle_lock_minutes)

    def set_idle_minutes(self, minutes: float) -> None:
        self._idle.setInterval(int(minutes * 60_000))
        self._idle_enabled = minutes > 0

    def sign_in(self, username: str, password: str, window: int) -> None:
        if not username.strip() or not password:
            self.sign_in_failed.emit(self.tr("请输入用户名和密码"))
            return

        def failed(exc: BaseException) -> None:
            self.sign_in_failed.emit(user_message(exc))

        def checked(clerk: Clerk | None) -> None:
            if clerk is None:
                self.runner.run_queue(
                    lambda q: q.record("sign_in_failed", window, None, {"username": username}),
                    lambda _: answered(None), failed)
            else:
                self.runner.run_queue(lambda q: q.sign_in(window, clerk.username),
                                      lambda snapshot: answered((clerk, snapshot)), failed)

        def answered(result: tuple[Clerk, WindowSnapshot] | None) -> None:
            log.info("sign-in answered at window %s", window)
            if result is None:
                self.sign_in_failed.emit(self.tr("用户名或密码错误"))
                return
            self.clerk, snapshot = result[0], result[1]
            self.window = window
            self.is_locked = False
            self._restart_idle()
            self.signed_in.emit(self.clerk, window, snapshot)

        # the password on the db lane, then the queue (the hall server's, maybe) on its own
        self.runner.run(DB, lambda ctx: ctx.authenticate(username, password), checked, failed)

    def sign_out(self) -> None:
        if self.clerk is None or self.window is None:
            return
        clerk, window = self.clerk.username, self.window
        self.clerk, self.window, self.is_locked = None, None, False
        self._idle.stop()
        self.runner.run_queue(lambda q: q.sign_out(window, clerk),
                              lambda _: self.signed_out.emit(),
                              lambda exc: self.signed_out.emit())

    def lock(self, reason: str = "manual") -> None:
        if self.clerk is None or self.is_locked:
            return
        self.is_locked = True
        self._idle.stop()
        clerk, window = self.clerk.username, self.window
        self.runner.run_queue(lambda q: q.record("lock", window, clerk, {"reason": reason}))
        self.locked.emit(reason)

    def unlock(self, password: str) -> None:
        if self.clerk is None or not self.is_locked:
            return
        username, window = self.clerk.username, self.window

        def failed(exc: BaseException) -> None:
            self.unlock_failed.emit(user_message(exc))

        def checked(ok: bool) -> None:
            self.runner.run_queue(
                lambda q: q.record("unlock" if ok else "unlock_failed", window, username),
                lambda _: answered(ok), failed)

        def answered(ok: bool) -> None:
            if not ok:
                self.unlock_failed.emit(self.tr("密码错误"))
                return
            self.is_locked = False
            self._restart_idle()
            self.unlocked.emit()

        self.runner.run(DB, lambda ctx: ctx.authenticate(username, password) is not None,
                        checked, failed)

    def note_activity(self) -> None:
        """The clerk did something: push the idle lock back."""
        if self.clerk is not None and not self.is_locked:
            self._restart_idle()

    def _restart_idle(self) -> None:
        if self._idle_enabled:
            self._idle.start()
