"""LocalQueue on a real SQLite file: a clerk's day at one window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallclient.core.tickets import PriorityClass as P
from hallclient.core.tickets import QueueError, TicketState
from hallclient.store import log_repo, queue_repo


def actions(db):
    return [(e["action"], e["ticket"]) for e in log_repo.entries(db.conn)]


def state_of(db, number, day="2026-11-27"):
    return queue_repo.by_number(db.conn, day, number).state


def test_daily_numbers_per_prefix_restart_each_day(queue, clock):
    numbers = [queue.issue("ZH").ticket.number for _ in range(3)]
    numbers += [queue.issue("SC").ticket.number]
    assert numbers == ["A001", "A002", "A003", "B001"]
    clock.advance(minutes=24 * 60)
    assert queue.issue("ZH").ticket.number == "A001"
    assert queue.issue("ZH").ticket.day == "2026-11-28"


def test_issue_reports_people_ahead_and_logs(queue, db):
    assert queue.issue("ZH").ahead == 0
    assert queue.issue("ZH").ahead == 1
    green = queue.issue("ZH", P.GREEN, device="kiosk-1")
    assert green.ahead == 0 and green.service_name == "综合受理"   # green channel goes first
    assert queue.issue("ZH").ahead == 3
    assert queue.issue("SC").ahead == 0
    assert actions(db)[-3] == ("issue", "A003")


def test_unknown_service_is_refused(queue):
    with pytest.raises(QueueError, match="不存在"):
        queue.issue("NOPE")


def test_calling_needs_a_signed_in_open_window(queue):
    queue.issue("ZH")
    with pytest.raises(QueueError, match="未签到"):
        queue.call_next(1, "li")
    with pytest.raises(QueueError, match="未配置"):
        queue.sign_in(99, "li")


def test_a_full_service_cycle(queue, db, clock):
    queue.issue("ZH")
    queue.sign_in(1, "li")
    t = queue.call_next(1, "li")
    assert t.number == "A001" and t.state is TicketState.CALLED and t.window == 1
    clock.advance(minutes=1)
    t = queue.start(1, "li", t.id)
    clock.advance(minutes=5)
    t = queue.finish(1, "li", t.id)
    assert t.state is TicketState.FINISHED
    assert t.started_at.startswith("2026-11-27T09:01") and t.finished_at.startswith("2026-11-27T09:06")
    assert actions(db) == [("issue", "A001"), ("sign_in", None), ("call", "A001"),
                           ("start", "A001"), ("finish", "A001")]
    assert queue.call_next(1, "li") is None


def test_cannot_call_while_the_current_ticket_is_open(queue):
    queue.issue("ZH")
    queue.issue("ZH")
    queue.sign_in(1, "li")
    queue.call_next(1, "li")
    with pytest.raises(QueueError, match="A001 尚未处理完"):
        queue.call_next(1, "li")


def test_recall_up_to_the_limit_then_automatic_no_show(queue, db):
    queue.issue("ZH")
    queue.sign_in(1, "li")
    t = queue.call_next(1, "li")
    first = queue.recall(1, "li", t.id)
    second = queue.recall(1, "li", t.id)
    assert (first.ticket.recalls, second.ticket.recalls) == (1, 2)
    assert not second.became_no_show
    third = queue.recall(1, "li", t.id)          # limit is 2 in this fixture
    assert third.became_no_show and third.ticket.state is TicketState.NO_SHOW
    assert actions(db)[-1] == ("no_show", "A001")
    assert '"automatic":true' in log_repo.entries(db.conn)[-1]["detail"]


def test_no_show_and_reactivate_keeps_the_original_place(queue, clock):
    queue.issue("ZH")                 # A001 arrives first
    clock.advance(minutes=1)
    queue.issue("ZH")                 # A002
    queue.sign_in(1, "li")
    t = queue.call_next(1, "li")
    queue.no_show(1, "li", t.id)
    assert queue.snapshot(1).no_shows[0].number == "A001"
    queue.reactivate(1, "li", "a001")  # typed in lower case
    again = queue.call_next(1, "li")
    assert again.number == "A001"      # back in its place, ahead of A002
    with pytest.raises(QueueError, match="不能执行「激活过号」"):
        queue.reactivate(1, "li", "A002")


def test_call_specific_number(queue):
    for _ in range(3):
        queue.issue("ZH")
    queue.sign_in(1, "li")
    t = queue.call_specific(1, "li", " a003 ")
    assert t.number == "A003" and t.state is TicketState.CALLED
    queue.no_show(1, "li", t.id)
    with pytest.raises(QueueError, match="已过号"):
        queue.call_specific(1, "li", "A003")
    with pytest.raises(QueueError, match="没有 A404"):
        queue.call_specific(1, "li", "A404")


def test_transfer_to_a_service_keeps_arrival_order(queue, clock):
    queue.issue("ZH")                      # A001 at 9:00
    clock.advance(minutes=5)
    queue.issue("SC")                      # B001 at 9:05
    queue.sign_in(1, "li")
    queue.sign_in(3, "wang")
    t = queue.call_next(1, "li")
    moved = queue.transfer(1, "li", t.id, to_service="SC")
    assert moved.state is TicketState.WAITING and moved.service == "SC" and moved.window is None
    # window 3 serves SC: A001 arrived before B001, so it keeps its place
    assert queue.call_next(3, "wang").number == "A001"


def test_transfer_raised_goes_before_everyone(queue, clock):
    queue.issue("SC")
    queue.issue("SC", P.GREEN)
    clock.advance(minutes=10)
    queue.issue("ZH")
    queue.sign_in(1, "li")
    queue.sign_in(3, "wang")
    t = queue.call_next(1, "li")
    assert t.number == "A001"
    queue.transfer(1, "li", t.id, to_service="SC", raised=True)
    assert queue.call_next(3, "wang").number == "A001"


def test_transfer_to_a_window_only_that_window_calls_it(queue):
    queue.issue("ZH")
    queue.sign_in(1, "li")
    queue.sign_in(2, "zhao")
    queue.sign_in(6, "sun")             # window 6 serves only GA
    t = queue.call_next(1, "li")
    queue.transfer(1, "li", t.id, to_window=6)
    assert queue.call_next(2, "zhao") is None       # window 2 serves ZH but may not take it
    assert queue.call_next(6, "sun").number == "A001"
    with pytest.raises(QueueError, match="本窗口"):
        queue.transfer(6, "sun", t.id, to_window=6)


def test_hold_and_return(queue):
    queue.issue("ZH")
    queue.issue("ZH")
    queue.sign_in(1, "li")
    t = queue.call_next(1, "li")
    queue.start(1, "li", t.id)
    held = queue.hold(1, "li", t.id)
    assert held.state is TicketState.HELD
    assert queue.snapshot(1).held[0].number == "A001"
    other = queue.call_next(1, "li")            # serve someone else meanwhile
    with pytest.raises(QueueError, match="A002 尚未处理完"):
        queue.return_held(1, "li", t.id)
    queue.start(1, "li", other.id)
    queue.finish(1, "li", other.id)
    back = queue.return_held(1, "li", t.id)
    assert back.state is TicketState.SERVING
    assert queue.snapshot(1).current.number == "A001"


def test_pause_blocks_calls_until_resume(queue, db):
    queue.issue("ZH")
    queue.sign_in(1, "li")
    queue.pause(1, "li", "午休")
    with pytest.raises(QueueError, match="暂停"):
        queue.call_next(1, "li")
    queue.resume(1, "li")
    assert queue.call_next(1, "li").number == "A001"
    assert [a for a, _ in actions(db)][-3:] == ["pause", "resume", "call"]


def test_other_windows_cannot_touch_my_ticket(queue):
    queue.issue("ZH")
    queue.sign_in(1, "li")
    queue.sign_in(2, "zhao")
    t = queue.call_next(1, "li")
    with pytest.raises(QueueError, match="不在本窗口"):
        queue.finish(2, "zhao", t.id)


def test_priority_ratio_rule_on_the_real_store(queue):
    # fixture: priority_ratio=2 -> after two green calls a normal ticket gets through
    queue.issue("ZH")
    for _ in range(3):
        queue.issue("ZH", P.GREEN)
    queue.sign_in(1, "li")
    order = []
    for _ in range(4):
        t = queue.call_next(1, "li")
        order.append((t.number, t.priority))
        queue.start(1, "li", t.id)
        queue.finish(1, "li", t.id)
    assert [n for n, _ in order] == ["A002", "A003", "A001", "A004"]


def test_yesterdays_tickets_are_not_called_today(queue, clock):
    queue.issue("ZH")
    clock.now += timedelta(days=1)
    queue.sign_in(1, "li")
    assert queue.call_next(1, "li") is None


def test_changed_sees_other_connections(queue, tmp_path):
    from hallclient.queue.local import LocalQueue
    from hallclient.store.db import open_database

    assert queue.changed() is True       # first look
    assert queue.changed() is False
    other = open_database(queue.db.path)
    LocalQueue(other).issue("ZH")
    assert queue.changed() is True
    other.close()


def test_what_the_queue_hands_out_cannot_be_changed_behind_its_back(queue):
    """Snapshots and tickets cross from the worker to the GUI thread: they are frozen."""
    import dataclasses

    snap = queue.sign_in(1, "li")
    assert (snap.link, snap.pending, snap.current, snap.held) == ("", 0, None, ())
    issued = queue.issue("ZH")
    called = queue.call_next(1, "li")
    service, window = queue.services()[0], queue.windows()[0]
    recall = queue.recall(1, "li", called.id)
    for value in (snap, issued, called, service, window, recall):
        field = dataclasses.fields(value)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)


def test_changed_sees_this_connections_own_commits(queue):
    """A kiosk in the same program writes on the counter's own connection, which SQLite's
    data_version does not count."""
    assert queue.changed() is True
    assert queue.changed() is False
    queue.issue("ZH")
    assert queue.changed() is True
    assert queue.changed() is False
