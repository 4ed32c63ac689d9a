"""The hall server's wire format: the JSON counters in the field speak, pinned; one set of
models for the server and the client; nothing in it that does I/O."""

from __future__ import annotations

import json
import subprocess
import sys

from hallclient.core.hall import WindowSnapshot
from hallclient.core.tickets import PriorityClass, Ticket, TicketState
from hallclient.wire import hall as wire

CALLED = Ticket(id=7, day="2026-03-02", number="B012", service="SC", priority=PriorityClass.GREEN,
                state=TicketState.CALLED, issued_at="2026-03-02T09:00:00.000", window=3,
                called_at="2026-03-02T09:05:00.000")


def test_a_ticket_travels_as_counters_in_the_field_read_it():
    sent = json.loads(wire.TicketOut.of(CALLED).model_dump_json())
    assert sent == {"id": 7, "day": "2026-03-02", "number": "B012", "service": "SC",
                    "priority": 2, "state": "called", "issued_at": "2026-03-02T09:00:00.000",
                    "window": 3, "target_window": None, "recalls": 0, "raised": False,
                    "called_at": "2026-03-02T09:05:00.000", "started_at": None,
                    "finished_at": None, "reason": "", "appointment_time": None,
                    "id_masked": "", "id_check": ""}
    back = wire.TicketOut.model_validate_json(json.dumps(sent)).ticket()
    assert back == CALLED and back.priority is PriorityClass.GREEN


def test_a_window_view_keeps_waiting_counts_keyed_by_priority():
    snap = WindowSnapshot(window=3, state="open", clerk="王", current=CALLED, held=(CALLED,),
                          waiting={"SC": {0: 4, 2: 1}}, link="online", pending=2)
    sent = json.loads(wire.WindowViewOut(**dict(wire.SnapshotOut.of(snap)), seq=41)
                      .model_dump_json())
    assert sent["waiting"] == {"SC": {"0": 4, "2": 1}}         # JSON keys are strings
    assert sent["seq"] == 41 and sent["no_shows"] == [] and "link" not in sent
    view = wire.WindowViewOut.model_validate_json(json.dumps(sent))
    assert view.waiting == {"SC": {0: 4, 2: 1}} and view.held[0].ticket() == CALLED


def test_an_action_answer_tells_a_recall_from_a_ticket():
    snapshot = {"window": 3, "state": "open", "clerk": "王", "current": None}
    ticket = json.loads(wire.TicketOut.of(CALLED).model_dump_json())
    recall = wire.ActionOut.model_validate(
        {"result": {"ticket": ticket, "became_no_show": True}, "snapshot": snapshot, "seq": 5})
    assert isinstance(recall.result, wire.RecallOut) and recall.result.became_no_show
    called = wire.ActionOut.model_validate({"result": ticket, "snapshot": snapshot, "seq": 5})
    assert isinstance(called.result, wire.TicketOut) and called.result.ticket() == CALLED
    nobody = wire.ActionOut.model_validate({"result": None, "snapshot": snapshot, "seq": 5})
    assert nobody.result is None and nobody.snapshot.held == []


def test_request_bodies_carry_only_what_the_sender_set():
    assert wire.body(wire.ActionIn(clerk="王", ticket_id=7)) == {"clerk": "王", "ticket_id": 7}
    assert wire.body(wire.IssueIn(service="SC", priority=2)) == {"service": "SC", "priority": 2}


def queue_event(seq: int, window: int | None, action: str = "call", to_window: int | None = None,
                waiting: dict | None = None) -> dict:
    return {"event": "queue", "id": str(seq), "data": {
        "seq": seq, "at": "2026-03-02T09:05:00.000", "action": action, "window": window,
        "ticket": "B012", "service": "SC", "to_window": to_window,
        "waiting": waiting or {"SC": {"0": seq}}}}


def test_news_about_other_windows_only_changes_the_counts():
    events = [queue_event(5, 1), queue_event(6, 2),
              {"event": "waiting", "id": "7", "data": {"seq": 7, "waiting": {"SC": {"0": 9}}}}]
    assert wire.judge_news(events, window=3, since=4) == (False, {"SC": {0: 9}})
    assert wire.judge_news(events, window=2, since=4) == (True, {"SC": {0: 9}})
    assert wire.judge_news(events, window=2, since=6) == (False, {"SC": {0: 9}})   # seen already
    assert wire.judge_news([queue_event(8, 1, "transfer", to_window=3)], 3, 0)[0] is True
    assert wire.judge_news([queue_event(8, 1, "no_show")], 3, 0)[0] is True   # its no-show list
    assert wire.judge_news([{"event": "state", "id": "9", "data": {}}], 3, 0) == (True, None)


def test_the_wire_module_and_the_link_stay_light():
    """The wire models load no Qt, SQLite, HTTP client or server; the hall link loads no
    pydantic (a counter on its own queue, or a panel, never pays for the models)."""
    probe = ("import sys, hallclient.wire.hall, hallclient.wire;"
             "bad = [m for m in ('PySide6', 'sqlite3', 'requests', 'fastapi', 'starlette',"
             " 'uvicorn') if m in sys.modules]; print(bad)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
    probe = ("import sys, hallclient.queue.hall_link;"
             "print([m for m in ('pydantic', 'fastapi') if m in sys.modules])")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"


def test_the_wire_ticket_carries_every_field_of_the_domain_ticket_and_no_other():
    """TicketOut spells the Ticket dataclass out for the OpenAPI document: a field added to
    one must be added to the other."""
    from dataclasses import fields

    from hallclient.core.tickets import Ticket
    from hallclient.wire.hall import TicketOut

    assert list(TicketOut.model_fields) == [f.name for f in fields(Ticket)]
