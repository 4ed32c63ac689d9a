"""The kiosk as an applicant meets it: the priority class first (toggle buttons above the
services), how many wait on each service button, and 预约 only with an appointment of
today, its time on the screen and on the printed ticket."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QWidget

from hallclient.core.appointments import Appointment
from hallclient.core.clock import local_now
from hallclient.core.tickets import PriorityClass
from hallclient.queue.local import LocalQueue
from hallclient.store.db import DB_FILE, open_database

LEFT = Qt.MouseButton.LeftButton


def _kiosk(qtbot, start_app):
    app = start_app(tickets=("ZH", "ZH", "SC"), config={"kiosk.printer": "pdf"},
                    argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    return app, kiosk


def _laid_out(window) -> None:
    """Service buttons arrive from the queue after the window is shown; Qt places them on its
    next layout pass, so run that pass before measuring where they are."""
    for child in [window, *window.findChildren(QWidget)]:
        if child.layout() is not None:
            child.layout().activate()


def _top(widget, window) -> int:
    return widget.mapTo(window, QPoint(0, 0)).y()


def test_priority_toggles_come_before_the_services_and_each_service_says_who_waits(qtbot, start_app):
    _app, kiosk = _kiosk(qtbot, start_app)
    qtbot.waitExposed(kiosk)
    _laid_out(kiosk)
    lowest_choice = max(_top(b, kiosk) + b.height() for b in kiosk.priority_buttons.values())
    highest_service = min(_top(b, kiosk) for b in kiosk.service_buttons.values())
    assert lowest_choice < highest_service            # read top to bottom: class, then service
    assert all(b.isCheckable() for b in kiosk.priority_buttons.values())
    qtbot.waitUntil(lambda: "等候 2 人" in kiosk.service_buttons["ZH"].text())
    assert "等候 1 人" in kiosk.service_buttons["SC"].text()
    assert "无人等候" in kiosk.service_buttons["RS"].text()
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], LEFT)
    assert kiosk.priority_buttons[PriorityClass.GREEN].text().startswith("✓")
    assert not kiosk.priority_buttons[PriorityClass.NORMAL].isChecked()
    assert not kiosk.priority_buttons[PriorityClass.NORMAL].text().startswith("✓")


def test_appointment_tickets_only_against_todays_appointments(qtbot, start_app):
    app, kiosk = _kiosk(qtbot, start_app)
    db = open_database(app.data_dir / DB_FILE)          # the booking list, imported meanwhile
    try:
        LocalQueue(db).import_appointments(
            [Appointment(local_now().date().isoformat(), "09:30", "102938", "13800138000", "ZH")])
    finally:
        db.close()
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.APPOINTMENT], LEFT)
    assert kiosk.appointment_box.isVisibleTo(kiosk)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)            # no code yet: nothing issued
    assert "请先输入预约码" in kiosk.message.text()
    for key in "13900000000":                                       # on the keypad
        qtbot.mouseClick(kiosk.keypad_buttons[key], LEFT)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    qtbot.waitUntil(lambda: "没有找到今天的这个预约" in kiosk.message.text())
    assert kiosk.message.property("error") is True
    assert app.reader.rows("SELECT count(*) FROM tickets WHERE priority = 1") == [(0,)]
    qtbot.mouseClick(kiosk.keypad_buttons["清除"], LEFT)
    qtbot.keyClicks(kiosk.appointment_edit, "13800138000")          # or a keyboard
    with qtbot.waitSignal(app.printer.ticket_printed, timeout=10000) as printed:
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    number, where = printed.args
    assert "预约 09:30" in kiosk.message.text() and kiosk.issued_number.text() == number
    assert app.reader.rows("SELECT priority FROM tickets WHERE number = ?", (number,)) == [(1,)]
    doc = QPdfDocument()
    doc.load(str(Path(where)))
    try:
        assert "预约 09:30" in doc.getAllText(0).text()
    finally:
        doc.close()
    # the next applicant starts from 普通, with the code gone; the count has grown
    assert kiosk.priority_buttons[PriorityClass.NORMAL].isChecked()
    assert not kiosk.appointment_box.isVisibleTo(kiosk) and kiosk.appointment_edit.text() == ""
    qtbot.waitUntil(lambda: "等候 3 人" in kiosk.service_buttons["ZH"].text())


def test_a_double_tap_takes_one_ticket(qtbot, start_app):
    app, kiosk = _kiosk(qtbot, start_app)
    db = open_database(app.data_dir / DB_FILE)
    try:
        before = db.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        button = kiosk.service_buttons["ZH"]
        qtbot.mouseClick(button, LEFT)
        qtbot.waitUntil(lambda: kiosk.issued_number.text().strip() != "")
        qtbot.mouseClick(button, LEFT)          # the same finger again, at once
        qtbot.wait(300)
        assert db.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == before + 1
        qtbot.waitUntil(button.isEnabled, timeout=5000)      # ready for the next person
    finally:
        db.close()


def test_a_kiosk_beside_the_counter_in_one_program_moves_the_counters_waiting_count(
        qtbot, start_app):
    """Demo, training, a township PC with the kiosk on its second screen: the counter's
    waiting table follows each ticket taken at the kiosk, without the clerk doing anything."""
    from hallclient.shell import build_kiosk

    from .conftest import sign_in

    app = start_app(tickets=("ZH", "ZH"), config={"kiosk.printer": "pdf"})
    sign_in(qtbot, app)
    page = app.window.counter_page
    qtbot.waitUntil(lambda: page.waiting_model.total() == 2)
    kiosk = build_kiosk(app)
    qtbot.addWidget(kiosk)
    kiosk.show()
    app.kiosk.load()                     # as the program does once its database is open
    qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
    # the poll for other programs' changes cannot see a write on the counter's own
    # connection (SQLite's data_version): the kiosk's ticket must reach the counter itself
    app.queue._timer.stop()
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    qtbot.waitUntil(lambda: page.waiting_model.total() == 3, timeout=3000)


def test_the_appointment_keypad_fits_a_kiosk_of_640_by_768(qtbot, start_app):
    """Every key of the 预约 keypad and the message stay on a small kiosk screen."""
    _app, kiosk = _kiosk(qtbot, start_app)
    kiosk.resize(640, 768)
    qtbot.waitExposed(kiosk)
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.APPOINTMENT], LEFT)
    qtbot.waitUntil(kiosk.appointment_box.isVisible)
    assert kiosk.minimumSizeHint().width() <= 640, kiosk.minimumSizeHint()
    qtbot.waitUntil(lambda: kiosk.width() <= 640)
    for key, button in kiosk.keypad_buttons.items():
        right = button.mapTo(kiosk, QPoint(button.width(), 0)).x()
        assert right <= kiosk.width(), key


def test_a_green_ticket_says_so_and_the_next_touch_clears_the_last_number(qtbot, start_app):
    _app, kiosk = _kiosk(qtbot, start_app)
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], LEFT)
    qtbot.mouseClick(kiosk.reason_buttons["军人依法优先"], LEFT)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    qtbot.waitUntil(lambda: kiosk.issued_number.text().strip() != "")
    assert "绿色通道（军人依法优先）" in kiosk.message.text()
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.NORMAL], LEFT)    # the next person
    assert kiosk.issued_number.text().strip() == ""
