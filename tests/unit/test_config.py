from __future__ import annotations

import pytest

from hallclient.config import BY_KEY, OPTIONS, Config, ConfigError


def test_every_option_is_declared_once_with_a_description():
    keys = [o.key for o in OPTIONS]
    assert len(keys) == len(set(keys))
    assert all(o.description and "." in o.key for o in OPTIONS)
    assert BY_KEY["queue.recall_limit"].default == 3


def test_values_round_trip_through_the_file(tmp_path):
    path = tmp_path / "config.ini"
    c = Config(path, {"queue.recall_limit": "4", "announce.speech": "否", "hall.name": "𠮷镇便民服务中心"})
    c.save()
    again = Config(path)
    assert again["queue.recall_limit"] == 4
    assert again["announce.speech"] is False
    assert again["hall.name"] == "𠮷镇便民服务中心"
    assert again.problems == []


def test_bad_values_are_reported_and_defaults_kept(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text("[queue]\nrecall_limit = lots\nfairness = sometimes\n[nope]\nx = 1\n",
                    encoding="utf-8")
    c = Config(path)
    assert c["queue.recall_limit"] == 3 and c["queue.fairness"] == "ratio"
    assert len(c.problems) == 3
    assert any("queue.recall_limit" in p for p in c.problems)
    assert any("未知配置项：nope.x" in p for p in c.problems)


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="未知配置项"):
        Config(values={"queue.colour": "red"})


def test_unreadable_file_falls_back_to_defaults(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(b"\xff\xfe[queue\x00")
    c = Config(path)
    assert c["queue.recall_limit"] == 3 and c.problems


def test_holiday_calendar_round_trips_and_reaches_intake(tmp_path):
    from datetime import date

    from hallclient.services.context import open_context

    path = tmp_path / "config.ini"
    c = Config(path, {"calendar.holidays": "2026-10-02, 2026-10-01", "calendar.workdays": "2026-09-27"})
    c.save()
    again = Config(path)
    assert again["calendar.holidays"] == (date(2026, 10, 1), date(2026, 10, 2))
    ctx = open_context(tmp_path, again)
    assert date(2026, 10, 1) in ctx.desk.holidays and date(2026, 9, 27) in ctx.desk.workdays
    ctx.close()
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        Config(values={"calendar.holidays": "10/1"})


# -- every value is checked before it is used or saved --------------------------------------

@pytest.mark.parametrize("url", ["http://10.0.0.5:8700", "http://zwfw.example.gov.cn",
                                 "http://192.168.1.10", "ftp://127.0.0.1", "zwfw.example.gov.cn"])
def test_platform_url_follows_the_clients_rule(url):
    """Plain http only to this machine, as the platform client insists when it starts."""
    from hallclient.platform.client import check_url

    with pytest.raises(ValueError):
        check_url(url)                      # the client refuses it at run time ...
    with pytest.raises(ConfigError, match="平台地址必须使用 https"):
        Config(values={"platform.url": url})    # ... so it is refused when it is set


@pytest.mark.parametrize("url", ["https://", "https://zwfw.example.gov.cn:99999",
                                 "http://127.0.0.1:99999"])
def test_a_malformed_platform_url_is_refused(url):
    with pytest.raises(ConfigError, match="应写成 https://地址"):
        Config(values={"platform.url": url})


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:8700", "http://localhost:8700",
                                 "http://[::1]:8700", "https://zwfw.example.gov.cn",
                                 "https://10.0.0.5:8443/prefix"])
def test_platform_urls_the_client_accepts_are_accepted(url):
    from hallclient.platform.client import check_url

    assert Config(values={"platform.url": url})["platform.url"] == url
    if url:
        check_url(url)


BAD_VALUES = {
    "hall.name": "  ", "hall.region_code": "33010", "hall.device_code": "W 03",
    "queue.source": "cloud", "hall.server_url": "192.168.1.10:8710", "hall.device_id": "W 5",
    "hall.ca_bundle": "/no/such/ca.pem", "queue.recall_limit": "-1", "queue.fairness": "fifo",
    "queue.priority_ratio": "lots", "queue.aging_minutes": "0", "announce.template": "请{name}",
    "announce.speech": "maybe", "ui.idle_lock_minutes": "nan", "kiosk.ticket_width_mm": "210",
    "kiosk.green_age": "59", "kiosk.staff_code": "12a4", "kiosk.place": "\u202e侧东楼一",
    "kiosk.elder_mode": "maybe", "kiosk.card_wait_seconds": "1",
    "scanner.resolution": "10", "scanner.wedge_max_gap_ms": "50",
    "scanner.mode": "Sepia", "calendar.holidays": "10/1",
    "calendar.workdays": "2026-02-30", "correction.working_days": "61",
    "platform.url": "http://10.0.0.5",
    "platform.device_id": "W 01", "platform.ca_bundle": "/no/such/ca.pem",
    "sync.interval_seconds": "-5", "sync.warn_after_minutes": "inf",
    "evaluation.after_finish": "2", "evaluation.rectify_days": "0",
    "report.wait_target_minutes": "x", "report.service_target_minutes": "0",
    "hall.closing_time": "25:00", "progress.lockout_minutes": "0",
    "progress.max_failures": "0", "progress.idle_seconds": "3",
    "kiosk.printer_kind": "thermal", "kiosk.escpos_target": "lpt1", "kiosk.escpos_baud": "9601",
    "kiosk.escpos_timeout_seconds": "0",
    "idcard.driver": "huashi", "idcard.library": "/opt/reader/sdtapi.txt",
    "idcard.photo_decoder": "libwlt2bmp", "idcard.port": "2000", "idcard.timeout_seconds": "0",
    **{o.key: "Ctrl+Hyper+Q" for o in OPTIONS if o.key.startswith("keys.")},
}
FREE_TEXT = {"announce.engine", "kiosk.printer", "notice.printer", "scanner.device",
             "kiosk.training_printer", "notice.training_printer"}


def test_every_option_has_a_bad_value_here_unless_any_text_will_do():
    assert set(BAD_VALUES) | FREE_TEXT == set(BY_KEY)


@pytest.mark.parametrize("key", sorted(BAD_VALUES))
def test_a_bad_value_is_refused_in_plain_chinese(key):
    with pytest.raises(ConfigError) as caught:
        Config(values={key: BAD_VALUES[key]})
    message = str(caught.value)
    assert message.startswith(f"配置项 {key} 的值「{BAD_VALUES[key]}」无效：")
    # nothing of Python's own wording or reprs reaches the person reading it
    assert not any(bit in message for bit in ("'", "invalid literal", "could not convert", "()"))


def test_every_default_passes_its_own_check():
    config = Config()
    for option in OPTIONS:
        config.set(option.key, config.text(option.key))
    assert config.gaps() == []


def test_ca_bundle_must_be_a_pem_certificate_file(tmp_path):
    der = tmp_path / "ca.der"
    der.write_bytes(b"\x30\x82\x01\x0a" + bytes(200))
    with pytest.raises(ConfigError, match="不是 PEM 格式的证书文件"):
        Config(values={"hall.ca_bundle": str(der)})
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert Config(values={"hall.ca_bundle": str(pem)})["hall.ca_bundle"] == str(pem)


def test_an_address_or_ca_file_that_is_wrong_in_the_file_is_kept_and_reported(tmp_path):
    """Falling back to the default would silently stop uploads or trust other CAs; the
    counter keeps what IT wrote (its connection then fails visibly) and status says why."""
    path = tmp_path / "config.ini"
    path.write_text("[platform]\nurl = http://10.0.0.5\nca_bundle = /gone/ca.pem\n"
                    "[queue]\nrecall_limit = -3\n", encoding="utf-8")
    c = Config(path)
    assert c["platform.url"] == "http://10.0.0.5" and c["platform.ca_bundle"] == "/gone/ca.pem"
    assert c["queue.recall_limit"] == 3
    assert len(c.problems) == 3
    assert any("platform.url" in p and "仍按所写的值使用" in p for p in c.problems)
    assert any("queue.recall_limit" in p and "暂用默认值 3" in p for p in c.problems)


@pytest.mark.parametrize("text, normal", [
    ("F1", "f1"), ("Ctrl+U", "ctrl+u"), ("shift+ctrl+F3", "ctrl+shift+f3"), ("Ctrl++", "ctrl++"),
    ("", ""), ("Alt+PgDown", "alt+pgdown"), ("Ctrl+F", "ctrl+f"),
])
def test_shortcuts_in_qts_portable_form(text, normal):
    from hallclient.config import shortcut_key

    assert shortcut_key(text) == normal


@pytest.mark.parametrize("text", ["Ctrl+", "F36", "Ctrl+Ctrl+A", "Super+A", "Ctrl+Shift", "F 1"])
def test_what_is_not_a_shortcut(text):
    from hallclient.config import shortcut_key

    with pytest.raises(ValueError, match="不是有效的快捷键"):
        shortcut_key(text)


def test_settings_that_do_not_work_together_are_named():
    c = Config(values={"queue.source": "hall", "platform.url": "https://zwfw.example.gov.cn",
                       "keys.recall": "f3", "calendar.holidays": "2026-10-01,2026-10-02",
                       "calendar.workdays": "2026-10-02"})
    gaps = c.gaps()
    assert len(gaps) == 4
    assert any("hall.server_url" in g and "join-hall" in g for g in gaps)
    assert any("platform.device_id" in g and "set-device" in g for g in gaps)
    assert any("keys.recall" in g and "keys.no_show" in g for g in gaps)
    assert any("2026-10-02" in g and "2026-10-01" not in g for g in gaps)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_a_config_saved_by_notepad_is_read_whatever_its_encoding(tmp_path, encoding):
    """Notepad on a Chinese Windows saves 「ANSI」 (GBK), or UTF-8 with a BOM: the hall's name
    and the recall limit are read, not silently replaced by defaults, and saved as UTF-8."""
    path = tmp_path / "config.ini"
    path.write_bytes("[hall]\nname = 示范县政务服务中心\n[queue]\nrecall_limit = 5\n".encode(encoding))
    c = Config(path)
    assert c.problems == []
    assert c["hall.name"] == "示范县政务服务中心" and c["queue.recall_limit"] == 5
    c.save()
    assert "示范县政务服务中心" in path.read_text(encoding="utf-8")


def test_an_unreadable_config_is_kept_beside_before_it_is_written_over(tmp_path):
    path = tmp_path / "config.ini"
    original = b"\xff\xfe[queue\x00"
    path.write_bytes(original)
    c = Config(path)
    assert c.unreadable and c.problems
    c.save()
    assert (tmp_path / "config.ini.unreadable").read_bytes() == original
    assert Config(path).problems == []


# -- Windows: printer names, MAX_PATH ----------------------------------------------------------

WINDOWS_PRINTERS = ["\\\\PRINTSRV\\1号窗口 激光打印机", "HP LaserJet Pro M404 (副本 1)",
                    "Microsoft Print to PDF", "\\\\10.1.2.3\\叫号 80mm（热敏）#2 ; 备用"]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("name", WINDOWS_PRINTERS)
def test_a_windows_printer_name_round_trips_through_config_ini(tmp_path, name, encoding):
    """Backslashes, spaces, parentheses, # and ; are the name's own, also once Notepad has
    saved the file again as GBK."""
    path = tmp_path / "config.ini"
    Config(path, {"notice.printer": name, "kiosk.printer": name}).save()
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    c = Config(path)
    assert c.problems == []
    assert c["notice.printer"] == name and c["kiosk.printer"] == name and c.text("notice.printer") == name


def long_dir(length: int, start: str = "C:\\Users\\张三\\") -> str:
    return start + "材" * (length - len(start))


def test_a_data_dir_that_leaves_room_for_the_budget_is_not_a_problem():
    from hallclient.config import DATA_PATH_BUDGET, WINDOWS_MAX_PATH, path_length_problems

    assert WINDOWS_MAX_PATH == 259
    fits = long_dir(WINDOWS_MAX_PATH - DATA_PATH_BUDGET)
    assert path_length_problems("C:\\Users\\张三\\AppData\\Local\\hallclient", True, False) == []
    assert path_length_problems(fits, True, False) == []
    too_long = long_dir(WINDOWS_MAX_PATH - DATA_PATH_BUDGET + 1)
    assert path_length_problems(too_long, True, True) == []        # LongPathsEnabled = 1
    assert path_length_problems(too_long, False, None) == []       # not Windows
    # Windows counts 𠮷 (beyond the BMP) twice
    assert path_length_problems(fits[:-1] + "𠮷", True, False) != []


def test_a_data_dir_too_deep_for_max_path_says_both_ways_out_in_chinese():
    from hallclient.config import DATA_PATH_BUDGET, WINDOWS_MAX_PATH, path_length_problems

    too_long = long_dir(WINDOWS_MAX_PATH - DATA_PATH_BUDGET + 1)
    [problem] = path_length_problems(too_long, True, False)
    assert too_long in problem and f"有 {len(too_long)} 个字符" in problem
    assert "LongPathsEnabled 设为 1" in problem and "启用 Win32 长路径" in problem
    assert "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" in problem
    assert "--data-dir" in problem and "admin backup" in problem and "admin restore" in problem
    assert f"不超过 {WINDOWS_MAX_PATH - DATA_PATH_BUDGET} 个字符" in problem
