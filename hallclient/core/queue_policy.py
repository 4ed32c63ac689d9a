"""Which ticket a window calls next (叫号策略).

The store hands the policy only the *head* of each lane — the earliest waiting ticket
per (service, priority class, raised) plus the one transferred to this window — so the
choice costs the same with ten or ten thousand people waiting.

Rules, in order:
1. Tickets transferred to this window, or raised on transfer, go first.
2. Priority tickets (绿色通道 before 预约) go before normal ones, except that the
   no-starvation rule lets a normal ticket through: in ``ratio`` mode after
   ``priority_ratio`` priority calls in a row at this window; in ``aging`` mode a normal
   ticket that has waited ``aging_minutes`` counts as an appointment.
3. Between services the window's weights set each service's *share of calls* (stride
   scheduling): a window serving A with weight 3 and B with weight 1 calls three A for
   every B while both have people waiting. Each service carries a "pass" that grows by
   1/weight per call; the service with the lowest pass is next. A service that was empty
   re-enters at the window's current virtual time, so it neither starves nor floods.
   Ties go to the ticket that waited longest.

Weighting waits instead (wait x weight) starves the lighter service as soon as the heavier
one is overloaded, which a busy county hall always is at 9 a.m.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from .tickets import PriorityClass


class FairnessMode(str, Enum):
    RATIO = "ratio"   # one normal after N priority calls
    AGING = "aging"   # normal tickets are promoted after waiting long enough


@dataclass(frozen=True)
class QueueRules:
    fairness: FairnessMode = FairnessMode.RATIO
    priority_ratio: int = 3
    aging_minutes: float = 20.0
    recall_limit: int = 3


@dataclass(frozen=True)
class WindowPlan:
    """A window's weighted service list (窗口业务配置) and its fair-share state."""

    number: int
    weights: dict[str, float] = field(default_factory=dict)
    passes: dict[str, float] = field(default_factory=dict)
    vtime: float = 0.0

    def weight(self, service: str) -> float:
        return self.weights.get(service, max(self.weights.values(), default=1.0))

    def effective_pass(self, service: str) -> float:
        return max(self.passes.get(service, 0.0), self.vtime)


@dataclass(frozen=True)
class Head:
    """The earliest waiting ticket of one lane."""

    ticket_id: int
    service: str
    priority: PriorityClass
    sort_at_ms: int
    seq: int
    raised: bool = False
    targeted: bool = False   # transferred to this specific window


@dataclass(frozen=True)
class Choice:
    head: Head
    counts_as_priority: bool


def choose_next(
    heads: Sequence[Head],
    plan: WindowPlan,
    rules: QueueRules,
    priority_streak: int,
    now_ms: int,
) -> Choice | None:
    """Pick the next ticket for ``plan``'s window, or None when nobody waits."""
    if not heads:
        return None

    def fair_order(h: Head) -> tuple[float, int, int]:
        # lowest pass first; then the longest wait; then the lowest daily number
        return (plan.effective_pass(h.service), h.sort_at_ms, h.seq)

    first = [h for h in heads if h.targeted or h.raised]
    if first:
        best = min(first, key=lambda h: (h.sort_at_ms, h.seq))
        return Choice(best, best.priority > PriorityClass.NORMAL)

    def rank(h: Head) -> int:
        if h.priority > PriorityClass.NORMAL:
            return int(h.priority)
        if rules.fairness is FairnessMode.AGING:
            if (now_ms - h.sort_at_ms) >= rules.aging_minutes * 60000:
                return int(PriorityClass.APPOINTMENT)
        return 0

    normals = [h for h in heads if rank(h) == 0]
    priorities = [h for h in heads if rank(h) > 0]
    ratio_due = (
        rules.fairness is FairnessMode.RATIO
        and rules.priority_ratio > 0
        and priority_streak >= rules.priority_ratio
    )
    if priorities and not (ratio_due and normals):
        top = max(rank(h) for h in priorities)
        best = min((h for h in priorities if rank(h) == top), key=fair_order)
        return Choice(best, True)
    return Choice(min(normals, key=fair_order), False)


def next_streak(streak: int, choice: Choice) -> int:
    """Consecutive priority calls at the window after ``choice``."""
    return streak + 1 if choice.counts_as_priority else 0


def after_call(plan: WindowPlan, service: str) -> tuple[float, float]:
    """(new pass of ``service``, new window virtual time) once a ticket of it is called.

    A service the window does not list (a ticket transferred here) leaves the state alone.
    """
    if service not in plan.weights:
        return plan.passes.get(service, 0.0), plan.vtime
    start = plan.effective_pass(service)
    return start + 1.0 / plan.weight(service), start
