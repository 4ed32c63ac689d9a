"""The hall server's wire format (大厅服务器接口): every request and answer body as a typed
model, shared by the server (its routes declare them, so ``/openapi.json`` carries them) and
the counter (which parses each answer with them).

The JSON is what counters in the field already speak: tickets as objects with ``priority``
as 0/1/2 and ``state`` as its name; waiting counts as ``{service: {priority: count}}``
(priorities as JSON keys, so strings on the wire); a window's view as its snapshot plus the
event-log position ``seq`` it was read at.

Imports only core/ and pydantic: no Qt, SQLite, requests or FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from hallclient.core.progress import Handover, MissingItem, ProgressRecord
from hallclient.core.swipe import CardSwipe
from hallclient.core.tickets import PriorityClass, Ticket, TicketAction, TicketState

Waiting = dict[str, dict[int, int]]
"""Waiting tickets per service code and priority class."""

# actions at other windows that still change a window's view (its no-show list)
EVERY_WINDOW_ACTIONS = frozenset({TicketAction.NO_SHOW, TicketAction.REACTIVATE,
                                  TicketAction.MANUAL_FINISH, TicketAction.MANUAL_CONFLICT,
                                  TicketAction.HELP_CALL, TicketAction.HELP_ANSWER})


class DeviceKind(str, Enum):
    """What a registered device may do: a counter (窗口机) serves, optionally at one window
    only; a kiosk (取号机) issues tickets; a panel (综合屏) reads."""

    COUNTER = "counter"
    KIOSK = "kiosk"
    PANEL = "panel"


class WindowAction(str, Enum):
    SIGN_IN = "sign-in"
    SIGN_OUT = "sign-out"
    CALL_NEXT = "call-next"
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no-show"
    REACTIVATE = "reactivate"
    START = "start"
    FINISH = "finish"
    HOLD = "hold"
    RETURN = "return"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    ANSWER_HELP = "answer-help"     # the window goes to a kiosk's 请工作人员协助 (``call``)


class Body(BaseModel):
    """A wire body (request or answer)."""


class Request(Body):
    """A request body: every field of the type it says (no "1" for 1, no 1 for true)."""

    model_config = ConfigDict(strict=True)


# -- what a request may carry: every number within what the store keeps, every time a real
#    one (the server answers 422 for anything else, and a counter checks the same before it
#    keeps something to send later)

MAX_WINDOW = 9999
MAX_ROW = 2**63 - 1            # SQLite's integers

WindowNo = Annotated[int, Field(ge=1, le=MAX_WINDOW, title="窗口号")]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW)]
Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", title="SHA-256（十六进制小写）")]


def _local_time(text: str) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.fff][+HH:MM]``, as the counters write their times."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("时间应写成 YYYY-MM-DDTHH:MM:SS+08:00") from None
    if not 2000 <= when.year <= 2999 or "T" not in text:
        raise ValueError("时间应写成 YYYY-MM-DDTHH:MM:SS+08:00（2000—2999 年）")
    return text


def _json_object(text: str | None) -> str | None:
    """An entry's detail: the JSON text of an object, as counters write it."""
    import json

    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        raise ValueError("detail 应是 JSON 对象的文字") from None
    if not isinstance(found, dict):
        raise ValueError("detail 应是 JSON 对象的文字")
    return text


LocalTime = Annotated[str, Field(min_length=19, max_length=32, pattern=r"^[0-9T:.+\-]+$",
                                 title="时间 YYYY-MM-DDTHH:MM:SS[.fff][+08:00]"),
                      AfterValidator(_local_time)]


def _aware(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.astimezone()


def time_order(first: str, then: str) -> bool:
    """Whether ``then`` is not before ``first`` (both as LocalTime checked them; a time
    without an offset is taken as this machine's)."""
    return _aware(then) >= _aware(first)


MANUAL_LONGEST_S = 12 * 3600      # one service by hand: no longer than a working day


# -- requests ------------------------------------------------------------------------------

CardNumber = Annotated[str, Field(pattern=r"^[0-9A-Z]{15,18}$",
                                  title="身份证件号码（居民身份证、居住证、外国人永久居留身份证）")]


class CardIn(Request):
    """The card swiped at the kiosk: the server keeps a masked number and a salted hash,
    never the number itself."""

    id_number: CardNumber
    birth: date = Field(title="出生日期 YYYY-MM-DD", strict=False)   # JSON: a string

    def swipe(self) -> CardSwipe:
        return CardSwipe(self.id_number, self.birth)


class IssueIn(Request):
    service: str = Field(title="业务类别代码", min_length=1, max_length=20)
    priority: int = Field(default=0, title="优先级（0普通 1预约 2绿色通道）", ge=0, le=2)
    device: str = Field(default="", title="取号设备（不采用：服务器记录令牌所属的设备）", max_length=64)
    appointment: str | None = Field(default=None, title="预约码或预约登记的手机号（预约取号时必填）",
                                    min_length=1, max_length=20, pattern=r"^[0-9A-Z]+$")
    reason: str = Field(default="", title="绿色通道原因（老年人、残疾人、军人依法优先等）", max_length=20)
    card: CardIn | None = Field(default=None, title="刷身份证取号时的证件")


def _plain_words(text: str) -> str:
    """Words a counter shows as they are: no control, format or direction characters
    (a right-to-left override would turn the banner round, newlines stretch it)."""
    import unicodedata

    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise ValueError("不能含控制字符或换行")
    return text


class HelpIn(Request):
    place: Annotated[str, AfterValidator(_plain_words)] = Field(
        default="", title="取号机所在位置（如 一楼东侧）", max_length=40)


class HelpCallOut(Body):
    seq: int = Field(title="协助请求（日志位置）")
    at: str
    device: str = Field(title="发出请求的取号机")
    place: str = ""
    staffed: bool = Field(default=True, title="请求时是否有窗口在岗（无则无人看到）")


class AppointmentOut(Body):
    """Today's appointment booked with the card swiped (no applicant data, and not its
    code: the ticket is taken with the card itself)."""

    service: str
    at_time: str = Field(title="预约时段 HH:MM")


class CardCheckIn(Request):
    number: str = Field(title="本窗口正在办理的排队号", min_length=1, max_length=20)
    id_number: CardNumber


class CardCheckOut(Body):
    same: bool | None = Field(title="是否取号时所刷的证件（取号时未刷证：空）")


class CardAppointmentOut(Body):
    appointment: AppointmentOut | None


class ActionIn(Request):
    clerk: str = Field(title="窗口人员", min_length=1, max_length=64)
    ticket_id: RowId | None = Field(default=None, title="排队号内部标识")
    number: str | None = Field(default=None, title="排队号", max_length=20)
    to_service: str | None = Field(default=None, title="转移到业务", max_length=20)
    to_window: WindowNo | None = Field(default=None, title="转移到窗口")
    raised: bool = Field(default=False, title="转移后优先")
    reason: str = Field(default="", title="暂停原因", max_length=200)
    call: RowId | None = Field(default=None, title="协助请求（answer-help）")


class ManualIn(Request):
    uid: str = Field(title="手工接待记录标识", min_length=8, max_length=64)
    clerk: str = Field(title="窗口人员", min_length=1, max_length=64)
    number: str | None = Field(default=None, title="排队号（无号来访为空）", max_length=20,
                               pattern=r"^\S(.*\S)?$")
    started_at: LocalTime = Field(title="开始办理时间")
    finished_at: LocalTime = Field(title="办结时间（开始后 12 小时以内）")

    @model_validator(mode="after")
    def _in_order(self) -> ManualIn:
        if not time_order(self.started_at, self.finished_at):
            raise ValueError("办结时间早于开始办理时间")
        if (_aware(self.finished_at) - _aware(self.started_at)).total_seconds() > MANUAL_LONGEST_S:
            raise ValueError("一次手工接待不能超过 12 小时")
        return self


class LogEntryIn(Request):
    seq: RowId
    at: LocalTime
    device: str = Field(min_length=1, max_length=64)
    window: WindowNo | None = None
    clerk: str | None = Field(default=None, max_length=64)
    action: str = Field(min_length=1, max_length=64)
    ticket: str | None = Field(default=None, max_length=20)
    detail: Annotated[str | None, AfterValidator(_json_object)] = Field(default=None, max_length=8000)
    prev_hash: Hash
    hash: Hash


class LogPushIn(Request):
    entries: list[LogEntryIn] = Field(max_length=2000)


def body(model: Body) -> dict[str, Any]:
    """A request body as JSON, with only the fields the sender set (as sent before the
    models existed)."""
    return model.model_dump(mode="json", exclude_unset=True)


# -- answers -------------------------------------------------------------------------------

class ErrorDetail(Body):
    error: str = Field(title="错误类别", examples=["queue", "device", "forbidden", "invalid"])
    message: str = Field(title="给人看的说明")
    fields: list[str] | None = Field(default=None, title="不合格的字段（invalid）")
    registered: bool | None = Field(default=None, title="设备是否已登记（GET /device 的 401）")


class ErrorOut(Body):
    detail: ErrorDetail


class HealthOut(Body):
    ok: bool


class DeviceOut(Body):
    device_id: str = Field(title="设备标识")
    kind: DeviceKind = Field(title="设备类型")
    window: int | None = Field(title="只能操作的窗口")


class TicketOut(Body):
    """One ticket (排队号), no applicant data."""

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
    reason: str = Field(default="", title="绿色通道原因")
    appointment_time: str | None = Field(default=None, title="预约时段 HH:MM")
    id_masked: str = Field(default="", title="刷卡取号的证件号码（已遮蔽）")
    id_check: str = Field(default="", title="（不再发送：窗口用 card-check 核对）")

    @classmethod
    def of(cls, ticket: Ticket) -> TicketOut:
        """A ticket as the server sends it: the card's check never leaves the server (a
        counter asks ``card-check``); ID numbers have too little in them to guess to let a
        hash of one travel."""
        return cls.model_validate(ticket, from_attributes=True).model_copy(update={"id_check": ""})

    def ticket(self) -> Ticket:
        return Ticket(**dict(self))

    def without_card(self) -> TicketOut:
        return self.model_copy(update={"id_masked": "", "id_check": ""})


class ServiceOut(Body):
    code: str
    name: str
    prefix: str


class WindowOut(Body):
    number: int
    name: str
    state: str
    clerk: str | None
    services: list[str]


class HallOut(Body):
    """Services (业务类别) and windows (窗口) of the hall."""

    services: list[ServiceOut]
    windows: list[WindowOut]
    name: str = Field(default="", title="大厅名称（导入的大厅配置中的 hall；空：未给出）", max_length=60)
    region_code: str = Field(default="", title="行政区划代码（空：未给出）", pattern=r"^(\d{6})?$")


class WindowStateOut(Body):
    number: int
    name: str
    state: str
    current: str | None = Field(title="当前号")
    current_state: TicketState | None


class CallOut(Body):
    seq: int
    at: str
    window: int | None
    ticket: str | None
    action: str


class HallStateOut(Body):
    """The whole hall for a panel, as of log position ``seq``."""

    day: str
    windows: list[WindowStateOut]
    services: list[ServiceOut]
    waiting: Waiting
    recent_calls: list[CallOut]
    seq: int


class IssuedOut(Body):
    ticket: TicketOut
    service_name: str
    ahead: int = Field(title="前面等候人数")
    appointment_time: str | None = Field(default=None, title="预约时段 HH:MM（预约取号）")


class SnapshotOut(Body):
    """What a counter shows (see queue/base.py WindowSnapshot)."""

    window: int
    state: str
    clerk: str | None
    current: TicketOut | None
    held: list[TicketOut] = []
    no_shows: list[TicketOut] = []
    waiting: Waiting = {}
    help_calls: list[HelpCallOut] = []

    @classmethod
    def of(cls, snap: object) -> SnapshotOut:
        """From a ``WindowSnapshot`` (queue/base.py), read by attribute; the no-shows (other
        windows' applicants too) without their cards."""
        view = cls.model_validate(snap, from_attributes=True)
        view.no_shows = [t.without_card() for t in view.no_shows]
        return view

    def without_cards(self) -> SnapshotOut:
        """For a hall panel (a public screen): no ticket carries anything of a card."""
        return self.model_copy(update={
            "current": self.current.without_card() if self.current else None,
            "held": [t.without_card() for t in self.held],
            "no_shows": [t.without_card() for t in self.no_shows],
            "help_calls": []})


class WindowViewOut(SnapshotOut):
    seq: int = Field(default=0, title="这一视图对应的日志位置（其后的事件才是新消息）")


class RecallOut(Body):
    ticket: TicketOut
    became_no_show: bool


class ActionOut(Body):
    """A window action's outcome and the window's view right after it."""

    result: RecallOut | TicketOut | None = Field(
        title="recall：排队号与是否转为过号；call-next 无人等候时为空；其余为排队号")
    snapshot: SnapshotOut
    seq: int


class ManualOut(Body):
    result: Literal["walk_in", "unknown", "served", "conflict"]
    message: str


class LogPushOut(Body):
    stored_upto: int = Field(title="服务器已收到本机日志到第几条")


class LogVerdictOut(Body):
    intact: bool
    entries: int
    broken_seq: int | None = None
    reason: str | None = None


class RecordsOut(Body):
    """The queue's records of a period for the supervisor's report (值班长日报)."""

    tickets: list[tuple[str, str, str, str, str | None, str | None, str | None, int | None,
                        str | None, bool]] = Field(
        title="number, service, state, issued_at, called_at, started_at, finished_at, "
              "window, clerk, transferred")
    events: list[tuple[str, int, str]] = Field(title="at, window, action")
    serves: dict[str, list[str]] = Field(title="窗口 → 办理的业务")
    cases: list[dict[str, Any]] = Field(title="各窗口推送的办件")
    ratings: list[dict[str, Any]] = Field(title="各窗口推送的评价")
    manual: list[tuple[int | None, str | None, str, str | None, str | None]] = Field(
        default_factory=list,
        title="手工接待（停机期间手工登记的无号来访）：window, clerk, started_at, finished_at, number")
    repeats: list[tuple[str, int | None, str | None, str, str]] = Field(
        default_factory=list, title="二次补正：at, window, clerk, case_no, reason")
    log: LogVerdictOut


# -- the event stream (GET /events, server-sent events) -----------------------------------

class QueueEventOut(Body):
    """``event: queue`` — one entry of the hall's event log; ``id`` is its ``seq``."""

    seq: int
    at: str
    action: str
    window: int | None
    ticket: str | None
    service: str | None
    to_window: int | None
    waiting: Waiting

    def concerns(self, window: int) -> bool:
        return (self.window == window or self.to_window == window
                or self.action in EVERY_WINDOW_ACTIONS)


class WaitingEventOut(Body):
    """``event: waiting`` — other windows' news, as the waiting counts after it."""

    seq: int
    waiting: Waiting


def judge_news(events: Iterable[dict[str, Any]], window: int,
               since: int) -> tuple[bool, Waiting | None]:
    """Of the stream's events (as ``parse_sse`` gives them) newer than a window's view
    (``since``): does any concern the window (then its view is read again), and the latest
    waiting counts they carried."""
    must_read, waiting = False, None
    for event in events:
        if event["event"] == "queue":
            news: QueueEventOut | WaitingEventOut = QueueEventOut.model_validate(event["data"])
        elif event["event"] == "waiting":
            news = WaitingEventOut.model_validate(event["data"])
        else:
            must_read = True            # (re)connected: the whole state came
            continue
        if news.seq <= since:
            continue                    # already in the view
        waiting = news.waiting
        if isinstance(news, QueueEventOut) and news.concerns(window):
            must_read = True
    return must_read, waiting


# -- 办件查询: counters publish a minimal progress record per case, kiosks ask by password ----

CaseNo = Annotated[str, Field(min_length=6, max_length=50, pattern=r"^[0-9A-Za-z]+$",
                              title="办件编号")]
Day = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", title="日期 YYYY-MM-DD")]


class MissingItemWire(Request):
    name: str = Field(min_length=1, max_length=200, title="需补正的材料")
    reason: str = Field(default="", max_length=500, title="补正说明")


class ProgressWire(Request):
    """What the kiosk may show of a case: never the applicant's name, ID number or phone."""

    case_no: CaseNo
    status: int = Field(ge=1, le=99, title="办件状态代码（3窗口受理 5不予受理 6补正 11办结 ...）")
    promised_date: Day | None = Field(default=None, title="承诺办结日期")
    missing: list[MissingItemWire] = Field(default_factory=list, max_length=100,
                                           title="需补正的材料（补正中）")
    handover: Literal["", "ready", "posted"] = Field(default="", title="待领取 ready / 已邮寄 posted")
    waybill: str = Field(default="", max_length=64, title="快递单号（已邮寄）")
    pickup_place: str = Field(default="", max_length=200, title="取件地点（待领取）")

    @classmethod
    def fields_of(cls, r: ProgressRecord) -> dict[str, Any]:
        return {"case_no": r.case_no, "status": int(r.status), "promised_date": r.promised_date,
                "missing": [{"name": m.name, "reason": m.reason} for m in r.missing],
                "handover": r.handover.value, "waybill": r.waybill,
                "pickup_place": r.pickup_place}

    def record(self) -> ProgressRecord:
        return ProgressRecord(self.case_no, self.status, self.promised_date,
                              tuple(MissingItem(m.name, m.reason) for m in self.missing),
                              Handover(self.handover), self.waybill, self.pickup_place)


class ProgressRecordIn(ProgressWire):
    password_hash: str = Field(min_length=20, max_length=200,
                               pattern=r"^pbkdf2-sha256\$[0-9]{1,6}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$",
                               title="查询密码的加盐哈希（PBKDF2-SHA256），从不传明文")


class ProgressPublishIn(Request):
    records: list[ProgressRecordIn] = Field(min_length=1, max_length=200)


class ProgressPublishOut(Body):
    stored: int = Field(title="保存的记录数")
    refused: list[str] = Field(default_factory=list,
                               title="未保存的办件编号（由另一台设备发布的办件，本机不能修改）")


class ProgressQueryIn(Request):
    case_no: str = Field(min_length=1, max_length=64, title="办件编号（扫码或输入）")
    password: str = Field(min_length=1, max_length=16, title="6 位查询密码")


class ProgressOut(Body):
    """The answer to a query: the same ``refused`` for an unknown case and a wrong password."""

    verdict: Literal["shown", "refused", "locked"]
    progress: ProgressWire | None = Field(default=None, title="办件进度（仅 shown）")
    tries_left: int = Field(default=0, title="锁定前还可再试几次（refused）")
    locked_until: str | None = Field(default=None, title="暂停查询到何时（locked）")
