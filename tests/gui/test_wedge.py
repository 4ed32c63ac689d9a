"""A barcode scanner is a fast keyboard: scans are caught, people typing are not."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from hallclient.core.scancodes import ScanKind, classify
from hallclient.devices.wedge import BarcodeWedge

from .conftest import sign_in


@pytest.fixture
def field(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    return edit


@pytest.fixture
def wedge(qapp, field):
    w = BarcodeWedge(max_gap_ms=50, min_length=4)
    w.serve(field)
    QApplication.instance().installEventFilter(w)
    yield w
    QApplication.instance().removeEventFilter(w)


@pytest.fixture
def roomy_wedge(qapp, field):
    """A wedge with a gap no loaded test machine can stretch synthetic keys beyond (the
    keys of one keyClicks come back to back; only a stalled process parts them)."""
    w = BarcodeWedge(max_gap_ms=250, min_length=4)
    w.serve(field)
    QApplication.instance().installEventFilter(w)
    yield w
    QApplication.instance().removeEventFilter(w)


def test_a_scan_is_reported_and_does_not_land_in_the_field(qtbot, roomy_wedge, field):
    wedge = roomy_wedge
    with qtbot.waitSignal(wedge.scanned) as got:
        qtbot.keyClicks(field, "A023")
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert got.args == ["A023"]
    qtbot.wait(120)
    assert field.text() == ""


def test_a_person_typing_is_left_alone(qtbot, wedge, field):
    seen = []
    wedge.scanned.connect(seen.append)
    qtbot.keyClicks(field, "A023", delay=120)     # 120 ms between keys, like a person
    qtbot.keyClick(field, Qt.Key.Key_Return, delay=120)
    qtbot.waitUntil(lambda: field.text() == "A023")
    assert seen == []


def test_a_short_burst_is_typing(qtbot, wedge, field):
    seen = []
    wedge.scanned.connect(seen.append)
    qtbot.keyClicks(field, "ab")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == "ab" and seen == []


def test_held_keys_arrive_by_themselves_after_the_gap(qtbot, wedge, field):
    qtbot.keyClicks(field, "zhang")
    assert field.text() == ""                     # held for at most 50 ms
    qtbot.waitUntil(lambda: field.text() == "zhang", timeout=1000)


def test_password_fields_are_never_scanned(qtbot, wedge, field):
    field.setEchoMode(QLineEdit.EchoMode.Password)
    seen = []
    wedge.scanned.connect(seen.append)
    qtbot.keyClicks(field, "secret-1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == "secret-1" and seen == []


@pytest.mark.parametrize("code, kind", [
    ("A023", ScanKind.TICKET), ("B1000", ScanKind.TICKET),
    ("33010920261127W01AAA0001", ScanKind.CASE),
    ("YS202611270000123456", ScanKind.PREAPPLICATION),
    ("11010519491231002X", ScanKind.ID_NUMBER),
    ("9787111128069", ScanKind.MATERIAL), ("110105194912310021", ScanKind.MATERIAL),
])
def test_scans_are_classified(code, kind):
    assert classify(code) is kind


# -- in the real counter: where a scan can be meant, and how fast a scan is --------------------

@pytest.fixture
def counter(start_app, qtbot):
    app = start_app()
    sign_in(qtbot, app)
    app.shell.wire_extras()
    return app


def test_fast_typing_in_the_file_dialog_is_not_a_scan(qtbot, counter):
    """The clerk types a file name into 导入文件's dialog: it lands there, nothing is scanned."""
    intake = counter.shell.open_intake()
    seen = []
    counter.wedge.scanned.connect(seen.append)
    dialog = QFileDialog(intake, "选择材料文件")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    qtbot.addWidget(dialog)
    dialog.open()                       # window-modal over intake, like getOpenFileNames
    qtbot.waitExposed(dialog)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    qtbot.keyClicks(name, "ab12.pdf")     # as fast as keys can come
    assert name.text() == "ab12.pdf"      # not held back as the start of a scan
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert seen == []
    assert dialog.selectedFiles()[0].endswith("ab12.pdf")


def test_free_text_fields_are_never_scanned(qtbot, counter):
    intake = counter.shell.open_intake()
    seen = []
    counter.wedge.scanned.connect(seen.append)
    address = intake.applicant_page.address_edit
    qtbot.keyClicks(address, "No.12 Road")
    qtbot.keyClick(address, Qt.Key.Key_Return)
    assert address.text() == "No.12 Road" and seen == []


def test_a_fast_typist_is_not_a_scanner(qtbot, counter):
    """30 ms between keys is a person (or key-repeat), never a scanner's 1-8 ms."""
    seen = []
    counter.wedge.scanned.connect(seen.append)
    field = counter.window.page().number_edit
    # QTest waits the delay before the press and again before the release: 30 ms a key
    qtbot.keyClicks(field, "A023", delay=15)
    qtbot.keyClick(field, Qt.Key.Key_Return, delay=15)
    qtbot.waitUntil(lambda: field.text() == "A023")
    assert seen == []


def test_the_gap_is_a_setting(start_app, qtbot):
    app = start_app(config={"scanner.wedge_max_gap_ms": "12"})
    sign_in(qtbot, app)
    assert app.shell.wire_extras().wedge.max_gap == pytest.approx(0.012)


def test_a_password_typed_through_the_window_system_is_not_held(qtbot, start_app):
    """Under X a key reaches the window before its focus widget: a password field's keys
    still go straight to it, never held as a burst."""
    app = start_app()
    app.shell.wire_extras()
    window = app.window
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    password = window.sign_in_page.password
    password.setFocus()
    qtbot.waitUntil(password.hasFocus)
    for key in (Qt.Key.Key_S, Qt.Key.Key_E, Qt.Key.Key_C, Qt.Key.Key_R):
        QTest.keyClick(window.windowHandle(), key)
    assert password.text().lower() == "secr"


def test_a_scan_with_capitals_is_one_scan_though_a_scanner_presses_shift_for_each(
        qtbot, roomy_wedge, field):
    """A USB scanner types X (an ID number's check digit) and a case number's letters as
    Shift + the key, as a keyboard would."""
    wedge = roomy_wedge
    code = "33010920261201XEJD430001"
    with qtbot.waitSignal(wedge.scanned) as got:
        for ch in code:
            if ch.isupper():
                QTest.keyPress(field, Qt.Key.Key_Shift)
                QTest.keyClick(field, ch, Qt.KeyboardModifier.ShiftModifier)
                QTest.keyRelease(field, Qt.Key.Key_Shift)
            else:
                QTest.keyClick(field, ch)
        QTest.keyClick(field, Qt.Key.Key_Return)
    assert got.args == [code]
    qtbot.wait(300)
    assert field.text() == ""
