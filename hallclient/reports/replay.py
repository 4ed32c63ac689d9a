"""Reports from event logs alone (other counters' pushed logs, imported signed bundles):
the records replayed from the entries, following the one ticket state machine."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from hallclient.core.tickets import TicketAction, state_after

from .records import WINDOW_ACTIONS, CaseRecord, EvaluationRecord, TicketRecord, WindowEvent


def records_from_log(entries: Iterable[dict[str, Any]]) -> tuple[list[CaseRecord],
                                                                 list[EvaluationRecord]]:
    """Cases and ratings as counters' event logs tell them (pushed to the hall server or
    brought in signed bundles): the last decision on each case in the entries, one visit
    more for each 补正 return, every rating. Upload state is not in the logs ("none")."""
    decisions: dict[str, dict[str, Any]] = {}
    returns: Counter[str] = Counter()
    ratings: list[EvaluationRecord] = []
    for e in entries:
        detail = detail_of(e.get("detail"))
        action = str(e["action"])
        case_no = detail.get("case_no")
        if not isinstance(case_no, str) or not case_no:
            case_no = None
        if action.startswith("intake_") and case_no:
            seen = decisions.setdefault(case_no, {"log": e.get("device")})
            if seen["log"] != e.get("device"):
                continue            # a case is its own counter's: another log cannot decide it
            seen.update({k: v for k, v in detail.items()
                         if v is not None and isinstance(v, str | int | float | bool)})
            seen.update(decision=action.removeprefix("intake_"), window=e.get("window"),
                        clerk=e.get("clerk"))
        elif action == "correction_ended" and case_no:
            returns[case_no] += 1
        elif action == "rating" and isinstance(detail.get("level"), str):
            reasons = detail.get("reasons") or ()
            ratings.append(EvaluationRecord(
                detail["level"], datetime.fromisoformat(str(e["at"])), e.get("window"),
                e.get("clerk"), case_no, e.get("ticket"),
                tuple(r for r in reasons if isinstance(r, str)) if isinstance(reasons, list) else (),
                "", detail.get("rectify_by") if isinstance(detail.get("rectify_by"), str) else None))
    cases = [CaseRecord(case_no, str(d.get("item") or d.get("impl_code") or ""),
                        str(d.get("department") or ""), str(d["decision"]),
                        bool(d.get("online")), 1 + returns[case_no], "none", d.get("window"),
                        d.get("clerk"))
             for case_no, d in decisions.items()]
    return cases, ratings


def detail_of(text: object) -> dict[str, Any]:
    """An entry's detail as the object it should be; anything else (a log written by some
    other program) counts as no detail rather than stopping the whole report."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def tickets_from_log(entries: Iterable[dict[str, Any]]) -> tuple[list[TicketRecord],
                                                                  list[WindowEvent]]:
    """Tickets and window events as a counter's own queue log tells them (a township
    counter's signed bundles): what the county can count without the counter's tables.

    Each logged ticket move sets the state the state machine leads to; the log is the
    record of what happened, so a move is not checked against the state it came from."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    events: list[WindowEvent] = []
    for e in sorted(entries, key=lambda x: (str(x.get("device", "")), int(x["seq"]))):
        action, when = str(e["action"]), datetime.fromisoformat(str(e["at"]))
        if e.get("window") is not None and action in WINDOW_ACTIONS:
            events.append(WindowEvent(when, int(e["window"]), action))
        target = state_after(action)
        if not e.get("ticket") or target is None:
            continue
        key = (str(e.get("device", "")), str(e["at"])[:10], str(e["ticket"]))
        detail = json.loads(e["detail"]) if e.get("detail") else {}
        if action == TicketAction.ISSUE:
            found[key] = {"number": e["ticket"], "service": detail.get("service", ""),
                          "issued_at": when, "state": target.value}
            continue
        t = found.get(key)
        if t is None:
            continue                        # issued before the entries begin
        t["state"] = target.value
        _replay_times(t, TicketAction(action), when, e, detail)
    tickets = [TicketRecord(t["number"], t["service"], t["state"], t["issued_at"],
                            t.get("called_at"), t.get("started_at"), t.get("finished_at"),
                            t.get("window"), t.get("clerk"), bool(t.get("transferred")))
               for t in found.values()]
    return tickets, events


def _replay_times(t: dict[str, Any], action: TicketAction, when: datetime,
                  entry: dict[str, Any], detail: dict[str, Any]) -> None:
    """What one move tells about the ticket beyond its state: the first call (where and by
    whom), the start and finish times, a transfer. A service recorded by hand carries its
    own start time; the hall applied it at the window that recorded it."""
    if action is TicketAction.CALL and "called_at" not in t:
        t.update(called_at=when, window=entry.get("window"), clerk=entry.get("clerk"))
    elif action is TicketAction.START:
        t["started_at"] = when
    elif action in (TicketAction.FINISH, TicketAction.MANUAL_FINISH):
        t["finished_at"] = when
        if action is TicketAction.MANUAL_FINISH and detail.get("started_at"):
            started = datetime.fromisoformat(detail["started_at"])
            t.setdefault("called_at", started)
            t.update(started_at=started, window=entry.get("window"), clerk=entry.get("clerk"))
    elif action is TicketAction.TRANSFER:
        t["transferred"] = True
