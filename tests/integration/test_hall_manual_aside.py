"""Hand-recorded services (手工接待) that the hall server will not take: refused when typed
if they break its rules, set aside for the clerk if it refuses them later, and never in the
way of the others or of the next call."""

from __future__ import annotations

import pytest

from hallclient.core.tickets import QueueError, TicketState

from .hall_fixtures import server_rows, start_hall, wait_for


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


def test_a_number_the_server_would_refuse_is_refused_when_typed(hall):
    kiosk, w1 = hall.kiosk(), hall.counter(1)
    kiosk.issue("ZH")
    w1.sign_in(1, "a")
    hall.stop()
    assert w1.snapshot(1).state == "manual"
    with pytest.raises(QueueError, match="最多 20 个字符"):
        w1.call_specific(1, "a", "A" * 21)
    assert w1.db.query("SELECT * FROM manual_services") == []


def test_a_refused_service_waits_aside_while_the_rest_go_and_the_counter_calls_on(hall):
    kiosk, w1 = hall.kiosk(), hall.counter(1)
    for _ in range(4):
        kiosk.issue("ZH")
    w1.sign_in(1, "a")
    hall.stop()
    assert w1.snapshot(1).state == "manual"
    for number in ("A001", "A002"):
        t = w1.call_specific(1, "a", number)
        w1.finish(1, "a", t.id)
    # a service kept by an earlier version, at a window this counter may not serve, and one
    # whose times the server cannot take: both refused for good once the server is back
    with w1.db.write() as conn:
        conn.execute("UPDATE manual_services SET window = 3 WHERE ticket = 'A001'")
        conn.execute("INSERT INTO manual_services (uid, window, clerk, ticket, started_at,"
                     " finished_at) VALUES ('legacy-uid-1', 1, 'a', 'A003', 'yesterday noon',"
                     " 'yesterday noon')")
    hall.restart()
    wait_for(lambda: w1.snapshot(1).link == "online")
    called = w1.call_next(1, "a")          # the bad ones do not hold the call up
    assert called is not None and called.number == "A001"     # (its record did not go up)
    snap = w1.snapshot(1)
    assert (snap.pending, snap.aside) == (0, 2)
    aside = {r.ticket: r.refusal for r in w1.manual_aside()}
    assert set(aside) == {"A001", "A003"}
    assert "1 号窗口" in aside["A001"]
    states = dict(server_rows(hall, "SELECT number, state FROM tickets"))
    assert states["A002"] == "finished"            # the good one behind the bad went up

    # 修改: the clerk puts the right window's service right by its number, and it goes up
    a001 = next(r for r in w1.manual_aside() if r.ticket == "A001")
    with w1.db.write() as conn:                    # (the clerk's real window, as it was)
        conn.execute("UPDATE manual_services SET window = 1 WHERE id = ?", (a001.id,))
    w1.amend_manual(a001.id, "a", "a001")
    assert dict(server_rows(hall, "SELECT number, state FROM tickets"))["A001"] == "finished"
    # 作废 needs a reason, and is logged
    a003 = next(r for r in w1.manual_aside() if r.ticket == "A003")
    with pytest.raises(QueueError, match="作废原因"):
        w1.void_manual(a003.id, "a", " ")
    w1.void_manual(a003.id, "a", "记错了号码")
    assert w1.manual_aside() == [] and w1.snapshot(1).aside == 0
    actions = [r["action"] for r in w1.db.query("SELECT action FROM event_log ORDER BY seq")]
    assert actions.count("manual_refused") == 2
    assert "manual_amended" in actions and "manual_voided" in actions
    assert w1.db.one("SELECT count(*) AS n FROM manual_services WHERE sent_at IS NULL")["n"] == 0


def test_a_ticket_being_served_when_the_server_goes_keeps_its_real_start(hall):
    kiosk, w1 = hall.kiosk(), hall.counter(1)
    kiosk.issue("ZH")
    w1.sign_in(1, "a")
    called = w1.call_next(1, "a")
    started = w1.start(1, "a", called.id)
    assert started.state is TicketState.SERVING and started.started_at
    w1.snapshot(1)
    hall.stop()
    snap = w1.snapshot(1)
    assert snap.state == "manual"
    assert snap.current is not None and snap.current.number == "A001"
    assert snap.current.started_at == started.started_at      # carried on by hand
    w1.finish(1, "a", snap.current.id)
    hall.restart()
    wait_for(lambda: w1.snapshot(1).link == "online")
    row = server_rows(hall, "SELECT state, started_at FROM tickets WHERE number = 'A001'")
    assert row == [("finished", started.started_at)]
