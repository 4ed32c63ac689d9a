"""After 办结 the applicant rates the service on the evaluator; the clerk keeps the keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from hallclient.core.evaluation import Level

from .conftest import sign_in


def serve_one(qtbot, app):
    for key, signal in ((Qt.Key.Key_F1, app.queue.ticket_called),
                        (Qt.Key.Key_F4, app.queue.ticket_started)):
        with qtbot.waitSignal(signal):
            qtbot.keyClick(app.window, key)
    with qtbot.waitSignal(app.evaluation.evaluation_requested) as asked:
        qtbot.keyClick(app.window, Qt.Key.Key_F5)
    return asked.args


def test_evaluation_after_finishing_service(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    case_no, ticket = serve_one(qtbot, app)
    assert (case_no, ticket) == ("", "A001")
    evaluator = app.evaluator
    qtbot.waitUntil(evaluator.isVisible)
    assert QApplication.activeWindow() is app.window          # keypad still works
    assert "A001" in evaluator.title.text()

    qtbot.mouseClick(evaluator.level_buttons[Level.UNSATISFIED], Qt.MouseButton.LeftButton)
    assert evaluator.reasons_box.isVisibleTo(evaluator)
    with qtbot.waitSignal(app.evaluation.evaluation_failed) as failed:
        qtbot.mouseClick(evaluator.submit_button, Qt.MouseButton.LeftButton)
    assert "请选择原因" in failed.args[0] and "请选择原因" in evaluator.message.text()

    evaluator.reason_checks["等候时间过长"].setChecked(True)
    with qtbot.waitSignal(app.evaluation.evaluated):
        qtbot.mouseClick(evaluator.submit_button, Qt.MouseButton.LeftButton)
    assert evaluator.title.text() == "感谢您的评价！"
    rows = app.reader.rows("SELECT level, ticket, window, clerk, reasons FROM evaluations")
    assert rows == [("unsatisfied", "A001", 1, "li", '["等候时间过长"]')]
    assert "rating" in app.reader.actions()


def test_a_satisfied_rating_needs_no_reason(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    serve_one(qtbot, app)
    qtbot.waitUntil(lambda: app.evaluator is not None and app.evaluator.isVisible())
    qtbot.mouseClick(app.evaluator.level_buttons[Level.VERY_SATISFIED], Qt.MouseButton.LeftButton)
    assert not app.evaluator.reasons_box.isVisibleTo(app.evaluator)
    with qtbot.waitSignal(app.evaluation.evaluated):
        qtbot.mouseClick(app.evaluator.submit_button, Qt.MouseButton.LeftButton)
    assert app.reader.rows("SELECT level FROM evaluations") == [("very_satisfied",)]
