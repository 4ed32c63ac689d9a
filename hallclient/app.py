"""Composition root: staged start-up and wiring.

``main(argv, exec_=False)`` parses the command line (cli.py), picks the data directory
(process.py keeps it private and throw-away folders tidy), and starts the counter shell
(shell.py), the kiosk, the panel or a server; it returns the running ``App`` (tests drive
it). ``run()`` is the console entry point.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any

from hallclient.cli import build_parser, input_method_environment
from hallclient.config import CONFIG_FILE, Config, default_data_dir
from hallclient.logs import make_log_rotating, restart_stages, stage
from hallclient.process import (
    OWNER_FILE,
    THROWAWAY_PREFIX,
    StartUpInterruptedError,
    after_painted,
    console_output_to,
    display_available,
    forget_module_sources,
    interrupt_start_up,
    keep_private,
    note_start_up_signal,
    prepare_standard_streams,
    remove_stale_throwaways,
    run_until_closed,
    stop_signals,
    stopped_starting,
    tune_malloc,
)

if TYPE_CHECKING:
    from hallclient.panel_shell import PanelApp
    from hallclient.services.lanes import Lanes
    from hallclient.services.tasks import TaskRunner
    from hallclient.shell import App

log = logging.getLogger(__name__)


SELF_TEST_LAST_RESORT_S = 100     # well past the self-test's own 30 s watchdog


def main(argv: list[str] | None = None, exec_: bool = False) -> App | PanelApp | int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.argv = list(argv)    # as typed, for hints
    if args.self_test and args.data_dir is not None and not args.training:
        parser.exit(2, "自检总在临时数据目录中进行，不能与 --data-dir 同用；要在某个数据目录留下自检办件，"
                       "请用 --data-dir 目录 --training --self-test（写入该目录的 training/）\n")
    gui = args.command in (None, "counter", "kiosk", "panel")
    if gui and not display_available():
        if not args.self_test:
            parser.exit(2, "没有图形桌面（未设置 DISPLAY 或 WAYLAND_DISPLAY）：请在桌面会话中启动"
                           " hallclient；远程检查这台电脑的安装请运行 hallclient --self-test\n")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"     # a self-test needs no screen
    throwaway = (args.demo or getattr(args, "panel_demo", False)
                 or (args.self_test and not args.training))
    if throwaway:
        # beside the start-up (a killed demo's simulator may take a moment to end); the
        # program waits for it at exit
        threading.Thread(target=remove_stale_throwaways, args=(Path(tempfile.gettempdir()),),
                         name="tidy-throwaways").start()
        data_dir = Path(tempfile.mkdtemp(prefix=THROWAWAY_PREFIX))
        (data_dir / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        if exec_:
            atexit.register(shutil.rmtree, data_dir, True)
    else:
        data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
        keep_private(data_dir)
        if args.training:
            data_dir = data_dir / "training"     # never the counter's real data
            keep_private(data_dir)
    if args.command == "admin":
        from hallclient import admin
        return admin.run(args, data_dir)
    if args.command == "platform-sim":
        from hallclient.servers.run import run_platform_sim

        return run_platform_sim(args, data_dir)
    if args.command == "hall-server":
        from hallclient.servers.run import run_hall_server

        return run_hall_server(args, data_dir / "hall-server")

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)     # an existing one: made private above
    from hallclient.logs import setup_logging
    setup_logging(data_dir, rotate_later=args.command != "panel")    # the panel's: at once
    # pythonw.exe has no console: its output goes to a file (a throw-away folder's beside it)
    console_output_to(Path(tempfile.gettempdir()) / "hallclient-console.log" if throwaway
                      else data_dir / "logs" / "console.log")
    config = Config(data_dir / CONFIG_FILE)
    if not (data_dir / CONFIG_FILE).exists():
        config.save()
    if args.self_test:
        # a self-test always ends: if even its own watchdog cannot run (the event loop held
        # up, or never reached), every thread's stack goes to stderr and it exits 1
        import faulthandler

        faulthandler.dump_traceback_later(SELF_TEST_LAST_RESORT_S, exit=True)
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
        from hallclient.panel_shell import start_from_command_line

        demo_hall = None
        if args.panel_demo:              # a hall server of its own, with simulated windows
            from hallclient import demo as demo_data

            if (demo_hall := demo_data.start_hall(data_dir, config)) is None:
                print("演示需要服务端组件：pip install 'hallclient[servers]'", file=sys.stderr)
                raise SystemExit(2)
        panel = start_from_command_line(args, config, data_dir, qt_application(), demo_hall)
        if not exec_:
            return panel
        return run_until_closed(panel, data_dir if throwaway else None, args.self_test)
    app = _start_gui(args, config, data_dir, demo=throwaway or args.training,
                     with_platform=(args.demo or args.training or args.self_test) and args.command != "kiosk",
                     throwaway=throwaway)
    if app.window is not None:
        app.marked(app.window)
        if hasattr(app.window, "use_simulated_platform") and (args.training or args.demo):
            app.window.use_simulated_platform(app.window.tr("培训平台" if args.training else "演示平台"))
    if not exec_:
        return app
    return run_until_closed(app, data_dir if throwaway else None, args.self_test)


def qt_application() -> Any:
    """The QApplication, once, with Qt's own Chinese translations installed: the standard
    buttons, file and print dialogs and context menus of a clerk's PC speak Chinese whatever
    the system locale is set to."""
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtWidgets import QApplication

    from hallclient.ui.style import use_stylesheet

    existing = QApplication.instance()
    if existing is not None:
        if isinstance(existing, QApplication):
            use_stylesheet(existing)
        return existing
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath),
               *filter(None, os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep))]
    # listed only if fcitx is asked for (a generator: no disk access on other desktops)
    plugins = (p.name for folder in folders for p in (Path(folder) / "platforminputcontexts").glob("*"))
    changes = input_method_environment(os.environ, plugins)
    if changes:
        log.info("input method: Qt has no fcitx plug-in here; using fcitx5's IBus interface (%s)", changes)
        os.environ.update(changes)
    os.environ.update(windows_font_folder(os.environ))
    qapp = QApplication(sys.argv[:1])
    # no display name: X11 would append it to every window title ("… — hallclient")
    qapp.setApplicationName("hallclient")
    speak_chinese(qapp)
    use_stylesheet(qapp)
    forget_module_sources(qapp)
    return qapp


def windows_font_folder(env: Mapping[str, str], windows: bool = os.name == "nt") -> dict[str, str]:
    """Qt's offscreen platform (a self-test over a remote session) on Windows looks for fonts
    only in QT_QPA_FONTDIR, else in a folder of Qt's own that has none: Windows' own fonts."""
    if not windows or not env.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return {}
    if env.get("QT_QPA_FONTDIR"):
        return {}
    return {"QT_QPA_FONTDIR": str(PureWindowsPath(env.get("WINDIR") or "C:\\Windows", "Fonts"))}


def speak_chinese(qapp: Any) -> list[Any]:
    """Qt's own words (standard buttons, file and print dialogs, context menus) in Chinese:
    Qt's translations, and ours for the few they lack (newer Qt releases renamed a handful of
    strings, such as the file dialog's 查找范围 and 文件类型; ``resources/qt``). Both are
    compiled .qm files: a translator written in Python would be called from every thread
    that translates and can deadlock the interpreter's lock against Qt's. Returns the
    translators installed."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    from hallclient import resources

    installed = []
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(qapp)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        qapp.installTranslator(translator)
        installed.append(translator)
    else:
        log.warning("Qt's Chinese translations (qtbase_zh_CN.qm) not found in %s", folder)
    gaps = QTranslator(qapp)
    if gaps.load(str(resources.path("qt", "qt_gaps_zh_CN.qm"))):
        qapp.installTranslator(gaps)    # asked first: the words Qt's own file lacks
        installed.append(gaps)
    else:
        log.warning("the translations Qt's own lack (qt_gaps_zh_CN.qm) could not be loaded")
    return installed


def _start_gui(args: argparse.Namespace, config: Config, data_dir: Path, demo: bool,
               with_platform: bool = False, throwaway: bool = False) -> App:
    qapp = qt_application()

    # stage 1: the window appears; the lanes open the database (and the hall link) on their
    # threads once it is painted (on two cores they would otherwise slow its first frame)
    from hallclient.services.lanes import open_lanes
    from hallclient.services.tasks import TaskRunner

    painted = threading.Event()
    lanes = open_lanes(data_dir, config, gate=painted)
    runner = TaskRunner(lanes)
    try:
        return _build_gui(args, qapp, config, data_dir, demo, with_platform, throwaway,
                          lanes, runner, painted)
    except BaseException:
        lanes.close()       # its threads wait for a first paint that will not come
        raise


def _build_gui(args: argparse.Namespace, qapp: Any, config: Config, data_dir: Path, demo: bool,
               with_platform: bool, throwaway: bool, lanes: Lanes,
               runner: TaskRunner, painted: threading.Event) -> App:
    from hallclient.services.lanes import DB
    from hallclient.shell import (
        KIOSK_SHARE,
        App,
        CounterShell,
        build_kiosk,
        place_from_screen,
        place_on_screen,
        show_store_failure,
    )

    restart_stages()
    stage("window being built")
    app = App(qapp=qapp, config=config, data_dir=data_dir, worker=lanes, runner=runner, demo=demo,
              training=bool(args.training))

    def after_first_paint(then: Callable[[], None] = lambda: None) -> None:
        """Stage 2: what may take a moment, once the window is up."""
        painted.set()
        make_log_rotating()
        if with_platform:
            from hallclient import demo as demo_data

            try:
                app.platform_sim = demo_data.start_platform(data_dir, config,
                                                            keep_secret_in_folder=throwaway)
            except Exception as exc:        # the counter runs on; a self-test fails with it
                log.exception("the platform simulator did not start")
                app.startup_errors.append(f"程序启动出错（{type(exc).__name__}: {exc}）")
        then()

    if args.command == "kiosk":
        kiosk = build_kiosk(app)
        if args.windowed or demo:       # a window sized from the screen, where it was left
            place_from_screen(app, kiosk, "kiosk", KIOSK_SHARE, args.screen)
            kiosk.show()
        else:
            place_on_screen(kiosk, args.screen)
            # the whole screen also where no window manager does it (a kiosk without a desktop)
            kiosk.resize(kiosk.screen().geometry().size())
            kiosk.showFullScreen()
        after_painted(kiosk, after_first_paint)
    else:
        shell = CounterShell(app, preferred_window=args.window)
        shell.show()
        if demo and not args.self_test:
            from hallclient import demo as demo_data

            demo_data.show_kiosk_beside(app, shell)
        after_painted(shell.window, lambda: after_first_paint(shell.after_first_paint))
    if args.self_test:
        from hallclient import selftest

        selftest.arm(app)
    runner.run(DB, lambda ctx: _prepare(ctx, demo),
               lambda info: runner.run_queue(lambda queue: _windows(queue, info),
                                             lambda ready: _on_ready(app, ready),
                                             lambda exc: show_store_failure(app, exc)),
               lambda exc: show_store_failure(app, exc))
    return app


def _prepare(ctx: Any, demo: bool) -> dict[str, Any]:
    """On the db lane: demo data when asked, then what the sign-in page needs."""
    stage("database open")
    if demo:
        from hallclient import demo as demo_data

        demo_data.seed(ctx)
        stage("demo data seeded")
    return {"clerks": ctx.clerk_count()}


def _windows(queue: Any, info: dict[str, Any]) -> dict[str, Any]:
    """On the queue's lane: the windows for the sign-in page."""
    from hallclient.core.tickets import QueueError

    try:
        windows, problem = queue.windows(), ""
    except QueueError as exc:       # the hall server is out of reach and nothing is cached
        windows, problem = [], exc.message
    bound = getattr(queue, "bound_window", None)      # a hall server binds a counter to a window
    try:
        window = bound() if bound is not None and not problem else None
    except QueueError:
        window = None
    return {**info, "windows": windows, "problem": problem, "bound_window": window}


def _on_ready(app: App, info: dict[str, Any]) -> None:
    from hallclient.shell import show_ready

    show_ready(app, info["windows"], info["clerks"], info.get("problem") or "",
               info.get("bound_window"))
    if app.demo and app.shell is not None:          # the demo clerk is signed in already
        from hallclient import demo as demo_data

        preferred = app.shell.window.sign_in_page.window_box.property("preferred")
        app.shell.window.sign_in_page.username.setText("demo")
        app.shell.session.sign_in("demo", demo_data.PASSWORD, preferred or 1)
        from hallclient.services.lanes import DB

        app.runner.run(DB, demo_data.seed_catalog)


def run() -> None:
    import signal

    argv = sys.argv[1:]
    prepare_standard_streams()
    tune_malloc()                  # before any thread starts
    windowed = not {"admin", "platform-sim", "hall-server"} & set(argv)
    for number in stop_signals():          # start-up; the event loop has its own
        signal.signal(number, note_start_up_signal if windowed else interrupt_start_up)
    try:
        result = main(argv, exec_=True)
    except StartUpInterruptedError as exc:          # the throw-away folder goes with atexit
        sys.exit(stopped_starting(str(exc), "--self-test" in argv))
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
