"""What the counter shows follows the window's state: the window display (窗口屏), the
paused banner, the lock screen, the transfer chooser, the current ticket; and the window
fits the screen and opens where it was last."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHeaderView

from .conftest import PASSWORD, sign_in
from .test_counter_window import press


def strip(app) -> str:
    return app.window.counter_page.display_text.text()


def test_the_window_display_never_sends_anyone_to_a_ticket_let_go(qtbot, start_app):
    app = start_app(tickets=("ZH", "ZH", "ZH", "ZH"))
    w, q = app.window, app.queue
    sign_in(qtbot, app)
    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert strip(app) == "请A001号到1号窗口办理"
    press(qtbot, app, Qt.Key.Key_F3, q.ticket_no_show)            # 过号
    assert "A001" not in strip(app) and strip(app) == "1 号窗口 · 请等候叫号"

    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert strip(app) == "请A002号到1号窗口办理"
    qtbot.keyClick(w, Qt.Key.Key_F6)                              # 转移
    with qtbot.waitSignal(q.ticket_transferred):
        qtbot.keyClick(w._chooser.targets, Qt.Key.Key_Return)
    assert "A002" not in strip(app)

    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    press(qtbot, app, Qt.Key.Key_F4, q.ticket_started)
    assert "A003" in strip(app)
    press(qtbot, app, Qt.Key.Key_F5, q.ticket_finished)           # 办结
    assert "A003" not in strip(app)

    press(qtbot, app, Qt.Key.Key_F8, q.window_paused)             # 暂停: unmistakable
    assert strip(app) == "1 号窗口 · 暂停服务"
    banner = w.counter_page.state_banner
    assert banner.isVisible() and banner.text().startswith("暂停服务中") and "F8" in banner.text()
    press(qtbot, app, Qt.Key.Key_F12, app.session.locked)        # the lock screen says so too
    assert w.lock_page.window_state.text() == "暂停服务"
    assert w.lock_page.window_state.property("paused") == "true"
    qtbot.keyClicks(w.lock_page.password, PASSWORD)
    with qtbot.waitSignal(app.session.unlocked):
        qtbot.keyClick(w.lock_page.password, Qt.Key.Key_Return)
    press(qtbot, app, Qt.Key.Key_F8, q.window_resumed)
    assert not banner.isVisible() and strip(app) == "1 号窗口 · 请等候叫号"
    assert w.lock_page.window_state.text() == "服务中"


def test_transfer_chooses_a_target_by_keyboard_and_says_where_it_went(qtbot, start_app):
    app = start_app(tickets=("ZH", "ZH", "SC"))
    w, q, r = app.window, app.queue, app.reader
    sign_in(qtbot, app)
    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    transferred = []
    q.ticket_transferred.connect(transferred.append)

    qtbot.keyClick(w, Qt.Key.Key_F6)
    chooser = w._chooser
    assert chooser.isVisible()
    qtbot.waitUntil(chooser.targets.hasFocus)
    offered = [chooser.targets.item(i).text() for i in range(chooser.targets.count())]
    assert not any("综合受理（A）" in t for t in offered)        # never its own queue
    assert not any("1 号窗口" in t for t in offered)             # nor this window
    assert any("市场监管" in t for t in offered) and any("3 号窗口" in t for t in offered)
    qtbot.keyClick(chooser.targets, Qt.Key.Key_Escape)           # Esc: nothing happens
    assert not chooser.isVisible()
    qtbot.waitUntil(lambda: app.runner.pending == 0)
    assert transferred == [] and r.state("A001") == "called"

    qtbot.keyClick(w, Qt.Key.Key_F6)                             # again: down to 人社, Enter
    row = next(i for i, t in enumerate(offered) if "人社" in t)
    for _ in range(row):
        qtbot.keyClick(chooser.targets, Qt.Key.Key_Down)
    with qtbot.waitSignal(q.ticket_transferred):
        qtbot.keyClick(chooser.targets, Qt.Key.Key_Return)
    assert r.rows("SELECT state, service FROM tickets WHERE number='A001'") == [("waiting", "RS")]
    assert w.message_label.text() == "A001 已转到 人社·社保医保"

    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)            # a window as the target
    qtbot.keyClick(w, Qt.Key.Key_F6)
    window_row = next(i for i in range(chooser.targets.count())
                      if "3 号窗口" in chooser.targets.item(i).text())
    chooser.targets.setCurrentRow(window_row)
    with qtbot.waitSignal(q.ticket_transferred) as blocker:
        qtbot.keyClick(chooser.targets, Qt.Key.Key_Return)
    assert w.message_label.text().startswith(f"{blocker.args[0].number} 已转到 3 号窗口")


def test_current_ticket_its_wait_the_primary_call_and_whole_service_names(qtbot, start_app):
    app = start_app()
    w, q = app.window, app.queue
    sign_in(qtbot, app)
    page = w.counter_page
    assert page.is_empty() and page.ticket_number.text() == "未叫号"     # no bold bar
    press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert not page.is_empty() and page.ticket_number.text() == "A001"
    assert page.ticket_wait.text().startswith("已等候")
    # 呼叫下一位 stands apart from the others; the others are grouped
    assert page.buttons["call_next"].parent() is page
    assert all(page.buttons[n].parent() is not page for n in page.buttons if n != "call_next")
    header = page.waiting_view.horizontalHeader()
    assert header.sectionResizeMode(1) == QHeaderView.ResizeMode.ResizeToContents
    assert page.waiting_view.textElideMode() == Qt.TextElideMode.ElideNone


def test_network_problems_are_said_in_chinese():
    import requests

    from hallclient.core.network_words import network_problem

    for exc in (requests.exceptions.ConnectionError("x"), requests.exceptions.ReadTimeout("x"),
                ConnectionRefusedError(), OSError()):
        words = network_problem(exc)
        assert words and not any("a" <= c.lower() <= "z" for c in words), words


def test_case_detail_names_uploads_in_chinese():
    from hallclient.ui.case_list import case_detail_html

    case = {"case_no": "N1", "status": 3, "item_name": "事项", "applicant_name": "张三",
            "id_number": "110101199003077777", "mobile": "13800138000",
            "received_at": "2026-01-01T09:00", "window": 1, "clerk": "li", "promised_date": None,
            "materials": [], "attachments": [],
            "outbox": [{"version": 1, "state": "done"}, {"version": 2, "state": "pending"}]}
    text = case_detail_html(case)
    assert "第 1 版 已上传" in text and "第 2 版 待上传" in text
    assert "done" not in text and "v1" not in text


# -- sizes from the screen, places remembered ------------------------------------------------

LAPTOP = QRect(0, 0, 1366, 728)          # 1366×768 less a 40 px taskbar


def test_a_window_with_nothing_saved_fits_the_laptop_screen():
    from hallclient.ui.geometry import fit_rect

    rect = fit_rect(None, [LAPTOP], (0.96, 0.96), QSize(900, 600))
    assert LAPTOP.contains(rect) and rect.height() <= 728 - 40


def test_a_saved_place_off_every_screen_comes_back_onto_one():
    from hallclient.ui.geometry import fit_rect

    gone = QRect(2000, 100, 1200, 800)             # the second monitor is not there today
    rect = fit_rect(gone, [LAPTOP], (0.9, 0.9))
    assert LAPTOP.contains(rect)
    big = QRect(-50, -20, 1900, 1000)              # saved on a bigger screen
    assert LAPTOP.contains(fit_rect(big, [LAPTOP], (0.9, 0.9)))


def test_the_counter_fits_the_screen_and_opens_where_it_was_left(qtbot, start_app, tmp_path):
    app = start_app()
    available = QGuiApplication.primaryScreen().availableGeometry()
    assert available.contains(app.window.geometry())
    sign_in(qtbot, app)
    assert available.contains(app.window.geometry())
    place = QRect(available.x() + 5, available.y() + 8, available.width() - 20, available.height() - 24)
    app.window.setGeometry(place)
    app.window.close()                         # as at the end of the day
    assert "counter" in (tmp_path / "data" / "state.ini").read_text(encoding="utf-8")

    from hallclient.app import main

    again = main(["--data-dir", str(tmp_path / "data")])
    try:
        qtbot.addWidget(again.window)
        qtbot.waitUntil(lambda: again.sync is not None)      # started up whole before it closes
        assert again.window.geometry() == place
        assert "hallclient" not in again.window.windowTitle()
    finally:
        again.close()
