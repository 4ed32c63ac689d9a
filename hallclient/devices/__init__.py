"""Counter hardware: speech and chime, printers, scanners, ID-card reader, barcode wedge."""


class DeviceError(Exception):
    """A device could not do its job; ``message`` says why in Chinese, for the clerk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
