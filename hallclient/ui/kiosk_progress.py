"""办件查询 at the kiosk (取号机): the applicant scans the barcode on the receipt or notice
(or types the case number on the on-screen keypad), then types the 6-digit query password
printed beside it, and reads the case's state in plain words.

The page only shows: ``ProgressService`` decides. The answer (and anything typed) is cleared
after ``idle_ms`` without a touch, and on 返回, so the next person never sees it.
A barcode scanner is a keyboard wedge: whoever owns the wedge hands its scans to
``take_scan`` (the page itself reads no device).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.progress import ProgressWords, normalise_case_no, valid_case_no
from hallclient.services.progress_service import ProgressService

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class ProgressQueryPage(QWidget):
    """Signals: back_requested() — 返回: the kiosk shows its ticket page again."""

    back_requested = Signal()

    IDLE_MS = 30_000
    CASE_LONGEST = 50
    STEP_CASE, STEP_PASSWORD, STEP_ANSWER = 0, 1, 2

    def __init__(self, progress: ProgressService, idle_ms: int = IDLE_MS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskProgress")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.progress = progress
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_ms)
        self._idle.timeout.connect(self.clear)
        title = QLabel(self.tr("办件查询"))
        title.setObjectName("kioskTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setObjectName("kioskMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.steps = QStackedWidget()
        self.steps.addWidget(self._case_step())
        self.steps.addWidget(self._password_step())
        self.steps.addWidget(self._answer_step())
        self.back_button = self._big(self.tr("返回"), self.go_back)
        self.back_button.setObjectName("kioskBack")
        # 返回 at the top, beside the heading: whatever the keys and the message take below,
        # on any screen, the way back is in sight
        head = QHBoxLayout()
        head.addWidget(self.back_button)
        head.addWidget(title, 1)
        head.addSpacing(self.back_button.sizeHint().width())   # the heading stays centred
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.message)
        progress.progress_shown.connect(self._show_answer)
        progress.query_refused.connect(self._refused)
        progress.query_locked.connect(self._refused)
        progress.query_failed.connect(self._refused)
        self.case_field.textEdited.connect(lambda _t: self.poke())
        self.case_field.installEventFilter(self)
        self.clear()

    # -- building ------------------------------------------------------------------------

    def _big(self, text: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName("kioskKey")
        button.setMinimumHeight(56)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)      # the field keeps the focus (scans)
        button.clicked.connect(slot)
        return button

    def _keypad(self, field: QLineEdit, with_letters: bool) -> QWidget:
        pad = QWidget()
        grid = QGridLayout(pad)
        for i, key in enumerate("123456789"):
            grid.addWidget(self._big(key, lambda _c=False, k=key: self._press(field, k)), i // 3, i % 3)
        grid.addWidget(self._big(self.tr("清空"), lambda: self._erase(field, everything=True)), 3, 0)
        grid.addWidget(self._big("0", lambda: self._press(field, "0")), 3, 1)
        grid.addWidget(self._big(self.tr("退格"), lambda: self._erase(field)), 3, 2)
        if with_letters:
            letters = QWidget()
            letters.setObjectName("kioskLetters")
            rows = QGridLayout(letters)
            for i, key in enumerate(LETTERS):
                rows.addWidget(self._big(key, lambda _c=False, k=key: self._press(field, k)), i // 9, i % 9)
            letters.hide()
            self.letters = letters
            toggle = self._big(self.tr("字母"), lambda: letters.setVisible(not letters.isVisible()))
            grid.addWidget(toggle, 4, 0, 1, 3)
            grid.addWidget(letters, 5, 0, 1, 3)
        return pad

    def _case_step(self) -> QWidget:
        step = QWidget()
        hint = QLabel(self.tr("① 请将受理通知书上的条码对准扫描口，或输入办件编号"))
        hint.setObjectName("kioskStep")
        hint.setWordWrap(True)
        self.case_field = QLineEdit()
        self.case_field.setObjectName("caseNumberField")
        self.case_field.setMaxLength(self.CASE_LONGEST)
        self.case_field.setPlaceholderText(self.tr("办件编号"))
        self.case_field.returnPressed.connect(self.to_password)
        self.next_button = self._big(self.tr("下一步"), self.to_password)
        layout = QVBoxLayout(step)
        layout.addWidget(hint)
        layout.addWidget(self.case_field)
        layout.addWidget(self._keypad(self.case_field, with_letters=True))
        layout.addWidget(self.next_button)
        return step

    def _password_step(self) -> QWidget:
        step = QWidget()
        self.password_hint = QLabel()
        self.password_hint.setObjectName("kioskStep")
        self.password_hint.setWordWrap(True)
        # filled from the keypad (or digit keys, see keyPressEvent), never focused: the focus
        # stays on the page, so a barcode scanned now is still a scan (a new case number),
        # not digits typed into the password that would cost the applicant a try
        self.password_field = QLineEdit()
        self.password_field.setObjectName("queryPasswordField")
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_field.setMaxLength(6)
        self.password_field.setReadOnly(True)
        self.password_field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.password_field.setPlaceholderText(self.tr("6 位查询密码"))
        self.query_button = self._big(self.tr("查询"), self.ask)
        row = QHBoxLayout()
        row.addWidget(self._big(self.tr("重新输入编号"), self.to_case))
        row.addWidget(self.query_button)
        layout = QVBoxLayout(step)
        layout.addWidget(self.password_hint)
        layout.addWidget(self.password_field)
        layout.addWidget(self._keypad(self.password_field, with_letters=False))
        layout.addLayout(row)
        return step

    def _answer_step(self) -> QWidget:
        step = QWidget()
        self.answer_case = QLabel()
        self.answer_case.setObjectName("kioskStep")
        self.answer_case.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline = QLabel()
        self.headline.setObjectName("progressHeadline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details = QLabel()
        self.details.setObjectName("kioskMessage")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(step)
        layout.addWidget(self.answer_case)
        layout.addWidget(self.headline, 1)
        layout.addWidget(self.details, 2)
        layout.addWidget(self._big(self.tr("查询其他办件"), self.clear))
        return step

    # -- what the applicant does ---------------------------------------------------------

    def take_scan(self, code: str) -> None:
        """A barcode read by the scanner (the case number on the receipt or notice)."""
        if self.steps.currentIndex() == self.STEP_ANSWER:
            self.clear()
        self.case_field.setText(normalise_case_no(code)[: self.CASE_LONGEST])
        self.to_password()

    def to_password(self) -> None:
        case_no = normalise_case_no(self.case_field.text())
        self.poke()
        if not case_no:
            self.message.setText(self.tr("请扫描受理通知书上的条码，或输入办件编号"))
            return
        if not valid_case_no(case_no):         # said now, not after the password
            self.message.setText(self.tr("办件编号不对：请核对受理通知书上的编号（数字和字母）"))
            return
        self.case_field.setText(case_no)
        self.password_hint.setText(self.tr("② 办件编号 {case_no}\n请输入受理通知书上的 6 位查询密码")
                                   .format(case_no=case_no))
        self.password_field.clear()
        self.message.clear()
        self.steps.setCurrentIndex(self.STEP_PASSWORD)
        self.setFocus()

    def to_case(self) -> None:
        self.poke()
        self.password_field.clear()
        self.message.clear()
        self.steps.setCurrentIndex(self.STEP_CASE)
        self.case_field.setFocus()

    def ask(self) -> None:
        self.poke()
        self.message.setText(self.tr("正在查询，请稍候……"))
        self.progress.query(self.case_field.text(), self.password_field.text())

    def go_back(self) -> None:
        """返回: nothing of this query stays on the screen."""
        self.clear()
        self.back_requested.emit()

    def clear(self) -> None:
        """Back to the first step, every field and answer emptied."""
        self._idle.stop()
        self.case_field.clear()
        self.password_field.clear()
        self.headline.clear()
        self.details.clear()
        self.answer_case.clear()
        self.message.clear()
        self.letters.hide()
        self.steps.setCurrentIndex(self.STEP_CASE)
        self.case_field.setFocus()

    def poke(self) -> None:
        """Someone is using the page: the idle clock starts again."""
        self._idle.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.case_field.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress:
            self.poke()
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """A keyboard on the password step: digits, backspace, Enter (a scan never gets
        here: the wedge takes it whole)."""
        self.poke()
        if self.steps.currentIndex() != self.STEP_PASSWORD:
            super().keyPressEvent(event)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.ask()
        elif event.key() == Qt.Key.Key_Backspace:
            self._erase(self.password_field)
        elif event.text().isascii() and event.text().isdigit():
            self._press(self.password_field, event.text())
        else:
            super().keyPressEvent(event)

    # -- keypad --------------------------------------------------------------------------

    def _press(self, field: QLineEdit, key: str) -> None:
        if len(field.text()) < field.maxLength():
            field.setText(field.text() + key)
        self.poke()

    def _erase(self, field: QLineEdit, everything: bool = False) -> None:
        field.setText("" if everything else field.text()[:-1])
        self.poke()

    # -- answers -------------------------------------------------------------------------

    def _show_answer(self, words: ProgressWords) -> None:
        self.password_field.clear()            # the password never stays on the screen
        self.message.clear()
        self.answer_case.setText(self.tr("办件编号 {case_no}").format(case_no=words.case_no))
        self.headline.setText(words.headline)
        self.details.setText("\n".join(words.lines))
        self.steps.setCurrentIndex(self.STEP_ANSWER)
        self.poke()

    def _refused(self, message: str) -> None:
        self.password_field.clear()
        self.message.setText(message)
        self.poke()
