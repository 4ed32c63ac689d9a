"""Step 1 of intake: find the item (事项) by name, code or pinyin initials."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

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
        v = QVBoxLayout(self)
        v.addWidget(self.search_edit)
        v.addWidget(self.item_list)
        self.search_edit.textChanged.connect(intake.search)
        self.item_list.itemActivated.connect(lambda _: self._choose())
        self.item_list.itemDoubleClicked.connect(lambda _: self._choose())
        intake.items_found.connect(self.show_items)

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

    def _choose(self) -> None:
        entry = self.item_list.currentItem()
        if entry is not None:
            self.intake.choose(str(entry.data(Qt.ItemDataRole.UserRole)))
