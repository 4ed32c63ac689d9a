"""The hall server on loopback: one queue for many counters, kiosks and panels."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import SimpleQueue

import pytest
import requests

from hallclient.core.tickets import PriorityClass, QueueError, TicketState
from hallclient.queue.hall_link import EventStream, HallAuthError, HallUnavailableError
from hallclient.store import log_repo
from hallclient.store.db import DB_FILE, open_database
from hallclient.wire.hall import DeviceKind

from ..conftest import FakeSeconds
from . import callers
from .hall_fixtures import start_hall


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def server_rows(hall, sql: str, params=()) -> list[tuple]:
    return hall.server.hall.worker.submit(
        lambda core: core.db.conn.execute(sql, params).fetchall()).result()


class Collector:
    """A panel subscribed to the event stream."""

    def __init__(self, hall) -> None:
        self.events: list[dict] = []
        self.links: list[bool] = []
        self.stream = EventStream(hall.url, hall.token("P1", DeviceKind.PANEL),
                                  on_event=self.events.append, on_link=self.links.append,
                                  max_backoff_s=0.3)
        self.stream.start()
        wait_for(lambda: self.stream.connected)

    def queue_seqs(self) -> list[int]:
        return [e["data"]["seq"] for e in self.events if e["event"] == "queue"]

    def actions(self) -> list[str]:
        return [e["data"]["action"] for e in self.events if e["event"] == "queue"]


def test_many_counters_in_threads_and_processes_never_get_the_same_ticket(tmp_path):
    h = start_hall(tmp_path, callers.hall(12))
    try:
        kiosk = h.kiosk()
        done, go = tmp_path / "issued", tmp_path / "go"
        ctx = multiprocessing.get_context("spawn")
        process_windows = [9, 10, 11, 12]
        thread_windows = list(range(1, 9))
        for w in process_windows:
            h.tokens[f"W{w}"] = h.server.add_device(f"W{w}", DeviceKind.COUNTER, w)
        with ctx.Pool(len(process_windows)) as pool:
            in_processes = [
                pool.apply_async(callers.hall_serve_until_empty,
                                 (h.url, h.tokens[f"W{w}"], str(tmp_path / f"p{w}.db"), w,
                                  str(done), str(go)))
                for w in process_windows]
            barrier = threading.Barrier(len(thread_windows))

            def thread_loop(window: int) -> list[int]:
                # each thread its own connection, like a counter PC
                q = h.counter(window, track=False)
                try:
                    q.sign_in(window, f"c{window}")
                    barrier.wait()
                    called = []
                    while True:
                        t = q.call_next(window, f"c{window}")
                        if t is None:
                            if done.exists() and q.call_next(window, f"c{window}") is None:
                                return called
                            time.sleep(0.002)
                            continue
                        called.append(t.id)
                        q.start(window, f"c{window}", t.id)
                        q.finish(window, f"c{window}", t.id)
                finally:
                    q.close()
                    q.db.close()

            wait_for(lambda: all(Path(f"{done}.ready-{w}").exists() for w in process_windows),
                     timeout=60)
            issued = [kiosk.issue(callers.SERVICES[i % 3], PriorityClass(i % 3 == 0 and 2)).ticket.id
                      for i in range(60)]
            with ThreadPoolExecutor(len(thread_windows)) as pool_threads:
                futures = [pool_threads.submit(thread_loop, w) for w in thread_windows]
                go.touch()
                issued += [kiosk.issue(callers.SERVICES[i % 3]).ticket.id for i in range(240)]
                done.touch()
                results = [f.result(timeout=120) for f in futures]
            results += [r.get(timeout=120) for r in in_processes]
        called = [tid for r in results for tid in r]
        assert len(called) == len(set(called)), "a ticket was called twice"
        assert sorted(called) == sorted(issued), "a ticket was lost"
        assert sum(1 for r in results if r) >= 6, "the calls were spread over the windows"
        calls = server_rows(h, "SELECT ticket, count(*) FROM event_log WHERE action = 'call'"
                               " GROUP BY ticket HAVING count(*) > 1")
        assert calls == []
        assert h.server.hall.worker.submit(lambda c: log_repo.verify(c.db.conn)).result().intact
    finally:
        h.close()


def test_every_state_change_reaches_a_subscribed_panel(hall):
    panel = Collector(hall)
    kiosk, w1, w2 = hall.kiosk(), hall.counter(1), hall.counter(2)
    for _ in range(5):
        kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    t = w1.call_next(1, "a")
    w1.recall(1, "a", t.id)
    w1.no_show(1, "a", t.id)
    w2.reactivate(2, "b", t.number)
    t2 = w1.call_specific(1, "a", "A002")
    w1.start(1, "a", t2.id)
    w1.hold(1, "a", t2.id)
    w1.return_held(1, "a", t2.id)
    w1.transfer(1, "a", t2.id, to_window=2)
    t3 = w2.call_next(2, "b")
    assert t3.number == "A002"        # a ticket sent to window 2 goes there first
    w2.transfer(2, "b", t3.id, to_service="ZX", raised=True)
    t4 = w2.call_next(2, "b")
    w2.start(2, "b", t4.id)
    w2.finish(2, "b", t4.id)
    w1.pause(1, "a", "会议")
    w1.resume(1, "a")
    w1.sign_out(1, "a")
    head = server_rows(hall, "SELECT seq, action FROM event_log ORDER BY seq")
    wait_for(lambda: panel.queue_seqs() and panel.queue_seqs()[-1] == head[-1][0])
    panel.stream.stop()
    # every log entry after the panel connected arrived, once, in order
    first = panel.events[0]["data"]["seq"]        # the state it started from
    expected = [seq for seq, _ in head if seq > first]
    assert panel.queue_seqs() == expected
    assert {"issue", "call", "recall", "no_show", "reactivate", "start", "hold", "return",
            "transfer", "finish", "pause", "resume", "sign_in", "sign_out"} <= set(panel.actions())
    last = next(e["data"] for e in reversed(panel.events) if e["event"] == "queue")
    # A002 went to 咨询 (ZX), which window 2 does not serve: it waits there
    assert last["waiting"] == {"ZH": {"0": 3}, "ZX": {"0": 1}}


def test_a_panel_that_reconnects_gets_what_it_missed_even_across_a_restart(hall):
    panel = Collector(hall)
    kiosk, w1 = hall.kiosk(), hall.counter(1)
    kiosk.issue("ZH")
    wait_for(lambda: "issue" in panel.actions())
    hall.stop()
    wait_for(lambda: not panel.stream.connected)
    hall.restart()
    kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w1.call_next(1, "a")
    head = server_rows(hall, "SELECT max(seq) FROM event_log")[0][0]
    wait_for(lambda: panel.queue_seqs() and panel.queue_seqs()[-1] == head)
    seqs = panel.queue_seqs()
    assert seqs == list(range(seqs[0], head + 1)), "a gap or a repeat after reconnecting"
    assert panel.links[:3] == [True, False, True]
    panel.stream.stop()


def test_server_restart_loses_nothing(hall):
    kiosk, w1 = hall.kiosk(), hall.counter(1)
    numbers = [kiosk.issue("ZH").ticket.number for _ in range(4)]
    w1.sign_in(1, "a")
    called = w1.call_next(1, "a")
    before = w1.snapshot(1)
    hall.stop()
    hall.restart()
    after = w1.snapshot(1)
    assert after.current == before.current == called
    assert after.waiting == before.waiting == {"ZH": {0: 3}}
    assert kiosk.issue("ZH").ticket.number == "A005"      # numbering carries on
    assert numbers == ["A001", "A002", "A003", "A004"]
    w1.finish(1, "a", w1.start(1, "a", called.id).id)
    assert w1.call_next(1, "a").number == "A002"
    assert hall.server.hall.worker.submit(lambda c: log_repo.verify(c.db.conn)).result().intact


def test_fallback_serves_by_hand_and_catches_up_without_serving_twice(hall):
    links: list[bool] = []
    kiosk, w2 = hall.kiosk(), hall.counter(2)
    w1 = hall.counter(1, listen=True, on_link=links.append)
    for _ in range(5):
        kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    a001 = w1.call_next(1, "a")
    wait_for(lambda: w1.events.connected)
    assert links == [True]

    hall.stop()
    wait_for(lambda: links[-1:] == [False])
    assert not w1.events.connected, "the counter is told at once that the stream dropped"
    snap = w1.snapshot(1)
    assert snap.state == "manual" and snap.link == "offline"
    with pytest.raises(HallUnavailableError, match="手工接待"):
        w1.call_next(1, "a")
    # the applicant who was called before the outage, then A003 by hand, then a walk-in
    for number in ("A001", "A003", ""):
        t = w1.call_specific(1, "a", number)
        assert t.id < 0 and t.state is TicketState.SERVING
        assert w1.snapshot(1).current == t
        with pytest.raises(QueueError):
            w1.call_specific(1, "a", "A004")      # one applicant at a time
        w1.finish(1, "a", t.id)
    assert w1.snapshot(1).pending == 3
    rows = w1.db.query("SELECT ticket, finished_at, sent_at FROM manual_services ORDER BY id")
    assert [r["ticket"] for r in rows] == ["A001", "A003", None]
    assert all(r["finished_at"] and r["sent_at"] is None for r in rows)

    hall.restart()
    wait_for(lambda: w1.events.connected)
    snap = w1.snapshot(1)
    assert snap.link == "online" and snap.state == "open" and snap.pending == 0
    # the server has them: A001 and A003 finished at window 1, the walk-in recorded
    states = dict(server_rows(hall, "SELECT number, state FROM tickets"))
    assert states == {"A001": "finished", "A002": "waiting", "A003": "finished",
                      "A004": "waiting", "A005": "waiting"}
    walk_in = server_rows(hall, "SELECT count(*) FROM event_log WHERE action = 'manual_service'")
    assert walk_in == [(1,)]
    # nobody calls A003 again
    assert [w2.call_next(2, "b").number] == ["A002"]
    assert a001.number == "A001"
    # a resend (the answer was lost) is applied once
    uid = w1.db.one("SELECT uid FROM manual_services WHERE ticket = 'A003'")["uid"]
    again = requests.post(f"{hall.url}/api/v1/windows/1/manual", timeout=5,
                          headers={"Authorization": f"Bearer {hall.tokens['W1']}"},
                          json={"uid": uid, "clerk": "a", "number": "A003",
                                "started_at": rows[1]["finished_at"],
                                "finished_at": rows[1]["finished_at"]})
    assert again.json()["result"] == "served"
    finishes = server_rows(hall, "SELECT count(*) FROM event_log WHERE action = 'manual_finish'"
                                 " AND ticket = 'A003'")
    assert finishes == [(1,)]


def test_a_manual_service_that_clashes_is_kept_for_review_not_served_twice(hall):
    pause = FakeSeconds(time.monotonic())
    kiosk, w1, w2 = hall.kiosk(), hall.counter(1, monotonic=pause), hall.counter(2)
    kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    real = w1.http.url
    w1.http.url = "http://127.0.0.1:9"          # window 1's cable is pulled
    manual = w1.call_specific(1, "a", "A001")
    t = w2.call_next(2, "b")                    # meanwhile window 2 serves A001 online
    w2.finish(2, "b", w2.start(2, "b", t.id).id)
    w1.finish(1, "a", manual.id)
    w1.http.url = real
    pause.advance(0.1)                          # within the retry pause: not asked yet
    assert w1.snapshot(1).pending == 1 and w1.snapshot(1).link == "offline"
    pause.advance(0.15)                         # past it
    assert w1.snapshot(1).pending == 0
    result = w1.manual_results()[0]
    assert result["result"] == "conflict" and "2 号窗口" in result["message"]
    rows = server_rows(hall, "SELECT window, state FROM tickets WHERE number = 'A001'")
    assert rows == [(2, "finished")]
    assert server_rows(hall, "SELECT count(*) FROM event_log WHERE action = 'manual_conflict'") == [(1,)]


def test_devices_are_authenticated_and_kept_to_their_role(hall):
    url = hall.url + "/api/v1"
    assert requests.get(url + "/hall", timeout=5).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert requests.get(url + "/hall", headers=bad, timeout=5).status_code == 401
    kiosk = {"Authorization": f"Bearer {hall.token('K1', DeviceKind.KIOSK)}"}
    assert requests.post(url + "/tickets", json={"service": "ZH"}, headers=kiosk,
                         timeout=5).status_code == 201
    refused = requests.post(url + "/windows/1/call-next", json={"clerk": "x"}, headers=kiosk,
                            timeout=5)
    assert refused.status_code == 403 and "kiosk" in refused.json()["detail"]["message"]
    w1 = hall.counter(1)
    with pytest.raises(HallAuthError, match="1 号窗口"):
        w1.sign_in(2, "a")
    panel = {"Authorization": f"Bearer {hall.token('P1', DeviceKind.PANEL)}"}
    assert requests.post(url + "/tickets", json={"service": "ZH"}, headers=panel,
                         timeout=5).status_code == 403
    assert requests.get(url + "/state", headers=panel, timeout=5).json()["waiting"] == {
        "ZH": {"0": 1}}
    unknown = requests.post(url + "/tickets", json={"service": "NOPE"}, headers=kiosk, timeout=5)
    assert unknown.status_code == 409 and "不存在" in unknown.json()["detail"]["message"]
    invalid = requests.post(url + "/tickets", json={"priority": 9}, headers=kiosk, timeout=5)
    assert invalid.status_code == 422


def test_counters_push_their_chained_logs_and_tampering_is_refused(hall):
    w1 = hall.counter(1)
    for i in range(7):
        w1.record("lock", 1, "a", {"n": i})
    assert w1.push_log() == 7
    assert w1.push_log() == 0
    stored = server_rows(hall, "SELECT seq, action FROM pushed_log ORDER BY seq")
    assert [s for s, _ in stored] == list(range(1, 8))
    # a second counter whose log was edited after the fact
    w2 = hall.counter(2)
    for i in range(3):
        w2.record("unlock", 2, "b", {"n": i})
    w2.db.conn.execute("UPDATE event_log SET clerk = 'someone' WHERE seq = 2")
    with pytest.raises(QueueError, match="第 2 条"):
        w2.push_log()
    # and a resend that differs from what the server already holds
    entries = log_repo.entries(w1.db.conn)
    entries[3]["detail"] = json.dumps({"n": 99})
    answer = requests.post(hall.url + "/api/v1/logs", json={"entries": entries[:5]}, timeout=5,
                           headers={"Authorization": f"Bearer {hall.tokens['W1']}"})
    assert answer.status_code == 422
    # a refused batch is refused whole: nothing of counter 2's edited log was stored
    assert server_rows(hall, "SELECT count(*) FROM pushed_log") == [(7,)]


def test_a_counter_started_while_the_server_is_down_uses_the_cached_hall(hall):
    w1 = hall.counter(1)
    windows = w1.windows()
    hall.stop()
    try:
        assert [w.number for w in w1.windows()] == [w.number for w in windows]
        assert w1.sign_in(1, "a").state == "manual"
    finally:
        hall.restart()


def test_the_openapi_document_lists_the_contract(hall):
    doc = requests.get(hall.url + "/openapi.json", timeout=5).json()
    paths = set(doc["paths"])
    assert {"/api/v1/tickets", "/api/v1/windows/{window}/{action}", "/api/v1/events",
            "/api/v1/windows/{window}/manual", "/api/v1/logs", "/api/v1/state"} <= paths
    actions = doc["components"]["schemas"]["WindowAction"]["enum"]
    assert {"call-next", "recall", "transfer", "pause"} <= set(actions)


def test_hall_server_cli_imports_registers_and_lists(tmp_path, capsys):
    from hallclient.app import main

    assert main(["--data-dir", str(tmp_path), "hall-server", "import-hall"]) == 0
    assert main(["--data-dir", str(tmp_path), "hall-server", "add-device", "W3",
                 "--kind", "counter", "--window", "3"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["--data-dir", str(tmp_path), "hall-server", "devices"]) == 0
    assert "W3\t窗口机\t3" in capsys.readouterr().out
    db = open_database(tmp_path / "hall-server" / DB_FILE)
    try:
        from hallclient.servers.hall_devices import hash_token
        assert db.one("SELECT device_id FROM hall_devices WHERE token_hash = ?",
                      (hash_token(token),))["device_id"] == "W3"
    finally:
        db.close()


def test_hall_server_add_device_refuses_a_window_the_hall_does_not_have(tmp_path, capsys):
    from hallclient.app import main

    base = ["--data-dir", str(tmp_path), "hall-server"]
    # no hall yet: the window cannot be checked, so it is not taken on trust
    assert main([*base, "add-device", "W09", "--kind", "counter", "--window", "99"]) == 2
    assert "还没有导入大厅配置" in capsys.readouterr().err
    assert main([*base, "import-hall"]) == 0
    assert main([*base, "add-device", "W09", "--kind", "counter", "--window", "7"]) == 0
    capsys.readouterr()
    assert main([*base, "add-device", "W10", "--kind", "counter", "--window", "99"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == ("大厅没有 99 号窗口（已导入的窗口：1、2、3、4、5、6、7）：核对 --window；"
                                 "窗口有增减时先用 hall-server import-hall 导入新的大厅配置\n")
    assert main([*base, "add-device", "K1", "--kind", "kiosk"]) == 0
    assert main([*base, "add-device", "P1", "--kind", "panel"]) == 0
    capsys.readouterr()
    assert main([*base, "devices"]) == 0
    rows = [line.split("\t")[:3] for line in capsys.readouterr().out.splitlines()]
    assert rows == [["设备标识", "类型", "窗口"], ["K1", "取号机", ""], ["P1", "综合屏", ""],
                    ["W09", "窗口机", "7"]]


def test_admin_joins_a_counter_to_the_hall_and_status_shows_the_link(hall, tmp_path, capsys,
                                                                     monkeypatch):
    import io

    from hallclient.app import main

    data = tmp_path / "counter-pc"
    token = hall.server.add_device("W5", DeviceKind.COUNTER, 5)
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    assert main(["--data-dir", str(data), "admin", "join-hall", hall.url, "W5",
                 "--token-stdin"]) == 0
    assert token not in (data / "config.ini").read_text(encoding="utf-8")
    hall.kiosk().issue("SC")
    capsys.readouterr()
    assert main(["--data-dir", str(data), "admin", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queue_source"] == "hall"
    assert status["waiting"] == {"SC": 1}
    assert status["hall"]["online"] is True and status["hall"]["manual_pending"] == 0
    assert [w["number"] for w in status["windows"]] == list(range(1, 8))
    hall.stop()
    try:
        assert main(["--data-dir", str(data), "admin", "status", "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["hall"]["online"] is False and status["waiting"] is None
        assert any("大厅服务器" in p for p in status["config_problems"])
    finally:
        hall.restart()


def test_a_counter_reads_its_snapshot_again_only_when_an_event_concerns_it(hall):
    heard: SimpleQueue[dict] = SimpleQueue()      # the stream's thread puts, this one takes
    kiosk, w2 = hall.kiosk(), hall.counter(2)
    w1 = hall.counter(1, listen=True, on_event=heard.put)
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    wait_for(lambda: w1.events.connected and w1.events.connected_window == 1)
    head = hall.server.hall.worker.submit(lambda core: core.head()).result()
    wait_for(lambda: w1.events.last_id >= head)     # the sign-ins have come through

    def news() -> list[dict]:
        taken = []
        while not heard.empty():
            taken.append(heard.get())
        return taken

    w1.snapshot(1, news())
    reads = w1.fetches

    def snapshot_when(predicate):
        """Look as QueueService does (each event handed to the next snapshot) until the view
        is right."""
        seen = []

        def look():
            got = news()
            if got:
                seen.append(w1.snapshot(1, got))
            return bool(seen) and predicate(seen[-1])

        wait_for(look, timeout=5)
        return seen[-1]

    for _ in range(3):
        kiosk.issue("ZH")
    snapshot_when(lambda s: s.waiting == {"ZH": {0: 3}})
    t = w2.call_next(2, "b")
    snapshot_when(lambda s: s.waiting == {"ZH": {0: 2}})
    assert w1.fetches == reads, "events about other windows only changed the counts"
    w2.transfer(2, "b", t.id, to_window=1)
    snapshot_when(lambda s: s.waiting == {"ZH": {0: 3}})
    assert w1.fetches == reads + 1
    assert w1.call_next(1, "a").number == t.number       # sent to window 1: it goes first
    t2 = w2.call_next(2, "b")
    w2.no_show(2, "b", t2.id)
    snap = snapshot_when(lambda s: s.no_shows)
    assert [x.number for x in snap.no_shows] == [t2.number]   # window 1 serves ZH too


def test_a_counter_stream_carries_its_own_window_and_the_rest_as_counts(hall):
    events: list[dict] = []
    stream = EventStream(hall.url, hall.token("W3", DeviceKind.COUNTER), on_event=events.append)
    stream.follow(3)
    stream.start()
    try:
        wait_for(lambda: stream.connected_window == 3)
        kiosk, w2, w3 = hall.kiosk(), hall.counter(2), hall.counter(3)
        for _ in range(4):
            kiosk.issue("SC")
        w2.sign_in(2, "b")
        w3.sign_in(3, "c")
        assert w2.call_next(2, "b") is not None       # window 2 serves 企业开办 too
        mine = w3.call_next(3, "c")
        wait_for(lambda: any(e["event"] == "queue" and e["data"]["action"] == "call"
                             for e in events))
        assert events[-1]["data"]["waiting"] == {"SC": {"0": 2}}   # it carries the counts
        assert not [e for e in events if e["event"] == "waiting"]   # so nothing else was due
        kiosk.issue("SC")                 # news for no window in particular: counts only
        wait_for(lambda: events[-1]["event"] == "waiting"
                 and events[-1]["data"]["waiting"] == {"SC": {"0": 3}})
        queue_events = [e["data"] for e in events if e["event"] == "queue"]
        assert {(e["action"], e["window"]) for e in queue_events} == {("sign_in", 3), ("call", 3)}
        assert next(e for e in queue_events if e["action"] == "call")["ticket"] == mine.number
        seqs = [int(e["id"]) for e in events if e["id"]]
        assert seqs == sorted(seqs)
    finally:
        stream.stop()


def test_the_supervisor_report_at_a_counter_covers_every_window_of_the_hall(hall, demo_catalog):
    from hallclient.core.clock import local_now
    from hallclient.services.context import DbContext
    from hallclient.services.report_service import compute, hall_records

    kiosk, w1, w2 = hall.kiosk(), hall.counter(1), hall.counter(2)
    for _ in range(4):
        kiosk.issue("ZH")
    for q, w in ((w1, 1), (w2, 2)):
        q.sign_in(w, f"c{w}")
        t = q.call_next(w, f"c{w}")
        q.finish(w, f"c{w}", q.start(w, f"c{w}", t.id).id)
    t = w2.call_next(2, "c2")
    w2.no_show(2, "c2", t.id)
    # window 2 is another PC: it accepts a case and gets a bad rating, in its own database
    from hallclient.core.evaluation import Level
    from hallclient.services.case_desk import CaseDesk
    from hallclient.services.evaluation_service import save_evaluation
    from hallclient.store import catalog_repo
    from hallclient.store.attachments import AttachmentStore

    from ..recipes import accepted_case

    with w2.db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    desk = CaseDesk(w2.db, AttachmentStore(hall.work / "att2"), region="330109", clock=local_now)
    case = accepted_case(desk, "个体工商户登记（设立登记）", window=2, clerk="c2")
    save_evaluation(DbContext(db=w2.db, clock=local_now),
                    level=Level.UNSATISFIED, reasons=["等候时间过长"], text="",
                    case_no=case.case_no, ticket="", window=2, clerk="c2", rectify_days=5)
    w2.push_log()
    today = local_now().date()
    result = compute(DbContext(db=w1.db, clock=local_now), today, today, 20, 30,
                     remote=hall_records(w1, today, today))
    r = result["report"]
    assert r.tickets.issued == 4 and r.tickets.served == 2 and r.tickets.no_show == 1
    assert sorted(r.per_window) == [1, 2] and r.per_window[2].no_show == 1
    # window 2's case and rating, seen at window 1
    assert r.cases == {"accept": 1}
    assert r.cases_by_item == {("县市场监督管理局", "个体工商户登记（设立登记）"): {"accept": 1}}
    assert r.at_most_one_visit == 1.0 and r.online_rate == 0.0 and r.satisfaction == 0.0
    assert [(e.window, e.case_no, e.reasons) for e in r.bad_reviews] == [
        (2, case.case_no, ("等候时间过长",))]
    assert r.bad_reviews[0].rectify_by is not None
    summary = {row[0]: row[1] for row in result["tables"][0].rows}
    assert "大厅服务器日志完整" in summary["操作日志"] and result["intact"]


def test_walk_ins_served_by_hand_and_second_corrections_reach_the_hall_report(hall):
    """手工接待 during an outage count in the whole hall's report once the hall server has
    them, and 二次补正 entries pushed by another counter are listed per clerk."""
    from hallclient.core.clock import local_now
    from hallclient.services.context import DbContext
    from hallclient.services.report_service import compute, hall_records

    kiosk, w1, w2 = hall.kiosk(), hall.counter(1), hall.counter(2)
    kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    hall.stop()
    for _ in range(2):                                  # two walk-ins, no ticket
        t = w1.call_specific(1, "a", "")
        w1.finish(1, "a", t.id)
    hall.restart()
    wait_for(lambda: w1.snapshot(1).pending == 0)
    with w2.db.write() as conn:                         # as the intake writes it
        log_repo.append(conn, at=local_now().isoformat(), action="correction_repeat", window=2,
                        clerk="b", detail={"case_no": "N-2", "reason": "身份证复印件缺反面"})
    w2.push_log()
    today = local_now().date()
    result = compute(DbContext(db=w1.db, clock=local_now), today, today, 20, 30,
                     remote=hall_records(w1, today, today))
    r = result["report"]
    assert r.tickets.manual == 2 and r.per_window[1].manual == 2
    assert r.tickets.issued == 1 and r.tickets.served == 0
    assert [(c.clerk, c.case_no, c.reason) for c in r.repeat_corrections] == [
        ("b", "N-2", "身份证复印件缺反面")]
    summary = {row[0]: row[1] for row in result["tables"][0].rows}
    assert summary["手工接待"] == 2 and summary["二次补正"] == 1
