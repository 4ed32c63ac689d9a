"""``admin set-device`` and ``admin join-hall``: this PC's identity on the provincial platform
and on the hall server, checked before anything is saved."""

from __future__ import annotations

import argparse
import socket
import ssl
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hallclient.config import CONFIG_FILE, Config, ConfigError
from hallclient.wire import HALL_API

from .common import ask_secret, make_database, save_config


def run_set_device(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.secrets import write_secret

    secret = ask_secret(args, "secret_stdin", "设备密钥", "SECRET")
    if secret is None:
        return 2
    secret = secret.strip()
    if not secret:
        print("密钥不能为空", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    config.set("platform.device_id", args.device_id)       # checked before anything is stored
    # the secret first: a failure then never leaves the new device id paired with the old secret
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        where = write_secret(data_dir, secret)
    except OSError as exc:
        print(f"设备密钥无法保存（{exc.strerror or exc}），设备标识也没有改：检查数据目录 {data_dir}"
              " 的权限和磁盘空间后再运行一次", file=sys.stderr)
        return 3
    make_database(data_dir)
    save_config(config, data_dir)
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    print(f"已登记设备 {args.device_id}，密钥保存在{place}")
    return 0


def run_join_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.secrets import write_secret

    config = Config(data_dir / CONFIG_FILE)
    url = args.url.strip().rstrip("/")
    config.set("queue.source", "hall")
    config.set("hall.server_url", url)           # a malformed address is refused here
    config.set("hall.device_id", args.device_id)
    token = ask_secret(args, "token_stdin", "设备令牌", "TOKEN")
    if token is None:
        return 2
    token = token.strip()
    if not token:
        print("令牌不能为空", file=sys.stderr)
        return 2
    try:
        device = check_hall(url, args.device_id, token, config["hall.ca_bundle"])
    except JoinRefusedError as exc:
        print(f"未加入大厅服务器，没有保存任何设置：{exc}", file=sys.stderr)
        return 2
    named = _hall_identity(url, token, config)
    make_database(data_dir)
    save_config(config, data_dir)
    where = write_secret(data_dir, token, kind="hall")
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    kind = _DEVICE_KINDS.get(device.get("kind", ""), device.get("kind", ""))
    bound = f"，只能操作 {device['window']} 号窗口" if device.get("window") else ""
    print(f"已改用大厅服务器 {url}：设备 {args.device_id}（{kind}{bound}），令牌保存在{place}")
    for key in named:
        print(f"已保存 {key} = {config.text(key)}（大厅服务器的大厅配置）")
    return 0


def _hall_identity(url: str, token: str, config: Config) -> list[str]:
    """Take the hall's name and region code from the hall server, when its hall description
    gave them; the keys set. A server that does not say leaves the settings as they are."""
    import requests

    try:
        answer = requests.get(url + HALL_API + "/hall", headers={"Authorization": f"Bearer {token}"},
                              timeout=PROBE_TIMEOUT_S, verify=config["hall.ca_bundle"] or True)
        layout = _json_of(answer) if answer.status_code == 200 else {}
    except requests.RequestException:
        return []
    named = []
    for field, key in (("name", "hall.name"), ("region_code", "hall.region_code")):
        value = layout.get(field)
        if isinstance(value, str) and value.strip():
            try:
                config.set(key, value.strip())
            except ConfigError:
                continue                  # the server's value does not fit here: keep ours
            named.append(key)
    return named


_DEVICE_KINDS = {"counter": "窗口机", "kiosk": "取号机", "panel": "综合屏"}




PROBE_TIMEOUT_S = (3.0, 8.0)


class JoinRefusedError(Exception):
    """Why this PC cannot join the hall server (in Chinese)."""


def check_hall(url: str, device_id: str, token: str, ca_bundle: str = "") -> dict[str, Any]:
    """Prove that ``url`` is a hall server this PC can reach and trust, and that ``token``
    is ``device_id``'s; returns the device as the server knows it. Raises JoinRefusedError
    with the reason and what to do."""
    import requests

    if ca_bundle:
        try:
            Config().set("hall.ca_bundle", ca_bundle)
        except ConfigError as exc:
            raise JoinRefusedError(str(exc)) from None
    verify: bool | str = ca_bundle or True
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    where = f"{host}:{port}"
    try:
        health = requests.get(url + HALL_API + "/health", timeout=PROBE_TIMEOUT_S, verify=verify)
    except requests.exceptions.SSLError as exc:
        raise JoinRefusedError(_tls_problem(exc, url, where, ca_bundle)) from None
    except requests.exceptions.Timeout:
        raise JoinRefusedError(f"连接大厅服务器 {where} 超时：检查网络、防火墙，以及服务器是否在运行"
                               ) from None
    except requests.exceptions.ConnectionError as exc:
        if parts.scheme == "http" and _speaks_tls(host, port):
            need_ca = ("" if ca_bundle else "；服务器证书由自建 CA 签发时，先配置该 CA：hallclient admin "
                       "config --set hall.ca_bundle=CA证书.pem")
            raise JoinRefusedError(f"{where} 上的服务用的是 https，地址应写成 https://"
                                   f"{parts.netloc}{parts.path}{need_ca}") from None
        raise JoinRefusedError(_unreachable(exc, where)) from None
    except requests.RequestException as exc:
        raise JoinRefusedError(f"无法连接大厅服务器 {where}（{type(exc).__name__}）") from None
    if health.status_code != 200 or not _json_of(health).get("ok"):
        raise JoinRefusedError(f"{url} 不像是大厅服务器（{HALL_API}/health 回答 HTTP {health.status_code}）："
                               "核对地址和端口（大厅服务器默认端口 8710）")
    return _check_token(url, device_id, token, verify)


def _check_token(url: str, device_id: str, token: str, verify: bool | str) -> dict[str, Any]:
    import requests

    headers = {"Authorization": f"Bearer {token}"}
    try:
        answer = requests.get(url + HALL_API + "/device", params={"device_id": device_id},
                              headers=headers, timeout=PROBE_TIMEOUT_S, verify=verify)
        if answer.status_code == 404:            # a hall server from before /device
            answer = requests.get(url + HALL_API + "/hall", headers=headers,
                                  timeout=PROBE_TIMEOUT_S, verify=verify)
            if answer.status_code == 200:
                return {"device_id": device_id}
    except requests.RequestException as exc:
        raise JoinRefusedError(f"大厅服务器中途断开（{type(exc).__name__}），请重试") from None
    again = (f"在大厅服务器上运行 hallclient hall-server add-device {device_id} --kind counter"
             " --window 窗口号（取号机用 --kind kiosk，综合屏用 --kind panel），输入它打印的令牌")
    if answer.status_code in (401, 403):
        detail = _json_of(answer).get("detail")
        registered = detail.get("registered") if isinstance(detail, dict) else None
        if registered is False:
            raise JoinRefusedError(f"大厅服务器上没有登记设备 {device_id}（未知设备）：{again}")
        if registered is True:
            raise JoinRefusedError(
                f"令牌不对：设备 {device_id} 已在大厅服务器登记，但令牌与它不符。令牌只在登记时显示一次；"
                f"找不到正确的令牌就重新登记（旧令牌随即作废）：{again}")
        raise JoinRefusedError(f"大厅服务器拒绝了这个令牌（设备未登记或令牌错误）：{again}")
    if answer.status_code != 200:
        raise JoinRefusedError(f"大厅服务器出错（HTTP {answer.status_code}），请稍后重试或查看服务器日志")
    device = _json_of(answer)
    if device.get("device_id") != device_id:
        raise JoinRefusedError(
            f"这个令牌属于设备 {device.get('device_id')}，不是 {device_id}：核对设备标识，"
            f"或为 {device_id} 登记后用它自己的令牌（{again}）")
    return device


def _json_of(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything underneath it (requests wraps urllib3 wraps socket)."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return seen


def _unreachable(exc: BaseException, where: str) -> str:
    causes = _causes(exc)
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"大厅服务器 {where} 拒绝连接：服务器没有运行，或端口不对"
    if any(isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes):
        return f"找不到主机 {where.rsplit(':', 1)[0]}：核对地址"
    return f"无法连接大厅服务器 {where}：检查网络、防火墙，以及服务器是否在运行"


def _speaks_tls(host: str, port: int) -> bool:
    """Whether a TLS server answers there (only to tell an http:// address that should be
    https://; nothing is sent, the certificate is not looked at)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=3) as raw, \
                context.wrap_socket(raw, server_hostname=host):
            return True
    except OSError:
        return False


def _tls_problem(exc: BaseException, url: str, where: str, ca_bundle: str) -> str:
    import requests

    parts = urlsplit(url)
    plain = f"http://{parts.netloc}{parts.path}"
    try:
        if requests.get(plain + HALL_API + "/health", timeout=PROBE_TIMEOUT_S).status_code == 200:
            return f"{where} 上的大厅服务器没有用 https，地址应写成 {plain}"
    except requests.RequestException:
        pass
    failed = [c for c in _causes(exc) if isinstance(c, ssl.SSLCertVerificationError)]
    if not failed:
        return f"与大厅服务器 {where} 建立 https 连接失败：{_ssl_reason(exc)}"
    code = failed[0].verify_code
    if code == 62:                                   # X509_V_ERR_HOSTNAME_MISMATCH
        return (f"大厅服务器证书上的名称与地址中的 {parts.hostname} 不符：地址要写证书上的名称或 IP，"
                "或为服务器重新签发含该地址的证书")
    if code == 10:                                   # X509_V_ERR_CERT_HAS_EXPIRED
        return "大厅服务器的证书已过期：请为服务器换发新证书"
    if ca_bundle:
        return (f"大厅服务器的证书不是由 hall.ca_bundle 中的 CA（{ca_bundle}）签发的，本机不信任它："
                "核对 CA 证书文件是否就是签发服务器证书的那一个")
    return ("大厅服务器的证书不受本机信任（自建 CA 签发）：把签发它的 CA 证书（PEM 文件）配置给本机后再试："
            "hallclient admin config --set hall.ca_bundle=CA证书.pem")


def _ssl_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason)
    return type(exc).__name__
