"""The counter shell: the counter window and everything that hangs off it — intake, the
evaluator (好差评), the outbox, the case list, the supervisor's report and the barcode wedge —
wired to their services.

The shell owns the per-window state that joins them: which ticket is being served when
intake opens, and which case the applicant of the last committed ticket made (for the
evaluation asked when that ticket is finished). ``App`` holds what is running, for the
event loop, the self-test and tests.

Like app.py it is a composition root, not a widget: it builds the devices (the announcer,
the printers, the barcode wedge) and hands them to the windows and services that use them,
so ui/ never imports a device itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt

from hallclient.config import Config
from hallclient.logs import stage
from hallclient.process import under_wine

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from hallclient.core.accounts import Clerk
    from hallclient.core.tickets import Ticket
    from hallclient.devices.escpos_printer import EscposTicketPrinter
    from hallclient.devices.printer import NoticePrinter, TicketPrinter
    from hallclient.devices.speech import Announcer
    from hallclient.devices.wedge import BarcodeWedge
    from hallclient.services.evaluation_service import EvaluationService
    from hallclient.services.intake_service import IntakeService
    from hallclient.services.kiosk_service import KioskService
    from hallclient.services.progress_service import ProgressService
    from hallclient.services.queue_service import QueueService
    from hallclient.services.report_service import ReportService
    from hallclient.services.session import SessionService
    from hallclient.services.sync_service import SyncService
    from hallclient.services.tasks import TaskRunner
    from hallclient.ui.case_list import CaseListWindow
    from hallclient.ui.counter_window import CounterWindow
    from hallclient.ui.dashboard import Dashboard, SupervisorSignIn
    from hallclient.ui.evaluator import EvaluatorWindow
    from hallclient.ui.geometry import WindowPlaces
    from hallclient.ui.intake.window import IntakeWindow
    from hallclient.ui.kiosk_window import KioskWindow
    from hallclient.ui.outbox_view import OutboxView

log = logging.getLogger(__name__)


class Closable(Protocol):
    def close(self) -> None: ...


class Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass(eq=False)
class App:
    """Everything a running hallclient holds, for the event loop and for tests."""

    qapp: QApplication
    config: Config
    data_dir: Path
    worker: Closable
    runner: TaskRunner
    demo: bool = False
    training: bool = False              # 培训模式: every window is marked (ui/training.py)
    shell: CounterShell | None = None
    session: SessionService | None = None
    queue: QueueService | None = None
    announcer: Announcer | None = None
    kiosk_announcer: Announcer | None = None      # a kiosk's own voice (no counter beside it)
    kiosk_wedge: BarcodeWedge | None = None       # the kiosk's barcode scanner (办件查询)
    progress: ProgressService | None = None
    window: CounterWindow | None = None
    kiosk: KioskService | None = None
    kiosk_window: KioskWindow | None = None
    printer: TicketPrinter | EscposTicketPrinter | None = None
    intake: IntakeService | None = None
    intake_window: IntakeWindow | None = None
    evaluation: EvaluationService | None = None
    evaluator: EvaluatorWindow | None = None
    sync: SyncService | None = None
    platform_sim: Any = None            # the bundled platform simulator (demo, training, self-test)
    outbox_view: OutboxView | None = None
    case_list: CaseListWindow | None = None
    reports: ReportService | None = None
    dashboard: Dashboard | None = None
    supervisor_dialog: SupervisorSignIn | None = None
    notice_printer: NoticePrinter | None = None
    wedge: BarcodeWedge | None = None
    places: WindowPlaces | None = None     # each window's last size and place (state.ini)
    exit_code: int | None = None
    startup_errors: list[str] = field(default_factory=list)

    def marked(self, window: QWidget, public: bool = False) -> None:
        """A window of a training run carries the training mark (``public``: applicants see it)."""
        if self.training:
            from hallclient.ui.training import mark_training

            mark_training(window, public)

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        if self.platform_sim is not None:
            self.platform_sim.stop()
        for wedge in (self.wedge, self.kiosk_wedge):
            if wedge is not None:
                self.qapp.removeEventFilter(wedge)
                wedge.flush()
        windows: list[QWidget | None] = [self.supervisor_dialog, self.window, self.kiosk_window,
                                         self.intake_window, self.evaluator, self.case_list,
                                         self.outbox_view, self.dashboard]
        ours = [w for w in windows if w is not None]
        for w in _dialogs_of(ours):     # (转移, 手工接待需处理 ...: a modal one left open
            w.close()                   # would hold every key of whatever comes next)
        for w in ours:
            w.close()
        for printer in (self.printer, self.notice_printer):
            if printer is not None:
                printer.close()
        self.worker.close()


def _dialogs_of(windows: list[QWidget]) -> list[QWidget]:
    """The open windows (dialogs) that belong to ``windows``: parented to one of them at
    any depth."""
    from PySide6.QtWidgets import QApplication

    found = []
    for top in QApplication.topLevelWidgets():
        if top in windows or not top.isVisible():
            continue
        parent = top.parentWidget()
        while parent is not None and parent not in windows:
            parent = parent.parentWidget()
        if parent is not None:
            found.append(top)
    return found


@dataclass(eq=False)
class Extras:
    """What the counter needs only once a clerk works: built after the first paint."""

    intake: IntakeService
    evaluation: EvaluationService
    sync: SyncService
    wedge: BarcodeWedge


class CounterShell(QObject):
    """The counter window with its services, and the windows opened from it."""

    def __init__(self, app: App, preferred_window: int | None) -> None:
        super().__init__()
        from hallclient.devices.speech import Announcer
        from hallclient.services.queue_service import QueueService
        from hallclient.services.session import SessionService
        from hallclient.ui.counter_window import CounterWindow

        self.app = app
        c = app.config
        self.session = SessionService(app.runner, c["ui.idle_lock_minutes"])
        hall = c["queue.source"] == "hall"
        self.queue = QueueService(app.runner, source_label="大厅服务器" if hall else "本机队列",
                                  hall_events=app.runner.hall_events)
        self.announcer = Announcer(c["announce.template"], speech=False)
        self.window = CounterWindow(c, self.session, self.queue, self.announcer)
        self.maximised = self.places().place(self.window, "counter", (0.96, 0.96))
        from hallclient.config import STATE_FILE
        from hallclient.ui import file_dialog

        # the file dialog keeps its last folders beside the window places
        file_dialog.install(app.qapp, app.data_dir / STATE_FILE, app.training)
        self.window.sign_in_page.window_box.setProperty("preferred", preferred_window)
        self.extras: Extras | None = None
        self.last_case: tuple[str, str] | None = None   # (ticket, case number) of the last intake
        self._hidden_by_lock: list[Any] = []    # the clerk's windows, hidden while locked
        app.shell, app.session, app.queue = self, self.session, self.queue
        app.announcer, app.window = self.announcer, self.window

    def places(self) -> WindowPlaces:
        return window_places(self.app)

    def show(self) -> None:
        """The counter window as it was last: maximised, or at its remembered place."""
        if self.maximised:
            self.window.showMaximized()
        else:
            self.window.show()

    # -- staged start-up -----------------------------------------------------------------

    def after_first_paint(self) -> None:
        """Intake and the speech engine can take a moment to load: once the window is up."""
        stage("after first paint: start")
        self.wire_extras()
        if self.app.config["announce.speech"]:
            from hallclient.devices.speech import Announcer

            c = self.app.config
            self.announcer.adopt(Announcer(c["announce.template"], speech=True,
                                           engine=c["announce.engine"]))
        stage("after first paint: done")

    def wire_extras(self) -> Extras:
        """Intake, evaluation, uploads and the barcode wedge: not needed before a clerk signs
        in, so they are wired after the first paint (once)."""
        if self.extras is not None:
            return self.extras
        from hallclient.devices.wedge import BarcodeWedge
        from hallclient.services.evaluation_service import EvaluationService
        from hallclient.services.intake_service import IntakeService

        app, c, w = self.app, self.app.config, self.window
        intake = IntakeService(app.runner)
        evaluation = EvaluationService(app.runner, c["evaluation.rectify_days"])
        wedge = BarcodeWedge(max_gap_ms=c["scanner.wedge_max_gap_ms"])
        wedge.serve(w)                  # and the intake window, once built (open_intake)
        extras = self.extras = Extras(intake, evaluation, self._start_sync(), wedge)
        app.intake, app.evaluation, app.sync, app.wedge = intake, evaluation, extras.sync, extras.wedge
        self.session.signed_in.connect(self._signed_in)
        self.session.signed_out.connect(self._signed_out)
        self.session.locked.connect(self._locked)
        self.session.unlocked.connect(self._unlocked)
        if self.session.clerk is not None and self.session.window is not None:
            self._signed_in(self.session.clerk, self.session.window)
        w.intake_requested.connect(self.open_intake)
        w.cases_requested.connect(self.open_case_list)
        w.supervisor_requested.connect(self.open_dashboard)
        w.sync_requested.connect(extras.sync.sync_now)
        w.outbox_requested.connect(self.open_outbox)
        evaluation.evaluation_requested.connect(lambda *_: self.ensure_evaluator())
        if c["evaluation.after_finish"]:
            self.queue.ticket_finished.connect(lambda t: self.ask_evaluation(t.number))
        intake.case_committed.connect(self._committed)

        def intake_open_for(ticket: Ticket) -> str:
            draft = intake.draft
            if draft is not None and (draft.ticket or "") == ticket.number:
                return self.window.tr("{n} 的受理还没有完成：请先在受理窗口确认受理决定（或「重新开始」"
                                      "放弃），再办结").format(n=ticket.number)
            return ""
        self.queue.finish_check = intake_open_for
        self.queue.snapshot_changed.connect(self._intake_follows_the_counter)
        extras.wedge.scanned.connect(self.route_scan)
        app.qapp.installEventFilter(extras.wedge)
        extras.sync.start()
        return extras

    def _start_sync(self) -> SyncService:
        from hallclient.services.sync_service import SyncService, make_engine

        app, c = self.app, self.app.config
        sync = SyncService((lambda: make_engine(app.data_dir, c)) if c["platform.url"] else None,
                           c["sync.interval_seconds"])
        sync.status_changed.connect(self.window.show_sync_status)
        if under_wine():
            # wine's network list manager never answers: Qt's backend would hold this thread
            log.info("on wine: uploads follow the timer and 立即同步, not the network's state")
            return sync
        try:
            from PySide6.QtNetwork import QNetworkInformation

            if QNetworkInformation.loadDefaultBackend():
                info = QNetworkInformation.instance()
                if info is not None:
                    info.reachabilityChanged.connect(self.on_reachability)
        except ImportError:
            log.info("QtNetwork not available; uploads follow the timer and 立即同步")
        return sync

    def on_reachability(self, reachability: object) -> None:
        """The network came back: upload at once instead of waiting for the timer."""
        from PySide6.QtNetwork import QNetworkInformation

        if reachability == QNetworkInformation.Reachability.Online and self.extras is not None:
            log.info("network is back; syncing now")
            self.extras.sync.sync_now()

    def _signed_in(self, clerk: Clerk, window: int, _snapshot: object = None) -> None:
        extras = self.wire_extras()
        for service in (extras.intake, extras.evaluation):
            service.attach(clerk.username, window)

    def _signed_out(self) -> None:
        """Nothing of the clerk's stays at hand: the intake window closes and starts over."""
        assert self.extras is not None
        self.extras.intake.detach()
        self._hidden_by_lock = []
        for other in self._clerks_windows():
            if other is not self.app.intake_window:
                other.hide()                 # the case list, the queue, the daily report
        if self.app.intake_window is not None:
            self.app.intake_window.start_new()
            self.app.intake_window.hide()

    def _clerks_windows(self) -> list[Any]:
        """The windows with applicants' data in them (intake first): the case list, the
        upload queue and the supervisor's report as well."""
        app = self.app
        return [w for w in (app.intake_window, app.case_list, app.outbox_view, app.dashboard)
                if w is not None]

    def _locked(self, _reason: str = "") -> None:
        """A locked counter shows nothing to the next person at the desk: every window with
        applicants' data hides with it (the intake draft kept) and comes back at unlock."""
        self._hidden_by_lock = [w for w in self._clerks_windows() if w.isVisible()]
        for window in self._hidden_by_lock:
            window.hide()

    def _unlocked(self) -> None:
        for window in self._hidden_by_lock:
            window.show()
        self._hidden_by_lock = []

    # -- the ticket being served and its case ------------------------------------------------

    def _committed(self, done: Any, case: dict[str, Any]) -> None:
        self.last_case = (case.get("ticket") or "", done.case_no)
        assert self.extras is not None
        self.extras.sync.sync_now()

    def ask_evaluation(self, ticket: str) -> None:
        """A ticket was finished: the applicant rates the service, for the case they made
        at intake if the last one committed was theirs."""
        last = self.last_case
        case_no = last[1] if last is not None and last[0] == ticket else ""
        self.wire_extras().evaluation.request(case_no, ticket)

    def _intake_follows_the_counter(self, _snapshot: object = None) -> None:
        """Intake is for the applicant at the desk: once the counter has finished (or
        transferred, or passed) the ticket intake was for, the next case is not filed under
        it; a ticket called or taken back is the one intake serves. (A draft already begun
        keeps its own ticket, and 办结 waits for it.)"""
        intake = self.extras.intake if self.extras is not None else None
        if intake is None:
            return
        current = self.queue.current
        number = current.number if current is not None else ""
        if number != intake.serving:
            intake.serve(number, self.queue.service_name(current.service) if current else "",
                         self.queue.window)

    def open_intake(self, ticket: str = "") -> IntakeWindow:
        """Show the intake window (built on first use), for the ticket being served."""
        extras, app = self.wire_extras(), self.app
        if app.intake_window is None:
            from hallclient.ui.intake.window import IntakeWindow

            self._notices_ready()
            app.intake_window = IntakeWindow(extras.intake, app.config["hall.name"])
            esc_closes(app.intake_window)          # hidden, its draft kept
            counter_keys_in(app.intake_window, self.window, "intake")
            if self.places().place(app.intake_window, "intake", (0.8, 0.9)):
                app.intake_window.setWindowState(Qt.WindowState.WindowMaximized)
            extras.wedge.serve(app.intake_window)
            app.marked(app.intake_window)
            app.intake_window.show_sync_status(extras.sync.last_status)
            extras.sync.status_changed.connect(app.intake_window.show_sync_status)
        window = app.intake_window
        current, service = self.queue.current, ""
        if current is not None and ticket and current.number == ticket:
            service = self.queue.service_name(current.service)
        extras.intake.serve(ticket, service, self.queue.window)
        window.show()
        window.raise_()
        window.activateWindow()
        window.search_again()
        return window

    def _notices_ready(self) -> None:
        """Intake's notices go to the notice printer (made on first need)."""
        extras, app = self.wire_extras(), self.app
        if app.notice_printer is None:
            from hallclient.devices.printer import NoticePrinter, printer_for

            c = app.config
            app.notice_printer = NoticePrinter(
                printer_for(c["notice.printer"], c["notice.training_printer"], app.training),
                app.data_dir / "notices", training=app.training)
            extras.intake.print_notices_on(app.notice_printer, app.config["hall.name"])

    def reprint_notices(self, case_no: str) -> None:
        """补打 from the case list: the case's notices again (kept as PDF, printed)."""
        self._notices_ready()
        self.wire_extras().intake.reprint(case_no)

    def route_scan(self, code: str) -> None:
        """A wedge scan: intake takes it while open; a case number opens intake on that
        case; a ticket number goes to the counter's number field."""
        from hallclient.core.scancodes import ScanKind, classify

        intake, shown = self.wire_extras().intake, self.app.intake_window
        if shown is not None and shown.isVisible() and intake.take_scan(code):
            return
        kind = classify(code)
        if kind is ScanKind.CASE:
            current = self.queue.current
            self.open_intake(current.number if current is not None else "")
            intake.take_scan(code)
        elif kind is ScanKind.TICKET:
            self.window.show_scan(code.strip().upper())

    # -- other windows -------------------------------------------------------------------

    def open_outbox(self) -> OutboxView:
        app, sync = self.app, self.wire_extras().sync
        if app.outbox_view is None:
            from hallclient.services.outbox_service import OutboxService
            from hallclient.ui.outbox_view import OutboxView

            service = OutboxService(app.runner, on_queued=sync.sync_now)
            if self.session.clerk is not None:
                service.clerk, service.window = self.session.clerk.username, self.session.window
            app.outbox_view = OutboxView(service)
            esc_closes(app.outbox_view)
            if self.places().place(app.outbox_view, "outbox", (0.8, 0.7)):
                app.outbox_view.setWindowState(Qt.WindowState.WindowMaximized)
            counter_keys_in(app.outbox_view, self.window, "outbox")
            app.marked(app.outbox_view)
            sync.status_changed.connect(lambda _s: service.load())
            sync.sending.connect(app.outbox_view.model.set_in_flight)
        app.outbox_view.show()
        app.outbox_view.service.load()
        return app.outbox_view

    def open_case_list(self) -> CaseListWindow:
        app = self.app
        if app.case_list is None:
            from hallclient.services.case_list_service import CaseListService
            from hallclient.ui.case_list import CaseListWindow

            app.case_list = CaseListWindow(CaseListService(
                app.runner, notices_dir=app.data_dir / "notices", reprint=self.reprint_notices,
                training=app.training))
            app.case_list.follow_notices(self.wire_extras().intake)
            if self.places().place(app.case_list, "cases", (0.85, 0.8)):
                app.case_list.setWindowState(Qt.WindowState.WindowMaximized)
            app.marked(app.case_list)
            esc_closes(app.case_list)
            counter_keys_in(app.case_list, self.window, "cases")
        app.case_list.show()
        app.case_list.search()
        return app.case_list

    def open_dashboard(self) -> Dashboard:
        """值班长日报: straight in for a signed-in supervisor, else a supervisor signs in."""
        from hallclient.services.report_service import SUPERVISOR_ROLES, ReportService
        from hallclient.ui.dashboard import Dashboard, SupervisorSignIn

        app = self.app
        if app.reports is None or app.dashboard is None:
            c = app.config
            app.reports = ReportService(app.runner, c["hall.name"], c["report.wait_target_minutes"],
                                        c["report.service_target_minutes"], training=app.training,
                                        closing_time=c["hall.closing_time"])
            app.dashboard = Dashboard(app.reports)
            esc_closes(app.dashboard)
            counter_keys_in(app.dashboard, self.window, "supervisor")
            if self.places().place(app.dashboard, "dashboard", (0.9, 0.92)):
                app.dashboard.setWindowState(Qt.WindowState.WindowMaximized)
            app.marked(app.dashboard)
            app.reports.supervisor_ok.connect(lambda _u: self._show_dashboard())
        clerk = self.session.clerk
        if clerk is not None and clerk.role in SUPERVISOR_ROLES:
            app.reports.supervisor = clerk.username
            self._show_dashboard()
        else:
            dialog = SupervisorSignIn(app.reports, self.session.window, self.window)
            app.marked(dialog)
            dialog.open()
            app.supervisor_dialog = dialog
        return app.dashboard

    def _show_dashboard(self) -> None:
        dashboard = self.app.dashboard
        if dashboard is not None:
            dashboard.show()
            dashboard.raise_()
            dashboard.refresh()

    def ensure_evaluator(self) -> EvaluatorWindow:
        """The evaluator window, on the applicant-facing (last) screen; built on first use."""
        app, evaluation = self.app, self.wire_extras().evaluation
        if app.evaluator is None:
            from hallclient.ui.evaluator import EvaluatorWindow

            app.evaluator = EvaluatorWindow(evaluation)
            app.marked(app.evaluator, public=True)
            place_from_screen(app, app.evaluator, "evaluator", EVALUATOR_SHARE, None)
            # the request that built the window has already been emitted: show it now
            if evaluation.pending is not None:
                app.evaluator.ask(*evaluation.pending)
        return app.evaluator


def counter_keys_in(window: QWidget, counter: CounterWindow, opened_by: str) -> None:
    """The counter's keys work in ``window`` too (all but ``opened_by``, the one that
    opens it); see ui/counter_keys.py."""
    from hallclient.ui.counter_keys import CounterKeys

    window.counter_keys = CounterKeys(window, counter, frozenset({opened_by}))  # type: ignore[attr-defined]


def esc_closes(window: QWidget) -> None:
    """Esc closes a secondary window, as in any dialog; the counter keeps the keyboard."""
    from PySide6.QtGui import QKeySequence, QShortcut

    QShortcut(QKeySequence(Qt.Key.Key_Escape), window).activated.connect(window.close)


def build_kiosk(app: App) -> KioskWindow:
    """取号机: on its own (``hallclient kiosk``) or beside the counter in the demo."""
    from hallclient.devices.printer import TicketPrinterChoice, make_ticket_printer
    from hallclient.services.kiosk_service import KioskService
    from hallclient.ui.kiosk_window import KioskWindow

    c = app.config
    app.printer = make_ticket_printer(TicketPrinterChoice(
        c["kiosk.printer_kind"], c["kiosk.printer"], c["kiosk.training_printer"],
        c["kiosk.ticket_width_mm"], c["kiosk.escpos_target"], c["kiosk.escpos_baud"],
        c["kiosk.escpos_timeout_seconds"]), app.data_dir / "tickets", app.training)
    app.kiosk = KioskService(app.runner, place=c["kiosk.place"],
                             card_wait_s=c["kiosk.card_wait_seconds"])
    app.kiosk.print_tickets_on(app.printer, c["hall.name"])
    from hallclient.config import progress_policy
    from hallclient.devices.wedge import BarcodeWedge
    from hallclient.services.progress_service import ProgressService
    from hallclient.ui.kiosk_progress import ProgressQueryPage

    app.progress = ProgressService(app.runner, progress_policy(c))
    page = ProgressQueryPage(app.progress, idle_ms=int(c["progress.idle_seconds"] * 1000))
    app.kiosk_window = KioskWindow(c["hall.name"], app.kiosk, green_age=c["kiosk.green_age"],
                                   staff_code=c["kiosk.staff_code"], elder=c["kiosk.elder_mode"],
                                   speak=kiosk_voice(app), progress_page=page)
    # a receipt's barcode scanned at the kiosk asks for its case's progress (办件查询)
    app.kiosk_wedge = BarcodeWedge(max_gap_ms=c["scanner.wedge_max_gap_ms"])
    app.kiosk_wedge.serve(app.kiosk_window)
    app.kiosk_wedge.scanned.connect(app.kiosk_window.take_scan)
    app.qapp.installEventFilter(app.kiosk_wedge)
    app.marked(app.kiosk_window, public=True)
    if app.queue is not None:
        # beside the counter in one program (demo, training, a township PC with two
        # screens): the counter's waiting counts follow each ticket at once, not at the
        # next look for changes
        queue, kiosk = app.queue, app.kiosk
        app.kiosk.ticket_issued.connect(lambda _issued: queue.refresh())
        # and the kiosk's counts follow what the counter does (a call, a transfer), not the
        # next look a few seconds later
        queue.snapshot_changed.connect(lambda _snap: kiosk.count_waiting())
    return app.kiosk_window


def kiosk_voice(app: App) -> Callable[[str], None] | None:
    """The kiosk's spoken prompts (长辈模式): the counter's announcer beside a counter, else
    one of its own, made at the first prompt (not at start: most applicants never ask for
    it); None when speech is off in the settings."""
    if not app.config["announce.speech"]:
        return None
    if app.announcer is not None:
        return app.announcer.say

    def say(text: str) -> None:
        if app.kiosk_announcer is None:
            from hallclient.devices.speech import Announcer

            app.kiosk_announcer = Announcer(app.config["announce.template"], speech=True,
                                            engine=app.config["announce.engine"])
        app.kiosk_announcer.say(text)

    return say


# a share of the screen's available geometry (the desktop less its taskbar) for a window's
# first start; after that each opens where it was left (state.ini)
KIOSK_SHARE = (0.7, 0.94)           # a kiosk in a window (--windowed); else full screen
EVALUATOR_SHARE = (0.72, 0.85)      # on the applicant's screen


def window_places(app: App) -> WindowPlaces:
    """Window places in ``state.ini`` beside config.ini (made on first need)."""
    if app.places is None:
        from hallclient.config import STATE_FILE
        from hallclient.ui.geometry import WindowPlaces

        app.places = WindowPlaces(app.data_dir / STATE_FILE)
    return app.places


def place_from_screen(app: App, widget: QWidget, name: str, share: tuple[float, float],
                      screen: int | None) -> None:
    """Size ``widget`` from the screen and open it where it was left (``name`` in
    state.ini); with nothing saved yet and more than one screen, on screen ``screen``
    (None: the last, the applicant's)."""
    from PySide6.QtGui import QGuiApplication

    places = window_places(app)
    first = places.saved(name)[0] is None
    maximised = places.place(widget, name, share)
    if first and len(QGuiApplication.screens()) > 1:
        place_on_screen(widget, screen)
    if maximised:
        widget.setWindowState(Qt.WindowState.WindowMaximized)


def place_on_screen(widget: QWidget, number: int | None) -> None:
    """Township centres run the kiosk on the counter PC's second screen."""
    from PySide6.QtGui import QGuiApplication

    screens = QGuiApplication.screens()
    if number is None:
        index = len(screens) - 1
    else:
        index = min(max(number - 1, 0), len(screens) - 1)
    screen = screens[index]
    widget.setScreen(screen)
    widget.move(screen.availableGeometry().topLeft())


def show_ready(app: App, windows: list[Any], clerks: int, problem: str,
               bound_window: int | None = None) -> None:
    """The database is open: the kiosk loads its services, the counter offers sign-in (or
    says what the IT staff must set up first)."""
    stage("sign-in page ready")
    if app.kiosk is not None:
        app.kiosk.load()
    if app.window is None:
        return
    page = app.window.sign_in_page
    preferred = page.window_box.property("preferred")
    app.window.show_sign_in(windows, preferred or 1, bound_window)
    if problem:
        page.show_error(problem)
    elif not windows:
        page.show_error(app.window.tr(
            "尚未配置大厅业务和窗口：请信息管理员运行 hallclient admin import-hall 配置文件"))
    elif not clerks:
        page.show_error(app.window.tr(
            "尚无本地账户：请信息管理员运行 hallclient admin add-clerk 用户名 --name 姓名"))


def show_store_failure(app: App, exc: BaseException) -> None:
    """The data could not be opened: say why, in a box and on the sign-in page."""
    from PySide6.QtWidgets import QMessageBox

    from hallclient.services.session import user_message

    message = user_message(exc)
    app.startup_errors.append(message)
    parent = app.window or app.kiosk_window
    if app.window is not None:
        app.window.sign_in_page.show_error(message)
        app.window.sign_in_page.button.setEnabled(False)
    title = parent.tr("无法打开数据") if parent is not None else "无法打开数据"
    box = QMessageBox(QMessageBox.Icon.Critical, title, message,
                      QMessageBox.StandardButton.Close, parent)
    box.open()
