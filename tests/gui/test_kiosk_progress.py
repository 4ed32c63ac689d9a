"""办件查询 at the kiosk, driven like an applicant: scan the receipt's barcode (a burst of
keys from the wedge), type the password on the on-screen keypad, read the answer; the
answer goes after a while without a touch, and on 返回; wrong passwords end in a lockout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from hallclient.core.progress import LockoutPolicy
from hallclient.devices.wedge import BarcodeWedge
from hallclient.services.case_desk import CaseDesk
from hallclient.services.context import DbContext
from hallclient.services.progress_service import ProgressService
from hallclient.services.tasks import InlineRunner
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.ui.kiosk_progress import ProgressQueryPage

from ..recipes import accepted_case

IDLE_MS = 1500


@pytest.fixture
def case(db, demo_catalog, clock, tmp_path):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    desk = CaseDesk(db, AttachmentStore(tmp_path / "attachments"), region="330109",
                    device_code="W01AAA", clock=clock)
    return accepted_case(desk, "食品经营许可（新办）")


@pytest.fixture
def page(qtbot, db, clock):
    runner = InlineRunner(db=DbContext(db, clock))
    service = ProgressService(runner, LockoutPolicy(max_failures=5, lock_minutes=30))
    shown = ProgressQueryPage(service, idle_ms=IDLE_MS)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


@pytest.fixture
def wedge(qapp, page):
    """The scanner, as the kiosk's owner wires it: its scans go to ``take_scan``."""
    w = BarcodeWedge(max_gap_ms=250, min_length=4)
    w.serve(page)
    w.scanned.connect(page.take_scan)
    QApplication.instance().installEventFilter(w)
    yield w
    QApplication.instance().removeEventFilter(w)


def press(qtbot, page: ProgressQueryPage, *labels: str) -> None:
    """Touch the buttons of the step on screen, one after the other."""
    step = page.steps.currentWidget()
    for label in labels:
        (button,) = [b for b in step.findChildren(QPushButton) if b.text() == label and b.isVisible()]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def scan(qtbot, page: ProgressQueryPage, wedge: BarcodeWedge, code: str) -> None:
    with qtbot.waitSignal(wedge.scanned):
        qtbot.keyClicks(page.case_field, code)            # keys back to back: a burst
        qtbot.keyClick(page.case_field, Qt.Key.Key_Return)


def test_scan_then_password_shows_the_state_and_idle_clears_it(qtbot, page, wedge, case):
    scan(qtbot, page, wedge, case.case_no)
    assert page.steps.currentIndex() == page.STEP_PASSWORD
    assert page.case_field.text() == case.case_no
    assert case.case_no in page.password_hint.text()
    press(qtbot, page, *case.query_password, "查询")
    assert page.steps.currentIndex() == page.STEP_ANSWER
    assert page.headline.text() == "已受理"
    assert "承诺办结日期：2026年12月4日" in page.details.text()
    assert page.password_field.text() == ""               # the password never stays shown
    qtbot.waitUntil(lambda: page.steps.currentIndex() == page.STEP_CASE, timeout=5000)
    assert page.headline.text() == page.details.text() == page.case_field.text() == ""


def test_typed_on_the_keypad_with_letters_and_back_clears(qtbot, page, case):
    press(qtbot, page, "字母")
    for ch in case.case_no:
        press(qtbot, page, ch)
    press(qtbot, page, "下一步")
    press(qtbot, page, *case.query_password, "查询")
    assert page.headline.text() == "已受理"
    with qtbot.waitSignal(page.back_requested):
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert page.headline.text() == "" and page.steps.currentIndex() == page.STEP_CASE


def test_wrong_passwords_end_in_a_lockout_message(qtbot, page, wedge, case):
    wrong = "111111" if case.query_password != "111111" else "222222"
    scan(qtbot, page, wedge, case.case_no)
    for left in (4, 3, 2, 1):
        press(qtbot, page, *wrong, "查询")
        assert f"还可再试 {left} 次" in page.message.text()
        assert page.steps.currentIndex() == page.STEP_PASSWORD and page.password_field.text() == ""
    press(qtbot, page, *wrong, "查询")
    assert "暂停查询" in page.message.text() and "09:30" in page.message.text()
    press(qtbot, page, *case.query_password, "查询")       # now even the right one waits
    assert "暂停查询" in page.message.text() and page.headline.text() == ""


def test_an_unknown_case_reads_like_a_wrong_password(qtbot, page, wedge, case):
    wrong = "111111" if case.query_password != "111111" else "222222"
    scan(qtbot, page, wedge, case.case_no)
    press(qtbot, page, *wrong, "查询")
    said_wrong = page.message.text()
    press(qtbot, page, "重新输入编号")
    scan(qtbot, page, wedge, case.case_no[:-4] + "9999")
    press(qtbot, page, *case.query_password, "查询")
    assert page.message.text() == said_wrong


def test_a_scan_at_the_password_step_is_a_new_number_not_a_wasted_try(qtbot, page, wedge, case,
                                                                    db):
    from hallclient.store import progress_repo

    scan(qtbot, page, wedge, "33010920261127W01AAA9999")
    press(qtbot, page, "1", "2")
    with qtbot.waitSignal(wedge.scanned):               # scanned again: the right receipt
        qtbot.keyClicks(page, case.case_no)
        qtbot.keyClick(page, Qt.Key.Key_Return)
    assert page.case_field.text() == case.case_no and page.password_field.text() == ""
    assert progress_repo.attempts(db.conn, case.case_no).failures == 0
    qtbot.keyClicks(page, case.query_password, delay=60)    # a keyboard, typed by a person
    qtbot.waitUntil(lambda: page.password_field.text() == case.query_password, timeout=2000)
    qtbot.keyClick(page, Qt.Key.Key_Return, delay=60)
    qtbot.waitUntil(lambda: page.headline.text() == "已受理", timeout=2000)
