"""``hallclient platform-sim`` and ``hallclient hall-server``: the two servers run from the
command line.

Each says in Chinese where it listens and where its data are, and stops cleanly on Ctrl+C
(SIGINT) or SIGTERM (systemd, ``kill``): the event streams end, uvicorn finishes what it is
serving, the database is closed, a line says so and the exit code is 0.
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SIGNAL_NAMES: dict[int, str] = {signal.SIGINT: "Ctrl+C / SIGINT", signal.SIGTERM: "SIGTERM 停止信号"}
if hasattr(signal, "SIGHUP"):
    SIGNAL_NAMES[signal.SIGHUP] = "SIGHUP（启动它的终端已关闭）"
EVERY_INTERFACE = ("0.0.0.0", "::")


def missing_part(exc: ImportError) -> str:
    """What could not be imported: a module missing, or one whose DLL / shared library did
    not load (a Windows without what it needs)."""
    name = exc.name or "模块"
    return f"缺少 {name}" if isinstance(exc, ModuleNotFoundError) else f"{name} 无法载入：{exc}"


class StartError(Exception):
    """The server cannot start (port taken, certificate unusable ...); said in Chinese."""


def run_platform_sim(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        import uvicorn  # noqa: F401

        from hallclient.servers.platform_sim import create_app
        from hallclient.servers.sim_faults import Faults
    except ImportError as exc:
        print(f"平台模拟器需要服务端组件（{missing_part(exc)}）：pip install 'hallclient[servers]'",
              file=sys.stderr)
        return 2
    devices = []
    for item in args.device:
        device_id, sep, secret = item.partition("=")
        if not sep or not device_id.strip() or not secret:
            print(f"--device 应写成 设备标识=密钥，如 --device W03=secret（而不是 {item}）",
                  file=sys.stderr)
            return 2
        devices.append((device_id.strip(), secret))
    faults = Faults(error_rate=args.error_rate, retry_after_rate=args.retry_after_rate,
                    retry_after_seconds=args.retry_after_seconds,
                    retry_after_as_date=args.retry_after_as_date, reset_rate=args.reset_rate,
                    truncate_rate=args.truncate_rate, slow_ms=args.slow_ms,
                    expire_tokens=args.expire_tokens, seed=args.seed)
    root = data_dir / "platform-sim"
    try:
        catalog = read_catalog(getattr(args, "catalog", None))
        sock = handed_over(args) or listen(args.host, args.port)
    except StartError as exc:
        print(f"省平台模拟器无法启动：{exc}", file=sys.stderr)
        return 2
    sim = create_app(root, faults, token_ttl_s=args.token_ttl)
    try:
        for device_id, secret in devices:
            sim.store.add_device(device_id, secret)
        sim.store.set_catalog(catalog.text, catalog.etag)
        started = started_lines("省平台模拟器", "http", sock, root)
        started.insert(-1, catalog.summary)
        if getattr(args, "until_stdin_closes", False):
            threading.Thread(target=_stop_when_stdin_closes, name="stdin-watch", daemon=True).start()
        why = serve(sim.asgi, sock, started)
    except StartError as exc:
        print(f"省平台模拟器无法启动：{exc}", file=sys.stderr)
        return 2
    finally:
        sock.close()
        sim.store.close()
    print(f"省平台模拟器已停止{why}，数据库已关闭", flush=True)
    return 0


def handed_over(args: argparse.Namespace) -> socket.socket | None:
    """The listening socket of the program that started this simulator, if it handed one
    over: its connections wait in the socket's queue from the first moment, even while this
    process still starts (slow on a Windows PC)."""
    listen_fd = getattr(args, "listen_fd", None)
    if listen_fd is not None:
        return socket.socket(fileno=listen_fd)
    if getattr(args, "listen_shared", False):
        return _shared_socket()
    return None


SHARED_ONLY = "--listen-shared 只用于 hallclient 自己启动的模拟器（套接字由它从标准输入交来）"


def _shared_socket() -> socket.socket:
    """The socket socket.share() handed over: one line of hex on stdin. Anything else (a
    terminal, which would wait forever; garbage; a socket of another process) is a StartError."""
    if sys.stdin is None or sys.stdin.isatty():
        raise StartError(f"{SHARED_ONLY}，不能在命令行直接使用")
    line = sys.stdin.buffer.readline(4096)       # 628 bytes in hex; a line without end is cut
    try:
        shared = bytes.fromhex(line.decode("ascii").strip())
        if sys.platform == "win32":
            return socket.fromshare(shared)
    except (ValueError, OSError) as exc:     # not hex, not ASCII, wrong size, refused by Windows
        raise StartError(f"交来的监听套接字不可用（{type(exc).__name__}：{exc}）；{SHARED_ONLY}") from None
    raise StartError(f"{SHARED_ONLY}，只在 Windows 上使用")


class ServedCatalog:
    """The item catalog (事项目录) platform-sim serves: its text, ETag and a line saying so."""

    def __init__(self, text: str, etag: str, summary: str) -> None:
        self.text, self.etag, self.summary = text, etag, summary


def _stop_when_stdin_closes() -> None:
    """Run by a simulator a program started for itself: it ends with that program."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    signal.raise_signal(signal.SIGTERM)


def read_catalog(name: str | None) -> ServedCatalog:
    """The catalog file given (or the demo one), checked before the server starts; its ETag
    is that of its bytes, so a restart with the same file is "unchanged" to the counters."""
    import hashlib
    import json

    from hallclient import resources

    path = Path(name).expanduser() if name else resources.path("demo", "catalog.json")
    try:
        raw = path.read_bytes()
        body = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise StartError(f"找不到事项目录文件：{path}") from None
    except OSError as exc:
        raise StartError(f"无法读取事项目录 {path}：{exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StartError(f"事项目录 {path} 不是 UTF-8 文本") from None
    except json.JSONDecodeError as exc:
        raise StartError(f"事项目录 {path} 不是正确的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近有错"
                         ) from None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise StartError(f"事项目录 {path} 应是含 items 列表的 JSON 对象，参见示范事项目录 catalog.json")
    which = f"{path}" if name else f"示范事项目录（{path.name}）"
    version = f"，版本 {body['version']}" if body.get("version") else ""
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    return ServedCatalog(raw.decode("utf-8"), etag,
                         f"事项目录：{which}，{len(items)} 个事项{version}（--catalog 文件 可换成别的目录）")


def run_hall_server(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        import uvicorn  # noqa: F401

        from hallclient.servers import hall_devices, hall_store
    except ImportError as exc:
        print(f"大厅服务器需要服务端组件（{missing_part(exc)}）：pip install 'hallclient[servers]'",
              file=sys.stderr)
        return 2
    from hallclient.core.tickets import QueueError
    from hallclient.store.db import StoreError
    from hallclient.store.hall_repo import HallConfigError

    command = args.hall_command or "serve"
    try:
        if command == "serve":
            return _serve_hall(args, data_dir)
        if command == "backup":
            from hallclient.admin.backup import print_backup

            return print_backup(data_dir, Path(args.out), "hall-server")
        if command == "restore":
            from hallclient.admin.backup import print_restore

            return print_restore(Path(args.folder), data_dir, "hall-server")
        from hallclient.store.db import DB_FILE

        if command in ("devices", "revoke-device") and not (data_dir / DB_FILE).exists():
            print(f"没有大厅服务器的数据库：{data_dir} 中没有 {DB_FILE}。是不是 --data-dir 写错了？"
                  "（先运行 hallclient hall-server import-hall 导入大厅配置）", file=sys.stderr)
            return 2
        db = hall_store.open_server_db(data_dir)
        try:
            if command == "import-hall":
                from hallclient import resources
                from hallclient.store import hall_repo

                path = Path(args.file) if args.file else resources.path("demo", "hall.json")
                spec = hall_repo.read_hall_file(path)
                with db.write() as conn:
                    hall_repo.import_hall(conn, spec)
                print(f"已导入 {path}：{len(spec.get('services', []))} 个业务、"
                      f"{len(spec.get('windows', []))} 个窗口")
            elif command == "import-appointments":
                from hallclient.queue.appointments import import_appointments

                print(import_appointments(db, Path(args.file)))
            elif command == "add-device":
                from hallclient.wire.hall import DeviceKind

                _check_window(db, args.window)
                token = hall_devices.add_device(db, args.device_id,
                                                DeviceKind(args.kind),
                                                args.window)
                kind = DEVICE_KINDS[args.kind]
                bound = f"（只能操作 {args.window} 号窗口）" if args.window is not None else ""
                print(f"已登记{kind} {args.device_id}{bound}。令牌（只显示这一次，"
                      f"在该设备上运行 hallclient admin join-hall 时输入）：\n{token}")
            elif command == "revoke-device":
                if not hall_devices.revoke_device(db, args.device_id):
                    print(f"没有在用的设备 {args.device_id}（hall-server devices 列出已登记的设备）",
                          file=sys.stderr)
                    return 2
                print(f"已停用设备 {args.device_id}：它的令牌立即失效（服务运行中也是）。"
                      f"要让它重新接入，用 hall-server add-device 重新登记并发新令牌")
            else:
                _print_devices(db)
        finally:
            db.close()
    except (QueueError, StoreError) as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (HallConfigError, ValueError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def _serve_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.servers import hall_server
    from hallclient.store import hall_repo
    from hallclient.store.db import DB_FILE

    try:
        tls = _tls_files(args.certfile, args.keyfile)
        sock = listen(args.host, args.port)
    except StartError as exc:
        print(f"大厅服务器无法启动：{exc}", file=sys.stderr)
        return 2
    try:
        server = hall_server.HallServer(data_dir)
    except BaseException:
        sock.close()
        raise
    started = started_lines("大厅服务器", "https" if tls else "http", sock, data_dir / DB_FILE)
    if not server.worker.submit(lambda core: hall_repo.window_numbers(core.db.conn)).result():
        started.insert(-1, "注意：还没有导入大厅配置（业务和窗口），取号机无业务可取、窗口无法签到："
                           "另开终端运行 hallclient hall-server import-hall 大厅配置.json")
    try:
        why = serve(server.asgi, sock, started,
                    on_stop=server.broker.close,               # the event streams end first
                    header_timeout_s=getattr(args, "header_timeout", None), **tls)
    except StartError as exc:
        print(f"大厅服务器无法启动：{exc}", file=sys.stderr)
        return 2
    finally:
        sock.close()
        server.close()
    print(f"大厅服务器已停止{why}，数据库已关闭", flush=True)
    return 0


DEVICE_KINDS = {"counter": "窗口机", "kiosk": "取号机", "panel": "综合屏"}


def _check_window(db: Any, window: int | None) -> None:
    """A counter bound to a window the imported hall does not have could never call."""
    if window is None:
        return
    from hallclient.store import hall_repo

    numbers = hall_repo.window_numbers(db.conn)
    if not numbers:
        raise ValueError("还没有导入大厅配置（业务和窗口），无法核对窗口号：先运行 hallclient hall-server"
                         " import-hall 大厅配置.json（省略文件名则导入示范大厅），再登记窗口机")
    if window not in numbers:
        raise ValueError(f"大厅没有 {window} 号窗口（已导入的窗口：{'、'.join(map(str, numbers))}）："
                         "核对 --window；窗口有增减时先用 hall-server import-hall 导入新的大厅配置")


def _print_devices(db: Any) -> None:
    from hallclient.servers.hall_store import all_devices

    print("设备标识\t类型\t窗口\t启用\t登记时间")
    for row in all_devices(db.conn):
        print("\t".join([row.device_id, DEVICE_KINDS.get(row.kind, row.kind),
                         "" if row.window is None else str(row.window),
                         "是" if row.active else "否", row.created_at]))


def _tls_files(certfile: str | None, keyfile: str | None) -> dict[str, str]:
    if keyfile and not certfile:
        raise StartError("--keyfile 要和 --certfile 一起给出")
    for name in (certfile, keyfile):
        if name and not Path(name).is_file():
            raise StartError(f"找不到证书文件：{name}")
    found = {}
    if certfile:
        found["ssl_certfile"] = certfile
    if keyfile:
        found["ssl_keyfile"] = keyfile
    return found


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that a taken port is said plainly (uvicorn would
    log an English error and exit 1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":      # Windows' SO_REUSEADDR would let two servers share
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartError(f"端口 {port} 已被占用（同一个服务器已经在运行？）：停掉它，"
                             f"或用 --port 换一个端口") from None
        if exc.errno == errno.EACCES:
            raise StartError(f"没有权限监听端口 {port}（1024 以下的端口需要管理员权限）") from None
        if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
            raise StartError(f"本机没有地址 {host}：--host 应是本机的一个 IP，"
                             "或 0.0.0.0（所有网卡）") from None
        raise StartError(f"无法监听 {host}:{port}（{exc.strerror or exc}）") from None
    return sock


def started_lines(name: str, scheme: str, sock: socket.socket, data: Path) -> list[str]:
    """What a server says once it listens: where, its API description, its data."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    lines = [f"{name}已启动，监听 {scheme}://{shown}:{port}"]
    if host in EVERY_INTERFACE:
        lines[0] += f"（所有网卡：其他电脑用本机的局域网地址连接，如 {scheme}://本机IP:{port}）"
        shown = "[::1]" if ":" in host else "127.0.0.1"
    lines += [f"接口说明：{scheme}://{shown}:{port}/openapi.json", f"数据：{data}", "按 Ctrl+C 停止"]
    return lines


def serve(asgi: Any, sock: socket.socket, started: list[str],
          on_stop: Callable[[], None] | None = None, header_timeout_s: float | None = None,
          **options: Any) -> str:
    """Serve ``asgi`` on ``sock`` until SIGINT, SIGTERM or SIGHUP (the terminal it was
    started from closed); returns what stopped it, as words for the closing line ("" when
    nothing did)."""
    import uvicorn

    from .guard import Limits, guarded_protocol

    class Server(uvicorn.Server):
        stopped_by: int | None = None

        def handle_exit(self, sig: int, frame: Any) -> None:
            # not uvicorn's own: after its graceful shutdown it raises the signal again, and
            # the process would then end by it (KeyboardInterrupt, killed by SIGTERM)
            # instead of closing the database and exiting 0
            if self.stopped_by is None:
                self.stopped_by = sig
                if on_stop is not None:
                    on_stop()
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True       # a second Ctrl+C: do not wait for open requests
            self.should_exit = True

    limits = Limits() if header_timeout_s is None else Limits(header_timeout_s=header_timeout_s)
    config = uvicorn.Config(asgi, log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=2, http=guarded_protocol(limits), **options)
    try:
        config.load()                  # TLS files are read here: fail before saying "started"
    except (ssl.SSLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc
        raise StartError(
            f"证书或私钥无法使用（{why}）：--certfile 应是服务器证书（PEM，"
            "-----BEGIN CERTIFICATE-----），--keyfile 应是与它配对的私钥（PEM，-----BEGIN … PRIVATE "
            "KEY-----，不能有密码）；私钥在证书文件里时可省略 --keyfile") from None
    server = Server(config)
    with _stopping_on_signals(server.handle_exit):      # until uvicorn takes the signals over
        print("\n".join(started), flush=True)
        server.run(sockets=[sock])
    if server.stopped_by is None:
        return ""
    return f"（收到 {SIGNAL_NAMES.get(server.stopped_by, str(server.stopped_by))}）"


@contextmanager
def _stopping_on_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """A signal between start-up and uvicorn's own handlers stops the server too, and so
    does SIGHUP all along (uvicorn leaves it alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield                            # only the main thread may set signal handlers
        return
    before = {sig: signal.signal(sig, handler) for sig in SIGNAL_NAMES}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)
