"""The supervisor's report: every figure on a day whose answers are known by hand, random
days against a plain minute-by-minute reference, and the figures read back from a real
database after a day of real queue actions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hallclient.core.tickets import PriorityClass
from hallclient.reports import figures, replay
from hallclient.reports.records import CaseRecord, EvaluationRecord, TicketRecord, WindowEvent
from hallclient.store import report_repo

from ..conftest import CST

DAY = datetime(2026, 11, 27, tzinfo=CST)


def at(hh: int, mm: int) -> datetime:
    return DAY.replace(hour=hh, minute=mm)


def test_a_day_worked_out_by_hand():
    tickets = [
        # waited 10 min, served 20 min at window 1
        TicketRecord("A001", "ZH", "finished", at(9, 0), at(9, 10), at(9, 11), at(9, 31), 1, "li"),
        # waited 35 min (over the 20 min target), served 10 min at window 1
        TicketRecord("A002", "ZH", "finished", at(9, 5), at(9, 40), at(9, 41), at(9, 51), 1, "li"),
        # called at window 2 after 32 min, did not come
        TicketRecord("B001", "SC", "no_show", at(9, 20), at(9, 52), None, None, 2, "wang"),
        # sent from SC to ZH and served at window 2 after waiting 5 min
        TicketRecord("B002", "ZH", "finished", at(10, 0), at(10, 5), at(10, 5), at(10, 45), 2,
                     "wang", transferred=True),
        # never called, and the hall is still open at noon: waiting (等候中), not abandoned
        TicketRecord("A003", "ZH", "waiting", at(11, 0)),
    ]
    events = [WindowEvent(at(8, 50), 1, "sign_in"), WindowEvent(at(9, 10), 1, "call"),
              WindowEvent(at(9, 31), 1, "finish"), WindowEvent(at(9, 40), 1, "call"),
              WindowEvent(at(9, 51), 1, "finish"), WindowEvent(at(10, 0), 1, "pause"),
              WindowEvent(at(11, 30), 1, "resume"), WindowEvent(at(11, 45), 1, "sign_out"),
              WindowEvent(at(9, 30), 2, "sign_in"), WindowEvent(at(9, 52), 2, "call"),
              WindowEvent(at(9, 55), 2, "no_show"), WindowEvent(at(10, 5), 2, "call"),
              WindowEvent(at(10, 45), 2, "finish"), WindowEvent(at(11, 0), 2, "sign_out")]
    serves = {1: frozenset({"ZH"}), 2: frozenset({"SC", "ZH"})}
    cases = [
        CaseRecord("N1", "个体工商户登记", "市场监管局", "accept", True, 1, "sent", 1, "li"),
        CaseRecord("N2", "个体工商户登记", "市场监管局", "accept", False, 2, "pending", 1, "li"),
        CaseRecord("N3", "社保卡补办", "人社局", "refuse", False, 1, "attention", 2, "wang"),
        CaseRecord("N4", "社保卡补办", "人社局", "correct", True, 1, "sent", 2, "wang"),
    ]
    evaluations = [
        EvaluationRecord("very_satisfied", at(9, 32), 1, "li"),
        EvaluationRecord("satisfied", at(9, 52), 1, "li"),
        EvaluationRecord("basic", at(10, 46), 2, "wang"),
        EvaluationRecord("unsatisfied", at(10, 47), 2, "wang", "N3", None, ("等候时间长",), "",
                         "2026-12-04"),
    ]
    r = figures.build(tickets, events, serves, cases, evaluations, end=at(12, 0))

    t = r.tickets
    assert (t.issued, t.called, t.served, t.no_show, t.transferred, t.abandoned) == (5, 4, 3, 1, 1, 0)
    assert t.still_waiting == 1
    assert t.waiting.count == 4
    assert t.waiting.mean_s == (10 + 35 + 32 + 5) * 60 / 4
    assert t.waiting.median_s == (10 + 32) * 60 / 2
    assert t.waiting.max_s == 35 * 60
    assert t.waiting.over_target == 2 and t.waiting.share_over_target == 0.5     # 35, 32 > 20
    assert (t.service.count, t.service.mean_s, t.service.max_s) == (3, (20 + 10 + 40) * 60 / 3,
                                                                    40 * 60)
    assert t.service.over_target == 1                                            # 40 > 30
    assert r.per_window[1].served == 2 and r.per_window[2].no_show == 1
    assert r.per_clerk["wang"].issued == 2
    # window 1: free 8:50-9:10 while A001 waits from 9:00 (10 min); free 9:31-9:40 while A002
    # waits (9 min); free 9:51-10:00 while nobody waits for ZH (B002 counts as ZH from
    # 10:00); paused 10:00-11:30; free 11:30-11:45 while A003 waits (15 min)
    assert r.idle_s[1] == (10 + 9 + 15) * 60
    # window 2: free 9:30-9:52 with B001 (SC) waiting since 9:20 (22 min), 9:55-10:05 with
    # B002 waiting from 10:00 (5 min), 10:45-11:00 with A003 from 11:00 (0)
    assert r.idle_s[2] == (22 + 5) * 60
    assert r.cases == {"accept": 2, "refuse": 1, "correct": 1}
    assert r.cases_by_item[("人社局", "社保卡补办")] == {"refuse": 1, "correct": 1}
    assert r.uploads == {"sent": 2, "pending": 1, "attention": 1}
    assert r.satisfaction == 2 / 4
    assert [e.case_no for e in r.bad_reviews] == ["N3"]
    assert r.bad_reviews[0].rectify_by == "2026-12-04"
    assert r.online_rate == 2 / 4
    assert r.at_most_one_visit == 2 / 3          # of N1, N2, N3 (decided); N2 came twice
    assert r.arrivals_by_hour == {9: 3, 10: 1, 11: 1}
    assert r.waiting_by_hour == {9: (10 + 35 + 32) * 60 / 3, 10: 5 * 60}


def test_nothing_to_report_gives_no_rates():
    r = figures.build([], [], {}, [], [], end=at(18, 0))
    assert r.satisfaction is None and r.online_rate is None and r.at_most_one_visit is None
    assert r.tickets.waiting.mean_s is None and r.tickets.waiting.share_over_target is None


# -- random days against a minute-by-minute reference ---------------------------------------

@st.composite
def days(draw):
    n = draw(st.integers(0, 12))
    tickets = []
    for i in range(n):
        issued = draw(st.integers(0, 400))
        called = draw(st.one_of(st.none(), st.integers(issued, 480)))
        service = draw(st.sampled_from(["ZH", "SC"]))
        if called is None:
            tickets.append(TicketRecord(f"T{i}", service, "waiting", at(8, 0) + timedelta(
                minutes=issued)))
            continue
        start = called + draw(st.integers(0, 5))
        finish = start + draw(st.integers(1, 60))
        state = draw(st.sampled_from(["finished", "no_show"]))
        m = lambda x: at(8, 0) + timedelta(minutes=x)  # noqa: E731
        tickets.append(TicketRecord(f"T{i}", service, state, m(issued), m(called),
                                    m(start) if state == "finished" else None,
                                    m(finish) if state == "finished" else None,
                                    draw(st.sampled_from([1, 2]))))
    events = []
    for window in (1, 2):
        for minute, action in draw(st.lists(st.tuples(
                st.integers(0, 480),
                st.sampled_from(["sign_in", "sign_out", "pause", "resume", "call", "finish",
                                 "hold", "return"])), max_size=14)):
            events.append(WindowEvent(at(8, 0) + timedelta(minutes=minute), window, action))
    return tickets, sorted(events, key=lambda e: e.at)


def reference_idle(events, tickets, serves, end_minute):
    """Walk the day a minute at a time."""
    idle = {}
    for window in {e.window for e in events}:
        mine = [e for e in events if e.window == window]
        total = 0
        for minute in range(end_minute):
            t = at(8, 0) + timedelta(minutes=minute)
            open_ = busy = False
            for e in mine:                   # the state after every event up to t
                if e.at > t:
                    break
                if e.action in ("sign_in", "resume"):
                    open_ = True
                    busy = busy and e.action != "sign_in"
                elif e.action in ("sign_out", "pause"):
                    open_ = False
                elif e.action in ("call", "return"):
                    busy = True
                else:
                    busy = False
            waiting = any(tk.service in serves[window] and tk.issued_at <= t
                          and (tk.called_at is None or tk.called_at > t) for tk in tickets)
            total += 60 if open_ and not busy and waiting else 0
        idle[window] = total
    return idle


@settings(max_examples=150, deadline=None)
@given(days())
def test_random_days_match_a_minute_by_minute_walk(day):
    tickets, events = day
    serves = {1: frozenset({"ZH"}), 2: frozenset({"ZH", "SC"})}
    end = at(8, 0) + timedelta(minutes=480)
    r = figures.build(tickets, events, serves, [], [], end=end)
    # the day ends with the last thing that happened in the hall
    times = [e.at for e in events] + [x for t in tickets for x in
                                      (t.issued_at, t.called_at, t.finished_at) if x]
    last = int((max(times, default=end) - at(8, 0)).total_seconds() // 60)
    assert r.idle_s == reference_idle(events, tickets, serves, min(480, last))
    waits = sorted((tk.called_at - tk.issued_at).total_seconds() for tk in tickets
                   if tk.called_at)
    assert r.tickets.waiting.count == len(waits)
    assert r.tickets.waiting.max_s == (waits[-1] if waits else None)
    assert r.tickets.waiting.over_target == sum(1 for w in waits if w > 20 * 60)
    # the day ends at 16:00, before the hall closes (17:30): the uncalled are still waiting
    assert r.tickets.abandoned == 0
    assert r.tickets.still_waiting == sum(1 for tk in tickets if tk.called_at is None)
    assert (r.tickets.served + r.tickets.no_show + r.tickets.still_waiting
            == r.tickets.issued)


# -- read back from a real database after a day of real actions -----------------------------

def test_the_figures_come_back_from_the_database(queue, clock, db):
    clock.now = at(8, 50)
    queue.sign_in(1, "li")
    clock.now = at(9, 0)
    a1 = queue.issue("ZH").ticket
    clock.now = at(9, 5)
    queue.issue("ZH", PriorityClass.NORMAL)
    clock.now = at(9, 10)
    assert queue.call_next(1, "li").id == a1.id
    clock.now = at(9, 11)
    queue.start(1, "li", a1.id)
    clock.now = at(9, 31)
    queue.finish(1, "li", a1.id)
    clock.now = at(9, 40)
    a2 = queue.call_next(1, "li")
    clock.now = at(9, 41)
    queue.transfer(1, "li", a2.id, to_service="SC")
    clock.now = at(10, 0)
    data = report_repo.load(db.conn, date(2026, 11, 27), date(2026, 11, 27))
    r = figures.build(end=at(10, 0), **data)
    assert [t.number for t in data["tickets"]] == ["A001", "A002"]
    assert r.tickets.served == 1 and r.tickets.transferred == 1 and r.tickets.called == 2
    assert r.tickets.waiting.max_s == 35 * 60
    assert r.tickets.service.mean_s == 20 * 60
    # window 1 was free 8:50-9:10 (A001 waiting from 9:00) and 9:31-9:40 (A002 waiting)
    # and free again from 9:41 with nobody waiting for ZH or ZX
    assert r.idle_s[1] == (10 + 9) * 60


cases_st = st.lists(st.builds(
    CaseRecord, case_no=st.text("0123456789", min_size=4, max_size=6),
    item_name=st.sampled_from(["社保卡补办", "个体工商户登记"]),
    department=st.sampled_from(["人社局", "市场监管局"]),
    decision=st.sampled_from(["accept", "correct", "refuse"]), online=st.booleans(),
    visits=st.integers(1, 3), upload=st.sampled_from(["sent", "pending", "attention", "none"])),
    max_size=25)
ratings_st = st.lists(st.builds(
    EvaluationRecord, level=st.sampled_from(["very_satisfied", "satisfied", "basic",
                                             "unsatisfied", "very_unsatisfied"]),
    at=st.integers(0, 480).map(lambda m: at(8, 0) + timedelta(minutes=m))), max_size=25)


@settings(max_examples=150, deadline=None)
@given(cases_st, ratings_st)
def test_random_cases_and_ratings_match_a_plain_count(cases, ratings):
    r = figures.build([], [], {}, cases, ratings, end=at(18, 0))
    good = [e for e in ratings if e.level in ("very_satisfied", "satisfied")]
    bad = [e for e in ratings if e.level in ("unsatisfied", "very_unsatisfied")]
    decided = [c for c in cases if c.decision != "correct"]
    assert r.satisfaction == (len(good) / len(ratings) if ratings else None)
    assert len(r.bad_reviews) == len(bad)
    assert [e.at for e in r.bad_reviews] == sorted(e.at for e in bad)
    assert r.online_rate == (sum(c.online for c in cases) / len(cases) if cases else None)
    assert r.at_most_one_visit == (sum(c.visits == 1 for c in decided) / len(decided)
                                   if decided else None)
    for decision in ("accept", "correct", "refuse"):
        assert r.cases.get(decision, 0) == sum(c.decision == decision for c in cases)
        assert sum(by.get(decision, 0) for by in r.cases_by_item.values()) == r.cases.get(
            decision, 0)
    assert sum(r.uploads.values()) == len(cases)
    assert sum(r.evaluations.values()) == len(ratings)


def test_cases_and_ratings_from_counters_logs():
    import json

    def entry(at_, action, **detail):
        return {"at": at_.isoformat(), "action": action, "window": 3, "clerk": "zhao",
                "ticket": None, "detail": json.dumps(detail, ensure_ascii=False)}

    entries = [
        entry(at(9, 0), "intake_correct", case_no="N1", item="社保卡补办", department="人社局",
              missing=2),
        entry(at(9, 5), "intake_accept", case_no="N2", item="个体工商户登记",
              department="市场监管局", online=True, missing=0),
        entry(at(11, 0), "correction_ended", case_no="N1"),
        entry(at(11, 0), "intake_accept", case_no="N1", item="社保卡补办", missing=0),
        entry(at(11, 2), "rating", case_no="N1", level="unsatisfied", bad=True,
              reasons=["等候时间过长"], rectify_by="2026-12-04"),
        entry(at(11, 3), "rating", level="very_satisfied"),
    ]
    cases, ratings = replay.records_from_log(entries)
    by_no = {c.case_no: c for c in cases}
    assert by_no["N1"].decision == "accept" and by_no["N1"].visits == 2
    assert by_no["N1"].department == "人社局" and not by_no["N1"].online
    assert by_no["N2"].online and by_no["N2"].visits == 1 and by_no["N2"].window == 3
    r = figures.build([], [], {}, cases, ratings, end=at(18, 0))
    assert r.at_most_one_visit == 0.5 and r.online_rate == 0.5 and r.satisfaction == 0.5
    assert r.bad_reviews[0].reasons == ("等候时间过长",)
    assert r.bad_reviews[0].rectify_by == "2026-12-04"


def test_figures_once_computed_cannot_be_changed():
    import dataclasses

    import pytest

    r = figures.build([], [], {}, [], [], end=at(18, 0))
    assert r.tickets.waiting == figures.Durations(0, None, None, None, 0, 20 * 60)
    assert r.tickets.waiting.share_over_target is None
    assert figures.durations([30.0, 10.0, 20.0], 15).share_over_target == 2 / 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.tickets.issued = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.tickets.waiting.count = 3  # type: ignore[misc]


def test_a_time_exactly_at_the_target_is_not_over_it():
    d = figures.durations([1200.0, 1200.5, 600.0], 1200)
    assert (d.count, d.over_target, d.max_s, d.median_s) == (3, 1, 1200.5, 1200.0)


def test_a_ticket_not_called_is_waiting_until_the_hall_closes_then_abandoned():
    from datetime import time

    from hallclient.reports.records import ManualRecord, RepeatCorrection

    tickets = [TicketRecord("A001", "ZH", "finished", at(9, 0), at(9, 10), at(9, 11), at(9, 31),
                            1, "li"),
               TicketRecord("A002", "ZH", "waiting", at(16, 50)),
               TicketRecord("A003", "ZH", "waiting", at(17, 10))]
    manual = [ManualRecord(1, "li", at(10, 0), at(10, 20)), ManualRecord(2, "wang", at(10, 5))]
    repeats = [RepeatCorrection(at(11, 0), 2, "wang", "N9", "营业执照复印件不清晰")]

    def report(now: datetime):
        return figures.build(tickets, [], {}, [], [], now, closing=time(17, 30), manual=manual,
                             repeats=repeats)

    # at 17:20 the hall is still open: both are waiting, neither has given up
    before = report(at(17, 20)).tickets
    assert (before.still_waiting, before.abandoned) == (2, 0)
    # at closing time, whoever was not called is counted abandoned (弃号)
    after = report(at(17, 30)).tickets
    assert (after.still_waiting, after.abandoned) == (0, 2)
    # the day's report read the next morning: abandoned, never "waiting"
    assert report(DAY + timedelta(days=1)).tickets.abandoned == 2
    r = report(at(18, 0))
    # 手工接待: counted apart from issued and served, per window and per clerk
    assert (r.tickets.manual, r.tickets.issued, r.tickets.served) == (2, 3, 1)
    assert r.per_window[1].manual == 1 and r.per_window[2].manual == 1
    assert r.per_clerk["wang"].manual == 1 and r.per_clerk["wang"].served == 0
    assert r.repeat_corrections == repeats


def test_every_figure_of_the_report_has_its_definition():
    from hallclient.documents.report_tables import views
    from hallclient.reports.definitions import definition

    r = figures.build([], [], {}, [], [], DAY)
    tables = views(r, "完整")
    summary = next(v for v in tables if v.title == "总览")
    missing = [row[0] for row in summary.rows if not definition(row[0])]
    assert missing == []
    for view in tables:
        figures_ = [h for h in view.headers if h not in ("窗口", "部门", "事项", "评价", "条数",
                                                         "占比", "时间", "办件编号", "排队号",
                                                         "原因", "意见", "整改期限", "时段",
                                                         "指标", "数值", "说明", "受理", "补正",
                                                         "不予受理", "合计")]
        assert [h for h in figures_ if not definition(h)] == [], view.title


def test_a_hall_that_closes_at_midnight_has_waiting_people_not_abandoned_ones():
    """hall.closing_time 00:00 is a hall open all day: until midnight nobody is 弃号."""
    from datetime import time

    waiting = TicketRecord("A009", "ZH", "waiting", at(21, 0))
    assert not figures.closed_by(waiting, at(23, 30), time(0, 0))
    assert figures.closed_by(waiting, at(23, 30) + timedelta(hours=1), time(0, 0))
    assert figures.closed_by(waiting, at(18, 0), time(17, 30))
    # a night hall closing at 01:00 closes after midnight, not at 01:00 of the ticket's day
    assert not figures.closed_by(waiting, at(23, 30), time(1, 0))
    assert figures.closed_by(waiting, at(23, 30) + timedelta(hours=2), time(1, 0))


def test_the_same_second_correction_pushed_twice_counts_once():
    from hallclient.reports.records import RepeatCorrection

    twice = [RepeatCorrection(at(10, 0), 1, "li", "N4", "合同仍缺签字")] * 2
    other = RepeatCorrection(at(11, 0), 1, "li", "N4", "又缺一页")     # a third round: counts
    r = figures.build([], [], {}, [], [], end=at(12, 0), repeats=[*twice, other])
    assert [x.at for x in r.repeat_corrections] == [at(10, 0), at(11, 0)]
