"""转移: a small chooser of where the ticket goes — another service's queue or another
window — driven by the keyboard alone (arrows, Enter to confirm, Esc to cancel)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.hall import Service, WindowInfo


@dataclass(frozen=True)
class TransferTarget:
    """Where a transferred ticket goes: a service's queue or one window (not both)."""

    service: str | None
    window: int | None
    label: str          # as the clerk reads it: 市场监管·企业开办 / 3 号窗口 综合受理


class TransferChooser(QDialog):
    """Signals: target_chosen(TransferTarget, bool raised) — the clerk pressed Enter."""

    target_chosen = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferChooser")
        self.setWindowTitle(self.tr("转移"))
        self.setModal(True)
        self.setMinimumSize(420, 420)
        self.heading = QLabel()
        self.heading.setObjectName("chooserHeading")
        self.heading.setWordWrap(True)
        self.targets = QListWidget()
        self.targets.setObjectName("transferTargets")
        self.raised = QCheckBox(self.tr("优先（排到最前）"))
        hint = QLabel(self.tr("↑↓ 选择　Enter 确认转移　Esc 取消"))
        hint.setObjectName("chooserHint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("转移"))
        ok.setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.targets.itemActivated.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.targets, 1)
        layout.addWidget(self.raised)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def offer(self, number: str, own_service: str, own_window: int | None,
              services: list[Service], windows: list[WindowInfo]) -> int:
        """Fill the list for ticket ``number``: every other service, then every other
        window; the ticket's own service and this window are never offered. Returns how
        many targets there are."""
        self.heading.setText(self.tr("把 {n} 转到：").format(n=number))
        self.targets.clear()
        self.raised.setChecked(False)
        for s in services:
            if s.code != own_service:
                self._add(self.tr("业务　{name}（{p}）").format(name=s.name, p=s.prefix),
                          TransferTarget(s.code, None, s.name))
        for w in windows:
            if w.number != own_window:
                where = self.tr("{n} 号窗口").format(n=w.number)
                label = f"{where} {w.name}".strip()
                self._add(self.tr("窗口　{label}").format(label=label),
                          TransferTarget(None, w.number, label))
        if self.targets.count():
            self.targets.setCurrentRow(0)
        self.targets.setFocus()
        return self.targets.count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.targets.setFocus()       # arrows and Enter work at once

    def _add(self, text: str, target: TransferTarget) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, target)
        self.targets.addItem(item)

    def chosen(self) -> TransferTarget | None:
        item = self.targets.currentItem()
        target = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return target if isinstance(target, TransferTarget) else None

    def accept(self) -> None:
        target = self.chosen()
        if target is None:
            return
        super().accept()
        self.target_chosen.emit(target, self.raised.isChecked())
