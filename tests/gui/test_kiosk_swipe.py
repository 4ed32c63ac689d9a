"""刷身份证取号 at the kiosk, with the reader driven through the vendor interface (a stub
library compiled from C for this run): 绿色通道 by age without asking, 预约 found by the
card, 长辈模式, 请工作人员协助 on the counters, and nothing of the card on the screen."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from hallclient.core.appointments import Appointment
from hallclient.core.tickets import PriorityClass
from hallclient.queue.local import LocalQueue
from hallclient.store import appointment_repo
from hallclient.store.db import DB_FILE, open_database

from .. import idcard_stubs as stub_libraries
from ..idcard_stubs import Scenario
from .conftest import sign_in

idcard_stubs = stub_libraries.idcard_stubs
stubs = stub_libraries.stubs
LEFT = Qt.MouseButton.LeftButton
ELDER_NUMBER = "11010519491231002X"       # the stub's card with a rare character, born 1949
ADULT_NUMBER = "110101198001010010"       # its plain card, born 1980


@pytest.fixture
def kiosk_app(qtbot, start_app, stubs):
    def start(scenario: Scenario, **config):
        stubs.sdt.scenario(scenario)
        app = start_app(tickets=("ZH",), argv=("kiosk", "--windowed"), config={
            "kiosk.printer": "pdf", "idcard.driver": "sdt", "idcard.library": str(stubs.sdt.path),
            "idcard.timeout_seconds": "1", "kiosk.place": "一楼东侧", **config})
        kiosk = app.kiosk_window
        qtbot.addWidget(kiosk)
        qtbot.waitUntil(lambda: "ZH" in kiosk.service_buttons)
        return app, kiosk
    return start


def _screen_text(kiosk) -> str:
    parts = [w.text() for w in kiosk.findChildren(QLabel) + kiosk.findChildren(QPushButton)]
    parts += [w.text() for w in kiosk.findChildren(QLineEdit)]
    return "\n".join(parts)


def test_an_older_applicant_swipes_and_gets_the_green_channel_without_asking(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.RARE_NAME)
    assert not kiosk.elder
    qtbot.mouseClick(kiosk.swipe_button, LEFT)
    qtbot.waitUntil(lambda: "已为您开通绿色通道" in kiosk.message.text(), timeout=10000)
    assert kiosk.chosen_priority() is PriorityClass.GREEN
    assert kiosk.elder                                   # large type for them, at once
    assert not kiosk.green_box.isVisible()               # no staff needed for age
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000) as issued:
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    ticket = issued.args[0].ticket
    assert (ticket.priority, ticket.reason) == (PriorityClass.GREEN, "老年人")
    assert "绿色通道（老年人）" in kiosk.message.text()
    rows = app.reader.rows("SELECT priority, reason, id_masked, id_check FROM tickets"
                           " WHERE number = ?", (ticket.number,))
    assert rows[0][:3] == (2, "老年人", "**************002X") and "$" in rows[0][3]
    # the public screen shows neither the name nor the number, whole or masked
    shown = _screen_text(kiosk)
    assert "王" not in shown and ELDER_NUMBER not in shown and "002X" not in shown
    # the database keeps neither the number nor the birth date
    dump = "\n".join(r[0] or "" for r in app.reader.rows("SELECT detail FROM event_log"))
    assert ELDER_NUMBER not in dump and "19491231" not in dump
    qtbot.waitUntil(lambda: not kiosk.elder, timeout=15000)   # the next person: as configured


def test_a_younger_applicant_swipes_then_taps_a_normal_ticket(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.PRESENT)
    qtbot.mouseClick(kiosk.swipe_button, LEFT)
    qtbot.waitUntil(lambda: "已读取身份证" in kiosk.message.text(), timeout=10000)
    assert kiosk.chosen_priority() is PriorityClass.NORMAL and not kiosk.elder
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000) as issued:
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    assert issued.args[0].ticket.id_masked == "**************0010"
    # 绿色通道 chosen by hand needs a reason given with staff (and their code if set)
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], LEFT)
    assert kiosk.green_box.isVisible()


def test_an_appointment_booked_with_the_card_prints_at_once(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.PRESENT)
    db = open_database(app.data_dir / DB_FILE)
    day = date.today().isoformat()
    appointment_repo.apply_platform_day(db, day, [Appointment(day, "10:30", "P7001", "", "SC", ADULT_NUMBER)])
    db.close()
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000) as issued:
        qtbot.mouseClick(kiosk.swipe_button, LEFT)
    got = issued.args[0]
    assert (got.ticket.priority, got.ticket.service, got.appointment_time) == (
        PriorityClass.APPOINTMENT, "SC", "10:30")
    assert "预约 10:30" in kiosk.message.text()
    # a second swipe: already used
    qtbot.waitUntil(lambda: kiosk.swipe_button.isEnabled())
    qtbot.mouseClick(kiosk.swipe_button, LEFT)
    qtbot.waitUntil(lambda: "已经取过号" in kiosk.message.text(), timeout=10000)


def test_no_card_on_the_reader_is_said_when_the_wait_is_over(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.ABSENT, **{"kiosk.card_wait_seconds": "5"})
    app.kiosk.card_wait_s = 1.5
    qtbot.mouseClick(kiosk.swipe_button, LEFT)
    assert not kiosk.swipe_button.isEnabled()
    qtbot.waitUntil(lambda: "没有读到身份证" in kiosk.message.text(), timeout=10000)
    assert kiosk.swipe_button.isEnabled()
    assert app.reader.rows("SELECT count(*) FROM tickets") == [(1,)]    # no ticket taken


def test_staff_reason_needs_the_staff_code_when_one_is_set(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.PRESENT, **{"kiosk.staff_code": "2468"})
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], LEFT)
    qtbot.mouseClick(kiosk.reason_buttons["残疾人"], LEFT)
    for key in "1111":
        qtbot.mouseClick(kiosk.staff_keypad_buttons[key], LEFT)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    assert "工作人员码不对" in kiosk.message.text()
    for key in "2468":
        qtbot.mouseClick(kiosk.staff_keypad_buttons[key], LEFT)
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000) as issued:
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    assert issued.args[0].ticket.reason == "残疾人"


def test_elder_mode_is_large_and_still_fits_a_768_high_screen(qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.PRESENT)
    kiosk.resize(1366, 768)
    kiosk.show()
    qtbot.waitExposed(kiosk)
    normal = kiosk.service_buttons["ZH"].sizeHint().height()
    qtbot.mouseClick(kiosk.elder_button, LEFT)
    assert kiosk.elder and kiosk.elder_button.isChecked()
    assert kiosk.service_buttons["ZH"].sizeHint().height() > normal
    assert kiosk.minimumSizeHint().height() <= 768, kiosk.minimumSizeHint()
    for cls in (PriorityClass.APPOINTMENT, PriorityClass.GREEN):     # with a keypad open too
        qtbot.mouseClick(kiosk.priority_buttons[cls], LEFT)
        qtbot.wait(50)                                   # (the layout's next pass)
        assert kiosk.minimumSizeHint().height() <= 768, (cls, kiosk.minimumSizeHint())
    qtbot.mouseClick(kiosk.elder_button, LEFT)
    assert not kiosk.elder


def test_help_from_the_kiosk_shows_on_the_counter_until_a_clerk_goes(qtbot, start_app, tmp_path):
    app = start_app(tickets=("ZH",))       # the counter, with the kiosk beside it in one program
    sign_in(qtbot, app)
    kiosk_queue = LocalQueue(open_database(app.data_dir / DB_FILE))
    kiosk_queue.call_help("K1", "一楼东侧")
    page = app.window.page()
    qtbot.waitUntil(lambda: page.help_banner.isVisible(), timeout=10000)
    assert "一楼东侧" in page.help_text.text() and "请求工作人员协助" in page.help_text.text()
    qtbot.mouseClick(page.help_answer, LEFT)
    qtbot.waitUntil(lambda: not page.help_banner.isVisible(), timeout=10000)
    assert kiosk_queue.help_calls() == []
    answered = app.reader.rows("SELECT window, clerk FROM event_log WHERE action = 'help_answer'")
    assert answered == [(1, "li")]
    kiosk_queue.db.close()


def test_the_progress_query_opens_from_its_button_and_from_a_scanned_receipt(qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.PRESENT)
    qtbot.mouseClick(kiosk.progress_button, LEFT)
    assert kiosk.stack.currentWidget() is kiosk.progress_page
    qtbot.mouseClick(kiosk.progress_page.back_button, LEFT)
    assert kiosk.stack.currentWidget() is kiosk.ticket_page
    kiosk.take_scan("330109W0120261127001")       # the scanner's code, on the ticket page
    assert kiosk.stack.currentWidget() is kiosk.progress_page
    assert kiosk.progress_page.case_field.text() == "330109W0120261127001"
    assert kiosk.progress_page.steps.currentIndex() == kiosk.progress_page.STEP_PASSWORD


@pytest.mark.parametrize("same", [True, False])
def test_intake_tells_the_clerk_when_the_card_is_not_the_one_the_ticket_was_taken_with(
        qtbot, start_app, stubs, same):
    from hallclient import resources
    from hallclient.core.swipe import CardSwipe
    from hallclient.services.context import load_hall_file, open_context

    from .test_intake_flow import choose_item

    stubs.sdt.scenario(Scenario.PRESENT)            # the card on the counter's reader: 1980
    app = start_app(tickets=(), config={"idcard.driver": "sdt",
                                        "idcard.library": str(stubs.sdt.path),
                                        "idcard.timeout_seconds": "1"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))
    swiped = (CardSwipe(ADULT_NUMBER, date(1980, 1, 1)) if same
              else CardSwipe(ELDER_NUMBER, date(1949, 12, 31)))
    ctx.queue.issue("ZH", PriorityClass.NORMAL, "K1", swipe=swiped)
    ctx.close()
    sign_in(qtbot, app)
    with qtbot.waitSignal(app.queue.ticket_called, timeout=5000):
        app.queue.call_next()
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    warned: list[str] = []
    app.intake.card_failed.connect(warned.append)
    with qtbot.waitSignal(app.intake.card_read, timeout=5000):
        qtbot.mouseClick(win.applicant_page.card_button, LEFT)
    qtbot.wait(100)
    assert win.applicant_page.id_edit.text() == ADULT_NUMBER        # the form is filled
    if same:
        assert warned == []
    else:
        assert len(warned) == 1 and "不是 A001 号取号时刷的那张" in warned[0]


def test_elder_mode_speaks_its_prompts_and_normal_mode_does_not(qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.RARE_NAME)
    spoken: list[str] = []
    kiosk.speak = spoken.append
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.APPOINTMENT], LEFT)
    assert spoken == []                                  # large type off: silent
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.NORMAL], LEFT)
    qtbot.mouseClick(kiosk.swipe_button, LEFT)           # an older applicant: 长辈模式 by itself
    qtbot.waitUntil(lambda: any("已为您开通绿色通道" in s for s in spoken), timeout=10000)
    assert kiosk.elder
    qtbot.mouseClick(kiosk.help_button, LEFT)          # (no window signed in: it says so)
    qtbot.waitUntil(lambda: any("现在没有窗口在岗" in s for s in spoken), timeout=10000)


def test_what_the_last_person_typed_leaves_the_screen_when_nobody_touches_the_kiosk(
        qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.PRESENT)
    kiosk._idle.setInterval(300)
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.APPOINTMENT], LEFT)
    for key in "13912345678":
        qtbot.mouseClick(kiosk.keypad_buttons[key], LEFT)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    qtbot.waitUntil(lambda: "没有找到" in kiosk.message.text(), timeout=5000)
    assert "13912345678" in _screen_text(kiosk)
    qtbot.waitUntil(lambda: "13912345678" not in _screen_text(kiosk), timeout=5000)
    assert kiosk.chosen_priority() is PriorityClass.NORMAL
    assert not kiosk.appointment_box.isVisible() or kiosk.appointment_edit.text() == ""


def test_elder_mode_tapped_just_after_the_last_ticket_stays_on(qtbot, kiosk_app):
    app, kiosk = kiosk_app(Scenario.PRESENT)
    kiosk._reset.setInterval(400)
    with qtbot.waitSignal(app.kiosk.ticket_issued, timeout=10000):
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    qtbot.mouseClick(kiosk.elder_button, LEFT)       # the next person, while the number shows
    assert kiosk.elder and kiosk.issued_number.text().strip() == ""
    qtbot.wait(800)
    assert kiosk.elder                               # not undone by the last person's reset


def test_five_wrong_staff_codes_pause_the_staff_reasons(qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.PRESENT, **{"kiosk.staff_code": "2468"})
    qtbot.mouseClick(kiosk.priority_buttons[PriorityClass.GREEN], LEFT)
    qtbot.mouseClick(kiosk.reason_buttons["残疾人"], LEFT)
    for _ in range(5):
        for key in "1111":
            qtbot.mouseClick(kiosk.staff_keypad_buttons[key], LEFT)
        qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    for key in "2468":                                # now even the right one waits
        qtbot.mouseClick(kiosk.staff_keypad_buttons[key], LEFT)
    qtbot.mouseClick(kiosk.service_buttons["ZH"], LEFT)
    assert "错误次数过多" in kiosk.message.text()


def test_a_help_place_with_markup_is_shown_as_text_on_the_counter(qtbot, start_app):
    app = start_app(tickets=("ZH",))
    sign_in(qtbot, app)
    kiosk_queue = LocalQueue(open_database(app.data_dir / DB_FILE))
    kiosk_queue.call_help("K1", "<h1><font color=red>火警</font></h1>")
    page = app.window.page()
    qtbot.waitUntil(lambda: page.help_banner.isVisible(), timeout=10000)
    assert page.help_text.textFormat() == Qt.TextFormat.PlainText
    assert "<h1>" in page.help_text.text()            # shown as the characters it is
    kiosk_queue.db.close()


def test_a_case_number_no_case_can_have_is_said_before_the_password(qtbot, kiosk_app):
    _app, kiosk = kiosk_app(Scenario.PRESENT)
    qtbot.mouseClick(kiosk.progress_button, LEFT)
    page = kiosk.progress_page
    page.case_field.setText("1234")
    page.to_password()
    assert "办件编号不对" in page.message.text()
    assert page.steps.currentIndex() == page.STEP_CASE
