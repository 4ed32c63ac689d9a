"""What intake's issue-16 additions mean beyond the counter: a material whose signed original
was checked and handed back (已收原件（已核验并退还）) reaches the platform as received, with
how it was received; a second 补正 (correction_repeat) is pushed to the hall server like the
other decisions, and, like them, only for the window the counter works at."""

from __future__ import annotations

import json
import random

import pytest
import requests

from hallclient.core.cases import MaterialStatus
from hallclient.platform.client import PlatformClient
from hallclient.servers.hall_server import RunningHallServer
from hallclient.servers.platform_sim import RunningServer, create_app
from hallclient.store import log_repo
from hallclient.sync.engine import Backoff, OutboxEngine

from ..recipes import case_draft
from .hall_fixtures import Hall
from .test_hall_identity import bearer, forged_entries, rechain
from .test_platform_sim import API


@pytest.fixture
def platform(tmp_path):
    server = RunningServer(create_app(tmp_path / "platform"))
    requests.post(server.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                  timeout=5).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def hall_here(tmp_path, demo_hall):
    server = RunningHallServer(tmp_path / "hall-server")
    server.import_hall(demo_hall)
    work = tmp_path / "counters"
    work.mkdir()
    h = Hall(tmp_path / "hall-server", work, server, server.port, demo_hall)
    yield h
    h.close()


def test_an_original_handed_back_reaches_the_platform_as_received(platform, desk, db):
    draft = case_draft(desk)
    returned = next(m for m in draft.materials if m.required and m.status is MaterialStatus.KEPT)
    returned.files.clear()
    returned.status = MaterialStatus.ORIGINAL_RETURNED
    done = desk.commit(draft, 1, "li")
    assert desk.load(done.case_no)["materials"][
        [m.code for m in draft.materials].index(returned.code)]["status"] == "original_returned"

    client = PlatformClient(platform.url, "W01", "pw", timeout=(2, 5))
    try:
        engine = OutboxEngine(db, desk.attachments, client, rng=random.Random(1),
                              backoff=Backoff(1, 60))
        report = engine.run_once()
        assert (report.done, report.attention) == (1, 0), report
        stored = client.request("GET", f"{API}/cases/{done.uid}").json()["case"]
    finally:
        client.close()
    sent = {m["code"]: m for m in stored["materials"]}[returned.code]
    assert sent["received"] is True and sent["receipt"] == "original_returned"
    assert sent["attachments"] == []
    assert {m["receipt"] for m in stored["materials"]} <= {"kept", "original_returned",
                                                           "not_applicable", "missing"}


def test_the_platform_refuses_a_receipt_that_contradicts_received(platform):
    token = requests.post(platform.url + API + "/auth/token",
                          json={"device_id": "W01", "secret": "pw"}, timeout=5).json()
    body = {"version": 1, "case_no": "N1", "impl_code": "I1", "item_name": "事项", "case_type": 1,
            "applicant_name": "王𠮷", "id_type": "111", "id_number": "11010519491231002X",
            "mobile": "13800138000", "source": 1, "accepted_by_unit": "局", "accepted_by": "li",
            "accepted_at": "2026-11-27T09:00:00+08:00", "status": 3,
            "materials": [{"code": "M1", "name": "申请书", "received": False, "form": "original",
                           "count": 1, "receipt": "original_returned"}]}
    answer = requests.put(platform.url + API + "/cases/0b0e2d6e-93a4-4c55-9a6c-0d3e6f1f6a01",
                          json=body, timeout=5,
                          headers={"Authorization": f"Bearer {token['access_token']}",
                                   "Idempotency-Key": "k1"})
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "materials[0].received"


def test_the_hall_server_takes_a_second_correction_of_the_counters_own_window(hall_here):
    w1 = hall_here.counter(1)
    w1.record("correction_repeat", 1, "li", {"case_no": "33010920261127W01AAA0001",
                                             "reason": "户口簿非本人页"})
    assert w1.push_log() == 1
    kept = hall_here.server.hall.worker.submit(lambda core: core.db.conn.execute(
        "SELECT window, clerk, action, detail FROM pushed_log").fetchall()).result()
    assert [(r[0], r[1], r[2], json.loads(r[3])) for r in kept] == [
        (1, "li", "correction_repeat",
         {"case_no": "33010920261127W01AAA0001", "reason": "户口簿非本人页"})]
    # ... and like every decision the report counts, never as "of no window" from a counter
    # bound to window 1
    head = log_repo.entries(w1.db.conn)[-1]
    nowhere = forged_entries(log_repo.device_id(w1.db.conn), 1, "correction_repeat", seq0=2,
                             prev=head["hash"])
    nowhere[0]["window"] = None
    answer = requests.post(hall_here.url + "/api/v1/logs",
                           json={"entries": rechain(nowhere, head["hash"])},
                           headers=bearer(hall_here.tokens["W1"]), timeout=5)
    assert answer.status_code == 403
