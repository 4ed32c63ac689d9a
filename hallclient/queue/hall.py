"""HallQueue: the hall server's shared queue (大厅服务器), behind the same interface as
LocalQueue, plus the event stream the server pushes (server-sent events).

When the hall server cannot be reached the counter keeps serving in manual mode (手工接待):
the clerk receives the applicant by the number on their ticket (or with none), start and
finish are written to this PC's database first, and those services are sent to the server
— once each — as soon as it answers again, before any new call. The server then marks
those tickets finished, so no other window calls them again.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import ValidationError

from hallclient.core.appointments import APPOINTMENT_KEY, Appointment, normalise_key
from hallclient.core.clock import Clock
from hallclient.core.hall import (
    WALK_IN,
    HelpCall,
    IssuedTicket,
    RecallResult,
    Service,
    WindowInfo,
    WindowSnapshot,
)
from hallclient.core.progress import QueryAnswer
from hallclient.core.swipe import CardSwipe, SwipeError, card_number
from hallclient.core.tickets import PriorityClass, QueueError, Ticket, TicketAction, TicketState
from hallclient.store import log_repo, manual_repo, meta
from hallclient.store.db import Database
from hallclient.store.manual_repo import ManualService
from hallclient.wire import hall as wire
from hallclient.wire.hall import WindowAction

from .hall_link import (
    EventStream,
    HallAuthError,
    HallForbiddenError,
    HallHttp,
    HallRefusedError,
    HallUnavailableError,
    Monotonic,
)

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_S = 3.0     # after a failed request, stay in manual mode this long
LOG_PUSH_BATCH = 50    # 50 entries of the longest detail (escaped JSON) stay well under the server's 4 MB

Answer = TypeVar("Answer", bound=wire.Body)


def snapshot_of(view: wire.SnapshotOut) -> WindowSnapshot:
    """The counter's view from the server's answer."""
    return WindowSnapshot(
        window=view.window, state=view.state, clerk=view.clerk,
        current=view.current.ticket() if view.current else None,
        held=tuple(t.ticket() for t in view.held),
        no_shows=tuple(t.ticket() for t in view.no_shows),
        waiting=view.waiting, link="online",
        help_calls=tuple(HelpCall(h.seq, h.at, h.device, h.place) for h in view.help_calls))


def action_request(clerk: str, **fields: Any) -> wire.ActionIn:
    """A window action as the server will check it (QueueError for the clerk if not)."""
    from pydantic import ValidationError

    try:
        return wire.ActionIn(clerk=clerk, **fields)
    except ValidationError as exc:
        fields_wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if "number" in fields_wrong:
            raise QueueError("号码最多 20 个字符：请核对申请人手中的号码") from None
        if "reason" in fields_wrong:
            raise QueueError("暂停原因最多 200 个字") from None
        raise QueueError("操作内容不对（" + "、".join(sorted(fields_wrong)) + "）") from None


def check_manual(clerk: str, number: str | None, started_at: str) -> None:
    """A service recorded by hand, checked when it is typed by the rules the hall server
    applies when it arrives (QueueError says what is wrong, for the clerk)."""
    from pydantic import ValidationError

    try:
        wire.ManualIn(uid="0" * 8, clerk=clerk, number=number, started_at=started_at,
                      finished_at=started_at)
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if "number" in fields:
            raise QueueError("号码最多 20 个字符：请核对申请人手中的号码（无号来访不填号码）") from None
        raise QueueError("手工接待记录不完整（窗口人员或时间不对），请重新签到后再试") from None


def _ticket(result: wire.RecallOut | wire.TicketOut | None) -> Ticket:
    if not isinstance(result, wire.TicketOut):
        raise HallUnavailableError("大厅服务器的回答不完整")
    return result.ticket()


# -- the queue backend ----------------------------------------------------------------------

class HallQueue:
    """QueueBackend over HTTP. Thread-affine like LocalQueue: one worker thread calls it;
    ``db`` is this counter's own database (manual mode, cached hall layout, log push)."""

    source_label = "大厅服务器"

    def __init__(self, db: Database, url: str, token: str, clock: Clock,
                 verify: bool | str = True, listen: bool = True,
                 retry_after_failure_s: float = RETRY_AFTER_FAILURE_S,
                 monotonic: Monotonic = time.monotonic,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 on_link: Callable[[bool], None] | None = None,
                 token_source: Callable[[], str] | None = None) -> None:
        self.db = db
        # where the token is kept: read again when the server refuses the one in use, so a
        # counter given a new token (admin join-hall) takes it without a restart
        self.token_source = token_source
        self._signed_in: tuple[int, str] | None = None     # (window, clerk) at this counter
        self.http = HallHttp(url, token, verify)
        self.clock = clock
        self.retry_after_failure_s = retry_after_failure_s
        self.monotonic = monotonic        # the clock of the retry pause and the log push
        self._down_until = 0.0
        self._online: bool | None = None
        self._refusal = ""          # the server's words when it last refused this PC's token (401)
        self._fresh: WindowSnapshot | None = None          # the view an action answered
        self._fresh_seq = 0
        self._last_seq = 0
        self._last: WindowSnapshot | None = None           # the last snapshot from the server
        self.fetches = 0                                   # snapshots read over HTTP
        # the stream's news go to on_event / on_link on its own thread; whoever listens
        # hands them back to ``snapshot(window, news)`` on this queue's thread
        self.events = (EventStream(url, token, verify, on_event=on_event, on_link=on_link,
                                   monotonic=monotonic) if listen else None)
        if self.events is not None:
            self.events.start()

    # -- plumbing ----------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock().isoformat(timespec="milliseconds")

    def _call(self, method: str, path: str, answer: type[Answer],
              body: wire.Body | None = None) -> Answer:
        if self.monotonic() < self._down_until and not self._stream_says_up():
            if self._refusal:
                raise HallRefusedError(self._refusal)
            raise HallUnavailableError("大厅服务器连接中断")
        try:
            try:
                result = self.http.request(method, path, answer.model_validate_json,
                                           wire.body(body) if body is not None else None)
            except HallRefusedError:
                if not self._take_new_token():
                    raise
                result = self.http.request(method, path, answer.model_validate_json,
                                           wire.body(body) if body is not None else None)
        except HallUnavailableError as exc:
            self._down_until = self.monotonic() + self.retry_after_failure_s
            self._online = False
            self._refusal = exc.message if isinstance(exc, HallRefusedError) else ""
            raise
        self._online = True
        self._refusal = ""
        self._down_until = 0.0
        return result

    def _take_new_token(self) -> bool:
        """The token kept on this PC changed since it was read (``admin join-hall`` with a
        new one): use it from now on. False when there is no other token to try."""
        if self.token_source is None:
            return False
        try:
            token = self.token_source()
        except Exception as exc:          # a keyring that cannot be read now: keep the old one
            log.warning("the hall token could not be read again: %s", type(exc).__name__)
            return False
        if not token or token == self.http.token:
            return False
        log.info("a new hall token was found on this PC: using it")
        self.http.token = token
        if self.events is not None:
            self.events.set_token(token)
        if self._signed_in is not None:       # revoking the old token signed the window out
            window, clerk = self._signed_in
            try:
                view = self.http.request("GET", f"/windows/{window}", wire.WindowViewOut.model_validate_json)
                if view.state == "closed":
                    self.http.request("POST", f"/windows/{window}/{WindowAction.SIGN_IN.value}",
                                      wire.ActionOut.model_validate_json,
                                      wire.body(action_request(clerk)))
            except QueueError as exc:
                log.warning("signing in again with the new token failed: %s", exc.message)
        return True

    def _stream_says_up(self) -> bool:
        """The event stream reconnected since the last failure: try again at once."""
        return bool(self.events is not None and self.events.connected
                    and self.events.connected_since > self._down_until - self.retry_after_failure_s)

    def _act(self, window: int, action: WindowAction, clerk: str,
             **fields: Any) -> wire.RecallOut | wire.TicketOut | None:
        request = action_request(clerk, **fields)
        self._flush_manual()
        answer = self._call("POST", f"/windows/{window}/{action.value}", wire.ActionOut, request)
        self._fresh = snapshot_of(answer.snapshot)
        self._fresh_seq = answer.seq
        return answer.result

    @property
    def online(self) -> bool:
        return bool(self._online)

    # -- configuration -------------------------------------------------------------------

    def services(self) -> list[Service]:
        return [Service(s.code, s.name, s.prefix) for s in self._layout().services]

    def windows(self) -> list[WindowInfo]:
        return [WindowInfo(w.number, w.name, w.state, w.clerk, tuple(w.services))
                for w in self._layout().windows]

    def bound_window(self) -> int | None:
        """The one window this PC's device token may serve (the hall server binds a counter
        to a window), or None; remembered for a start while the server is down."""
        try:
            window = self._call("GET", "/device", wire.DeviceOut).window
        except HallUnavailableError:
            text = meta.get(self.db.conn, "bound_window")
            return int(text) if text else None
        with self.db.write() as conn:
            meta.put(conn, "bound_window", str(window or ""))
        return window

    def _layout(self) -> wire.HallOut:
        """Services and windows from the server, kept in this PC's database so that a
        counter started while the server is down can still sign in and serve by hand."""
        try:
            layout = self._call("GET", "/hall", wire.HallOut)
        except HallUnavailableError:
            text = meta.get(self.db.conn, "hall_layout")
            if text is None:
                raise
            return wire.HallOut.model_validate_json(text)
        with self.db.write() as conn:
            meta.put(conn, "hall_layout", layout.model_dump_json())
        return layout

    # -- kiosk ---------------------------------------------------------------------------

    def issue(self, service: str, priority: PriorityClass = PriorityClass.NORMAL,
              device: str = "", appointment: str | None = None, *,
              swipe: CardSwipe | None = None, reason: str = "") -> IssuedTicket:
        fields: dict[str, Any] = {"service": service, "priority": int(priority), "device": device}
        if appointment is not None:
            key = normalise_key(appointment)
            if not APPOINTMENT_KEY.match(key):
                raise QueueError("预约码或手机号不对：请核对后再输入")
            fields["appointment"] = key
        if swipe is not None:
            fields["card"] = self._card(swipe)
        if priority is PriorityClass.GREEN:
            fields["reason"] = reason[:20]
        asked = wire.IssueIn(**fields)
        answer = self._call("POST", "/tickets", wire.IssuedOut, asked)
        return IssuedTicket(answer.ticket.ticket(), answer.service_name, answer.ahead,
                            answer.appointment_time)

    @staticmethod
    def _card(swipe: CardSwipe) -> wire.CardIn:
        try:
            number = card_number(swipe.id_number)
        except SwipeError as exc:
            raise QueueError(str(exc)) from None
        return wire.CardIn(id_number=number, birth=swipe.birth)

    def card_appointment(self, swipe: CardSwipe) -> Appointment | None:
        answer = self._call("POST", "/appointments/by-card", wire.CardAppointmentOut,
                            self._card(swipe))
        a = answer.appointment
        if a is None:
            return None
        return Appointment(self.clock().date().isoformat(), a.at_time, "", "", a.service)

    def same_card(self, window: int, number: str, id_number: str) -> bool | None:
        """Asked of the server: the card's check never travels."""
        try:
            number_on_card = card_number(id_number)
        except SwipeError:
            return False                      # not a card number: not the ticket's card
        answer = self._call("POST", f"/windows/{window}/card-check", wire.CardCheckOut,
                            wire.CardCheckIn(number=number.strip().upper()[:20],
                                             id_number=number_on_card))
        return answer.same

    def call_help(self, device: str, place: str = "") -> HelpCall:
        answer = self._call("POST", "/help", wire.HelpCallOut, wire.HelpIn(place=place[:40]))
        return HelpCall(answer.seq, answer.at, answer.device, answer.place, answer.staffed)

    def answer_help(self, window: int, clerk: str, call: int) -> None:
        self._act(window, WindowAction.ANSWER_HELP, clerk, call=call)

    # -- window --------------------------------------------------------------------------

    def sign_in(self, window: int, clerk: str) -> WindowSnapshot:
        followed = self.events.window if self.events is not None else None
        if self.events is not None:
            self.events.follow(window)
        try:
            self._act(window, WindowAction.SIGN_IN, clerk)
        except HallUnavailableError:
            self.record(TicketAction.SIGN_IN_OFFLINE, window, clerk)
            return self._manual_snapshot(window, clerk)
        except QueueError:
            if self.events is not None:         # not this PC's window, say: follow as before
                self.events.follow(followed)
            raise
        self._signed_in = (window, clerk)
        return self.snapshot(window)

    def sign_out(self, window: int, clerk: str) -> None:
        self._signed_in = None
        try:
            self._act(window, WindowAction.SIGN_OUT, clerk)
        except HallUnavailableError:
            self.record(TicketAction.SIGN_OUT_OFFLINE, window, clerk)

    def record(self, action: str, window: int | None, clerk: str | None,
               detail: dict[str, object] | None = None) -> None:
        """Non-queue actions go to this counter's own log (pushed to the server later)."""
        with self.db.write() as conn:
            log_repo.append(conn, at=self._now(), action=action, window=window, clerk=clerk,
                            detail=dict(detail) if detail else None)

    def pause(self, window: int, clerk: str, reason: str = "") -> None:
        self._act(window, WindowAction.PAUSE, clerk, reason=reason)

    def resume(self, window: int, clerk: str) -> None:
        self._act(window, WindowAction.RESUME, clerk)

    # -- calling -------------------------------------------------------------------------

    def call_next(self, window: int, clerk: str) -> Ticket | None:
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        try:
            result = self._act(window, WindowAction.CALL_NEXT, clerk)
        except HallUnavailableError as exc:
            why = ("大厅服务器不认本机的令牌（已停用或已更换，请联系信息管理员）"
                   if isinstance(exc, HallRefusedError) else "大厅服务器连接中断")
            raise type(exc)(
                f"{why}，已转为手工接待：请输入申请人手中的号码后按「指定呼叫」，"
                "无号来访不填号码直接按「指定呼叫」") from exc
        return _ticket(result) if result is not None else None

    def call_specific(self, window: int, clerk: str, number: str) -> Ticket:
        """Online: call that number. Hall server out of reach: receive the applicant with
        that number by hand, or a walk-in with no number (empty)."""
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        try:
            if number.strip():
                return _ticket(self._act(window, WindowAction.CALL, clerk, number=number))
            self._call("GET", "/device", wire.DeviceOut)        # reachable, and takes our token
        except HallUnavailableError:
            return self._start_manual(window, clerk, number.strip().upper())
        raise QueueError("请输入要呼叫的号码")

    def recall(self, window: int, clerk: str, ticket_id: int) -> RecallResult:
        self._refuse_manual(ticket_id, "重呼")
        result = self._act(window, WindowAction.RECALL, clerk, ticket_id=ticket_id)
        if not isinstance(result, wire.RecallOut):
            raise HallUnavailableError("大厅服务器的回答不完整")
        return RecallResult(result.ticket.ticket(), result.became_no_show)

    def no_show(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        self._refuse_manual(ticket_id, "过号")
        return _ticket(self._act(window, WindowAction.NO_SHOW, clerk, ticket_id=ticket_id))

    def reactivate(self, window: int, clerk: str, number: str) -> Ticket:
        return _ticket(self._act(window, WindowAction.REACTIVATE, clerk, number=number))

    def start(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        if ticket_id < 0:
            return self._manual_ticket(self._manual_row(-ticket_id))
        return _ticket(self._act(window, WindowAction.START, clerk, ticket_id=ticket_id))

    def finish(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        if ticket_id < 0:
            return self._finish_manual(-ticket_id)
        return _ticket(self._act(window, WindowAction.FINISH, clerk, ticket_id=ticket_id))

    def hold(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        self._refuse_manual(ticket_id, "挂起")
        return _ticket(self._act(window, WindowAction.HOLD, clerk, ticket_id=ticket_id))

    def return_held(self, window: int, clerk: str, ticket_id: int) -> Ticket:
        return _ticket(self._act(window, WindowAction.RETURN, clerk, ticket_id=ticket_id))

    def transfer(self, window: int, clerk: str, ticket_id: int, *, to_service: str | None = None,
                 to_window: int | None = None, raised: bool = False) -> Ticket:
        self._refuse_manual(ticket_id, "转移")
        return _ticket(self._act(window, WindowAction.TRANSFER, clerk, ticket_id=ticket_id,
                                 to_service=to_service, to_window=to_window, raised=raised))

    # -- reading -------------------------------------------------------------------------

    def snapshot(self, window: int, news: Sequence[dict[str, Any]] = ()) -> WindowSnapshot:
        """The window's view. Read from the server only when needed: an action's answer
        carries the view after it, and events about other windows only change the waiting
        counts, which the events carry too — so a hall of 100 counters does not ask the
        server for 100 snapshots on every call. ``news``: the stream's events since the
        last look, in order."""
        fresh, self._fresh = self._fresh, None
        if fresh is not None and fresh.window == window:
            self._last, self._last_seq = fresh, self._fresh_seq
        events = list(news)
        open_row = self._open_manual(window)
        if open_row is not None:
            return self._manual_snapshot(window, open_row.clerk)
        last = self._last
        must_read, waiting = wire.judge_news(events, window, self._last_seq)
        stream_up = self.events is not None and self.events.connected
        if (last is not None and last.window == window and not must_read
                and (stream_up or (self.events is None and last is fresh)) and self._online_now()
                and self.pending_manual() == 0):
            if waiting is not None:
                last = self._last = replace(last, waiting=waiting)
            aside = self.aside_count()
            return last if last.aside == aside else replace(last, aside=aside)
        try:
            self._flush_manual()
            view = self._call("GET", f"/windows/{window}", wire.WindowViewOut)
        except HallUnavailableError:
            self._carry_into_manual(window, last)
            self._last = None
            return self._manual_snapshot(window, last.clerk if last is not None else None)
        self.fetches += 1
        self._last, self._last_seq = replace(snapshot_of(view), aside=self.aside_count()), view.seq
        return replace(self._last, pending=self.pending_manual())

    def report_records(self, first: str, last: str) -> dict[str, Any]:
        """The whole hall's queue records of a period, for the supervisor's report."""
        records = self._call("GET", f"/records?first={first}&last={last}", wire.RecordsOut)
        return records.model_dump(mode="json")

    def waiting_counts(self) -> dict[str, dict[int, int]]:
        return self._call("GET", "/state", wire.HallStateOut).waiting

    def status(self) -> dict[str, Any]:
        """For ``admin status``: the link, manual services not yet sent, log push position."""
        pushed = meta.get(self.db.conn, "hall_log_pushed")
        try:
            self._call("GET", "/device", wire.DeviceOut)         # reachable, and takes our token
        except QueueError:
            pass
        return {"url": self.http.url, "online": self.online, "refused": self._refusal,
                "log_refused": meta.get(self.db.conn, "hall_log_refused") or "",
                "manual_pending": self.pending_manual(),
                "log_pushed_upto": int(pushed or 0)}

    def close(self) -> None:
        if self.events is not None:
            self.events.stop()
        self.http.close()

    # -- manual mode ---------------------------------------------------------------------

    def _open_manual(self, window: int) -> ManualService | None:
        return manual_repo.open_at(self.db.conn, window)

    def _manual_row(self, row_id: int) -> ManualService:
        row = manual_repo.get(self.db.conn, row_id)
        if row is None:
            raise QueueError("找不到该手工接待记录")
        return row

    def _refuse_manual(self, ticket_id: int, what: str) -> None:
        if ticket_id < 0:
            raise QueueError(f"手工接待中不能{what}，请办结后再继续")

    def pending_manual(self) -> int:
        return manual_repo.unsent_count(self.db.conn)

    def aside_count(self) -> int:
        return manual_repo.aside_count(self.db.conn)

    def _start_manual(self, window: int, clerk: str, number: str,
                      started_at: str | None = None) -> Ticket:
        if self._open_manual(window) is not None:
            raise QueueError("手工接待中：请先办结当前来访")
        at = self._now()
        check_manual(clerk, number or None, started_at or at)
        with self.db.write() as conn:
            row_id = manual_repo.start(conn, uid=str(uuid.uuid4()), window=window, clerk=clerk,
                                       ticket=number or None, started_at=started_at or at)
            log_repo.append(conn, at=at, action=TicketAction.MANUAL_START, window=window, clerk=clerk,
                            ticket=number or None)
        return self._manual_ticket(self._manual_row(row_id))

    def _carry_into_manual(self, window: int, last: WindowSnapshot | None) -> None:
        """The server went away while this window was serving a ticket: the service goes on
        by hand, with the time it really started (sent with the rest once it is back)."""
        current = last.current if last is not None and last.window == window else None
        if (current is None or current.id < 0 or current.state is not TicketState.SERVING
                or last is None or not last.clerk or self._open_manual(window) is not None):
            return
        try:
            self._start_manual(window, last.clerk, current.number, current.started_at)
        except QueueError as exc:
            log.warning("the ticket being served could not be carried into manual mode: %s",
                        exc.message)

    def _finish_manual(self, row_id: int) -> Ticket:
        row = self._manual_row(row_id)
        if row.finished_at is None:
            at = self._now()
            with self.db.write() as conn:
                manual_repo.finish(conn, row_id, at)
                log_repo.append(conn, at=at, action=TicketAction.MANUAL_FINISH, window=row.window,
                                clerk=row.clerk, ticket=row.ticket)
            row = self._manual_row(row_id)
        try:
            self._flush_manual()
        except HallUnavailableError:
            pass
        return self._manual_ticket(row)

    def _manual_ticket(self, row: ManualService) -> Ticket:
        return Ticket(
            id=-row.id, day=row.started_at[:10], number=row.ticket or WALK_IN,
            service="", priority=PriorityClass.NORMAL,
            state=TicketState.FINISHED if row.finished_at else TicketState.SERVING,
            issued_at=row.started_at, window=row.window, called_at=row.started_at,
            started_at=row.started_at, finished_at=row.finished_at,
        )

    def _manual_snapshot(self, window: int, clerk: str | None) -> WindowSnapshot:
        row = self._open_manual(window)
        return WindowSnapshot(window=window, state="manual", clerk=clerk,
                              current=self._manual_ticket(row) if row else None,
                              link=("refused" if self._refusal else "offline"
                                    if not self._online_now() else "online"),
                              pending=self.pending_manual(), aside=self.aside_count())

    def _online_now(self) -> bool:
        return bool(self._online) and self.monotonic() >= self._down_until

    def _flush_manual(self) -> None:
        """Send finished manual services, oldest first, before anything else. One the
        server refuses for good (its number, its window) is set aside for the clerk and the
        rest go on: a bad entry never holds up those behind it or the next call."""
        for row in manual_repo.unsent(self.db.conn):
            try:
                answer = self._call("POST", f"/windows/{row.window}/manual", wire.ManualOut,
                                    wire.ManualIn(uid=row.uid, clerk=row.clerk, number=row.ticket,
                                                  started_at=row.started_at,
                                                  finished_at=row.finished_at or ""))
            except HallForbiddenError as exc:          # not this PC's window, say
                self._set_aside(row, exc.message)
                continue
            except (HallUnavailableError, HallAuthError):
                raise                   # the link or this device: nothing is the row's fault
            except (QueueError, ValueError) as exc:    # 409/422, or kept before these rules
                self._set_aside(row, exc.message if isinstance(exc, QueueError)
                                else "记录内容不符合大厅服务器的要求")
                continue
            with self.db.write() as conn:
                manual_repo.mark_sent(conn, row.id, self._now(),
                                      json.dumps(answer.model_dump(), ensure_ascii=False))
                log_repo.append(conn, at=self._now(), action=TicketAction.MANUAL_SENT,
                                window=row.window, clerk=row.clerk, ticket=row.ticket,
                                detail={"result": answer.result})
            if answer.result == "conflict":
                log.warning("manual service clashed on the hall server: %s", answer.message)

    def _set_aside(self, row: ManualService, reason: str) -> None:
        log.warning("a manual service was refused by the hall server and set aside: %s", reason)
        with self.db.write() as conn:
            manual_repo.set_aside(conn, row.id, self._now(), reason)
            log_repo.append(conn, at=self._now(), action=TicketAction.MANUAL_REFUSED,
                            window=row.window, clerk=row.clerk, ticket=row.ticket,
                            detail={"uid": row.uid, "reason": reason})

    def manual_aside(self) -> list[ManualService]:
        """The manual services the server refused, waiting for the clerk (需处理)."""
        return manual_repo.aside(self.db.conn)

    def amend_manual(self, row_id: int, clerk: str, number: str) -> None:
        """修改: the clerk's corrected number (empty: a walk-in); sent with the next action."""
        row = self._manual_row(row_id)
        number = number.strip().upper()
        check_manual(row.clerk, number or None, row.started_at)
        with self.db.write() as conn:
            manual_repo.amend(conn, row_id, number or None)
            log_repo.append(conn, at=self._now(), action=TicketAction.MANUAL_AMENDED,
                            window=row.window, clerk=clerk, ticket=number or None,
                            detail={"uid": row.uid, "was": row.ticket})
        try:
            self._flush_manual()
        except HallUnavailableError:
            pass

    def void_manual(self, row_id: int, clerk: str, reason: str) -> None:
        """作废: the clerk withdraws a refused service (never sent; logged with the reason)."""
        row = self._manual_row(row_id)
        if not reason.strip():
            raise QueueError("请写明作废原因")
        at = self._now()
        with self.db.write() as conn:
            manual_repo.mark_sent(conn, row_id, at, json.dumps(
                {"result": "voided", "message": f"已作废：{reason.strip()}"}, ensure_ascii=False))
            log_repo.append(conn, at=at, action=TicketAction.MANUAL_VOIDED, window=row.window,
                            clerk=clerk, ticket=row.ticket,
                            detail={"uid": row.uid, "reason": reason.strip()[:200]})

    def manual_results(self) -> list[dict[str, Any]]:
        """What the server said about each manual service sent (for the clerk's notice)."""
        return [json.loads(r.result or "{}") | {"ticket": r.ticket}
                for r in manual_repo.answered(self.db.conn)]

    # -- pushing this counter's log to the hall server -------------------------------------

    def push_log_if_up(self) -> None:
        """Now and then (a timer of the caller's): push the log unless the server is known
        to be out of reach; a failure is only logged (the next push sends it all)."""
        if self.monotonic() < self._down_until:
            return
        try:
            self.push_log()
        except HallForbiddenError as exc:       # for good, until someone looks: say so
            log.warning("event log push refused: %s", exc.message)
            if meta.get(self.db.conn, "hall_log_refused") != exc.message:
                with self.db.write() as conn:
                    meta.put(conn, "hall_log_refused", exc.message)
        except QueueError as exc:
            log.warning("event log push failed: %s", exc.message)
        except ValidationError as exc:         # an entry the wire cannot carry: never silent
            where = ", ".join(str(e["loc"][-2] if len(e["loc"]) > 1 else e["loc"][0])
                              for e in exc.errors()[:3])
            message = f"本机操作日志中有记录无法上报大厅服务器（{where}），请联系信息管理员"
            log.error("event log push impossible: %s", exc)
            if meta.get(self.db.conn, "hall_log_refused") != message:
                with self.db.write() as conn:
                    meta.put(conn, "hall_log_refused", message)
        self._publish_progress_if_up()      # the kiosks' 办件查询 rides on the same timer

    # -- 办件查询: this counter's cases' progress, and the kiosk's questions -----------------

    def publish_progress(self) -> int:
        """Send the progress of this PC's cases the server has not got (hall_progress)."""
        from . import hall_progress

        return hall_progress.publish(self.db, self._call)

    def query_progress(self, case_no: str, password: str) -> QueryAnswer:
        from . import hall_progress

        return hall_progress.query(self._call, case_no, password)

    def _publish_progress_if_up(self) -> None:
        if self.monotonic() < self._down_until:
            return
        try:
            self.publish_progress()
        except QueueError as exc:        # 403 included: logged, tried again next time
            log.warning("progress publish failed: %s", exc.message)

    def push_log(self) -> int:
        """Send this counter's log entries the server has not got; returns how many."""
        pushed = meta.get(self.db.conn, "hall_log_pushed")
        upto = int(pushed or 0)
        sent = 0
        while True:
            batch = log_repo.entries(self.db.conn, upto, LOG_PUSH_BATCH)
            if not batch:
                return sent
            answer = self._call("POST", "/logs", wire.LogPushOut,
                                wire.LogPushIn.model_validate({"entries": batch}))
            upto = answer.stored_upto
            sent += len(batch)
            with self.db.write() as conn:
                meta.put(conn, "hall_log_pushed", str(upto))
                meta.put(conn, "hall_log_refused", "")
