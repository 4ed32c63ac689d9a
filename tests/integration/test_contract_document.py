"""The contract document in the project is the one the simulator serves."""

from __future__ import annotations

import json

from hallclient import resources
from hallclient.servers.platform_sim import create_app


def test_committed_openapi_matches_the_simulator(tmp_path):
    committed = json.loads(resources.path("platform", "openapi.json").read_text(encoding="utf-8"))
    served = create_app(tmp_path).api.openapi()
    assert committed == json.loads(json.dumps(served)), (
        "hallclient/resources/platform/openapi.json is stale: regenerate it from platform_sim")
    assert committed["openapi"].startswith("3.")
    for path in ("/api/v1/auth/token", "/api/v1/catalog", "/api/v1/cases/{uid}",
                 "/api/v1/blobs/{sha256}", "/api/v1/evaluations/{uid}",
                 "/api/v1/preapplications/{code}", "/api/v1/changes"):
        assert path in committed["paths"]


def test_committed_hall_openapi_matches_the_hall_server(tmp_path):
    from hallclient.servers.hall_server import HallServer

    committed = json.loads(resources.path("hall", "openapi.json").read_text(encoding="utf-8"))
    server = HallServer(tmp_path)
    try:
        served = server.asgi.openapi()
    finally:
        server.close()
    assert committed == json.loads(json.dumps(served)), (
        "hallclient/resources/hall/openapi.json is stale: regenerate it from hall_server")
    assert "/api/v1/windows/{window}/{action}" in committed["paths"]


def test_the_hall_openapi_names_every_body_and_answer():
    """The routes declare the wire models: a reader of /openapi.json sees each answer's
    shape, not an untyped object."""
    doc = json.loads(resources.path("hall", "openapi.json").read_text(encoding="utf-8"))
    answers = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            ok = op["responses"].get("200") or op["responses"]["201"]
            answers[f"{method.upper()} {path}"] = (
                ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", ""))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body:
                assert body["schema"]["$ref"].endswith("In"), (path, body)
    assert answers.pop("GET /api/v1/events") == ""          # text/event-stream
    assert all(ref.startswith("#/components/schemas/") for ref in answers.values()), answers
    assert answers["POST /api/v1/windows/{window}/{action}"].endswith("/ActionOut")
    ticket = doc["components"]["schemas"]["TicketOut"]["properties"]
    assert ticket["priority"] == {"$ref": "#/components/schemas/PriorityClass"}
    assert doc["components"]["schemas"]["PriorityClass"]["enum"] == [0, 1, 2]
