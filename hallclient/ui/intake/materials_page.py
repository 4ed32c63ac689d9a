"""Step 3 of intake: the materials (申请材料) the item asks for, each with how it was received,
and its electronic files: imported, scanned on the scanner or photographed on the document
camera (高拍仪)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hallclient.core.cases import MaterialDraft, MaterialStatus
from hallclient.core.catalog import Requirement
from hallclient.services.intake_service import IntakeService

from ..file_dialog import MATERIALS, open_file_names

STATUS_CHOICES = (
    (MaterialStatus.MISSING, "未提供"),
    (MaterialStatus.KEPT, "已收取（电子件）"),
    (MaterialStatus.ORIGINAL_VERIFIED, "原件已核验，不留存"),
    (MaterialStatus.ORIGINAL_RETURNED, "已收原件（已核验并退还）"),
    (MaterialStatus.PAPER_COPY, "已收纸质复印件"),
    (MaterialStatus.NOT_APPLICABLE, "不适用"),
)


class MaterialsPage(QWidget):
    """Signals: note_posted(str text, bool error) — for the window's message line

    A material whose file was refused (or whose status could not be set) shows why in red
    in its 电子件 cell until a file of it is taken or its status set."""

    note_posted = Signal(str, bool)

    def __init__(self, intake: IntakeService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intake = intake
        self.refused: dict[str, str] = {}      # material code -> why its last file was refused
        self.material_table = QTableWidget(0, 5)
        self.material_table.setHorizontalHeaderLabels(
            [self.tr("材料"), self.tr("要求"), self.tr("形式/份数"), self.tr("收取情况"), self.tr("电子件")])
        self.material_table.horizontalHeader().setStretchLastSection(True)
        self.material_table.setColumnWidth(0, 330)
        self.material_table.setColumnWidth(2, 130)
        self.material_table.setColumnWidth(3, 190)
        self.import_button = QPushButton(self.tr("导入文件（JPG/PNG/PDF）(&I)…"))
        self.scan_button = QPushButton(self.tr("扫描仪扫描"))
        self.camera_button = QPushButton(self.tr("高拍仪拍照"))
        self.preview_button = QPushButton(self.tr("预览电子件(&P)"))
        self.preview_button.setEnabled(False)
        self.preview_dialog: QDialog | None = None
        self.standard_label = QLabel()
        self.standard_label.setWordWrap(True)
        v = QVBoxLayout(self)
        v.addWidget(self.material_table, 1)
        v.addWidget(self.standard_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.camera_button)
        buttons.addWidget(self.preview_button)
        v.addLayout(buttons)
        self.camera_button.clicked.connect(self.photograph_current_row)
        self.import_button.clicked.connect(self._import_dialog)
        self.scan_button.clicked.connect(self.scan_current_row)
        self.preview_button.clicked.connect(self.preview_current_row)
        intake.preview_ready.connect(self._show_preview)
        self.material_table.currentCellChanged.connect(lambda r, *_: self._show_standard(r))
        intake.material_changed.connect(self._material_changed)
        intake.material_failed.connect(self._material_failed)
        intake.draft_started.connect(lambda _draft: self.refused.clear())

    def _materials(self) -> list[MaterialDraft]:
        draft = self.intake.draft
        return draft.materials if draft is not None else []

    def _at(self, row: int) -> MaterialDraft | None:
        materials = self._materials()
        return materials[row] if 0 <= row < len(materials) else None

    def fill(self) -> None:
        if self.intake.draft is None:
            return
        materials = self._materials()
        row_now = max(self.material_table.currentRow(), 0)
        self.material_table.setRowCount(len(materials))
        for row, m in enumerate(materials):
            name = m.name + (f"（{m.condition}）" if m.condition else "")
            need = self.tr("必要") if m.requirement is Requirement.REQUIRED else self.tr("情形")
            refused = self.refused.get(m.code, "")
            files = str(len(m.files)) + (self.tr("　未收下：{why}").format(why=refused) if refused else "")
            for col, text in ((0, name), (1, need), (2, f"{m.form.label} × {m.expected_count}"),
                              (4, files)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if col == 4 and refused:
                    item.setForeground(QColor("#c0392b"))
                    item.setToolTip(refused)
                self.material_table.setItem(row, col, item)
            self.material_table.setCellWidget(row, 3, self._status_box(m))
        self.material_table.setCurrentCell(min(row_now, len(materials) - 1), 0)
        # the same row number on a new case moves no cell: the 要求 shown is still this case's
        self._show_standard(self.material_table.currentRow())

    def _material_changed(self, code: str) -> None:
        self.refused.pop(code, None)        # what was refused is no longer the last word
        self.fill()

    def _material_failed(self, code: str, message: str) -> None:
        if self.intake.draft is not None:
            self.refused[code] = message
            self.fill()

    def _status_box(self, m: MaterialDraft) -> QComboBox:
        box = QComboBox()
        for status, label in STATUS_CHOICES:
            box.addItem(self.tr(label), status.value)
        box.setCurrentIndex(box.findData(m.status.value))
        box.currentIndexChanged.connect(
            lambda _i: self.intake.set_status(m.code, MaterialStatus(box.currentData())))
        return box

    def _show_standard(self, row: int) -> None:
        m = self._at(row)
        self.standard_label.setText(self.tr("要求：") + (m.standard or "—") if m is not None else "")
        self.preview_button.setEnabled(m is not None and bool(m.files))

    def preview_current_row(self) -> None:
        """预览: the current material's last file (an image, or a PDF's first page)."""
        m = self._at(self.material_table.currentRow())
        if m is not None:
            self.intake.preview(m.code)

    def _show_preview(self, code: str, name: str, image: QImage) -> None:
        m = next((m for m in self._materials() if m.code == code), None)
        dialog = self.preview_dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("预览 · {m} · {f}").format(m=m.name if m else code, f=name))
        picture = QLabel()
        picture.setObjectName("preview")
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        screen = self.screen().availableGeometry().size() * 0.8 if self.screen() else image.size()
        pixmap = QPixmap.fromImage(image)
        if pixmap.width() > screen.width() or pixmap.height() > screen.height():
            pixmap = pixmap.scaled(screen, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        picture.setPixmap(pixmap)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(dialog.reject)
        v = QVBoxLayout(dialog)
        v.addWidget(picture, 1)
        v.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def import_files_for_row(self, row: int, paths: list[Path]) -> None:
        m = self._at(row)
        if m is not None:
            self.intake.import_files(m.code, paths)

    def refresh_camera(self) -> None:
        """Enable 高拍仪拍照 only when a camera is connected."""
        names = self.intake.cameras()
        self.camera_button.setEnabled(bool(names))
        self.camera_button.setToolTip(names[0] if names else self.tr("未检测到高拍仪"))

    def photograph_current_row(self) -> None:
        m = self._at(self.material_table.currentRow())
        if m is not None:
            self.intake.photograph(m.code)

    def scan_current_row(self) -> None:
        m = self._at(self.material_table.currentRow())
        if m is not None:
            self.note_posted.emit(self.tr("正在扫描「{n}」…").format(n=m.name), False)
            self.intake.scan_material(m.code)

    def note_scanned_code(self, code: str) -> None:
        """A barcode scanned off the material in the current row (e.g. a 营业执照's QR code)."""
        m = self._at(self.material_table.currentRow())
        if m is not None:
            self.intake.note_material_code(m.code, code)
            self.note_posted.emit(self.tr("已记录「{m}」上的条码：{code}").format(m=m.name, code=code), False)

    def _import_dialog(self) -> None:
        files = open_file_names(self, MATERIALS, self.tr("选择材料文件"),
                                self.tr("材料 (*.jpg *.jpeg *.png *.pdf)"))
        if files:
            self.import_files_for_row(self.material_table.currentRow(), files)
