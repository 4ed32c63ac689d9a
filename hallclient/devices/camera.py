"""Document camera (高拍仪): an ordinary UVC camera, driven through Qt Multimedia.

The camera is opened only when the clerk asks for it. A captured frame arrives as a QImage
on the GUI thread; it is encoded to JPEG on the device lane and stored on the db lane
(IntakeService.add_camera_image), so the window never waits on it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession

log = logging.getLogger(__name__)

JPEG_QUALITY = 88   # documents stay legible; a 5 MP page is about 1-2 MB


def camera_names() -> list[str]:
    if not video_devices_possible():        # not even the media stack is loaded to ask
        return []
    from PySide6.QtMultimedia import QMediaDevices

    return [d.description() for d in QMediaDevices.videoInputs()]


def video_devices_possible(dev: Path = Path("/dev")) -> bool:
    """False only where it is certain that there is no camera: Linux, where every camera
    (UVC document cameras included) is a ``/dev/video*`` device and there is none. Asking
    Qt's media stack instead loads some 13 MB of libraries to learn the same. Elsewhere:
    True."""
    if not sys.platform.startswith("linux"):
        return True
    return any(dev.glob("video*"))


def encode_jpeg(image: QImage, quality: int = JPEG_QUALITY) -> bytes:
    """QImage -> JPEG bytes (safe on any thread)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 takes the format as str at run time; its stubs say bytes
    if not image.save(buffer, "JPG", quality):  # type: ignore[call-overload]
        raise ValueError("图像无法编码为 JPEG")
    buffer.close()
    return bytes(data.data())


class DocumentCamera(QObject):
    """Signals: image_captured(QImage), camera_failed(str message)"""

    image_captured = Signal(QImage)
    camera_failed = Signal(str)

    def __init__(self, preferred: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.preferred = preferred
        self._camera: QCamera | None = None
        self._session: QMediaCaptureSession | None = None
        self._capture: QImageCapture | None = None

    def available(self) -> bool:
        return bool(camera_names())

    def start(self) -> bool:
        if self._camera is not None:
            return True
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices

        devices = QMediaDevices.videoInputs()
        if not devices:
            self.camera_failed.emit("未检测到高拍仪，请检查 USB 连接")
            return False
        device = next((d for d in devices if d.description() == self.preferred), devices[0])
        camera = self._camera = QCamera(device, self)
        session = self._session = QMediaCaptureSession(self)
        capture = self._capture = QImageCapture(self)
        capture.setQuality(QImageCapture.Quality.VeryHighQuality)
        session.setCamera(camera)
        session.setImageCapture(capture)
        capture.imageCaptured.connect(self._on_image)
        capture.errorOccurred.connect(
            lambda _id, _err, text: self.camera_failed.emit(f"高拍仪拍照失败：{text}"))
        camera.errorOccurred.connect(
            lambda _err, text: self.camera_failed.emit(f"高拍仪故障：{text}"))
        camera.start()
        return True

    def capture(self) -> None:
        if not self.start():
            return
        assert self._capture is not None
        if not self._capture.isReadyForCapture():
            self.camera_failed.emit("高拍仪正在准备，请稍后再拍")
            return
        self._capture.capture()

    def _on_image(self, _request_id: int, image: QImage) -> None:
        if image.isNull():
            self.camera_failed.emit("高拍仪没有返回图像，请重拍")
            return
        self.image_captured.emit(image)

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()
