"""PlatformClient against the real simulator on loopback: errors are typed, tokens renew,
uploads resume from what the platform holds."""

from __future__ import annotations

import hashlib
import time
from itertools import pairwise

import pytest
import requests

from hallclient.platform.client import (
    AuthError,
    BlobUpload,
    PlatformClient,
    RejectedError,
    TransientError,
    check_url,
    retry_after_seconds,
)
from hallclient.servers.platform_sim import RunningServer, create_app

from ..conftest import FakeSeconds
from .test_platform_sim import API, case_body, faults


@pytest.fixture
def platform_clock() -> FakeSeconds:
    return FakeSeconds(time.time())


@pytest.fixture
def sim(tmp_path, platform_clock):
    server = RunningServer(create_app(tmp_path / "platform", token_ttl_s=300, clock=platform_clock))
    requests.post(server.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                  timeout=5).raise_for_status()
    yield server
    server.stop()


class RecordingSession(requests.Session):
    """A session that notes every request it sends: [method, Content-Range, status or None
    when the answer was lost on the way]."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[list] = []

    def send(self, request, **kwargs):
        entry = [request.method, request.headers.get("Content-Range", ""), None]
        self.sent.append(entry)
        response = super().send(request, **kwargs)    # reads the body: a cut one raises here
        entry[2] = response.status_code
        return response


@pytest.fixture
def client(sim):
    c = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    yield c
    c.close()


def test_plain_http_only_to_this_machine():
    assert check_url("http://127.0.0.1:8700/") == "http://127.0.0.1:8700"
    assert check_url("http://localhost:1") == "http://localhost:1"
    assert check_url("https://zwfw.example.gov.cn") == "https://zwfw.example.gov.cn"
    for bad in ("http://10.1.2.3:8700", "http://zwfw.example.gov.cn", "ftp://x"):
        with pytest.raises(ValueError, match="https"):
            PlatformClient(bad, "W", "s")


def test_retry_after_in_seconds_and_as_a_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Fri, 27 Nov 2026 08:00:30 GMT", now=1795766400.0) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_bad_credentials_are_an_auth_error(sim):
    with pytest.raises(AuthError, match="设备凭据"):
        PlatformClient(sim.url, "W01", "wrong").changes(0)
    with pytest.raises(AuthError, match="admin set-device"):
        PlatformClient(sim.url, "W01", "").changes(0)           # never registered: no request sent


def test_expired_token_is_renewed_by_itself(sim, client, platform_clock):
    client.changes(0)
    first = client.token
    platform_clock.advance(301)
    assert client.changes(0) == ([], 0)
    assert client.token != first


def test_case_upload_and_its_errors(sim, client):
    assert client.upsert_case("u1", case_body(), "u1:1")["created"] is True
    assert client.upsert_case("u1", case_body(), "u1:1")["created"] is True     # the first answer
    with pytest.raises(RejectedError) as refused:
        client.upsert_case("u1", case_body(mobile="1"), "u1:1")
    assert "idempotency_key_reused" in refused.value.message
    faults(sim, reject_fields={"mobile": "手机号码不符合要求"})
    with pytest.raises(RejectedError) as fields:
        client.upsert_case("u2", case_body(case_no="N2"), "u2:1")
    assert fields.value.fields == [{"field": "mobile", "reason": "手机号码不符合要求"}]
    assert "mobile：手机号码不符合要求" in fields.value.message


@pytest.mark.parametrize("fault, check", [
    ({"error_rate": 1.0}, lambda e: e.retry_after is None),
    ({"retry_after_rate": 1.0, "retry_after_seconds": 9}, lambda e: e.retry_after == 9.0),
    ({"retry_after_rate": 1.0, "retry_after_seconds": 40, "retry_after_as_date": True},
     lambda e: 30 < e.retry_after <= 41),
    ({"reset_rate": 1.0}, lambda e: "连接平台失败" in e.message),
    ({"truncate_rate": 1.0}, lambda e: "不完整" in e.message),
    ({"slow_ms": 1500}, lambda e: e.message == "连接平台失败：等待回答超时"),
])
def test_faults_become_transient_errors(sim, client, fault, check):
    client.changes(0)
    client.timeout = (2.0, 1.0)      # read timeout shorter than the injected slowness
    faults(sim, seed=1, **fault)
    with pytest.raises(TransientError) as err:
        client.changes(0)
    assert check(err.value), err.value.message


def test_blob_upload_resumes_from_the_platform_offset(sim, client):
    data = bytes(range(256)) * 4096          # 1 MiB
    sha = hashlib.sha256(data).hexdigest()
    # an earlier attempt got the first 300 KB through before the line dropped
    head = requests.put(f"{sim.url}{API}/blobs/{sha}", data=data[:300_000], timeout=5,
                        headers={"Content-Range": f"bytes 0-299999/{len(data)}",
                                 "Authorization": f"Bearer {_token(client)}"})
    assert head.status_code == 202
    sent = client.upload_blob(sha, data, chunk=256 * 1024)
    assert sent == len(data) - 300_000
    assert client.blob_offset(sha) == (len(data), True)
    assert client.upload_blob(sha, data) == 0                 # deduplicated by hash
    with pytest.raises(RejectedError, match="sha256"):
        client.upload_blob(sha, data[:-1])


def test_a_blob_goes_on_from_its_place_and_asks_only_after_a_lost_answer(sim):
    """Refused chunks (5xx) are sent again from where the upload stood, without asking; a
    chunk whose answer was cut may have been taken, so the next try asks (HEAD) first."""
    data = bytes(range(256)) * 4096          # 1 MiB, in 8 chunks
    sha = hashlib.sha256(data).hexdigest()
    session = RecordingSession()
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5), session=session)
    client.changes(0)                        # the token, before the faults
    faults(sim, error_rate=0.25, reset_rate=0.25, seed=4)
    upload = BlobUpload(sha, data)
    for _ in range(100):
        try:
            client.send_blob(upload, chunk=128 * 1024)
            break
        except TransientError:
            continue
    faults(sim)
    assert upload.complete and client.blob_offset(sha) == (len(data), True)
    puts = [e for e in session.sent if e[0] == "PUT"]
    assert any(e[2] is not None and e[2] >= 500 for e in puts)
    assert any(e[2] is None for e in puts)
    for before, after in pairwise(session.sent):
        if before[0] == "PUT" and before[2] is not None and before[2] >= 500:
            assert after[:2] == before[:2]   # the same chunk again, no HEAD
        if before[0] == "PUT" and before[2] is None:
            assert after[0] == "HEAD"
    client.close()


def test_preapplications_and_catalog(sim, client):
    requests.put(f"{sim.url}{API}/admin/preapplications/YS0001", json={"applicant": "王𠮷"},
                 timeout=5).raise_for_status()
    assert client.preapplication("YS0001") == {"applicant": "王𠮷"}
    assert client.preapplication("YS0002") is None
    requests.put(f"{sim.url}{API}/admin/catalog", data='{"items": []}', timeout=5).raise_for_status()
    first = client.catalog()
    assert first.changed and first.body == {"items": []}
    assert client.catalog(first.etag).changed is False


def _token(client: PlatformClient) -> str:
    client.changes(0)
    assert client.token
    return client.token
