"""The clerk reads an ID card at intake through a configured SDT reader (a stub library
compiled from C, loaded by the app's device lane): a name with a rare character the chip
could not hold is flagged on the applicant page and stops the case until the clerk types
the real character and confirms; an expired card is pointed out; a reader's failure is a
Chinese message; a slow reader never holds the window."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from hallclient import resources
from hallclient.core.cases import RARE_CHARS_UNCONFIRMED
from hallclient.services.context import load_hall_file, open_context

from .. import idcard_stubs as stub_libraries
from ..idcard_stubs import Scenario
from .conftest import sign_in
from .test_intake_flow import choose_item

idcard_stubs = stub_libraries.idcard_stubs      # the fixtures, for this module's tests
stubs = stub_libraries.stubs


@pytest.fixture
def reader_app(start_app, qtbot, stubs):
    app = start_app(config={"idcard.driver": "sdt", "idcard.library": str(stubs.sdt.path),
                            "idcard.timeout_seconds": "1"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))
    ctx.close()
    sign_in(qtbot, app)
    return app


def read_card(qtbot, app, win, signal=None):
    with qtbot.waitSignal(signal or app.intake.card_read, timeout=5000) as caught:
        qtbot.mouseClick(win.applicant_page.card_button, Qt.MouseButton.LeftButton)
    return caught.args


def test_a_rare_character_is_flagged_and_the_clerk_types_and_confirms_it(qtbot, reader_app, stubs):
    app = reader_app
    stubs.sdt.scenario(Scenario.RARE_NAME)
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    read_card(qtbot, app, win)
    page = win.applicant_page
    assert page.name_edit.text() == "王\ue85a" and page.id_edit.text() == "11010519491231002X"
    assert "姓名第 2 个字（U+E85A）是读卡器读不出的生僻字" in page.card_hint.text()
    assert page.confirm_button.isVisibleTo(page) and "请核对" in win.message.text()
    page.mobile_edit.setText("13800138000")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)     # not past the page yet
    assert win.stack.currentIndex() == 1 and "专用区字符（U+E85A）" in win.message.text()
    with qtbot.waitSignal(app.intake.card_confirm_refused):          # the stand-in as it is: no
        qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert "仍是读卡器给出的替代字符" in page.card_hint.text() and app.intake.card_text_unconfirmed
    page.name_edit.setText("王𠮷")                                   # QTest types ASCII only
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)     # typed, but not confirmed
    assert win.stack.currentIndex() == 1 and win.message.text() == RARE_CHARS_UNCONFIRMED
    with qtbot.waitSignal(app.intake.card_confirmed):
        qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert page.card_hint.text() == "" and not page.confirm_button.isVisibleTo(page)
    assert "已确认申请人姓名：王𠮷" in win.message.text()
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 2 and app.intake.draft.applicant.name == "王𠮷"


def test_an_expired_card_is_pointed_out(qtbot, reader_app, stubs):
    stubs.sdt.scenario(Scenario.EXPIRED)
    win = choose_item(qtbot, reader_app, "gtgsh", "个体工商户登记（设立登记）")
    read_card(qtbot, reader_app, win)
    assert "证件有效期已过（有效期至 2020-01-01）" in win.applicant_page.card_hint.text()
    assert not win.applicant_page.confirm_button.isVisibleTo(win.applicant_page)
    assert not reader_app.intake.card_text_unconfirmed


def test_no_card_is_said_in_chinese_and_a_slow_reader_never_holds_the_window(qtbot, reader_app, stubs):
    app = reader_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    stubs.sdt.scenario(Scenario.ABSENT)
    (message,) = read_card(qtbot, app, win, app.intake.card_failed)
    assert message == "请将身份证放在读卡器上" and win.message.text() == message
    stubs.sdt.scenario(Scenario.SLOW, delay_ms=3000)
    with qtbot.waitSignal(app.intake.card_failed, timeout=5000) as failed:
        started = time.monotonic()
        qtbot.mouseClick(win.applicant_page.card_button, Qt.MouseButton.LeftButton)
        assert time.monotonic() - started < 1.0                      # the click came straight back
        qtbot.keyClicks(win.applicant_page.mobile_edit, "138", delay=60)   # the form still types
        assert win.applicant_page.mobile_edit.text() == "138"
    assert failed.args[0].startswith("读卡超时（1 秒内没有读完）")
