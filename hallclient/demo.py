"""Demo, training and self-test data: the demo hall, its catalog, waiting tickets, demo
accounts, the platform simulator on loopback, and where the demo's windows go on screen.

``hallclient --demo`` runs all of it in a throw-away folder, ``--training`` in the PC's
training data, ``--self-test`` in a throw-away folder.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from hallclient import process, resources
from hallclient.config import Config

log = logging.getLogger(__name__)

PASSWORD = "demo"
DEVICE_ID = "DEMO-W01"
TICKETS = ["ZH", "ZH", "SC", "ZH", "RS", "BDC", "ZH", "ZX", "GA", "ZH", "SC", "RS"]
GREEN = (3, 9)              # which of them are 绿色通道
# today's demo appointments (预约): code, phone, service, time; try 123456 or 13800138000
APPOINTMENTS = (("123456", "13800138000", "ZH", "09:30"), ("654321", "13900139000", "SC", "10:00"),
                ("246810", "", "RS", "14:30"))
# and one on the platform's booking system, made with the demo reader's second card (李䶮):
# swiped at the kiosk, it gives its 预约 ticket at once
CARD_APPOINTMENT = {"code": "P88001", "time": "15:00", "service": "SC",
                    "id_number": "440524188001010014"}
KIOSK_SHARE = 0.4           # of the screen's width, when the kiosk sits beside the counter


def hall_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(resources.path("demo", "hall.json").read_text(encoding="utf-8"))
    return spec


def configure(config: Config) -> None:
    """The demo hall's name and its real-looking 行政区划代码 (so case numbers look like a
    county's, not 000000…); set for this run, not saved."""
    spec = hall_spec()
    config.set("hall.name", spec.get("hall", config["hall.name"]))
    config.set("hall.region_code", spec.get("region_code", config["hall.region_code"]))


def start_platform(data_dir: Path, config: Config, keep_secret_in_folder: bool) -> Any:
    """The platform simulator with the demo catalog, in a child process on loopback, this
    counter registered with it; None when the servers extra is not installed. A throw-away
    folder keeps the device secret in a file inside it (gone with the folder), never in the
    OS keyring."""
    if not servers_installed():
        log.info("servers extra not installed; running without a platform")
        return None
    import secrets

    from hallclient.secrets import keep_in_folder, write_secret

    secret = secrets.token_urlsafe(16)
    server = PlatformProcess(data_dir, DEVICE_ID, secret)
    try:
        if keep_secret_in_folder:
            keep_in_folder(data_dir)
        write_secret(data_dir, secret)
    except BaseException:                 # a full disk, say: the simulator goes too
        server.stop()
        raise
    config.set("platform.url", server.url)
    config.set("platform.device_id", DEVICE_ID)
    return server


def servers_installed() -> bool:
    """The servers extra (FastAPI, uvicorn) can be imported, without importing it here."""
    import importlib.util

    for name in ("fastapi", "uvicorn"):
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError, AttributeError):    # a module set to None, a broken one
            return False
    return True


class PlatformProcess:
    """``hallclient platform-sim`` as a child process, serving the demo catalog on a loopback
    socket this process opens: its address is known at once (no port race, no waiting for
    it to start), its memory is its own, and it stops when its stdin closes — when ``stop``
    is called or this process ends in any way. Its output goes to ``platform-sim.log``."""

    def __init__(self, data_dir: Path, device_id: str, secret: str) -> None:
        import socket
        import subprocess
        import sys

        from hallclient.servers.sim_store import SimStore

        self.root = data_dir / "platform-sim"
        store = SimStore(self.root)           # the counter is registered before it serves
        try:
            store.add_device(device_id, secret)
            from hallclient.wire.platform import AppointmentsIn

            today = datetime.now().date().isoformat()
            store.set_appointments(today, AppointmentsIn.model_validate(
                {"appointments": [CARD_APPOINTMENT]}).model_dump_json())
        finally:
            store.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        argv = [*process.program_command(), "--data-dir", str(data_dir), "platform-sim",
                "--host", "127.0.0.1", "--until-stdin-closes"]
        if sys.platform == "win32":       # handed over by socket.share(), once it runs
            argv += ["--listen-shared"]
            fds: tuple[int, ...] = ()
        else:
            argv += ["--listen-fd", str(sock.fileno())]
            fds = (sock.fileno(),)
        self.log_path = self.root / "platform-sim.log"
        with open(self.log_path, "ab") as out:
            # its log in UTF-8 whatever the code page (a Chinese Windows' is GBK)
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=out,
                                            pass_fds=fds, cwd=process.program_folder(),
                                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        if sys.platform == "win32":
            assert self.process.stdin is not None
            self.process.stdin.write(sock.share(self.process.pid).hex().encode("ascii") + b"\n")
            self.process.stdin.flush()
        sock.close()                          # the child holds it now
        (data_dir / process.SIM_PID_FILE).write_text(str(self.process.pid), encoding="ascii")

    def ended(self) -> str | None:
        """None while it runs; else why it ended (the last line it wrote)."""
        code = self.process.poll()
        if code is None:
            return None
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        return f"退出码 {code}" + (f"：{lines[-1]}" if lines else "")

    def store(self) -> Any:
        """The simulator's own database, opened for reading what it recorded (close it)."""
        from hallclient.servers.sim_store import SimStore

        return SimStore(self.root)

    def stop(self) -> None:
        import subprocess

        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_hall(data_dir: Path, config: Config) -> Any:
    """``panel --demo``: a hall server with simulated windows and kiosks; None without the
    servers extra."""
    try:
        from hallclient.demo_hall import DemoHall
    except ImportError:
        return None
    spec = hall_spec()
    config.set("hall.name", spec.get("hall", config["hall.name"]))
    return DemoHall(data_dir / "demo-hall", spec)


def seed(ctx: Any) -> None:
    """On the db lane: the demo hall, two accounts and a dozen waiting tickets, once."""
    from hallclient.core.accounts import Role
    from hallclient.core.tickets import PriorityClass

    if ctx.clerk_count() > 0:
        return                      # a training data dir from an earlier run
    ctx.import_hall(hall_spec())
    if ctx.clerk_count() == 0:
        ctx.add_clerk("demo", "演示窗口员", Role.CLERK, PASSWORD)
        ctx.add_clerk("admin", "演示管理员", Role.SUPERVISOR, PASSWORD)
    if ctx.queue is None:
        return                      # never demo tickets in a real hall server's queue
    for i, code in enumerate(TICKETS):
        ctx.queue.issue(code, PriorityClass.GREEN if i in GREEN else PriorityClass.NORMAL, "demo")
    if hasattr(ctx.queue, "import_appointments"):       # this PC's own queue
        from hallclient.core.appointments import Appointment

        day = ctx.queue.clock().date().isoformat()
        ctx.queue.import_appointments([Appointment(day, at, code, phone, service)
                                       for code, phone, service, at in APPOINTMENTS])


def seed_catalog(ctx: Any) -> None:
    """The demo catalog, once; its pinyin keys come worked out beside it
    (``catalog-pinyin.json``), so the large pinyin dictionaries stay unloaded."""
    from hallclient.services.context import load_hall_file
    from hallclient.store import catalog_repo

    if catalog_repo.count(ctx.db.conn) == 0:
        spec = load_hall_file(resources.path("demo", "catalog.json"))
        prepared = catalog_repo.prepare(spec["items"], demo_catalog_keys())
        with ctx.db.write() as conn:
            catalog_repo.import_prepared(conn, prepared, str(spec.get("version", "")))


def demo_catalog_keys() -> dict[str, tuple[str, str]]:
    """Item name -> (pinyin initials, full pinyin) for the demo catalog, as shipped.
    ``write_demo_catalog_keys`` makes the file; a test checks it matches the catalog."""
    path = resources.path("demo", "catalog-pinyin.json")
    return {name: (keys[0], keys[1])
            for name, keys in json.loads(path.read_text(encoding="utf-8")).items()}


def write_demo_catalog_keys() -> Path:
    """(Re)write ``catalog-pinyin.json`` after the demo catalog changed:
    ``python -c "from hallclient.demo import write_demo_catalog_keys as w; w()"``."""
    from hallclient.core.catalog import parse_item, search_keys

    items = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))["items"]
    names = sorted({parse_item(raw).name for raw in items})
    keys = {name: list(search_keys(name)) for name in names}
    path = resources.path("demo", "catalog-pinyin.json")
    path.write_text(json.dumps(keys, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def show_kiosk_beside(app: Any, shell: Any) -> None:
    """The demo's kiosk window beside its counter, placed again once the counter page is built."""
    from hallclient.shell import build_kiosk

    kiosk = build_kiosk(app)
    place_beside(shell.window, kiosk)
    kiosk.show()
    placed: list[bool] = []         # once more when the counter page exists

    def place_again(*_: Any) -> None:
        if not placed:
            placed.append(True)
            place_beside(shell.window, kiosk)

    shell.session.signed_in.connect(place_again)


def place_beside(counter: Any, kiosk: Any) -> None:
    """The demo's kiosk beside the counter, never over its buttons: on a second screen when
    there is one, else the screen is shared (``side_by_side``)."""
    from PySide6.QtGui import QGuiApplication

    screens = QGuiApplication.screens()
    if len(screens) > 1:
        other = next((s for s in screens if s is not counter.screen()), screens[-1])
        kiosk.setScreen(other)
        area = other.availableGeometry()
        kiosk.setGeometry(area.x(), area.y(), int(area.width() * 0.9), int(area.height() * 0.9))
        return
    # the counter page (built at sign-in) needs more room than the sign-in page
    page = getattr(counter, "counter_page", None)
    needs = counter.minimumSizeHint()
    if page is not None:
        needs = needs.expandedTo(page.minimumSizeHint())
    left, right = side_by_side(counter.screen().availableGeometry(), needs,
                               kiosk.minimumSizeHint(), counter.height(),
                               counter.screen().availableGeometry().height())
    counter.setGeometry(left)
    kiosk.setGeometry(right)
    keep_on_screen(kiosk)


def keep_on_screen(window: Any) -> None:
    """A window that grows wider than it was placed (its buttons' texts changed: 等候 12 人)
    moves left, to stay whole on its screen, instead of running off its right edge."""
    from PySide6.QtCore import QEvent, QObject

    class Keeper(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
                screen = window.screen()
                area = screen.availableGeometry() if screen is not None else None
                frame = window.frameGeometry()
                if area is not None and frame.right() > area.right():
                    window.move(max(area.left(), window.x() - (frame.right() - area.right())),
                                window.y())
            return False

    if getattr(window, "_kept_on_screen", None) is None:
        window._kept_on_screen = Keeper(window)
        window.installEventFilter(window._kept_on_screen)
    window._kept_on_screen.eventFilter(window, QEvent(QEvent.Type.Resize))


def side_by_side(area: Any, counter_min: Any, kiosk_min: Any, counter_height: int,
                 kiosk_height: int) -> tuple[Any, Any]:
    """The counter on the left, the kiosk on the right, each no taller than the screen: the
    kiosk takes ``KIOSK_SHARE`` of the width (at least what its buttons need), the counter
    the rest. Where the screen is too narrow for both, the kiosk overlaps the counter's right
    side (its waiting list), never the call buttons on its left."""
    from PySide6.QtCore import QRect

    kiosk_width = min(area.width(), max(kiosk_min.width(), int(area.width() * KIOSK_SHARE)))
    counter_width = max(counter_min.width(), area.width() - kiosk_width)
    counter = QRect(area.x(), area.y(), counter_width, min(counter_height, area.height()))
    kiosk = QRect(area.x() + area.width() - kiosk_width, area.y(), kiosk_width,
                  min(kiosk_height, area.height()))
    return counter, kiosk
