"""The hall as every part sees it: services (业务类别), windows (窗口) and what a window
shows (its snapshot). Plain values: the store reads them, the queue backends return them,
the services and widgets show them."""

from __future__ import annotations

from dataclasses import dataclass, field

from hallclient.core.tickets import Ticket


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    prefix: str


@dataclass(frozen=True)
class WindowInfo:
    number: int
    name: str
    state: str
    clerk: str | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    service_name: str
    ahead: int
    appointment_time: str | None = None     # HH:MM of the appointment a 预约 ticket used


@dataclass(frozen=True)
class RecallResult:
    ticket: Ticket
    became_no_show: bool


@dataclass(frozen=True)
class HelpCall:
    """A kiosk's 请工作人员协助, open until a window answers it (``seq``: its log entry)."""

    seq: int
    at: str
    device: str
    place: str = ""
    staffed: bool = True        # some window was signed in when it was made (else nobody sees it)


WALK_IN = "无号"        # the number shown for an applicant served by hand without a ticket


@dataclass(frozen=True)
class WindowSnapshot:
    """What a counter shows: its state, current ticket, its held tickets, no-shows it may
    reactivate and waiting counts per service (no applicant data anywhere). State
    "manual" means the hall server is out of reach and the window serves by hand."""

    window: int
    state: str
    clerk: str | None
    current: Ticket | None
    held: tuple[Ticket, ...] = ()
    no_shows: tuple[Ticket, ...] = ()
    waiting: dict[str, dict[int, int]] = field(default_factory=dict)
    link: str = ""         # hall server link: "" (local queue), "online", "offline" or
    #                        "refused" (the server answers but no longer accepts this PC's token)
    pending: int = 0       # manual-mode services not yet sent to the hall server
    aside: int = 0         # ... and those it refused, waiting for the clerk (需处理)
    help_calls: tuple[HelpCall, ...] = ()   # kiosks asking for staff (请工作人员协助)
