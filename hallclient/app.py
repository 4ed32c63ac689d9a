"""Composition root: command line, staged start-up and wiring.

``main(argv, exec_=False)`` builds everything and returns the running ``App`` (tests drive
it); ``run()`` is the console entry point.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hallclient import __version__
from hallclient.config import CONFIG_FILE, Config, default_data_dir
from hallclient.servers.run import run_hall_server, run_platform_sim

log = logging.getLogger(__name__)



def build_parser() -> argparse.ArgumentParser:
    from hallclient.servers.run import add_platform_sim_options

    parser = argparse.ArgumentParser(
        prog="hallclient", description="政务服务大厅窗口客户端 (counter client for service halls)"
    )
    parser.add_argument("--version", action="version", version=f"hallclient {__version__}")
    parser.add_argument("--data-dir", type=Path, help="数据目录（默认：系统用户数据目录）")
    parser.add_argument("--demo", action="store_true",
                        help="演示：临时数据目录、示范大厅、等候中的号、演示账户已签到")
    parser.add_argument("--self-test", action="store_true",
                        help="自检：启动真实主窗口，签到、叫号、受理一件并生成通知书 PDF；"
                             "成功打印 SELFTEST OK 并退出 0，失败或超时退出 2")
    parser.add_argument("--window", type=int, help="默认窗口号")
    parser.add_argument("--training", action="store_true",
                        help="培训模式：单独的数据目录、本机平台模拟器、醒目的培训标识")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("counter", help="窗口叫号（默认）")
    kiosk = sub.add_parser("kiosk", help="取号机模式")
    kiosk.add_argument("--windowed", action="store_true", help="不全屏")
    kiosk.add_argument("--screen", type=int, default=None,
                       help="显示在第几块屏幕（从 1 起；默认：有副屏时用最后一块）")
    sim = sub.add_parser("platform-sim", help="省平台模拟器（演示、培训、测试用）")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8700)
    sim.add_argument("--token-ttl", type=float, default=3600.0, help="令牌有效秒数")
    sim.add_argument("--device", action="append", default=[], metavar="ID=SECRET",
                     help="预先登记的设备")
    for name, kind, text in (
            ("error-rate", float, "注入 500/502/503 的比例"),
            ("retry-after-rate", float, "注入 429/503 + Retry-After 的比例"),
            ("reset-rate", float, "处理后断开连接的比例"),
            ("truncate-rate", float, "处理后截断 JSON 的比例"),
            ("slow-ms", int, "每个请求延迟毫秒数")):
        sim.add_argument(f"--{name}", type=kind, default=0, help=text)
    sim.add_argument("--retry-after-seconds", type=int, default=1)
    sim.add_argument("--retry-after-as-date", action="store_true")
    sim.add_argument("--expire-tokens", action="store_true")
    sim.add_argument("--seed", type=int)
    add_platform_sim_options(sim)          # what it serves, beside the runner that reads it
    hall = sub.add_parser("hall-server", help="大厅服务器：全大厅共用一个队列（数据在 数据目录/hall-server）")
    hall_cmds = hall.add_subparsers(dest="hall_command")
    serve = hall_cmds.add_parser("serve", help="运行服务（默认）")
    for p in (hall, serve):
        p.add_argument("--host", default="0.0.0.0", help="监听地址（默认所有网卡）")
        p.add_argument("--port", type=int, default=8710)
        p.add_argument("--certfile", help="用 https：服务器证书（PEM）")
        p.add_argument("--keyfile", help="用 https：证书私钥（PEM）")
    imp = hall_cmds.add_parser("import-hall", help="导入业务类别与窗口配置（JSON）")
    imp.add_argument("file", nargs="?", help="JSON 文件；省略则导入示范大厅")
    dev = hall_cmds.add_parser("add-device", help="登记设备并打印其令牌（只显示一次）")
    dev.add_argument("device_id")
    dev.add_argument("--kind", choices=["counter", "kiosk", "panel"], required=True)
    dev.add_argument("--window", type=int, help="窗口机只允许操作这个窗口（可省略）")
    hall_cmds.add_parser("devices", help="列出已登记设备")
    hall_backup = hall_cmds.add_parser("backup", help="在线备份大厅服务器的数据库（服务运行中也可）")
    hall_backup.add_argument("out", help="备份存放的目录，其中新建 hallclient-hall-server-<时间>")
    hall_restore = hall_cmds.add_parser(
        "restore", help="从备份恢复大厅服务器的数据库（先停止服务；原数据移到旁边的目录，不删除）")
    hall_restore.add_argument("folder", help="hall-server backup 做的备份目录")
    panel = sub.add_parser("panel", help="大厅综合屏：最新呼叫、各窗口当前号、等候人数，并语音播报")
    panel.add_argument("--windowed", action="store_true", help="不全屏")
    panel.add_argument("--screen", type=int, default=None, help="显示在第几块屏幕（从 1 起）")
    panel.add_argument("--demo", action="store_true", dest="panel_demo",
                       help="演示：本机启动大厅服务器（示范大厅），模拟窗口叫号和取号")
    from hallclient import admin
    admin.add_parser(sub)
    return parser


@dataclass
class App:
    """Everything a running hallclient holds, for the event loop and for tests."""

    qapp: Any
    config: Config
    data_dir: Path
    worker: Any
    runner: Any
    demo: bool = False
    session: Any = None
    queue: Any = None
    announcer: Any = None
    window: Any = None
    kiosk: Any = None
    kiosk_window: Any = None
    printer: Any = None
    intake: Any = None
    intake_window: Any = None
    evaluation: Any = None
    evaluator: Any = None
    sync: Any = None
    platform_sim: Any = None
    outbox_view: Any = None
    case_list: Any = None
    reports: Any = None
    dashboard: Any = None
    supervisor_dialog: Any = None
    notice_printer: Any = None
    wedge: Any = None
    exit_code: int | None = None
    startup_errors: list[str] = field(default_factory=list)

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        if self.platform_sim is not None:
            self.platform_sim.stop()
        if self.wedge is not None:
            self.qapp.removeEventFilter(self.wedge)
            self.wedge.flush()
        for w in (self.window, self.kiosk_window):
            if w is not None:
                w.close()
        for w in (self.intake_window, self.evaluator, self.case_list, self.outbox_view,
                  self.dashboard):
            if w is not None:
                w.close()
        for printer in (self.printer, self.notice_printer):
            if printer is not None:
                printer.close()
        self.worker.close()


def main(argv: list[str] | None = None, exec_: bool = False) -> App | int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])    # as typed, for hints
    if args.self_test and args.data_dir is not None and not args.training:
        parser.exit(2, "自检总在临时数据目录中进行，不能与 --data-dir 同用；要在某个数据目录留下自检办件，"
                       "请用 --data-dir 目录 --training --self-test（写入该目录的 training/）\n")
    gui = args.command in (None, "counter", "kiosk", "panel")
    if gui:
        _load_qt_holding_signals()
    if gui and not _display_available():
        if not args.self_test:
            parser.exit(2, "没有图形桌面（未设置 DISPLAY 或 WAYLAND_DISPLAY）：请在桌面会话中启动"
                           " hallclient；远程检查这台电脑的安装请运行 hallclient --self-test\n")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"     # a self-test needs no screen
    throwaway = (args.demo or getattr(args, "panel_demo", False)
                 or (args.self_test and not args.training))
    if throwaway:
        _remove_stale_throwaways(Path(tempfile.gettempdir()))
        data_dir = Path(tempfile.mkdtemp(prefix=THROWAWAY_PREFIX))
        (data_dir / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        if exec_:
            atexit.register(shutil.rmtree, data_dir, True)
    else:
        data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
        _keep_private(data_dir)
        if args.training:
            data_dir = data_dir / "training"     # never the counter's real data
            _keep_private(data_dir)
    if args.command == "admin":
        from hallclient import admin
        return admin.run(args, data_dir)
    if args.command == "platform-sim":
        return run_platform_sim(args, data_dir)
    if args.command == "hall-server":
        return run_hall_server(args, data_dir / "hall-server")

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)     # an existing one: made private above
    from hallclient.logs import setup_logging
    setup_logging(data_dir)
    config = Config(data_dir / CONFIG_FILE)
    if not (data_dir / CONFIG_FILE).exists():
        config.save()
    if args.self_test:
        # a self-test never prints on paper: notices and tickets go to PDF files in the data dir
        config.set("kiosk.printer", "pdf")
        config.set("notice.printer", "pdf")
    if throwaway:
        from hallclient import demo as demo_data

        config.set("kiosk.printer", "pdf")
        config.set("notice.printer", "pdf")
        demo_data.configure(config)

    if args.training and config["hall.region_code"] == "000000":
        # training cases get a county-like number too
        from hallclient import demo as demo_data

        config.set("hall.region_code", demo_data.hall_spec().get("region_code", "000000"))

    if args.command == "panel":
        app = _start_panel(args, config, data_dir)
        if not exec_:
            return app
        return _run_until_closed(app, data_dir if throwaway else None, args.self_test)
    app = _start_gui(args, config, data_dir, demo=throwaway or args.training,
                     with_platform=(args.demo or args.training or args.self_test) and args.command != "kiosk",
                     throwaway=throwaway)
    if args.training and app.window is not None:
        app.window.show_training_banner()
    if not exec_:
        return app
    return _run_until_closed(app, data_dir if throwaway else None, args.self_test)


THROWAWAY_PREFIX = "hallclient-demo-"
OWNER_FILE = "owner.pid"


def _remove_stale_throwaways(tmp: Path) -> None:
    """Folders of demos and self-tests that were killed (SIGKILL, power cut) keep a demo
    device secret: the next one removes those of this user whose program is gone."""
    for folder in tmp.glob(THROWAWAY_PREFIX + "*"):
        try:
            if os.name != "nt" and folder.stat().st_uid != os.getuid():
                continue
            pid = int((folder / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue                    # not ours, or still being made
        if not _process_alive(pid):
            log.info("removing %s, left by a program that ended without cleaning up", folder)
            from hallclient.demo import remove_left_folder

            remove_left_folder(folder)


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        return True                     # no cheap check there: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True                     # exists, another user's
    return True


def _display_available() -> bool:
    """Qt on Linux aborts the process (with a misleading hint about xcb libraries) when it
    has no display and no platform was chosen; elsewhere there is always one."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _keep_private(folder: Path) -> None:
    """A data directory holds applicants' names, ID numbers and files: only its owner may
    enter it (POSIX; on Windows the profile's AppData already is the user's own)."""
    if os.name == "nt" or not folder.is_dir():
        return
    try:
        if folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
            log.info("data directory %s made owner-only", folder)
    except OSError as exc:
        log.warning("could not make %s owner-only: %s", folder, exc)


STOPPED_BY = {"SIGINT": "已退出（Ctrl+C）", "SIGTERM": "已退出（收到终止信号）",
              "SIGHUP": "已退出（终端已关闭）"}


def _stop_signals() -> list[Any]:
    """Signals that end the program cleanly: Ctrl+C, termination, and on POSIX the closing
    of the terminal it was started from."""
    import signal

    return [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])


def _run_until_closed(app: Any, throwaway: Path | None, self_test: bool = False) -> int:
    """The event loop, until the last window closes, the self-test ends, or SIGINT / SIGTERM
    arrive (Ctrl+C in a terminal, a logout, systemd): then everything is closed in order
    (uploads stopped, servers stopped, the database closed) and a throw-away folder, with
    the demo's device secret, is removed."""
    stopped: list[str] = []
    restore = _quit_on_signals(app.qapp, stopped.append)
    try:
        code = app.qapp.exec()
    finally:
        app.close()
        restore()
        if throwaway is not None:
            _remove_folder(throwaway)
    if stopped:
        return _stopped(stopped[0], self_test)
    return app.exit_code if app.exit_code is not None else int(code)


def _stopped(name: str, self_test: bool) -> int:
    """A signal ended the program: a self-test that did not finish has failed."""
    if self_test:
        print(f"SELFTEST FAILED: 自检被中断（收到 {name}）", flush=True)
        return 2
    print(STOPPED_BY.get(name, "已退出"), file=sys.stderr, flush=True)
    return 0


class StartUpInterruptedError(Exception):
    """SIGINT or SIGTERM before the event loop runs (start-up)."""


_HELD: list[str] = []          # signals that came while Qt's modules were being loaded
_HOLDING: list[bool] = []


def _interrupt_start_up(number: int, _frame: Any) -> None:
    import signal

    name = signal.Signals(number).name
    if _HOLDING:
        _HELD.append(name)
        return
    raise StartUpInterruptedError(name)


def _load_qt_holding_signals() -> None:
    """Import Qt's modules with SIGINT/SIGTERM held: raised inside PySide6's own import
    machinery, the interruption would be caught and printed there as an import problem.
    A signal that came meanwhile interrupts start-up right after."""
    _HOLDING.append(True)
    try:
        import PySide6.QtCore
        import PySide6.QtGui
        import PySide6.QtWidgets  # noqa: F401
    finally:
        _HOLDING.clear()
    if _HELD:
        raise StartUpInterruptedError(_HELD[0])


def _quit_on_signals(qapp: Any, on_signal: Any) -> Any:
    """Leave Qt's event loop on SIGINT and SIGTERM. The C-level handler writes the signal's
    number to a socket that Qt watches, so the loop wakes at once, even while it waits in C++
    where Python's own handlers would not run. Returns what undoes it."""
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    wanted = _stop_signals()
    previous = {s: signal.signal(s, lambda *_: None) for s in wanted}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, qapp)

    def woken() -> None:
        try:
            numbers = reader.recv(64)
        except OSError:
            return
        for number in numbers:
            name = signal.Signals(number).name if number in set(wanted) else ""
            if name:
                log.info("%s received: closing", name)
                on_signal(name)
                qapp.quit()
                return

    notifier.activated.connect(woken)

    def restore() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(old_fd)
        for number, handler in previous.items():
            signal.signal(number, handler)
        reader.close()
        writer.close()

    return restore


def _remove_folder(folder: Path) -> None:
    """Remove a throw-away data folder; our log file in it is closed first (Windows cannot
    delete an open file)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if str(getattr(handler, "baseFilename", "")).startswith(str(folder)):
            root.removeHandler(handler)
            handler.close()
    shutil.rmtree(folder, ignore_errors=True)


def input_method_environment(environ: Mapping[str, str], plugins: Iterable[str]) -> dict[str, str]:
    """What to change in the environment so clerks can type Chinese in our Qt.

    UOS and Kylin set ``QT_IM_MODULE=fcitx``, but the Qt we ship has input-context plug-ins
    for IBus and compose only. fcitx5 also serves the IBus protocol on the session bus (its
    ``ibusfrontend``), which Qt's IBus plug-in reaches through the portal interface: so where
    fcitx is asked for and no fcitx plug-in is there, ask for ibus over the portal instead.
    fcitx 4 has no such interface; there nothing changes."""
    wanted = environ.get("QT_IM_MODULE", "").strip().lower()
    if not wanted and "fcitx" in environ.get("XMODIFIERS", "").lower():
        wanted = "fcitx"
    if not wanted.startswith("fcitx"):
        return {}
    has = " ".join(plugins).lower()
    if "fcitx" not in has and "ibus" in has:
        return {"QT_IM_MODULE": "ibus", "IBUS_USE_PORTAL": "1"}
    return {}


def qt_application() -> Any:
    """The QApplication, once, with Qt's own Chinese translations installed: the standard
    buttons, file and print dialogs and context menus of a clerk's PC speak Chinese whatever
    the system locale is set to."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if existing is not None:
        return existing
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath),
               *filter(None, os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep))]
    # listed only if fcitx is asked for (a generator: no disk access on other desktops)
    plugins = (p.name for folder in folders for p in (Path(folder) / "platforminputcontexts").glob("*"))
    changes = input_method_environment(os.environ, plugins)
    if changes:
        log.info("input method: Qt has no fcitx plug-in here; using fcitx5's IBus interface (%s)", changes)
        os.environ.update(changes)
    qapp = QApplication(sys.argv[:1])
    qapp.setApplicationName("hallclient")
    qapp.setApplicationDisplayName("hallclient")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(qapp)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        qapp.installTranslator(translator)
    else:
        log.warning("Qt's Chinese translations (qtbase_zh_CN.qm) not found in %s", folder)
    return qapp


def _start_gui(args: argparse.Namespace, config: Config, data_dir: Path, demo: bool,
               with_platform: bool = False, throwaway: bool = False) -> App:
    from PySide6.QtCore import QTimer

    qapp = qt_application()

    # stage 1: the lanes open the database (and the hall link) on their threads while the
    # window appears
    from hallclient.services.lanes import DB, open_lanes
    from hallclient.services.tasks import TaskRunner

    worker = open_lanes(data_dir, config)
    runner = TaskRunner(worker)
    _STARTED[0] = 0.0
    _stage("window being built")
    app = App(qapp=qapp, config=config, data_dir=data_dir, worker=worker, runner=runner, demo=demo)
    if with_platform:
        from hallclient import demo as demo_data

        app.platform_sim = demo_data.start_platform(data_dir, config, keep_secret_in_folder=throwaway)

    if args.command == "kiosk":
        _build_kiosk(app)
        _place_on_screen(app.kiosk_window, args.screen)
        app.kiosk_window.show() if args.windowed or demo else app.kiosk_window.showFullScreen()
    else:
        _build_counter(app, preferred_window=args.window)
        app.window.show()
        if demo and not args.self_test:
            from hallclient import demo as demo_data

            _build_kiosk(app)
            demo_data.place_beside(app.window, app.kiosk_window)
            app.kiosk_window.show()
            placed: list[bool] = []         # once more when the counter page exists

            def place_again(*_: Any) -> None:
                if not placed:
                    placed.append(True)
                    demo_data.place_beside(app.window, app.kiosk_window)

            app.session.signed_in.connect(place_again)
    if args.self_test:
        from hallclient import selftest

        selftest.arm(app)

    # stage 2: after the first paint, things that may take a moment
    QTimer.singleShot(0, lambda: _after_first_paint(app))
    runner.run(DB, lambda ctx: _prepare(ctx, demo),
               lambda info: runner.run_queue(lambda q: _windows(q, info), partial(_on_ready, app),
                                             partial(_on_store_failed, app)),
               partial(_on_store_failed, app))
    return app


@dataclass
class PanelApp:
    qapp: Any
    config: Config
    events: Any
    panel: Any
    announcer: Any
    demo_hall: Any = None
    exit_code: int | None = None

    def close(self) -> None:
        self.events.stop()
        self.panel.close()
        if self.demo_hall is not None:
            self.demo_hall.stop()


def _start_panel(args: argparse.Namespace, config: Config, data_dir: Path) -> Any:
    """``hallclient panel``: the hall display; needs only the hall server's address and a
    panel token (admin join-hall), no database of its own."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from hallclient.devices.speech import Announcer
    from hallclient.secrets import read_secret
    from hallclient.services.hall_events import HallEventsService
    from hallclient.ui.panel_window import PanelWindow

    qapp = qt_application()
    demo = None
    if args.panel_demo:
        from hallclient import demo as demo_data

        demo = demo_data.start_hall(data_dir, config)
        if demo is None:
            print("演示需要服务端组件：pip install 'hallclient[servers]'", file=sys.stderr)
            raise SystemExit(2)
        url, token = demo.url, demo.panel_token
    else:
        url, token = config["hall.server_url"], read_secret(data_dir, kind="hall")
    events = HallEventsService(url or "http://127.0.0.1:8710", token,
                               config["hall.ca_bundle"] or True)
    announcer = Announcer(config["announce.template"], speech=False)
    panel = PanelWindow(config["hall.name"], events, announcer)
    app = PanelApp(qapp, config, events, panel, announcer, demo)
    _place_on_screen(panel, args.screen)
    panel.show() if args.windowed else panel.showFullScreen()
    if not url or not token:
        QMessageBox.critical(panel, panel.tr("未配置大厅服务器"), panel.tr(
            "请信息管理员在本机运行 hallclient admin join-hall 地址 设备标识（设备类型 panel）"))
        return app
    events.start()
    if demo is not None:
        demo.start()

    def load_speech() -> None:
        if config["announce.speech"]:
            announcer.adopt(Announcer(config["announce.template"], speech=True,
                                      engine=config["announce.engine"]))

    QTimer.singleShot(0, load_speech)
    return app


def _build_counter(app: App, preferred_window: int | None) -> None:
    from hallclient.devices.speech import Announcer
    from hallclient.services.queue_service import QueueService
    from hallclient.services.session import SessionService
    from hallclient.ui.counter_window import CounterWindow

    c = app.config
    app.session = SessionService(app.runner, c["ui.idle_lock_minutes"])
    hall = c["queue.source"] == "hall"
    app.queue = QueueService(app.runner, source_label="大厅服务器" if hall else "本机队列",
                             hall_events=app.runner.hall_events)
    app.announcer = Announcer(c["announce.template"], speech=False)
    app.window = CounterWindow(c, app.session, app.queue, app.announcer)
    app.window.sign_in_page.window_box.setProperty("preferred", preferred_window)



def _wire_counter_extras(app: App) -> None:
    """Intake, evaluation and the barcode wedge: not needed before a clerk signs in, so they
    are wired after the first paint (staged start-up)."""
    from hallclient.devices.wedge import BarcodeWedge
    from hallclient.services.evaluation_service import EvaluationService
    from hallclient.services.intake_service import IntakeService

    c = app.config
    app.intake = IntakeService(app.runner)
    app.evaluation = EvaluationService(app.runner, c["evaluation.rectify_days"])
    for service in (app.intake, app.evaluation):
        app.session.signed_in.connect(partial(_attach, service))
        if app.session.clerk is not None and app.session.window is not None:
            service.attach(app.session.clerk.username, app.session.window)
    app.window.intake_requested.connect(lambda ticket: open_intake(app, ticket))
    app.window.cases_requested.connect(lambda: open_case_list(app))
    app.window.supervisor_requested.connect(lambda: open_dashboard(app))
    app.evaluation.evaluation_requested.connect(lambda *_: ensure_evaluator(app))
    if c["evaluation.after_finish"]:
        app.queue.ticket_finished.connect(lambda t: ask_evaluation(app, t.number))
    app.wedge = BarcodeWedge()
    app.wedge.scanned.connect(lambda code: _route_scan(app, code))
    app.qapp.installEventFilter(app.wedge)
    _start_sync(app)


def _start_sync(app: App) -> None:
    from hallclient.services.sync_service import SyncService

    c = app.config
    app.sync = SyncService(_engine_factory(app) if c["platform.url"] else None,
                           c["sync.interval_seconds"])
    app.sync.status_changed.connect(app.window.show_sync_status)
    app.window.sync_requested.connect(app.sync.sync_now)
    app.window.outbox_requested.connect(lambda: open_outbox(app))
    try:
        from PySide6.QtNetwork import QNetworkInformation

        if QNetworkInformation.loadDefaultBackend() and QNetworkInformation.instance() is not None:
            QNetworkInformation.instance().reachabilityChanged.connect(
                lambda r: on_reachability(app, r))
    except ImportError:
        log.info("QtNetwork not available; uploads follow the timer and 立即同步")
    app.intake.case_committed.connect(lambda *_: app.sync.sync_now())
    app.sync.start()


def on_reachability(app: App, reachability: Any) -> None:
    """The network came back: upload at once instead of waiting for the timer."""
    from PySide6.QtNetwork import QNetworkInformation

    if reachability == QNetworkInformation.Reachability.Online and app.sync is not None:
        log.info("network is back; syncing now")
        app.sync.sync_now()


def _engine_factory(app: App) -> Any:
    from hallclient.services.sync_service import make_engine

    return lambda: make_engine(app.data_dir, app.config)


def _attach(service: Any, clerk: Any, window: int, _snapshot: Any = None) -> None:
    service.attach(clerk.username, window)


def open_intake(app: App, ticket: str = "") -> Any:
    """Show the intake window (built on first use), for the ticket being served."""
    if app.intake_window is None:
        from hallclient.devices.printer import NoticePrinter
        from hallclient.ui.intake_window import IntakeWindow

        app.notice_printer = NoticePrinter(app.config["notice.printer"], app.data_dir / "notices")
        app.intake_window = IntakeWindow(app.intake, app.notice_printer, app.config["hall.name"])
    app.intake_window.current_ticket = ticket
    if app.intake.draft is not None:
        app.intake.draft.ticket = app.intake.draft.ticket or ticket
    app.intake_window.show()
    app.intake_window.raise_()
    app.intake_window.activateWindow()
    app.intake.search(app.intake_window.search_edit.text())
    return app.intake_window


def open_outbox(app: App) -> Any:
    if app.outbox_view is None:
        from hallclient.services.outbox_service import OutboxService
        from hallclient.ui.outbox_view import OutboxView

        service = OutboxService(app.runner, on_queued=app.sync.sync_now if app.sync else None)
        if app.session.clerk is not None:
            service.clerk, service.window = app.session.clerk.username, app.session.window
        app.outbox_view = OutboxView(service)
        app.sync.status_changed.connect(lambda _s: service.load())
        app.sync.sending.connect(app.outbox_view.model.set_in_flight)
    app.outbox_view.show()
    app.outbox_view.service.load()
    return app.outbox_view


def open_case_list(app: App) -> Any:
    if app.case_list is None:
        from hallclient.services.case_list_service import CaseListService
        from hallclient.ui.case_list import CaseListWindow

        app.case_list = CaseListWindow(CaseListService(app.runner))
    app.case_list.show()
    app.case_list.search()
    return app.case_list


def open_dashboard(app: App) -> Any:
    """值班长日报: straight in for a signed-in supervisor, else a supervisor signs in."""
    from hallclient.services.report_service import SUPERVISOR_ROLES, ReportService
    from hallclient.ui.dashboard import Dashboard, SupervisorSignIn

    if app.reports is None:
        c = app.config
        app.reports = ReportService(app.runner, c["hall.name"], c["report.wait_target_minutes"],
                                    c["report.service_target_minutes"])
        app.dashboard = Dashboard(app.reports)
        app.reports.supervisor_ok.connect(lambda _u: _show_dashboard(app))
    clerk = app.session.clerk if app.session is not None else None
    if clerk is not None and clerk.role in SUPERVISOR_ROLES:
        app.reports.supervisor = clerk.username
        _show_dashboard(app)
    else:
        dialog = SupervisorSignIn(app.reports, app.session.window if app.session else None,
                                  app.window)
        dialog.open()
        app.supervisor_dialog = dialog
    return app.dashboard


def _show_dashboard(app: App) -> None:
    app.dashboard.show()
    app.dashboard.raise_()
    app.dashboard.refresh()


def ensure_evaluator(app: App) -> Any:
    """The evaluator window, on the applicant-facing (last) screen; built on first use."""
    if app.evaluator is None:
        from hallclient.ui.evaluator import EvaluatorWindow

        app.evaluator = EvaluatorWindow(app.evaluation)
        _place_on_screen(app.evaluator, None)
        # the request that built the window has already been emitted: show it now
        if app.evaluation.pending is not None:
            app.evaluator.ask(*app.evaluation.pending)
    return app.evaluator


def ask_evaluation(app: App, ticket: str) -> None:
    last = app.intake.last if app.intake is not None else None
    case_no = last.case_no if last is not None and app.intake.last_ticket == ticket else ""
    app.evaluation.request(case_no, ticket)


def _route_scan(app: App, code: str) -> None:
    from hallclient.core.scancodes import ScanKind, classify

    if app.intake_window is not None and app.intake_window.isVisible() and app.intake.take_scan(code):
        return
    kind = classify(code)
    if kind is ScanKind.CASE:
        open_intake(app)
        app.intake.take_scan(code)
    elif kind is ScanKind.TICKET and app.window is not None:
        app.window.show_scan(code.strip().upper())


def _build_kiosk(app: App) -> None:
    from hallclient.devices.printer import TicketPrinter
    from hallclient.services.kiosk_service import KioskService
    from hallclient.ui.kiosk_window import KioskWindow

    c = app.config
    app.printer = TicketPrinter(c["kiosk.printer"], app.data_dir / "tickets",
                                c["kiosk.ticket_width_mm"])
    app.kiosk = KioskService(app.runner)
    app.kiosk_window = KioskWindow(c["hall.name"], app.kiosk, app.printer)


def _place_on_screen(widget: Any, number: int | None) -> None:
    """Township centres run the kiosk on the counter PC's second screen."""
    from PySide6.QtGui import QGuiApplication

    screens = QGuiApplication.screens()
    if number is None:
        index = len(screens) - 1
    else:
        index = min(max(number - 1, 0), len(screens) - 1)
    screen = screens[index]
    widget.setScreen(screen)
    widget.move(screen.availableGeometry().topLeft())


def _after_first_paint(app: App) -> None:
    """Speech engines can take a moment to load: do it once the window is up."""
    _stage("after first paint: start")
    if app.window is not None and app.intake is None:
        _wire_counter_extras(app)
    if app.announcer is not None and app.config["announce.speech"]:
        from hallclient.devices.speech import Announcer

        speaking = Announcer(app.config["announce.template"], speech=True,
                             engine=app.config["announce.engine"])
        app.announcer.adopt(speaking)
    _stage("after first paint: done")


_STARTED = [0.0]


def _stage(what: str) -> None:
    """Start-up stages with their time in the program log (where a slow start stalls)."""
    import time

    if not _STARTED[0]:
        _STARTED[0] = time.perf_counter()
    log.info("start-up %s (+%.0f ms)", what, (time.perf_counter() - _STARTED[0]) * 1000)


def _prepare(ctx: Any, demo: bool) -> dict[str, Any]:
    """On the db lane: demo data when asked, then what the sign-in page needs."""
    _stage("database open")
    if demo:
        from hallclient import demo as demo_data

        demo_data.seed(ctx)
        _stage("demo data seeded")
    return {"clerks": ctx.clerk_count()}


def _windows(queue: Any, info: dict[str, Any]) -> dict[str, Any]:
    """On the queue's lane: the windows for the sign-in page."""
    from hallclient.core.tickets import QueueError

    try:
        windows, problem = queue.windows(), ""
    except QueueError as exc:       # the hall server is out of reach and nothing is cached
        windows, problem = [], exc.message
    return {**info, "windows": windows, "problem": problem}


def _on_ready(app: App, info: dict[str, Any]) -> None:
    _stage("sign-in page ready")
    if app.kiosk is not None:
        app.kiosk.load()
    if app.window is None:
        return
    preferred = app.window.sign_in_page.window_box.property("preferred")
    app.window.show_sign_in(info["windows"], preferred or 1)
    if info.get("problem"):
        app.window.sign_in_page.show_error(info["problem"])
    elif not info["windows"]:
        app.window.sign_in_page.show_error(app.window.tr(
            "尚未配置大厅业务和窗口：请信息管理员运行 hallclient admin import-hall 配置文件"))
    elif not info["clerks"]:
        app.window.sign_in_page.show_error(app.window.tr(
            "尚无本地账户：请信息管理员运行 hallclient admin add-clerk 用户名 --name 姓名"))
    if app.demo:
        app.window.sign_in_page.username.setText("demo")
        from hallclient import demo as demo_data

        app.session.sign_in("demo", demo_data.PASSWORD, preferred or 1)
        from hallclient.services.lanes import DB

        app.runner.run(DB, demo_data.seed_catalog)


def _on_store_failed(app: App, exc: BaseException) -> None:
    from PySide6.QtWidgets import QMessageBox

    from hallclient.services.session import user_message

    message = user_message(exc)
    app.startup_errors.append(message)
    parent = app.window or app.kiosk_window
    if app.window is not None:
        app.window.sign_in_page.show_error(message)
        app.window.sign_in_page.button.setEnabled(False)
    box = QMessageBox(QMessageBox.Icon.Critical, parent.tr("无法打开数据"), message,
                      QMessageBox.StandardButton.Close, parent)
    box.open()


def run() -> None:
    import signal

    argv = sys.argv[1:]
    from hallclient.process import limit_malloc_arenas

    limit_malloc_arenas()                   # before any thread starts
    for number in _stop_signals():          # start-up; the event loop has its own
        signal.signal(number, _interrupt_start_up)
    try:
        result = main(argv, exec_=True)
    except StartUpInterruptedError as exc:          # the throw-away folder goes with atexit
        name = str(exc)
        if "--self-test" in argv:
            sys.exit(_stopped(name, True))
        print(f"{STOPPED_BY.get(name, '已退出')}：未完成", file=sys.stderr, flush=True)
        sys.exit(130 if name == "SIGINT" else 143)
    except BrokenPipeError:             # ``hallclient admin status | head``: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:
        if "--self-test" not in argv:
            raise
        # a self-test always ends in one line: whatever broke before it could run its steps
        import traceback

        traceback.print_exc()
        reason = (f"程序安装不完整（缺少 {exc.name or '模块'}）" if isinstance(exc, ImportError)
                  else f"程序启动出错（{type(exc).__name__}: {exc}）")
        print(f"SELFTEST FAILED: {reason}", flush=True)
        sys.exit(2)
    sys.exit(result if isinstance(result, int) else 0)
