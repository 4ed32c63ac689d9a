"""LocalQueue: the queue in this PC's SQLite file (one PC, or a township centre where the
kiosk and counter share the machine). Each action is one write transaction that checks
the ticket's state (compare-and-set) and appends to the event log."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hallclient.core.appointments import Appointment, normalise_key
from hallclient.core.clock import Clock, local_now
from hallclient.core.hall import (
    HelpCall,
    IssuedTicket,
    RecallResult,
    Service,
    WindowInfo,
    WindowSnapshot,
)
from hallclient.core.queue_policy import QueueRules, after_call, choose_next, next_streak
from hallclient.core.swipe import (
    CardSwipe,
    PreparedCard,
    SwipeError,
    green_reason,
    mask,
    prepare,
    same_person,
)
from hallclient.core.tickets import (
    PriorityClass,
    QueueError,
    Ticket,
    TicketAction,
    TicketState,
    format_number,
    manual_may_finish,
    next_state,
)
from hallclient.store import appointment_repo, hall_repo, log_repo, queue_repo
from hallclient.store.db import Database

log = logging.getLogger(__name__)

class LocalQueue:
    source_label = "本机队列"

    def __init__(self, db: Database, rules: QueueRules | None = None,
                 clock: Clock = local_now) -> None:
        self.db = db
        self.rules = rules or QueueRules()
        self.clock = clock
        self._seen_version: tuple[int, int] = (-1, -1)

    # -- helpers -----------------------------------------------------------------------

    def _now(self) -> tuple[str, str, int]:
        now = self.clock()
        return now.date().isoformat(), now.isoformat(timespec="milliseconds"), int(
            now.timestamp() * 1000
        )

    def _log(self, conn: sqlite3.Connection, at: str, action: TicketAction, window: int | None,
             clerk: str | None, ticket: Ticket | None = None, **detail: Any) -> None:
        log_repo.append(conn, at=at, action=action.value, window=window, clerk=clerk,
                        ticket=ticket.number if ticket else None,
                        detail={k: v for k, v in detail.items() if v is not None} or None)

    def _ticket_at_window(self, conn: sqlite3.Connection, ticket_id: int, window: int) -> Ticket:
        ticket = queue_repo.get(conn, ticket_id)
        if ticket is None:
            raise QueueError("找不到该号码")
        if ticket.window != window:
            raise QueueError(f"{ticket.number} 不在本窗口（{window} 号）")
        return ticket

    def _move(self, conn: sqlite3.Connection, ticket: Ticket, action: TicketAction,
              **changes: Any) -> Ticket:
        target = next_state(action, ticket.number, ticket.state)
        if not queue_repo.compare_and_set(conn, ticket.id, ticket.state,
                                          state=target.value, **changes):
            raise QueueError(f"{ticket.number} 刚被其他窗口处理，请刷新")
        moved = queue_repo.get(conn, ticket.id)
        assert moved is not None
        return moved

    def _require_open(self, conn: sqlite3.Connection, window: int) -> int:
        state = hall_repo.window_state(conn, window)
        if state is None:
            raise QueueError(f"{window} 号窗口未配置")
        if state[0] == "paused":
            raise QueueError("本窗口已暂停服务，请先恢复服务")
        if state[0] == "closed":
            raise QueueError("本窗口未签到")
        return state[2]

    def _require_idle(self, conn: sqlite3.Connection, day: str, window: int) -> None:
        active = queue_repo.active_at_window(conn, day, window)
        if active is not None:
            verb = "办结、挂起或转移" if active.state is TicketState.SERVING else "开始办理或过号"
            raise QueueError(f"当前号 {active.number} 尚未处理完，请先{verb}")

    # -- configuration -----------------------------------------------------------------

    def services(self) -> list[Service]:
        return hall_repo.services(self.db.conn)

    def windows(self) -> list[WindowInfo]:
        return hall_repo.windows(self.db.conn)

    def import_hall(self, spec: dict[str, Any]) -> None:
        with self.db.write() as conn:
            hall_repo.import_hall(conn, spec)

    # -- kiosk -------------------------------------------------------------------------

    def issue(self, service: str, priority: PriorityClass = PriorityClass.NORMAL,
              device: str = "", appointment: str | None = None, *,
              swipe: CardSwipe | None = None, reason: str = "",
              card: PreparedCard | None = None) -> IssuedTicket:
        """A ticket; a 预约 one only against an unused appointment of today for this
        service, found by its code or phone (``appointment``) or by the card swiped
        (``swipe``, or ``card``: the same already checked and hashed by ``prepare_card``,
        as the hall server does off its writer); a 绿色通道 one with its reason
        (core/swipe.py GREEN_REASONS)."""
        day, at, now_ms = self._now()
        if card is None and swipe is not None:
            card = self.prepare_card(swipe)    # the slow hashes before the write
        if priority is PriorityClass.GREEN:
            try:
                reason = green_reason(reason, card.birth if card else None, self.clock().date())
            except SwipeError as exc:
                raise QueueError(str(exc)) from None
        else:
            reason = ""
        with self.db.write() as conn:
            svc = hall_repo.service(conn, service)
            if svc is None:
                raise QueueError(f"业务 {service} 不存在或已停用")
            seq = queue_repo.next_seq(conn, day, svc.prefix)
            number = format_number(svc.prefix, seq)
            booked = None
            if priority is PriorityClass.APPOINTMENT:
                if appointment is None and card is not None:
                    booked = self._use_card_appointment(conn, day, svc, card.card_hash, number)
                else:
                    booked = self._use_appointment(conn, day, svc, appointment or "", number)
            ticket_id = queue_repo.insert(
                conn, uid=str(uuid.uuid4()), day=day, seq=seq, number=number,
                service=svc.code, priority=int(priority), state=TicketState.WAITING.value,
                issued_at=at, sort_at_ms=now_ms, reason=reason,
                appointment_time=booked.at_time if booked else None,
                id_masked=mask(card.number) if card else "",
                id_check=card.check if card else "",
            )
            ticket = queue_repo.get(conn, ticket_id)
            assert ticket is not None
            ahead = queue_repo.people_ahead(conn, ticket, now_ms)
            self._log(conn, at, TicketAction.ISSUE, None, None, ticket,
                      service=svc.code, priority=int(priority), device=device or None,
                      appointment=booked.code if booked else None, reason=reason or None,
                      card=True if card else None)
        return IssuedTicket(ticket, svc.name, ahead, booked.at_time if booked else None)

    def prepare_card(self, swipe: CardSwipe) -> PreparedCard:
        """The swiped card checked and hashed (slow; QueueError for the applicant)."""
        try:
            return prepare(swipe, self.card_key())
        except SwipeError as exc:
            raise QueueError(str(exc)) from None

    def card_key(self) -> bytes | None:
        return appointment_repo.read_card_key(self.db.conn)

    def card_appointment(self, swipe: CardSwipe,
                         card: PreparedCard | None = None) -> Appointment | None:
        """Today's unused appointment booked with this card (the earliest), or None;
        QueueError when every one of today's was used already."""
        card = card or self.prepare_card(swipe)
        day, _, _ = self._now()
        found = appointment_repo.by_card(self.db.conn, day, card.card_hash)
        unused = [a for a, used_by in found if used_by is None]
        if found and not unused:
            taken = "、".join(str(used_by) for _a, used_by in found)
            raise QueueError(f"您今天的预约已经取过号（{taken}），请留意叫号")
        return unused[0] if unused else None

    def card_check_of(self, window: int, number: str) -> str | None:
        """The card check of ``number`` (today's) at ``window`` (its current or held
        ticket): "" for a ticket taken without a card; QueueError for another window's."""
        day, _, _ = self._now()
        ticket = queue_repo.by_number(self.db.conn, day, number)
        if ticket is None or ticket.window != window:
            raise QueueError(f"{number} 不是本窗口正在办理的号")
        return ticket.id_check

    def same_card(self, window: int, number: str, id_number: str) -> bool | None:
        """Whether the card read at ``window`` is the one ``number`` was taken with; None
        when it was taken without one."""
        check = self.card_check_of(window, number)
        return same_person(check, id_number) if check else None

    def _use_card_appointment(self, conn: sqlite3.Connection, day: str, svc: Service,
                              card_hash: str, number: str) -> Appointment:
        found = [a for a, used_by in appointment_repo.by_card(conn, day, card_hash)
                 if used_by is None and a.service == svc.code]
        if not found:
            raise QueueError("没有找到您今天这项业务的预约，请按普通号取号")
        booked = found[0]
        if not appointment_repo.mark_used(conn, day, booked.code, number):
            raise QueueError("这个预约刚刚取过号，请留意叫号")
        return booked

    # -- 请工作人员协助 ------------------------------------------------------------------

    HELP_OPEN_S = 2 * 3600       # a call nobody answered in two hours is no longer shown

    def call_help(self, device: str, place: str = "") -> HelpCall:
        """A kiosk asks for a member of staff; every counter shows it until one answers."""
        _, at, _ = self._now()
        with self.db.write() as conn:
            # one open call a kiosk: pressing again (or a flood) adds nothing to the counters
            staffed = any(w.state != "closed" for w in hall_repo.windows(conn))
            waiting = [h for h in self._open_help(conn) if h.device == device[:64]]
            if waiting:
                return replace(waiting[0], staffed=staffed)
            seq = log_repo.append(conn, at=at, action=TicketAction.HELP_CALL.value,
                                  detail={"device": device[:64], "place": place[:40]})
        return HelpCall(seq, at, device[:64], place[:40], staffed)

    def answer_help(self, window: int, clerk: str, call: int) -> None:
        """``window`` goes to help: the call leaves every counter."""
        _, at, _ = self._now()
        with self.db.write() as conn:
            if not any(h.seq == call for h in self._open_help(conn)):
                raise QueueError("这个协助请求已有窗口处理")
            self._log(conn, at, TicketAction.HELP_ANSWER, window, clerk, call=call)

    def help_calls(self) -> list[HelpCall]:
        return self._open_help(self.db.conn)

    def _open_help(self, conn: sqlite3.Connection) -> list[HelpCall]:
        now = self.clock()
        since = (now - timedelta(seconds=self.HELP_OPEN_S)).isoformat(timespec="milliseconds")
        rows = log_repo.help_entries(conn, since)
        calls: dict[int, HelpCall] = {}
        for seq, at, action, detail in rows:
            info = json.loads(detail) if detail else {}
            if action == TicketAction.HELP_CALL.value:
                calls[seq] = HelpCall(seq, at, str(info.get("device", "")),
                                      str(info.get("place", "")))
            else:
                calls.pop(int(info.get("call", 0)), None)
        return list(calls.values())

    def _use_appointment(self, conn: sqlite3.Connection, day: str, svc: Service, typed: str,
                         number: str) -> Appointment:
        """The appointment this 预约 ticket uses (marked used by ``number``); QueueError
        with what the applicant should do otherwise."""
        key = normalise_key(typed)
        if not key:
            raise QueueError("预约取号请输入预约码或预约时登记的手机号")
        found = appointment_repo.matching(conn, day, key)
        if not found:
            raise QueueError("没有找到今天的这个预约：请核对预约码或手机号，"
                             "或取消“预约”按普通号取号")
        unused = [a for a, used_by in found if used_by is None]
        if not unused:
            taken = "、".join(str(used_by) for _a, used_by in found)
            raise QueueError(f"这个预约今天已经取过号（{taken}），请留意叫号")
        mine = [a for a in unused if a.service == svc.code]
        if not mine:
            names = "、".join(self._service_name(conn, a.service) for a in unused)
            raise QueueError(f"您预约的是“{names}”，请按该业务取号")
        booked = mine[0]
        if not appointment_repo.mark_used(conn, day, booked.code, number):
            raise QueueError("这个预约刚刚取过号，请留意叫号")
        return booked

    @staticmethod
    def _service_name(conn: sqlite3.Connection, code: str) -> str:
        svc = hall_repo.service(conn, code)
        return svc.name if svc is not None else code

    def import_appointments(self, appointments: list[Appointment]) -> int:
        """The booking system's appointments (预约), added or updated; how many."""
        with self.db.write() as conn:
            unknown = sorted({a.service for a in appointments
                              if hall_repo.service(conn, a.service) is None})
            if unknown:
                raise QueueError("预约文件中有大厅没有的业务类别代码：" + "、".join(unknown))
            return appointment_repo.import_appointments(conn, appointments)

    # -- window ------------------------------------------------------------------------

    def sign_in(self, window: int, clerk: str) -> WindowSnapshot:
        day, at, _ = self._now()
        with self.db.write() as conn:
            if hall_repo.window_state(conn, window) is None:
                raise QueueError(f"{window} 号窗口未配置，请联系管理员")
            hall_repo.set_window_state(conn, window, "open", clerk)
            self._log(conn, at, TicketAction.SIGN_IN, window, clerk)
            queue_repo.forget_cards(conn, day)     # a card is kept for its day, no longer
        return self.snapshot(window)

    def sign_out(self, window: int, clerk: str) -> None:
        _, at, _ = self._now()
        with self.db.write() as conn:
            hall_repo.set_window_state(conn, window, "closed", None)
            self._log(conn, at, TicketAction.SIGN_OUT, window, clerk)

    def record(self, action: str, window: int | None, clerk: str | None,
               detail: dict[str, object] | None = None) -> None:
        """Log a non-queue action (lock, unlock, print ...)."""
        _, at, _ = self._now()
        with self.db.write() as conn:
            log_repo.append(conn, at=at, action=action, window=window, clerk=clerk,
                            detail=dict(detail) if detail else None)

    def pause(self, window: int, clerk: str, reason: str = "") -> None:
        _, at, _ = self._now()
        with self.db.write() as conn:
            self._require_open(conn, window)
            hall_repo.set_window_state(conn, window, "paused", clerk)
            self._log(conn, at, TicketAction.PAUSE, window, clerk, reason=reason or None)

    def resume(self, window: int, clerk: str) -> None:
        _, at, _ = self._now()
        with self.db.write() as conn:
            state = hall_repo.window_state(conn, window)
            if state is None or state[0] != "paused":
                raise QueueError("本窗口没有暂停")
            hall_repo.set_window_state(conn, window, "open", clerk)
            self._log(conn, at, TicketAction.RESUME, window, clerk)

    # -- calling -----------------------------------------------------------------------

    def call_next(self, window: int, clerk: str) -> Ticket | None:
        day, at, now_ms = self._now()
        with self.db.write() as conn:
            streak = self._require_open(conn, window)
            self._require_idle(conn, day, window)
            plan = hall_repo.window_plan(conn, window)
            assert plan is not None
            heads = queue_repo.heads(conn, day, plan.weights, window)
            choice = choose_next(heads, plan, self.rules, streak, now_ms)
            if choice is None:
                return None
            ticket = queue_repo.get(conn, choice.head.ticket_id)
            assert ticket is not None
            called = self._move(conn, ticket, TicketAction.CALL, window=window, clerk=clerk,
                                called_at=at, recalls=0, target_window=None, raised=0)
            new_pass, vtime = after_call(plan, called.service)
            hall_repo.record_call(conn, window, called.service, new_pass, vtime,
                                  next_streak(streak, choice))
            self._log(conn, at, TicketAction.CALL, window, clerk, called,
                      service=called.service)
        return called

    def call_specific(self, window: int, clerk: str, number: str) -> Ticket:
        day, at, _ = self._now()
        with self.db.write() as conn:
            self._require_open(conn, window)
            self._require_idle(conn, day, window)
            ticket = queue_repo.by_number(conn, day, number.strip())
            if ticket is None:
                raise QueueError(f"今天没有 {number.strip().upper()} 这个号")
            if ticket.state is TicketState.NO_SHOW:
                raise QueueError(f"{ticket.number} 已过号，请先激活过号")
            called = self._move(conn, ticket, TicketAction.CALL, window=window, clerk=clerk,
                                called_at=at, recalls=0, target_window=None, raised=0)
            self._log(conn, at, TicketAction.CALL, window, clerk, called,
                      service=called.service, specific=True)
        return called

    def recall(self, window: int, clerk: str, ticket_id: int) -> RecallResult:
        _, at, _ = self._now()
        with self.db.write() as conn:
            ticket = self._ticket_at_window(conn, ticket_id, window)
            if ticket.state is TicketState.CALLED and ticket.recalls >= self.rules.recall_limit:
                moved = self._move(conn, ticket, TicketAction.NO_SHOW)
                self._log(conn, at, TicketAction.NO_SHOW, window, clerk, moved,
                          automatic=True, recalls=ticket.recalls)
                return RecallResult(moved, True)
            moved = self._move(conn, ticket, TicketAction.RECALL, recalls=ticket.recalls + 1)
            self._log(conn, at, TicketAction.RECALL, window, clerk, moved, count=moved.recalls)
            return RecallResult(moved, False)

    def no_show(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        _, at, _ = self._now()
        with self.db.write() as conn:
            ticket = self._ticket_at_window(conn, ticket_id, window)
            moved = self._move(conn, ticket, TicketAction.NO_SHOW)
            self._log(conn, at, TicketAction.NO_SHOW, window, clerk, moved,
                      recalls=ticket.recalls)
        return moved

    def reactivate(self, window: int, clerk: str, number: str) -> Ticket:
        """A no-show applicant came back: waiting again, in their original place."""
        day, at, _ = self._now()
        with self.db.write() as conn:
            ticket = queue_repo.by_number(conn, day, number.strip())
            if ticket is None:
                raise QueueError(f"今天没有 {number.strip().upper()} 这个号")
            moved = self._move(conn, ticket, TicketAction.REACTIVATE, window=None, recalls=0)
            self._log(conn, at, TicketAction.REACTIVATE, window, clerk, moved)
        return moved

    # -- serving -----------------------------------------------------------------------

    def _transition(self, window: int, by: str, ticket_id: int, action: TicketAction,
                    stamp: str | None = None, **changes: Any) -> Ticket:
        """A plain move of this window's ticket; ``stamp`` names a column set to now."""
        _, at, _ = self._now()
        with self.db.write() as conn:
            ticket = self._ticket_at_window(conn, ticket_id, window)
            if stamp is not None:
                changes[stamp] = at
            moved = self._move(conn, ticket, action, **changes)
            self._log(conn, at, action, window, by, moved)
        return moved

    def start(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        return self._transition(window, clerk, ticket_id, TicketAction.START, "started_at",
                                clerk=clerk)

    def finish(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        return self._transition(window, clerk, ticket_id, TicketAction.FINISH, "finished_at")

    def hold(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        return self._transition(window, clerk, ticket_id, TicketAction.HOLD)

    def return_held(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        day, at, _ = self._now()
        with self.db.write() as conn:
            self._require_idle(conn, day, window)
            ticket = self._ticket_at_window(conn, ticket_id, window)
            moved = self._move(conn, ticket, TicketAction.RETURN)
            self._log(conn, at, TicketAction.RETURN, window, clerk, moved)
        return moved

    def transfer(self, window: int, clerk: str, ticket_id: int, *, to_service: str | None = None,
                 to_window: int | None = None, raised: bool = False) -> Ticket:
        """Send the ticket to another service or window; it keeps its arrival time (its place
        in the queue) and, when ``raised``, goes before everyone else there."""
        _, at, _ = self._now()
        if to_service is None and to_window is None:
            raise QueueError("请选择转移到的业务或窗口")
        with self.db.write() as conn:
            ticket = self._ticket_at_window(conn, ticket_id, window)
            if to_service is not None and hall_repo.service(conn, to_service) is None:
                raise QueueError(f"业务 {to_service} 不存在")
            if to_window is not None:
                if to_window == window:
                    raise QueueError("不能转移到本窗口")
                if hall_repo.window_state(conn, to_window) is None:
                    raise QueueError(f"{to_window} 号窗口不存在")
            moved = self._move(
                conn, ticket, TicketAction.TRANSFER, service=to_service or ticket.service,
                target_window=to_window, raised=int(raised), window=None, recalls=0,
                called_at=None, started_at=None,
            )
            self._log(conn, at, TicketAction.TRANSFER, window, clerk, moved,
                      from_service=ticket.service, to_service=to_service,
                      to_window=to_window, raised=raised or None)
        return moved

    # -- manual mode (手工接待) -------------------------------------------------------------

    def apply_manual(self, *, uid: str, device: str, window: int, clerk: str,
                     number: str | None, started_at: str, finished_at: str) -> dict[str, Any]:
        """A service a counter recorded by hand while the hall server was out of reach.

        Applied once per ``uid`` (a resend gets the first answer). A ticket that is still
        waiting, held here, called or served here, or a no-show, becomes finished at this
        window with the recorded times, so nobody calls it again. A ticket another window
        has served or is serving is left alone and the clash is logged for the supervisor
        (``manual_conflict``): a ticket is never served twice in the records.
        """
        _, at, _ = self._now()
        with self.db.write() as conn:
            applied = queue_repo.manual_applied(conn, uid)
            if applied is not None:
                sender, answer = applied
                if sender != device:        # another counter's record: never its answer
                    raise QueueError("这条手工接待记录的编号已被另一台设备使用：请作废后重新登记")
                return dict(json.loads(answer))
            ticket = (queue_repo.by_number(conn, started_at[:10], number.strip())
                      if number else None)
            detail = {"uid": uid, "device": device, "started_at": started_at,
                      "finished_at": finished_at}
            if not number:
                result = {"result": "walk_in", "message": "无号来访已记录"}
                self._log(conn, at, TicketAction.MANUAL_SERVICE, window, clerk, None, **detail)
            elif ticket is None:
                result = {"result": "unknown", "message": f"当天没有 {number} 这个号，已按无号来访记录"}
                self._log(conn, at, TicketAction.MANUAL_SERVICE, window, clerk, None,
                          number=number, **detail)
            elif manual_may_finish(ticket.state, ticket.window, window):
                done = queue_repo.compare_and_set(
                    conn, ticket.id, ticket.state, state=TicketState.FINISHED.value,
                    window=window, clerk=clerk, called_at=ticket.called_at or started_at,
                    started_at=started_at, finished_at=finished_at, target_window=None)
                assert done, "the hall server applies manual services one at a time"
                result = {"result": "served", "message": f"{ticket.number} 已补记为本窗口办结"}
                self._log(conn, at, TicketAction.MANUAL_FINISH, window, clerk, ticket,
                          service=ticket.service, was=ticket.state.value, **detail)
            else:
                where = f"{ticket.window} 号窗口" if ticket.window else "其他窗口"
                result = {"result": "conflict",
                          "message": f"{ticket.number} 已由{where}办理，手工记录已留存待值班长核对"}
                self._log(conn, at, TicketAction.MANUAL_CONFLICT, window, clerk, ticket,
                          state=ticket.state.value, other_window=ticket.window, **detail)
            queue_repo.record_manual_applied(conn, uid, device,
                                             json.dumps(result, ensure_ascii=False), at)
        return result

    # -- reading -----------------------------------------------------------------------

    def snapshot(self, window: int) -> WindowSnapshot:
        day, _, _ = self._now()
        conn = self.db.conn
        state = hall_repo.window_state(conn, window)
        if state is None:
            raise QueueError(f"{window} 号窗口未配置")
        plan = hall_repo.window_plan(conn, window)
        codes = list(plan.weights) if plan else []
        return WindowSnapshot(
            window=window, state=state[0], clerk=state[1],
            current=queue_repo.active_at_window(conn, day, window),
            held=tuple(queue_repo.held_at_window(conn, day, window)),
            no_shows=tuple(queue_repo.no_shows(conn, day, codes)),
            waiting=queue_repo.waiting_counts(conn, day),
            help_calls=tuple(self._open_help(conn)),
        )

    def waiting_counts(self) -> dict[str, dict[int, int]]:
        day, _, _ = self._now()
        return queue_repo.waiting_counts(self.db.conn, day)

    def hall_state(self, recent: int = 8) -> dict[str, Any]:
        """The whole hall for a panel: every window's state and current number, waiting
        counts, the latest calls, and the log position the state was read at."""
        day, _, _ = self._now()
        conn = self.db.conn
        windows = []
        for info in hall_repo.windows(conn):
            current = queue_repo.active_at_window(conn, day, info.number)
            windows.append({"number": info.number, "name": info.name, "state": info.state,
                            "current": current.number if current else None,
                            "current_state": current.state.value if current else None})
        calls = log_repo.recent(conn, day, (TicketAction.CALL.value, TicketAction.RECALL.value), recent)
        return {"day": day, "windows": windows,
                "services": [{"code": sv.code, "name": sv.name, "prefix": sv.prefix}
                             for sv in hall_repo.services(conn)],
                "waiting": queue_repo.waiting_counts(conn, day),
                "recent_calls": calls,
                "seq": log_repo.last_seq(conn)}

    def changed(self) -> bool:
        """True when anything has committed since the last call: another connection (a
        kiosk in another program, another window) or this one (a kiosk in this program)."""
        version = (self.db.data_version(), self.db.commits)
        changed = version != self._seen_version
        self._seen_version = version
        return changed
