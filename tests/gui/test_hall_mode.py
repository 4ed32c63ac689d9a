"""The counter, the kiosk and the hall panel against a real hall server on loopback."""

from __future__ import annotations

import io
import time

import pytest
from PySide6.QtCore import Qt

from hallclient.devices.speech import Announcer
from hallclient.secrets import write_secret
from hallclient.services.hall_events import HallEventsService
from hallclient.services.lanes import HALL
from hallclient.ui.panel_window import PanelWindow
from hallclient.wire.hall import DeviceKind

from ..integration.hall_fixtures import start_hall
from .conftest import sign_in


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path / "hall", demo_hall)
    yield h
    h.close()


def server_rows(hall, sql: str) -> list[tuple]:
    return hall.server.hall.worker.submit(lambda c: c.db.conn.execute(sql).fetchall()).result()


def hall_counter_app(start_app, hall, tmp_path, window: int = 1, argv=()):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    kind = DeviceKind.KIOSK if "kiosk" in argv else DeviceKind.COUNTER
    write_secret(data, hall.server.add_device(f"PC{window}", kind, window if kind is
                                              DeviceKind.COUNTER else None), kind="hall")
    return start_app(tickets=(), argv=argv, config={
        "queue.source": "hall", "hall.server_url": hall.url, "kiosk.printer": "pdf"})


def test_counter_follows_the_hall_live_and_serves_by_hand_when_it_is_away(
        qtbot, start_app, hall, tmp_path):
    app = hall_counter_app(start_app, hall, tmp_path)
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: "已连接" in window.source_label.text())
    kiosk = hall.kiosk()
    kiosk.issue("ZH")
    kiosk.issue("ZH")
    # another device changed the queue: the counter's waiting count follows by itself
    qtbot.waitUntil(lambda: window.counter_page.waiting_model.total() == 2, timeout=5000)
    window.actions_by_name["call_next"].trigger()
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "A001")
    window.actions_by_name["start"].trigger()
    qtbot.waitUntil(lambda: window.actions_by_name["finish"].isEnabled())
    window.actions_by_name["finish"].trigger()
    qtbot.waitUntil(lambda: window.counter_page.is_empty())

    hall.stop()
    qtbot.waitUntil(lambda: "中断" in window.source_label.text(), timeout=3000)
    assert window.window_state_label.text() == "手工接待"
    assert not window.actions_by_name["call_next"].isEnabled()
    assert "手工接待" in window.message_label.text()
    assert window.message_label.wordWrap()          # the whole message shows, never cut off
    banner = window.counter_page.state_banner       # and what to do stays in view
    assert banner.isVisible() and "指定呼叫" in banner.text()
    window.counter_page.number_edit.setText("A002")
    window.actions_by_name["call_specific"].trigger()
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "A002")
    assert "手工接待" in window.counter_page.ticket_info.text()
    window.actions_by_name["finish"].trigger()
    qtbot.waitUntil(lambda: "待补传 1" in window.source_label.text())
    # a walk-in with no ticket: no number, 指定呼叫
    window.counter_page.number_edit.clear()
    window.actions_by_name["call_specific"].trigger()
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "无号")
    window.actions_by_name["finish"].trigger()
    qtbot.waitUntil(lambda: "待补传 2" in window.source_label.text())

    hall.restart()
    qtbot.waitUntil(lambda: "已连接" in window.source_label.text()
                    and "待补传" not in window.source_label.text(), timeout=10000)
    assert window.window_state_label.text() == "服务中"
    assert dict(server_rows(hall, "SELECT number, state FROM tickets")) == {
        "A001": "finished", "A002": "finished"}
    assert server_rows(hall, "SELECT window, ticket FROM event_log WHERE action ="
                             " 'manual_service'") == [(1, None)]


def test_kiosk_takes_tickets_from_the_hall_server(qtbot, start_app, hall, tmp_path):
    app = hall_counter_app(start_app, hall, tmp_path, argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    with qtbot.waitSignal(app.kiosk.ticket_issued):
        qtbot.mouseClick(kiosk.service_buttons["SC"], Qt.MouseButton.LeftButton)
    assert kiosk.issued_number.text() == "B001"
    assert server_rows(hall, "SELECT number, service FROM tickets") == [("B001", "SC")]
    hall.stop()
    qtbot.waitUntil(kiosk.service_buttons["ZH"].isEnabled)     # after the ticket has printed
    with qtbot.waitSignal(app.kiosk.issue_failed):
        qtbot.mouseClick(kiosk.service_buttons["ZH"], Qt.MouseButton.LeftButton)
    assert "暂时无法取号" in kiosk.message.text()
    assert kiosk.service_buttons["ZH"].isEnabled()      # the next applicant can try again


def test_panel_shows_calls_and_announces_them_one_after_another(qtbot, hall):
    events = HallEventsService(hall.url, hall.token("P1", DeviceKind.PANEL))
    announcer = Announcer(speech=False)
    panel = PanelWindow("示范县政务服务中心", events, announcer, call_ms=400)
    qtbot.addWidget(panel)
    spoken: list[tuple[float, str]] = []
    announcer.announced.connect(lambda shown, _s, _v: spoken.append((time.monotonic(), shown)))
    events.start()
    qtbot.waitUntil(lambda: 1 in panel.windows and panel.link_up)
    assert panel.link_label.isHidden() and "已连接" not in panel.link_label.text()   # a public screen
    kiosk = hall.kiosk()
    for _ in range(4):
        kiosk.issue("ZH")
    qtbot.waitUntil(lambda: "正在等候 4 人" in panel.waiting_label.text())
    assert panel.waiting_rows() == ["综合受理 4 人"]          # per service, lower right
    counters = {w: hall.counter(w) for w in (1, 2, 5)}
    for w, q in counters.items():       # three windows call within a few milliseconds
        q.sign_in(w, f"c{w}")
        q.call_next(w, f"c{w}")
    qtbot.waitUntil(lambda: len(spoken) == 3, timeout=5000)
    assert [s for _, s in spoken] == ["请A001号到1号窗口办理", "请A002号到2号窗口办理",
                                      "请A003号到5号窗口办理"]
    gaps = [b - a for (a, _), (b, _) in zip(spoken, spoken[1:], strict=False)]
    assert min(gaps) >= 0.3, f"calls overlapped: {gaps}"
    assert [panel.window_text(w) for w in (1, 2, 5)] == ["A001", "A002", "A003"]
    assert panel.call_number.text() == "A003"
    assert "正在等候 1 人" in panel.waiting_label.text()
    assert panel.recent_list.item(0).text().startswith("A003")

    counters[1].recall(1, "c1", counters[1].snapshot(1).current.id)
    qtbot.waitUntil(lambda: len(spoken) == 4)
    assert spoken[-1][1] == "请A001号到1号窗口办理"
    t = counters[2].snapshot(2).current
    counters[2].finish(2, "c2", counters[2].start(2, "c2", t.id).id)
    qtbot.waitUntil(lambda: panel.window_text(2) == "—")

    # the server goes away and comes back: the panel says so and carries on by itself
    hall.stop()
    qtbot.waitUntil(lambda: "连接中断" in panel.link_label.text(), timeout=5000)
    assert not panel.link_label.isHidden()
    hall.restart()
    qtbot.waitUntil(lambda: panel.link_up and panel.link_label.isHidden(), timeout=10000)
    counters[2].call_next(2, "c2")
    qtbot.waitUntil(lambda: len(spoken) == 5, timeout=5000)
    assert spoken[-1][1] == "请A004号到2号窗口办理"
    events.stop()


def test_panel_command_joins_the_hall_and_says_when_its_token_is_refused(qtbot, hall, tmp_path):
    from hallclient.app import main

    data = tmp_path / "panel-pc"
    token = hall.token("P9", DeviceKind.PANEL)
    with __import__("unittest.mock").mock.patch("sys.stdin", io.StringIO(token + "\n")):
        assert main(["--data-dir", str(data), "admin", "join-hall", hall.url, "P9",
                     "--token-stdin"]) == 0
    app = main(["--data-dir", str(data), "panel", "--windowed"])
    try:
        qtbot.addWidget(app.panel)
        qtbot.waitUntil(lambda: app.panel.link_up)
        qtbot.waitUntil(lambda: 7 in app.panel.windows)
        assert app.panel.isVisible()
    finally:
        app.close()
    write_secret(data, "revoked", kind="hall")
    app = main(["--data-dir", str(data), "panel", "--windowed"])
    try:
        qtbot.addWidget(app.panel)
        qtbot.waitUntil(lambda: "令牌" in app.panel.link_label.text(), timeout=5000)
    finally:
        app.close()


def test_panel_demo_shows_a_working_hall(qtbot):
    from hallclient.app import main

    app = main(["panel", "--windowed", "--demo"])
    try:
        qtbot.addWidget(app.panel)
        qtbot.waitUntil(lambda: app.panel.link_up, timeout=10000)
        qtbot.waitUntil(lambda: len(app.panel.announced) >= 1, timeout=15000)
        number, window = app.panel.announced[0]
        assert window in app.panel.windows and number[0] in "ABCDEF"
    finally:
        app.close()


def test_a_big_hall_is_shown_a_page_of_windows_at_a_time(qtbot):
    events = HallEventsService("http://127.0.0.1:9", "unused")      # never started
    panel = PanelWindow("示范大厅", events, Announcer(speech=False))
    qtbot.addWidget(panel)
    panel.show()
    panel.resize(1920, 1080)
    qtbot.waitUntil(lambda: panel.height() == 1080)
    per_page = panel.page_size
    assert 5 <= per_page < 10
    panel.show_state({"windows": [{"number": n, "name": f"窗口{n}", "state": "open",
                                   "current": None} for n in range(1, 31)],
                      "services": [], "waiting": {}, "recent_calls": [], "seq": 0})
    pages = -(-30 // per_page)
    visible = [n for n, (_, now) in panel._rows.items() if not now.isHidden()]
    assert visible == list(range(1, per_page + 1)) and panel.page_label.text() == f"第 1/{pages} 页"
    panel.apply_event({"seq": 1, "action": "call", "window": 25, "ticket": "A001",
                       "waiting": {}})
    assert panel.window_text(25) == "A001"          # kept up to date while off the page
    for _ in range(pages - 1):
        panel._next_page()
    visible = [n for n, (_, now) in panel._rows.items() if not now.isHidden()]
    assert visible == list(range((pages - 1) * per_page + 1, 31))
    assert panel.page_label.text() == f"第 {pages}/{pages} 页"
    panel._next_page()
    assert panel.page_label.text() == f"第 1/{pages} 页"


def test_the_panel_sizes_its_lists_from_the_screen(qtbot):
    """Readable from across the hall on a 1366×768 screen, and twice as large on 4K."""
    events = HallEventsService("http://127.0.0.1:9", "unused")      # never started
    panel = PanelWindow("示范大厅", events, Announcer(speech=False))
    qtbot.addWidget(panel)
    panel.show_state({"windows": [{"number": n, "name": f"窗口{n}", "state": "open",
                                   "current": f"A00{n}"} for n in range(1, 8)],
                      "services": [{"code": "ZH", "name": "综合受理", "prefix": "A"}],
                      "waiting": {"ZH": {"0": 3}}, "recent_calls": [], "seq": 0})
    panel.show()
    sizes = {}
    for width, height in ((1366, 768), (1920, 1080), (3840, 2160)):
        panel.resize(width, height)
        qtbot.waitUntil(lambda h=height: panel.height() == h)
        now = panel._rows[1][1]
        now.ensurePolished()
        sizes[height] = (now.font().pixelSize(), panel.page_size)
    assert sizes[768][0] >= 40                       # about 35 mm on a 43-inch screen
    assert sizes[2160][0] == 2 * sizes[1080][0]      # 4K: the same size on the wall
    assert sizes[768][1] == sizes[1080][1] == sizes[2160][1] == 7      # the demo hall at once
    assert panel.waiting_rows() == ["综合受理 3 人"]


def test_a_service_the_hall_refuses_is_shown_to_the_clerk_to_correct_or_withdraw(
        qtbot, start_app, hall, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    app = hall_counter_app(start_app, hall, tmp_path)
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: "已连接" in window.source_label.text())
    kiosk = hall.kiosk()
    for _ in range(3):
        kiosk.issue("ZH")
    hall.stop()
    qtbot.waitUntil(lambda: "中断" in window.source_label.text(), timeout=3000)
    for number in ("A001", "A002"):
        window.counter_page.number_edit.setText(number)
        window.actions_by_name["call_specific"].trigger()
        qtbot.waitUntil(lambda n=number: window.counter_page.ticket_number.text() == n)
        window.actions_by_name["finish"].trigger()
        qtbot.waitUntil(lambda n=number: window.counter_page.ticket_number.text() != n)
    qtbot.waitUntil(lambda: "待补传 2" in window.source_label.text())
    # the first was recorded at a window this PC may not serve (as an old version could)
    def misfile(ctx):
        with ctx.queue.db.write() as conn:
            conn.execute("UPDATE manual_services SET window = 3 WHERE ticket = 'A001'")
    app.runner.run(HALL, misfile)
    hall.restart()
    qtbot.waitUntil(lambda: window.aside_button.isVisible(), timeout=10000)
    assert window.aside_button.text() == "手工接待需处理 1 条"
    assert "待补传" not in window.source_label.text()       # the other one went up
    window.actions_by_name["call_next"].trigger()            # and the counter calls on
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "A001")

    window.aside_button.click()
    dialog = window._manual_review
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert "1 号窗口" in dialog.model.data(dialog.model.index(0, 4))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("记错了窗口", True))
    dialog.void_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0)
    qtbot.waitUntil(lambda: not window.aside_button.isVisible())
    actions = [a for (a,) in app.reader.rows("SELECT action FROM event_log")]
    assert actions.count("manual_refused") == 1 and actions.count("manual_voided") == 1


def test_a_counter_whose_token_is_revoked_says_so_in_red_and_serves_by_hand(
        qtbot, start_app, hall, tmp_path):
    from hallclient.servers.hall_devices import revoke_device

    app = hall_counter_app(start_app, hall, tmp_path)
    window = app.window
    sign_in(qtbot, app)
    qtbot.waitUntil(lambda: "已连接" in window.source_label.text())
    assert hall.server.hall.worker.submit(lambda core: revoke_device(core.db, "PC1")).result()
    # the event stream is refused at its next check: the counter does not stay green
    qtbot.waitUntil(lambda: "不认本机" in window.source_label.text(), timeout=10000)
    assert "已连接" not in window.source_label.text()
    assert "#c0392b" in window.source_label.styleSheet()
    assert window.window_state_label.text() == "手工接待"
    assert "信息管理员" in window.message_label.text()
    assert "暂时无法更新" in window.counter_page.waiting_total.text()      # not 「共 0 人等候」
    window.counter_page.number_edit.clear()
    window.actions_by_name["call_specific"].trigger()          # a walk-in, served by hand
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "无号")
    window.actions_by_name["finish"].trigger()
    qtbot.waitUntil(lambda: "待补传 1" in window.source_label.text())

    # a new token (the IT admin re-keys the PC and runs admin join-hall): taken without a
    # restart, and what was served by hand goes up
    write_secret(tmp_path / "data", hall.server.add_device("PC1", DeviceKind.COUNTER, 1), kind="hall")
    qtbot.waitUntil(lambda: "已连接" in window.source_label.text()
                    and "待补传" not in window.source_label.text(), timeout=15000)
    assert server_rows(hall, "SELECT window FROM event_log WHERE action = 'manual_service'") == [(1,)]
    hall.kiosk().issue("ZH")
    window.actions_by_name["call_next"].trigger()
    qtbot.waitUntil(lambda: window.counter_page.ticket_number.text() == "A001")


def test_a_counter_bound_to_a_window_signs_in_at_that_window(qtbot, start_app, hall, tmp_path):
    """The hall server binds this PC's device token to window 2: sign-in offers no other."""
    app = hall_counter_app(start_app, hall, tmp_path, window=2)
    box = app.window.sign_in_page.window_box
    qtbot.waitUntil(lambda: box.count() == 1)
    assert box.currentData() == 2 and not box.isEnabled()
    sign_in(qtbot, app, window=2)
    assert app.window.clerk_label.text().endswith("2 号窗口")


def test_a_kiosk_on_the_hall_server_takes_a_green_ticket_by_card_and_calls_for_help(
        qtbot, start_app, hall, tmp_path):
    """The demo reader's first card (born 1949) at a kiosk whose queue is the hall server's:
    绿色通道 by age, the server keeping four characters and a check; 请工作人员协助 reaches
    a counter."""
    app = hall_counter_app(start_app, hall, tmp_path, argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    qtbot.mouseClick(kiosk.swipe_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已为您开通绿色通道" in kiosk.message.text(), timeout=10000)
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000):
        qtbot.mouseClick(kiosk.service_buttons["ZH"], Qt.MouseButton.LeftButton)
    assert server_rows(hall, "SELECT priority, reason, id_masked FROM tickets") == [
        (2, "老年人", "**************002X")]
    counter = hall.counter(1)
    counter.sign_in(1, "li")
    with qtbot.waitSignal(app.kiosk.help_sent, timeout=10000):
        qtbot.mouseClick(kiosk.help_button, Qt.MouseButton.LeftButton)
    assert "已通知工作人员" in kiosk.message.text()
    assert len(counter.snapshot(1).help_calls) == 1
