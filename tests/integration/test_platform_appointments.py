"""The day's appointments (预约) from the platform's booking system: the contract's route on
the simulator, the client checking what comes back, a township PC's sync taking them into
its own queue, and a hall server pulling them for the whole hall; then a card swiped at the
kiosk finds its appointment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from hallclient.config import CONFIG_FILE, Config
from hallclient.core.clock import local_now
from hallclient.core.swipe import CardSwipe
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.platform.client import PlatformClient, RejectedError
from hallclient.queue.local import LocalQueue
from hallclient.secrets import write_secret
from hallclient.servers.hall_server import HallServer
from hallclient.store.attachments import AttachmentStore
from hallclient.sync.engine import OutboxEngine

TODAY = local_now().date()
CARD = CardSwipe("110101198001010010", date(1980, 1, 1))
LIST = {"appointments": [
    {"code": "P1001", "time": "09:30", "service": "ZH", "phone": "13800138000",
     "id_number": CARD.id_number},
    {"code": "P1002", "time": "10:00", "service": "SC"},
    {"code": "P1003", "time": "10:30", "service": "NOPE"}]}


def _load(sim, day: date, body: dict) -> requests.Response:
    return requests.put(f"{sim.url}/api/v1/admin/appointments/{day.isoformat()}", json=body,
                        timeout=5)


def test_the_simulator_serves_a_day_and_refuses_what_the_contract_does_not_allow(sim):
    assert _load(sim, TODAY, LIST).json() == {"day": TODAY.isoformat(), "appointments": 3}
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    got = client.appointments(TODAY)
    assert [(a.code, a.at_time, a.service, a.phone) for a in got] == [
        ("P1001", "09:30", "ZH", "13800138000"), ("P1002", "10:00", "SC", ""),
        ("P1003", "10:30", "NOPE", "")]
    assert got[0].id_number == CARD.id_number and got[0].day == TODAY.isoformat()
    assert client.appointments(TODAY + timedelta(days=1)) == []          # nothing booked
    client.close()
    for bad in ({"appointments": [{"code": "x", "time": "09:30", "service": "ZH"}]},
                {"appointments": [{"code": "P1", "time": "25:00", "service": "ZH"}]},
                {"appointments": [{"code": "P100", "time": "09:30", "service": "ZH", "name": "张三"}]},
                {"appointments": [{"code": "P100", "time": "09:30", "service": "ZH",
                                   "id_number": "<script>"}]},
                {"appointments": [{"code": "P100", "time": "09:30", "service": "ZH"},    # twice
                                  {"code": "P100", "time": "10:30", "service": "RS"}]}):
        assert _load(sim, TODAY, bad).status_code == 422, bad
    # without the device's token: refused
    assert requests.get(f"{sim.url}/api/v1/appointments", params={"day": TODAY.isoformat()},
                        timeout=5).status_code == 401


def test_a_list_that_is_not_the_contract_is_refused_by_the_client(sim, monkeypatch):
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    real = client.request

    def lying(method, path, **kw):
        answer = real(method, path, **kw)
        if path.endswith("/appointments"):
            answer._content = b'{"day": "1999-01-01", "appointments": []}'
        return answer

    monkeypatch.setattr(client, "request", lying)
    with pytest.raises(RejectedError, match="不是"):
        client.appointments(TODAY)
    client.close()


def test_a_township_pc_takes_the_day_into_its_own_queue(sim, queue, db, tmp_path):
    _load(sim, TODAY, LIST)
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    engine = OutboxEngine(db, AttachmentStore(tmp_path / "att"), client, appointments=True,
                          today=lambda: TODAY)
    first = engine.pull_appointments()
    assert first is not None and (first.listed, first.removed, first.unknown) == (2, 0, ("NOPE",))
    assert engine.pull_appointments() is None                    # not due again yet
    local = LocalQueue(db, clock=local_now)
    found = local.card_appointment(CARD)
    assert found is not None and (found.code, found.at_time) == ("P1001", "09:30")
    issued = local.issue("ZH", PriorityClass.APPOINTMENT, "K1", swipe=CARD)
    assert issued.appointment_time == "09:30"
    # an empty list (a booking system answering nothing by mistake) cancels nothing
    _load(sim, TODAY, {"appointments": []})
    empty = engine.pull_appointments(force=True)
    assert empty is not None and (empty.listed, empty.removed) == (0, 0)
    # the platform cancels P1002; the used P1001 stays
    _load(sim, TODAY, {"appointments": [LIST["appointments"][0]]})
    again = engine.pull_appointments(force=True)
    assert again is not None and again.removed == 1
    with pytest.raises(QueueError, match="已经取过号"):
        local.card_appointment(CARD)
    with pytest.raises(QueueError, match="没有找到"):
        local.issue("SC", PriorityClass.APPOINTMENT, "K1", appointment="P1002")
    # a counter on a hall server takes none itself (the hall server does)
    hall_pc = OutboxEngine(db, AttachmentStore(tmp_path / "att"), client)
    assert hall_pc.pull_appointments(force=True) is None
    client.close()


def test_a_hall_server_with_platform_credentials_pulls_the_day(sim, tmp_path, demo_hall):
    _load(sim, TODAY, LIST)
    data_dir = tmp_path / "hall"
    data_dir.mkdir()
    Config(data_dir / CONFIG_FILE, {"platform.url": sim.url, "platform.device_id": "W01"}).save()
    server = HallServer(data_dir)
    try:
        with pytest.raises(ValueError, match="设备密钥"):
            server.pull_appointments()
        write_secret(data_dir, "pw")
        server.worker.submit(lambda core: core.queue.import_hall(demo_hall)).result()
        day = server.pull_appointments()
        assert (day.listed, day.unknown) == (2, ("NOPE",))
        found = server.worker.submit(lambda core: core.queue.card_appointment(CARD)).result()
        assert found is not None and found.service == "ZH"
    finally:
        server.close()
