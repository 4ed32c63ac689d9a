"""A clerk's day at window 1, driven through the real window with keys and clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hallclient.store.db import DB_FILE  # noqa: F401  (the app writes where the test reads)

from .conftest import PASSWORD, sign_in


def press(qtbot, app, key, signal):
    failures = []
    app.queue.action_failed.connect(failures.append)
    try:
        with qtbot.waitSignal(signal, timeout=5000) as blocker:
            qtbot.keyClick(app.window, key)
    finally:
        app.queue.action_failed.disconnect(failures.append)
    assert failures == []
    return blocker.args


def test_wrong_password_is_refused_then_sign_in_works(qtbot, start_app):
    app = start_app()
    page = app.window.sign_in_page
    assert app.window.stack.currentWidget() is page
    qtbot.keyClicks(page.username, "li")
    qtbot.keyClicks(page.password, "wrong")
    with qtbot.waitSignal(app.session.sign_in_failed):
        qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "用户名或密码错误"
    assert app.window.stack.currentWidget() is page
    sign_in(qtbot, app)
    assert app.window.stack.currentWidget() is app.window.counter_page
    assert app.window.clerk_label.text() == "李𠮷 · 1 号窗口"
    assert app.window.window_state_label.text() == "服务中"
    assert app.reader.rows("SELECT state, clerk FROM windows WHERE number = 1") == [("open", "li")]
    assert app.reader.actions()[-2:] == ["sign_in_failed", "sign_in"]


def test_clerks_day_with_the_keypad(qtbot, start_app):
    app = start_app(config={"queue.recall_limit": "2"})
    w, q, r = app.window, app.queue, app.reader
    sign_in(qtbot, app)
    assert w.counter_page.waiting_model.total() == 4
    assert w.counter_page.waiting_total.text() == "共 4 人等候"

    # F1 call: big number, window display text, database
    (ticket,) = press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert ticket.number == "A001"
    assert w.counter_page.ticket_number.text() == "A001"
    assert w.counter_page.display_text.text() == "请A001号到1号窗口办理"
    assert "已呼叫" in w.counter_page.ticket_info.text() and "重呼 0/2" in w.counter_page.ticket_info.text()
    assert r.state("A001") == "called"
    assert not w.actions_by_name["call_next"].isEnabled()

    # F2 recall to the limit, then the next recall turns into an automatic no-show
    press(qtbot, app, Qt.Key.Key_F2, q.ticket_recalled)
    press(qtbot, app, Qt.Key.Key_F2, q.ticket_recalled)
    assert "重呼 2/2" in w.counter_page.ticket_info.text()
    number_and_auto = press(qtbot, app, Qt.Key.Key_F2, q.ticket_no_show)
    assert number_and_auto[0].number == "A001" and number_and_auto[1] is True
    assert w.counter_page.is_empty()
    assert r.state("A001") == "no_show"
    no_shows = w.counter_page.no_show_list
    assert [no_shows.item(i).text().split()[0] for i in range(no_shows.count())] == ["A001"]
    assert "自动过号" in w.message_label.text()

    # the applicant comes back: select the no-show and F10 reactivates it
    w.counter_page.no_show_list.setCurrentRow(0)
    press(qtbot, app, Qt.Key.Key_F10, q.ticket_reactivated)
    assert r.state("A001") == "waiting" and w.counter_page.no_show_list.count() == 0

    # call again (A001 kept its place), start, transfer to 市场监管
    (ticket,) = press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert ticket.number == "A001"
    press(qtbot, app, Qt.Key.Key_F4, q.ticket_started)
    assert r.state("A001") == "serving" and "办理中" in w.counter_page.ticket_info.text()
    qtbot.keyClick(w, Qt.Key.Key_F6)          # the chooser: 市场监管 is the first other service
    chooser = w._chooser
    assert chooser is not None and chooser.isVisible()
    with qtbot.waitSignal(q.ticket_transferred):
        qtbot.keyClick(chooser.targets, Qt.Key.Key_Return)
    assert r.rows("SELECT state, service FROM tickets WHERE number='A001'") == [("waiting", "SC")]

    # next applicant: start and finish
    (ticket,) = press(qtbot, app, Qt.Key.Key_F1, q.ticket_called)
    assert ticket.number == "A002"
    press(qtbot, app, Qt.Key.Key_F4, q.ticket_started)
    press(qtbot, app, Qt.Key.Key_F5, q.ticket_finished)
    assert r.state("A002") == "finished"
    assert w.counter_page.is_empty()

    # pause: calls are disabled and the state shows; resume
    press(qtbot, app, Qt.Key.Key_F8, q.window_paused)
    assert w.window_state_label.text() == "暂停服务"
    assert not w.actions_by_name["call_next"].isEnabled()
    assert r.rows("SELECT state FROM windows WHERE number = 1") == [("paused",)]
    press(qtbot, app, Qt.Key.Key_F8, q.window_resumed)
    assert w.window_state_label.text() == "服务中"

    # lock with F12, a wrong password, then the right one
    press(qtbot, app, Qt.Key.Key_F12, app.session.locked)
    assert w.stack.currentWidget() is w.lock_page
    assert not w.actions_by_name["call_next"].isEnabled()
    qtbot.keyClicks(w.lock_page.password, "nope")
    with qtbot.waitSignal(app.session.unlock_failed):
        qtbot.keyClick(w.lock_page.password, Qt.Key.Key_Return)
    assert w.lock_page.message.text() == "密码错误"
    w.lock_page.password.clear()
    qtbot.keyClicks(w.lock_page.password, PASSWORD)
    with qtbot.waitSignal(app.session.unlocked):
        qtbot.keyClick(w.lock_page.password, Qt.Key.Key_Return)
    assert w.stack.currentWidget() is w.counter_page

    qtbot.waitUntil(lambda: app.runner.pending == 0)
    actions = r.actions()
    for expected in ("sign_in", "call", "recall", "no_show", "reactivate", "start",
                     "transfer", "finish", "pause", "resume", "lock", "unlock_failed", "unlock"):
        assert expected in actions
    from hallclient.app import main
    assert main(["admin", "verify-log", str(r.path)]) == 0


def test_call_specific_hold_and_return(qtbot, start_app):
    app = start_app()
    w, q, r = app.window, app.queue, app.reader
    sign_in(qtbot, app)
    qtbot.keyClicks(w.counter_page.number_edit, "a003")
    (ticket,) = press(qtbot, app, Qt.Key.Key_F9, q.ticket_called)
    assert ticket.number == "A003" and w.counter_page.ticket_number.text() == "A003"
    press(qtbot, app, Qt.Key.Key_F4, q.ticket_started)
    press(qtbot, app, Qt.Key.Key_F7, q.ticket_held)
    assert r.state("A003") == "held" and w.counter_page.held_list.count() == 1
    assert w.counter_page.ticket_info.text() == "有挂起的号"
    press(qtbot, app, Qt.Key.Key_F7, q.ticket_returned)
    assert r.state("A003") == "serving" and w.counter_page.ticket_number.text() == "A003"


def test_refused_action_shows_a_chinese_message(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    qtbot.keyClicks(app.window.counter_page.number_edit, "Z999")
    with qtbot.waitSignal(app.queue.action_failed) as blocker:
        qtbot.keyClick(app.window, Qt.Key.Key_F9)
    assert blocker.args == ["今天没有 Z999 这个号"]
    assert app.window.message_label.text() == "今天没有 Z999 这个号"


def test_empty_queue_says_so(qtbot, start_app):
    app = start_app(tickets=())
    sign_in(qtbot, app)
    with qtbot.waitSignal(app.queue.queue_empty):
        qtbot.keyClick(app.window, Qt.Key.Key_F1)
    assert app.window.message_label.text() == "当前没有等候的号"


def test_idle_lock(qtbot, start_app):
    app = start_app(config={"ui.idle_lock_minutes": "0.005"})   # 0.3 s
    sign_in(qtbot, app)
    with qtbot.waitSignal(app.session.locked, timeout=5000) as blocker:
        pass
    assert blocker.args == ["idle"]
    assert app.window.stack.currentWidget() is app.window.lock_page
    assert app.window.lock_page.title.text() == "长时间无操作，已自动锁定"
    qtbot.waitUntil(lambda: "lock" in app.reader.actions())


def test_sign_out_from_the_lock_page(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    app.session.lock()
    with qtbot.waitSignal(app.session.signed_out):
        qtbot.mouseClick(app.window.lock_page.sign_out_button, Qt.MouseButton.LeftButton)
    assert app.window.stack.currentWidget() is app.window.sign_in_page
    assert app.reader.rows("SELECT state, clerk FROM windows WHERE number = 1") == [("closed", None)]


def test_waiting_counts_follow_tickets_issued_elsewhere(qtbot, start_app, qtmodeltester):
    app = start_app()
    sign_in(qtbot, app)
    model = app.window.counter_page.waiting_model
    qtmodeltester.check(model)
    assert model.total() == 4
    # a kiosk in another process issues two tickets
    from hallclient.queue.local import LocalQueue
    from hallclient.store.db import open_database

    other = open_database(app.reader.path)
    LocalQueue(other).issue("RS")
    LocalQueue(other).issue("RS")
    other.close()
    qtbot.waitUntil(lambda: model.total() == 6, timeout=5000)
    qtmodeltester.check(model)
    rs_row = [model.index(i, 0).data() for i in range(model.rowCount())].index("人社·社保医保")
    assert model.index(rs_row, 2).data() == "2"


def test_keys_are_configurable(qtbot, start_app):
    app = start_app(config={"keys.call_next": "Ctrl+N"})
    sign_in(qtbot, app)
    assert app.window.actions_by_name["call_next"].shortcut().toString() == "Ctrl+N"
    with qtbot.waitSignal(app.queue.ticket_called):
        qtbot.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)


def test_buttons_show_their_keypad_keys(qtbot, start_app):
    from PySide6.QtWidgets import QToolButton

    app = start_app()
    sign_in(qtbot, app)
    button = app.window.counter_page.findChild(QToolButton, "button_call_next")
    assert button.text() == "呼叫下一位\nF1"
    assert app.window.counter_page.findChild(QToolButton, "button_lock").text() == "锁屏\nF12"


def test_f9_or_f10_without_a_number_puts_the_cursor_where_the_number_goes(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    w = app.window
    w.activateWindow()
    w.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F9)
    edit = w.counter_page.number_edit
    qtbot.waitUntil(edit.hasFocus)
    assert "请输入要呼叫的号码" in w.message_label.text()
    qtbot.keyClicks(edit, "A002")                  # what the clerk types next lands there
    with qtbot.waitSignal(app.queue.ticket_called) as called:
        qtbot.keyClick(w, Qt.Key.Key_F9)
    assert called.args[0].number == "A002"
    w.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F10)
    qtbot.waitUntil(edit.hasFocus)
    assert "过号" in w.message_label.text()
