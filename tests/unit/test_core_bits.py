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
