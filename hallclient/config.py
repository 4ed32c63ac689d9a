"""Declared settings (配置项): each key once, with type, default and description.

IT staff edit ``config.ini`` in the data directory (or use ``hallclient admin config``);
window geometry and other UI state live apart in ``state.ini`` (STATE_FILE, beside it; see
ui/geometry.py).
"""

from __future__ import annotations

import configparser
import logging
import math
import os
import re
import shutil
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from hallclient.core.progress import LockoutPolicy
    from hallclient.core.queue_policy import QueueRules

log = logging.getLogger(__name__)

CONFIG_FILE = "config.ini"
STATE_FILE = "state.ini"       # window places (ui/geometry.py), apart from the settings


@dataclass(frozen=True)
class Option:
    key: str            # "section.name"
    type: Callable[[str], Any]
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None     # raises ValueError (in Chinese) for a bad value
    # an invalid value in config.ini is kept as written (and reported): falling back to the
    # default would silently change what the counter does (no upload, other CAs)
    keep_invalid: bool = False


def _bool(text: str) -> bool:
    if text.strip().lower() in {"1", "true", "yes", "on", "是"}:
        return True
    if text.strip().lower() in {"0", "false", "no", "off", "否"}:
        return False
    raise ValueError("应为 是/否（true/false）")


def _integer(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("应为整数") from None


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("应为数字") from None
    if not math.isfinite(value):
        raise ValueError("应为数字")
    return value


def _dates(text: str) -> tuple[date, ...]:
    days = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        try:
            days.append(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"日期应写成 YYYY-MM-DD，用逗号分隔（「{part}」不是日期）") from None
    return tuple(sorted(days))


# a line break or control character in a value would split config.ini's line, or reach a
# ticket, a notice or the case number unseen
_UNPRINTABLE = {"Cc", "Zl", "Zp"}


def _printable(text: str) -> None:
    for c in text:
        if unicodedata.category(c) in _UNPRINTABLE:
            what = "换行" if c in "\r\n\u2028\u2029\x0b\x0c\x85" else f"控制字符 U+{ord(c):04X}"
            raise ValueError(f"不能含{what}：只写一行可见的文字")


def _place(value: Any) -> None:
    """Words every counter shows: one line, visible characters, no direction marks."""
    text = str(value)
    _text(40)(text)
    _printable(text)
    if any(unicodedata.category(c) == "Cf" for c in text):
        raise ValueError("不能含不可见的格式字符（如文字方向符）：只写一行可见的文字")


def _shown(text: str) -> str:
    """A value as it can be printed back: unseen characters written as escapes (\\n)."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) in _UNPRINTABLE else c for c in text)


def _between(low: float, high: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not low <= value <= high:
            raise ValueError(f"应在 {low:g} 到 {high:g} 之间")
    return check


def _above_zero(high: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not 0 < value <= high:
            raise ValueError(f"应大于 0，最大 {high:g}")
    return check


def _text(longest: int, blank: bool = True, spaces: bool = True) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not blank and not str(value).strip():
            raise ValueError("不能为空")
        if len(str(value)) > longest:
            raise ValueError(f"最长 {longest} 个字符")
        if not spaces and any(c.isspace() for c in str(value)):
            raise ValueError("不能含空格")
    return check


def _staff_code(value: Any) -> None:
    if str(value) and not re.fullmatch(r"[0-9]{4,8}", str(value)):
        raise ValueError("应为 4-8 位数字，或留空（不需要工作人员码）")


def _clock_time(value: Any) -> None:
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", str(value)):
        raise ValueError("应写成 时:分，如 17:30")


def _region_code(value: Any) -> None:
    if not re.fullmatch(r"[0-9]{6}", str(value)):
        raise ValueError("应为 6 位数字的行政区划代码，如 330109")


def _device_code(value: Any) -> None:
    # part of every case number (办件编号, an..50): region 6 + date 8 + this + serial 4
    if value and not re.fullmatch(r"[0-9A-Za-z]{1,16}", str(value)):
        raise ValueError("只能用字母和数字，最多 16 位（写进办件编号）")


def _template(value: Any) -> None:
    from hallclient.core.announce import check_template

    if not str(value).strip():
        raise ValueError("不能为空")
    check_template(str(value))


def _url_parts(value: str, example: str) -> SplitResult:
    if any(c.isspace() for c in value):
        raise ValueError(f"地址中不能有空格，应写成 {example}")
    parts = urlsplit(value)
    try:
        port_ok = parts.port is None or 0 < parts.port
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError(f"应写成 {example}")
    return parts


def _hall_url(value: Any) -> None:
    if value:
        _url_parts(str(value), "http://地址:端口 或 https://地址:端口，如 http://192.168.1.10:8710")


def _platform_url(value: Any) -> None:
    """The rule the platform client applies when it starts: https, plain http only to
    this machine (the simulator, training mode)."""
    if not value:
        return
    if any(c.isspace() for c in str(value)):
        raise ValueError("地址中不能有空格，应写成 https://地址，如 https://zwfw.example.gov.cn")
    from hallclient.core.validators import platform_url

    platform_url(str(value))
    _url_parts(str(value), "https://地址，如 https://zwfw.example.gov.cn")


def _ca_file(value: Any) -> None:
    if not value:
        return
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise ValueError(f"文件不存在：{path}")
    try:
        head = path.read_bytes()[:1_000_000]
    except OSError as exc:
        raise ValueError(f"无法读取 {path}（{exc.strerror or '没有权限'}）") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise ValueError(f"{path} 不是 PEM 格式的证书文件（应含 -----BEGIN CERTIFICATE-----）")


def _escpos_target(value: Any) -> None:
    if str(value):
        from hallclient.core.escpos_target import parse_target

        parse_target(str(value))


BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


def _baud_rate(value: Any) -> None:
    if value not in BAUD_RATES:
        raise ValueError("应为串口常用波特率之一：" + "、".join(str(b) for b in BAUD_RATES))


def _library(value: Any) -> None:
    """A vendor library: a file name (found by the system's loader) or a path, ending in
    .so (or .so.N) or .dll; blank for none."""
    text = str(value)
    _printable(text)
    if text and not re.search(r"\.(dll|so(\.\d+)*)$", text.strip(), re.IGNORECASE):
        raise ValueError("应为驱动库文件（Linux 为 .so，Windows 为 .dll），如 /opt/reader/libsdtapi.so")


def _reader_port(value: Any) -> None:
    text = str(value).strip().lower()
    if text == "auto":
        return
    if not (text.isascii() and text.isdigit()) or not (1 <= int(text) <= 16 or 1001 <= int(text) <= 1016):
        raise ValueError("应为 auto，或 USB 端口 1001-1016、串口 1-16")


MODIFIERS = ("ctrl", "shift", "alt", "meta")
NAMED_KEYS = frozenset({
    "space", "esc", "escape", "tab", "backtab", "backspace", "return", "enter", "ins", "insert",
    "del", "delete", "pause", "print", "sysreq", "home", "end", "left", "up", "right", "down",
    "pgup", "pgdown", "pageup", "pagedown", "menu", "help", *(f"f{n}" for n in range(1, 36))})


def shortcut_key(text: str) -> str:
    """A shortcut in Qt's portable form (F1, Ctrl+U, Ctrl+Shift+F3), normalised for
    comparison; "" for none. ValueError when it is not one."""
    text = text.strip()
    if not text:
        return ""
    if text.endswith("++") or text == "+":
        mods, key = text[:-2].split("+") if len(text) > 2 else [], "+"
    else:
        *mods, key = text.split("+")
    wanted = [m.strip().lower() for m in mods]
    key = key.strip()
    if (any(m not in MODIFIERS for m in wanted) or len(set(wanted)) != len(wanted)
            or not (key.lower() in NAMED_KEYS or (len(key) == 1 and key.isprintable()
                                                 and not key.isspace()))):
        raise ValueError("不是有效的快捷键，应写成 F1、Ctrl+U、Shift+F3 这样")
    return "+".join([m for m in MODIFIERS if m in wanted] + [key.lower()])


def _shortcut(value: Any) -> None:
    shortcut_key(str(value))


OPTIONS: tuple[Option, ...] = (
    Option("hall.name", str, "政务服务中心", "大厅名称，显示在取号票和窗口上",
           check=_text(60, blank=False)),
    Option("hall.region_code", str, "000000", "大厅所在地 6 位行政区划代码（用于办件编号）",
           check=_region_code),
    Option("hall.device_code", str, "", "本机设备代码（县内唯一，用于办件编号；留空则由数据库设备标识生成）",
           check=_device_code),
    Option("queue.source", str, "local",
           "队列来源：local=本机 SQLite 队列；hall=大厅服务器（多窗口共用一个队列）", ("local", "hall")),
    Option("hall.server_url", str, "",
           "大厅服务器地址，如 http://192.168.1.10:8710（queue.source=hall 时必填）",
           check=_hall_url, keep_invalid=True),
    Option("hall.device_id", str, "",
           "本机在大厅服务器登记的设备标识（令牌用 admin join-hall 保存）",
           check=_text(64, spaces=False)),
    Option("hall.ca_bundle", str, "", "大厅服务器用 https 时的自有 CA 证书文件（PEM），留空=系统证书",
           check=_ca_file, keep_invalid=True),
    Option("queue.recall_limit", _integer, 3, "重呼次数上限，超过后自动过号", check=_between(0, 20)),
    Option("queue.fairness", str, "ratio",
           "防饿死规则：ratio=每N个优先号后叫一个普通号；aging=普通号等候超时后提升", ("ratio", "aging")),
    Option("queue.priority_ratio", _integer, 3, "ratio 模式：连续优先呼叫次数上限（0=不限）",
           check=_between(0, 100)),
    Option("queue.aging_minutes", _number, 20.0, "aging 模式：普通号等候多少分钟后视为优先",
           check=_above_zero(24 * 60)),
    Option("announce.template", str, "请{number}号到{window}号窗口办理",
           "叫号播报模板，可用 {number} {window}", check=_template),
    Option("announce.speech", _bool, True, "是否语音播报（无语音引擎时自动改为提示音+闪烁）"),
    Option("announce.engine", str, "", "语音引擎名（留空自动选择）"),
    Option("ui.idle_lock_minutes", _number, 10.0, "无操作多少分钟后自动锁屏（0=不锁）",
           check=_between(0, 24 * 60)),
    Option("kiosk.printer", str, "", "取号票打印机名称；留空=系统默认；pdf=打印到数据目录 tickets/ 下的 PDF"),
    Option("kiosk.training_printer", str, "",
           "培训模式下取号票的打印机名称；留空=培训时只生成 PDF（带“培训样张 无效”水印），"
           "不用真实取号票打印机"),
    Option("kiosk.green_age", _integer, 65,
           "刷身份证取号时，年满多少周岁自动走绿色通道（法定老年人为 60 周岁）", check=_between(60, 100)),
    Option("kiosk.staff_code", str, "",
           "取号机上由工作人员协助选择绿色通道原因（残疾人、军人依法优先等）时须输入的工作人员码"
           "（4-8 位数字）；留空=不需要", check=_staff_code),
    Option("kiosk.place", str, "", "取号机所在位置（如 一楼东侧），“请工作人员协助”时显示在各窗口",
           check=_place),
    Option("kiosk.elder_mode", _bool, False,
           "取号机默认以长辈模式（大字、高对比、语音提示）显示；否则由申请人点“长辈模式”切换，"
           "年满绿色通道年龄者刷卡后自动切换"),
    Option("kiosk.card_wait_seconds", _integer, 20, "点“刷身份证取号”后等待放卡的秒数",
           check=_between(5, 120)),
    Option("kiosk.ticket_width_mm", _number, 80.0, "取号票纸宽（毫米），热敏打印机通常为 80",
           check=_between(40, 120)),
    Option("kiosk.printer_kind", str, "qt",
           "取号票打印方式：qt=经系统打印机驱动（或 PDF）；escpos=不装驱动，直接向热敏打印机发送 ESC/POS 指令"
           "（地址见 kiosk.escpos_target；培训模式及 kiosk.printer=pdf 时仍按 qt 方式）", ("qt", "escpos")),
    Option("kiosk.escpos_target", str, "",
           "ESC/POS 取号票打印机地址：网口 tcp://192.168.1.50:9100，串口 serial:/dev/ttyS0 或 serial:COM3，"
           "USB（仅 Linux）usb:/dev/usb/lp0，写入文件 file:/路径", check=_escpos_target),
    Option("kiosk.escpos_baud", _integer, 9600, "ESC/POS 串口打印机的波特率（与打印机自检页上的一致）",
           check=_baud_rate),
    Option("kiosk.escpos_timeout_seconds", _number, 5.0,
           "ESC/POS 打印机连接和发送的超时（秒），超时即提示打印失败", check=_above_zero(120)),
    Option("notice.printer", str, "",
           "通知书（A4）打印机名称；留空=系统默认；pdf=只生成数据目录 notices/ 下的 PDF"),
    Option("notice.training_printer", str, "",
           "培训模式下通知书、回执的打印机名称；留空=培训时只生成 PDF（带“培训样张 无效”水印），"
           "不用真实打印机"),
    Option("scanner.device", str, "", "SANE 扫描仪设备名（留空=第一台），见 scanimage -L"),
    Option("scanner.resolution", _integer, 200, "扫描分辨率 dpi（材料一般 200-300）",
           check=_between(50, 1200)),
    Option("scanner.wedge_max_gap_ms", _integer, 20,
           "扫码枪（键盘楔）判定：两键间隔不超过多少毫秒算扫码。USB 扫码枪每键约 1-8 毫秒，"
           "人打字很少快于 40 毫秒、按住重复约 30 毫秒，故默认 20；扫码被当成打字时调大，"
           "打字被当成扫码时调小", check=_between(5, 30)),
    Option("scanner.mode", str, "Color", "扫描模式：Color 彩色 / Gray 灰度 / Lineart 黑白",
           ("Color", "Gray", "Lineart")),
    Option("idcard.driver", str, "simulated",
           "身份证读卡器驱动：simulated 模拟（演示、培训）/ sdt 公安部 SDT 接口（sdtapi）/ "
           "cvr termb 接口（CVR_ 函数）", ("simulated", "sdt", "cvr")),
    Option("idcard.library", str, "",
           "读卡器厂商驱动库的路径（Linux 为 .so，Windows 为 .dll），如 /opt/reader/libsdtapi.so；"
           "driver 为 sdt 或 cvr 时必填", check=_library),
    Option("idcard.photo_decoder", str, "",
           "身份证照片解码库（厂商的 libwlt2bmp.so 等，提供 unpack 函数）的路径；留空=不取照片（仅 sdt）",
           check=_library),
    Option("idcard.port", str, "auto",
           "读卡器端口：auto 自动查找（先 USB 1001-1016，再串口 1-4），或端口号：USB 1001-1016，串口 1-16",
           check=_reader_port),
    Option("idcard.timeout_seconds", _number, 5.0,
           "读卡最长等待秒数（含等待放卡），超时提示重试", check=_above_zero(60)),
    Option("calendar.holidays", _dates, (),
           "法定节假日（不计入办理时限），逗号分隔，如 2026-10-01,2026-10-02"),
    Option("calendar.workdays", _dates, (), "调休上班的周末，逗号分隔，如 2026-09-27"),
    Option("correction.working_days", _integer, 10,
           "补正告知书上写明的补正期限：自告知之日起多少个工作日内（0=不写期限）",
           check=_between(0, 60)),
    Option("progress.lockout_minutes", _number, 30.0,
           "办件查询：查询密码连续输错后暂停该办件查询多少分钟（取号机；大厅服务器按其自身配置）",
           check=_above_zero(1440)),
    Option("progress.max_failures", _integer, 5, "办件查询：查询密码连续输错几次后暂停查询",
           check=_between(1, 20)),
    Option("progress.idle_seconds", _integer, 30, "办件查询：取号机上的查询结果无操作多少秒后清除",
           check=_between(5, 600)),
    Option("platform.url", str, "", "省平台接口地址（https；留空=暂不上传，办件只保存在本机）",
           check=_platform_url, keep_invalid=True),
    Option("platform.device_id", str, "", "本机在省平台登记的设备标识",
           check=_text(64, spaces=False)),
    Option("platform.ca_bundle", str, "", "政务外网自有 CA 证书文件（PEM），留空=系统证书",
           check=_ca_file, keep_invalid=True),
    Option("sync.interval_seconds", _number, 30.0, "自动上传间隔（秒）", check=_above_zero(3600)),
    Option("sync.warn_after_minutes", _number, 60.0, "办件超过多少分钟未上传时醒目提示",
           check=_above_zero(7 * 24 * 60)),
    Option("evaluation.after_finish", _bool, True, "办结后自动在评价器（副屏）上请申请人评价"),
    Option("evaluation.rectify_days", _integer, 5, "差评整改时限（工作日，各省 5-15 天不等）",
           check=_between(1, 60)),
    Option("report.wait_target_minutes", _number, 20.0, "日报：等候时间目标（分钟），超过即计入超时占比",
           check=_above_zero(24 * 60)),
    Option("report.service_target_minutes", _number, 30.0, "日报：办理时间目标（分钟）",
           check=_above_zero(24 * 60)),
    Option("hall.closing_time", str, "17:30",
           "大厅下班时间（时:分；00:00—05:59 指次日凌晨）。日报中到下班时仍未叫到的号计为弃号，"
           "下班前仍在等的计为等候中",
           check=_clock_time),
    Option("keys.call_next", str, "F1", "快捷键：呼叫下一位", check=_shortcut),
    Option("keys.recall", str, "F2", "快捷键：重呼", check=_shortcut),
    Option("keys.no_show", str, "F3", "快捷键：过号", check=_shortcut),
    Option("keys.start", str, "F4", "快捷键：开始办理", check=_shortcut),
    Option("keys.finish", str, "F5", "快捷键：办结", check=_shortcut),
    Option("keys.transfer", str, "F6", "快捷键：转移", check=_shortcut),
    Option("keys.hold", str, "F7", "快捷键：挂起/恢复", check=_shortcut),
    Option("keys.pause", str, "F8", "快捷键：暂停/恢复服务", check=_shortcut),
    Option("keys.call_specific", str, "F9", "快捷键：指定号码呼叫", check=_shortcut),
    Option("keys.reactivate", str, "F10", "快捷键：激活过号", check=_shortcut),
    Option("keys.lock", str, "F12", "快捷键：锁屏", check=_shortcut),
    Option("keys.intake", str, "F11", "快捷键：打开受理", check=_shortcut),
    Option("keys.cases", str, "Ctrl+F", "快捷键：办件查询", check=_shortcut),
    Option("keys.sync", str, "Ctrl+U", "快捷键：立即同步（上传）", check=_shortcut),
    Option("keys.outbox", str, "Ctrl+O", "快捷键：待上传队列", check=_shortcut),
    Option("keys.supervisor", str, "Ctrl+R", "快捷键：值班长日报（需值班长登录）", check=_shortcut),
)
BY_KEY = {o.key: o for o in OPTIONS}


class ConfigError(ValueError):
    pass


class Config:
    """Values of the declared options, read from and written to ``config.ini``."""

    def __init__(self, path: Path | None = None, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = {o.key: o.default for o in OPTIONS}
        self.problems: list[str] = []
        self.unreadable = False
        if path is not None and path.exists():
            self._load(path)
        for key, value in (values or {}).items():
            self.set(key, value)

    def _load(self, path: Path) -> None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(read_config_text(path), source=str(path))
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            self.unreadable = True      # (save() keeps a copy before writing over it)
            self.problems.append(f"配置文件无法读取，使用默认值：{exc}")
            log.warning("config: %s", self.problems[-1])
            return
        for section in parser.sections():
            for name, text in parser.items(section):
                key = f"{section}.{name}"
                try:
                    self.set(key, text)
                except ConfigError as exc:
                    option = BY_KEY.get(key)
                    if option is not None and option.keep_invalid:
                        self._values[key] = text.strip()
                        self.problems.append(f"{exc}（仍按所写的值使用，请改正）")
                    else:
                        self.problems.append(f"{exc}（暂用默认值 {text_of(BY_KEY[key].default)}）"
                                             if option is not None else str(exc))
        for problem in self.problems:
            log.warning("config: %s", problem)

    def set(self, key: str, value: Any) -> None:
        option = BY_KEY.get(key)
        if option is None:
            raise ConfigError(f"未知配置项：{key}（hallclient admin config --list 列出全部配置项）")
        try:
            if isinstance(value, str):
                _printable(value)
            converted = option.type(value) if isinstance(value, str) else value
            if option.choices and str(converted) not in option.choices:
                raise ValueError(f"只能是 {'/'.join(option.choices)}")
            if option.check is not None:
                option.check(converted)
        except ValueError as exc:
            raise ConfigError(f"配置项 {key} 的值「{_shown(text_of(value))}」无效：{exc}") from exc
        self._values[key] = converted

    def get(self, key: str) -> Any:
        return self._values[key]

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def text(self, key: str) -> str:
        """The value as it is written in config.ini."""
        return text_of(self._values[key])

    def gaps(self) -> list[str]:
        """Settings that are valid one by one but do not work together (for ``admin
        status`` and after ``admin config --set``)."""
        found = []
        if self["queue.source"] == "hall" and not self["hall.server_url"]:
            found.append("队列来源是大厅服务器（queue.source=hall），但没有大厅服务器地址"
                         "（hall.server_url）：运行 hallclient admin join-hall 地址 设备标识")
        if self["platform.url"] and not self["platform.device_id"]:
            found.append("已设置省平台地址（platform.url），但没有本机的设备标识（platform.device_id）："
                         "运行 hallclient admin set-device 设备标识")
        if self["kiosk.printer_kind"] == "escpos" and not self["kiosk.escpos_target"]:
            found.append("取号票用 ESC/POS 打印（kiosk.printer_kind=escpos），但没有打印机地址"
                         "（kiosk.escpos_target），如 tcp://192.168.1.50:9100")
        both = sorted(set(self["calendar.holidays"]) & set(self["calendar.workdays"]))
        if both:
            found.append("这些日子既写在节假日（calendar.holidays）又写在调休上班日（calendar.workdays）："
                         + "、".join(d.isoformat() for d in both))
        taken: dict[str, str] = {}
        for option in OPTIONS:
            if not option.key.startswith("keys."):
                continue
            try:
                shortcut = shortcut_key(str(self[option.key]))
            except ValueError:
                continue
            if shortcut in taken:
                found.append(f"快捷键 {self[option.key]} 同时分给了 {taken[shortcut]} 和 {option.key}，"
                             "按下时只会执行其中一个")
            elif shortcut:
                taken[shortcut] = option.key
        return found

    def save(self) -> None:
        if self.path is None:
            return
        parser = configparser.ConfigParser(interpolation=None)
        for option in OPTIONS:
            section, name = option.key.split(".", 1)
            if not parser.has_section(section):
                parser.add_section(section)
            parser.set(section, name, self.text(option.key))
        if self.unreadable and self.path.exists():    # what the admin wrote is not lost
            backup = self.path.with_name(self.path.name + ".unreadable")
            shutil.copy2(self.path, backup)
            log.warning("config: %s could not be read; kept as %s", self.path, backup)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("# hallclient 配置文件 — 说明见 `hallclient admin config --list`\n")
            parser.write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def read_config_text(path: Path) -> str:
    """config.ini as text: UTF-8 (with or without the BOM Notepad writes), else GBK /
    GB18030 — what Notepad's 「ANSI」 is on a Chinese Windows; it is written back as UTF-8."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")        # (raises where it is neither)
        log.info("config: %s is GBK-encoded; read as such (saved as UTF-8)", path)
        return text


def text_of(value: Any) -> str:
    """A value as config.ini has it: true/false, dates joined by commas."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(v.isoformat() if isinstance(v, date) else str(v) for v in value)
    return str(value)


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("hallclient", appauthor=False))


# The longest path the program writes below a data dir, counted from the end of the data
# dir's own path (the separator included) in UTF-16 code units, as Windows counts: a 培训
# material moved aside by a restore of the training data,
# ``training.before-restore-YYYYmmdd-HHMMSS/attachments/ab/<64 hex digits>`` (120); a
# backup's folder (hallclient-training-<time>-NN/...) holds the same within 119, and the
# training platform simulator's upload in progress
# (training/platform-sim/blobs/partial/<16>-<64>) takes 118. Notices, receipts, tickets,
# reports, log bundles, logs and their temporary files are shorter
# (tests/integration/test_windows_paths.py measures a real run against this). A little is
# kept in hand for what the layout may grow by.
DATA_PATH_BUDGET = 128
WINDOWS_MAX_PATH = 259      # MAX_PATH (260) less the terminating NUL
_FILE_SYSTEM_KEY = r"SYSTEM\CurrentControlSet\Control\FileSystem"


def windows_length(text: str) -> int:
    """A path's length as Windows counts it (UTF-16 code units: 𠮷 counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def long_paths_enabled() -> bool | None:
    """Whether this Windows lets programs use paths past MAX_PATH (LongPathsEnabled = 1 in
    HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\FileSystem); None elsewhere."""
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _FILE_SYSTEM_KEY) as key:
            value, kind = winreg.QueryValueEx(key, "LongPathsEnabled")
    except OSError:             # no such value: the default, off
        return False
    return kind == winreg.REG_DWORD and value == 1


def path_length_problems(data_dir: Path | str, windows: bool, long_paths: bool | None) -> list[str]:
    """What to do, in Chinese, when files the program writes in ``data_dir`` would pass
    Windows' MAX_PATH (the data dir's path plus DATA_PATH_BUDGET) on a PC without long
    paths; nothing when they fit, or the PC takes long paths, or it is not Windows."""
    length = windows_length(str(data_dir))
    if not windows or long_paths or length + DATA_PATH_BUDGET <= WINDOWS_MAX_PATH:
        return []
    room = WINDOWS_MAX_PATH - DATA_PATH_BUDGET
    return [f"数据目录的路径太长：{data_dir} 有 {length} 个字符，程序在其中保存的文件（材料、通知书、"
            f"恢复备份时移开的原数据等）还要再加最多 {DATA_PATH_BUDGET} 个字符，超过了 Windows 的路径"
            f"长度上限 {WINDOWS_MAX_PATH} 个字符，而本机没有开启长路径支持，这些文件会保存失败。"
            "二选一：① 请系统管理员开启长路径支持——注册表 HKEY_LOCAL_MACHINE\\"
            f"{_FILE_SYSTEM_KEY} 中的 LongPathsEnabled 设为 1（或在组策略“计算机配置 > 管理模板 > "
            "系统 > 文件系统”中启用“启用 Win32 长路径”），然后重启电脑；② 把数据目录移到路径短的位置"
            f"（不超过 {room} 个字符，如 D:\\hallclient）：关闭本程序，运行 hallclient admin backup "
            "备份位置，再运行 hallclient --data-dir D:\\hallclient admin restore 备份出的目录，"
            "以后启动程序都加上 --data-dir D:\\hallclient（桌面和开始菜单的快捷方式里也要加上）"]


def queue_rules(config: Config) -> QueueRules:
    """The queue's rules as configured (``queue.*``): the counter's own queue and the hall
    server read them alike."""
    from hallclient.core.queue_policy import FairnessMode, QueueRules

    return QueueRules(
        fairness=FairnessMode(config["queue.fairness"]),
        priority_ratio=int(config["queue.priority_ratio"]),
        aging_minutes=float(config["queue.aging_minutes"]),
        recall_limit=int(config["queue.recall_limit"]),
    )


def progress_policy(config: Config) -> LockoutPolicy:
    """The 办件查询 lockout as configured (``progress.*``): a kiosk on the counter's own
    database and the hall server read it alike."""
    from hallclient.core.progress import LockoutPolicy

    return LockoutPolicy(max_failures=int(config["progress.max_failures"]),
                         lock_minutes=float(config["progress.lockout_minutes"]))
