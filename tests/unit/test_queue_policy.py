from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hallclient.core.queue_policy import (
    FairnessMode,
    Head,
    QueueRules,
    WindowPlan,
    after_call,
    choose_next,
    next_streak,
)
from hallclient.core.tickets import PriorityClass as P

MIN = 60_000
NOW = 1_000 * MIN


def head(tid, service="A", priority=P.NORMAL, waited_min=1.0, raised=False, targeted=False):
    return Head(tid, service, priority, int(NOW - waited_min * MIN), tid, raised, targeted)


PLAN = WindowPlan(1, {"A": 3.0, "B": 1.0})


def pick(heads, rules=QueueRules(), streak=0, plan=PLAN):
    choice = choose_next(heads, plan, rules, streak, NOW)
    return None if choice is None else choice.head.ticket_id


def test_nobody_waiting_gives_none():
    assert pick([]) is None


def serve(plan, arrivals_per_minute, minutes, rules=QueueRules()):
    """Simulate one window calling once a minute; returns (plan, called services)."""
    waiting: list[Head] = []
    called = []
    next_id = 1
    for minute in range(minutes):
        t = minute * MIN
        for service, every in arrivals_per_minute.items():
            if every >= 1:
                for _ in range(int(every)):
                    waiting.append(Head(next_id, service, P.NORMAL, t, next_id))
                    next_id += 1
            elif minute % round(1 / every) == 0:
                waiting.append(Head(next_id, service, P.NORMAL, t, next_id))
                next_id += 1
        heads = []
        for service in plan.weights:
            lane = [h for h in waiting if h.service == service]
            if lane:
                heads.append(min(lane, key=lambda h: (h.sort_at_ms, h.seq)))
        choice = choose_next(heads, plan, rules, 0, t)
        if choice is None:
            continue
        waiting.remove(choice.head)
        called.append(choice.head.service)
        new_pass, vtime = after_call(plan, choice.head.service)
        plan = WindowPlan(plan.number, plan.weights,
                          {**plan.passes, choice.head.service: new_pass}, vtime)
    return plan, called


def test_weights_set_each_service_share_of_calls():
    _, called = serve(WindowPlan(1, {"A": 3.0, "B": 1.0}), {"A": 2, "B": 2}, 40)
    assert called.count("A") == 30 and called.count("B") == 10
    # and the shares interleave: stride scheduling allows at most weight + 1 A in a row
    longest = max(len(run) for run in "".join(called).split("B"))
    assert longest <= 4


def test_an_idle_service_re_enters_without_flooding_the_window():
    plan, _ = serve(WindowPlan(1, {"A": 1.0, "B": 1.0}), {"A": 2}, 30)   # only A all morning
    assert plan.passes.get("B", 0.0) == 0.0 and plan.vtime >= 29
    # B's first ticket must not be allowed 30 calls in a row to "catch up"
    heads = [Head(1, "A", P.NORMAL, NOW, 1), Head(2, "B", P.NORMAL, NOW, 2)]
    first = choose_next(heads, plan, QueueRules(), 0, NOW).head.service
    b_pass, vtime = after_call(plan, first)
    plan = WindowPlan(1, plan.weights, {**plan.passes, first: b_pass}, vtime)
    second = choose_next(heads, plan, QueueRules(), 0, NOW).head.service
    assert {first, second} == {"A", "B"}


def test_ties_go_to_the_longest_wait():
    assert pick([head(1, "A", waited_min=5), head(2, "B", waited_min=10)],
                plan=WindowPlan(1, {"A": 1.0, "B": 1.0})) == 2


def test_green_channel_before_appointment_before_normal():
    heads = [head(1, waited_min=30), head(2, priority=P.APPOINTMENT, waited_min=2),
             head(3, priority=P.GREEN, waited_min=1)]
    assert pick(heads) == 3
    assert pick(heads[:2]) == 2


def test_ratio_rule_lets_a_normal_ticket_through_after_n_priority_calls():
    heads = [head(1, waited_min=3), head(2, priority=P.GREEN, waited_min=1)]
    rules = QueueRules(fairness=FairnessMode.RATIO, priority_ratio=3)
    assert pick(heads, rules, streak=2) == 2
    assert pick(heads, rules, streak=3) == 1


def test_ratio_rule_still_calls_priority_when_no_normal_waits():
    heads = [head(2, priority=P.GREEN)]
    assert pick(heads, QueueRules(priority_ratio=1), streak=5) == 2


def test_aging_rule_promotes_a_long_waiting_normal_ticket():
    rules = QueueRules(fairness=FairnessMode.AGING, aging_minutes=20)
    young = [head(1, waited_min=19), head(2, priority=P.APPOINTMENT, waited_min=1)]
    old = [head(1, waited_min=21), head(2, priority=P.APPOINTMENT, waited_min=1)]
    assert pick(young, rules) == 2
    assert pick(old, rules) == 1          # now equal rank, and it waited longer
    # aging never puts a normal ticket before the green channel
    assert pick([head(1, waited_min=90), head(3, priority=P.GREEN, waited_min=1)], rules) == 3


def test_transferred_to_this_window_or_raised_goes_first():
    heads = [head(1, priority=P.GREEN, waited_min=30), head(2, "B", waited_min=1, targeted=True)]
    assert pick(heads) == 2
    heads = [head(1, priority=P.GREEN, waited_min=30), head(4, "B", waited_min=1, raised=True)]
    assert pick(heads) == 4


def test_streak_counts_consecutive_priority_calls():
    heads = [head(2, priority=P.GREEN)]
    choice = choose_next(heads, PLAN, QueueRules(), 1, NOW)
    assert next_streak(1, choice) == 2
    choice = choose_next([head(1)], PLAN, QueueRules(), 2, NOW)
    assert next_streak(2, choice) == 0


lanes = st.lists(
    st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(list(P)),
              st.floats(min_value=0, max_value=600), st.booleans()),
    min_size=1, max_size=12,
)


@given(lanes, st.integers(min_value=0, max_value=10),
       st.sampled_from(list(FairnessMode)))
def test_choice_is_always_one_of_the_heads_and_respects_priority(items, streak, mode):
    heads = [head(i + 1, s, p, w, raised) for i, (s, p, w, raised) in enumerate(items)]
    rules = QueueRules(fairness=mode, priority_ratio=3, aging_minutes=20)
    choice = choose_next(heads, PLAN, rules, streak, NOW)
    assert choice is not None and choice.head in heads
    if any(h.raised for h in heads):
        assert choice.head.raised
    elif mode is FairnessMode.RATIO and streak < 3 and any(h.priority for h in heads):
        top = max(h.priority for h in heads)
        assert choice.head.priority == top


def test_no_service_starves_at_an_overloaded_window():
    """A floods in at twice the window's pace; B trickles in; B still gets its share."""
    _, called = serve(WindowPlan(1, {"A": 5.0, "B": 1.0}), {"A": 2, "B": 0.1}, 240)
    assert called.count("B") == 24     # every B ticket of the day was called


def test_the_rules_a_hall_starts_with():
    rules = QueueRules()
    assert (rules.fairness, rules.priority_ratio, rules.aging_minutes, rules.recall_limit) == (
        FairnessMode.RATIO, 3, 20.0, 3)
    assert [m.value for m in FairnessMode] == ["ratio", "aging"]


def test_a_fresh_plan_starts_every_service_at_zero():
    plan = WindowPlan(1, {"A": 2.0, "B": 5.0})
    assert (plan.vtime, plan.effective_pass("A"), plan.effective_pass("Z")) == (0.0, 0.0, 0.0)
    assert plan.weight("B") == 5.0 and plan.weight("C") == 5.0     # unlisted: the heaviest
    assert WindowPlan(2).weight("A") == 1.0
    assert after_call(plan, "A") == (0.5, 0.0)
    assert after_call(WindowPlan(1, {"A": 1.0}, {"A": 4.0}, vtime=2.5), "A") == (5.0, 4.0)
    assert after_call(WindowPlan(1, {"A": 1.0}, {}, vtime=2.5), "A") == (3.5, 2.5)
    assert after_call(WindowPlan(1, {"A": 1.0}, {"X": 7.0}, vtime=2.5), "X") == (7.0, 2.5)
    import dataclasses

    import pytest

    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.vtime = 1.0  # type: ignore[misc]


def test_one_priority_call_then_a_normal_when_the_ratio_is_one():
    heads = [head(1, priority=P.GREEN), head(2)]
    rules = QueueRules(priority_ratio=1)
    assert pick(heads, rules, streak=0) == 1
    assert pick(heads, rules, streak=1) == 2


def test_a_ratio_of_zero_means_priority_always_first():
    heads = [head(1, priority=P.APPOINTMENT), head(2, waited_min=500)]
    assert pick(heads, QueueRules(priority_ratio=0), streak=50) == 1


def test_aging_promotes_a_normal_ticket_at_exactly_the_limit():
    rules = QueueRules(fairness=FairnessMode.AGING, aging_minutes=20)
    appointment = head(1, priority=P.APPOINTMENT, waited_min=10)
    assert pick([appointment, head(2, waited_min=19.99)], rules) == 1
    assert pick([appointment, head(2, waited_min=20)], rules, streak=0) == 2   # waited longer
    choice = choose_next([head(2, waited_min=20)], PLAN, rules, 0, NOW)
    assert choice is not None and choice.counts_as_priority
