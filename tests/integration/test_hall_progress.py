"""办件查询 through a real hall server on loopback: a counter publishes its cases' progress
(no applicant data, the password only as a salted hash), a kiosk asks; unknown case and
wrong password answer alike; five wrong passwords lock the number, also across a restart
of the server; the platform's 办结 and the clerk's 已邮寄 reach the kiosk."""

from __future__ import annotations

import random

import pytest
import requests

from hallclient.core.clock import local_now
from hallclient.core.progress import Handover, Verdict, progress_words
from hallclient.platform.client import PlatformClient
from hallclient.queue.hall import HallQueue
from hallclient.queue.hall_link import HallForbiddenError
from hallclient.services.progress_service import record_handover
from hallclient.sync.engine import Backoff, OutboxEngine
from hallclient.wire import HALL_API
from hallclient.wire.hall import DeviceKind

from ..recipes import accepted_case
from .hall_fixtures import server_rows, start_hall
from .test_platform_sim import API


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


@pytest.fixture
def counter(hall, desk):
    """The counter PC of window 1: its HallQueue on the database its intake desk writes."""
    queue = HallQueue(desk.db, hall.url, hall.token("W1", DeviceKind.COUNTER), local_now,
                      listen=False)
    yield queue
    queue.close()


def ask(hall, case_no: str, password: str) -> requests.Response:
    return requests.post(f"{hall.url}{HALL_API}/progress/query",
                         json={"case_no": case_no, "password": password}, timeout=10,
                         headers={"Authorization": f"Bearer {hall.token('K1', DeviceKind.KIOSK)}"})


def test_a_published_case_is_shown_to_the_kiosk_with_the_right_password(hall, desk, counter):
    done = accepted_case(desk)
    assert counter.publish_progress() == 1
    assert counter.publish_progress() == 0                     # nothing changed since
    answer = hall.kiosk().query_progress(done.case_no, done.query_password)
    assert answer.verdict is Verdict.SHOWN and answer.record is not None
    assert answer.record.promised_date == done.promised_date
    assert progress_words(answer.record).headline == "已受理"
    kept = " ".join(str(v) for row in server_rows(hall, "SELECT * FROM hall_progress") for v in row)
    assert done.case_no in kept
    for secret in ("王𠮷", "11010519491231002X", done.query_password):   # never on the server
        assert secret not in kept


def test_unknown_case_and_wrong_password_answer_alike_then_lock(hall, desk, counter):
    done = accepted_case(desk)
    counter.publish_progress()
    wrong = ask(hall, done.case_no, "000000" if done.query_password != "000000" else "111111")
    unknown = ask(hall, "330109202611270000000001", "123456")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.json() == unknown.json() == {"verdict": "refused", "progress": None,
                                              "tries_left": 4, "locked_until": None}
    for _ in range(3):
        assert ask(hall, done.case_no, "999999" if done.query_password != "999999"
                   else "888888").json()["verdict"] == "refused"
    locked = ask(hall, done.case_no, "999999" if done.query_password != "999999" else "888888")
    assert locked.json()["verdict"] == "locked" and locked.json()["locked_until"]
    assert ask(hall, done.case_no, done.query_password).json()["verdict"] == "locked"

    hall.stop()
    hall.restart()                        # the lockout is kept in the server's database
    assert ask(hall, done.case_no, done.query_password).json()["verdict"] == "locked"


def test_only_counters_publish_and_only_their_own_cases(hall, desk, counter):
    done = accepted_case(desk)
    counter.publish_progress()
    record = {"case_no": done.case_no, "status": 11, "password_hash":
              "pbkdf2-sha256$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=="}
    def publish(device, kind, records):
        return requests.post(f"{hall.url}{HALL_API}/progress", json={"records": records},
                             headers={"Authorization": f"Bearer {hall.token(device, kind)}"},
                             timeout=10)

    assert publish("K1", DeviceKind.KIOSK, [record]).status_code == 403
    other = publish("W2", DeviceKind.COUNTER, [record, {**record, "case_no": "330109202611270000W2AAA0001"}])
    assert other.status_code == 200
    assert other.json() == {"stored": 1, "refused": [done.case_no]}   # its own one is kept
    shown = hall.kiosk().query_progress(done.case_no, done.query_password)
    assert shown.record is not None and shown.record.status == 3       # unchanged
    anonymous = requests.post(f"{hall.url}{HALL_API}/progress/query",
                              json={"case_no": done.case_no, "password": done.query_password},
                              timeout=10)
    assert anonymous.status_code == 401


def test_the_platforms_done_and_the_clerks_posting_reach_the_kiosk(hall, desk, counter, sim, db):
    done = accepted_case(desk)
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    try:
        engine = OutboxEngine(db, desk.attachments, client, rng=random.Random(1),
                              backoff=Backoff(1, 60))
        engine.run_once()
        requests.post(f"{sim.url}{API}/admin/cases/{done.case_no}/status", params={"status": 11},
                      timeout=5).raise_for_status()
        assert engine.pull_changes() == 1
    finally:
        client.close()
    counter.push_log_if_up()              # the counter's timer: log, then progress
    kiosk = hall.kiosk()
    answer = kiosk.query_progress(done.case_no, done.query_password)
    assert answer.record is not None and progress_words(answer.record).headline == "已办结"

    record_handover(db, done.case_no, Handover.POSTED, "SF1234567890", "",
                    local_now().isoformat(timespec="milliseconds"), clerk="li")
    assert counter.publish_progress() == 1
    answer = kiosk.query_progress(done.case_no.lower(), done.query_password)
    assert answer.record is not None
    assert progress_words(answer.record).lines[-1] == "快递单号：SF1234567890"


def test_a_kiosk_cannot_publish_through_its_queue(hall, desk):
    accepted_case(desk)
    kiosk = HallQueue(desk.db, hall.url, hall.token("K1", DeviceKind.KIOSK), local_now,
                      listen=False)
    try:
        with pytest.raises(HallForbiddenError):
            kiosk.publish_progress()
    finally:
        kiosk.close()


def test_the_kiosk_service_asks_the_hall_server_and_says_when_it_cannot(hall, desk, counter, qtbot):
    from hallclient.services.context import HallContext
    from hallclient.services.progress_service import ProgressService
    from hallclient.services.tasks import InlineRunner

    done = accepted_case(desk)
    counter.publish_progress()
    kiosk = hall.kiosk()
    service = ProgressService(InlineRunner(hall=HallContext(kiosk, kiosk.db, local_now)))
    with qtbot.waitSignal(service.progress_shown) as shown:
        service.query(done.case_no, done.query_password)
    assert shown.args[0].headline == "已受理" and shown.args[0].case_no == done.case_no
    with qtbot.waitSignal(service.query_refused) as refused:
        service.query(done.case_no[:-1] + "9", done.query_password)
    assert "办件编号或查询密码不正确" in refused.args[0]
    hall.stop()
    with qtbot.waitSignal(service.query_failed) as failed:
        service.query(done.case_no, done.query_password)
    assert failed.args[0] == "暂时无法查询，请稍候再试，或到咨询台人工查询"


def test_one_device_trying_numbers_by_the_dozen_is_slowed_to_a_persons_pace(hall, desk, counter):
    """The lockout counts each case number alone; a kiosk token sweeping many numbers is
    held back per device, and another kiosk is not."""
    answers = [ask(hall, f"33010920261127W0100{i:02d}", "123456") for i in range(25)]
    busy = [a for a in answers if a.status_code == 409]
    assert len(busy) == 5 and "查询过于频繁" in busy[0].json()["detail"]["message"]
    other = requests.post(f"{hall.url}{HALL_API}/progress/query", timeout=10,
                          json={"case_no": "33010920261127W010001", "password": "123456"},
                          headers={"Authorization": f"Bearer {hall.token('K2', DeviceKind.KIOSK)}"})
    assert other.status_code == 200
