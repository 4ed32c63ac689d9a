"""The records a report is computed from (one row each: a ticket, a window's change of
availability, a decided case, a rating) and their JSON form, which the hall server sends
to a counter's supervisor dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from hallclient.core.tickets import TicketAction

# What changes a window's availability, as the event log names it
WINDOW_OPENS = frozenset({TicketAction.SIGN_IN, TicketAction.RESUME})
WINDOW_CLOSES = frozenset({TicketAction.SIGN_OUT, TicketAction.PAUSE})
WINDOW_BUSY = frozenset({TicketAction.CALL, TicketAction.RETURN})
WINDOW_FREE = frozenset({TicketAction.FINISH, TicketAction.NO_SHOW, TicketAction.TRANSFER,
                         TicketAction.HOLD, TicketAction.MANUAL_FINISH})
WINDOW_ACTIONS = tuple(sorted(a.value for a in WINDOW_OPENS | WINDOW_CLOSES | WINDOW_BUSY
                              | WINDOW_FREE))


@dataclass(frozen=True)
class TicketRecord:
    number: str
    service: str                    # the service it was issued for (and waited for)
    state: str                      # TicketState value at the end of the period
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window: int | None = None
    clerk: str | None = None
    transferred: bool = False


@dataclass(frozen=True)
class WindowEvent:
    """A change of a window's availability (one of WINDOW_ACTIONS, from the event log)."""

    at: datetime
    window: int
    action: str


@dataclass(frozen=True)
class CaseRecord:
    case_no: str
    item_name: str
    department: str
    decision: str                   # accept / correct / refuse
    online: bool                    # applied for online (pre-application code)
    visits: int                     # times the applicant came to the counter for it
    upload: str                     # sent / pending / attention / none
    window: int | None = None
    clerk: str | None = None


@dataclass(frozen=True)
class EvaluationRecord:
    level: str                      # core.evaluation.Level value
    at: datetime
    window: int | None = None
    clerk: str | None = None
    case_no: str | None = None
    ticket: str | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    rectify_by: str | None = None


@dataclass(frozen=True)
class ManualRecord:
    """手工接待: a visitor served by hand while the hall server was out of reach, whom the
    hall could not match to a ticket of the day (no number, or a number it never issued);
    the hall logged it as ``manual_service`` when the counter sent it."""

    window: int | None
    clerk: str | None
    started_at: datetime
    finished_at: datetime | None = None
    number: str | None = None


@dataclass(frozen=True)
class RepeatCorrection:
    """二次补正: a second 补正 notice on the same case, with the reason the clerk recorded
    (the ``correction_repeat`` log entry: detail {"case_no": ..., "reason": ...})."""

    at: datetime
    window: int | None
    clerk: str | None
    case_no: str
    reason: str


def manual_to_json(manual: Sequence[ManualRecord]) -> list[list[Any]]:
    return [[m.window, m.clerk, m.started_at.isoformat(),
             m.finished_at.isoformat() if m.finished_at else None, m.number] for m in manual]


def manual_from_json(data: dict[str, Any]) -> list[ManualRecord]:
    return [ManualRecord(r[0], r[1], datetime.fromisoformat(r[2]),
                         datetime.fromisoformat(r[3]) if r[3] else None, r[4])
            for r in data.get("manual", [])]


def repeats_to_json(repeats: Sequence[RepeatCorrection]) -> list[list[Any]]:
    return [[r.at.isoformat(), r.window, r.clerk, r.case_no, r.reason] for r in repeats]


def repeats_from_json(data: dict[str, Any]) -> list[RepeatCorrection]:
    return [RepeatCorrection(datetime.fromisoformat(r[0]), r[1], r[2], str(r[3]), str(r[4]))
            for r in data.get("repeats", [])]


def cases_to_json(cases: Sequence[CaseRecord],
                  ratings: Sequence[EvaluationRecord]) -> dict[str, Any]:
    return {"cases": [asdict(c) for c in cases],
            "ratings": [{**asdict(e), "at": e.at.isoformat(), "reasons": list(e.reasons)}
                        for e in ratings]}


def cases_from_json(data: dict[str, Any]) -> tuple[list[CaseRecord], list[EvaluationRecord]]:
    return ([CaseRecord(**c) for c in data.get("cases", [])],
            [EvaluationRecord(**{**e, "at": datetime.fromisoformat(e["at"]),
                                 "reasons": tuple(e["reasons"])})
             for e in data.get("ratings", [])])


def records_to_json(tickets: Sequence[TicketRecord], events: Sequence[WindowEvent],
                    serves: dict[int, frozenset[str]]) -> dict[str, Any]:
    """The queue's records of a period as JSON (the hall server sends them to a counter's
    supervisor dashboard, which adds its own cases and ratings)."""
    def t(x: datetime | None) -> str | None:
        return x.isoformat() if x else None

    return {
        "tickets": [[r.number, r.service, r.state, t(r.issued_at), t(r.called_at),
                     t(r.started_at), t(r.finished_at), r.window, r.clerk, r.transferred]
                    for r in tickets],
        "events": [[t(e.at), e.window, e.action] for e in events],
        "serves": {str(w): sorted(s) for w, s in serves.items()},
    }


def records_from_json(data: dict[str, Any]) -> tuple[list[TicketRecord], list[WindowEvent],
                                                     dict[int, frozenset[str]]]:
    def t(x: str | None) -> datetime | None:
        return datetime.fromisoformat(x) if x else None

    tickets = [TicketRecord(r[0], r[1], r[2], datetime.fromisoformat(r[3]), t(r[4]), t(r[5]),
                            t(r[6]), r[7], r[8], bool(r[9])) for r in data["tickets"]]
    events = [WindowEvent(datetime.fromisoformat(e[0]), int(e[1]), str(e[2]))
              for e in data["events"]]
    serves = {int(w): frozenset(s) for w, s in data["serves"].items()}
    return tickets, events, serves
