"""Clients that send their requests slowly, or half of them, cannot starve the hall server:
the real ``hallclient hall-server`` under the usual limit of 1,024 open files keeps
answering while a thousand connections dribble half a header, and closes them."""

from __future__ import annotations

import contextlib
import io
import resource
import socket
import time

import pytest
import requests

from hallclient.app import main
from hallclient.servers.guard import Limits
from hallclient.servers.hall_server import RunningHallServer
from hallclient.wire.hall import DeviceKind

from .hall_fixtures import wait_for
from .test_server_commands import ServerProcess

HALF_HEADER = b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\nX-Slow: "


def _small_open_files_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


@pytest.fixture
def many_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    assert wanted > 1200, "this test needs 1,200 sockets of its own"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _open_half(port: int, count: int) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(HALF_HEADER)
        except OSError:
            continue             # refused or closed at once: the server is shedding them
        socks.append(sock)
    return socks


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _kiosk_token(data) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--data-dir", str(data), "hall-server", "add-device", "K1",
                     "--kind", "kiosk"]) == 0
    return out.getvalue().strip().split()[-1]


def test_half_sent_headers_do_not_starve_the_hall_server(tmp_path, many_files):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "hall-server", "import-hall"]) == 0
    token = _kiosk_token(data)
    hall = ServerProcess(data, "hall-server", "--host", "127.0.0.1", "--port", "0",
                         "--header-timeout", "3", preexec_fn=_small_open_files_limit)
    slow: list[socket.socket] = []
    try:
        url = hall.url()
        port = int(url.rsplit(":", 1)[1])
        slow = _open_half(port, 1100)           # more than the server's 1,024 open files
        for sock in slow[:50]:
            sock.send(b"x")                     # a byte now and then keeps a naive server waiting
        health = requests.get(url + "/api/v1/health", timeout=10)
        assert health.status_code == 200
        services = requests.get(url + "/api/v1/state", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
        assert services.status_code == 200, services.text
        # every half-sent request is closed by the server, none is left waiting for ever
        wait_for(lambda: all(_closed_by_server(s) for s in slow), timeout=60)
        assert requests.get(url + "/api/v1/health", timeout=10).status_code == 200
        assert hall.proc.poll() is None
    finally:
        for sock in slow:
            sock.close()
        hall.close()


def test_a_body_that_stops_coming_is_cut_off_and_a_patient_client_is_not(tmp_path):
    server = RunningHallServer(tmp_path / "hall", limits=Limits(header_timeout_s=2, body_idle_s=2))
    try:
        token = server.add_device("W1", DeviceKind.COUNTER, 1)
        stalled = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        stalled.sendall(b"POST /api/v1/logs HTTP/1.1\r\nHost: hall\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                        b"Authorization: Bearer " + token.encode() + b"\r\n\r\n{\"entries\": [")
        # a client that keeps its connection and asks again after pauses is served each time
        with requests.Session() as session:
            for _ in range(4):
                answer = session.get(f"http://127.0.0.1:{server.port}/api/v1/health", timeout=10)
                assert answer.status_code == 200
                time.sleep(1)
        wait_for(lambda: _closed_by_server(stalled), timeout=30)
        stalled.close()
    finally:
        server.stop()
