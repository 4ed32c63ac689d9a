"""The queue interface every backend offers to the services layer.

Backends are thread-affine: the services layer calls one backend from one lane (the db
lane for LocalQueue, the hall lane for HallQueue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hallclient.core.tickets import PriorityClass, Ticket
from hallclient.store.hall_repo import Service, WindowInfo


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    service_name: str
    ahead: int


@dataclass(frozen=True)
class RecallResult:
    ticket: Ticket
    became_no_show: bool


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
    link: str = ""         # hall server link: "" (local queue), "online" or "offline"
    pending: int = 0       # manual-mode services not yet sent to the hall server


class QueueBackend(Protocol):
    source_label: str

    def services(self) -> list[Service]: ...
    def windows(self) -> list[WindowInfo]: ...
    def issue(self, service: str, priority: PriorityClass, device: str = "") -> IssuedTicket: ...
    def sign_in(self, window: int, clerk: str) -> WindowSnapshot: ...
    def sign_out(self, window: int, clerk: str) -> None: ...
    def record(self, action: str, window: int | None, clerk: str | None,
               detail: dict[str, object] | None = None) -> None: ...
    def call_next(self, window: int, clerk: str) -> Ticket | None: ...
    def call_specific(self, window: int, clerk: str, number: str) -> Ticket: ...
    def recall(self, window: int, clerk: str, ticket_id: int) -> RecallResult: ...
    def no_show(self, window: int, clerk: str, ticket_id: int) -> Ticket: ...
    def reactivate(self, window: int, clerk: str, number: str) -> Ticket: ...
    def start(self, window: int, clerk: str, ticket_id: int) -> Ticket: ...
    def finish(self, window: int, clerk: str, ticket_id: int) -> Ticket: ...
    def hold(self, window: int, clerk: str, ticket_id: int) -> Ticket: ...
    def return_held(self, window: int, clerk: str, ticket_id: int) -> Ticket: ...
    def transfer(self, window: int, clerk: str, ticket_id: int, *, to_service: str | None = None,
                 to_window: int | None = None, raised: bool = False) -> Ticket: ...
    def pause(self, window: int, clerk: str, reason: str = "") -> None: ...
    def resume(self, window: int, clerk: str) -> None: ...
    def snapshot(self, window: int) -> WindowSnapshot: ...
