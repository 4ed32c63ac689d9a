"""The supervisor's daily report (值班长日报): figures computed from a day's records.

Pure functions over plain records, so every figure can be checked by hand. Definitions:
- waiting time = first call − arrival (issue) of a ticket; service time = finish − start;
- a ticket is *served* when it was finished, *no-show* when it ended the day as 过号,
  *abandoned* (弃号) when it had not been called by the hall's closing time of its day,
  *still waiting* (等候中) when it has not been called and its day has not closed yet,
  *transferred* when it was sent to another service or window at least once;
- 手工接待: visitors served by hand while the hall server was down whom the hall could not
  match to a ticket (counted apart: not in issued, served or the durations);
- 二次补正: each second (or later) 补正 on one case, with its reason;
- the wording shown to people is in reports.definitions (one place, tooltips and notes);
- share over target = tickets whose time exceeded the configured service-level target;
- idle time of a window = time it was open (signed in, not paused) with no ticket called or
  being served, while at least one ticket of a service it serves was waiting — up to the
  last thing that happened in the hall that day (a window left signed in overnight is not
  idle all night);
- 满意率 = (非常满意 + 满意) / all ratings;
- 网上办件率 = cases applied for online (with an online pre-application code) / all cases
  decided in the period; targets 70 % → 90 % → 100 %;
- 最多跑一次 = cases finally decided (受理 or 不予受理) with at most one visit to the
  counter / all cases finally decided; each return after a 补正 notice is one more visit.
"""

from __future__ import annotations

import heapq
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from hallclient.core.tickets import TicketAction, TicketState

from .records import (
    WINDOW_BUSY,
    WINDOW_CLOSES,
    WINDOW_FREE,
    WINDOW_OPENS,
    CaseRecord,
    EvaluationRecord,
    ManualRecord,
    RepeatCorrection,
    TicketRecord,
    WindowEvent,
)

ONLINE_RATE_TARGETS = (0.70, 0.90, 1.00)
DEFAULT_CLOSING = time(17, 30)


@dataclass(frozen=True)
class Durations:
    count: int
    mean_s: float | None
    median_s: float | None
    max_s: float | None
    over_target: int
    target_s: float

    @property
    def share_over_target(self) -> float | None:
        return self.over_target / self.count if self.count else None


@dataclass(frozen=True)
class TicketFigures:
    issued: int
    called: int
    served: int
    no_show: int
    transferred: int
    abandoned: int                  # 弃号: not called by the closing time of its day
    waiting: Durations
    service: Durations
    still_waiting: int = 0          # 等候中: not called, and its day has not closed yet
    manual: int = 0                 # 手工接待


@dataclass
class Report:
    """The figures for the hall and broken down per window and per clerk."""

    tickets: TicketFigures
    per_window: dict[int, TicketFigures]
    per_clerk: dict[str, TicketFigures]
    idle_s: dict[int, float]
    cases: dict[str, int]                                   # decision: count
    cases_by_item: dict[tuple[str, str], dict[str, int]]    # (department, item): decision: n
    uploads: dict[str, int]
    evaluations: dict[str, int]                             # level: count
    satisfaction: float | None
    bad_reviews: list[EvaluationRecord]
    online_rate: float | None
    at_most_one_visit: float | None
    arrivals_by_hour: dict[int, int] = field(default_factory=dict)
    waiting_by_hour: dict[int, float] = field(default_factory=dict)   # mean waiting (s)
    repeat_corrections: list[RepeatCorrection] = field(default_factory=list)


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()


def durations(values: Iterable[float], target_s: float) -> Durations:
    data = sorted(values)
    if not data:
        return Durations(0, None, None, None, 0, target_s)
    return Durations(len(data), statistics.fmean(data), statistics.median(data), data[-1],
                     sum(1 for v in data if v > target_s), target_s)


NEXT_DAY_BEFORE = time(6, 0)    # a closing time before this is after midnight (a night hall)


def closed_by(ticket: TicketRecord, end: datetime, closing: time) -> bool:
    """Whether the hall had closed on the ticket's day by ``end`` (the report's now)."""
    closes = datetime.combine(ticket.issued_at.date(), closing, ticket.issued_at.tzinfo)
    if closing < NEXT_DAY_BEFORE:       # 00:00–05:59: past midnight, the night of the ticket's day
        closes += timedelta(days=1)
    if (end.tzinfo is None) != (closes.tzinfo is None):
        end, closes = end.replace(tzinfo=None), closes.replace(tzinfo=None)
    return end >= closes


def ticket_figures(tickets: Sequence[TicketRecord], wait_target_s: float,
                   service_target_s: float, end: datetime | None = None,
                   closing: time = DEFAULT_CLOSING,
                   manual: Sequence[ManualRecord] = ()) -> TicketFigures:
    """``end``: the report's now (None: every day has closed)."""
    waits = [w for t in tickets if (w := _seconds(t.issued_at, t.called_at)) is not None]
    services = [s for t in tickets if t.state == TicketState.FINISHED
                and (s := _seconds(t.started_at, t.finished_at)) is not None]
    never_called = [t for t in tickets
                    if t.state == TicketState.WAITING and t.called_at is None]
    return TicketFigures(
        issued=len(tickets),
        called=sum(1 for t in tickets if t.called_at is not None),
        served=sum(1 for t in tickets if t.state == TicketState.FINISHED),
        no_show=sum(1 for t in tickets if t.state == TicketState.NO_SHOW),
        transferred=sum(1 for t in tickets if t.transferred),
        abandoned=sum(1 for t in never_called if end is None or closed_by(t, end, closing)),
        waiting=durations(waits, wait_target_s),
        service=durations(services, service_target_s),
        still_waiting=sum(1 for t in never_called
                          if end is not None and not closed_by(t, end, closing)),
        manual=len(manual),
    )


def idle_seconds(events: Sequence[WindowEvent], tickets: Sequence[TicketRecord],
                 serves: dict[int, frozenset[str]], end: datetime) -> dict[int, float]:
    """Per window: seconds open and free while someone it could serve was waiting.

    A ticket waits for its service from arrival until its first call (or ``end``).
    """
    # when the waiting count of each service changes: +1 at arrival, -1 at first call
    changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for t in tickets:
        changes[t.service].append((t.issued_at, 1))
        changes[t.service].append((t.called_at or end, -1))
    sorted_changes = {service: sorted(c) for service, c in changes.items()}
    periods: dict[frozenset[str], list[tuple[datetime, datetime]]] = {}
    idle: dict[int, float] = {}
    by_window: dict[int, list[WindowEvent]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.at):
        by_window[e.window].append(e)
    for window, evs in by_window.items():
        services = serves.get(window, frozenset())
        if services not in periods:     # windows serving the same services share the work
            periods[services] = _waiting_periods(
                heapq.merge(*(sorted_changes[s] for s in services if s in sorted_changes)))
        idle[window] = _overlap(_free_intervals(evs, end), periods[services])
    return idle


def _free_intervals(events: Sequence[WindowEvent],
                    end: datetime) -> list[tuple[datetime, datetime]]:
    """When one window was open (signed in, not paused) with no ticket called or served,
    from its time-ordered events, up to ``end``."""
    free_since: datetime | None = None
    free: list[tuple[datetime, datetime]] = []
    open_, busy = False, False
    for e in events:
        was_free = open_ and not busy
        if e.action in WINDOW_OPENS:
            open_ = True
            if e.action == TicketAction.SIGN_IN:
                busy = False
        elif e.action in WINDOW_CLOSES:
            open_ = False
        elif e.action in WINDOW_BUSY:
            busy = True
        elif e.action in WINDOW_FREE:
            busy = False
        now_free = open_ and not busy
        if now_free and not was_free:
            free_since = e.at
        elif was_free and not now_free and free_since is not None:
            free.append((free_since, e.at))
            free_since = None
    if free_since is not None and end > free_since:
        free.append((free_since, end))
    return free


def _waiting_periods(changes: Iterable[tuple[datetime, int]]) -> list[tuple[datetime, datetime]]:
    """The periods when someone was waiting, from the time-ordered +1/-1 changes."""
    waiting: list[tuple[datetime, datetime]] = []
    level, since = 0, None
    for at, delta in changes:
        before = level
        level += delta
        if before == 0 and level > 0:
            since = at
        elif before > 0 and level == 0 and since is not None:
            waiting.append((since, at))
            since = None
    return waiting


def _overlap(free: list[tuple[datetime, datetime]],
             waiting: list[tuple[datetime, datetime]]) -> float:
    """Seconds of the ``free`` intervals that fall in the ``waiting`` periods."""
    # both lists are in time order and neither overlaps itself: walk them together
    total, i, j = 0.0, 0, 0
    free = sorted(free)
    while i < len(free) and j < len(waiting):
        (a0, a1), (b0, b1) = free[i], waiting[j]
        lo, hi = max(a0, b0), min(a1, b1)
        if hi > lo:
            total += (hi - lo).total_seconds()
        if a1 <= b1:
            i += 1
        else:
            j += 1
    return total


def _last_activity(events: Sequence[WindowEvent], tickets: Sequence[TicketRecord],
                   end: datetime) -> datetime:
    """The last thing that happened in the hall: a window left signed in after closing is
    not counted idle through the night."""
    times = [e.at for e in events]
    times += [x for t in tickets for x in (t.issued_at, t.called_at, t.finished_at) if x]
    return max(times, default=end)


def build(tickets: Sequence[TicketRecord], events: Sequence[WindowEvent],
          serves: dict[int, frozenset[str]], cases: Sequence[CaseRecord],
          evaluations: Sequence[EvaluationRecord], end: datetime,
          wait_target_s: float = 20 * 60, service_target_s: float = 30 * 60,
          closing: time = DEFAULT_CLOSING, manual: Sequence[ManualRecord] = (),
          repeats: Sequence[RepeatCorrection] = ()) -> Report:
    per_window: dict[int, list[TicketRecord]] = defaultdict(list)
    per_clerk: dict[str, list[TicketRecord]] = defaultdict(list)
    manual_window: dict[int, list[ManualRecord]] = defaultdict(list)
    manual_clerk: dict[str, list[ManualRecord]] = defaultdict(list)
    for t in tickets:
        if t.window is not None:
            per_window[t.window].append(t)
        if t.clerk:
            per_clerk[t.clerk].append(t)
    for m in manual:
        if m.window is not None:
            manual_window[m.window].append(m)
            per_window.setdefault(m.window, [])
        if m.clerk:
            manual_clerk[m.clerk].append(m)
            per_clerk.setdefault(m.clerk, [])

    def figures_of(ts: Sequence[TicketRecord], ms: Sequence[ManualRecord]) -> TicketFigures:
        return ticket_figures(ts, wait_target_s, service_target_s, end, closing, ms)

    by_item: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for c in cases:
        by_item[(c.department, c.item_name)][c.decision] += 1
    final = [c for c in cases if c.decision in ("accept", "refuse")]
    levels = Counter(e.level for e in evaluations)
    satisfied = levels["very_satisfied"] + levels["satisfied"]
    arrivals: Counter[int] = Counter(t.issued_at.hour for t in tickets)
    waits_by_hour: dict[int, list[float]] = defaultdict(list)
    for t in tickets:
        wait = _seconds(t.issued_at, t.called_at)
        if wait is not None:
            waits_by_hour[t.issued_at.hour].append(wait)
    return Report(
        tickets=figures_of(tickets, manual),
        per_window={w: figures_of(ts, manual_window[w]) for w, ts in sorted(per_window.items())},
        per_clerk={c: figures_of(ts, manual_clerk[c]) for c, ts in sorted(per_clerk.items())},
        idle_s=idle_seconds(events, tickets, serves, min(end, _last_activity(events, tickets, end))),
        cases=dict(Counter(c.decision for c in cases)),
        cases_by_item={k: dict(v) for k, v in sorted(by_item.items())},
        uploads=dict(Counter(c.upload for c in cases)),
        evaluations=dict(levels),
        satisfaction=satisfied / len(evaluations) if evaluations else None,
        bad_reviews=sorted((e for e in evaluations if e.level in ("unsatisfied",
                                                                   "very_unsatisfied")),
                           key=lambda e: e.at),
        online_rate=sum(1 for c in cases if c.online) / len(cases) if cases else None,
        at_most_one_visit=(sum(1 for c in final if c.visits <= 1) / len(final)
                           if final else None),
        arrivals_by_hour=dict(sorted(arrivals.items())),
        waiting_by_hour={h: statistics.fmean(v) for h, v in sorted(waits_by_hour.items())},
        # (the same entry pushed twice, by a replay or under a second log id, counts once)
        repeat_corrections=sorted({(r.case_no, r.at, r.clerk): r for r in repeats}.values(),
                                  key=lambda r: (r.clerk or "", r.at)),
    )
