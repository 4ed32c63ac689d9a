"""Demo, training and self-test data: the demo hall, its catalog, waiting tickets, demo
accounts, the platform simulator on loopback, and where the demo's windows go on screen.

``hallclient --demo`` runs all of it in a throw-away folder, ``--training`` in the PC's
training data, ``--self-test`` in a throw-away folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from pathlib import Path
from typing import Any

from hallclient import resources
from hallclient.config import Config

log = logging.getLogger(__name__)

PASSWORD = "demo"
DEVICE_ID = "DEMO-W01"
TICKETS = ["ZH", "ZH", "SC", "ZH", "RS", "BDC", "ZH", "ZX", "GA", "ZH", "SC", "RS"]
GREEN = (3, 9)              # which of them are 绿色通道
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
    """The platform simulator on loopback with the demo catalog, this counter registered with
    it; None when the servers extra is not installed. A throw-away folder keeps the device
    secret in a file inside it (gone with the folder), never in the OS keyring."""
    try:
        from hallclient.servers.platform_sim import RunningServer, create_app
    except ImportError:
        log.info("servers extra not installed; running without a platform")
        return None
    from hallclient.services.sync_service import write_secret

    server = RunningServer(create_app(data_dir / "platform-sim"))
    secret = secrets.token_urlsafe(16)
    server.sim.store.add_device(DEVICE_ID, secret)
    if keep_secret_in_folder:
        write_secret(data_dir, secret, ring=None)
    else:
        write_secret(data_dir, secret)
    config.set("platform.url", server.url)
    config.set("platform.device_id", DEVICE_ID)
    catalog = resources.path("demo", "catalog.json").read_bytes()
    etag = '"' + hashlib.sha256(catalog).hexdigest()[:32] + '"'
    server.sim.store.set_catalog(catalog.decode("utf-8"), etag)
    return server


def start_hall(data_dir: Path, config: Config) -> Any:
    """``panel --demo``: a hall server with simulated windows and kiosks; None without the
    servers extra."""
    try:
        from hallclient.servers.hall_demo import DemoHall
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


def seed_catalog(ctx: Any) -> None:
    """The demo catalog (its pinyin keys need a large dictionary loaded): once the window
    is up, so it does not hold the first paint back."""
    from hallclient.services.context import load_hall_file
    from hallclient.store import catalog_repo

    if catalog_repo.count(ctx.db.conn) == 0:
        ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))


def place_beside(counter: Any, kiosk: Any) -> None:
    """The demo's kiosk beside the counter, never over its buttons: on a second screen when
    there is one, else the screen is shared (``side_by_side``)."""
    from PySide6.QtGui import QGuiApplication

    screens = QGuiApplication.screens()
    if len(screens) > 1:
        other = next((s for s in screens if s is not counter.screen()), screens[-1])
        kiosk.setScreen(other)
        kiosk.move(other.availableGeometry().topLeft())
        return
    # the counter page (built at sign-in) needs more room than the sign-in page
    page = getattr(counter, "counter_page", None)
    needs = counter.minimumSizeHint()
    if page is not None:
        needs = needs.expandedTo(page.minimumSizeHint())
    left, right = side_by_side(counter.screen().availableGeometry(), needs,
                               kiosk.minimumSizeHint(), counter.height(), kiosk.height())
    counter.setGeometry(left)
    kiosk.setGeometry(right)


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
