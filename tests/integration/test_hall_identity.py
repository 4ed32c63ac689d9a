"""Who may talk to the hall server, as what: tokens that can be taken back at once, logs
that only their own counter can add to, event streams kept to the caller's window."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pytest
import requests

from hallclient.core import eventlog
from hallclient.store import log_repo, meta
from hallclient.wire.hall import DeviceKind

from .hall_fixtures import start_hall


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hall_command(hall, *args: str) -> subprocess.CompletedProcess:
    """The ``hall-server`` command an IT admin types on the server PC, beside the running server."""
    return subprocess.run([sys.executable, "-m", "hallclient", "--data-dir",
                           str(hall.data_dir.parent), "hall-server", *args],
                          capture_output=True, text=True, timeout=60)


def test_a_re_keyed_or_revoked_device_is_refused_at_once_while_the_server_runs(hall):
    url = hall.url + "/api/v1"
    old = hall.token("W2", DeviceKind.COUNTER)
    assert requests.get(url + "/hall", headers=bearer(old), timeout=5).status_code == 200

    rekeyed = hall_command(hall, "add-device", "W2", "--kind", "counter", "--window", "2")
    assert rekeyed.returncode == 0, rekeyed.stderr
    new = rekeyed.stdout.strip().splitlines()[-1]
    for path, method, body in (("/hall", "GET", None), ("/windows/2", "GET", None),
                               ("/windows/2/sign-in", "POST", {"clerk": "x"})):
        answer = requests.request(method, url + path, json=body, headers=bearer(old), timeout=5)
        assert answer.status_code == 401, (path, answer.text)
    assert requests.get(url + "/hall", headers=bearer(new), timeout=5).status_code == 200

    revoked = hall_command(hall, "revoke-device", "W2")
    assert revoked.returncode == 0 and "已停用设备 W2" in revoked.stdout, revoked.stderr
    assert requests.get(url + "/hall", headers=bearer(new), timeout=5).status_code == 401
    listed = hall_command(hall, "devices").stdout
    assert any(line.startswith("W2\t窗口机\t2\t否") for line in listed.splitlines())
    again = hall_command(hall, "revoke-device", "W2")
    assert again.returncode == 2 and "没有在用的设备 W2" in again.stderr
    # the revocation is in the server's own log
    actions = [a for (a,) in hall.server.hall.worker.submit(lambda core: core.db.conn.execute(
        "SELECT action FROM event_log").fetchall()).result()]
    assert "device_revoked" in actions


def test_anonymous_and_refused_callers_learn_nothing_of_the_request_they_sent(hall):
    url = hall.url + "/api/v1"
    for token in (None, "not-a-token"):
        headers = bearer(token) if token else {}
        for answer in (
                requests.post(url + "/tickets", data=b"{not json", headers=headers, timeout=5),
                requests.post(url + "/tickets", json={"priority": "x"}, headers=headers, timeout=5),
                requests.get(url + "/windows/99999999999999999999999", headers=headers, timeout=5),
                requests.get(url + "/no-such-route", headers=headers, timeout=5)):
            assert answer.status_code == 401, answer.text
            assert answer.json()["detail"]["error"] == "device"
            assert "fields" not in answer.json()["detail"]
            assert answer.headers["WWW-Authenticate"] == "Bearer"


def forged_entries(log_id: str, window: int, action: str, seq0: int = 1,
                   prev: str = eventlog.GENESIS, count: int = 1) -> list[dict]:
    """A well-chained log written by hand (what a tampering counter can always make)."""
    return rechain([{"seq": seq, "at": "2026-11-30T10:00:00.000", "device": log_id,
                     "window": window, "clerk": "x", "action": action, "ticket": None,
                     "detail": json.dumps({"case_no": f"F{seq}"})}
                    for seq in range(seq0, seq0 + count)], prev)


def test_a_counter_cannot_push_another_windows_or_another_counters_log(hall):
    url = hall.url + "/api/v1/logs"
    w1, w2 = hall.counter(1), hall.counter(2)
    w2.record("lock", 2, "b", {})
    assert w2.push_log() == 1                     # W2's log now belongs to W2
    w2_log = log_repo.device_id(w2.db.conn)

    def pushed() -> int:
        return hall.server.hall.worker.submit(lambda core: core.db.conn.execute(
            "SELECT count(*) FROM pushed_log").fetchone()[0]).result()

    # W1 (bound to window 1) writes an acceptance at window 2 under a log id of its own
    forged = requests.post(url, json={"entries": forged_entries("f" * 32, 2, "intake_accept")},
                           headers=bearer(hall.tokens["W1"]), timeout=5)
    assert forged.status_code == 403 and "1 号窗口" in forged.json()["detail"]["message"]
    # ... or adds to W2's own log, about its own window
    head = log_repo.entries(w2.db.conn)[-1]
    grafted = forged_entries(w2_log, 1, "intake_accept", seq0=2, prev=head["hash"])
    answer = requests.post(url, json={"entries": grafted}, headers=bearer(hall.tokens["W1"]),
                           timeout=5)
    assert answer.status_code == 403 and "另一台设备" in answer.json()["detail"]["message"]
    assert pushed() == 1
    # W2 goes on pushing its own log, and W1 its own
    w2.record("unlock", 2, "b", {})
    assert w2.push_log() == 1
    w1.record("lock", 1, "a", {})
    assert w1.push_log() == 1
    assert pushed() == 3
    # an unbound counter may push entries of any window, but only to a log of its own
    roaming = hall.token("R1", DeviceKind.COUNTER)
    assert requests.post(url, json={"entries": forged_entries("e" * 32, 5, "lock")},
                         headers=bearer(roaming), timeout=5).status_code == 200
    assert requests.post(url, json={"entries": grafted}, headers=bearer(roaming),
                         timeout=5).status_code == 403
    # kiosks and panels push no logs
    for kind, name in ((DeviceKind.KIOSK, "K9"), (DeviceKind.PANEL, "P9")):
        assert requests.post(url, json={"entries": forged_entries("d" * 32, 1, "lock")},
                             headers=bearer(hall.token(name, kind)), timeout=5).status_code == 403


def read_stream(url: str, token: str, since: int | None = None) -> tuple[int, list[dict]]:
    """Status and the events an event stream sends (after event ``since``, as a stream
    picking up again asks) before it falls quiet for a second."""
    events: list[dict] = []
    current: dict = {}
    headers = bearer(token) | ({"Last-Event-ID": str(since)} if since is not None else {})
    try:
        with requests.get(url, headers=headers, stream=True, timeout=(5, 1.0)) as answer:
            if answer.status_code != 200:
                return answer.status_code, events
            for line in answer.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    current["event"] = line[7:]
                elif line.startswith("data: "):
                    current["data"] = json.loads(line[6:])
                elif not line and current:
                    events.append(current)
                    current = {}
    except requests.exceptions.ConnectionError:      # quiet for a second: all was sent
        pass
    return 200, events


def queue_windows(events: list[dict]) -> set[int]:
    return {e["data"]["window"] for e in events if e["event"] == "queue"}


def test_event_streams_are_kept_to_what_the_device_may_see(hall):
    url = hall.url + "/api/v1/events"
    w1, w2 = hall.counter(1), hall.counter(2)
    kiosk = hall.kiosk()
    for _ in range(2):
        kiosk.issue("ZH")
    w1.sign_in(1, "a")
    w2.sign_in(2, "b")
    assert w1.call_next(1, "a") is not None
    assert w2.call_next(2, "b") is not None
    # a counter bound to window 1 may not follow window 2
    assert read_stream(url + "?window=2", hall.tokens["W1"])[0] == 403
    # without ?window it gets its own window's news, not the others'
    status, events = read_stream(url, hall.tokens["W2"], since=1)
    assert status == 200 and queue_windows(events) == {2}
    # a kiosk gets the waiting counts, not who was called where
    status, events = read_stream(url, hall.token("K1", DeviceKind.KIOSK), since=1)
    assert status == 200 and queue_windows(events) == set()
    assert [e for e in events if e["event"] == "waiting"]
    # a panel gets the whole hall
    status, events = read_stream(url, hall.token("P1", DeviceKind.PANEL), since=1)
    assert status == 200 and {1, 2} <= queue_windows(events)


def test_a_pushed_log_cannot_break_or_bend_the_whole_hall_report(hall):
    url = hall.url + "/api/v1"
    hall.counter(1)
    hall.counter(2)
    roaming = hall.token("R1", DeviceKind.COUNTER)        # not bound to a window
    day = "2026-11-30"
    w2_log = "a" * 32
    accepted = forged_entries(w2_log, 2, "intake_accept")
    accepted[0]["detail"] = json.dumps({"case_no": "SX-0002", "item": "营业执照"})
    accepted = rechain(accepted)
    assert requests.post(url + "/logs", json={"entries": accepted}, timeout=5,
                         headers=bearer(hall.tokens["W2"])).status_code == 200
    # a detail that is not a JSON object is refused at the door
    for detail in ("not json", "[1]", "null"):
        bad = rechain([{**forged_entries("b" * 32, 1, "intake_accept")[0], "detail": detail}])
        answer = requests.post(url + "/logs", json={"entries": bad}, headers=bearer(roaming),
                               timeout=5)
        assert answer.status_code == 422, (detail, answer.text)
    # a bound counter may not decide cases "at no window"
    refuse = rechain([{**forged_entries("c" * 32, 1, "intake_refuse")[0], "window": None,
                       "detail": json.dumps({"case_no": "SX-0002"})}])
    assert requests.post(url + "/logs", json={"entries": refuse}, timeout=5,
                         headers=bearer(hall.tokens["W1"])).status_code == 403
    # an unbound counter may push, but another counter's case is not its to decide, and odd
    # shapes inside an object do not stop the report
    odd = rechain([
        {**forged_entries("d" * 32, 5, "intake_refuse")[0],
         "detail": json.dumps({"case_no": "SX-0002"})},
        {**forged_entries("d" * 32, 5, "rating")[0], "seq": 2,
         "detail": json.dumps({"level": ["1"], "reasons": 5})},
        {**forged_entries("d" * 32, 5, "intake_accept")[0], "seq": 3,
         "detail": json.dumps({"case_no": ["x"]})}])
    assert requests.post(url + "/logs", json={"entries": odd}, headers=bearer(roaming),
                         timeout=5).status_code == 200
    report = requests.get(url + f"/records?first={day}&last={day}", headers=bearer(roaming),
                          timeout=10)
    assert report.status_code == 200, report.text
    cases = {c["case_no"]: c for c in report.json()["cases"]}
    assert cases["SX-0002"]["decision"] == "accept" and cases["SX-0002"]["window"] == 2
    assert report.json()["ratings"] == []


def rechain(entries: list[dict], prev: str = eventlog.GENESIS) -> list[dict]:
    """The entries chained by their hashes (again, after their fields were changed)."""
    out = []
    for e in entries:
        fields = {k: e[k] for k in ("seq", "at", "device", "window", "clerk", "action",
                                    "ticket", "detail")}
        digest = eventlog.entry_hash(prev, fields)
        out.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def test_a_revoked_devices_open_stream_ends_and_a_stream_from_beyond_the_log_starts_over(hall):
    url = hall.url + "/api/v1/events"
    panel = hall.token("P1", DeviceKind.PANEL)
    status, events = read_stream(url, panel, since=10_000)       # a log restored from backup
    assert status == 200 and [e["event"] for e in events][:1] == ["state"]
    with requests.get(url, headers=bearer(panel), stream=True, timeout=(5, 10)) as answer:
        lines = answer.iter_lines(decode_unicode=True)
        assert next(lines).startswith("id: ")              # the whole hall
        revoked = hall_command(hall, "revoke-device", "P1")
        assert revoked.returncode == 0, revoked.stderr
        started = time.monotonic()
        hall.kiosk().issue("ZH")
        rest = list(lines)                                   # the server ends the stream
        assert time.monotonic() - started < 8
    assert not any("device_revoked" in line or '"action": "issue"' in line for line in rest)


def test_a_revoked_counter_is_signed_out_and_knows_it_was_refused(hall, tmp_path, monkeypatch,
                                                                  capsys):
    from hallclient.app import main
    from hallclient.config import CONFIG_FILE, Config
    from hallclient.queue.hall_link import HallRefusedError

    from .hall_fixtures import server_rows

    counter = hall.counter(1)
    counter.sign_in(1, "clerk1")
    hall.kiosk().issue("ZH")
    assert counter.call_next(1, "clerk1").number == "A001"
    assert counter.snapshot(1).link == "online"
    pc = tmp_path / "counter-pc"                # the same token joined on a counter PC
    pc.mkdir()
    Config(pc / CONFIG_FILE).save()
    monkeypatch.setattr("sys.stdin", io.StringIO(hall.tokens["W1"] + "\n"))
    assert main(["--data-dir", str(pc), "admin", "join-hall", hall.url, "W1", "--token-stdin"]) == 0
    assert main(["--data-dir", str(pc), "admin", "status"]) == 0      # sees the hall once
    panel = hall.token("P1", DeviceKind.PANEL)
    with requests.get(hall.url + "/api/v1/events", headers=bearer(panel), stream=True,
                      timeout=(5, 20)) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        next(lines)
        revoked = hall_command(hall, "revoke-device", "W1")
        assert revoked.returncode == 0, revoked.stderr
        # the hall sees window 1 signed out, without anyone else acting on the server
        deadline = time.monotonic() + 30
        signed_out = None
        for line in lines:
            if line.startswith("data: ") and '"sign_out"' in line:
                signed_out = json.loads(line[len("data: "):])
                break
            assert time.monotonic() < deadline, "no sign_out event"
        assert signed_out is not None and signed_out["window"] == 1
    assert server_rows(hall, "SELECT state, clerk FROM windows WHERE number = 1") == [("closed", None)]
    # the ticket called there, not yet served, is back at the front of its queue
    assert server_rows(hall, "SELECT state, window FROM tickets WHERE number = 'A001'") == [
        ("waiting", None)]
    other = hall.counter(2)
    other.sign_in(2, "clerk2")
    hall.kiosk().issue("ZH")
    assert other.call_next(2, "clerk2").number == "A001"
    entry = server_rows(hall, "SELECT clerk, detail FROM event_log WHERE action = 'sign_out'")
    assert entry and entry[-1][0] == "clerk1" and "device_revoked" in entry[-1][1]

    # the counter learns it is refused (not merely offline) and can still serve by hand
    with pytest.raises(HallRefusedError, match="令牌"):
        counter.call_next(1, "clerk1")
    snap = counter.snapshot(1)
    assert (snap.link, snap.state) == ("refused", "manual")
    walk_in = counter.call_specific(1, "clerk1", "")
    assert walk_in.id < 0                                    # recorded on this PC, sent later
    status = counter.status()
    assert status["online"] is False and "不认这台设备" in status["refused"]

    # and admin status says so, instead of 在线
    capsys.readouterr()
    main(["--data-dir", str(pc), "admin", "status"])
    said = capsys.readouterr().out
    assert "在线" not in said and "不再接受本机的令牌" in said and "join-hall" in said, said
    assert "请联系信息管理员" not in said               # the IT admin is the one reading it
    assert "窗口：7 个" in said                          # the hall as this PC last saw it


def test_a_ticket_is_recorded_as_issued_by_the_device_whose_token_took_it(hall):
    from .hall_fixtures import server_rows

    kiosk = hall.token("K1", DeviceKind.KIOSK)
    answer = requests.post(hall.url + "/api/v1/tickets", headers=bearer(kiosk), timeout=5,
                           json={"service": "ZH", "device": "K9-at-the-door"})
    assert answer.status_code == 201, answer.text
    number = answer.json()["ticket"]["number"]
    logged = server_rows(hall, "SELECT detail FROM event_log WHERE action = 'issue' AND ticket = ?",
                         (number,))
    assert [json.loads(detail)["device"] for (detail,) in logged] == ["K1"]


def test_a_sign_in_at_another_window_leaves_the_event_stream_on_this_one(hall):
    from hallclient.queue.hall_link import HallForbiddenError

    from .hall_fixtures import wait_for

    counter = hall.counter(1, listen=True)
    counter.sign_in(1, "clerk1")
    wait_for(lambda: counter.events.connected and counter.events.connected_window == 1)
    with pytest.raises(HallForbiddenError):
        counter.sign_in(2, "clerk1")
    assert counter.events.window == 1
    # the stream may have been refused for window 2 meanwhile: it ends on window 1, clear
    wait_for(lambda: counter.events.connected and counter.events.connected_window == 1
             and counter.events.problem == "")


def test_a_counter_moved_to_another_window_leaves_the_old_one(hall):
    from .hall_fixtures import server_rows

    counter = hall.counter(3)
    counter.sign_in(3, "clerk3")
    hall.kiosk().issue("SC")
    called = counter.call_next(3, "clerk3")
    assert called is not None
    moved = hall_command(hall, "add-device", "W3", "--kind", "counter", "--window", "4")
    assert moved.returncode == 0, moved.stderr
    assert server_rows(hall, "SELECT state, clerk FROM windows WHERE number = 3") == [("closed", None)]
    assert server_rows(hall, "SELECT state FROM tickets WHERE number = ?", (called.number,)) == [
        ("waiting",)]
    # re-keying without a move leaves the window as it is
    other = hall.counter(5)
    other.sign_in(5, "clerk5")
    again = hall_command(hall, "add-device", "W5", "--kind", "counter", "--window", "5")
    assert again.returncode == 0, again.stderr
    assert server_rows(hall, "SELECT state FROM windows WHERE number = 5") == [("open",)]


def test_a_counter_whose_log_id_was_taken_first_is_told(hall):
    """W2 knows W5's log id (it is on W5's admin status) before W5 first pushes: W5's log
    is then refused for good. That must not pass in silence: W5 says so."""
    w5 = hall.counter(5)
    w5.record("lock", 5, "e", {})
    taken = forged_entries(log_repo.device_id(w5.db.conn), 2, "note")
    answer = requests.post(hall.url + "/api/v1/logs", json={"entries": taken[:1]},
                           headers=bearer(hall.token("W2", DeviceKind.COUNTER)), timeout=5)
    assert answer.status_code == 200, answer.text
    w5.push_log_if_up()
    status = w5.status()
    assert "另一台设备" in status["log_refused"]


def test_a_log_entry_too_big_for_the_push_is_cut_and_what_follows_still_goes(hall):
    """A 9,000-character user name typed at a failed sign-in (or any long text) would be a log
    entry the push cannot carry, holding back every entry after it: it is cut when written."""
    w5 = hall.counter(5)
    w5.record("sign_in_failed", 5, "王" * 9000, {"username": "王" * 9000})
    w5.record("lock", 5, "e", {})
    w5.push_log_if_up()
    assert w5.status()["log_refused"] == ""
    entries = log_repo.entries(w5.db.conn)
    assert len(entries[0]["clerk"]) <= 64 and len(entries[0]["detail"]) <= 8000
    assert "截断" in entries[0]["detail"]
    assert log_repo.verify(w5.db.conn).intact
    assert int(meta.get(w5.db.conn, "hall_log_pushed")) == entries[-1]["seq"]
