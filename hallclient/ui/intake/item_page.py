"""Step 1 of intake: find the item (事项) by name, code or pinyin initials.

Keyboard first: Enter in the search box takes the highlighted result (or the only one),
Down moves into the results, and a search that finds nothing says so."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from hallclient.services.intake_service import IntakeService


class FoundItem(Protocol):
    """One search result (the catalog's item summary)."""

    impl_code: str
    name: str
    department: str


class ItemPage(QWidget):
    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("输入事项名称、编码或拼音首字母，如 gtgsh"))
        self.item_list = QListWidget()
        self.none_label = QLabel()
        self.none_label.setObjectName("problems")
        self.none_label.setProperty("tone", "error")
        self.none_label.hide()
        v = QVBoxLayout(self)
        v.addWidget(self.search_edit)
        v.addWidget(self.none_label)
        v.addWidget(self.item_list)
        self.search_edit.textChanged.connect(intake.search)
        self.search_edit.installEventFilter(self)
        self.item_list.itemActivated.connect(lambda _: self._choose())
        self.item_list.itemDoubleClicked.connect(lambda _: self._choose())
        intake.items_found.connect(self.show_items)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.search_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.item_list.count():
                # (a wedge scan's Enter never gets here: the wedge takes the whole burst)
                if self.item_list.currentRow() < 0:
                    self.item_list.setCurrentRow(0)
                self._choose()
                return True
            if key == Qt.Key.Key_Down and self.item_list.count():
                self.item_list.setFocus()
                if self.item_list.currentRow() < 0:
                    self.item_list.setCurrentRow(0)
                return True
        return super().eventFilter(watched, event)

    def search_again(self) -> None:
        self.intake.search(self.search_edit.text())

    def show_items(self, items: list[FoundItem]) -> None:
        self.item_list.clear()
        for s in items:
            entry = QListWidgetItem(f"{s.name}　—　{s.department}")
            entry.setData(Qt.ItemDataRole.UserRole, s.impl_code)
            self.item_list.addItem(entry)
        if items:
            self.item_list.setCurrentRow(0)
        text = self.search_edit.text().strip()
        self.none_label.setText(self.tr("没有找到与「{text}」相符的事项，请换个名称、编码或拼音首字母")
                                .format(text=text) if text else self.tr("事项目录为空"))
        self.none_label.setVisible(not items)

    def _choose(self) -> None:
        entry = self.item_list.currentItem()
        if entry is not None:
            self.intake.choose(str(entry.data(Qt.ItemDataRole.UserRole)))
