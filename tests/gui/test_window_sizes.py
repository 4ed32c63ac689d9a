"""The kiosk (in a window), the evaluator and the supervisor's dashboard open at a size
from the screen — a 1366×768 laptop with its taskbar, a 1920×1080 screen — and where they
were left (state.ini)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect

from hallclient.app import main

from .conftest import sign_in
from .test_evaluator import serve_one

LAPTOP = QRect(0, 0, 1366, 728)          # 1366×768 less a 40 px taskbar
WIDE = QRect(0, 0, 1920, 1040)           # 1920×1080 less a taskbar
FRAME = (16, 40)                         # a window manager's borders and title bar


@pytest.fixture
def screen(monkeypatch):
    """The available geometry the windows are sized from (the desktop less its taskbar)."""
    chosen = [LAPTOP]
    monkeypatch.setattr("hallclient.ui.geometry.available_screens", lambda: list(chosen))
    return chosen


def fits(widget, area: QRect) -> bool:
    hint = widget.minimumSizeHint()
    return (area.contains(widget.geometry()) and hint.width() <= area.width() - FRAME[0]
            and hint.height() <= area.height() - FRAME[1])


def test_a_windowed_kiosk_is_sized_from_the_screen_and_opens_where_it_was_left(
        qtbot, start_app, tmp_path, screen):
    app = start_app(argv=("kiosk", "--windowed"))
    kiosk = app.kiosk_window
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: bool(kiosk.service_buttons))
    assert fits(kiosk, LAPTOP), kiosk.geometry()
    place = QRect(30, 20, 1000, 690)
    kiosk.setGeometry(place)
    kiosk.close()
    assert "[kiosk]" in (tmp_path / "data" / "state.ini").read_text(encoding="utf-8")
    again = main(["--data-dir", str(tmp_path / "data"), "kiosk", "--windowed"])
    try:
        qtbot.addWidget(again.kiosk_window)
        assert again.kiosk_window.geometry() == place
    finally:
        again.close()
    (tmp_path / "data" / "state.ini").unlink()          # a first start on a wide screen
    screen[:] = [WIDE]
    wide = main(["--data-dir", str(tmp_path / "data"), "kiosk", "--windowed"])
    try:
        qtbot.addWidget(wide.kiosk_window)
        assert fits(wide.kiosk_window, WIDE)
        assert wide.kiosk_window.height() > 768 and wide.kiosk_window.width() > 1024
    finally:
        wide.close()


def test_the_evaluator_is_sized_from_the_screen_and_opens_where_it_was_left(
        qtbot, start_app, tmp_path, screen):
    screen[:] = [WIDE]
    app = start_app()
    sign_in(qtbot, app)
    serve_one(qtbot, app)
    evaluator = app.evaluator
    qtbot.waitUntil(evaluator.isVisible)
    assert fits(evaluator, WIDE) and evaluator.width() > 1000 and evaluator.height() > 640
    place = QRect(100, 60, 1200, 800)
    evaluator.setGeometry(place)
    evaluator.hide()                        # as after 感谢您的评价
    assert "[evaluator]" in (tmp_path / "data" / "state.ini").read_text(encoding="utf-8")


def test_the_evaluator_is_usable_on_a_laptop(qtbot, start_app, screen):
    app = start_app()
    sign_in(qtbot, app)
    serve_one(qtbot, app)
    evaluator = app.evaluator
    qtbot.waitUntil(evaluator.isVisible)
    assert fits(evaluator, LAPTOP), (evaluator.geometry(), evaluator.minimumSizeHint())
    for button in [*evaluator.level_buttons.values(), evaluator.submit_button]:
        assert evaluator.rect().contains(QRect(button.mapTo(evaluator, QPoint(0, 0)),
                                               button.size()))


def test_the_dashboard_fits_a_laptop_with_its_taskbar_and_opens_where_it_was_left(
        qtbot, start_app, tmp_path, screen):
    app = start_app()
    sign_in(qtbot, app)
    board = app.shell.open_dashboard()
    assert fits(board, LAPTOP), (board.geometry(), board.minimumSizeHint())
    board.show()
    qtbot.waitUntil(board.isVisible)
    place = QRect(10, 10, 1300, 680)
    board.setGeometry(place)
    board.close()
    assert "[dashboard]" in (tmp_path / "data" / "state.ini").read_text(encoding="utf-8")
    app.window.close()
    screen[:] = [WIDE]
    again = main(["--data-dir", str(tmp_path / "data")])
    try:
        qtbot.addWidget(again.window)
        qtbot.waitUntil(lambda: again.window.sign_in_page.window_box.count() > 0)
        sign_in(qtbot, again)
        assert again.shell.open_dashboard().geometry() == place
    finally:
        again.close()


def test_the_demo_kiosk_that_grows_wider_stays_on_its_screen(qtbot):
    """Beside the counter the kiosk is placed at the screen's right edge; when its buttons'
    texts grow (等候 12 人) Qt widens it past the edge unless it moves left."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QWidget

    from hallclient.demo import keep_on_screen

    area = QGuiApplication.primaryScreen().availableGeometry()
    kiosk = QWidget()
    qtbot.addWidget(kiosk)
    kiosk.setGeometry(area.right() - 300 + 1, area.top(), 300, 200)
    keep_on_screen(kiosk)
    kiosk.show()
    qtbot.waitExposed(kiosk)
    kiosk.setMinimumWidth(360)                      # its content now needs more room
    qtbot.waitUntil(lambda: kiosk.width() == 360)
    qtbot.waitUntil(lambda: kiosk.frameGeometry().right() <= area.right())
    assert kiosk.frameGeometry().left() >= area.left()
