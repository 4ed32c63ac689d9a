"""The hall server's routes (大厅服务器接口), one function each, with the wire models of
``hallclient.wire.hall`` as their bodies and answers, so ``/openapi.json`` describes both.

Each route asks the device behind the token (``Authorization: Bearer``) and checks its
kind; the work runs on the server's writer thread (``run``) or reader thread (``read``).
The ``HallServer`` is the application's ``state.hall``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hallclient.core.progress import (
    QueryAnswer,
    normalise_case_no,
    password_matches_hash,
    valid_case_no,
    valid_password,
)
from hallclient.core.swipe import PreparedCard, SwipeError, prepare, same_person
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.queue.local import LocalQueue
from hallclient.store import hall_repo, log_repo
from hallclient.wire import HALL_API
from hallclient.wire.hall import (
    MAX_ROW,
    MAX_WINDOW,
    ActionIn,
    ActionOut,
    AppointmentOut,
    CardAppointmentOut,
    CardCheckIn,
    CardCheckOut,
    CardIn,
    DeviceKind,
    DeviceOut,
    ErrorOut,
    HallOut,
    HallStateOut,
    HealthOut,
    HelpCallOut,
    HelpIn,
    IssuedOut,
    IssueIn,
    LogPushIn,
    LogPushOut,
    ManualIn,
    ManualOut,
    ProgressOut,
    ProgressPublishIn,
    ProgressPublishOut,
    ProgressQueryIn,
    ProgressWire,
    RecallOut,
    RecordsOut,
    ServiceOut,
    SnapshotOut,
    TicketOut,
    WindowAction,
    WindowOut,
    WindowViewOut,
)

from . import hall_events, hall_store
from .hall_devices import Device

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .hall_server import Core, HallServer

router = APIRouter(prefix=HALL_API, responses={
    401: {"model": ErrorOut, "description": "设备未登记或令牌错误"},
    403: {"model": ErrorOut, "description": "这类设备（或这台设备）不能做这件事"},
    405: {"model": ErrorOut, "description": "这个接口不接受这种请求方法"},
    409: {"model": ErrorOut, "description": "排队规则不允许（如号已被叫走）"},
    413: {"model": ErrorOut, "description": "请求内容太大"},
    422: {"model": ErrorOut, "description": "请求内容不完整或格式不对"},
    503: {"model": ErrorOut, "description": "服务器的数据库暂时不可用"},
})


def _server(request: Request) -> HallServer:
    server: HallServer = request.app.state.hall
    return server


BEARER = Depends(HTTPBearer(auto_error=False, description="hall-server add-device 发给设备的令牌"))


async def _device(request: Request,
                  credentials: HTTPAuthorizationCredentials | None = BEARER) -> Device:
    """The device AuthenticateFirst found for this request (``credentials``: so that the
    document declares the bearer token)."""
    device: Device | None = getattr(request.state, "device", None)
    if device is None:              # a route left open to anyone cannot ask for its caller
        raise HTTPException(401, {"error": "device", "message": "大厅服务器不认这台设备：请联系信息管理员"})
    return device


SERVER = Depends(_server)
CALLER = Depends(_device)      # the device behind the token (401 without one)
WINDOW = Path(ge=1, le=MAX_WINDOW, title="窗口号")
SSE_EVENT = {            # one server-sent event: its kind, its log position, its JSON text
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"type": "string", "enum": ["state", "queue", "waiting"]},
                   "id": {"type": "string"}, "data": {"type": "string"}}}
MAX_RECORD_DAYS = 366          # a supervisor's report: at most a year at a time


def need(device: Device, *kinds: DeviceKind, window: int | None = None) -> None:
    if device.kind not in kinds:
        raise HTTPException(403, {"error": "forbidden",
                                  "message": f"{device.kind.value} 设备不能做这件事"})
    if window is not None and device.window is not None and device.window != window:
        raise HTTPException(403, {"error": "forbidden",
                                  "message": f"本机只登记了 {device.window} 号窗口"})


@router.head("/health", summary="服务是否在运行（不需令牌；监控用 HEAD 也可）",
             operation_id="health_head")
@router.get("/health", summary="服务是否在运行（不需令牌）", operation_id="health")
async def health() -> HealthOut:
    return HealthOut(ok=True)


@router.get("/device", summary="令牌属于哪台设备（admin join-hall 用它核对令牌）")
async def device_of_token(device_id: str | None = None,
                          authorization: str | None = Header(default=None),
                          server: HallServer = SERVER) -> DeviceOut:
    """The device the token belongs to. When the token is refused and ``device_id`` is
    given, the 401 answer also says whether that device is registered at all, so that the
    person joining learns whether the token or the device name is wrong (device names are
    not secret: they are printed on tickets and in logs)."""
    try:
        device = await server.device(authorization)
    except HTTPException as exc:
        if not device_id:
            raise
        known = await server.read(lambda c: c.registered(device_id))
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": exc.detail}
        raise HTTPException(401, {**detail, "registered": known}) from exc
    return DeviceOut(device_id=device.device_id, kind=device.kind, window=device.window)


@router.get("/hall", summary="业务类别与窗口")
async def hall(device: Device = CALLER,
               server: HallServer = SERVER) -> HallOut:
    def read(core: Core) -> HallOut:
        name, region_code = hall_repo.hall_identity(core.db.conn)
        return HallOut(
            services=[ServiceOut(code=s.code, name=s.name, prefix=s.prefix)
                      for s in core.queue.services()],
            windows=[WindowOut(number=w.number, name=w.name, state=w.state, clerk=w.clerk,
                               services=list(w.services)) for w in core.queue.windows()],
            name=name, region_code=region_code)

    layout: HallOut = await server.read(read)
    return layout


@router.get("/state", summary="全大厅状态：各窗口当前号、等候人数、最近呼叫")
async def state(device: Device = CALLER,
                server: HallServer = SERVER) -> HallStateOut:
    whole: dict[str, Any] = await server.read(lambda c: c.queue.hall_state())
    return HallStateOut.model_validate(whole)


@router.post("/tickets", summary="取号", status_code=201)
async def issue(body: IssueIn, device: Device = CALLER,
                server: HallServer = SERVER) -> IssuedOut:
    need(device, DeviceKind.KIOSK, DeviceKind.COUNTER)
    card = await _prepared(body.card, device, server)
    issued = await server.run(lambda c: c.queue.issue(
        body.service, PriorityClass(body.priority), device.device_id,   # never what it says
        body.appointment, reason=body.reason, card=card))
    return IssuedOut(ticket=TicketOut.of(issued.ticket), service_name=issued.service_name,
                     ahead=issued.ahead, appointment_time=issued.appointment_time)


async def _prepared(card: CardIn | None, device: Device,
                    server: HallServer) -> PreparedCard | None:
    """A swiped card checked and hashed on a thread of its own (the hashes are slow on
    purpose: never on the writer or the reader), a device's cards at a person's pace."""
    if card is None:
        return None
    if not server.query_allowed(f"card:{device.device_id}"):
        raise HTTPException(409, {"error": "busy", "message": "刷卡过于频繁，请稍后再试"})
    key = await server.read(lambda c: c.queue.card_key())
    try:
        return await asyncio.to_thread(prepare, card.swipe(), key)
    except SwipeError as exc:
        raise HTTPException(409, {"error": "queue", "message": str(exc)}) from exc


@router.post("/appointments/by-card", summary="刷身份证查今天的预约（取号机）")
async def card_appointment(body: CardIn, device: Device = CALLER,
                           server: HallServer = SERVER) -> CardAppointmentOut:
    need(device, DeviceKind.KIOSK)
    card = await _prepared(body, device, server)
    assert card is not None
    found = await server.read(lambda c: c.queue.card_appointment(body.swipe(), card))
    return CardAppointmentOut(appointment=AppointmentOut(
        service=found.service, at_time=found.at_time) if found else None)


@router.post("/windows/{window}/card-check", summary="核对证件是否取号时所刷（窗口）")
async def card_check(body: CardCheckIn, window: int = WINDOW, *, device: Device = CALLER,
                     server: HallServer = SERVER) -> CardCheckOut:
    need(device, DeviceKind.COUNTER, window=window)
    check = await server.read(lambda c: c.queue.card_check_of(window, body.number.upper()))
    same = await asyncio.to_thread(same_person, check, body.id_number) if check else None
    return CardCheckOut(same=same)


@router.post("/help", summary="请工作人员协助（取号机）", status_code=201)
async def call_help(body: HelpIn, device: Device = CALLER,
                    server: HallServer = SERVER) -> HelpCallOut:
    need(device, DeviceKind.KIOSK)
    call = await server.run(lambda c: c.queue.call_help(device.device_id, body.place))
    return HelpCallOut.model_validate(call, from_attributes=True)


@router.get("/windows/{window}", summary="窗口快照")
async def window_snapshot(window: int = WINDOW, *, device: Device = CALLER,
                          server: HallServer = SERVER) -> WindowViewOut:
    need(device, DeviceKind.COUNTER, DeviceKind.PANEL, window=window)

    def read(core: Core) -> WindowViewOut:
        # "seq": the log position this view is from (events after it are news)
        view = SnapshotOut.of(core.queue.snapshot(window))
        if device.kind is not DeviceKind.COUNTER:       # a panel: a public screen
            view = view.without_cards()
        return WindowViewOut(**dict(view), seq=core.head())

    answer: WindowViewOut = await server.read(read)
    return answer


@router.post("/windows/{window}/manual", summary="补记手工接待（幂等）")
async def manual(body: ManualIn, window: int = WINDOW, *, device: Device = CALLER,
                 server: HallServer = SERVER) -> ManualOut:
    need(device, DeviceKind.COUNTER, window=window)
    result: dict[str, Any] = await server.run(lambda c: c.queue.apply_manual(
        uid=body.uid, device=device.device_id, window=window, clerk=body.clerk,
        number=body.number, started_at=body.started_at, finished_at=body.finished_at))
    return ManualOut.model_validate(result)


@router.post("/windows/{window}/{action}", summary="窗口操作（叫号、办理、转移等）")
async def act(action: WindowAction, body: ActionIn, window: int = WINDOW, *,
              device: Device = CALLER,
              server: HallServer = SERVER) -> ActionOut:
    need(device, DeviceKind.COUNTER, window=window)

    def job(core: Core) -> ActionOut:
        result = dispatch(core.queue, window, action, body)
        snap = core.queue.snapshot(window)
        core.waiting_now = snap.waiting
        return ActionOut(result=result, snapshot=SnapshotOut.of(snap), seq=core.head())

    answer: ActionOut = await server.run(job)
    return answer


@router.get("/records", summary="一段时间的排队记录（值班长日报用，全大厅各窗口）")
async def records(first: date, last: date, device: Device = CALLER,
                  server: HallServer = SERVER) -> RecordsOut:
    need(device, DeviceKind.COUNTER)
    if not (date(2000, 1, 1) <= first <= date(2999, 12, 31)
            and date(2000, 1, 1) <= last <= date(2999, 12, 31)):
        raise HTTPException(422, {"error": "invalid", "message": "日期应在 2000—2999 年之间",
                                  "fields": ["query.first", "query.last"]})
    if last < first:
        raise HTTPException(422, {"error": "invalid", "message": "最后一天早于第一天",
                                  "fields": ["query.last"]})
    if (last - first).days >= MAX_RECORD_DAYS:
        raise HTTPException(422, {"error": "invalid", "fields": ["query.last"],
                                  "message": f"一次最多查 {MAX_RECORD_DAYS} 天的记录"})
    day0, day1 = first, last

    def read(core: Core) -> RecordsOut:
        from hallclient.reports.records import (
            cases_to_json,
            manual_to_json,
            records_to_json,
            repeats_to_json,
        )
        from hallclient.store import report_repo

        loaded = report_repo.load_queue(core.db.conn, day0, day1)
        manual = manual_to_json(loaded.pop("manual"))
        repeats = repeats_to_json(report_repo.repeat_corrections(core.db.conn, day0, day1,
                                                                 "pushed_log"))
        cases = cases_to_json(*report_repo.pushed_cases(core.db.conn, day0, day1))
        verdict = log_repo.verify_period(core.db.conn, day0.isoformat(),
                                         (day1 + timedelta(days=1)).isoformat())
        return RecordsOut.model_validate({
            **records_to_json(**loaded), **cases, "manual": manual, "repeats": repeats,
            "log": {"intact": verdict.intact, "entries": verdict.entries,
                    "broken_seq": verdict.broken_seq, "reason": verdict.reason}})

    answer: RecordsOut = await server.read_slow(read)
    return answer


@router.post("/logs", summary="窗口推送本机操作日志（校验哈希链）")
async def push_log(body: LogPushIn, device: Device = CALLER,
                   server: HallServer = SERVER) -> LogPushOut:
    need(device, DeviceKind.COUNTER)
    received = server.clock().isoformat(timespec="milliseconds")
    try:
        upto = await server.run(lambda c: c.store_pushed_log(body.entries, received, device), False)
    except HTTPException as exc:
        if exc.status_code == 403:
            log.warning("hall server: log push refused for device %s: %s", device.device_id,
                        exc.detail.get("message") if isinstance(exc.detail, dict) else exc.detail)
            raise
        raise HTTPException(422 if exc.status_code == 409 else exc.status_code, exc.detail) from exc
    return LogPushOut(stored_upto=upto)


@router.post("/progress", summary="窗口发布办件进度（办件查询用；不含申请人信息，查询密码只传加盐哈希；"
             "另一台设备发布过的办件不予修改，列在 refused 中）")
async def publish_progress(body: ProgressPublishIn, device: Device = CALLER,
                           server: HallServer = SERVER) -> ProgressPublishOut:
    need(device, DeviceKind.COUNTER)
    at = server.clock().isoformat(timespec="milliseconds")
    stored, refused = await server.run(lambda c: c.store_progress(body.records, device, at), False)
    return ProgressPublishOut(stored=stored, refused=refused)


@router.post("/progress/query", summary="办件查询：凭办件编号和查询密码（编号不存在与密码错误回答相同）")
async def query_progress(body: ProgressQueryIn, device: Device = CALLER,
                         server: HallServer = SERVER) -> ProgressOut:
    """The password is checked against the salted hash off the server's threads (it is
    slow on purpose), then the attempts kept for the number decide the answer, on the
    writer: five wrong in a row lock the number (``progress.*`` of the server's config)."""
    need(device, DeviceKind.KIOSK, DeviceKind.COUNTER)
    if not server.query_allowed(device.device_id):
        raise HTTPException(409, {"error": "busy", "message": "查询过于频繁，请稍后再试"})
    case_no = normalise_case_no(body.case_no)
    policy = server.progress_policy
    if not valid_case_no(case_no):          # no case can have it: nothing to count either
        return ProgressOut(verdict="refused", tries_left=policy.max_failures)
    found = await server.read(lambda c: hall_store.progress(c.db.conn, case_no))
    matched = await asyncio.to_thread(password_matches_hash, body.password,
                                      found[1] if found else None)
    record = ProgressWire.model_validate_json(found[0]).record() if found else None
    now = server.clock()
    answer: QueryAnswer = await server.run(lambda c: c.judge_progress(
        case_no, record, matched and valid_password(body.password), now, policy), False)
    shown = (ProgressWire.model_validate(ProgressWire.fields_of(answer.record))
             if answer.record else None)
    return ProgressOut(verdict=answer.verdict.value, progress=shown,
                       tries_left=answer.tries_left, locked_until=answer.locked_until)


@router.get("/events", summary="事件流（server-sent events）", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}},
            response_description="text/event-stream：queue 事件（id 为日志序号，数据见 "
                                 "QueueEventOut）、waiting 事件（WaitingEventOut）、"
                                 "state 全量状态（HallStateOut）")
async def events(request: Request, device: Device = CALLER, server: HallServer = SERVER,
                 last_event_id: str | None = Header(default=None),
                 window: int | None = Query(default=None, ge=1, le=9999)) -> StreamingResponse:
    """Every event (a panel); with ``?window=N`` only the events about window N, and the
    others' effect on the waiting counts as ``waiting`` events at most twice a second. A
    counter bound to a window gets that window's stream (asking for another is 403); any
    other counter or a kiosk without ``?window`` gets the waiting counts only."""
    window = stream_scope(device, window)
    sub = server.broker.subscribe(window, device.device_id)
    since = last_seen(last_event_id)
    replay = await server.read_slow(lambda c: c.replay(since)) if since is not None else None
    whole = await server.read(lambda c: c.queue.hall_state()) if replay is None else None
    authorization = request.headers.get("authorization")

    async def still_allowed() -> bool:
        """The stream ends soon after its device is revoked, re-keyed or re-bound."""
        try:
            now = await server.device(authorization)
        except HTTPException:
            return False
        return now == device

    return StreamingResponse(hall_events.stream(server.broker, sub, replay, whole, still_allowed),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def last_seen(last_event_id: str | None) -> int | None:
    """The event a reconnecting stream saw last; anything that is not one (the header is the
    client's to send) starts the stream over with the whole hall."""
    text = (last_event_id or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    seen = int(text)
    return seen if seen <= MAX_ROW else None


def stream_scope(device: Device, window: int | None) -> int | None:
    """The window whose events this device's stream carries (None: the whole hall;
    ``hall_events.COUNTS_ONLY``: none, only the waiting counts)."""
    if device.kind is DeviceKind.PANEL:
        return window
    if device.window is not None:
        need(device, DeviceKind.COUNTER, window=window if window is not None else device.window)
        return device.window
    if device.kind is DeviceKind.COUNTER and window is not None:
        return window
    return hall_events.COUNTS_ONLY


BODY_UNREADABLE = "请求内容无法读成 JSON（不是 UTF-8 文本，或层层嵌套过深）"


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """Every refusal in the server's one error shape (``ErrorOut``), also those the web
    framework makes itself: an unknown path, a method the path does not take, a body that
    cannot be read as text."""
    from starlette.exceptions import HTTPException as FrameworkError

    assert isinstance(exc, FrameworkError)
    if isinstance(exc.detail, dict):
        return JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
    if exc.status_code == 400:              # a body that is not UTF-8 text, or nested too deep
        return JSONResponse({"detail": {"error": "invalid", "fields": ["body"],
                                        "message": BODY_UNREADABLE}}, 422)
    what = {404: ("not_found", "没有这个接口"), 405: ("method", "这个接口不接受这种请求方法")}
    error, message = what.get(exc.status_code, ("http", str(exc.detail)))
    return JSONResponse({"detail": {"error": error, "message": message}}, exc.status_code,
                        exc.headers)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A body or parameter that does not fit its model: 422 in the server's error shape."""
    said = [str(e.get("msg", "")).removeprefix("Value error, ") for e in
            getattr(exc, "errors", list)() if e.get("type") == "value_error"]
    return JSONResponse(status_code=422, content={"detail": {
        "error": "invalid", "message": "请求内容不对：" + "；".join(said) if said
        else "请求内容不完整或格式不对",
        "fields": [".".join(str(p) for p in e.get("loc", ())) for e in
                   getattr(exc, "errors", list)()]}})


def dispatch(q: LocalQueue, window: int, action: WindowAction,
             body: ActionIn) -> TicketOut | RecallOut | None:
    clerk = body.clerk

    def ticket_id() -> int:
        if body.ticket_id is None:
            raise QueueError("缺少排队号")
        return body.ticket_id

    if action is WindowAction.SIGN_IN:
        q.sign_in(window, clerk)
        return None
    if action is WindowAction.SIGN_OUT:
        q.sign_out(window, clerk)
        return None
    if action is WindowAction.PAUSE:
        q.pause(window, clerk, body.reason)
        return None
    if action is WindowAction.RESUME:
        q.resume(window, clerk)
        return None
    if action is WindowAction.ANSWER_HELP:
        if body.call is None:
            raise QueueError("缺少协助请求")
        q.answer_help(window, clerk, body.call)
        return None
    if action is WindowAction.CALL_NEXT:
        called = q.call_next(window, clerk)
        return TicketOut.of(called) if called else None
    if action is WindowAction.CALL:
        return TicketOut.of(q.call_specific(window, clerk, body.number or ""))
    if action is WindowAction.REACTIVATE:
        return TicketOut.of(q.reactivate(window, clerk, body.number or ""))
    if action is WindowAction.RECALL:
        recalled = q.recall(window, clerk, ticket_id())
        return RecallOut(ticket=TicketOut.of(recalled.ticket),
                         became_no_show=recalled.became_no_show)
    if action is WindowAction.TRANSFER:
        return TicketOut.of(q.transfer(window, clerk, ticket_id(), to_service=body.to_service,
                                       to_window=body.to_window, raised=body.raised))
    simple = {WindowAction.NO_SHOW: q.no_show, WindowAction.START: q.start,
              WindowAction.FINISH: q.finish, WindowAction.HOLD: q.hold,
              WindowAction.RETURN: q.return_held}
    return TicketOut.of(simple[action](window, clerk, ticket_id()))
