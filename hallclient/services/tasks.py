"""Running work on the lanes and getting the answer back on the GUI thread.

``TaskRunner.run(lane, fn, on_done, on_failed)`` submits ``fn(context)`` to that lane's
thread (``lanes.DB``, ``lanes.HALL``, ``lanes.DEVICE``: each gives its jobs its own typed
context); the callbacks run later on the GUI thread through a queued signal.
``run_queue(fn, ...)`` runs ``fn(queue)`` on whichever lane keeps the queue: ``DB`` for
this PC's queue, ``HALL`` for the hall server's. ``InlineRunner`` runs the same jobs at
once on the calling thread, for unit tests of services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from .lanes import DB, HALL, Lane, Lanes

if TYPE_CHECKING:
    from hallclient.queue.base import QueueBackend

    from .context import DbContext, DeviceContext, HallContext
    from .hall_events import HallSignals

log = logging.getLogger(__name__)

C = TypeVar("C")
T = TypeVar("T")

Failed = Callable[[BaseException], None]


class Runner(Protocol):
    """What services need of a runner (TaskRunner, or InlineRunner in unit tests)."""

    @property
    def pending(self) -> int: ...
    @property
    def hall_mode(self) -> bool: ...
    @property
    def hall_events(self) -> HallSignals | None: ...

    def run(self, lane: Lane[C], fn: Callable[[C], T], on_done: Callable[[T], None] | None = None,
            on_failed: Failed | None = None) -> None: ...

    def run_queue(self, fn: Callable[[QueueBackend], T],
                  on_done: Callable[[T], None] | None = None,
                  on_failed: Failed | None = None) -> None: ...


def _queue_job(hall_mode: bool, fn: Callable[[QueueBackend], T]
               ) -> tuple[Lane[Any], Callable[[Any], T]]:
    if hall_mode:
        def on_hall(ctx: HallContext) -> T:
            return fn(ctx.queue)
        return HALL, on_hall

    def on_db(ctx: DbContext) -> T:
        return fn(ctx.local_queue())
    return DB, on_db


class TaskRunner(QObject):
    """Signals: ``task_finished`` (internal delivery), ``idle`` (no job left in flight)."""

    task_finished = Signal(object, object, object)  # callback, result, error
    idle = Signal()

    def __init__(self, lanes: Lanes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lanes = lanes
        self._pending = 0
        # always queued, even when a job finished before its callback was added: the
        # callbacks never run inside ``run``
        self.task_finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def hall_mode(self) -> bool:
        return self.lanes.hall_mode

    @property
    def hall_events(self) -> HallSignals | None:
        return self.lanes.hall_events

    def run(self, lane: Lane[C], fn: Callable[[C], T], on_done: Callable[[T], None] | None = None,
            on_failed: Failed | None = None) -> None:
        if self.lanes.closed:
            log.debug("closing: a job for the %s lane is dropped", lane.name)
            return
        future = self.lanes.submit(lane, fn)
        self._pending += 1
        future.add_done_callback(lambda f: self._relay(f, on_done, on_failed))

    def run_queue(self, fn: Callable[[QueueBackend], T],
                  on_done: Callable[[T], None] | None = None,
                  on_failed: Failed | None = None) -> None:
        lane, job = _queue_job(self.hall_mode, fn)
        self.run(lane, job, on_done, on_failed)

    def _relay(self, future: Future[T], on_done: Callable[[T], None] | None,
               on_failed: Failed | None) -> None:
        # runs on the lane's thread; the emit is queued to this object's (GUI) thread
        error = future.exception()
        if error is not None:
            self.task_finished.emit(on_failed, None, error)
        else:
            self.task_finished.emit(on_done, future.result(), None)

    def _deliver(self, callback: Callable[[Any], None] | None, result: object,
                 error: BaseException | None) -> None:
        self._pending -= 1
        try:
            if error is not None:
                if callback is None:
                    log.error("background task failed", exc_info=error)
                else:
                    callback(error)
            elif callback is not None:
                callback(result)
        finally:
            if self._pending == 0:
                self.idle.emit()


class InlineRunner(QObject):
    """Same interface, runs at once on the caller's thread (unit tests); ``ran`` lists the
    lanes of the jobs run, in order."""

    idle = Signal()

    def __init__(self, db: DbContext | None = None, hall: HallContext | None = None,
                 device: DeviceContext | None = None, hall_events: HallSignals | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if device is None:
            from .context import DeviceContext

            device = DeviceContext()
        self.contexts: dict[str, object] = {"db": db, "hall": hall, "device": device}
        self._hall_events = hall_events
        self.ran: list[str] = []

    @property
    def pending(self) -> int:
        return 0

    @property
    def hall_mode(self) -> bool:
        return self.contexts["hall"] is not None

    @property
    def hall_events(self) -> HallSignals | None:
        return self._hall_events

    def run(self, lane: Lane[C], fn: Callable[[C], T], on_done: Callable[[T], None] | None = None,
            on_failed: Failed | None = None) -> None:
        context: Any = self.contexts[lane.name]
        if context is None:
            raise RuntimeError(f"no {lane.name} context given to this runner")
        self.ran.append(lane.name)
        try:
            result = fn(context)
        except Exception as exc:
            if on_failed is None:
                raise
            on_failed(exc)
        else:
            if on_done is not None:
                on_done(result)
        self.idle.emit()

    def run_queue(self, fn: Callable[[QueueBackend], T],
                  on_done: Callable[[T], None] | None = None,
                  on_failed: Failed | None = None) -> None:
        lane, job = _queue_job(self.hall_mode, fn)
        self.run(lane, job, on_done, on_failed)
