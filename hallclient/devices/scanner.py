"""Flatbed and sheet-fed scanners through SANE (UOS / Kylin / Debian), via ``scanimage``.

``scanimage`` blocks for the whole scan (up to minutes), so it runs on the device lane and
the db lane stores the bytes right after: a commit never waits behind a scan. Windows
scanners (WIA) are not supported yet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from hallclient.devices import DeviceError

_DEVICE = re.compile(r"^device `(?P<name>[^']+)' is an? (?P<desc>.*)$")


class ScannerError(DeviceError):
    """Why the scan failed (没有扫描仪 / 卡纸 / 超时 ...)."""


@dataclass(frozen=True)
class ScannerDevice:
    name: str
    description: str


class SaneScanner:
    def __init__(self, device: str = "", resolution: int = 200, mode: str = "Color",
                 program: str = "scanimage", env: dict[str, str] | None = None,
                 timeout_s: float = 180.0) -> None:
        self.device = device
        self.resolution = resolution
        self.mode = mode
        self.program = program
        self.env = {**os.environ, **(env or {})}
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.program, path=self.env.get("PATH")) is not None

    def devices(self) -> list[ScannerDevice]:
        out = self._run(["-L"], timeout=30).decode("utf-8", "replace")
        found = []
        for line in out.splitlines():
            match = _DEVICE.match(line.strip())
            if match:
                found.append(ScannerDevice(match["name"], match["desc"]))
        return found

    def scan(self) -> bytes:
        """One page as PNG bytes."""
        device = self.device
        if not device:
            devices = self.devices()
            if not devices:
                raise ScannerError("没有找到扫描仪，请检查扫描仪电源和连接线")
            device = devices[0].name
        data = self._run(["-d", device, "--format=png", f"--resolution={self.resolution}",
                          f"--mode={self.mode}"], timeout=self.timeout_s)
        if not data.startswith(b"\x89PNG"):
            raise ScannerError("扫描仪没有返回图像，请重试")
        return data

    def _run(self, args: list[str], timeout: float) -> bytes:
        if not self.available():
            raise ScannerError("本机未安装扫描驱动（SANE scanimage），请联系信息管理员")
        try:
            result = subprocess.run([self.program, *args], capture_output=True, env=self.env,
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ScannerError("扫描超时，请检查扫描仪是否卡纸") from exc
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ScannerError(f"扫描失败：{detail[-1] if detail else result.returncode}")
        return result.stdout
