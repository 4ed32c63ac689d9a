"""The outbox engine against the real simulator on loopback."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import requests

from hallclient.core.cases import Decision
from hallclient.core.catalog import CatalogRefusedError
from hallclient.core.evaluation import Level
from hallclient.platform.client import PlatformClient
from hallclient.services.context import DbContext
from hallclient.services.evaluation_service import save_evaluation
from hallclient.store import catalog_repo, outbox_repo
from hallclient.sync.engine import Backoff, OutboxEngine, utc_now

from ..recipes import accepted_case, case_draft
from .test_platform_client import RecordingSession
from .test_platform_sim import API, faults


@pytest.fixture
def engine(sim, desk, db):
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    yield OutboxEngine(db, desk.attachments, client, rng=random.Random(1), backoff=Backoff(1, 60))
    client.close()


def stats(sim):
    return requests.get(sim.url + API + "/admin/stats", timeout=5).json()


def test_a_case_reaches_the_platform_with_its_blobs(sim, desk, engine, db):
    done = accepted_case(desk)
    report = engine.run_once()
    assert (report.done, report.retried, report.attention) == (1, 0, 0)
    assert stats(sim) == {"cases": 1, "blobs": 2, "evaluations": 0}
    stored = engine.client.request("GET", f"{API}/cases/{done.uid}").json()
    assert stored["case"]["case_no"] == done.case_no and stored["case"]["applicant_name"] == "王𠮷"
    assert outbox_repo.counts(db.conn) == {"done": 1}
    assert engine.run_once().touched == 0                      # nothing left to do


def test_retry_after_is_honoured_and_backoff_is_jittered(sim, desk, engine, db):
    accepted_case(desk)
    faults(sim, retry_after_rate=1.0, retry_after_seconds=120, seed=1)
    report = engine.run_once()
    assert report.retried == 1
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["attempts"] == 1 and "暂时不可用" in row["last_error"]
    wait = (row["next_try_at"] > (utc_now() + timedelta(seconds=115)).isoformat())
    assert wait                                                 # not sooner than Retry-After
    faults(sim)
    assert engine.run_once().touched == 0                       # not due yet
    with db.write() as conn:
        outbox_repo.retry_now(conn, row["id"])                  # 立即重试
    assert engine.run_once().done == 1
    rng = random.Random(2)
    delays = [Backoff(2, 60).delay(10, rng) for _ in range(200)]
    assert max(delays) <= 60 and min(delays) < 10               # capped, and spread


def test_a_rejected_case_goes_to_needs_attention_with_the_field_errors(sim, desk, engine, db):
    accepted_case(desk, seed=1)
    faults(sim, reject_fields={"mobile": "手机号码不符合省平台要求"})
    report = engine.run_once()
    assert report.attention == 1 and report.errors
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["state"] == "needs_attention"
    assert "mobile" in row["last_error"] and "手机号码不符合省平台要求" in row["last_error"]
    assert "upload_rejected" in [e["action"] for e in __import__(
        "hallclient.store.log_repo", fromlist=["entries"]).entries(db.conn)]


def test_a_fixed_and_resent_case_supersedes_the_refused_version(sim, desk, engine, db):
    first = accepted_case(desk, seed=1)
    other = accepted_case(desk, seed=2)
    faults(sim, reject_fields={"mobile": "手机号码不符合省平台要求"})
    assert engine.run_once().attention == 2
    faults(sim)
    fixed = desk.amend(first.case_no, {"mobile": "13900001111"}, 1, "li")   # 修改后重传
    report = engine.run_once()
    assert (report.done, report.superseded) == (1, 1)
    states = {(r["case_id"], r["version"]): r["state"] for r in outbox_repo.all_rows(db.conn)}
    # the platform has version 2 of the fixed case: its refused version 1 is settled; the
    # other refused case still waits for the clerk
    assert states == {(first.id, 1): "superseded", (first.id, 2): "done",
                      (other.id, 1): "needs_attention"}
    stored = engine.client.request("GET", f"{API}/cases/{fixed.uid}").json()
    assert stored["version"] == 2 and stored["case"]["mobile"] == "13900001111"


def test_a_case_of_another_device_goes_to_needs_attention_and_is_not_resent(sim, desk, engine, db):
    """The counter's data moved to a PC registered as another device: the platform refuses
    it the cases the old device uploaded (403), for good; they wait for the clerk with the
    reason in Chinese. Case numbers are each device's own, so the new device's cases go up,
    even under the device code the counter had before."""
    first = accepted_case(desk, seed=1)
    assert engine.run_once().done == 1                          # uploaded as W01
    requests.post(sim.url + API + "/admin/devices", json={"device_id": "W02", "secret": "pw2"},
                  timeout=5).raise_for_status()
    client = PlatformClient(sim.url, "W02", "pw2", timeout=(2, 5))
    moved = OutboxEngine(db, desk.attachments, client, rng=random.Random(1), backoff=Backoff(1, 60))
    desk.amend(first.case_no, {"mobile": "13900001111"}, 1, "li")         # version 2, from W02
    own = accepted_case(desk, seed=2)                   # a new number with the old device's code
    report = moved.run_once()
    assert (report.done, report.attention, report.retried) == (1, 1, 0)
    states = {(r["case_id"], r["version"]): (r["state"], r["last_error"])
              for r in outbox_repo.all_rows(db.conn)}
    state, reason = states[(first.id, 2)]
    assert state == "needs_attention"
    assert "HTTP 403" in reason and "另一台设备" in reason and "信息管理员" in reason
    assert states[(own.id, 1)][0] == "done"
    assert moved.run_once().touched == 0                        # not resent by itself
    stored = engine.client.request("GET", f"{API}/cases/{first.uid}").json()
    assert stored["version"] == 1                               # W01's case is untouched
    client.close()


def test_a_failing_case_never_blocks_the_ones_behind_it(sim, desk, engine, db):
    broken = accepted_case(desk, seed=1)
    accepted_case(desk, seed=2)
    case = desk.load(broken.case_no)
    desk.attachments.path(case["attachments"][0]["sha256"]).unlink()   # its scan is gone
    report = engine.run_once()
    assert (report.attention, report.done) == (1, 1)
    assert stats(sim)["cases"] == 1


def test_only_the_newest_version_is_sent(sim, desk, engine, db, clock):
    first = desk.commit(case_draft(desk, decision=Decision.CORRECT, fill=False), 1, "li")
    draft = case_draft(desk, seed=9)
    desk.resume_correction(first.case_no, draft, 1, "li")
    report = engine.run_once()
    assert (report.superseded, report.done) == (1, 1)
    stored = engine.client.request("GET", f"{API}/cases/{first.uid}").json()
    assert stored["version"] == 2 and stored["status"] == 3


def test_evaluations_are_uploaded_with_national_codes(sim, desk, engine, db, clock, queue):
    ctx = DbContext(db=db, queue=queue, clock=clock, desk=desk)
    save_evaluation(ctx, level=Level.UNSATISFIED, reasons=["等候时间过长"], text="", case_no="",
                    ticket="A001", window=1, clerk="li", rectify_days=5)
    assert engine.run_once().done == 1
    assert stats(sim)["evaluations"] == 1


def test_platform_status_changes_flow_back(sim, desk, engine, db):
    done = accepted_case(desk)
    engine.run_once()
    requests.post(f"{sim.url}{API}/admin/cases/{done.case_no}/status", params={"status": 11},
                  timeout=5).raise_for_status()
    assert engine.pull_changes() == 1
    assert desk.load(done.case_no)["status"] == 11
    assert engine.pull_changes() == 0                           # the cursor moved on


def test_a_lost_response_does_not_make_a_second_case(sim, desk, engine, db):
    accepted_case(desk)
    faults(sim, reset_rate=1.0, seed=3)
    assert engine.run_once().retried >= 1
    faults(sim)
    with db.write() as conn:
        for row in outbox_repo.all_rows(conn):
            outbox_repo.retry_now(conn, row["id"])
    assert engine.run_once().done == 1
    assert stats(sim)["cases"] == 1


def test_a_lost_attachment_needs_attention(sim, desk, engine, db):
    done = accepted_case(desk)
    case = desk.load(done.case_no)
    desk.attachments.path(case["attachments"][0]["sha256"]).unlink()
    report = engine.run_once()
    assert report.attention == 1 and "丢失" in outbox_repo.all_rows(db.conn)[0]["last_error"]


def test_catalog_refresh_uses_the_etag(sim, desk, engine, db, demo_catalog):
    small = {"version": "2026-12", "items": demo_catalog["items"][:3]}
    requests.put(sim.url + API + "/admin/catalog", json=small, timeout=5).raise_for_status()
    with pytest.raises(CatalogRefusedError) as held:    # 30 of 33 items would go at once
        engine.refresh_catalog()
    assert held.value.held and catalog_repo.count(db.conn) == 33
    assert engine.refresh_catalog(accept=True) is True
    assert catalog_repo.count(db.conn) == 3
    assert engine.refresh_catalog() is False                    # 304: nothing downloaded
    bad = {"version": "x", "items": [dict(demo_catalog["items"][0], item_type="77")]}
    requests.put(sim.url + API + "/admin/catalog", json=bad, timeout=5).raise_for_status()
    with pytest.raises(ValueError):
        engine.refresh_catalog()
    assert catalog_repo.count(db.conn) == 3                     # the local copy is kept


def test_a_case_answered_in_progress_for_too_long_goes_to_needs_attention(sim, desk, db, clock):
    """The platform keeps saying "in progress" (its key stuck): the row is resent while the
    platform says when to, then shown to the clerk as 需处理 with the reason."""
    accepted_case(desk)
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    engine = OutboxEngine(db, desk.attachments, client, clock=clock, rng=random.Random(1))

    def stuck(uid, body, key):
        answer = requests.Response()
        answer.status_code = 409
        answer.headers["Retry-After"] = "30"
        answer._content = b'{"error": "in_progress", "retry_after": 30}'
        client._raise_for(answer)

    client.upsert_case = stuck
    first = engine.run_once()
    assert (first.retried, first.attention) == (1, 0)
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["next_try_at"] == (clock() + timedelta(seconds=30)).isoformat(timespec="milliseconds")
    for _ in range(19):                                 # 9.5 minutes of "in progress"
        clock.advance(seconds=30)
        assert engine.run_once().retried == 1
    clock.advance(seconds=31)
    last = engine.run_once()
    assert last.attention == 1
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["state"] == "needs_attention" and "正在处理同一请求" in row["last_error"]
    assert "10 分钟" in row["last_error"] and "立即重试" in row["last_error"]
    with db.write() as conn:
        outbox_repo.retry_now(conn, row["id"])          # the clerk checked with the platform
    del client.upsert_case
    assert engine.run_once().done == 1
    client.close()


def test_a_lossy_link_costs_a_resent_request_not_a_resent_case(sim, desk, db, engine):
    """30 % of requests fail (seeded): every case still goes up in one run, each request
    tried again inside the attempt; the blobs already sent are not sent again."""
    for seed in range(8):
        accepted_case(desk, seed=seed)
    faults(sim, error_rate=0.15, reset_rate=0.18, seed=3)
    sleeps = []
    engine.sleep = sleeps.append
    report = engine.run_once()
    assert (report.done, report.retried, report.attention) == (8, 0, 0), report.errors
    assert sleeps and max(sleeps) <= 0.5                      # short jittered pauses
    assert stats(sim) == {"cases": 8, "blobs": 16, "evaluations": 0}
    assert outbox_repo.counts(db.conn) == {"done": 8}


def test_a_refused_blob_is_sent_again_without_asking_where_it_got_to(sim, desk, db):
    """A platform that answers 5xx took nothing: the next try sends the attachment again at
    once, without a HEAD first (each extra request on a bad link is one more to lose)."""
    for seed in range(6):
        accepted_case(desk, seed=seed)
    session = RecordingSession()
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5), session=session)
    engine = OutboxEngine(db, desk.attachments, client, rng=random.Random(1),
                          sleep=lambda _: None)
    faults(sim, error_rate=0.3, seed=5)
    report = engine.run_once()
    assert (report.done, report.retried, report.attention) == (6, 0, 0), report.errors
    assert any(e[2] is not None and e[2] >= 500 for e in session.sent)
    assert [e for e in session.sent if e[0] == "HEAD"] == []
    assert stats(sim) == {"cases": 6, "blobs": 12, "evaluations": 0}
    client.close()


def test_a_row_backs_off_only_after_repeated_whole_case_failures(sim, desk, db, clock):
    accepted_case(desk)
    client = PlatformClient(sim.url, "W01", "pw", timeout=(2, 5))
    engine = OutboxEngine(db, desk.attachments, client, clock=clock, rng=random.Random(1),
                          backoff=Backoff(10, 60), sleep=lambda _: None)
    faults(sim, error_rate=1.0, seed=1)
    assert engine.run_once().retried == 1
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["next_try_at"] == clock().isoformat(timespec="milliseconds")   # due again at once
    assert engine.run_once().retried == 1                     # the second whole-case failure
    (row,) = outbox_repo.all_rows(db.conn)
    assert row["attempts"] == 2 and row["next_try_at"] > clock().isoformat(timespec="milliseconds")
    faults(sim)
    assert engine.run_once().touched == 0                     # backing off now
    clock.advance(seconds=10)
    assert engine.run_once().done == 1
    client.close()
