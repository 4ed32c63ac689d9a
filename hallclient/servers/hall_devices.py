"""The hall server's device registry (设备登记): who may talk to it, and as what.

Every request names a device by ``Authorization: Bearer <token>``; the server keeps only
the token's hash. A counter may be bound to one window; a kiosk issues tickets; a panel
reads. The kinds are part of the wire format (``hallclient.wire.hall.DeviceKind``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from hallclient.core.clock import Clock, local_now
from hallclient.core.tickets import TicketAction, TicketState
from hallclient.store import hall_repo, log_repo
from hallclient.store.db import Database
from hallclient.wire.hall import DeviceKind

from . import hall_store


@dataclass(frozen=True)
class Device:
    device_id: str
    kind: DeviceKind
    window: int | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_device(db: Database, device_id: str, kind: DeviceKind, window: int | None = None,
               clock: Clock = local_now) -> str:
    """Register (or re-key) a device; returns its new token, shown once. A counter moved
    to another window (or made something else) leaves its old window as a revoke does."""
    if not device_id.strip():
        raise ValueError("设备标识不能为空")
    device_id = device_id.strip()
    token = secrets.token_urlsafe(24)
    with db.write() as conn:
        before = hall_store.counter_window(conn, device_id)
        hall_store.save_device(conn, device_id, kind.value, window, hash_token(token),
                               clock().isoformat(timespec="seconds"))
        log_repo.append(conn, at=clock().isoformat(timespec="milliseconds"),
                        action="device_saved",
                        detail={"device": device_id, "kind": kind.value, "window": window})
    if before is not None and (kind is not DeviceKind.COUNTER or window != before):
        _leave_window(db, device_id, before, "device_moved", clock)
    return token


def revoke_device(db: Database, device_id: str, clock: Clock = local_now) -> bool:
    """Take a device's right to talk to the server away (a lost or stolen PC or token); it
    takes effect at the next request, also while the server runs. A counter bound to a
    window leaves it (see ``_leave_window``). False: no such active device."""
    device_id = device_id.strip()
    with db.write() as conn:
        window = hall_store.counter_window(conn, device_id)
        if not hall_store.revoke_device(conn, device_id, hash_token(secrets.token_urlsafe(24))):
            return False
        log_repo.append(conn, at=clock().isoformat(timespec="milliseconds"),
                        action="device_revoked", detail={"device": device_id})
    if window is not None:
        _leave_window(db, device_id, window, "device_revoked", clock)
    return True


def _leave_window(db: Database, device_id: str, window: int, reason: str, clock: Clock) -> None:
    """The counter that was bound to ``window`` can no longer act for it: a signed-in
    window signs out, so the hall no longer shows a clerk at a window nobody can act for;
    a ticket called there and not yet served goes back to the front of its queue for
    another window (one being served stays: the clerk goes on by hand and the counter
    reports it later)."""
    from hallclient.queue.local import LocalQueue

    state = hall_repo.window_state(db.conn, window)
    if state is None or state[0] == "closed":
        return
    queue = LocalQueue(db, clock=clock)
    called = queue.snapshot(window).current
    if called is not None and called.state is TicketState.CALLED:
        queue.transfer(window, state[1] or device_id, called.id, to_service=called.service,
                       raised=True)
    with db.write() as conn:
        hall_repo.set_window_state(conn, window, "closed", None)
        log_repo.append(conn, at=clock().isoformat(timespec="milliseconds"),
                        action=TicketAction.SIGN_OUT, window=window, clerk=state[1],
                        detail={"reason": reason, "device": device_id})


def find_device(db: Database, token: str) -> Device | None:
    """The active device this token belongs to, as the registry says now."""
    found = hall_store.device_by_token(db.conn, hash_token(token))
    return Device(found[0], DeviceKind(found[1]), found[2]) if found else None
