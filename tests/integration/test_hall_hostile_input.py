"""Whatever a caller sends, the hall server answers 4xx with its error body, never 5xx, and
nothing it keeps changes."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from hallclient.wire.hall import DeviceKind

from .hall_fixtures import start_hall, wait_for


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


HUGE = 2**80


def test_numbers_dates_and_texts_beyond_their_range_are_refused_by_name(hall):
    url = hall.url + "/api/v1"
    hall.counter(1)
    auth = {"Authorization": f"Bearer {hall.token('R1', DeviceKind.COUNTER)}"}
    sends = [
        ("GET", f"/windows/{HUGE}", None),
        ("GET", "/windows/0", None),
        ("GET", "/windows/-3", None),
        ("POST", f"/windows/{HUGE}/call-next", {"clerk": "a"}),
        ("POST", "/windows/1/finish", {"clerk": "a", "ticket_id": HUGE}),
        ("POST", "/windows/1/transfer", {"clerk": "a", "ticket_id": 1, "to_window": HUGE}),
        ("POST", "/windows/1/manual", {"uid": "u" * 10, "clerk": "a", "started_at": "x" * 20,
                                       "finished_at": "2026-11-30T10:00:00"}),
        ("POST", "/windows/1/manual", {"uid": "u" * 10, "clerk": "a",
                                       "started_at": "2026-11-30T10:05:00",
                                       "finished_at": "2026-11-30T10:00:00"}),
        ("POST", "/windows/1/manual", {"uid": "u" * 10, "clerk": "a",
                                       "started_at": "0001-01-01T00:00:00",
                                       "finished_at": "9999-12-31T23:59:59"}),
        ("GET", "/records?first=2026-12-01&last=2026-11-01", None),
        ("GET", "/records?first=0001-01-01&last=9999-12-31", None),
        ("GET", "/records?first=9999-12-31&last=9999-12-31", None),
        ("GET", "/records?first=2000-01-01&last=2999-12-31", None),
        ("GET", "/records?first=2026-02-30&last=2026-03-01", None),
        ("POST", "/logs", {"entries": [{"seq": HUGE, "at": "2026-11-30T10:00:00.000",
                                        "device": "d", "action": "lock",
                                        "prev_hash": "0" * 64, "hash": "0" * 64}]}),
        ("POST", "/logs", {"entries": [{"seq": 1, "at": "2026-11-30T10:00:00.000",
                                        "device": "d", "action": "lock",
                                        "prev_hash": "零" * 64, "hash": "0" * 64}]}),
        ("POST", "/tickets", {"service": "ZH", "priority": HUGE}),
    ]
    for method, path, body in sends:
        started = time.monotonic()
        answer = requests.request(method, url + path, json=body, headers=auth, timeout=10)
        assert answer.status_code == 422, (path, body, answer.status_code, answer.text)
        assert answer.json()["detail"]["error"] == "invalid", answer.text
        assert time.monotonic() - started < 5          # refused, not worked through
    assert requests.get(url + "/records?first=2026-11-01&last=2026-11-30", headers=auth,
                        timeout=10).status_code == 200


def test_bodies_that_are_not_json_too_big_or_odd_headers_get_an_answer_not_a_crash(hall):
    url = hall.url + "/api/v1"
    auth = {"Authorization": f"Bearer {hall.token('K1', DeviceKind.KIOSK)}"}
    not_json = requests.post(url + "/tickets", data=b"\xff\xfe{", headers=auth, timeout=10)
    assert not_json.status_code == 422 and not_json.json()["detail"]["error"] == "invalid"
    deep = requests.post(url + "/tickets", data=b"[" * 200_000 + b"]" * 200_000, timeout=10,
                         headers={**auth, "Content-Type": "application/json"})
    assert deep.status_code == 422 and "嵌套过深" in deep.json()["detail"]["message"]
    big = requests.post(url + "/tickets", data=b"[" + b"1," * 3_000_000 + b"1]",
                        headers={**auth, "Content-Type": "application/json"}, timeout=30)
    assert big.status_code == 413
    with socket.create_connection(("127.0.0.1", hall.port), timeout=10) as sock:
        token = auth["Authorization"].encode()
        sock.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: hall\r\nAuthorization: " + token +
                     b"\r\nContent-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n{")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")   # at once: none of it is waited for
    chunked = requests.post(url + "/tickets", data=(b"x" * 100_000 for _ in range(50)),
                            headers=auth, timeout=30)
    assert chunked.status_code == 413
    for token in ("令牌", "x" * 10_000, "\x7f"):
        odd = requests.get(url + "/hall", headers={"Authorization": ("Bearer " + token).encode()},
                           timeout=10)
        assert odd.status_code in (400, 401), odd.text       # 400: the HTTP parser's own
    panel = {"Authorization": f"Bearer {hall.token('P1', DeviceKind.PANEL)}"}
    for seen in (str(HUGE), "-1", "abc", "１２"):
        with requests.get(url + "/events", headers={**panel, "Last-Event-ID": seen.encode()},
                          stream=True, timeout=10) as answer:
            assert answer.status_code == 200
            first = next(answer.iter_lines(decode_unicode=True))
            assert first.startswith("id: ")         # the whole hall, from the start
    # and the kiosk still takes tickets
    assert requests.post(url + "/tickets", json={"service": "ZH"}, headers=auth,
                         timeout=10).status_code == 201


def test_one_device_cannot_hold_up_the_windows_reads_with_streams_or_long_reads(hall):
    import threading

    url = hall.url + "/api/v1"
    kiosk = {"Authorization": f"Bearer {hall.token('K1', DeviceKind.KIOSK)}"}
    counter = hall.counter(1)
    counter.sign_in(1, "clerk1")
    # the thread for long reads is busy (a month's records, a replay) ...
    busy, release = threading.Event(), threading.Event()
    hall.server.hall.slow_reader.submit(lambda core: (busy.set(), release.wait(60)))
    assert busy.wait(10)
    try:
        streams = []
        for _ in range(6):             # ... and the kiosk asks for replays on 6 streams
            sock = socket.create_connection(("127.0.0.1", hall.port), timeout=30)
            sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: hall\r\nLast-Event-ID: 1\r\n"
                         b"Authorization: " + kiosk["Authorization"].encode() + b"\r\n\r\n")
            streams.append(sock)
        # the window's own reads still answer while those wait
        answer = requests.get(url + "/windows/1", timeout=30,
                              headers={"Authorization": f"Bearer {hall.tokens['W1']}"})
        assert answer.status_code == 200
    finally:
        release.set()
    # a device keeps at most 4 streams: its 2 oldest are ended by the server
    ended = 0
    for sock in streams:
        sock.settimeout(30)
        data = b""
        while b"\r\n0\r\n\r\n" not in data and b"event: state" not in data and b"id: " not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        sock.settimeout(1)
        try:
            while piece := sock.recv(65536):
                data += piece
                if data.endswith(b"0\r\n\r\n"):
                    break
        except TimeoutError:
            pass
        ended += data.endswith(b"0\r\n\r\n")
        sock.close()
    assert ended == 2


def _post_head(port: int, token: str, length: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + token.encode() + b"\r\n"
                 b"Content-Length: " + str(length).encode() + b"\r\n\r\n{")
    return sock


def test_bodies_one_device_sends_slowly_cannot_pile_up(hall, monkeypatch):
    from hallclient.servers import hall_server

    monkeypatch.setattr(hall_server, "BODY_GRACE_S", 1.0)
    monkeypatch.setattr(hall_server, "MIN_BODY_RATE", 2_000)
    token = hall.token("K1", DeviceKind.KIOSK)
    held = [_post_head(hall.port, token, 3_000_000) for _ in range(4)]
    wait_for(lambda: hall.server.hall.bodies_reading.get("K1") == 4)     # being received
    fifth = _post_head(hall.port, token, 100)
    assert fifth.recv(4096).startswith(b"HTTP/1.1 429")      # a fifth body at once is refused
    fifth.close()
    # another device is not held up by them
    other = {"Authorization": f"Bearer {hall.token('K2', DeviceKind.KIOSK)}"}
    assert requests.post(hall.url + "/api/v1/tickets", json={"service": "ZH"}, headers=other,
                         timeout=10).status_code == 201
    # a byte now and then does not keep a body going: the server cuts it off
    for sock in held:
        sock.sendall(b" ")
    answers = [sock.recv(4096) for sock in held]
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers
    for sock in held:
        sock.close()
    assert requests.post(hall.url + "/api/v1/tickets", json={"service": "ZH"}, timeout=10,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 201


def test_small_holes_a_review_found_are_closed(hall):
    url = hall.url + "/api/v1"
    w1 = hall.counter(1)
    w1.sign_in(1, "clerk1")
    token1 = hall.tokens["W1"]
    assert requests.head(url + "/health", timeout=10).status_code == 200       # curl -I
    # the scheme is part of the header: a bare token is no bearer token
    assert requests.get(url + "/hall", headers={"Authorization": token1}, timeout=10).status_code == 401
    panel = {"Authorization": f"Bearer {hall.token('P1', DeviceKind.PANEL)}"}
    for window in ("0", "-1"):
        answer = requests.get(url + "/events", params={"window": window}, headers=panel, timeout=10)
        assert answer.status_code == 422, answer.text
    auth = {"Authorization": f"Bearer {token1}"}
    manual = {"uid": "uid-0000-1", "clerk": "clerk1", "started_at": "2026-11-30T09:00:00+08:00"}
    blank = requests.post(url + "/windows/1/manual", headers=auth, timeout=10,
                          json={**manual, "number": "   ", "finished_at": "2026-11-30T09:10:00+08:00"})
    assert blank.status_code == 422, blank.text
    forever = requests.post(url + "/windows/1/manual", headers=auth, timeout=10,
                            json={**manual, "finished_at": "2999-12-31T09:10:00+08:00"})
    assert forever.status_code == 422 and "12 小时" in forever.text
    # a manual record's id belongs to the counter that sent it first
    done = requests.post(url + "/windows/1/manual", headers=auth, timeout=10,
                         json={**manual, "finished_at": "2026-11-30T09:10:00+08:00"})
    assert done.status_code == 200, done.text
    w2 = {"Authorization": f"Bearer {hall.server.add_device('W2', DeviceKind.COUNTER, 2)}"}
    again = requests.post(url + "/windows/2/manual", headers=w2, timeout=10,
                          json={**manual, "clerk": "clerk2", "number": "A999",
                                "finished_at": "2026-11-30T09:10:00+08:00"})
    assert again.status_code == 409 and "另一台设备" in again.text
