"""platform_sim over real HTTP on loopback: the contract, and each injected fault."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from hallclient.servers.platform_sim import RunningServer, create_app

from ..conftest import FakeSeconds

API = "/api/v1"


@pytest.fixture
def sim(tmp_path):
    server = RunningServer(create_app(tmp_path / "platform"))
    yield server
    server.stop()


@pytest.fixture
def client(sim):
    s = requests.Session()
    s.post(sim.url + API + "/admin/devices", json={"device_id": "W01", "secret": "s3cret"}, timeout=5)
    token = s.post(sim.url + API + "/auth/token", json={"device_id": "W01", "secret": "s3cret"},
                   timeout=5).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def case_body(version=1, attachments=(), **changes):
    body = {
        "version": version, "case_no": "33010920261127W01AAA0001", "impl_code": "11330109MB0001",
        "item_name": "个体工商户登记（设立登记）", "case_type": 1, "applicant_name": "王𠮷",
        "id_type": "111", "id_number": "11010519491231002X", "mobile": "13800138000",
        "source": 1, "accepted_by_unit": "县市场监督管理局", "accepted_by": "li",
        "accepted_at": "2026-11-27T09:00:00+08:00", "status": 3,
        "materials": [{"code": "M01", "name": "申请书", "received": True, "form": "original",
                       "count": 1, "attachments": list(attachments)}],
    }
    body.update(changes)
    return body


def faults(sim, **values):
    requests.put(sim.url + API + "/admin/faults", json=values, timeout=5).raise_for_status()


def upload(client, sim, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    r = client.put(f"{sim.url}{API}/blobs/{sha}", data=data, timeout=5,
                   headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 201, r.text
    return sha


def test_openapi_document_names_the_gbt_39046_fields(sim):
    doc = requests.get(sim.url + "/openapi.json", timeout=5).json()
    assert f"{API}/cases/{{uid}}" in doc["paths"] and f"{API}/blobs/{{sha256}}" in doc["paths"]
    case = doc["components"]["schemas"]["CaseIn"]["properties"]
    assert case["case_no"]["title"] == "办件编号" and case["impl_code"]["title"] == "实施编码"


def test_device_tokens_expire(tmp_path):
    clock = FakeSeconds(time.time())
    server = RunningServer(create_app(tmp_path / "p", token_ttl_s=300, clock=clock))
    try:
        s = requests.Session()
        s.post(server.url + API + "/admin/devices", json={"device_id": "W", "secret": "x"}, timeout=5)
        bad = s.post(server.url + API + "/auth/token", json={"device_id": "W", "secret": "y"}, timeout=5)
        assert bad.status_code == 401
        token = s.post(server.url + API + "/auth/token", json={"device_id": "W", "secret": "x"},
                       timeout=5).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        clock.advance(299)
        assert s.get(server.url + API + "/changes", headers=headers, timeout=5).status_code == 200
        clock.advance(2)
        expired = s.get(server.url + API + "/changes", headers=headers, timeout=5)
        assert expired.status_code == 401 and expired.json()["error"] == "token_expired"
    finally:
        server.stop()


def test_catalog_etag_and_304(sim, client):
    client.put(sim.url + API + "/admin/catalog", data=json.dumps({"items": []}), timeout=5)
    first = client.get(sim.url + API + "/catalog", timeout=5)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(sim.url + API + "/catalog", headers={"If-None-Match": first.headers["ETag"]},
                       timeout=5)
    assert again.status_code == 304 and again.content == b""


def test_case_upsert_is_idempotent(sim, client):
    url = f"{sim.url}{API}/cases/uid-1"
    first = client.put(url, json=case_body(), headers={"Idempotency-Key": "uid-1:1"}, timeout=5)
    assert first.status_code == 201
    repeat = client.put(url, json=case_body(), headers={"Idempotency-Key": "uid-1:1"}, timeout=5)
    assert (repeat.status_code, repeat.json()) == (201, first.json())
    reused = client.put(url, json=case_body(mobile="13900001111"),
                        headers={"Idempotency-Key": "uid-1:1"}, timeout=5)
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    v2 = client.put(url, json=case_body(version=2, status=11), headers={"Idempotency-Key": "uid-1:2"},
                    timeout=5)
    assert v2.status_code == 200
    stale = client.put(url, json=case_body(version=1, status=6), headers={"Idempotency-Key": "uid-1:x"},
                       timeout=5)
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    stored = client.get(url, timeout=5).json()
    assert stored["version"] == 2 and stored["case"]["applicant_name"] == "王𠮷"
    assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 1


def test_a_request_in_progress_answers_409(sim, client):
    faults(sim, upsert_delay_ms=1500)
    url = f"{sim.url}{API}/cases/uid-2"
    results = {}

    def slow():
        results["first"] = client.put(url, json=case_body(case_no="N2"),
                                      headers={"Idempotency-Key": "k2"}, timeout=10)

    def first_in_progress() -> bool:
        row = sim.sim.store.one("SELECT state FROM idempotency WHERE key = 'k2'")
        return row is not None and row[0] == "in_progress"

    t = threading.Thread(target=slow)
    t.start()
    deadline = time.monotonic() + 5
    while not first_in_progress():              # the first request holds the key now
        assert time.monotonic() < deadline and t.is_alive(), "the first request never started"
        time.sleep(0.005)
    auth = client.headers["Authorization"]
    other = requests.put(url, json=case_body(case_no="N2"), timeout=5,
                         headers={"Idempotency-Key": "k2", "Authorization": auth})
    t.join()
    assert other.status_code == 409 and other.json()["error"] == "in_progress"
    assert results["first"].status_code == 201


def test_attachments_must_be_uploaded_first_and_fields_can_be_refused(sim, client):
    sha = hashlib.sha256(b"scan").hexdigest()
    url = f"{sim.url}{API}/cases/uid-3"
    missing = client.put(url, json=case_body(attachments=[sha]), headers={"Idempotency-Key": "a"},
                         timeout=5)
    assert missing.status_code == 422
    assert missing.json()["fields"][0]["field"] == "materials[0].attachments"
    faults(sim, reject_fields={"mobile": "手机号码不符合省平台要求"})
    refused = client.put(url, json=case_body(), headers={"Idempotency-Key": "b"}, timeout=5)
    assert refused.status_code == 422
    assert refused.json()["fields"] == [{"field": "mobile", "reason": "手机号码不符合省平台要求"}]


def test_blob_upload_resumes_from_the_platform_offset_and_checks_the_hash(sim, client):
    data = bytes(range(256)) * 1000
    sha = hashlib.sha256(data).hexdigest()
    url = f"{sim.url}{API}/blobs/{sha}"
    assert client.head(url, timeout=5).status_code == 404
    half = 100_000
    r = client.put(url, data=data[:half], headers={"Content-Range": f"bytes 0-{half - 1}/{len(data)}"},
                   timeout=5)
    assert r.status_code == 202 and r.headers["Upload-Offset"] == str(half)
    head = client.head(url, timeout=5)
    assert head.headers["Upload-Offset"] == str(half) and head.headers["Upload-Complete"] == "0"
    wrong = client.put(url, data=data[:10], headers={"Content-Range": f"bytes 0-9/{len(data)}"},
                       timeout=5)
    assert wrong.status_code == 409 and wrong.headers["Upload-Offset"] == str(half)
    rest = client.put(url, data=data[half:], timeout=5,
                      headers={"Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert rest.status_code == 201
    assert client.head(url, timeout=5).headers["Upload-Complete"] == "1"
    # a body that does not match its address is refused and discarded
    fake = hashlib.sha256(b"other").hexdigest()
    bad = client.put(f"{sim.url}{API}/blobs/{fake}", data=b"not other", timeout=5,
                     headers={"Content-Range": "bytes 0-8/9"})
    assert bad.status_code == 422
    assert client.head(f"{sim.url}{API}/blobs/{fake}", timeout=5).status_code == 404


def test_evaluations_are_idempotent(sim, client):
    body = {"case_no": "N1", "level": "2", "reasons": ["等候时间过长"], "channel": "政务大厅平板电脑",
            "at": "2026-11-27T10:00:00+08:00"}
    url = f"{sim.url}{API}/evaluations/e-1"
    assert client.put(url, json=body, timeout=5).status_code == 201
    assert client.put(url, json=body, timeout=5).status_code == 200
    assert client.put(url, json=dict(body, level="5"), timeout=5).status_code == 422


def test_change_feed_with_cursor(sim, client):
    client.put(f"{sim.url}{API}/cases/u", json=case_body(), headers={"Idempotency-Key": "c"}, timeout=5)
    requests.post(f"{sim.url}{API}/admin/cases/{case_body()['case_no']}/status", params={"status": 11},
                  timeout=5).raise_for_status()
    feed = client.get(sim.url + API + "/changes", params={"cursor": 0}, timeout=5).json()
    assert [(c["case_no"], c["status"]) for c in feed["changes"]] == [(case_body()["case_no"], 11)]
    later = client.get(sim.url + API + "/changes", params={"cursor": feed["cursor"]}, timeout=5).json()
    assert later["changes"] == [] and later["cursor"] == feed["cursor"]


def test_injected_errors_and_retry_after(sim, client):
    faults(sim, error_rate=1.0, seed=1)
    r = client.get(sim.url + API + "/changes", timeout=5)
    assert r.status_code in (500, 502, 503)
    faults(sim, retry_after_rate=1.0, retry_after_seconds=7, seed=2)
    r = client.get(sim.url + API + "/changes", timeout=5)
    assert r.status_code in (429, 503) and r.headers["Retry-After"] == "7"
    faults(sim, retry_after_rate=1.0, retry_after_seconds=30, retry_after_as_date=True, seed=3)
    r = client.get(sim.url + API + "/changes", timeout=5)
    wait = parsedate_to_datetime(r.headers["Retry-After"]).timestamp() - time.time()
    assert 25 < wait <= 31
    faults(sim)
    assert client.get(sim.url + API + "/changes", timeout=5).status_code == 200


def test_a_lost_response_is_answered_again_by_the_idempotency_key(sim, client):
    faults(sim, reset_rate=1.0, seed=4)
    url = f"{sim.url}{API}/cases/uid-9"
    with pytest.raises(requests.exceptions.RequestException):
        client.put(url, json=case_body(case_no="N9"), headers={"Idempotency-Key": "uid-9:1"}, timeout=5)
    faults(sim)
    again = client.put(url, json=case_body(case_no="N9"), headers={"Idempotency-Key": "uid-9:1"}, timeout=5)
    assert again.status_code == 201 and again.json()["created"] is True
    assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 1


def test_truncated_json_and_slow_responses(sim, client):
    faults(sim, truncate_rate=1.0, seed=5)
    r = client.get(sim.url + API + "/changes", timeout=5)
    with pytest.raises(ValueError):
        r.json()
    faults(sim, slow_ms=800)
    with pytest.raises(requests.exceptions.Timeout):
        client.get(sim.url + API + "/changes", timeout=0.3)
    faults(sim, expire_tokens=True)
    assert client.get(sim.url + API + "/changes", timeout=5).status_code == 401


def test_everything_survives_a_restart(tmp_path):
    root = tmp_path / "platform"
    first = RunningServer(create_app(root))
    s = requests.Session()
    s.post(first.url + API + "/admin/devices", json={"device_id": "W", "secret": "x"}, timeout=5)
    token = s.post(first.url + API + "/auth/token", json={"device_id": "W", "secret": "x"},
                   timeout=5).json()["access_token"]
    s.headers["Authorization"] = "Bearer " + token
    sha = upload(s, first, b"%PDF-1.4 page %%EOF")
    s.put(f"{first.url}{API}/cases/u1", json=case_body(attachments=[sha]),
          headers={"Idempotency-Key": "u1:1"}, timeout=5).raise_for_status()
    first.stop()
    second = RunningServer(create_app(root))
    try:
        stored = s.get(f"{second.url}{API}/cases/u1", timeout=5).json()["case"]
        assert stored["materials"][0]["attachments"] == [sha]
        assert s.head(f"{second.url}{API}/blobs/{sha}", timeout=5).headers["Upload-Complete"] == "1"
        repeat = s.put(f"{second.url}{API}/cases/u1", json=case_body(attachments=[sha]),
                       headers={"Idempotency-Key": "u1:1"}, timeout=5)
        assert repeat.status_code == 201
    finally:
        second.stop()


def error_of(response):
    return response.json()["error"]


def test_an_idempotency_key_belongs_to_its_case_and_the_case_to_its_device(sim, client):
    url = f"{sim.url}{API}/cases/uid-k"
    first = client.put(url, json=case_body(case_no="NK"), headers={"Idempotency-Key": "k"}, timeout=5)
    assert first.status_code == 201
    other_uid = client.put(f"{sim.url}{API}/cases/uid-other", json=case_body(case_no="NK"),
                           headers={"Idempotency-Key": "k"}, timeout=5)
    assert other_uid.status_code == 422 and error_of(other_uid) == "idempotency_key_reused"
    requests.post(sim.url + API + "/admin/devices", json={"device_id": "W02", "secret": "pw2"},
                  timeout=5).raise_for_status()
    token = requests.post(sim.url + API + "/auth/token", json={"device_id": "W02", "secret": "pw2"},
                          timeout=5).json()["access_token"]
    other_device = requests.put(url, json=case_body(case_no="NK"), timeout=5, headers={
        "Idempotency-Key": "k", "Authorization": f"Bearer {token}"})
    assert other_device.status_code == 403 and error_of(other_device) == "not_owner"
    assert client.get(f"{sim.url}{API}/cases/uid-other", timeout=5).status_code == 404
    repeat = client.put(url, json=case_body(case_no="NK"), headers={"Idempotency-Key": "k"}, timeout=5)
    assert (repeat.status_code, repeat.json()) == (201, first.json())   # its owner still gets it


def test_a_key_in_progress_says_when_to_retry_and_is_taken_over_after_its_lease(tmp_path):
    clock = FakeSeconds(time.time())
    server = RunningServer(create_app(tmp_path / "p", clock=clock, idempotency_lease_s=30))
    try:
        s = requests.Session()
        s.post(server.url + API + "/admin/devices", json={"device_id": "W", "secret": "x"}, timeout=5)
        token = s.post(server.url + API + "/auth/token", json={"device_id": "W", "secret": "x"},
                       timeout=5).json()["access_token"]
        s.headers["Authorization"] = f"Bearer {token}"
        faults(server, upsert_delay_ms=3000)
        url = f"{server.url}{API}/cases/uid-l"
        held = threading.Thread(target=lambda: requests.put(
            url, json=case_body(case_no="NL"), timeout=10,
            headers={"Idempotency-Key": "kl", "Authorization": s.headers["Authorization"]}))
        held.start()
        deadline = time.monotonic() + 5
        while server.sim.store.one("SELECT state FROM idempotency WHERE key = 'kl'") is None:
            assert time.monotonic() < deadline, "the first request never started"
            time.sleep(0.005)
        clock.advance(10)
        busy = s.put(url, json=case_body(case_no="NL"), headers={"Idempotency-Key": "kl"}, timeout=5)
        assert busy.status_code == 409 and error_of(busy) == "in_progress"
        assert busy.headers["Retry-After"] == "20"             # what is left of the lease
        clock.advance(21)                                       # the lease is over: taken over
        faults(server)
        taken = s.put(url, json=case_body(case_no="NL"), headers={"Idempotency-Key": "kl"}, timeout=5)
        assert taken.status_code in (200, 201), taken.text
        held.join()
        assert requests.get(server.url + API + "/admin/stats", timeout=5).json()["cases"] == 1
    finally:
        server.stop()


def test_a_case_put_cut_by_a_crash_completes_on_the_next_retry(tmp_path):
    """The simulator SIGKILLed while a case upsert holds its key: once it is back, the next
    retry of that key completes (no 409 for ever)."""
    import signal
    import socket
    import subprocess
    import sys

    def start() -> tuple[subprocess.Popen[bytes], str]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path),
                                 "platform-sim", "--port", str(port), "--device", "W01=pw"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/openapi.json", timeout=1)
                return proc, url
            except requests.RequestException:
                assert time.monotonic() < deadline and proc.poll() is None, "platform-sim did not start"
                time.sleep(0.05)

    def token(url: str) -> dict[str, str]:
        value = requests.post(url + API + "/auth/token", json={"device_id": "W01", "secret": "pw"},
                              timeout=5).json()["access_token"]
        return {"Authorization": f"Bearer {value}", "Idempotency-Key": "uid-c:1"}

    proc, url = start()
    try:
        faults_on = requests.put(url + API + "/admin/faults", json={"upsert_delay_ms": 20000}, timeout=5)
        faults_on.raise_for_status()
        headers = token(url)
        cut = threading.Thread(target=lambda: _swallow(lambda: requests.put(
            f"{url}{API}/cases/uid-c", json=case_body(case_no="NC"), headers=headers, timeout=30)))
        cut.start()
        database = tmp_path / "platform-sim" / "platform.sqlite3"
        deadline = time.monotonic() + 10
        while not _in_progress(database, "uid-c:1"):
            assert time.monotonic() < deadline, "the upsert never began"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        cut.join()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    proc, url = start()
    try:
        retry = requests.put(f"{url}{API}/cases/uid-c", json=case_body(case_no="NC"),
                             headers=token(url), timeout=10)
        assert retry.status_code == 201, retry.text
        assert requests.get(url + API + "/admin/stats", timeout=5).json()["cases"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _swallow(call):
    try:
        call()
    except requests.RequestException:
        pass                                 # the server was killed under it


def _in_progress(database, key) -> bool:
    import sqlite3

    if not database.exists():
        return False
    conn = sqlite3.connect(database)
    try:
        row = conn.execute("SELECT state FROM idempotency WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return row is not None and row[0] == "in_progress"


def test_input_out_of_range_or_encoding_is_refused_with_4xx(sim, client):
    requests.post(sim.url + API + "/admin/devices", json={"device_id": "W9", "secret": "密钥"},
                  timeout=5).raise_for_status()
    wrong = requests.post(sim.url + API + "/auth/token", json={"device_id": "W9", "secret": "错误"},
                          timeout=5)
    assert wrong.status_code == 401 and wrong.json() == {"error": "bad_credentials"}
    right = requests.post(sim.url + API + "/auth/token", json={"device_id": "W9", "secret": "密钥"},
                          timeout=5)
    assert right.status_code == 200
    huge = client.get(sim.url + API + "/changes", params={"cursor": 2**64}, timeout=5)
    assert huge.status_code == 422 and huge.json()["fields"][0]["field"] == "cursor"
    big_version = client.put(f"{sim.url}{API}/cases/u-big", json=case_body(version=2**64),
                             headers={"Idempotency-Key": "big"}, timeout=5)
    assert big_version.status_code == 422 and big_version.json()["error"] == "invalid"
    surrogate = client.put(f"{sim.url}{API}/cases/u-s", timeout=5, headers={
        "Idempotency-Key": "s", "Content-Type": "application/json"},
        data=json.dumps(case_body(applicant_name="\ud800")))
    assert surrogate.status_code in (400, 422)
    not_json = client.put(f"{sim.url}{API}/cases/u-j", data=b"\xff{", timeout=5, headers={
        "Idempotency-Key": "j", "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["error"] == "bad_json"
    for admin in ("/admin/catalog", "/admin/preapplications/P1"):
        assert requests.put(sim.url + API + admin, data=b"\xff\xfe not json", timeout=5).status_code == 400
        assert requests.put(sim.url + API + admin, data=b"[1, 2]", timeout=5).status_code == 422
    sha = "a" * 64
    far = client.put(f"{sim.url}{API}/blobs/{sha}", data=b"x", timeout=5,
                     headers={"Content-Range": f"bytes 0-0/{10**14}"})
    assert far.status_code == 413 and far.json()["error"] == "too_large"     # past one blob's bound
    backwards = client.put(f"{sim.url}{API}/blobs/{sha}", data=b"", timeout=5,
                           headers={"Content-Range": "bytes 5-0/10"})
    assert backwards.status_code == 400 and backwards.json()["error"] == "bad_content_range"
    odd = client.put(f"{sim.url}{API}/blobs/{sha}", data=b"x", timeout=5,
                     headers={"Content-Range": "bytes=0-0/1"})
    assert odd.status_code == 422
    assert requests.put(sim.url + API + "/admin/faults", json={"error_rate": 2}, timeout=5).status_code == 422


def test_who_is_asking_comes_before_what_was_sent(sim, client):
    url = f"{sim.url}{API}/cases/u-anon"
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        anonymous = requests.put(url, json={"version": "x"}, headers=headers, timeout=5)
        assert anonymous.status_code == 401 and "fields" not in anonymous.json()
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        broken = requests.put(url, data=b"{not json", timeout=5,
                              headers={**headers, "Content-Type": "application/json"})
        assert broken.status_code == 401
    known = client.put(url, json={"version": "x"}, headers={"Idempotency-Key": "a"}, timeout=5)
    assert known.status_code == 422 and known.json()["error"] == "invalid"
    assert {f["field"] for f in known.json()["fields"]} >= {"version", "case_no"}


def test_the_document_says_what_the_simulator_answers(sim):
    doc = requests.get(sim.url + "/openapi.json", timeout=5).json()
    assert doc["components"]["securitySchemes"]["deviceToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "设备令牌：POST /api/v1/auth/token 以设备标识和密钥换取"}
    case = doc["paths"][f"{API}/cases/{{uid}}"]["put"]
    assert case["security"] == [{"deviceToken": []}]
    assert set(case["responses"]) == {"200", "201", "400", "401", "403", "409", "413", "422"}
    assert case["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"}
    assert set(doc["paths"][f"{API}/evaluations/{{uid}}"]["put"]["responses"]) >= {"200", "201"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "security" not in doc["paths"][f"{API}/auth/token"]["post"]
