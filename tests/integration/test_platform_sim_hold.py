"""The simulator holds against a hostile device or neighbour: its admin calls answer only
this machine, nobody's body is read before the caller is known, a piece of an attachment
goes to disk as it arrives, a large attachment is hashed while the others are served, a
device's attachments on disk are bounded, and an evaluation is checked like every body."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import sqlite3
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from .test_platform_sim import API, case_body
from .test_platform_sim_owner import device, put_case

SAFETY_NET_S = 30      # a socket read waits at most this long: only a hang trips it
MB = 1024 * 1024
ONE_BLOB = 200 * MB    # the contract's bound on one attachment
DEVICE_PARTIAL = 2048 * MB    # and on a device's unfinished uploads


@pytest.fixture
def a(sim):
    return device(sim, "W-A")


@pytest.fixture
def b(sim):
    return device(sim, "W-B")


def raw_answer(sim, head: str, body: bytes = b"", source: str = "127.0.0.1") -> tuple[int, dict]:
    """Send ``head`` and ``body`` (maybe less than the head declares) from ``source`` on a bare
    socket, and read the answer without sending more: its status and JSON body."""
    where = urlsplit(sim.url)
    with socket.create_connection((where.hostname, where.port), timeout=SAFETY_NET_S,
                                  source_address=(source, 0)) as sock:
        sock.sendall(head.encode("latin-1") + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not _complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


def _complete(answer: bytes) -> bool:
    head, _, payload = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(payload) >= int(value)
    return False


def head_of(sim, method: str, path: str, **headers: str) -> str:
    lines = [f"{method} {API}{path} HTTP/1.1", f"Host: {urlsplit(sim.url).netloc}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


# -- the admin calls ---------------------------------------------------------------------

def from_another_machine(sim, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
    """A request whose client address is not this machine's loopback one (127.0.0.2): the
    status and JSON body of the answer."""
    where = urlsplit(sim.url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=SAFETY_NET_S,
                                      source_address=("127.0.0.2", 0))
    try:
        conn.request(method, API + path, body=body, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def test_the_admin_calls_answer_only_this_machine(sim, a):
    secret = json.dumps({"device_id": "W-A", "secret": "taken"}).encode()
    for method, path, body in (("POST", "/admin/devices", secret),
                               ("PUT", "/admin/catalog", b'{"items": []}'),
                               ("PUT", "/admin/preapplications/P1", b"{}"),
                               ("POST", "/admin/cases/NA/status?status=11", b""),
                               ("PUT", "/admin/faults", b'{"error_rate": 1}'),
                               ("GET", "/admin/stats", b"")):
        status, refusal = from_another_machine(sim, method, path, body)
        assert status == 403, (path, refusal)
        assert refusal["error"] == "admin_local_only"
        assert "本机" in refusal["fields"][0]["reason"]
    # nothing changed: the device's secret and token hold, no faults, no catalog
    assert a.get(sim.url + API + "/catalog", timeout=5).status_code == 404
    assert requests.post(sim.url + API + "/auth/token", json={"device_id": "W-A", "secret": "W-A-pw"},
                         timeout=5).status_code == 200
    # and a large body from another machine is refused before any of it is read
    status, refusal = raw_answer(sim, head_of(sim, "PUT", "/admin/catalog", Content_Length=str(15 * MB),
                                              Content_Type="application/json"),
                                 b"{", source="127.0.0.2")
    assert (status, refusal["error"]) == (403, "admin_local_only")


def test_registering_a_device_again_ends_its_earlier_tokens(sim, a):
    assert a.get(sim.url + API + "/changes", timeout=5).status_code == 200
    requests.post(sim.url + API + "/admin/devices", json={"device_id": "W-A", "secret": "new-pw"},
                  timeout=5).raise_for_status()
    refused = a.get(sim.url + API + "/changes", timeout=5)
    assert refused.status_code == 401 and refused.json() == {"error": "bad_token"}
    fresh = requests.post(sim.url + API + "/auth/token", json={"device_id": "W-A", "secret": "new-pw"},
                          timeout=5).json()["access_token"]
    assert requests.get(sim.url + API + "/changes", headers={"Authorization": f"Bearer {fresh}"},
                        timeout=5).status_code == 200


# -- bodies and who sends them ------------------------------------------------------------

def test_an_anonymous_body_is_refused_before_any_of_it_is_read(sim, a):
    """The head declares a body within the limit and only its first bytes come: the answer
    comes at once, without waiting for the rest."""
    sha = "0" * 64
    piece = {"Content_Range": f"bytes 0-{8 * MB - 1}/{8 * MB}"}
    for path, length, extra in (("/blobs/" + sha, 8 * MB, piece),
                                ("/cases/uid-x", MB, {"Idempotency_Key": "k"}),
                                ("/evaluations/ev-x", MB, {})):
        for token in (None, "Bearer not-a-token"):
            headers = {"Content_Length": str(length), **extra, **({"Authorization": token} if token else {})}
            status, body = raw_answer(sim, head_of(sim, "PUT", path, **headers), b"[" * 1024)
            assert status == 401, (path, body)
            assert body["error"] in ("no_token", "bad_token")
    assert a.head(f"{sim.url}{API}/blobs/{sha}", timeout=5).status_code == 404


def test_a_piece_of_a_blob_goes_to_disk_as_it_arrives(sim, a):
    data = bytes(range(256)) * (4 * MB // 256)
    sha = hashlib.sha256(data).hexdigest()
    where = urlsplit(sim.url)
    head = head_of(sim, "PUT", "/blobs/" + sha, Authorization=a.headers["Authorization"],
                   Content_Length=str(len(data)), Content_Range=f"bytes 0-{len(data) - 1}/{len(data)}")
    with socket.create_connection((where.hostname, where.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(head.encode("latin-1") + data[:MB])
        deadline = time.monotonic() + SAFETY_NET_S     # a hang, not a speed, trips it
        while True:       # the platform tells what it holds while the piece is still coming
            held = a.head(f"{sim.url}{API}/blobs/{sha}", timeout=5).headers.get("Upload-Offset")
            if held == str(MB):
                break
            assert time.monotonic() < deadline, f"the piece was not written as it came: {held}"
            time.sleep(0.02)
        second = a.put(f"{sim.url}{API}/blobs/{sha}", data=data[MB:], timeout=5,
                       headers={"Content-Range": f"bytes {MB}-{len(data) - 1}/{len(data)}"})
        assert second.status_code == 409 and second.json()["error"] == "in_progress"
        sock.sendall(data[MB:])
        answer = b""
        while not _complete(answer):
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201")
    assert a.head(f"{sim.url}{API}/blobs/{sha}", timeout=5).headers["Upload-Complete"] == "1"


def test_the_last_piece_is_hashed_while_the_others_are_served(sim, a, b, monkeypatch):
    from hallclient.servers import sim_blobs

    hashing, go_on = threading.Event(), threading.Event()
    real = sim_blobs.file_sha256

    def held_hash(path):
        hashing.set()
        go_on.wait(2 * SAFETY_NET_S)       # past the other requests' safety net
        return real(path)

    monkeypatch.setattr(sim_blobs, "file_sha256", held_hash)
    data = b"scan" * 10_000
    sha = hashlib.sha256(data).hexdigest()
    answers = []
    upload = threading.Thread(target=lambda: answers.append(
        a.put(f"{sim.url}{API}/blobs/{sha}", data=data, timeout=SAFETY_NET_S)))
    upload.start()
    try:
        assert hashing.wait(SAFETY_NET_S)
        # meanwhile another device is answered, also where the store's lock is needed
        other = b"other" * 100
        other_sha = hashlib.sha256(other).hexdigest()
        piece = b.put(f"{sim.url}{API}/blobs/{other_sha}", data=other[:100], timeout=SAFETY_NET_S,
                      headers={"Content-Range": f"bytes 0-99/{len(other)}"})
        assert piece.status_code == 202
        assert put_case(b, sim, "uid-b", 1, case_no="NB").status_code == 201
    finally:
        go_on.set()
        upload.join(SAFETY_NET_S)
    assert answers[0].status_code == 201


def test_a_device_holds_no_more_than_its_bound_of_unfinished_uploads(sim, a, b):
    def begin(session, n: int, total: int):
        sha = hashlib.sha256(f"made-up {n}".encode()).hexdigest()
        return session.put(f"{sim.url}{API}/blobs/{sha}", data=b"x", timeout=5,
                           headers={"Content-Range": f"bytes 0-0/{total}"})

    too_big = begin(a, 0, ONE_BLOB + 1)
    assert too_big.status_code == 413 and too_big.json()["error"] == "too_large"
    assert "200 MB" in too_big.json()["fields"][0]["reason"]
    fits = DEVICE_PARTIAL // ONE_BLOB
    for n in range(fits):
        assert begin(a, n, ONE_BLOB).status_code == 202
    over = begin(a, fits, ONE_BLOB)
    assert over.status_code == 507, over.text
    assert over.json()["error"] == "quota_exceeded" and "请先传完" in over.json()["fields"][0]["reason"]
    whole = b"a whole small scan"              # what is left of the bound still takes it
    assert a.put(f"{sim.url}{API}/blobs/{hashlib.sha256(whole).hexdigest()}", data=whole,
                 timeout=5).status_code == 201
    # another device's bound is its own; an upload already begun goes on
    assert begin(b, 0, ONE_BLOB).status_code == 202
    going_on = a.put(f"{sim.url}{API}/blobs/{hashlib.sha256(b'made-up 0').hexdigest()}", data=b"y",
                     timeout=5, headers={"Content-Range": f"bytes 1-1/{ONE_BLOB}"})
    assert going_on.status_code == 202


# -- evaluations ---------------------------------------------------------------------------

def test_an_evaluation_is_checked_like_every_body(sim, a):
    good = {"case_no": "NA", "level": "2", "reasons": ["等候时间过长"], "channel": "政务大厅平板电脑",
            "at": "2026-11-27T10:00:00.123+08:00"}
    for field, value in (("at", "not a time"), ("at", "2026-11-27T10:00:00"),
                         ("at", "1026-11-27T10:00:00+08:00"), ("channel", "x" * 900_000),
                         ("channel", ""), ("reasons", ["差"] * 1000), ("reasons", ["差" * 1000]),
                         ("case_no", "N" * 1000)):
        refused = a.put(f"{sim.url}{API}/evaluations/ev-1", json={**good, field: value}, timeout=5)
        assert refused.status_code == 422, (field, refused.text[:200])
        assert refused.json()["fields"][0]["field"].startswith(field)
    assert a.put(f"{sim.url}{API}/evaluations/ev-1", json=good, timeout=5).status_code == 201


# -- a database from before case numbers were per device ----------------------------------

def test_a_database_from_before_numbers_were_per_device_keeps_its_cases_and_feed(tmp_path):
    from hallclient.servers.platform_sim import RunningServer, create_app

    root = tmp_path / "platform"
    root.mkdir()
    body = json.dumps(case_body(case_no="NA"))
    with sqlite3.connect(root / "platform.sqlite3") as conn:
        conn.executescript("""
            CREATE TABLE cases (uid TEXT PRIMARY KEY, case_no TEXT NOT NULL UNIQUE,
                version INTEGER NOT NULL, body TEXT NOT NULL, device_id TEXT NOT NULL,
                status INTEGER NOT NULL, received_at REAL NOT NULL);
            CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, case_no TEXT NOT NULL,
                status INTEGER NOT NULL, at REAL NOT NULL);""")
        conn.execute("INSERT INTO cases VALUES ('uid-a', 'NA', 1, ?, 'W-A', 1, 1.0)", (body,))
        conn.executemany("INSERT INTO changes (case_no, status, at) VALUES ('NA', ?, 2.0)",
                         [(11,), (12,)])
    conn.close()
    server = RunningServer(create_app(root))
    try:
        a, b = device(server, "W-A"), device(server, "W-B")
        feed = a.get(server.url + API + "/changes", params={"cursor": 1}, timeout=5).json()
        assert feed == {"changes": [{"seq": 2, "case_no": "NA", "status": 12, "at": 2.0}], "cursor": 2}
        assert a.get(f"{server.url}{API}/cases/uid-a", timeout=5).json()["version"] == 1
        assert put_case(b, server, "uid-b", 1, case_no="NA").status_code == 201    # B's own NA
        requests.post(f"{server.url}{API}/admin/cases/NA/status",
                      params={"status": 13, "device_id": "W-B"}, timeout=5).raise_for_status()
        assert [c["seq"] for c in b.get(server.url + API + "/changes", timeout=5).json()["changes"]] == [3]
        assert len(a.get(server.url + API + "/changes", timeout=5).json()["changes"]) == 2
    finally:
        server.stop()
