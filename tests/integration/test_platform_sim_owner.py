"""Two counter devices on one simulator: each case, key, blob and evaluation is its device's
own, so a device holding its own token cannot read, overwrite, rate, follow or block
another's; and no request body is read past its limit."""

from __future__ import annotations

import hashlib
import json
import socket
from urllib.parse import urlsplit

import pytest
import requests

from hallclient.servers.sim_limits import MAX_BLOB_CHUNK, MAX_JSON_BODY

from .test_platform_sim import API, case_body

SAFETY_NET_S = 30      # a socket read waits at most this long: only a hang trips it


def device(sim, name: str) -> requests.Session:
    """A session holding device ``name``'s own token."""
    requests.post(sim.url + API + "/admin/devices", json={"device_id": name, "secret": name + "-pw"},
                  timeout=5).raise_for_status()
    token = requests.post(sim.url + API + "/auth/token", json={"device_id": name, "secret": name + "-pw"},
                          timeout=5).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def a(sim):
    return device(sim, "W-A")


@pytest.fixture
def b(sim):
    return device(sim, "W-B")


def put_case(session, sim, uid: str, version: int, key: str | None = None, **changes):
    return session.put(f"{sim.url}{API}/cases/{uid}", json=case_body(version=version, **changes),
                       headers={"Idempotency-Key": key or f"{uid}:{version}"}, timeout=5)


def refused_as_not_owner(response) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "not_owner"
    assert "另一台设备" in body["fields"][0]["reason"]
    assert "Retry-After" not in response.headers


def test_another_device_can_neither_read_nor_overwrite_a_case(sim, a, b):
    assert put_case(a, sim, "uid-a", 1, case_no="NA").status_code == 201
    refused_as_not_owner(b.get(f"{sim.url}{API}/cases/uid-a", timeout=5))
    refused_as_not_owner(put_case(b, sim, "uid-a", 2, case_no="NA", applicant_name="冒名"))
    refused_as_not_owner(put_case(b, sim, "uid-a", 2, key="any-key", case_no="NA"))
    rating = {"case_no": "NA", "level": "1", "reasons": ["态度差"], "channel": "政务大厅平板电脑",
              "at": "2026-11-27T10:00:00+08:00"}
    # the owner is untouched: its case as sent, its next version, its own rating
    mine = a.get(f"{sim.url}{API}/cases/uid-a", timeout=5).json()
    assert (mine["version"], mine["case"]["applicant_name"]) == (1, "王𠮷")
    assert put_case(a, sim, "uid-a", 2, case_no="NA").status_code == 200
    assert put_case(a, sim, "uid-a", 2, case_no="NA").status_code == 200     # a resend
    assert a.put(f"{sim.url}{API}/evaluations/ev-a", json=rating, timeout=5).status_code == 201
    assert requests.get(sim.url + API + "/admin/stats", timeout=5).json() == {
        "cases": 1, "blobs": 0, "evaluations": 1}
    # B's rating naming NA names B's own case of that number, never A's
    assert b.put(f"{sim.url}{API}/evaluations/ev-b", json=rating, timeout=5).status_code == 201


def test_the_changes_feed_shows_each_device_only_its_own_cases(sim, a, b):
    assert put_case(a, sim, "uid-a", 1, case_no="NA").status_code == 201
    assert put_case(b, sim, "uid-b", 1, case_no="NB").status_code == 201
    for case_no in ("NA", "NB", "NA"):
        requests.post(f"{sim.url}{API}/admin/cases/{case_no}/status", params={"status": 11},
                      timeout=5).raise_for_status()

    def feed(session):
        body = session.get(sim.url + API + "/changes", params={"cursor": 0}, timeout=5).json()
        return [c["case_no"] for c in body["changes"]], body["cursor"]

    assert feed(a) == (["NA", "NA"], 3)
    assert feed(b) == (["NB"], 2)
    assert b.get(sim.url + API + "/changes", params={"cursor": 2}, timeout=5).json() == {
        "changes": [], "cursor": 2}


def test_a_device_cannot_squat_another_devices_idempotency_key(sim, a, b):
    assert put_case(a, sim, "uid-a", 1, case_no="NA").status_code == 201
    # B takes A's next key first, for a case of its own
    squat = put_case(b, sim, "uid-b", 1, key="uid-a:2", case_no="NB")
    assert squat.status_code == 201
    real = put_case(a, sim, "uid-a", 2, case_no="NA")          # A's real upload of version 2
    assert (real.status_code, real.json()) == (200, {"uid": "uid-a", "version": 2, "created": False})
    again = put_case(b, sim, "uid-b", 1, key="uid-a:2", case_no="NB")
    assert (again.status_code, again.json()) == (201, squat.json())    # B's key is B's own
    assert put_case(a, sim, "uid-a", 2, case_no="NA").json() == real.json()


def test_a_device_neither_sees_nor_adds_to_another_devices_blob(sim, a, b):
    data = bytes(range(256)) * 400
    sha = hashlib.sha256(data).hexdigest()
    url = f"{sim.url}{API}/blobs/{sha}"
    half = len(data) // 2
    first = a.put(url, data=data[:half], timeout=5,
                  headers={"Content-Range": f"bytes 0-{half - 1}/{len(data)}"})
    assert first.status_code == 202
    peek = b.head(url, timeout=5)
    assert (peek.status_code, peek.headers["Upload-Offset"]) == (404, "0")
    garbage = b"x" * (len(data) - half)
    spoil = b.put(url, data=garbage, timeout=5,
                  headers={"Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert spoil.status_code == 409 and spoil.json() == {"error": "offset_mismatch", "offset": 0}
    rest = a.put(url, data=data[half:], timeout=5,
                 headers={"Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert rest.status_code == 201                              # A's upload is intact
    assert b.head(url, timeout=5).status_code == 404           # still not B's
    claimed = put_case(b, sim, "uid-b", 1, case_no="NB", materials=[{
        "code": "M01", "name": "申请书", "received": True, "form": "original", "count": 1,
        "attachments": [sha]}])
    assert claimed.status_code == 422 and "未上传" in claimed.json()["fields"][0]["reason"]
    # B holding the same bytes uploads its own copy, and then may name it
    assert b.put(url, data=data, timeout=5).status_code == 201
    assert b.head(url, timeout=5).headers["Upload-Complete"] == "1"


# -- bodies over the limit -----------------------------------------------------------------

def raw_request(sim, head: str, body_parts=()) -> tuple[int, dict]:
    """Send ``head`` (and then ``body_parts`` until the server answers) on a bare socket; the
    status and JSON body of the answer."""
    where = urlsplit(sim.url)
    with socket.create_connection((where.hostname, where.port), timeout=SAFETY_NET_S) as sock:
        sock.sendall(head.encode("latin-1"))
        for part in body_parts:
            try:
                sock.sendall(part)
            except OSError:           # the server answered and closed while we still sent
                break
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass                      # the refusal is read; what we sent unread is reset
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


def request_head(sim, method: str, path: str, token: str | None, **headers: str) -> str:
    lines = [f"{method} {API}{path} HTTP/1.1", f"Host: {urlsplit(sim.url).netloc}",
             "Content-Type: application/json"]
    if token:
        lines.append(f"Authorization: {token}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_body_declared_as_2_gb_is_refused_before_any_of_it_is_read(sim, a):
    token = a.headers["Authorization"]
    two_gb = str(2 * 1024**3)
    for path, extra in (("/cases/uid-big", {"Idempotency_Key": "k"}),
                        ("/blobs/" + "0" * 64, {"Content_Range": f"bytes 0-{2 * 1024**3 - 1}/{two_gb}"}),
                        ("/evaluations/ev-big", {})):
        status, body = raw_request(sim, request_head(sim, "PUT", path, token, Content_Length=two_gb,
                                                     **extra))   # and not a byte of the body
        assert status == 413 and body["error"] == "too_large", (path, body)
        assert "MB" in body["fields"][0]["reason"]
    anonymous = raw_request(sim, request_head(sim, "PUT", "/cases/uid-big", None,
                                              Content_Length=two_gb, Idempotency_Key="k"))
    assert anonymous == (401, {"error": "no_token"})      # who is asking still comes first
    assert put_case(a, sim, "uid-a", 1, case_no="NA").status_code == 201    # still serving


def test_a_chunked_body_is_cut_off_at_the_limit(sim, a):
    token = a.headers["Authorization"]
    piece = b"[" + b" " * (64 * 1024 - 1)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    for path, limit in (("/cases/uid-chunked", MAX_JSON_BODY),
                        ("/blobs/" + "0" * 64, MAX_BLOB_CHUNK)):
        pieces = [chunk] * (2 * limit // len(piece))              # twice the limit, never ended
        status, body = raw_request(sim, request_head(sim, "PUT", path, token, Idempotency_Key="k",
                                                     Transfer_Encoding="chunked"), pieces)
        assert status == 413 and body["error"] == "too_large", (path, body)
    blob = b"scan" * 1000
    sha = hashlib.sha256(blob).hexdigest()
    ok = a.put(f"{sim.url}{API}/blobs/{sha}", data=iter([blob[:1000], blob[1000:]]), timeout=5,
               headers={"Content-Range": f"bytes 0-{len(blob) - 1}/{len(blob)}"})
    assert ok.status_code == 201, ok.text                      # chunked within the limit is fine


def test_a_piece_of_a_blob_as_the_client_sends_it_fits(sim, a):
    from hallclient.platform.client import CHUNK

    assert CHUNK * 2 <= MAX_BLOB_CHUNK
    data = bytes(range(256)) * (MAX_BLOB_CHUNK // 256)          # the largest piece allowed
    sha = hashlib.sha256(data).hexdigest()
    whole = a.put(f"{sim.url}{API}/blobs/{sha}", data=data, timeout=30)
    assert whole.status_code == 201, whole.text
    over = data + b"!"
    over_sha = hashlib.sha256(over).hexdigest()
    refused = a.put(f"{sim.url}{API}/blobs/{over_sha}", data=over, timeout=30)
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
    assert a.head(f"{sim.url}{API}/blobs/{over_sha}", timeout=5).status_code == 404


def test_a_database_from_before_keys_were_per_device_keeps_its_answers(tmp_path):
    """The simulator's own database written by an earlier version (one key for everybody):
    once opened, a key's owner still gets the first answer, and nobody else can claim it."""
    import sqlite3

    from hallclient.servers.platform_sim import RunningServer, create_app

    root = tmp_path / "platform"
    root.mkdir()
    body = json.dumps(case_body(case_no="NO")).encode()
    first = '{"uid": "uid-old", "version": 1, "created": true}'
    with sqlite3.connect(root / "platform.sqlite3") as conn:
        conn.executescript("""
            CREATE TABLE idempotency (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL,
                state TEXT NOT NULL, status_code INTEGER, response TEXT, device_id TEXT,
                uid TEXT, owner TEXT, started_at REAL);
            CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, total INTEGER NOT NULL,
                complete INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE evaluations (uid TEXT PRIMARY KEY, body TEXT NOT NULL);
            INSERT INTO evaluations VALUES ('ev-old', '{}');""")
        conn.execute("INSERT INTO idempotency VALUES ('uid-old:1', ?, 'done', 201, ?, 'W-A',"
                     " 'uid-old', 'earlier', 1.0)", (hashlib.sha256(body).hexdigest(), first))
    conn.close()
    server = RunningServer(create_app(root))
    try:
        a, b = device(server, "W-A"), device(server, "W-B")
        headers = {"Idempotency-Key": "uid-old:1", "Content-Type": "application/json"}
        again = a.put(f"{server.url}{API}/cases/uid-old", data=body, headers=headers, timeout=5)
        assert (again.status_code, again.text) == (201, first)        # the first answer
        theirs = b.put(f"{server.url}{API}/cases/uid-b", data=json.dumps(case_body(case_no="NB")),
                       headers=headers, timeout=5)
        assert theirs.status_code == 201 and theirs.json()["uid"] == "uid-b"   # B's own key
        assert requests.get(server.url + API + "/admin/stats", timeout=5).json()["evaluations"] == 1
    finally:
        server.stop()


def test_a_device_cannot_take_the_case_numbers_of_another_devices_code(sim, a, b):
    # A's device code W01AAA is known from a notice it printed; B stores a case under A's
    # next number before A uploads it: that is B's own case, and A's is still A's
    number = "33010920261127W01AAA0002"
    assert put_case(a, sim, "uid-a1", 1, case_no="33010920261127W01AAA0001").status_code == 201
    assert put_case(b, sim, "uid-b", 1, case_no=number, applicant_name="冒名").status_code == 201
    real = put_case(a, sim, "uid-a2", 1, case_no=number)
    assert real.status_code == 201, real.text
    assert put_case(a, sim, "uid-a2", 2, case_no=number).status_code == 200     # and its next
    assert a.get(f"{sim.url}{API}/cases/uid-a2", timeout=5).json()["case"]["applicant_name"] == "王𠮷"
    # within one device a number is still one case's
    again = put_case(a, sim, "uid-a3", 1, case_no=number)
    assert again.status_code == 422 and again.json()["fields"][0]["field"] == "case_no"
    # the platform's status change addresses one device's case; each feed shows its own
    status = f"{sim.url}{API}/admin/cases/{number}/status"
    assert requests.post(status, params={"status": 11}, timeout=5).status_code == 409
    assert requests.post(status, params={"status": 11, "device_id": "W-A"},
                         timeout=5).status_code == 200
    assert [c["case_no"] for c in a.get(sim.url + API + "/changes", timeout=5).json()["changes"]] == [
        number]
    assert b.get(sim.url + API + "/changes", timeout=5).json()["changes"] == []
    assert a.get(f"{sim.url}{API}/cases/uid-a2", timeout=5).json()["status"] == 11
    assert b.get(f"{sim.url}{API}/cases/uid-b", timeout=5).json()["status"] != 11


def test_a_body_nested_too_deep_is_said_to_be_unreadable(sim, a):
    deep = b"[" * 100_000 + b"]" * 100_000
    for method, path in (("PUT", "/cases/u1"), ("PUT", "/evaluations/e1"), ("PUT", "/admin/catalog")):
        answer = a.request(method, sim.url + API + path, data=deep, timeout=SAFETY_NET_S,
                           headers={"Content-Type": "application/json", "Idempotency-Key": "u1:1"})
        assert answer.status_code == 400, (path, answer.text)
        assert "嵌套过深" in answer.json()["fields"][0]["reason"]
