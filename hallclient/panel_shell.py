"""``hallclient panel``: the hall display (综合屏) and its announcer, fed by the hall server's
events; it needs only the server's address and a panel token, no database of its own.
A composition root beside app.py: it builds the announcer the panel window is handed."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from hallclient.config import Config
from hallclient.shell import Stoppable, place_on_screen

if TYPE_CHECKING:
    from hallclient.devices.speech import Announcer
    from hallclient.services.hall_events import HallEventsService
    from hallclient.ui.panel_window import PanelWindow


@dataclass(eq=False)
class PanelApp:
    qapp: QApplication
    config: Config
    events: HallEventsService
    panel: PanelWindow
    announcer: Announcer
    demo_hall: Stoppable | None = None
    exit_code: int | None = None

    def close(self) -> None:
        self.events.stop()
        self.panel.close()
        if self.demo_hall is not None:
            self.demo_hall.stop()


def start_panel(qapp: QApplication, config: Config, url: str, token: str, *, windowed: bool,
                screen: int | None, demo_hall: Stoppable | None = None) -> PanelApp:
    """Show the panel and start listening; without an address or a token it says who sets
    them up."""
    from hallclient.devices.speech import Announcer
    from hallclient.services.hall_events import HallEventsService
    from hallclient.ui.panel_window import PanelWindow

    events = HallEventsService(url or "http://127.0.0.1:8710", token, config["hall.ca_bundle"] or True)
    announcer = Announcer(config["announce.template"], speech=False)
    panel = PanelWindow(config["hall.name"], events, announcer)
    app = PanelApp(qapp, config, events, panel, announcer, demo_hall)
    place_on_screen(panel, screen)
    panel.show() if windowed else panel.showFullScreen()
    if not url or not token:
        QMessageBox.critical(panel, panel.tr("未配置大厅服务器"), panel.tr(
            "请信息管理员在本机运行 hallclient admin join-hall 地址 设备标识（设备类型 panel）"))
        return app
    events.start()

    def load_speech() -> None:
        if config["announce.speech"]:
            announcer.adopt(Announcer(config["announce.template"], speech=True,
                                      engine=config["announce.engine"]))

    QTimer.singleShot(0, load_speech)
    return app


class DemoHallLike(Stoppable, Protocol):
    """The panel's demo hall (demo_hall.DemoHall): a hall server with simulated windows."""

    url: str
    panel_token: str

    def start(self) -> None: ...


def start_from_command_line(args: argparse.Namespace, config: Config, data_dir: Path,
                            qapp: QApplication, demo: DemoHallLike | None = None) -> PanelApp:
    """``hallclient panel``: the hall server's address and panel token (admin join-hall), or
    with ``--demo`` the demo hall app.py started (a server with simulated windows)."""
    from hallclient.secrets import read_secret

    if demo is not None:
        url, token = demo.url, demo.panel_token
    else:
        url, token = config["hall.server_url"], read_secret(data_dir, kind="hall")
    app = start_panel(qapp, config, url, token, windowed=args.windowed, screen=args.screen,
                      demo_hall=demo)
    if getattr(args, "training", False):
        from hallclient.ui.training import mark_training

        mark_training(app.panel, public=True)
    if demo is not None:
        demo.start()
    return app
