"""What each lane holds (see ``lanes``): one typed context per lane, made on its own thread.

``DbContext`` — the db lane: this PC's database through its one write connection, the case
desk, and the queue when this PC keeps it (LocalQueue). ``HallContext`` — the hall lane: the
hall server's queue (HallQueue) with its own connection for what manual mode stores.
``DeviceContext`` — the device lane: the ID-card reader and the scanner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallclient.config import Config, queue_rules
from hallclient.core.accounts import Clerk, Role, check_password, hash_password
from hallclient.core.clock import Clock, local_now
from hallclient.core.tickets import QueueError
from hallclient.queue.local import LocalQueue
from hallclient.store import accounts_repo, log_repo
from hallclient.store.db import DB_FILE, Database, open_database

if TYPE_CHECKING:
    from hallclient.devices.idcard import IdCardReader
    from hallclient.devices.scanner import SaneScanner
    from hallclient.queue.hall import HallQueue
    from hallclient.services.case_desk import CaseDesk

log = logging.getLogger(__name__)

HallEvent = dict[str, Any]          # one server-sent event: {"id", "event", "data"}


class HallNotConfiguredError(QueueError):
    pass


def uses_hall(config: Config) -> bool:
    return bool(config["queue.source"] == "hall")


def make_queue(db: Database, config: Config, data_dir: Path, clock: Clock,
               on_event: Callable[[HallEvent], None] | None = None,
               on_link: Callable[[bool], None] | None = None) -> LocalQueue | HallQueue:
    """LocalQueue, or HallQueue when ``queue.source = hall`` (its event stream calls
    ``on_event`` and ``on_link`` on the stream's thread)."""
    if not uses_hall(config):
        return LocalQueue(db, queue_rules(config), clock)
    from hallclient.queue.hall import HallQueue
    from hallclient.secrets import read_secret

    url, token = config["hall.server_url"], read_secret(data_dir, kind="hall")
    if not url or not token:
        raise HallNotConfiguredError(
            "已设置使用大厅服务器（queue.source=hall），但没有服务器地址或设备令牌：请信息管理员运行"
            " hallclient admin join-hall 地址 设备标识")
    return HallQueue(db, url, token, clock, verify=config["hall.ca_bundle"] or True,
                     on_event=on_event, on_link=on_link,
                     token_source=lambda: read_secret(data_dir, kind="hall"))


# -- the db lane ------------------------------------------------------------------------

class DbContext:
    """The db lane's context: ``db`` (the one write connection), ``clock``, ``queue`` (this
    PC's LocalQueue; None when the hall server keeps the queue) and ``desk`` (the intake
    desk, made on first use by ``make_desk`` so its imports do not hold start-up back)."""

    def __init__(self, db: Database, clock: Clock, queue: LocalQueue | None = None,
                 desk: CaseDesk | None = None,
                 make_desk: Callable[[], CaseDesk] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.queue = queue
        self._desk = desk
        self._make_desk = make_desk

    @property
    def desk(self) -> CaseDesk:
        if self._desk is None:
            if self._make_desk is None:
                raise RuntimeError("no case desk in this context")
            self._desk = self._make_desk()
        return self._desk

    def local_queue(self) -> LocalQueue:
        if self.queue is None:
            raise RuntimeError("the queue is kept by the hall server: a job for the hall lane")
        return self.queue

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
        self.db.close()


def open_context(data_dir: Path, config: Config, clock: Clock = local_now) -> DbContext:
    """The db lane's context (also what admin commands and tests use on one thread)."""
    db = open_database(data_dir / DB_FILE)

    def make_desk() -> CaseDesk:
        from hallclient.services.case_desk import CaseDesk
        from hallclient.store.attachments import AttachmentStore

        return CaseDesk(db, AttachmentStore(data_dir / "attachments"),
                        region=config["hall.region_code"],
                        device_code=config["hall.device_code"], clock=clock,
                        holidays=frozenset(config["calendar.holidays"]),
                        workdays=frozenset(config["calendar.workdays"]),
                        correction_days=config["correction.working_days"])

    queue = None if uses_hall(config) else LocalQueue(db, queue_rules(config), clock)
    return DbContext(db=db, clock=clock, queue=queue, make_desk=make_desk)


# -- the hall lane ----------------------------------------------------------------------

class HallContext:
    """The hall lane's context: ``queue`` (HallQueue: HTTP to the hall server; manual mode,
    the cached layout and the log push position in ``db``, this lane's own connection)."""

    def __init__(self, queue: HallQueue, db: Database, clock: Clock) -> None:
        self.queue = queue
        self.db = db
        self.clock = clock

    def close(self) -> None:
        try:
            self.queue.close()
        finally:
            self.db.close()


def open_hall(data_dir: Path, config: Config, clock: Clock = local_now,
              on_event: Callable[[HallEvent], None] | None = None,
              on_link: Callable[[bool], None] | None = None) -> HallContext:
    from hallclient.queue.hall import HallQueue

    db = open_database(data_dir / DB_FILE, check=False)
    try:
        queue = make_queue(db, config, data_dir, clock, on_event, on_link)
    except BaseException:
        db.close()
        raise
    assert isinstance(queue, HallQueue)
    return HallContext(queue, db, clock)


# -- the device lane --------------------------------------------------------------------

class DeviceContext:
    """The device lane's context: ``card_reader`` and ``scanner``, each made on first use
    (on the lane's thread) unless given."""

    def __init__(self, card_reader: IdCardReader | None = None, scanner: SaneScanner | None = None,
                 make_scanner: Callable[[], SaneScanner] | None = None,
                 make_card_reader: Callable[[], IdCardReader] | None = None) -> None:
        self._card_reader = card_reader
        self._scanner = scanner
        self._make_scanner = make_scanner
        self._make_card_reader = make_card_reader

    @property
    def card_reader(self) -> IdCardReader:
        if self._card_reader is None:
            if self._make_card_reader is not None:
                self._card_reader = self._make_card_reader()
            else:
                from hallclient.devices.idcard import SimulatedReader

                self._card_reader = SimulatedReader()
        return self._card_reader

    @property
    def scanner(self) -> SaneScanner:
        if self._scanner is None:
            if self._make_scanner is None:
                raise RuntimeError("no scanner configured in this context")
            self._scanner = self._make_scanner()
        return self._scanner

    def close(self) -> None:
        pass


def open_devices(config: Config) -> DeviceContext:
    def make_scanner() -> SaneScanner:
        from hallclient.devices.scanner import SaneScanner

        return SaneScanner(config["scanner.device"], config["scanner.resolution"],
                           config["scanner.mode"])

    return DeviceContext(make_scanner=make_scanner, make_card_reader=lambda: make_card_reader(config))


def make_card_reader(config: Config) -> IdCardReader:
    """The reader ``idcard.driver`` names. Nothing is loaded here: a missing or wrong vendor
    library is said (in Chinese) when a card is read, never a failed start."""
    driver, library = config["idcard.driver"], config["idcard.library"]
    port, timeout = str(config["idcard.port"]), float(config["idcard.timeout_seconds"])
    if driver == "sdt":
        from hallclient.devices.idcard_sdt import SdtReader

        return SdtReader(library, port, config["idcard.photo_decoder"], timeout)
    if driver == "cvr":
        from hallclient.devices.idcard_cvr import CvrReader

        return CvrReader(library, port, timeout)
    from hallclient.devices.idcard import SimulatedReader

    return SimulatedReader()


def load_hall_file(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


def now_text(clock: Clock = local_now) -> str:
    return datetime.isoformat(clock(), timespec="milliseconds")
