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


class Action(str, Enum):
    """Queue actions; also the event-log action names."""

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


# For each action, the states it may start from and the state it leads to.
TRANSITIONS: dict[Action, tuple[frozenset[TicketState], TicketState]] = {
    Action.CALL: (frozenset({TicketState.WAITING}), TicketState.CALLED),
    Action.RECALL: (frozenset({TicketState.CALLED}), TicketState.CALLED),
    Action.NO_SHOW: (frozenset({TicketState.CALLED}), TicketState.NO_SHOW),
    Action.REACTIVATE: (frozenset({TicketState.NO_SHOW}), TicketState.WAITING),
    Action.TRANSFER: (
        frozenset({TicketState.CALLED, TicketState.SERVING, TicketState.HELD}),
        TicketState.WAITING,
    ),
    Action.HOLD: (frozenset({TicketState.SERVING}), TicketState.HELD),
    Action.RETURN: (frozenset({TicketState.HELD}), TicketState.SERVING),
    Action.START: (frozenset({TicketState.CALLED}), TicketState.SERVING),
    Action.FINISH: (frozenset({TicketState.SERVING}), TicketState.FINISHED),
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
    def __init__(self, action: Action, number: str, state: TicketState) -> None:
        super().__init__(
            f"{number} 当前状态为「{STATE_LABELS[state]}」，不能执行「{ACTION_LABELS[action]}」"
        )
        self.action = action
        self.state = state


ACTION_LABELS = {
    Action.ISSUE: "取号",
    Action.CALL: "呼叫",
    Action.RECALL: "重呼",
    Action.NO_SHOW: "过号",
    Action.REACTIVATE: "激活过号",
    Action.TRANSFER: "转移",
    Action.HOLD: "挂起",
    Action.RETURN: "恢复挂起",
    Action.START: "开始办理",
    Action.FINISH: "办结",
}


def next_state(action: Action, number: str, state: TicketState) -> TicketState:
    """The state after ``action``, or IllegalTransitionError."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise IllegalTransitionError(action, number, state)
    return target


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
