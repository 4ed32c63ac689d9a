"""``admin join-hall`` proves the hall server, its certificate and the token before it saves
anything: real hall servers on loopback, plain and with TLS."""

from __future__ import annotations

import io
import json
import socket

import pytest
import requests

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.secrets import read_secret
from hallclient.servers import serve_in_thread
from hallclient.servers.hall_server import HallServer
from hallclient.servers.platform_sim import RunningServer, create_app
from hallclient.wire.hall import DeviceKind

from .hall_fixtures import start_hall
from .test_tls import make_ca_and_cert


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


class TlsHall:
    """A hall server speaking https with a certificate for 127.0.0.1 from its own CA."""

    def __init__(self, root, spec) -> None:
        root.mkdir()
        self.ca, cert, key = make_ca_and_cert(root)
        self.hall = HallServer(root / "hall-server")
        self.hall.worker.submit(lambda core: core.queue.import_hall(spec)).result()
        self.server, _thread, self.port = serve_in_thread(
            self.hall.asgi, "hall-tls", ssl_certfile=str(cert), ssl_keyfile=str(key))
        self.thread = _thread

    def add_device(self, device_id: str, kind: DeviceKind, window: int | None = None) -> str:
        from hallclient.servers.hall_devices import add_device

        return self.hall.worker.submit(lambda core: add_device(core.db, device_id, kind, window)).result()

    def close(self) -> None:
        self.hall.broker.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.hall.close()


@pytest.fixture(scope="module")
def tls_hall(tmp_path_factory):
    """One for the module (making certificates takes a while); each test re-keys W5."""
    from hallclient import resources

    spec = json.loads(resources.path("demo", "hall.json").read_text(encoding="utf-8"))
    h = TlsHall(tmp_path_factory.mktemp("tls-hall") / "tls", spec)
    yield h
    h.close()


@pytest.fixture
def counter(tmp_path):
    """A counter PC's data directory that already has a configuration of its own."""
    data = tmp_path / "counter-pc"
    data.mkdir()
    Config(data / CONFIG_FILE, {"hall.name": "示范县政务服务中心", "queue.recall_limit": "2"}).save()
    return data


def join(data, url, device, token, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    code = main(["--data-dir", str(data), "admin", "join-hall", url, device, "--token-stdin"])
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(data, url, device, token, monkeypatch, capsys) -> str:
    """Join must fail with exit 2 and leave the counter's settings and secrets untouched."""
    before = (data / CONFIG_FILE).read_bytes()
    code, out, err = join(data, url, device, token, monkeypatch, capsys)
    assert code == 2, out + err
    assert out == ""
    assert err.startswith("未加入大厅服务器，没有保存任何设置：")
    assert "Traceback" not in err and "Error" not in err
    assert (data / CONFIG_FILE).read_bytes() == before
    assert read_secret(data, kind="hall") == ""
    assert not (data / "hall-device.secret").exists()
    return err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_device_endpoint_names_the_token_s_device(hall):
    token = hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    got = requests.get(hall.url + "/api/v1/device", headers={"Authorization": f"Bearer {token}"},
                       timeout=5)
    assert got.json() == {"device_id": "W5", "kind": "counter", "window": 5}
    wrong = {"Authorization": "Bearer not-a-token"}
    for device_id, known in (("W5", True), ("W9", False)):
        answer = requests.get(hall.url + "/api/v1/device", params={"device_id": device_id},
                              headers=wrong, timeout=5)
        assert answer.status_code == 401 and answer.json()["detail"]["registered"] is known
    answer = requests.get(hall.url + "/api/v1/device", headers=wrong, timeout=5)
    assert answer.status_code == 401 and "registered" not in answer.json()["detail"]


def test_a_good_token_is_saved_with_the_address(hall, counter, monkeypatch, capsys):
    token = hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    Config(counter / CONFIG_FILE, {"queue.recall_limit": "2"}).save()     # a PC set up afresh
    code, out, err = join(counter, hall.url + "/", "W5", token, monkeypatch, capsys)
    assert code == 0, err
    assert out.startswith(f"已改用大厅服务器 {hall.url}：设备 W5（窗口机，只能操作 5 号窗口），令牌保存在")
    config = Config(counter / CONFIG_FILE)
    assert (config["queue.source"], config["hall.server_url"], config["hall.device_id"]) == (
        "hall", hall.url, "W5")
    assert config["queue.recall_limit"] == 2                       # the rest is kept
    # the hall's name and region code come from the hall server's hall description
    assert (config["hall.name"], config["hall.region_code"]) == ("示范县政务服务中心", "330109")
    assert "已保存 hall.name = 示范县政务服务中心" in out
    assert read_secret(counter, kind="hall") == token
    assert token not in (counter / CONFIG_FILE).read_text(encoding="utf-8")


def test_a_kiosk_joins_too(hall, counter, monkeypatch, capsys):
    token = hall.server.add_device("KIOSK1", DeviceKind.KIOSK)
    code, out, _ = join(counter, hall.url, "KIOSK1", token, monkeypatch, capsys)
    assert code == 0 and "设备 KIOSK1（取号机）" in out


def test_a_wrong_token_for_a_registered_device(hall, counter, monkeypatch, capsys):
    hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, hall.url, "W5", "typed-wrong", monkeypatch, capsys)
    assert "令牌不对：设备 W5 已在大厅服务器登记" in err
    assert "hallclient hall-server add-device W5" in err


def test_an_unknown_device(hall, counter, monkeypatch, capsys):
    hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, hall.url, "W05", "some-token", monkeypatch, capsys)
    assert "大厅服务器上没有登记设备 W05（未知设备）" in err


def test_another_device_s_token(hall, counter, monkeypatch, capsys):
    token = hall.server.add_device("W6", DeviceKind.COUNTER, 6)
    hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, hall.url, "W5", token, monkeypatch, capsys)
    assert "这个令牌属于设备 W6，不是 W5" in err


def test_nothing_listening(counter, monkeypatch, capsys):
    port = free_port()
    err = refused(counter, f"http://127.0.0.1:{port}", "W5", "t", monkeypatch, capsys)
    assert f"大厅服务器 127.0.0.1:{port} 拒绝连接：服务器没有运行，或端口不对" in err


def test_an_address_that_is_not_a_hall_server(tmp_path, counter, monkeypatch, capsys):
    sim = RunningServer(create_app(tmp_path / "platform"))
    try:
        err = refused(counter, sim.url, "W5", "t", monkeypatch, capsys)
    finally:
        sim.stop()
    assert "不像是大厅服务器" in err and "8710" in err


def test_a_malformed_address_is_refused_before_anything(counter, monkeypatch, capsys):
    before = (counter / CONFIG_FILE).read_bytes()
    code, _, err = join(counter, "192.168.1.10:8710", "W5", "t", monkeypatch, capsys)
    assert code == 2 and "hall.server_url" in err and "http://地址:端口" in err
    assert (counter / CONFIG_FILE).read_bytes() == before


def test_https_to_a_plain_http_hall_server(hall, counter, monkeypatch, capsys):
    token = hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    https = hall.url.replace("http://", "https://")
    err = refused(counter, https, "W5", token, monkeypatch, capsys)
    assert f"没有用 https，地址应写成 {hall.url}" in err


# -- a hall server with its own CA ----------------------------------------------------------

def test_an_untrusted_certificate_names_hall_ca_bundle(tls_hall, counter, monkeypatch, capsys):
    token = tls_hall.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, f"https://127.0.0.1:{tls_hall.port}", "W5", token, monkeypatch, capsys)
    assert "证书不受本机信任" in err
    assert "hallclient admin config --set hall.ca_bundle=" in err


def test_with_the_county_ca_configured_the_tls_hall_is_joined(tls_hall, counter, monkeypatch,
                                                               capsys):
    token = tls_hall.add_device("W5", DeviceKind.COUNTER, 5)
    assert main(["--data-dir", str(counter), "admin", "config", "--set",
                 f"hall.ca_bundle={tls_hall.ca}"]) == 0
    capsys.readouterr()
    url = f"https://127.0.0.1:{tls_hall.port}"
    code, out, err = join(counter, url, "W5", token, monkeypatch, capsys)
    assert code == 0, err
    assert Config(counter / CONFIG_FILE)["hall.server_url"] == url
    capsys.readouterr()
    assert main(["--data-dir", str(counter), "admin", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["hall"]["online"] is True and status["config_problems"] == []


def test_a_certificate_from_another_ca_than_the_configured_one(tls_hall, counter, tmp_path,
                                                               monkeypatch, capsys):
    (tmp_path / "other").mkdir()
    other_ca, _, _ = make_ca_and_cert(tmp_path / "other")
    assert main(["--data-dir", str(counter), "admin", "config", "--set",
                 f"hall.ca_bundle={other_ca}"]) == 0
    capsys.readouterr()
    token = tls_hall.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, f"https://127.0.0.1:{tls_hall.port}", "W5", token, monkeypatch, capsys)
    assert f"不是由 hall.ca_bundle 中的 CA（{other_ca}）签发的" in err


def test_a_name_the_certificate_does_not_carry(tls_hall, counter, monkeypatch, capsys):
    assert main(["--data-dir", str(counter), "admin", "config", "--set",
                 f"hall.ca_bundle={tls_hall.ca}"]) == 0
    capsys.readouterr()
    token = tls_hall.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, f"https://localhost:{tls_hall.port}", "W5", token, monkeypatch, capsys)
    assert "证书上的名称与地址中的 localhost 不符" in err


def test_http_to_a_https_hall_server(tls_hall, counter, monkeypatch, capsys):
    token = tls_hall.add_device("W5", DeviceKind.COUNTER, 5)
    err = refused(counter, f"http://127.0.0.1:{tls_hall.port}", "W5", token, monkeypatch, capsys)
    assert f"用的是 https，地址应写成 https://127.0.0.1:{tls_hall.port}" in err
    assert "hall.ca_bundle" in err


def test_status_after_joining_says_whether_the_hall_answers(hall, counter, monkeypatch, capsys):
    token = hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    assert join(counter, hall.url, "W5", token, monkeypatch, capsys)[0] == 0
    assert main(["--data-dir", str(counter), "admin", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"队列：大厅服务器 {hall.url}，在线；手工接待待补传 0 条，操作日志已推送到第 0 条" in lines
    assert "窗口：7 个" in lines and lines[-1] == "问题：无"
    hall.stop()
    try:
        assert main(["--data-dir", str(counter), "admin", "status"]) == 0
        out = capsys.readouterr().out
    finally:
        hall.restart()
    assert f"队列：大厅服务器 {hall.url}，连不上（窗口改为手工接待）" in out
    assert "等候：取不到（见下方问题）" in out
    assert "检查网络，以及大厅服务器是否在运行" in out and "问题：1 个（配置或连接）" in out
