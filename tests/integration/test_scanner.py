"""Scanning through the real SANE frontend (scanimage) with SANE's built-in test device."""

from __future__ import annotations

import pytest

from hallclient.devices.scanner import SaneScanner, ScannerError
from hallclient.store.attachments import sniff


@pytest.fixture
def sane_test_env(tmp_path, monkeypatch):
    config = tmp_path / "sane.d"
    config.mkdir()
    (config / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(config))
    return {"SANE_CONFIG_DIR": str(config)}


def test_lists_and_scans_the_test_device(sane_test_env):
    scanner = SaneScanner(resolution=75, mode="Gray", env=sane_test_env)
    assert scanner.available()
    names = [d.name for d in scanner.devices()]
    assert "test:0" in names
    page = scanner.scan()
    assert sniff(page) == "image/png" and len(page) > 100


def test_unknown_device_is_a_clear_error(sane_test_env):
    with pytest.raises(ScannerError, match="扫描失败"):
        SaneScanner(device="nosuch:0", env=sane_test_env).scan()


def test_no_scanner_configured(tmp_path):
    config = tmp_path / "empty.d"
    config.mkdir()
    (config / "dll.conf").write_text("")
    with pytest.raises(ScannerError, match="没有找到扫描仪"):
        SaneScanner(env={"SANE_CONFIG_DIR": str(config)}).scan()


def test_missing_sane_is_a_clear_error():
    with pytest.raises(ScannerError, match="未安装扫描驱动"):
        SaneScanner(program="scanimage-not-installed").devices()
