"""A barcode scanner is a fast keyboard: scans are caught, people typing are not."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from hallclient.core.scancodes import ScanKind, classify
from hallclient.devices.wedge import BarcodeWedge


@pytest.fixture
def wedge(qapp):
    w = BarcodeWedge(max_gap_ms=50, min_length=4)
    QApplication.instance().installEventFilter(w)
    yield w
    QApplication.instance().removeEventFilter(w)


@pytest.fixture
def field(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    return edit


def test_a_scan_is_reported_and_does_not_land_in_the_field(qtbot, wedge, field):
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
