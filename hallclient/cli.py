"""The command line: every sub-command and option in one parser (IT staff and tests use it;
keep it stable), and the input-method environment the GUI needs before Qt starts."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from hallclient import __version__


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line. Given the ``argv`` about to be parsed, only the sub-commands
    it names are built in full, the others are listed by name and help line (all that
    ``--help`` shows of them): starting a window does not build the 40 parsers of admin and
    the servers. Without ``argv`` every sub-command is built."""
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
    named = None if argv is None else set(argv)
    for name, help_text, fill in _COMMANDS:
        command = sub.add_parser(name, help=help_text)
        if named is None or name in named:      # a command not named cannot be chosen
            fill(command)
    return parser


def _counter(_counter: argparse.ArgumentParser) -> None:
    pass                                    # the top-level options are the counter's


def _kiosk(kiosk: argparse.ArgumentParser) -> None:
    kiosk.add_argument("--windowed", action="store_true", help="不全屏")
    kiosk.add_argument("--screen", type=int, default=None,
                       help="显示在第几块屏幕（从 1 起；默认：有副屏时用最后一块）")


def _platform_sim(sim: argparse.ArgumentParser) -> None:
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=8700, help="监听端口（默认 8700；0 为任选空闲端口）")
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
    add_platform_sim_options(sim)


def _hall_server(hall: argparse.ArgumentParser) -> None:
    hall_cmds = hall.add_subparsers(dest="hall_command")
    serve = hall_cmds.add_parser("serve", help="运行服务（默认）")
    for p in (hall, serve):
        p.add_argument("--host", default="0.0.0.0", help="监听地址（默认所有网卡）")
        p.add_argument("--port", type=_port, default=8710, help="监听端口（默认 8710；0 为任选空闲端口）")
        p.add_argument("--certfile", help="用 https：服务器证书（PEM）")
        p.add_argument("--keyfile", help="用 https：证书私钥（PEM）")
        p.add_argument("--header-timeout", type=_seconds, default=10.0, metavar="秒",
                       help="连接后须在这么多秒内发完请求头，否则断开（防慢速连接占满服务器；默认 10）")
    imp = hall_cmds.add_parser("import-hall", help="导入业务类别与窗口配置（JSON）")
    imp.add_argument("file", nargs="?", help="JSON 文件；省略则导入示范大厅")
    appt = hall_cmds.add_parser("import-appointments",
                                help="导入预约名单（CSV：日期,时间,预约码,手机号,业务），取“预约”号时核对")
    appt.add_argument("file", help="预约系统导出的 CSV 文件（UTF-8）")
    dev = hall_cmds.add_parser("add-device", help="登记设备并打印其令牌（只显示一次）")
    dev.add_argument("device_id")
    dev.add_argument("--kind", choices=["counter", "kiosk", "panel"], required=True)
    dev.add_argument("--window", type=int, help="窗口机只允许操作这个窗口（可省略）")
    revoke = hall_cmds.add_parser("revoke-device",
                                  help="停用设备（电脑或令牌丢失、被盗）：它的令牌立即失效，服务运行中也是")
    revoke.add_argument("device_id")
    hall_cmds.add_parser("devices", help="列出已登记设备")
    hall_backup = hall_cmds.add_parser("backup", help="在线备份大厅服务器的数据库（服务运行中也可）")
    hall_backup.add_argument("out", help="备份存放的目录，其中新建 hallclient-hall-server-<时间>")
    hall_restore = hall_cmds.add_parser(
        "restore", help="从备份恢复大厅服务器的数据库（先停止服务；原数据移到旁边的目录，不删除）")
    hall_restore.add_argument("folder", help="hall-server backup 做的备份目录")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是端口号：{text}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"端口号须在 0 到 65535 之间（不是 {value}）")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是秒数：{text}") from None
    if not 0.5 <= value <= 600:
        raise argparse.ArgumentTypeError("须在 0.5 到 600 秒之间")
    return value


def _panel(panel: argparse.ArgumentParser) -> None:
    panel.add_argument("--windowed", action="store_true", help="不全屏")
    panel.add_argument("--screen", type=int, default=None, help="显示在第几块屏幕（从 1 起）")
    panel.add_argument("--demo", action="store_true", dest="panel_demo",
                       help="演示：本机启动大厅服务器（示范大厅），模拟窗口叫号和取号")


def _admin(admin: argparse.ArgumentParser) -> None:
    from hallclient.admin.parser import fill_parser

    fill_parser(admin)


_COMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("counter", "窗口叫号（默认）", _counter),
    ("kiosk", "取号机模式", _kiosk),
    ("platform-sim", "省平台模拟器（演示、培训、测试用）", _platform_sim),
    ("hall-server", "大厅服务器：全大厅共用一个队列（数据在 数据目录/hall-server）", _hall_server),
    ("panel", "大厅综合屏：最新呼叫、各窗口当前号、等候人数，并语音播报", _panel),
    ("admin", "管理命令（信息管理员使用）", _admin),
)


def add_platform_sim_options(sim: argparse.ArgumentParser) -> None:
    # for a simulator started by the program itself (demo, training, self-test)
    sim.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    # Windows: the listening socket handed over as socket.share() bytes, in hex, on stdin's first line
    sim.add_argument("--listen-shared", action="store_true", help=argparse.SUPPRESS)
    sim.add_argument("--until-stdin-closes", action="store_true", help=argparse.SUPPRESS)
    sim.add_argument("--catalog", metavar="FILE",
                     help="提供给窗口机的事项目录（JSON，含 items）；默认为示范事项目录")


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

