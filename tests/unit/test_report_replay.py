"""A report from event logs alone (a township counter's signed bundles): every ticket and
window event rebuilt from the entries, and the same day read from the tables agrees."""

from __future__ import annotations

import json
import random
from datetime import date, datetime

from hallclient.reports import replay
from hallclient.reports.records import (
    WINDOW_ACTIONS,
    CaseRecord,
    EvaluationRecord,
    TicketRecord,
    WindowEvent,
    cases_from_json,
    cases_to_json,
    records_from_json,
    records_to_json,
)
from hallclient.store import report_repo

from ..conftest import CST

DAY = datetime(2026, 11, 27, tzinfo=CST)


def at(hh: int, mm: int, day: datetime = DAY) -> datetime:
    return day.replace(hour=hh, minute=mm)


class Log:
    """Entries as one counter's log holds them (seq in order of writing)."""

    def __init__(self, device: str = "D1") -> None:
        self.device, self.entries = device, []

    def add(self, when: datetime, action: str, ticket: str | None = None,
            window: int | None = None, clerk: str | None = None, **detail: object) -> None:
        self.entries.append({"device": self.device, "seq": len(self.entries) + 1,
                             "at": when.isoformat(), "window": window, "clerk": clerk,
                             "action": action, "ticket": ticket,
                             "detail": json.dumps(detail) if detail else None})


def a_morning() -> Log:
    log = Log()
    log.add(at(8, 50), "sign_in", window=1, clerk="li")
    log.add(at(9, 0), "issue", "A001", service="ZH", priority=0)
    log.add(at(9, 1), "issue", "A002", service="ZH", priority=0)
    log.add(at(9, 10), "call", "A001", 1, "li", service="ZH")
    log.add(at(9, 11), "recall", "A001", 1, "li", count=1)
    log.add(at(9, 12), "start", "A001", 1, "li")
    log.add(at(9, 20), "hold", "A001", 1, "li")
    log.add(at(9, 25), "return", "A001", 1, "li")
    log.add(at(9, 30), "finish", "A001", 1, "li")
    log.add(at(9, 31), "call", "A002", 1, "li", service="ZH")
    log.add(at(9, 35), "no_show", "A002", 1, "li", recalls=2)
    log.add(at(9, 40), "reactivate", "A002", 1, "li")
    log.add(at(9, 45), "issue", "B001", service="SC", priority=2)
    log.add(at(9, 50), "call", "B001", 1, "li", service="SC")
    log.add(at(9, 51), "transfer", "B001", 1, "li", from_service="SC", to_service="ZH")
    log.add(at(9, 52), "pause", window=1, clerk="li", reason="午休")
    log.add(at(9, 55), "issue", "A003", service="ZH", priority=0)
    log.add(at(9, 56), "sign_in_offline", window=2, clerk="wang")
    # the hall server was out of reach: window 2 served A003 by hand, never calling it
    log.add(at(10, 30), "manual_finish", "A003", 2, "wang", service="ZH", was="waiting",
            started_at=at(10, 5).isoformat(), finished_at=at(10, 30).isoformat())
    log.add(at(10, 31), "resume", window=1, clerk="li")
    log.add(at(10, 40), "call", "A009", 1, "li")     # issued before these entries began
    return log


def test_every_ticket_of_a_morning_is_rebuilt():
    tickets, _ = replay.tickets_from_log(a_morning().entries)
    assert {t.number: t for t in tickets} == {
        "A001": TicketRecord("A001", "ZH", "finished", at(9, 0), at(9, 10), at(9, 12),
                             at(9, 30), 1, "li", False),
        "A002": TicketRecord("A002", "ZH", "waiting", at(9, 1), at(9, 31), None, None, 1, "li",
                             False),
        "B001": TicketRecord("B001", "SC", "waiting", at(9, 45), at(9, 50), None, None, 1,
                             "li", True),
        # a manual finish keeps the recorded start as its call and start, and its window
        "A003": TicketRecord("A003", "ZH", "finished", at(9, 55), at(10, 5), at(10, 5),
                             at(10, 30), 2, "wang", False),
    }


def test_window_events_are_the_availability_changes_in_order():
    _, events = replay.tickets_from_log(a_morning().entries)
    assert [(e.at.strftime("%H:%M"), e.window, e.action) for e in events] == [
        ("08:50", 1, "sign_in"), ("09:10", 1, "call"), ("09:20", 1, "hold"),
        ("09:25", 1, "return"), ("09:30", 1, "finish"), ("09:31", 1, "call"),
        ("09:35", 1, "no_show"), ("09:50", 1, "call"), ("09:51", 1, "transfer"),
        ("09:52", 1, "pause"), ("10:30", 2, "manual_finish"), ("10:31", 1, "resume"),
        ("10:40", 1, "call")]
    assert sorted(WINDOW_ACTIONS) == [
        "call", "finish", "hold", "manual_finish", "no_show", "pause", "resume", "return",
        "sign_in", "sign_out", "transfer"]


def test_the_entries_are_replayed_in_log_order_whatever_order_they_come_in():
    entries = a_morning().entries
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    assert replay.tickets_from_log(shuffled) == replay.tickets_from_log(entries)


def test_a_manual_finish_after_a_call_keeps_the_first_call():
    log = Log()
    log.add(at(9, 0), "issue", "A001", service="ZH")
    log.add(at(9, 10), "call", "A001", 1, "li")
    log.add(at(9, 40), "manual_finish", "A001", 1, "li", started_at=at(9, 12).isoformat())
    (t,), _ = replay.tickets_from_log(log.entries)
    assert (t.state, t.called_at, t.started_at, t.finished_at) == (
        "finished", at(9, 10), at(9, 12), at(9, 40))


def test_same_number_on_two_counters_or_two_days_are_different_tickets():
    one, other = Log("D1"), Log("D2")
    one.add(at(9, 0), "issue", "A001", service="ZH")
    other.add(at(9, 0), "issue", "A001", service="SC")
    other.add(at(9, 5), "call", "A001", 1, "zhao")
    next_day = DAY.replace(day=28)
    one.add(at(9, 0, next_day), "issue", "A001", service="ZH")
    one.add(at(9, 1, next_day), "call", "A001", 3, "li")
    tickets, _ = replay.tickets_from_log(one.entries + other.entries)
    assert sorted((t.service, t.issued_at.day, t.state, t.window) for t in tickets) == [
        ("SC", 27, "called", 1), ("ZH", 27, "waiting", None), ("ZH", 28, "called", 3)]


def test_actions_that_are_no_ticket_moves_change_nothing():
    log = Log()
    log.add(at(9, 0), "issue", "A001", service="ZH")
    log.add(at(9, 1), "print", "A001", 1, "li")
    log.add(at(9, 2), "manual_conflict", "A001", 1, "li")
    (t,), events = replay.tickets_from_log(log.entries)
    assert (t.state, t.called_at, t.window) == ("waiting", None, None) and events == []


def test_the_replayed_log_agrees_with_the_tables(queue, clock, db):
    clock.now = at(8, 50)
    queue.sign_in(1, "li")
    clock.now = at(9, 0)
    a1 = queue.issue("ZH").ticket
    clock.now = at(9, 5)
    queue.issue("ZH")
    clock.now = at(9, 10)
    queue.call_next(1, "li")
    clock.now = at(9, 11)
    queue.start(1, "li", a1.id)
    clock.now = at(9, 31)
    queue.finish(1, "li", a1.id)
    clock.now = at(9, 40)
    a2 = queue.call_next(1, "li")
    clock.now = at(9, 41)
    queue.no_show(1, "li", a2.id)
    clock.now = at(9, 45)
    a3 = queue.issue("ZH").ticket
    clock.now = at(9, 50)
    queue.call_next(1, "li")
    clock.now = at(9, 52)
    queue.start(1, "li", a3.id)
    queue.hold(1, "li", a3.id)
    clock.now = at(9, 55)
    queue.return_held(1, "li", a3.id)
    clock.now = at(9, 58)
    queue.finish(1, "li", a3.id)
    clock.now = at(10, 0)
    queue.pause(1, "li")
    rows = db.query("SELECT * FROM event_log ORDER BY seq")
    tickets, events = replay.tickets_from_log(rows)
    day = date(2026, 11, 27)
    assert tickets == report_repo.tickets(db.conn, day, day)
    assert events == report_repo.window_events(db.conn, day, day)


def test_records_travel_as_json_unchanged():
    tickets, events = replay.tickets_from_log(a_morning().entries)
    serves = {1: frozenset({"ZH", "SC"}), 2: frozenset({"ZH"})}
    data = json.loads(json.dumps(records_to_json(tickets, events, serves)))
    assert records_from_json(data) == (tickets, events, serves)
    cases = [CaseRecord("N1", "社保卡补办", "人社局", "accept", True, 2, "sent", 3, "zhao"),
             CaseRecord("N2", "个体工商户登记", "市场监管局", "refuse", False, 1, "none")]
    ratings = [EvaluationRecord("unsatisfied", at(11, 2), 3, "zhao", "N1", "A001",
                                ("等候时间过长",), "太慢", "2026-12-04"),
               EvaluationRecord("very_satisfied", at(11, 3))]
    data = json.loads(json.dumps(cases_to_json(cases, ratings)))
    assert cases_from_json(data) == (cases, ratings)
    assert cases_from_json({}) == ([], [])
    assert data["ratings"][0]["at"] == "2026-11-27T11:02:00+08:00"


def test_window_event_shape():
    assert WindowEvent(at(9, 0), 1, "call") == WindowEvent(at(9, 0), 1, "call")


def test_a_case_from_the_log_carries_who_decided_it_and_no_upload_state():
    log = Log()
    log.add(at(9, 0), "intake_accept", None, 2, "zhao", case_no="N1", impl_code="IMPL-1",
            department="民政局")
    log.add(at(9, 5), "intake_refuse", None, 4, "qian", case_no="N2")
    (n1, n2), ratings = replay.records_from_log(log.entries)
    assert n1 == CaseRecord("N1", "IMPL-1", "民政局", "accept", False, 1, "none", 2, "zhao")
    assert n2 == CaseRecord("N2", "", "", "refuse", False, 1, "none", 4, "qian")
    assert ratings == []


def test_records_are_fixed_once_made_and_say_only_what_they_are_given():
    import dataclasses

    import pytest

    ticket = TicketRecord("A001", "ZH", "waiting", at(9, 0))
    assert (ticket.called_at, ticket.window, ticket.clerk, ticket.transferred) == (
        None, None, None, False)
    rating = EvaluationRecord("satisfied", at(9, 0))
    assert (rating.window, rating.case_no, rating.reasons, rating.comment, rating.rectify_by) == (
        None, None, (), "", None)
    case = CaseRecord("N1", "社保卡补办", "人社局", "accept", False, 1, "none")
    assert (case.window, case.clerk) == (None, None)
    for record in (ticket, rating, case, WindowEvent(at(9, 0), 1, "call")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.window = 9  # type: ignore[misc]
