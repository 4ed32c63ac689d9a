"""The hall panel (大厅综合屏): the latest call large, each window's current number and the
waiting counts, following the hall server's event stream.

The big number is always the latest call (the newest in the hall's log, a recall of an
older ticket too), shown the moment it is heard: the list of recent calls and the big
number never disagree. Saying the calls is paced instead: each joins a queue and is spoken
(and flashed) ``call_ms`` after the one before (half that while more than two are
waiting), so voices never overlap and none is dropped however many windows call at once.
Calls replayed after a long disconnection update the screen but are not spoken again.

Sizes follow the screen (``unit``: the window's size against 1920×1080), so the per-window
list is readable from across the hall at any resolution, and as many windows are listed at
once as fit (a bigger hall is shown page by page). The lower right shows how many wait per
service. Every line is shown whole, with the training banner too: where the lists do not
fit, their fonts shrink a little first, then fewer windows are listed per page, and only
then are fewer services listed, the last line saying how many more there are (「…等 N 项」),
never half a line. The public screen says nothing about its link while it works; only a lost link is
noted, discreetly, in the top corner.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.announce import display_text
from hallclient.services.announcing import CallAnnouncer
from hallclient.services.hall_events import HallEventsService

from .flash import Flasher

CALL_ACTIONS = ("call", "recall")
CLEAR_ACTIONS = ("finish", "no_show", "transfer", "hold", "manual_finish")


# font sizes in pixels on a 1920×1080 screen, scaled with the window: a window row of
# 56-60 px is 35-38 mm on a 55-inch screen, readable at 10 m (character height about a
# 300th of the distance)
SIZES = {"panelTitle": 44, "panelClock": 36, "panelLink": 24, "callNumber": 240, "callText": 64,
         "sectionTitle": 34, "recent": 44, "windowNo": 56, "windowNow": 60, "waitingRow": 40}
LIST_SHARE = 0.6        # of the window's height, for the per-window list
ROW_HEIGHT = 1.45       # a window row's height against its font size (CJK line height)
LINE = 1.5              # a label's height against its font size, with a little room to spare
LIST_FONTS = ("sectionTitle", "windowNo", "windowNow", "waitingRow")
SHRINK = (1.0, 0.9, 0.8)    # the lists' fonts, before fewer lines are shown
BANNER_PX = 30              # the training banner's font, on a 1920×1080 screen


def line(px: int) -> int:
    """A label's height for a font of ``px`` pixels (CJK fonts are tall)."""
    return int(px * LINE) + 2


class PanelWindow(QWidget):
    RECENT = 6
    PAGE_MS = 8000

    def __init__(self, hall_name: str, events: HallEventsService, announcer: CallAnnouncer,
                 call_ms: int = 5000, announce_max_age_s: float = 120.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(self.tr("大厅综合屏 · {hall}").format(hall=hall_name))
        screen = self.screen().availableGeometry()      # the whole screen, whatever its size
        self.resize(screen.size())
        self.events = events
        self.announcer = announcer
        self.announce_max_age = timedelta(seconds=announce_max_age_s)
        self.call_ms = call_ms
        self.pending: deque[tuple[str, int]] = deque()
        self.latest: tuple[int, str, int] | None = None   # (log seq, number, window) shown large
        self.announced: list[tuple[str, int]] = []
        self.windows: dict[int, dict[str, Any]] = {}
        self._rows: dict[int, tuple[QLabel, QLabel]] = {}     # window: (name, current)
        self._page = 0
        self.page_size = 8      # windows listed at once (set from the window's height)
        self.list_scale = 1.0   # the lists' fonts, shrunk where they would not fit
        self.services_shown = 0     # services listed in the lower right (0: all)
        self._fitted: tuple[Any, ...] = ()
        self._recent: list[str] = []        # newest first, as many as RECENT
        self.more_label: QLabel | None = None   # 「…等 N 项」 under the services listed
        self.link_up = False
        self._waiting_rows: list[QLabel] = []
        self.services: dict[str, str] = {}
        self.waiting: dict[str, dict[int, int]] = {}
        self._build(hall_name)
        self._pace = QTimer(self)
        self._pace.setInterval(call_ms)
        self._pace.timeout.connect(self._next_call)
        self._flasher = Flasher(self, 300)
        events.state_received.connect(self.show_state)
        events.event_received.connect(self.apply_event)
        events.link_changed.connect(self.show_link)
        self.show_link(False)

    # -- layout ------------------------------------------------------------------------

    def _build(self, hall_name: str) -> None:
        root = self._root = QVBoxLayout(self)
        # the window takes the screen's size and fits its lines to it (_fit), never the
        # other way round: what is listed never makes the window taller than the screen
        root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        top = QHBoxLayout()
        title = QLabel(hall_name)
        title.setObjectName("panelTitle")
        self.link_label = QLabel()
        self.link_label.setObjectName("panelLink")
        self.clock_label = QLabel()
        self.clock_label.setObjectName("panelClock")
        top.addWidget(title, 1)
        top.addWidget(self.link_label)
        top.addWidget(self.clock_label)
        root.addLayout(top)

        body = QHBoxLayout()
        left = QVBoxLayout()
        self.call_number = QLabel("—")
        self.call_number.setObjectName("callNumber")
        self.call_number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.call_text = QLabel(self.tr("欢迎办事，请留意叫号"))
        self.call_text.setObjectName("callText")
        self.call_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        recent_title = QLabel(self.tr("最近呼叫"))
        recent_title.setObjectName("sectionTitle")
        self.recent_list = QListWidget()
        self.recent_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.recent_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent_list.installEventFilter(self)       # as many calls as it shows whole
        left.addWidget(self.call_number, 3)
        left.addWidget(self.call_text)
        left.addWidget(recent_title)
        left.addWidget(self.recent_list, 2)

        right = self._right = QVBoxLayout()
        windows_title = QLabel(self.tr("各窗口当前号"))
        windows_title.setObjectName("sectionTitle")
        right.addWidget(windows_title)
        self.windows_grid = QGridLayout()
        self.windows_grid.setColumnStretch(0, 1)
        self.windows_grid.setVerticalSpacing(0)
        right.addLayout(self.windows_grid)
        self.page_label = QLabel()
        self.page_label.setObjectName("sectionTitle")
        self.page_label.hide()
        right.addWidget(self.page_label)
        right.addStretch(1)
        self._pager = QTimer(self)
        self._pager.setInterval(self.PAGE_MS)
        self._pager.timeout.connect(self._next_page)
        # the lower right: how many wait for each service
        self.waiting_label = QLabel()
        self.waiting_label.setObjectName("sectionTitle")
        self.waiting_grid = QGridLayout()
        self.waiting_grid.setVerticalSpacing(0)
        right.addWidget(self.waiting_label)
        right.addLayout(self.waiting_grid)
        body.addLayout(left, 11)
        body.addLayout(right, 9)
        root.addLayout(body, 1)
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._tick()
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:   # a banner came (training), or went
            self._fit()
        return super().event(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.recent_list and event.type() == QEvent.Type.Resize:
            self._show_recent()
        return False

    def unit(self) -> float:
        """This window against a 1920×1080 screen (0.71 at 1366×768, 2 on 4K)."""
        return max(0.3, min(self.width() / 1920, self.height() / 1080))

    def font_px(self, name: str) -> int:
        return round(SIZES[name] * self.unit())

    def _banner_height(self) -> int:
        banner = getattr(self, "training_banner", None)
        if not isinstance(banner, QLabel) or banner.isHidden():
            return 0
        banner.ensurePolished()
        width = self.width() - 2 * self._root.contentsMargins().left()
        return (banner.heightForWidth(width) if banner.hasHeightForWidth() else -1) \
            or banner.sizeHint().height()

    def _fit(self) -> None:
        """The fonts from the screen, then the lists to the room they have: each window's
        row, the per-service lines and the page line are counted against the height under
        the title (and the training banner), so that nothing is cut off at the bottom."""
        u = self.unit()
        banner = self._banner_height()
        root = self._root
        margins, spacing = root.contentsMargins(), max(0, root.spacing())
        right_spacing = max(0, self._right.spacing())
        base = {name: round(SIZES[name] * u) for name in SIZES}
        body = (self.height() - margins.top() - margins.bottom()
                - line(max(base["panelTitle"], base["panelClock"])) - spacing
                - (banner + spacing if banner else 0))
        windows = len(self.windows) or 8
        services = sum(1 for by in self.waiting.values() if sum(by.values()))
        choice: tuple[float, int, int] | None = None
        for scale in SHRINK:
            px = {n: round(SIZES[n] * u * scale) for n in LIST_FONTS}
            row, wrow = line(max(px["windowNo"], px["windowNow"])), line(px["waitingRow"])
            page = max(3, int(self.height() * LIST_SHARE / (px["windowNow"] * ROW_HEIGHT)))
            titles = 2 if windows <= page else 3        # and the page line, when paged
            room = body - titles * (line(px["sectionTitle"]) + right_spacing)
            waiting_rows = -(-services // 2)
            if min(page, windows) * row + waiting_rows * wrow <= room:
                choice = (scale, page, 0)
                break
        if choice is None:      # the smallest fonts, fewer windows a page, then fewer services
            scale = SHRINK[-1]
            room = body - 3 * (line(px["sectionTitle"]) + right_spacing)
            fewest = min(3, windows)
            page = max(fewest, (room - waiting_rows * wrow) // row)
            lines = max(0, (room - page * row) // wrow)
            shown = max(0, 2 * lines - 1) if 2 * lines < services else 0
            choice = (scale, page, shown if lines else -1)
        scale, page, shown = choice
        fitted = (self.width(), self.height(), banner, scale, page, shown, services, windows)
        if fitted == self._fitted:
            return
        self._fitted = fitted
        self.list_scale = scale
        px = dict(base)
        for name in LIST_FONTS:
            px[name] = round(SIZES[name] * u * scale)
        self.setStyleSheet(
            f"QLabel#panelTitle {{ font-size: {px['panelTitle']}px; }}"
            f" QLabel#panelClock {{ font-size: {px['panelClock']}px; }}"
            f" QLabel#panelLink {{ font-size: {px['panelLink']}px; }}"
            f" QLabel#callNumber {{ font-size: {px['callNumber']}px; }}"
            f" QLabel#callText {{ font-size: {px['callText']}px; }}"
            f" QLabel#sectionTitle {{ font-size: {px['sectionTitle']}px; }}"
            f" QLabel#trainingBanner {{ font-size: {max(20, round(BANNER_PX * u))}px; }}"
            f" QListWidget {{ font-size: {px['recent']}px; }}"
            f' QLabel[class="windowNo"] {{ font-size: {px["windowNo"]}px; }}'
            f' QLabel[class="windowNow"] {{ font-size: {px["windowNow"]}px; }}'
            f' QLabel[class="waitingRow"] {{ font-size: {px["waitingRow"]}px; }}')
        self.waiting_grid.setHorizontalSpacing(round(40 * u))
        self._show_recent()         # its font changed: as many calls as show whole now
        if shown != self.services_shown:
            self.services_shown = shown
            self._render_waiting()
        if page != self.page_size:
            self.page_size = page
            self._page = 0
            self._show_page()

    def _tick(self) -> None:
        self.clock_label.setText(QDateTime.currentDateTime().toString("yyyy-MM-dd HH:mm:ss"))

    # -- what the stream brings ----------------------------------------------------------

    def show_link(self, up: bool) -> None:
        """Nothing while the link works (a public screen); a short notice when it is lost."""
        self.link_up = up
        problem = self.events.stream.problem
        self.link_label.setText("" if up else problem or self.tr("连接中断，正在重连…"))
        self.link_label.setVisible(not up)
        self.link_label.setProperty("down", "false" if up else "true")
        self.link_label.style().polish(self.link_label)

    def show_state(self, state: dict[str, Any]) -> None:
        self.services = {s["code"]: s["name"] for s in state.get("services", [])}
        self.windows = {w["number"]: dict(w) for w in state["windows"]}
        self.waiting = {s: {int(p): n for p, n in by.items()}
                        for s, by in state.get("waiting", {}).items()}
        self._recent = []
        calls = [c for c in state.get("recent_calls", []) if c.get("ticket") and c.get("window")]
        for call in reversed(calls):                    # the server sends the newest first
            self._add_recent(call["ticket"], call["window"])
        if calls:
            newest = max(calls, key=lambda c: int(c.get("seq") or 0))
            self._show_latest(int(newest.get("seq") or 0), newest["ticket"], newest["window"])
        self._fit()
        self._render_windows()
        self._render_waiting()

    def apply_event(self, event: dict[str, Any]) -> None:
        action, window, ticket = event["action"], event.get("window"), event.get("ticket")
        if "waiting" in event:
            self.waiting = {s: {int(p): n for p, n in by.items()}
                            for s, by in event["waiting"].items()}
            self._fit()
            self._render_waiting()
        slot = self.windows.setdefault(window, {"number": window, "name": "", "state": "open",
                                                "current": None}) if window else None
        if slot is not None:
            if action in CALL_ACTIONS or action == "return":
                slot["current"] = ticket
            elif action in CLEAR_ACTIONS and slot.get("current") == ticket:
                slot["current"] = None
            elif action in ("sign_in", "resume"):
                slot["state"] = "open"
            elif action == "pause":
                slot["state"] = "paused"
            elif action == "sign_out":
                slot["state"], slot["current"] = "closed", None
            self._render_windows()
        if action in CALL_ACTIONS and ticket and window:
            self._add_recent(ticket, window)
            seq = event.get("seq")
            self._show_latest(int(seq) if seq is not None else None, ticket, window)
            if self._fresh(event.get("at")):
                self.queue_call(ticket, window)

    def _fresh(self, at: str | None) -> bool:
        if not at:
            return True
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            return True
        return datetime.now(when.tzinfo) - when <= self.announce_max_age

    def _show_latest(self, seq: int | None, number: str, window: int) -> None:
        """The big number: this call, unless a newer one (by the log's order) is shown
        already; ``seq`` None (an event without one) counts as the newest."""
        if seq is None:
            seq = self.latest[0] + 1 if self.latest is not None else 0
        elif self.latest is not None and seq < self.latest[0]:
            return
        self.latest = (seq, number, window)
        self.call_number.setText(number)
        self.call_text.setText(display_text(self.announcer.template, number, window))

    # -- the announcement queue ----------------------------------------------------------

    def queue_call(self, number: str, window: int) -> None:
        self.pending.append((number, window))
        if not self._pace.isActive():
            self._next_call()
            self._pace.start()

    def _next_call(self) -> None:
        if not self.pending:
            self._pace.stop()
            return
        number, window = self.pending.popleft()
        # a rush of calls: show them faster (speech itself is queued and never overlaps)
        self._pace.setInterval(self.call_ms if len(self.pending) < 3 else self.call_ms // 2)
        self.announced.append((number, window))
        self.announcer.announce(number, window)
        self._flasher.flash(self.call_number)

    # -- rendering -----------------------------------------------------------------------

    def _add_recent(self, number: str, window: int) -> None:
        self._recent.insert(0, self.tr("{n}  →  {w} 号窗口").format(n=number, w=window))
        del self._recent[self.RECENT:]
        self._show_recent()

    def _show_recent(self) -> None:
        """The latest calls, as many as the list shows whole (all while it is not shown)."""
        texts = self._recent
        listed = [self.recent_list.item(i).text() for i in range(self.recent_list.count())]
        if listed != texts[:len(listed)] or not listed and texts:
            self.recent_list.clear()
            self.recent_list.addItems(texts[:1])
        if self.recent_list.isVisible() and texts:
            self.recent_list.ensurePolished()
            row = max(1, self.recent_list.sizeHintForRow(0))
            texts = texts[:max(1, self.recent_list.viewport().height() // row)]
        while self.recent_list.count() > len(texts):
            self.recent_list.takeItem(self.recent_list.count() - 1)
        self.recent_list.addItems(texts[self.recent_list.count():])

    def _render_windows(self) -> None:
        """Update each window's row (made once per window, not on every event) and show
        the current page: a big hall's windows are shown a page at a time, in turn."""
        numbers = sorted(self.windows)
        if set(numbers) != set(self._rows):
            for number_label, now_label in self._rows.values():
                number_label.deleteLater()
                now_label.deleteLater()
            self._rows = {}
            for i, number in enumerate(numbers):
                number_label, now_label = QLabel(), QLabel()
                number_label.setProperty("class", "windowNo")
                now_label.setProperty("class", "windowNow")
                self.windows_grid.addWidget(number_label, i, 0)
                self.windows_grid.addWidget(now_label, i, 1)
                self._rows[number] = (number_label, now_label)
        for number in numbers:
            w = self.windows[number]
            number_label, now_label = self._rows[number]
            number_label.setText(self.tr("{n} 号 {name}").format(n=number, name=w.get("name") or ""))
            state = w.get("state")
            now_label.setText(self.tr("暂停") if state == "paused" else self.tr("未开")
                              if state == "closed" else w.get("current") or "—")
        self._show_page()

    def _show_page(self) -> None:
        numbers = sorted(self._rows)
        per_page = self.page_size
        pages = max(1, -(-len(numbers) // per_page))
        self._page %= pages
        shown = set(numbers[self._page * per_page:(self._page + 1) * per_page])
        for number, (number_label, now_label) in self._rows.items():
            number_label.setVisible(number in shown)
            now_label.setVisible(number in shown)
        self.page_label.setText(self.tr("第 {p}/{n} 页").format(p=self._page + 1, n=pages)
                                if pages > 1 else "")
        self.page_label.setVisible(pages > 1)
        if pages > 1 and not self._pager.isActive():
            self._pager.start()
        elif pages == 1:
            self._pager.stop()

    def _next_page(self) -> None:
        self._page += 1
        self._show_page()

    def window_text(self, number: int) -> str:
        found = self._rows.get(number)
        return found[1].text() if found is not None else ""

    def _render_waiting(self) -> None:
        """The lower right: the total, then each service with people waiting, two columns."""
        for label in [*self._waiting_rows, *([self.more_label] if self.more_label else [])]:
            self.waiting_grid.removeWidget(label)
            label.deleteLater()
        self._waiting_rows = []
        self.more_label = None
        order = list(self.services) + sorted(set(self.waiting) - set(self.services))
        listed = [code for code in order if sum(self.waiting.get(code, {}).values())]
        limit = self.services_shown
        more = 0
        if limit < 0:
            more, listed = len(listed), []
        elif limit and len(listed) > limit:
            more, listed = len(listed) - limit, listed[:limit]
        for code in listed:
            total = sum(self.waiting.get(code, {}).values())
            i = len(self._waiting_rows) // 2
            name = QLabel(self.services.get(code, code))
            count = QLabel(self.tr("{n} 人").format(n=total))
            count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, label in enumerate((name, count)):
                label.setProperty("class", "waitingRow")
                self.waiting_grid.addWidget(label, i // 2, (i % 2) * 2 + column)
                self._waiting_rows.append(label)
        if more and listed:             # in the last cell: how many more services wait
            i = len(listed)
            self.more_label = QLabel(self.tr("…等 {n} 项").format(n=more))
            self.more_label.setProperty("class", "waitingRow")
            self.waiting_grid.addWidget(self.more_label, i // 2, (i % 2) * 2, 1, 2)
        total = sum(sum(by.values()) for by in self.waiting.values())
        self.waiting_label.setText(self.tr("正在等候 {n} 人").format(n=total) if total
                                   else self.tr("当前无人等候"))

    def waiting_rows(self) -> list[str]:
        """Each service with people waiting, as shown: "综合受理 3 人" (and "…等 2 项"
        when more wait than fit)."""
        texts = [label.text() for label in self._waiting_rows]
        rows = [f"{name} {count}" for name, count in zip(texts[::2], texts[1::2], strict=True)]
        return rows + ([self.more_label.text()] if self.more_label is not None else [])
