"""schemathesis against the real simulator on loopback, with a device token and without:
no answer >= 500, and every answer as the contract document says (status code, content
type, headers, body). Seeded and sized to fit the suite; ``tools/fuzz_api.py`` runs the
same harness larger by hand."""

from __future__ import annotations

import pytest
import requests

from hallclient.servers.platform_sim import RunningServer, create_app
from tools.fuzz_api import fuzz

API = "/api/v1"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = RunningServer(create_app(tmp_path_factory.mktemp("schemathesis")))
    requests.post(server.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                  timeout=5).raise_for_status()
    yield server
    server.stop()


def token(sim) -> str:
    answer = requests.post(sim.url + API + "/auth/token", json={"device_id": "W01", "secret": "pw"},
                           timeout=5)
    return str(answer.json()["access_token"])


@pytest.mark.parametrize("with_token", [True, False], ids=["device", "anonymous"])
def test_the_simulator_holds_against_schemathesis(sim, with_token):
    # the fault switch is left alone: turning faults on makes 5xx on purpose
    result = fuzz(sim.url, token(sim) if with_token else None, seed=20261130, examples=6,
                  steps=6, exclude="/admin/faults")
    assert result.requests >= 300, result.summary()
    assert result.server_errors == 0, result.summary()
    assert result.schema_violations == 0, result.summary()
    assert not result.errors, result.summary()
    if not with_token:       # an anonymous caller learns nothing past 401 on the device API
        assert result.statuses[401] > result.requests // 3, result.summary()
