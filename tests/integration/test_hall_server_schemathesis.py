"""schemathesis against the real hall server on loopback, with a counter's token and
without: no answer >= 500, and every answer as ``/openapi.json`` says (status code, content
type, headers, body). Seeded and sized to fit the suite; ``tools/fuzz_api.py`` runs the
same harness larger by hand."""

from __future__ import annotations

import json

import pytest

from hallclient import resources
from hallclient.servers.hall_server import RunningHallServer
from hallclient.wire.hall import DeviceKind
from tools.fuzz_api import fuzz


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = RunningHallServer(tmp_path_factory.mktemp("schemathesis") / "hall-server")
    server.import_hall(json.loads(resources.path("demo", "hall.json").read_text(encoding="utf-8")))
    yield server
    server.stop()


@pytest.mark.parametrize("kind", [DeviceKind.COUNTER, DeviceKind.PANEL, None],
                         ids=["counter", "panel", "anonymous"])
def test_the_hall_server_holds_against_schemathesis(hall, kind):
    token = hall.add_device(f"fuzz-{kind.value}", kind) if kind is not None else None
    # a stream that has nothing new to say is cut after 2 s (it would keep the line open)
    result = fuzz(hall.url, token, seed=20261130, examples=6, steps=6, request_timeout=2.0,
                  stream_events=1)
    assert result.requests >= 300, result.summary()
    assert result.server_errors == 0, result.summary()
    assert result.schema_violations == 0, result.summary()
    assert not result.errors, result.summary()
    if kind is None:         # an anonymous caller learns nothing past 401
        assert set(result.statuses) <= {200, 401, 405}, result.summary()
