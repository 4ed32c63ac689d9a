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


def test_the_applicant_types_a_comment_and_the_clerk_gets_the_keyboard_back(qtbot, start_app):
    app = start_app()
    sign_in(qtbot, app)
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    serve_one(qtbot, app)
    evaluator = app.evaluator
    qtbot.waitUntil(evaluator.isVisible)
    # a short title: the ticket, never the 24-character case number
    app.evaluation.request("44030420261127000123A001", "A001")
    assert evaluator.title.text() == "请对本次服务进行评价（A001 号）"
    # touching the ratings and reasons leaves the clerk's keys with the clerk
    qtbot.mouseClick(evaluator.level_buttons[Level.VERY_UNSATISFIED], Qt.MouseButton.LeftButton)
    reason = evaluator.reason_checks["等候时间过长"]
    assert reason.minimumSizeHint().height() >= 48 and not hasattr(reason, "checkState")
    qtbot.mouseClick(reason, Qt.MouseButton.LeftButton)
    assert reason.isChecked() and reason.text().startswith("✓")
    assert QApplication.activeWindow() is app.window
    with qtbot.waitSignal(app.evaluation.evaluation_failed):       # no comment yet? fine: a
        evaluator.reason_checks["等候时间过长"].setChecked(False)    # reason is missing
        qtbot.mouseClick(evaluator.submit_button, Qt.MouseButton.LeftButton)
    assert evaluator.message.text()
    evaluator.reason_checks["等候时间过长"].setChecked(True)
    # the comment box takes the keyboard when touched, and the typing lands there
    qtbot.mouseClick(evaluator.comment.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is evaluator)
    assert QApplication.focusWidget() is evaluator.comment
    qtbot.keyClicks(QApplication.focusWidget(), "waited 40 min")
    # (the barcode wedge holds a quick burst of keys a moment before handing it on)
    qtbot.waitUntil(lambda: evaluator.comment.toPlainText() == "waited 40 min")
    with qtbot.waitSignal(app.evaluation.evaluated):
        qtbot.mouseClick(evaluator.submit_button, Qt.MouseButton.LeftButton)
    assert evaluator.message.text() == ""                  # the red error is gone
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    rows = app.reader.rows("SELECT level, comment FROM evaluations")
    assert rows == [("very_unsatisfied", "waited 40 min")]
