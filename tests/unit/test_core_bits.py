from __future__ import annotations

import pytest

from hallclient.core.accounts import check_password, hash_password
from hallclient.core.announce import (
    TemplateError,
    display_text,
    speech_text,
    spoken_number,
    spoken_window,
)
from hallclient.core.tickets import (
    IllegalTransitionError,
    TicketAction,
    TicketState,
    format_number,
    next_state,
)


def test_ticket_numbers_are_prefix_and_three_digits():
    assert format_number("A", 7) == "A007"
    assert format_number("B", 123) == "B123"
    assert format_number("C", 1000) == "C1000"


@pytest.mark.parametrize("action, start, end", [
    (TicketAction.CALL, TicketState.WAITING, TicketState.CALLED),
    (TicketAction.START, TicketState.CALLED, TicketState.SERVING),
    (TicketAction.HOLD, TicketState.SERVING, TicketState.HELD),
    (TicketAction.RETURN, TicketState.HELD, TicketState.SERVING),
    (TicketAction.FINISH, TicketState.SERVING, TicketState.FINISHED),
    (TicketAction.NO_SHOW, TicketState.CALLED, TicketState.NO_SHOW),
    (TicketAction.REACTIVATE, TicketState.NO_SHOW, TicketState.WAITING),
    (TicketAction.TRANSFER, TicketState.SERVING, TicketState.WAITING),
])
def test_legal_transitions(action, start, end):
    assert next_state(action, "A001", start) is end


def test_illegal_transition_explains_in_chinese():
    with pytest.raises(IllegalTransitionError) as err:
        next_state(TicketAction.FINISH, "A001", TicketState.WAITING)
    assert err.value.message == "A001 当前状态为「等候中」，不能执行「办结」"
    with pytest.raises(IllegalTransitionError):
        next_state(TicketAction.CALL, "A001", TicketState.FINISHED)


def test_announcement_texts():
    assert spoken_number("A023") == "A 零 二 三"
    assert spoken_window(3) == "三"
    assert spoken_window(12) == "十二"
    assert spoken_window(40) == "四十"
    assert display_text("请{number}号到{window}号窗口办理", "A023", 3) == "请A023号到3号窗口办理"
    assert speech_text("请{number}号到{window}号窗口办理", "A023", 12) == "请A 零 二 三号到十二号窗口办理"


def test_bad_template_is_refused_with_a_message():
    with pytest.raises(TemplateError, match="name"):
        display_text("请{name}到窗口", "A001", 1)
    with pytest.raises(TemplateError):
        display_text("请{number号", "A001", 1)


def test_password_hash_is_salted_scrypt_and_checks():
    stored = hash_password("s3cret-密码", n=2**10)
    assert stored.startswith("scrypt$1024$8$1$")
    assert check_password("s3cret-密码", stored)
    assert not check_password("s3cret", stored)
    assert hash_password("same", n=2**10) != hash_password("same", n=2**10)
    assert not check_password("x", "garbage")
    with pytest.raises(ValueError):
        hash_password("")


def test_malloc_is_tuned_where_the_c_library_is_glibc():
    import platform
    import sys

    from hallclient.process import tune_malloc

    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert tune_malloc() is expected


def test_default_password_hash_parameters_and_salt():
    import base64

    from hallclient.core.accounts import Role

    stored = hash_password("口令", salt=b"s" * 16)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert base64.b64decode(salt) == b"s" * 16 and len(base64.b64decode(digest)) == 32
    assert len(base64.b64decode(hash_password("x", n=2**10).split("$")[4])) == 16
    assert check_password("口令", stored) is True
    assert check_password("口令", "bcrypt$16384$8$1$c3Nz$eHh4") is False
    assert check_password("口令", "scrypt$x$8$1$c3Nz$eHh4") is False
    with pytest.raises(ValueError, match="^密码不能为空$"):
        hash_password("")
    assert [r.value for r in Role] == ["clerk", "supervisor", "admin"]


def test_clerk_records_cannot_be_changed_in_place():
    import dataclasses

    from hallclient.core.accounts import Clerk, Role

    clerk = Clerk("li", "李", Role.CLERK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        clerk.role = Role.ADMIN  # type: ignore[misc]


@pytest.mark.parametrize("window, spoken", [
    (0, "零"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (99, "九十九"), (100, "100"),
    (123, "123")])
def test_window_numbers_as_spoken(window, spoken):
    assert spoken_window(window) == spoken


def test_default_template_and_a_bad_template_for_speech():
    from hallclient.core.announce import DEFAULT_TEMPLATE

    assert DEFAULT_TEMPLATE == "请{number}号到{window}号窗口办理"
    with pytest.raises(TemplateError, match="不认识：name$"):
        speech_text("请{name}到窗口", "A001", 1)
    with pytest.raises(TemplateError, match="不认识：name, place$"):
        display_text("请{place}{name}到{window}号窗口", "A001", 1)
    with pytest.raises(TemplateError, match="^播报模板格式错误"):
        speech_text("请{number号", "A001", 1)


def test_queue_action_names_are_the_logged_ones():
    from hallclient.core.tickets import TicketAction

    assert {a.name: a.value for a in TicketAction} == {
        "ISSUE": "issue", "CALL": "call", "RECALL": "recall", "NO_SHOW": "no_show",
        "REACTIVATE": "reactivate", "TRANSFER": "transfer", "HOLD": "hold", "RETURN": "return",
        "START": "start", "FINISH": "finish", "MANUAL_FINISH": "manual_finish",
        "SIGN_IN": "sign_in", "SIGN_OUT": "sign_out", "PAUSE": "pause", "RESUME": "resume",
        "SIGN_IN_OFFLINE": "sign_in_offline", "SIGN_OUT_OFFLINE": "sign_out_offline",
        "MANUAL_START": "manual_start", "MANUAL_SENT": "manual_sent",
        "MANUAL_SERVICE": "manual_service", "MANUAL_CONFLICT": "manual_conflict",
        "MANUAL_REFUSED": "manual_refused", "MANUAL_AMENDED": "manual_amended",
        "MANUAL_VOIDED": "manual_voided", "HELP_CALL": "help_call", "HELP_ANSWER": "help_answer"}
    assert str(TicketAction.NO_SHOW) == "no_show" and f"{TicketAction.CALL}" == "call"


def test_the_whole_state_machine():
    from hallclient.core.tickets import TRANSITIONS
    from hallclient.core.tickets import TicketState as S

    table = {a.value: (sorted(s.value for s in sources), target.value)
             for a, (sources, target) in TRANSITIONS.items()}
    assert table == {
        "issue": ([], "waiting"),
        "call": (["waiting"], "called"),
        "recall": (["called"], "called"),
        "no_show": (["called"], "no_show"),
        "reactivate": (["no_show"], "waiting"),
        "transfer": (["called", "held", "serving"], "waiting"),
        "hold": (["serving"], "held"),
        "return": (["held"], "serving"),
        "start": (["called"], "serving"),
        "finish": (["serving"], "finished"),
        "manual_finish": (["called", "held", "no_show", "serving", "waiting"], "finished"),
    }
    assert [s.value for s in S] == ["waiting", "called", "serving", "held", "no_show", "finished"]


def test_state_after_a_logged_action():
    from hallclient.core.tickets import state_after

    assert state_after("call") is TicketState.CALLED
    assert state_after("manual_finish") is TicketState.FINISHED
    assert state_after("issue") is TicketState.WAITING
    assert state_after("sign_in") is None           # a window move, not a ticket move
    assert state_after("intake_accept") is None     # not a queue action at all


@pytest.mark.parametrize("state, ticket_window, allowed", [
    (TicketState.WAITING, None, True), (TicketState.NO_SHOW, 2, True),
    (TicketState.CALLED, 1, True), (TicketState.SERVING, 1, True), (TicketState.HELD, 1, True),
    (TicketState.CALLED, 2, False), (TicketState.SERVING, 2, False), (TicketState.HELD, None, False),
    (TicketState.FINISHED, 1, False)])
def test_a_manual_service_finishes_only_tickets_this_window_may_have(state, ticket_window, allowed):
    from hallclient.core.tickets import manual_may_finish

    assert manual_may_finish(state, ticket_window, 1) is allowed


def test_priority_codes_and_labels_are_the_kiosks():
    from hallclient.core.tickets import PriorityClass

    assert [(p.name, int(p), p.label) for p in PriorityClass] == [
        ("NORMAL", 0, "普通"), ("APPOINTMENT", 1, "预约"), ("GREEN", 2, "绿色通道")]


def test_illegal_transition_keeps_action_and_state():
    with pytest.raises(IllegalTransitionError) as err:
        next_state(TicketAction.START, "B002", TicketState.HELD)
    assert (err.value.action, err.value.state) == (TicketAction.START, TicketState.HELD)
    assert err.value.message == "B002 当前状态为「已挂起」，不能执行「开始办理」"


@pytest.mark.parametrize("code, kind", [
    ("A023", "ticket"), (" b1234 ", "ticket"), ("A12", "material"), ("AB123", "material"),
    ("33010920261127W01AAA0001", "case"), ("3301092026112W01AAA0001", "material"),
    ("YS0123456789", "preapplication"), ("ys0123456789", "preapplication"),
    ("YS012345678", "material"), ("11010519491231002X", "id_number"),
    ("11010519491231002x", "id_number"), ("110105194912310021", "material"),
    ("6901234567892", "material")])
def test_scanned_codes_are_routed_by_what_they_are(code, kind):
    from hallclient.core.scancodes import classify

    assert classify(code).value == kind


def test_the_wall_clock_is_local_time_with_its_offset():
    from datetime import datetime, timezone

    from hallclient.core.clock import local_now

    now = local_now()
    assert now.tzinfo is not None and now.utcoffset() == datetime.now().astimezone().utcoffset()
    assert abs((now - datetime.now(timezone.utc)).total_seconds()) < 60


def test_every_state_and_move_has_its_chinese_name():
    from hallclient.core.tickets import ACTION_LABELS, STATE_LABELS, TRANSITIONS

    assert {s.value: label for s, label in STATE_LABELS.items()} == {
        "waiting": "等候中", "called": "已呼叫", "serving": "办理中", "held": "已挂起",
        "no_show": "过号", "finished": "已办结"}
    assert {a.value: label for a, label in ACTION_LABELS.items()} == {
        "issue": "取号", "call": "呼叫", "recall": "重呼", "no_show": "过号",
        "reactivate": "激活过号", "transfer": "转移", "hold": "挂起", "return": "恢复挂起",
        "start": "开始办理", "finish": "办结", "manual_finish": "手工办结"}
    assert set(ACTION_LABELS) == set(TRANSITIONS)     # every move can be refused by name


def test_a_new_ticket_is_plain_until_the_queue_moves_it():
    from hallclient.core.tickets import PriorityClass, Ticket

    t = Ticket(1, "2026-11-27", "A001", "ZH", PriorityClass.NORMAL, TicketState.WAITING,
               "2026-11-27T09:00:00+08:00")
    assert (t.window, t.target_window, t.recalls, t.raised, t.called_at, t.started_at,
            t.finished_at) == (None, None, 0, False, None, None, None)


def test_the_command_lines_roles_are_the_accounts_roles():
    from hallclient.admin.parser import ROLES
    from hallclient.core.accounts import Role

    assert ROLES == tuple(r.value for r in Role)


def test_defaults_that_say_nothing_was_given():
    """An applicant typed without an address has none; a waiting head not transferred to a
    window is nobody's in particular."""
    from hallclient.core.cases import Applicant
    from hallclient.core.queue_policy import Head
    from hallclient.core.tickets import PriorityClass

    person = Applicant()
    assert (person.address, person.mobile, person.agent_name, person.legal_rep) == ("", "", "", "")
    head = Head(ticket_id=1, service="ZH", priority=PriorityClass.NORMAL, sort_at_ms=0, seq=1)
    assert head.targeted is False and head.raised is False
