"""Tickets (排队号) and their state machine.

A ticket moves through a small set of states. Every queue action is a transition
checked here, so LocalQueue and the hall server refuse the same illegal moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class TicketState(str, Enum):
    WAITING = "waiting"      # 等候
    CALLED = "called"        # 已呼叫
    SERVING = "serving"      # 办理中
    HELD = "held"            # 挂起 (applicant away fetching something; window keeps it)
    NO_SHOW = "no_show"      # 过号
    FINISHED = "finished"    # 办结


class PriorityClass(IntEnum):
    """Priority classes (优先级); a higher value is served first."""

    NORMAL = 0        # 普通
    APPOINTMENT = 1   # 预约
    GREEN = 2         # 绿色通道 (elderly, disabled, pregnant, military)

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]


PRIORITY_LABELS = {
    PriorityClass.NORMAL: "普通",
    PriorityClass.APPOINTMENT: "预约",
    PriorityClass.GREEN: "绿色通道",
}


class TicketAction(str, Enum):
    """The queue's actions as the event log names them: ticket moves, window moves and what
    manual mode (手工接待) records. The values are in signed logs on disk: never change one."""

    # ticket moves (each a transition below)
    ISSUE = "issue"
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no_show"
    REACTIVATE = "reactivate"
    TRANSFER = "transfer"
    HOLD = "hold"
    RETURN = "return"
    START = "start"
    FINISH = "finish"
    MANUAL_FINISH = "manual_finish"         # a hand-recorded service applied by the hall
    # window moves
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    PAUSE = "pause"
    RESUME = "resume"
    SIGN_IN_OFFLINE = "sign_in_offline"     # hall server out of reach: recorded locally
    SIGN_OUT_OFFLINE = "sign_out_offline"
    # manual mode records
    MANUAL_START = "manual_start"           # the counter began serving by hand
    MANUAL_SENT = "manual_sent"             # the counter sent a hand-recorded service
    MANUAL_SERVICE = "manual_service"       # the hall recorded a walk-in or unknown number
    MANUAL_CONFLICT = "manual_conflict"     # another window had served that ticket
    MANUAL_REFUSED = "manual_refused"       # the hall refused a hand-recorded service for good
    MANUAL_AMENDED = "manual_amended"       # the clerk corrected a refused one (sent again)
    MANUAL_VOIDED = "manual_voided"         # the clerk withdrew a refused one (never sent)
    # the kiosk's 请工作人员协助 and the window that went to help
    HELP_CALL = "help_call"
    HELP_ANSWER = "help_answer"

    def __str__(self) -> str:
        return str(self.value)


# Where a manual-mode service may finish a ticket: anything not yet finished (a ticket
# called, served or held at another window is a conflict; see manual_may_finish).
_UNFINISHED = frozenset({TicketState.WAITING, TicketState.NO_SHOW, TicketState.CALLED,
                         TicketState.SERVING, TicketState.HELD})

# The one ticket state machine: for each ticket move, the states it may start from and the
# state it leads to. The queue checks moves against it; the log replay follows it.
TRANSITIONS: dict[TicketAction, tuple[frozenset[TicketState], TicketState]] = {
    TicketAction.ISSUE: (frozenset(), TicketState.WAITING),     # a new ticket: no source
    TicketAction.CALL: (frozenset({TicketState.WAITING}), TicketState.CALLED),
    TicketAction.RECALL: (frozenset({TicketState.CALLED}), TicketState.CALLED),
    TicketAction.NO_SHOW: (frozenset({TicketState.CALLED}), TicketState.NO_SHOW),
    TicketAction.REACTIVATE: (frozenset({TicketState.NO_SHOW}), TicketState.WAITING),
    TicketAction.TRANSFER: (
        frozenset({TicketState.CALLED, TicketState.SERVING, TicketState.HELD}),
        TicketState.WAITING,
    ),
    TicketAction.HOLD: (frozenset({TicketState.SERVING}), TicketState.HELD),
    TicketAction.RETURN: (frozenset({TicketState.HELD}), TicketState.SERVING),
    TicketAction.START: (frozenset({TicketState.CALLED}), TicketState.SERVING),
    TicketAction.FINISH: (frozenset({TicketState.SERVING}), TicketState.FINISHED),
    TicketAction.MANUAL_FINISH: (_UNFINISHED, TicketState.FINISHED),
}

STATE_LABELS = {
    TicketState.WAITING: "等候中",
    TicketState.CALLED: "已呼叫",
    TicketState.SERVING: "办理中",
    TicketState.HELD: "已挂起",
    TicketState.NO_SHOW: "过号",
    TicketState.FINISHED: "已办结",
}


class QueueError(Exception):
    """A queue action that cannot be done; ``message`` is for the clerk (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransitionError(QueueError):
    def __init__(self, action: TicketAction, number: str, state: TicketState) -> None:
        super().__init__(
            f"{number} 当前状态为「{STATE_LABELS[state]}」，不能执行「{ACTION_LABELS[action]}」"
        )
        self.action = action
        self.state = state


ACTION_LABELS = {
    TicketAction.ISSUE: "取号",
    TicketAction.CALL: "呼叫",
    TicketAction.RECALL: "重呼",
    TicketAction.NO_SHOW: "过号",
    TicketAction.REACTIVATE: "激活过号",
    TicketAction.TRANSFER: "转移",
    TicketAction.HOLD: "挂起",
    TicketAction.RETURN: "恢复挂起",
    TicketAction.START: "开始办理",
    TicketAction.FINISH: "办结",
    TicketAction.MANUAL_FINISH: "手工办结",
}


def next_state(action: TicketAction, number: str, state: TicketState) -> TicketState:
    """The state after ``action``, or IllegalTransitionError."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise IllegalTransitionError(action, number, state)
    return target


def state_after(action: str) -> TicketState | None:
    """The state a logged action leaves its ticket in, or None when the action does not
    move a ticket (a window move, a manual-mode note, anything else in the log)."""
    try:
        move = TRANSITIONS[TicketAction(action)]
    except (ValueError, KeyError):
        return None
    return move[1]


def manual_may_finish(state: TicketState, ticket_window: int | None, window: int) -> bool:
    """May a service recorded by hand at ``window`` finish a ticket in ``state``? A ticket
    still waiting or a no-show, yes; one called, served or held, only at that window."""
    if state not in TRANSITIONS[TicketAction.MANUAL_FINISH][0]:
        return False
    if state in (TicketState.WAITING, TicketState.NO_SHOW):
        return True
    return ticket_window == window


def format_number(prefix: str, seq: int) -> str:
    """Daily ticket number: prefix + at least three digits (A001 ... A999, A1000)."""
    return f"{prefix}{seq:03d}"


@dataclass(frozen=True)
class Ticket:
    """One ticket as the counter and kiosk see it (no applicant data)."""

    id: int
    day: str
    number: str
    service: str
    priority: PriorityClass
    state: TicketState
    issued_at: str
    window: int | None = None
    target_window: int | None = None
    recalls: int = 0
    raised: bool = False
    called_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    # what the counter needs of a ticket taken by card or with a reason (never who it is):
    reason: str = ""                    # why 绿色通道 (老年人, 残疾人 ...)
    appointment_time: str | None = None  # HH:MM of the 预约 it was taken for
    id_masked: str = ""                 # 110***********002X of the card swiped
    id_check: str = ""                  # salt$hash of the card's number (core/swipe.py)
