"""``hallclient platform-sim`` and ``hallclient hall-server`` as IT runs them: real processes
that say where they listen and where their data are, and stop cleanly on Ctrl+C and SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

import hallclient
from hallclient.app import main
from hallclient.store.db import DB_FILE

from .test_tls import make_ca_and_cert

SIGNALS = pytest.mark.parametrize("sig, said", [(signal.SIGINT, "Ctrl+C / SIGINT"),
                                               (signal.SIGTERM, "SIGTERM 停止信号"),
                                               (signal.SIGHUP, "SIGHUP（启动它的终端已关闭）")])


class ServerProcess:
    """``python3 -m hallclient ...`` with its output read line by line as it comes."""

    def __init__(self, data: Path, *args: str, preexec_fn=None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hallclient", "--data-dir", str(data), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
            preexec_fn=preexec_fn)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line_with(self, text: str, timeout: float = 60) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"ended before {text!r}: {self.seen} {self.stderr()}")
            self.seen.append(line)
            if text in line:
                return line

    def url(self) -> str:
        found = re.search(r"监听 (https?://127\.0\.0\.1:\d+)", self.line_with("已启动"))
        assert found, self.seen
        return found.group(1)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
        return code

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def processes():
    started: list[ServerProcess] = []
    yield lambda data, *args: started.append(ServerProcess(data, *args)) or started[-1]
    for p in started:
        p.close()


def closed_cleanly(db: Path) -> bool:
    """The last connection closed: SQLite folded the write-ahead log back and removed it."""
    return db.exists() and not Path(f"{db}-wal").exists()


@SIGNALS
def test_platform_sim_says_where_and_stops_cleanly(tmp_path, processes, sig, said):
    sim = processes(tmp_path, "platform-sim", "--port", "0", "--device", "W01=pw")
    url = sim.url()
    assert sim.seen[-1] == f"省平台模拟器已启动，监听 {url}"
    assert sim.line_with("接口说明") == f"接口说明：{url}/openapi.json"
    assert sim.line_with("数据：") == f"数据：{tmp_path / 'platform-sim'}"
    sim.line_with("按 Ctrl+C 停止")
    token = requests.post(url + "/api/v1/auth/token", json={"device_id": "W01", "secret": "pw"},
                          timeout=10)
    assert token.status_code == 200                         # the --device was registered
    assert not closed_cleanly(tmp_path / "platform-sim" / "platform.sqlite3")    # in use
    assert sim.stop(sig) == 0
    assert sim.seen[-1] == f"省平台模拟器已停止（收到 {said}），数据库已关闭"
    err = sim.stderr()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert closed_cleanly(tmp_path / "platform-sim" / "platform.sqlite3")


@SIGNALS
def test_hall_server_ends_its_event_streams_and_stops_cleanly(tmp_path, processes, sig, said):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "hall-server", "import-hall"]) == 0
    assert main(["--data-dir", str(data), "hall-server", "add-device", "P1", "--kind", "panel"]) == 0
    hall = processes(data, "hall-server", "--host", "127.0.0.1", "--port", "0")
    url = hall.url()
    db = data / "hall-server" / DB_FILE
    assert hall.line_with("数据：") == f"数据：{db}"
    token = _token(data, "P2")
    with requests.get(url + "/api/v1/events", headers={"Authorization": f"Bearer {token}"},
                      stream=True, timeout=(5, 30)) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert "event: state" in list(_until_blank(lines))      # the whole hall comes first
        assert hall.stop(sig) == 0
        assert list(lines) == []            # the server ended the stream (no 30 s read timeout)
    assert hall.seen[-1] == f"大厅服务器已停止（收到 {said}），数据库已关闭"
    err = hall.stderr()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "Cancel" not in err
    assert closed_cleanly(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM hall_devices").fetchone()[0] == 2
    conn.close()


def _token(data: Path, device: str) -> str:
    """Register a panel the way IT does and take the token it prints."""
    out = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "hall-server",
                          "add-device", device, "--kind", "panel"], capture_output=True, text=True,
                         timeout=60, env={**os.environ}, check=True).stdout
    return out.strip().splitlines()[-1]


def _until_blank(lines):
    for line in lines:
        if not line:
            return
        yield line


def test_a_port_in_use_is_said_plainly(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in (["hall-server", "--host", "127.0.0.1"], ["platform-sim"]):
            done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path),
                                   *command, "--port", str(port)], capture_output=True, text=True,
                                  timeout=60, env={**os.environ})
            assert done.returncode == 2
            assert f"无法启动：端口 {port} 已被占用" in done.stderr and "Traceback" not in done.stderr
            assert "已启动" not in done.stdout


def test_hall_server_on_https_with_the_county_ca(tmp_path, processes):
    ca, cert, key = make_ca_and_cert(tmp_path)
    hall = processes(tmp_path / "data", "hall-server", "--host", "127.0.0.1", "--port", "0",
                     "--certfile", str(cert), "--keyfile", str(key))
    url = hall.url()
    assert url.startswith("https://127.0.0.1:")
    assert requests.get(url + "/api/v1/health", verify=str(ca), timeout=10).json() == {"ok": True}
    assert hall.stop(signal.SIGTERM) == 0
    assert hall.seen[-1] == "大厅服务器已停止（收到 SIGTERM 停止信号），数据库已关闭"


@pytest.mark.parametrize("args, says", [
    (["hall-server", "--certfile", "/nowhere/server.pem"], "找不到证书文件：/nowhere/server.pem"),
    (["hall-server", "--keyfile", "server.key"], "--keyfile 要和 --certfile 一起给出"),
    (["platform-sim", "--device", "W01"], "--device 应写成 设备标识=密钥"),
    (["platform-sim", "--catalog", "/nowhere/catalog.json"], "找不到事项目录文件：/nowhere/catalog.json"),
])
def test_what_stops_a_server_from_starting_is_said(tmp_path, args, says):
    done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path), *args,
                           "--port", "0"], capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["hall-server", "platform-sim"])
@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_said(tmp_path, command, port):
    done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path), command,
                           "--port", port], capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "端口号" in done.stderr, done.stderr


def test_a_hall_server_without_a_hall_says_what_to_import_first(tmp_path, processes):
    bound = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path),
                            "hall-server", "add-device", "W05", "--kind", "counter", "--window", "5"],
                           capture_output=True, text=True, timeout=60, env={**os.environ})
    assert bound.returncode == 2 and "还没有导入大厅配置" in bound.stderr, bound.stderr
    hall = processes(tmp_path, "hall-server", "--host", "127.0.0.1", "--port", "0")
    assert "import-hall" in hall.line_with("注意：还没有导入大厅配置")
    hall.line_with("按 Ctrl+C 停止")


def test_a_certificate_that_is_not_one_is_said(tmp_path):
    junk = tmp_path / "server.pem"
    junk.write_text("not a certificate\n")
    done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path),
                           "hall-server", "--port", "0", "--certfile", str(junk)],
                          capture_output=True, text=True, timeout=60, env={**os.environ})
    assert done.returncode == 2 and "证书或私钥无法使用" in done.stderr
    assert "--keyfile 应是与它配对的私钥" in done.stderr               # what to check, not only why
    assert "Traceback" not in done.stderr and "已启动" not in done.stdout


def test_on_every_interface_the_lines_say_how_to_reach_it(tmp_path, processes):
    hall = processes(tmp_path, "hall-server", "--port", "0")        # the default: 0.0.0.0
    first = hall.line_with("已启动")
    port = re.search(r"0\.0\.0\.0:(\d+)", first).group(1)
    assert first == (f"大厅服务器已启动，监听 http://0.0.0.0:{port}（所有网卡：其他电脑用本机的局域网地址"
                     f"连接，如 http://本机IP:{port}）")
    assert hall.line_with("接口说明") == f"接口说明：http://127.0.0.1:{port}/openapi.json"
    assert requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).status_code == 200
    assert hall.stop(signal.SIGINT) == 0


def _catalog_of(url: str) -> dict:
    token = requests.post(url + "/api/v1/auth/token", json={"device_id": "W01", "secret": "pw"},
                          timeout=10).json()["access_token"]
    answer = requests.get(url + "/api/v1/catalog", headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_platform_sim_serves_the_demo_catalog_unless_told_another(tmp_path, processes):
    sim = processes(tmp_path, "platform-sim", "--port", "0", "--device", "W01=pw")
    url = sim.url()
    assert sim.line_with("事项目录：") == ("事项目录：示范事项目录（catalog.json），33 个事项，"
                                         "版本 2026-11-01（--catalog 文件 可换成别的目录）")
    assert len(_catalog_of(url)["items"]) == 33
    assert sim.stop(signal.SIGTERM) == 0
    own = json.loads((Path(hallclient.__file__).parent / "resources" / "demo" / "catalog.json")
                     .read_text(encoding="utf-8"))
    own["items"], own["version"] = own["items"][:2], "2026-12-01"
    path = tmp_path / "县目录.json"
    path.write_text(json.dumps(own, ensure_ascii=False), encoding="utf-8")
    sim = processes(tmp_path, "platform-sim", "--port", "0", "--device", "W01=pw",
                    "--catalog", str(path))
    url = sim.url()
    assert sim.line_with("事项目录：") == (f"事项目录：{path}，2 个事项，版本 2026-12-01"
                                         "（--catalog 文件 可换成别的目录）")
    assert _catalog_of(url)["version"] == "2026-12-01"


@pytest.mark.parametrize("text, says", [
    ("{not json", "不是正确的 JSON：第 1 行"),
    ('{"version": "1"}', "应是含 items 列表的 JSON 对象"),
])
def test_a_catalog_file_that_cannot_be_served_is_said(tmp_path, text, says):
    bad = tmp_path / "catalog.json"
    bad.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path),
                           "platform-sim", "--port", "0", "--catalog", str(bad)],
                          capture_output=True, text=True, timeout=60, env={**os.environ})
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert "已启动" not in done.stdout


def test_a_demo_platform_that_cannot_be_set_up_does_not_outlive_its_start(tmp_path, monkeypatch):
    """The simulator is started, then writing the counter's secret fails (a full disk):
    the start fails with that error and the simulator process is stopped, not left behind
    to re-create the throw-away folder."""
    import errno

    from hallclient import demo, secrets
    from hallclient.config import Config

    started = []
    real = demo.PlatformProcess

    def recording(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    def full_disk(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(demo, "PlatformProcess", recording)
    monkeypatch.setattr(secrets, "write_secret", full_disk)
    data = tmp_path / "hallclient-demo-t1"
    data.mkdir()
    with pytest.raises(OSError, match="No space left"):
        demo.start_platform(data, Config(data / "config.ini"), keep_secret_in_folder=True)
    assert len(started) == 1 and started[0].process.poll() is not None


def test_the_program_starts_itself_again_as_installed():
    import sys

    from hallclient import process

    assert process.program_command() == [sys.executable, "-m", "hallclient"]
    sys.frozen = True                        # the .deb / Windows bundle
    try:
        assert process.program_command() == [sys.executable]
    finally:
        del sys.frozen
