"""What lives on the writer thread: the database, the queue backend, accounts."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from hallclient.config import Config
from hallclient.core.accounts import Clerk, Role, check_password, hash_password
from hallclient.core.clock import Clock, local_now
from hallclient.core.queue_policy import FairnessMode, QueueRules
from hallclient.core.tickets import QueueError
from hallclient.queue.local import LocalQueue
from hallclient.store import accounts_repo, log_repo
from hallclient.store.db import DB_FILE, Database, open_database

log = logging.getLogger(__name__)


def rules_from(config: Config) -> QueueRules:
    return QueueRules(
        fairness=FairnessMode(config["queue.fairness"]),
        priority_ratio=int(config["queue.priority_ratio"]),
        aging_minutes=float(config["queue.aging_minutes"]),
        recall_limit=int(config["queue.recall_limit"]),
    )


class HallNotConfiguredError(QueueError):
    pass


def make_queue(db: Database, config: Config, data_dir: Path, clock: Clock) -> Any:
    """LocalQueue, or HallQueue when ``queue.source = hall``."""
    if config["queue.source"] != "hall":
        return LocalQueue(db, rules_from(config), clock)
    from hallclient.queue.hall import HallQueue
    from hallclient.services.sync_service import read_secret

    url, token = config["hall.server_url"], read_secret(data_dir, kind="hall")
    if not url or not token:
        raise HallNotConfiguredError(
            "已设置使用大厅服务器（queue.source=hall），但没有服务器地址或设备令牌：请信息管理员运行"
            " hallclient admin join-hall 地址 设备标识")
    return HallQueue(db, url, token, clock, verify=config["hall.ca_bundle"] or True)


class _Part:
    """A part of the context made on first use (CounterContext._part)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else obj._part(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        obj._parts[self.name] = value


class CounterContext:
    """``desk`` (CaseDesk, intake), ``card_reader`` (IdCardReader) and ``scanner``
    (SaneScanner) may be given, or made on first use by ``make(name)`` — on the writer
    thread, after start-up, so their imports do not hold the first paint back."""

    def __init__(self, db: Database, queue: Any, clock: Clock, desk: Any = None,
                 card_reader: Any = None, scanner: Any = None,
                 make: Callable[[str], Any] | None = None) -> None:
        self.db = db
        self.queue = queue          # LocalQueue or HallQueue (queue.base.QueueBackend)
        self.clock = clock
        self._parts = {"desk": desk, "card_reader": card_reader, "scanner": scanner}
        self._make = make

    def _part(self, name: str) -> Any:
        if self._parts[name] is None and self._make is not None:
            self._parts[name] = self._make(name)
        return self._parts[name]

    desk = _Part()
    card_reader = _Part()
    scanner = _Part()

    def authenticate(self, username: str, password: str) -> Clerk | None:
        found = accounts_repo.password_hash(self.db.conn, username.strip())
        if found is None or not check_password(password, found[1]):
            return None
        return found[0]

    def add_clerk(self, username: str, display_name: str, role: Role, password: str) -> None:
        at = self.clock().isoformat(timespec="milliseconds")
        hashed = hash_password(password)
        with self.db.write() as conn:
            accounts_repo.add_clerk(conn, username, display_name, role, hashed, at)
            log_repo.append(conn, at=at, action="account_saved",
                            detail={"username": username, "role": role.value})

    def clerk_count(self) -> int:
        return accounts_repo.count(self.db.conn)

    def import_hall(self, spec: dict[str, Any]) -> None:
        """Into this PC's own queue tables (with a hall server, the server has its own)."""
        from hallclient.store import hall_repo

        with self.db.write() as conn:
            hall_repo.import_hall(conn, spec)

    def import_catalog(self, spec: dict[str, Any]) -> int:
        from hallclient.store import catalog_repo

        prepared = catalog_repo.prepare(spec["items"])
        with self.db.write() as conn:
            return catalog_repo.import_prepared(conn, prepared, str(spec.get("version", "")))

    def close(self) -> None:
        closer = getattr(self.queue, "close", None)
        if closer is not None:
            closer()
        self.db.close()


def open_context(data_dir: Path, config: Config, clock: Clock = local_now,
                 card_reader: Any = None) -> CounterContext:
    db = open_database(data_dir / DB_FILE)

    def make(part: str) -> Any:
        if part == "desk":
            from hallclient.services.case_desk import CaseDesk
            from hallclient.store.attachments import AttachmentStore

            return CaseDesk(db, AttachmentStore(data_dir / "attachments"),
                            region=config["hall.region_code"],
                            device_code=config["hall.device_code"], clock=clock,
                            holidays=frozenset(config["calendar.holidays"]),
                            workdays=frozenset(config["calendar.workdays"]))
        if part == "card_reader":
            from hallclient.devices.idcard import SimulatedReader

            return SimulatedReader()
        from hallclient.devices.scanner import SaneScanner

        return SaneScanner(config["scanner.device"], config["scanner.resolution"],
                           config["scanner.mode"])

    try:
        queue = make_queue(db, config, data_dir, clock)
    except BaseException:
        db.close()
        raise
    return CounterContext(db=db, queue=queue, clock=clock, card_reader=card_reader, make=make)


def load_hall_file(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


def now_text(clock: Clock = local_now) -> str:
    return datetime.isoformat(clock(), timespec="milliseconds")
