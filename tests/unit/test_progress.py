"""办件查询: a case's state in plain words, the lockout after wrong passwords (kept across a
restart), the same answer for an unknown case and a wrong password, constant-time checks."""

from __future__ import annotations

import hmac
from datetime import timedelta

import pytest

from hallclient.core import progress as core_progress
from hallclient.core.cases import CaseStatus, Decision
from hallclient.core.progress import (
    Attempts,
    Handover,
    LockoutPolicy,
    MissingItem,
    ProgressRecord,
    Verdict,
    hash_query_password,
    judge,
    normalise_case_no,
    password_matches,
    password_matches_hash,
    progress_words,
    refusal_words,
)
from hallclient.services.case_desk import CaseDesk
from hallclient.services.progress_service import ProgressError, query_local, record_handover
from hallclient.store import case_repo, catalog_repo, log_repo, progress_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database

from ..recipes import accepted_case, case_draft

NO = "33010920261127W01AAA0001"


def words(**fields):
    found = progress_words(ProgressRecord(NO, **fields))
    return found.headline, list(found.lines)


# -- states in plain words -----------------------------------------------------------------

def test_accepted_cases_say_in_progress_with_the_promised_date():
    assert words(status=CaseStatus.ACCEPTED, promised_date="2026-12-04") == (
        "已受理", ["办理中", "承诺办结日期：2026年12月4日"])
    assert words(status=CaseStatus.CORRECTION_ENDED)[0] == "已受理"


def test_a_correction_lists_every_missing_material_with_its_reason():
    headline, lines = words(status=CaseStatus.CORRECTION_STARTED, missing=(
        MissingItem("户口簿", "须为本人页"), MissingItem("租赁合同")))
    assert headline == "需补正"
    assert lines[1:] == ["· 户口簿：须为本人页", "· 租赁合同"]


def test_done_refused_and_handed_over_cases():
    assert words(status=CaseStatus.DONE_APPROVED)[0] == "已办结"
    assert words(status=CaseStatus.DONE_REJECTED)[0] == "已办结"
    assert words(status=CaseStatus.REFUSED)[0] == "不予受理"
    ready = words(status=CaseStatus.DONE_APPROVED, handover=Handover.READY, pickup_place="一楼 3 号窗口")
    assert ready[0] == "待领取" and "取件地点：一楼 3 号窗口" in ready[1]
    posted = words(status=CaseStatus.DONE_APPROVED, handover=Handover.POSTED, waybill="SF1234567890")
    assert posted == ("已邮寄", ["办理结果已通过快递寄出", "快递单号：SF1234567890"])
    # a refused case never reads as waiting to be picked up
    assert words(status=CaseStatus.REFUSED, handover=Handover.READY, pickup_place="x")[0] == "不予受理"


def test_typed_case_numbers_are_folded_like_the_stored_ones():
    assert normalise_case_no(" ３３０１０９ 20261127w01aaa0001 ") == "33010920261127W01AAA0001"


# -- the lockout -----------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_number_for_the_configured_time(clock):
    policy = LockoutPolicy(max_failures=5, lock_minutes=30)
    record = ProgressRecord(NO, CaseStatus.ACCEPTED)
    attempts = Attempts()
    for left in (4, 3, 2, 1):
        answer, attempts = judge(attempts, record, False, clock(), policy)
        assert answer.verdict is Verdict.REFUSED and answer.tries_left == left
    answer, attempts = judge(attempts, record, False, clock(), policy)
    assert answer.verdict is Verdict.LOCKED
    assert answer.locked_until == (clock() + timedelta(minutes=30)).isoformat(timespec="seconds")
    clock.advance(minutes=29)
    answer, _ = judge(attempts, record, True, clock(), policy)       # even the right one
    assert answer.verdict is Verdict.LOCKED and answer.record is None
    clock.advance(minutes=2)
    answer, kept = judge(attempts, record, True, clock(), policy)
    assert answer.verdict is Verdict.SHOWN and answer.record == record and kept is None
    assert "09:30" in refusal_words(judge(Attempts(locked_until="2026-11-27T09:30:00+08:00"),
                                          record, True, clock() - timedelta(hours=1), policy)[0])


def test_old_wrong_answers_are_forgotten_and_the_right_one_clears_them(clock):
    policy = LockoutPolicy(max_failures=3, lock_minutes=10)
    _, attempts = judge(Attempts(), None, False, clock(), policy)
    _, attempts = judge(attempts, None, False, clock(), policy)
    assert attempts.failures == 2
    clock.advance(minutes=11)
    answer, attempts = judge(attempts, None, False, clock(), policy)
    assert answer.verdict is Verdict.REFUSED and answer.tries_left == 2


def test_an_unknown_number_answers_exactly_as_a_wrong_password(clock):
    policy = LockoutPolicy()
    unknown, _ = judge(Attempts(), None, False, clock(), policy)
    wrong, _ = judge(Attempts(), ProgressRecord(NO, 3), False, clock(), policy)
    right_password_no_case, _ = judge(Attempts(), None, True, clock(), policy)
    assert unknown == wrong == right_password_no_case
    assert refusal_words(unknown) == refusal_words(wrong)


# -- constant-time comparison -------------------------------------------------------------------

def test_passwords_are_compared_in_constant_time_also_for_an_unknown_case(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(core_progress.hmac, "compare_digest", spy)
    assert password_matches("123456", "123456")
    assert not password_matches("123457", "123456")
    assert not password_matches("123456", None)
    stored = hash_query_password("654321")
    assert password_matches_hash("654321", stored)
    assert not password_matches_hash("654320", stored)
    assert not password_matches_hash("654321", None)
    assert not password_matches_hash("000000", None)     # the stand-in's own password
    assert len(calls) == 7 and all(a == b for a, b in calls)


def test_the_published_hash_is_salted_and_never_the_password():
    one, two = hash_query_password("123456"), hash_query_password("123456")
    assert one != two and "123456" not in one
    assert one.startswith("pbkdf2-sha256$")
    assert not password_matches_hash("123456", "md5$1$AAAA$AAAA")


# -- on this PC's database ---------------------------------------------------------------------

@pytest.fixture
def desk(db, demo_catalog, clock, tmp_path):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return CaseDesk(db, AttachmentStore(tmp_path / "attachments"), region="330109",
                    device_code="W01AAA", clock=clock)


def test_the_lockout_is_kept_in_the_database_and_outlives_a_restart(desk, db, clock, tmp_path):
    done = accepted_case(desk)
    policy = LockoutPolicy(max_failures=5, lock_minutes=30)
    for _ in range(4):
        assert query_local(db, done.case_no, "999999", clock(), policy).verdict is Verdict.REFUSED
    db.close()
    reopened = open_database(tmp_path / DB_FILE)             # the kiosk was restarted
    try:
        assert query_local(reopened, done.case_no, "999999", clock(), policy).verdict is Verdict.LOCKED
        assert query_local(reopened, done.case_no, done.query_password, clock(),
                           policy).verdict is Verdict.LOCKED
        clock.advance(minutes=31)
        shown = query_local(reopened, done.case_no.lower(), done.query_password, clock(), policy)
        assert shown.verdict is Verdict.SHOWN and shown.record is not None
        assert progress_words(shown.record).headline == "已受理"
        assert progress_repo.attempts(reopened.conn, done.case_no.lower()) == Attempts()
    finally:
        reopened.close()


def test_a_correction_case_shows_its_missing_materials_and_reasons(desk, db, clock):
    draft = case_draft(desk, "个体工商户登记（设立登记）", decision=Decision.CORRECT, missing=2)
    draft.missing()[0].correction_reason = "须为本人页"
    done = desk.commit(draft, 1, "li")
    answer = query_local(db, done.case_no, done.query_password, clock(), LockoutPolicy())
    assert answer.record is not None
    names = [m.name for m in draft.missing()]
    assert [m.name for m in answer.record.missing] == names
    assert answer.record.missing[0].reason == "须为本人页"


def test_every_change_the_kiosk_shows_waits_to_be_published(desk, db, clock):
    done = accepted_case(desk)
    (first,) = progress_repo.unpublished(db.conn, 10)
    with db.write() as conn:
        progress_repo.mark_published(conn, first.case_id, first.rev)
    assert progress_repo.unpublished(db.conn, 10) == []
    with db.write() as conn:                       # the platform's change feed: 办结
        assert case_repo.set_status(conn, done.case_no, CaseStatus.DONE_APPROVED, "2026-11-28T10:00")
    (changed,) = progress_repo.unpublished(db.conn, 10)
    assert changed.rev > first.rev and changed.record.status == CaseStatus.DONE_APPROVED
    with db.write() as conn:               # published an older revision: the new one still waits
        progress_repo.mark_published(conn, changed.case_id, first.rev)
    assert len(progress_repo.unpublished(db.conn, 10)) == 1


def test_the_clerk_records_pickup_or_posting_on_the_log(desk, db, clock):
    done = accepted_case(desk)
    with pytest.raises(ProgressError, match="须填写快递单号"):
        record_handover(db, done.case_no, Handover.POSTED, " ", "", "2026-11-28T10:00")
    with pytest.raises(ProgressError, match="找不到办件"):
        record_handover(db, "X" * 20, Handover.READY, "", "一楼", "2026-11-28T10:00")
    record_handover(db, done.case_no, Handover.POSTED, " SF1234567890 ", "", "2026-11-28T10:00",
                    clerk="li")
    answer = query_local(db, done.case_no, done.query_password, clock(), LockoutPolicy())
    assert answer.record is not None and answer.record.waybill == "SF1234567890"
    assert progress_words(answer.record).headline == "已邮寄"
    last = log_repo.entries(db.conn)[-1]
    assert last["action"] == "case_handover" and "SF1234567890" in last["detail"]


def test_a_refused_case_cannot_be_handed_over(desk, db):
    draft = case_draft(desk, decision=Decision.REFUSE)
    draft.refusal_reason, draft.refusal_agency = "不属于本机关职权范围", "市市场监督管理局"
    done = desk.commit(draft, 1, "li")
    with pytest.raises(ProgressError, match="不予受理"):
        record_handover(db, done.case_no, Handover.READY, "", "一楼", "2026-11-28T10:00")


def test_admin_handover_records_posting_and_says_what_is_wrong(desk, db, tmp_path, capsys):
    from hallclient.app import main

    done = accepted_case(desk)
    data = str(tmp_path)                       # the db fixture's file is this data dir's
    assert main(["--data-dir", data, "admin", "handover", done.case_no.lower(),
                 "--waybill", "SF1234567890", "--clerk", "li"]) == 0
    assert f"办件 {done.case_no}：已邮寄，快递单号 SF1234567890" in capsys.readouterr().out
    assert progress_repo.progress(db.conn, done.case_no).record.handover is Handover.POSTED
    assert main(["--data-dir", data, "admin", "handover", done.case_no, "--place", " "]) == 3
    assert "待领取须填写取件地点" in capsys.readouterr().err
    assert main(["--data-dir", data, "admin", "handover", "NOSUCHCASE01", "--place", "一楼"]) == 3
    assert "找不到办件 NOSUCHCASE01" in capsys.readouterr().err


def test_the_service_records_a_handover_on_the_db_lane(desk, db, clock, qtbot):
    from hallclient.services.context import DbContext
    from hallclient.services.progress_service import ProgressService
    from hallclient.services.tasks import InlineRunner

    done = accepted_case(desk)
    service = ProgressService(InlineRunner(db=DbContext(db, clock)))
    with qtbot.waitSignal(service.handover_failed) as failed:
        service.record_handover(done.case_no, Handover.READY, "", "li", 1)
    assert failed.args == ["待领取须填写取件地点"]
    with qtbot.waitSignal(service.handover_recorded) as recorded:
        service.record_handover(done.case_no, Handover.READY, "一楼 3 号窗口", "li", 1)
    assert recorded.args == [done.case_no]
    with qtbot.waitSignal(service.progress_shown) as shown:
        service.query(done.case_no, done.query_password)
    assert shown.args[0].headline == "待领取"
    assert "取件地点：一楼 3 号窗口" in shown.args[0].lines
