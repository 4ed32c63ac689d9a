"""IT staff: ``admin set-device``, ``admin sync-now`` and sync figures in ``admin status``."""

from __future__ import annotations

import io
import json
import stat

import requests

from hallclient.app import main
from hallclient.servers.platform_sim import RunningServer, create_app

from .test_platform_sim import API
from .test_sync_engine import accept


def test_sync_now_from_the_command_line(tmp_path, db, desk, capsys, monkeypatch):
    sim = RunningServer(create_app(tmp_path / "platform"))
    try:
        requests.post(sim.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                      timeout=5).raise_for_status()
        data = str(tmp_path)
        assert main(["--data-dir", data, "admin", "sync-now"]) == 2          # not configured
        assert "未配置" in capsys.readouterr().err
        assert main(["--data-dir", data, "admin", "config", "--set", f"platform.url={sim.url}"]) == 0
        monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
        assert main(["--data-dir", data, "admin", "set-device", "W01", "--secret-stdin"]) == 0
        secret = tmp_path / "device.secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert "pw" not in (tmp_path / "config.ini").read_text(encoding="utf-8")
        accept(desk, 1)
        accept(desk, 2)
        capsys.readouterr()
        assert main(["--data-dir", data, "admin", "status", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["sync"]["outbox"] == {"pending": 2}
        assert main(["--data-dir", data, "admin", "sync-now"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["done"] == 2 and result["pending"] == 0 and result["problems"] == []
        assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 2
    finally:
        sim.stop()
