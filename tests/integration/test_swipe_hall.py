"""Tickets by ID card through the hall server: the kiosk sends the card's number once, the
server keeps it masked and hashed; the counter sees the reason and the appointment; the hall
panel and the waiting counts name nobody; 请工作人员协助 reaches every counter."""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests

from hallclient.core import swipe as sw
from hallclient.core.appointments import Appointment
from hallclient.core.clock import local_now
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.store import appointment_repo
from hallclient.store.db import DB_FILE, open_database
from hallclient.wire.hall import DeviceKind

from .hall_fixtures import start_hall

OLD = sw.CardSwipe("11010519491231002X", date(1949, 12, 31))
ADULT = sw.CardSwipe("110101198001010010", date(1980, 1, 1))


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


def test_a_card_ticket_reaches_the_counter_with_its_reason_and_nobody_else_sees_it(hall):
    kiosk = hall.kiosk()
    issued = kiosk.issue("ZH", PriorityClass.GREEN, "K1", swipe=OLD, reason=sw.ELDER)
    assert issued.ticket.reason == "老年人" and issued.ticket.id_masked == "**************002X"
    counter = hall.counter(1)
    counter.sign_in(1, "li")
    called = counter.call_next(1, "li")
    assert called is not None and called.number == issued.ticket.number
    assert (called.reason, called.id_masked) == ("老年人", "**************002X")
    # the check never travels: the counter asks the server about the card it read
    assert called.id_check == ""
    assert counter.same_card(1, called.number, OLD.id_number) is True
    assert counter.same_card(1, called.number, ADULT.id_number) is False
    assert counter.same_card(1, called.number, "not a card") is False
    plain = kiosk.issue("ZH", PriorityClass.NORMAL, "K1")
    with pytest.raises(QueueError, match="不是本窗口正在办理的号"):     # not at this window
        counter.same_card(1, plain.ticket.number, OLD.id_number)
    # the panel's view of the hall: numbers only
    panel = {"Authorization": "Bearer " + hall.token("P1", DeviceKind.PANEL)}
    state = requests.get(f"{hall.url}/api/v1/state", headers=panel, timeout=5).text
    assert "002X" not in state and "老年人" not in state and "$" not in state
    # a panel reading a window's view gets no card either (it stands in the public hall)
    view = requests.get(f"{hall.url}/api/v1/windows/1", headers=panel, timeout=5).json()
    assert view["current"]["number"] == called.number
    assert view["current"]["id_masked"] == "" and view["current"]["id_check"] == ""
    # nor does another window, through its list of no-shows
    counter.no_show(1, "li", called.id)
    two = hall.counter(2)
    two.sign_in(2, "wang")
    seen = [t for t in two.snapshot(2).no_shows if t.number == called.number]
    assert seen and seen[0].id_check == "" and seen[0].id_masked == ""
    # nor does the server's own file hold the number or the birth date
    db = open_database(hall.data_dir / DB_FILE)
    dump = "\n".join(db.conn.iterdump())
    db.close()
    assert OLD.id_number not in dump and "19491231" not in dump


def test_the_server_checks_what_the_kiosk_claims(hall):
    kiosk = hall.kiosk()
    with pytest.raises(QueueError, match="未满 60 周岁"):
        kiosk.issue("ZH", PriorityClass.GREEN, "K1", swipe=ADULT, reason=sw.ELDER)
    with pytest.raises(QueueError, match="出生日期与号码不符"):
        kiosk.issue("ZH", PriorityClass.GREEN, "K1", swipe=sw.CardSwipe(OLD.id_number, date(1940, 1, 1)),
                    reason=sw.ELDER)
    token = {"Authorization": "Bearer " + hall.token("K1", DeviceKind.KIOSK)}
    # a forged body: a made-up reason, a number that is no card's
    for body in ({"service": "ZH", "priority": 2, "reason": "VIP"},
                 {"service": "ZH", "card": {"id_number": "11010519491231002Y", "birth": "1949-12-31"}},
                 {"service": "ZH", "card": {"id_number": "<script>", "birth": "1949-12-31"}},
                 {"service": "ZH", "card": {"id_number": OLD.id_number, "birth": "1949-02-30"}}):
        answer = requests.post(f"{hall.url}/api/v1/tickets", json=body, headers=token, timeout=5)
        assert answer.status_code in (409, 422), (body, answer.status_code)
        assert "message" in json.dumps(answer.json(), ensure_ascii=False)


def test_an_appointment_is_found_by_the_card_through_the_server(hall):
    day = local_now().date().isoformat()
    db = open_database(hall.data_dir / DB_FILE)
    appointment_repo.apply_platform_day(db, day, [Appointment(day, "14:00", "P9", "", "SC", ADULT.id_number)])
    db.close()
    kiosk = hall.kiosk()
    found = kiosk.card_appointment(ADULT)
    assert found is not None and (found.service, found.at_time) == ("SC", "14:00")
    assert kiosk.card_appointment(OLD) is None
    issued = kiosk.issue("SC", PriorityClass.APPOINTMENT, "K1", swipe=ADULT)
    assert issued.appointment_time == "14:00" == issued.ticket.appointment_time
    with pytest.raises(QueueError, match="已经取过号"):
        kiosk.card_appointment(ADULT)
    # only a kiosk asks (a counter's token is refused)
    counter_token = {"Authorization": "Bearer " + hall.token("W1", DeviceKind.COUNTER)}
    refused = requests.post(f"{hall.url}/api/v1/appointments/by-card", headers=counter_token,
                            json={"id_number": ADULT.id_number, "birth": "1980-01-01"}, timeout=5)
    assert refused.status_code == 403


def test_help_from_a_kiosk_shows_on_every_counter_until_one_answers(hall):
    one, two = hall.counter(1), hall.counter(2)
    one.sign_in(1, "li")
    two.sign_in(2, "wang")
    call = hall.kiosk().call_help("K1", "一楼东侧")
    assert [h.place for h in one.snapshot(1).help_calls] == ["一楼东侧"]
    assert [h.seq for h in two.snapshot(2).help_calls] == [call.seq]
    two.answer_help(2, "wang", call.seq)
    assert one.snapshot(1).help_calls == () and two.snapshot(2).help_calls == ()
    with pytest.raises(QueueError, match="已有窗口处理"):
        one.answer_help(1, "li", call.seq)
    # a counter cannot raise one, nor a kiosk answer one
    counter_token = {"Authorization": "Bearer " + hall.tokens["W1"]}
    assert requests.post(f"{hall.url}/api/v1/help", json={}, headers=counter_token,
                         timeout=5).status_code == 403


def test_a_help_place_with_control_or_direction_characters_is_refused(hall):
    token = {"Authorization": "Bearer " + hall.token("K1", DeviceKind.KIOSK)}
    for place in ("\u202e侧东楼一", "一楼\n大楼着火请撤离", "a\x00b"):
        answer = requests.post(f"{hall.url}/api/v1/help", json={"place": place}, headers=token,
                               timeout=5)
        assert answer.status_code == 422, place
    assert requests.post(f"{hall.url}/api/v1/help", json={"place": "一楼东侧"}, headers=token,
                         timeout=5).status_code == 201
