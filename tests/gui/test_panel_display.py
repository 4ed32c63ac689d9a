"""The hall panel as the hall sees it: the big number is the latest call, and every line
fits the screen, with and without the training banner."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QListWidget

from hallclient.devices.speech import Announcer
from hallclient.services.hall_events import HallEventsService
from hallclient.ui.panel_window import PanelWindow
from hallclient.ui.training import mark_training
from hallclient.wire.hall import DeviceKind

from ..integration.hall_fixtures import start_hall


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path / "hall", demo_hall)
    yield h
    h.close()


def test_the_big_number_is_always_the_latest_call_a_recall_too(qtbot, hall):
    """Calls come faster than they are said: the list, the window rows and the big number
    all show the newest call at once (the voice follows at its own pace)."""
    events = HallEventsService(hall.url, hall.token("P1", DeviceKind.PANEL))
    # a long pace: the second call waits for its turn to be said, not to be shown
    panel = PanelWindow("示范县政务服务中心", events, Announcer(speech=False), call_ms=600_000)
    qtbot.addWidget(panel)
    events.start()
    qtbot.waitUntil(lambda: 1 in panel.windows and panel.link_up)
    kiosk = hall.kiosk()
    for _ in range(3):
        kiosk.issue("ZH")
    counters = {w: hall.counter(w) for w in (1, 2)}
    for w, q in counters.items():
        q.sign_in(w, f"c{w}")
    counters[1].call_next(1, "c1")
    qtbot.waitUntil(lambda: panel.call_number.text() == "A001")
    counters[2].call_next(2, "c2")
    qtbot.waitUntil(lambda: panel.recent_list.item(0).text().startswith("A002"))
    assert panel.call_number.text() == "A002"
    assert "A002号到2号窗口" in panel.call_text.text()
    assert [n for n, _ in panel.pending] == ["A002"]       # still to be said, in order
    # 重呼 of the older ticket: it is the latest call now
    counters[1].recall(1, "c1", counters[1].snapshot(1).current.id)
    qtbot.waitUntil(lambda: len(panel.pending) == 2)
    assert panel.recent_list.item(0).text().startswith("A001")
    assert panel.call_number.text() == "A001"
    assert "A001号到1号窗口" in panel.call_text.text()

    # a panel that joins later shows the hall's latest call, not a dash
    late_events = HallEventsService(hall.url, hall.token("P2", DeviceKind.PANEL))
    late = PanelWindow("示范县政务服务中心", late_events, Announcer(speech=False))
    qtbot.addWidget(late)
    late_events.start()
    qtbot.waitUntil(lambda: late.recent_list.count() == 3)
    assert late.call_number.text() == "A001" and late.window_text(2) == "A002"
    late_events.stop()
    events.stop()


SERVICES = ["综合受理", "市场监管·企业开办", "人社·社保医保", "不动产登记", "公安·户政出入境",
            "咨询·帮办代办", "税务·发票申领", "公积金", "医保报销", "残联", "民政·婚姻登记",
            "交通·驾驶证"]


def hall_state(services: int) -> dict:
    codes = [f"S{i}" for i in range(services)]
    return {"windows": [{"number": n, "name": f"窗口{n}", "state": "open", "current": f"A00{n}"}
                        for n in range(1, 8)],
            "services": [{"code": c, "name": SERVICES[i], "prefix": "A"} for i, c in enumerate(codes)],
            "waiting": {c: {"0": i + 1} for i, c in enumerate(codes)},
            "recent_calls": [{"seq": 10 - n, "at": "", "window": n, "ticket": f"A00{n}",
                              "action": "call"} for n in range(1, 8)], "seq": 10}


def cut_lines(panel: PanelWindow) -> list[str]:
    """Every label shown that is not whole inside the window, and the calls listed that
    the list shows only in part."""
    cut = []
    for label in panel.findChildren(QLabel):
        if not label.isVisibleTo(panel) or not label.text().strip():
            continue
        top = label.mapTo(panel, label.rect().topLeft()).y()
        if top + label.height() > panel.height() or \
                label.height() < label.minimumSizeHint().height():
            cut.append(f"{label.text()!r} at {top}+{label.height()} of {panel.height()}")
    recent: QListWidget = panel.recent_list
    for i in range(recent.count()):
        if recent.visualItemRect(recent.item(i)).bottom() > recent.viewport().height():
            cut.append(f"recent {recent.item(i).text()!r}")
    return cut


@pytest.mark.parametrize("training", [False, True], ids=["real", "training"])
def test_every_line_of_the_panel_shows_whole_at_1366_and_1920(qtbot, training):
    events = HallEventsService("http://127.0.0.1:9", "unused")      # never started
    panel = PanelWindow("示范县政务服务中心", events, Announcer(speech=False))
    qtbot.addWidget(panel)
    panel.show_state(hall_state(6))             # the demo hall: six services waiting
    panel.show()
    if training:
        mark_training(panel, public=True)
    for width, height in ((1366, 768), (1920, 1080)):
        panel.resize(width, height)
        qtbot.waitUntil(lambda h=height: panel.height() == h)
        qtbot.waitUntil(lambda: not cut_lines(panel), timeout=3000)
        assert len(panel.waiting_rows()) == 6           # all six services, whole
        assert panel.page_label.isHidden()              # all seven windows at once
        assert all(panel.window_text(n) == f"A00{n}" for n in range(1, 8))
        assert panel.recent_list.count() >= 3
    # a big hall: more services wait than fit; the last line says how many more
    panel.show_state(hall_state(12))
    for width, height in ((1366, 768), (1920, 1080)):
        panel.resize(width, height)
        qtbot.waitUntil(lambda h=height: panel.height() == h)
        qtbot.waitUntil(lambda: not cut_lines(panel), timeout=3000)
        rows = panel.waiting_rows()
        if len(rows) < 12:
            assert rows[-1] == f"…等 {12 - (len(rows) - 1)} 项", rows
            assert len(rows) >= 4
