"""Running work off the GUI thread and getting the answer back on it.

``TaskRunner.run(fn, on_done, on_failed)`` submits ``fn(context)`` to the writer thread; the
callbacks run later on the GUI thread through a queued signal. ``InlineRunner`` runs the
same jobs at once on the calling thread, for unit tests of services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from hallclient.store.worker import Worker

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class TaskRunner(QObject):
    """Signals: ``task_finished`` (internal delivery), ``idle`` (no job left in flight)."""

    task_finished = Signal(object, object, object)  # callback, result, error
    idle = Signal()

    def __init__(self, worker: Worker[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.pending = 0
        self.task_finished.connect(self._deliver)

    def run(self, fn: Callable[[Any], Any], on_done: Done | None = None,
            on_failed: Failed | None = None) -> None:
        self.pending += 1
        future = self.worker.submit(fn)
        future.add_done_callback(lambda f: self._relay(f, on_done, on_failed))

    def _relay(self, future: Future[Any], on_done: Done | None, on_failed: Failed | None) -> None:
        # runs on the worker thread; the emit is queued to this object's (GUI) thread
        error = future.exception()
        if error is not None:
            self.task_finished.emit(on_failed, None, error)
        else:
            self.task_finished.emit(on_done, future.result(), None)

    def _deliver(self, callback: Any, result: Any, error: BaseException | None) -> None:
        self.pending -= 1
        try:
            if error is not None:
                if callback is None:
                    log.error("background task failed", exc_info=error)
                else:
                    callback(error)
            elif callback is not None:
                callback(result)
        finally:
            if self.pending == 0:
                self.idle.emit()


class InlineRunner(QObject):
    """Same interface, runs at once on the caller's thread (unit tests)."""

    idle = Signal()

    def __init__(self, context: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.pending = 0

    def run(self, fn: Callable[[Any], Any], on_done: Done | None = None,
            on_failed: Failed | None = None) -> None:
        try:
            result = fn(self.context)
        except Exception as exc:
            if on_failed is None:
                raise
            on_failed(exc)
        else:
            if on_done is not None:
                on_done(result)
        self.idle.emit()
