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
