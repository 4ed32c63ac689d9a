"""The counter's keys where the clerk is: in the intake window and the case list they act
on the counter and say what happened (or why not) there; the held and no-show lists take
Enter as well as a double click; what an action did is a full-width line, not a squeezed
status-bar field."""

from __future__ import annotations

from PySide6.QtCore import Qt

from .conftest import sign_in


def _active(qtbot, window):
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()


def test_queue_keys_work_from_the_intake_window_and_say_what_happened_there(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    intake = app.shell.open_intake()
    _active(qtbot, intake)
    toast = intake.counter_keys.toast
    with qtbot.waitSignal(app.queue.ticket_called) as called:
        qtbot.keyClick(intake, Qt.Key.Key_F1)
    assert called.args[0].number == "A001"
    qtbot.waitUntil(lambda: toast.isVisible() and "已呼叫 A001" in toast.text())
    assert intake.isActiveWindow()               # the clerk stays where they were typing

    qtbot.keyClick(intake, Qt.Key.Key_F1)        # a second call while A001 is at the desk
    assert "A001 还在办理" in toast.text() and toast.property("error")
    assert app.reader.state("A002") == "waiting"

    with qtbot.waitSignal(app.queue.ticket_started):
        qtbot.keyClick(intake, Qt.Key.Key_F4)
    with qtbot.waitSignal(app.session.locked):
        qtbot.keyClick(intake, Qt.Key.Key_F12)   # the clerk walks away from the intake window
    qtbot.waitUntil(lambda: not intake.isVisible())


def test_keys_that_need_the_counter_bring_it_forward(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    cases = app.shell.open_case_list()
    _active(qtbot, cases)
    qtbot.keyClick(cases, Qt.Key.Key_F9)               # 指定呼叫: the number is typed at the counter
    qtbot.waitUntil(lambda: app.window.isActiveWindow())
    qtbot.waitUntil(app.window.counter_page.number_edit.hasFocus)
    assert "请输入要呼叫的号码" in app.window.message_label.text()


def _press(qtbot, window, key, signal):
    with qtbot.waitSignal(signal):
        qtbot.keyClick(window, key)


def _enter_on_the_only_row(qtbot, widget, key, signal):
    qtbot.waitUntil(lambda: widget.count() == 1)
    widget.setFocus()
    widget.setCurrentRow(0)
    _press(qtbot, widget, key, signal)


def test_no_show_and_held_lists_take_enter(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    w, q = app.window, app.queue
    _active(qtbot, w)
    _press(qtbot, w, Qt.Key.Key_F1, q.ticket_called)
    _press(qtbot, w, Qt.Key.Key_F3, q.ticket_no_show)
    _enter_on_the_only_row(qtbot, w.counter_page.no_show_list, Qt.Key.Key_Return, q.ticket_reactivated)
    assert app.reader.state("A001") != "no_show"

    for key, signal in ((Qt.Key.Key_F1, q.ticket_called), (Qt.Key.Key_F4, q.ticket_started),
                        (Qt.Key.Key_F7, q.ticket_held)):
        _press(qtbot, w, key, signal)
    _enter_on_the_only_row(qtbot, w.counter_page.held_list, Qt.Key.Key_Enter, q.ticket_returned)


def test_the_message_line_runs_the_whole_width_and_is_gone_when_locked(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    w = app.window
    w.resize(1366, 700)
    long = "大厅服务器不认本机（令牌已停用或更换）· 手工接待 · 请联系信息管理员"
    w._say(long, error=True)
    qtbot.waitUntil(lambda: w.message_label.isVisible())
    assert not w.statusBar().isAncestorOf(w.message_label)
    assert w.message_label.width() >= w.width() * 9 // 10
    assert w.message_label.fontMetrics().horizontalAdvance(long) < w.message_label.contentsRect().width()
    clerk = w.clerk_label.mapTo(w, w.clerk_label.rect().topLeft())
    line = w.message_label.mapTo(w, w.message_label.rect().topLeft())
    assert line.y() + w.message_label.height() <= clerk.y()      # above the status bar, not on it
    with qtbot.waitSignal(app.session.locked):
        qtbot.keyClick(w, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: not w.message_label.isVisible())
    assert w.message_label.text() == ""


def test_status_bar_fields_give_way_instead_of_running_over_each_other(qtbot, start_app):
    """Half a 1366 screen (the counter beside the kiosk): a long queue state shortens
    with …, its whole text in the tooltip; no field is drawn over another."""
    app = start_app()
    sign_in(qtbot, app)
    w = app.window
    w.resize(700, 700)
    long = "队列：大厅服务器不认本机（令牌已停用或更换）· 手工接待 · 请联系信息管理员（待补传 3）"
    w.source_label.setText(long)
    w.aside_button.setText("手工接待需处理 3 条")
    w.aside_button.show()
    qtbot.waitUntil(lambda: w.source_label.is_elided())
    assert w.source_label.text() == long
    fields = [f for f in (w.clerk_label, w.window_state_label, w.aside_button, w.source_label,
                          w.sync_label, w.clock_label) if f.isVisible()]
    spans = sorted((f.geometry().left(), f.geometry().right()) for f in fields)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert spans[-1][1] <= w.statusBar().width() and spans[0][0] >= 0
    w.resize(1366, 700)
    qtbot.waitUntil(lambda: not w.source_label.is_elided())


def test_tab_leaves_the_waiting_table_and_alt_keys_reach_the_lists(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    w = app.window
    _active(qtbot, w)
    page = w.counter_page
    page.waiting_view.setFocus()
    qtbot.waitUntil(page.waiting_view.hasFocus)
    qtbot.keyClick(page.waiting_view, Qt.Key.Key_Tab)
    assert not page.waiting_view.hasFocus()               # one Tab stop, not one per cell
    qtbot.keyClick(w, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(page.no_show_list.hasFocus)
    qtbot.keyClick(w, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(page.held_list.hasFocus)


def test_a_wrong_unlock_password_is_cleared(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    w = app.window
    _active(qtbot, w)
    with qtbot.waitSignal(app.session.locked):
        qtbot.keyClick(w, Qt.Key.Key_F12)
    lock = w.lock_page
    qtbot.keyClicks(lock.password, "wrong")
    with qtbot.waitSignal(app.session.unlock_failed):
        qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert lock.password.text() == "" and lock.message.text() == "密码错误"
