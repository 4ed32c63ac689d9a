"""Queue calling for one window (叫号), as the counter window uses it.

Queue jobs run on the lane that keeps the queue (``Runner.run_queue``). With a hall server,
the server's events reach ``hall_events`` as queued signals on the GUI thread: each one is
handed, in order, to the next snapshot read on the hall lane (reads are never two at once;
events that arrive during a read go with the next), and a link change reads again. This
PC's own queue has no events: it looks every ``poll_ms`` whether another program on this
PC (the kiosk) or this connection changed the file (a cheap PRAGMA data_version and a
count of its own commits, on the db lane).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from hallclient.core.hall import RecallResult, Service, WindowInfo, WindowSnapshot
from hallclient.core.tickets import Ticket
from hallclient.queue.base import QueueBackend

from .hall_events import HallSignals
from .lanes import DB, HALL
from .session import user_message
from .tasks import Runner

if TYPE_CHECKING:
    from hallclient.store.manual_repo import ManualService

    from .context import DbContext, HallContext, HallEvent

log = logging.getLogger(__name__)

R = TypeVar("R")

LOG_PUSH_MS = 10_000            # this counter's log to the hall server, while signed in
OUT_OF_TOUCH_READ_MS = 2_000    # the view is read again this often while the server is not heard


class QueueService(QObject):
    """Signals (all delivered on the GUI thread):
    snapshot_changed(WindowSnapshot) — after every action and when others change the queue
    ticket_called(Ticket), ticket_recalled(Ticket), ticket_no_show(Ticket, bool automatic),
    ticket_reactivated(Ticket), ticket_started(Ticket), ticket_finished(Ticket),
    ticket_transferred(Ticket), ticket_held(Ticket), ticket_returned(Ticket)
    queue_empty() — call next found nobody waiting
    window_paused(), window_resumed()
    hall_loaded(list services, list windows)
    action_failed(str message) — in Chinese, for the status line
    link_changed(bool online) — the hall server came back or went out of reach
    """

    snapshot_changed = Signal(object)
    ticket_called = Signal(object)
    ticket_recalled = Signal(object)
    ticket_no_show = Signal(object, bool)
    ticket_reactivated = Signal(object)
    ticket_started = Signal(object)
    ticket_finished = Signal(object)
    ticket_transferred = Signal(object)
    ticket_held = Signal(object)
    ticket_returned = Signal(object)
    queue_empty = Signal()
    window_paused = Signal()
    window_resumed = Signal()
    help_answered = Signal()
    hall_loaded = Signal(list, list)
    action_failed = Signal(str)
    link_changed = Signal(bool)
    manual_aside_loaded = Signal(list)       # ManualService rows the hall server refused

    def __init__(self, runner: Runner, source_label: str = "本机队列",
                 hall_events: HallSignals | None = None, poll_ms: int = 1500,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.source_label = source_label
        self.window: int | None = None
        self.clerk: str | None = None
        self.snapshot: WindowSnapshot | None = None
        # asked before 办结: a reason not to finish this ticket yet ("" to go on)
        self.finish_check: Callable[[Ticket], str] | None = None
        self.services: list[Service] = []
        self.windows: list[WindowInfo] = []
        self.hall_events = hall_events
        self._news: list[HallEvent] = []     # events heard since the last read began
        self._reading = False
        self._stale = False
        self._timer = QTimer(self)
        # no events come while the stream is down or the server answered "out of reach":
        # then the view is read now and then, until the server is heard from again
        self._stream_up = True
        self._out_of_touch = QTimer(self)
        self._out_of_touch.setInterval(OUT_OF_TOUCH_READ_MS)
        self._out_of_touch.timeout.connect(self._read)
        if hall_events is not None:
            hall_events.event_heard.connect(self._heard)
            hall_events.link_changed.connect(self._link_changed)
            self._timer.setInterval(LOG_PUSH_MS)
            self._timer.timeout.connect(self._push_log)
        else:
            self._timer.setInterval(poll_ms)
            self._timer.timeout.connect(self._poll_changes)

    # -- attach to a signed-in window ---------------------------------------------------

    def attach(self, clerk: str, window: int, snapshot: WindowSnapshot | None = None) -> None:
        self.clerk, self.window = clerk, window
        if snapshot is not None:
            self._set_snapshot(snapshot)
        self.load_hall()
        self.refresh()
        self._timer.start()

    def detach(self) -> None:
        self._timer.stop()
        self._out_of_touch.stop()
        self.clerk = self.window = None
        self.snapshot = None
        self._news.clear()

    def load_hall(self) -> None:
        def done(result: tuple[list[Service], list[WindowInfo]]) -> None:
            self.services, self.windows = result
            self.hall_loaded.emit(self.services, self.windows)

        self.runner.run_queue(lambda q: (q.services(), q.windows()), done, self._failed)

    def service_name(self, code: str) -> str:
        return next((s.name for s in self.services if s.code == code), code)

    @property
    def current(self) -> Ticket | None:
        return self.snapshot.current if self.snapshot else None

    # -- actions -----------------------------------------------------------------------

    def call_next(self) -> None:
        self._act(lambda q, w, c: q.call_next(w, c), self._on_called)

    @property
    def manual(self) -> bool:
        """The hall server is out of reach: the window serves by hand (手工接待)."""
        return self.snapshot is not None and self.snapshot.state == "manual"

    def call_specific(self, number: str) -> None:
        if not number.strip() and not self.manual:
            self.action_failed.emit(self.tr("请输入要呼叫的号码"))
            return
        self._act(lambda q, w, c: q.call_specific(w, c, number), self._on_called)

    def recall(self) -> None:
        ticket = self._need_current()
        if ticket:
            self._act(lambda q, w, c: q.recall(w, c, ticket.id), self._on_recalled)

    def no_show(self) -> None:
        ticket = self._need_current()
        if ticket:
            self._act(lambda q, w, c: q.no_show(w, c, ticket.id),
                      lambda t: self.ticket_no_show.emit(t, False))

    def reactivate(self, number: str) -> None:
        if not number.strip():
            self.action_failed.emit(self.tr("请选择或输入要激活的过号"))
            return
        self._act(lambda q, w, c: q.reactivate(w, c, number), self.ticket_reactivated.emit)

    def start(self) -> None:
        ticket = self._need_current()
        if ticket:
            self._act(lambda q, w, c: q.start(w, c, ticket.id), self.ticket_started.emit)

    def finish(self) -> None:
        ticket = self._need_current()
        why = self.finish_check(ticket) if ticket and self.finish_check is not None else ""
        if why:         # (intake for this applicant still open: its case would lose its ticket)
            self.action_failed.emit(why)
            return
        if ticket:
            self._act(lambda q, w, c: q.finish(w, c, ticket.id), self.ticket_finished.emit)

    def hold(self) -> None:
        ticket = self._need_current()
        if ticket:
            self._act(lambda q, w, c: q.hold(w, c, ticket.id), self.ticket_held.emit)

    def return_held(self, ticket_id: int) -> None:
        self._act(lambda q, w, c: q.return_held(w, c, ticket_id), self.ticket_returned.emit)

    def transfer(self, to_service: str | None, to_window: int | None, raised: bool) -> None:
        ticket = self._need_current()
        if ticket:
            self._act(
                lambda q, w, c: q.transfer(w, c, ticket.id, to_service=to_service,
                                           to_window=to_window, raised=raised),
                self.ticket_transferred.emit,
            )

    def pause(self, reason: str = "") -> None:
        self._act(lambda q, w, c: q.pause(w, c, reason), lambda _: self.window_paused.emit())

    def resume(self) -> None:
        self._act(lambda q, w, c: q.resume(w, c), lambda _: self.window_resumed.emit())

    def answer_help(self, call: int) -> None:
        """This window goes to a kiosk's 请工作人员协助: the call leaves every counter."""
        self._act(lambda q, w, c: q.answer_help(w, c, call), lambda _: self.help_answered.emit())

    def toggle_pause(self) -> None:
        if self.snapshot is not None and self.snapshot.state == "paused":
            self.resume()
        else:
            self.pause()

    def refresh(self) -> None:
        if self.hall_events is not None:
            self._read()
            return
        window = self.window
        if window is None:
            return
        self.runner.run_queue(lambda q: q.snapshot(window), self._set_snapshot, self._failed)

    # -- hand-recorded services the hall server refused (需处理) --------------------------

    def load_manual_aside(self) -> None:
        if self.hall_events is None:
            return                  # this PC's own queue serves nothing by hand
        self.runner.run(HALL, lambda ctx: ctx.queue.manual_aside(),
                        self.manual_aside_loaded.emit, self._failed)

    def amend_manual(self, row_id: int, number: str) -> None:
        """修改: send it again with the corrected number (empty: a walk-in)."""
        clerk = self.clerk or ""
        self._on_aside(lambda ctx: ctx.queue.amend_manual(row_id, clerk, number))

    def void_manual(self, row_id: int, reason: str) -> None:
        """作废: never send it; the reason goes into the log."""
        clerk = self.clerk or ""
        self._on_aside(lambda ctx: ctx.queue.void_manual(row_id, clerk, reason))

    def _on_aside(self, change: Callable[[HallContext], None]) -> None:
        window = self.window

        def job(ctx: HallContext) -> tuple[list[ManualService], WindowSnapshot | None]:
            change(ctx)
            return ctx.queue.manual_aside(), (ctx.queue.snapshot(window) if window else None)

        def done(answer: tuple[list[ManualService], WindowSnapshot | None]) -> None:
            rows, snapshot = answer
            if snapshot is not None and self.window == window:
                self._set_snapshot(snapshot)
            self.manual_aside_loaded.emit(rows)

        self.runner.run(HALL, job, done, self._failed)

    # -- plumbing ----------------------------------------------------------------------

    def _need_current(self) -> Ticket | None:
        if self.current is None:
            self.action_failed.emit(self.tr("当前没有正在呼叫或办理的号"))
        return self.current

    def _act(self, action: Callable[[QueueBackend, int, str], R],
             on_done: Callable[[R], None]) -> None:
        window, clerk = self.window, self.clerk
        if window is None or clerk is None:
            self.action_failed.emit(self.tr("请先签到"))
            return

        def job(queue: QueueBackend) -> tuple[R, WindowSnapshot]:
            try:
                result = action(queue, window, clerk)
            except Exception as exc:
                # keep the window view right even when the action was refused
                exc.snapshot = queue.snapshot(window)  # type: ignore[attr-defined]
                raise
            return result, queue.snapshot(window)

        def done(pair: tuple[R, WindowSnapshot]) -> None:
            result, snapshot = pair
            self._set_snapshot(snapshot)
            on_done(result)

        self.runner.run_queue(job, done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        snapshot = getattr(exc, "snapshot", None)
        if snapshot is not None:
            self._set_snapshot(snapshot)
        self.action_failed.emit(user_message(exc))

    def _on_called(self, ticket: Ticket | None) -> None:
        if ticket is None:
            self.queue_empty.emit()
        else:
            self.ticket_called.emit(ticket)

    def _on_recalled(self, result: RecallResult) -> None:
        if result.became_no_show:
            self.ticket_no_show.emit(result.ticket, True)
        else:
            self.ticket_recalled.emit(result.ticket)

    def _link_changed(self, up: bool) -> None:
        self._stream_up = up
        self._watch_touch()
        self._read()

    def _watch_touch(self) -> None:
        snapshot = self.snapshot
        offline = snapshot is not None and bool(snapshot.link) and snapshot.link != "online"
        if self.hall_events is not None and self.window is not None and (
                not self._stream_up or offline):
            if not self._out_of_touch.isActive():
                self._out_of_touch.start()
        else:
            self._out_of_touch.stop()

    def _set_snapshot(self, snapshot: WindowSnapshot) -> None:
        before = self.snapshot
        self.snapshot = snapshot
        self._watch_touch()
        if before is not None and before.link != snapshot.link and snapshot.link:
            self.link_changed.emit(snapshot.link == "online")
        self.snapshot_changed.emit(snapshot)

    # -- this PC's queue: another program may change the file ----------------------------

    def _poll_changes(self) -> None:
        window = self.window
        if window is None or self.runner.pending > 2:
            return

        def job(ctx: DbContext) -> WindowSnapshot | None:
            queue = ctx.local_queue()
            return queue.snapshot(window) if queue.changed() else None

        def done(snapshot: WindowSnapshot | None) -> None:
            if snapshot is not None and self.window == window:
                self._set_snapshot(snapshot)

        self.runner.run(DB, job, done, lambda exc: log.warning("queue poll failed: %s", exc))

    # -- the hall server's events --------------------------------------------------------

    def _heard(self, event: HallEvent) -> None:
        """One event from the stream, on the GUI thread, in the order the server sent it."""
        if self.window is None:
            return                  # signing in reads the whole view anyway
        self._news.append(event)
        self._read()

    def _read(self) -> None:
        """Read the view on the hall lane with the news so far; one read at a time, and one
        more after it when anything came meanwhile."""
        window = self.window
        self._stale = True
        if window is None or self._reading:
            return
        news, self._news = self._news, []
        self._stale, self._reading = False, True

        def finished() -> None:
            self._reading = False
            if self._stale:
                self._read()

        def done(snapshot: WindowSnapshot) -> None:
            if self.window == window:
                self._set_snapshot(snapshot)
            finished()

        def failed(exc: BaseException) -> None:
            self._failed(exc)
            finished()

        def job(ctx: HallContext) -> WindowSnapshot:
            return ctx.queue.snapshot(window, news)

        self.runner.run(HALL, job, done, failed)

    def _push_log(self) -> None:
        self.runner.run(HALL, lambda ctx: ctx.queue.push_log_if_up(), None,
                        lambda exc: log.warning("event log push failed: %s", exc))
