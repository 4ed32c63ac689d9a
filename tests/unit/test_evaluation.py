from __future__ import annotations

import json

import pytest

from hallclient.core.evaluation import LABELS, NATIONAL_CODES, Level, problems
from hallclient.services.context import DbContext
from hallclient.services.evaluation_service import save_evaluation
from hallclient.store import case_repo, log_repo


@pytest.fixture
def ctx(db, queue, clock):
    return DbContext(db=db, queue=queue, clock=clock)


def test_levels_map_explicitly():
    assert [LABELS[lv] for lv in Level] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [NATIONAL_CODES[lv] for lv in Level] == ["5", "4", "3", "2", "1"]
    assert [lv.is_bad for lv in Level] == [False, False, False, True, True]
    assert [lv.counts_as_satisfied for lv in Level] == [True, True, False, False, False]


def test_bad_ratings_need_a_reason():
    assert problems(Level.UNSATISFIED, [], "  ") == ["「不满意」请选择原因或填写具体情况，以便整改"]
    assert problems(Level.VERY_UNSATISFIED, ["等候时间过长"], "") == []
    assert problems(Level.UNSATISFIED, [], "窗口人员中途离开") == []
    assert problems(Level.SATISFIED, [], "") == []
    assert problems(None, [], "") == ["请选择评价等级"]
    assert "未知" in problems(Level.UNSATISFIED, ["太帅了"], "")[0]


def test_rating_values_and_the_limits_of_what_may_be_said():
    assert [lv.value for lv in Level] == ["very_satisfied", "satisfied", "basic", "unsatisfied",
                                          "very_unsatisfied"]
    assert [lv.label for lv in Level] == [LABELS[lv] for lv in Level]
    assert problems(Level.UNSATISFIED, ["太帅了", "等候时间过长", "很好"], "") == [
        "未知的评价原因：太帅了、很好"]
    assert problems(Level.SATISFIED, ["其他"], "") == []
    assert all(problems(Level.UNSATISFIED, [reason], "") == [] for reason in (
        "等候时间过长", "办事效率低", "服务态度差", "材料要求不清楚、需多次跑腿", "未一次性告知", "乱收费",
        "其他"))
    assert problems(Level.UNSATISFIED, [""], "") == ["未知的评价原因："]
    assert problems(Level.BASICALLY_SATISFIED, [], "字" * 500) == []
    assert problems(Level.BASICALLY_SATISFIED, [], "字" * 501) == ["具体情况请控制在 500 字以内"]
    assert problems(Level.VERY_UNSATISFIED, [], "") == [
        "「非常不满意」请选择原因或填写具体情况，以便整改"]


def test_a_bad_rating_is_stored_with_its_rectification_deadline(ctx, db):
    result = save_evaluation(ctx, level=Level.VERY_UNSATISFIED, reasons=["办事效率低"],
                             text="等了两个小时", case_no="", ticket="A001", window=3,
                             clerk="li", rectify_days=5)
    assert result.rectify_by == "2026-12-04"      # 5 working days after Fri 2026-11-27
    (row,) = case_repo.evaluations(db.conn, "2026-11-27")
    assert row["level"] == "very_unsatisfied" and json.loads(row["reasons"]) == ["办事效率低"]
    assert row["channel"] == "政务大厅平板电脑" and row["window"] == 3 and row["ticket"] == "A001"
    outbox = db.conn.execute("SELECT kind, evaluation_id, idempotency_key FROM outbox").fetchall()
    assert outbox == [("evaluation", row["id"], f"evaluation:{row['uid']}")]
    entry = log_repo.entries(db.conn)[-1]
    assert entry["action"] == "rating" and '"bad":true' in entry["detail"]
    assert "两个小时" not in entry["detail"]


def test_an_incomplete_bad_rating_stores_nothing(ctx, db):
    with pytest.raises(ValueError, match="请选择原因"):
        save_evaluation(ctx, level=Level.UNSATISFIED, reasons=[], text="", case_no="",
                        ticket="A001", window=1, clerk="li", rectify_days=5)
    assert case_repo.evaluations(db.conn) == []
