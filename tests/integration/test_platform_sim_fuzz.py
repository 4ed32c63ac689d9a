"""Random valid and invalid input on every endpoint of the simulator: never a 5xx.

(The property a schemathesis run checks, written with hypothesis so it needs nothing more.)
"""

from __future__ import annotations

import hashlib

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallclient.servers.platform_sim import RunningServer, create_app

from .test_platform_sim import API, case_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=60),
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=12)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = RunningServer(create_app(tmp_path_factory.mktemp("fuzz")))
    s = requests.Session()
    s.post(server.url + API + "/admin/devices", json={"device_id": "W", "secret": "x"}, timeout=5)
    token = s.post(server.url + API + "/auth/token", json={"device_id": "W", "secret": "x"},
                   timeout=5).json()["access_token"]
    server.headers = {"Authorization": f"Bearer {token}"}
    yield server
    server.stop()


def no_server_error(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])


@FUZZ
@given(body=json_values)
def test_auth_with_any_body(sim, body):
    no_server_error(requests.post(sim.url + API + "/auth/token", json=body, timeout=5))


@FUZZ
@given(body=json_values, uid=st.text(min_size=1, max_size=40).filter(lambda t: "/" not in t and t.strip()),
       key=st.one_of(st.none(), st.text(max_size=30).filter(
           lambda t: t.isprintable() and t.isascii() and not t[:1].isspace())))  # requests refuses those
def test_case_upsert_with_any_body(sim, body, uid, key):
    headers = dict(sim.headers)
    if key:
        headers["Idempotency-Key"] = key
    no_server_error(requests.put(f"{sim.url}{API}/cases/{requests.utils.quote(uid, safe='')}",
                                 json=body, headers=headers, timeout=5))


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(list(case_body())), json_values, max_size=4),
       key=st.text(min_size=1, max_size=20, alphabet="abcdefgh0123456789"))
def test_case_upsert_with_damaged_valid_bodies(sim, changes, key):
    no_server_error(requests.put(f"{sim.url}{API}/cases/fuzz-{key}", json={**case_body(), **changes},
                                 headers={**sim.headers, "Idempotency-Key": key}, timeout=5))


@FUZZ
@given(data=st.binary(max_size=200), start=st.integers(-5, 300), end=st.integers(-5, 300),
       total=st.integers(-5, 300), raw=st.text(max_size=30).filter(lambda t: t.isascii() and t.isprintable()
                                                  and not t[:1].isspace()),  # requests refuses those
       use_raw=st.booleans(), honest=st.booleans())
def test_blob_upload_with_any_range(sim, data, start, end, total, raw, use_raw, honest):
    sha = hashlib.sha256(data).hexdigest() if honest else "ab" * 32
    content_range = raw if use_raw else f"bytes {start}-{end}/{total}"
    no_server_error(requests.put(f"{sim.url}{API}/blobs/{sha}", data=data, timeout=5,
                                 headers={**sim.headers, "Content-Range": content_range}))
    no_server_error(requests.head(f"{sim.url}{API}/blobs/{sha}", headers=sim.headers, timeout=5))


@FUZZ
@given(body=json_values, uid=st.text(min_size=1, max_size=20, alphabet="xyz0123456789-"))
def test_evaluations_with_any_body(sim, body, uid):
    no_server_error(requests.put(f"{sim.url}{API}/evaluations/{uid}", json=body, headers=sim.headers,
                                 timeout=5))


@FUZZ
@given(cursor=st.text(max_size=12), limit=st.text(max_size=12),
       code=st.text(min_size=1, max_size=30).filter(lambda t: "/" not in t and t.strip()))
def test_queries_with_any_parameters(sim, cursor, limit, code):
    no_server_error(requests.get(sim.url + API + "/changes", params={"cursor": cursor, "limit": limit},
                                 headers=sim.headers, timeout=5))
    no_server_error(requests.get(f"{sim.url}{API}/preapplications/{requests.utils.quote(code, safe='')}",
                                 headers=sim.headers, timeout=5))
    etag = "".join(c for c in cursor if c.isascii() and c.isprintable()).strip()  # a header value
    no_server_error(requests.get(sim.url + API + "/catalog", headers={"If-None-Match": etag, **sim.headers},
                                 timeout=5))
