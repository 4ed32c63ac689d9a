"""Start-up paths: self-test, demo, a broken database, the admin commands."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from hallclient.app import main
from hallclient.store.db import DB_FILE


def test_self_test_in_training_mode_leaves_its_case_and_notice_and_keeps_the_config(tmp_path):
    """IT runs ``--training --self-test`` after installing: the accepted case and its notice
    stay in the training data (an upgrade test finds them again), and the self-test's
    print-to-PDF does not end up in the saved configuration."""
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    base = [sys.executable, "-m", "hallclient", "--training"]       # the user's own data dir
    result = subprocess.run([*base, "--self-test"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    case_no = re.search(r"受理 (\w+)", result.stdout).group(1)
    listed = subprocess.run([*base, "admin", "cases", "--json"], capture_output=True, text=True,
                            timeout=60, env=env)
    cases = json.loads(listed.stdout)["cases"]
    assert [(c["case_no"], c["applicant"], c["status"], c["id_number"]) for c in cases] == [
        (case_no, "自检", "窗口受理", "110105********002X")]
    training = tmp_path / ".local" / "share" / "hallclient" / "training"
    notices = list((training / "notices").glob("*.pdf"))
    assert notices and all(p.stat().st_size > 1000 for p in notices)
    saved = (training / "config.ini").read_text(encoding="utf-8")
    assert "printer = pdf" not in saved


def test_qt_standard_dialogs_speak_chinese_whatever_the_locale(tmp_path):
    code = ("from hallclient.app import qt_application; from PySide6.QtCore import QCoreApplication;"
            "qt_application(); print(QCoreApplication.translate('QPlatformTheme', 'Cancel'),"
            " QCoreApplication.translate('QPlatformTheme', 'Save'))")
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "LANG": "en_US.UTF-8", "LC_ALL": "C"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.stdout.split() == ["取消", "保存"], result.stderr


def test_kiosk_self_test(tmp_path):
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "hallclient", "--self-test", "kiosk"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "SELFTEST OK" in result.stdout, result.stderr


def test_self_test_fails_with_exit_2_on_a_broken_database(tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / DB_FILE).write_bytes(b"not a database" * 500)
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "hallclient", "--self-test", "--training", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "SELFTEST FAILED" in result.stdout and "已损坏" in result.stdout
    assert "Traceback" not in result.stderr


def test_demo_opens_counter_and_kiosk_signed_in(qtbot):
    app = main(["--demo"])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.session.clerk is not None, timeout=10000)
        assert app.window.stack.currentWidget() is app.window.counter_page
        qtbot.waitUntil(lambda: app.window.counter_page.waiting_model.total() == 12)
        assert app.kiosk_window.isVisible()
        qtbot.waitUntil(lambda: len(app.kiosk_window.service_buttons) == 6)
        assert app.config["hall.name"] == "示范县政务服务中心"
        assert "hallclient-demo-" in str(app.data_dir)
    finally:
        app.close()


def test_corrupt_database_shows_a_message_not_a_traceback(qtbot, tmp_path):
    (tmp_path / DB_FILE).write_bytes(b"garbage" * 1000)
    app = main(["--data-dir", str(tmp_path)])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: bool(app.startup_errors))
        page = app.window.sign_in_page
        assert "已损坏" in page.message.text()
        assert not page.button.isEnabled()
    finally:
        app.close()
    assert (tmp_path / DB_FILE).read_bytes() == b"garbage" * 1000


def test_first_run_without_hall_or_clerks_explains_what_to_do(qtbot, tmp_path):
    app = main(["--data-dir", str(tmp_path)])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: "import-hall" in app.window.sign_in_page.message.text())
    finally:
        app.close()
    assert (tmp_path / "config.ini").exists()


def test_admin_commands_set_up_a_counter(tmp_path, capsys, monkeypatch):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "import-hall"]) == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cret\n"))
    assert main(["--data-dir", d, "admin", "add-clerk", "wang", "--name", "王五",
                 "--password-stdin"]) == 0
    assert main(["--data-dir", d, "admin", "config", "--set", "queue.recall_limit=5"]) == 0
    assert main(["--data-dir", d, "admin", "config", "--set", "queue.fairness=sometimes"]) == 2
    assert "只能是 ratio/aging" in capsys.readouterr().err
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["clerks"] == 1 and len(status["windows"]) == 7
    assert status["event_log"]["intact"] is True
    from hallclient.config import Config

    assert Config(tmp_path / "config.ini")["queue.recall_limit"] == 5


def test_bad_hall_file_is_refused_clearly(tmp_path, capsys):
    bad = tmp_path / "hall.json"
    bad.write_text(json.dumps({"services": [{"code": "X", "name": "x", "prefix": "1"}]}),
                   encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "admin", "import-hall", str(bad)]) == 2
    assert "前缀不是英文字母" in capsys.readouterr().err


def test_fcitx_desktops_get_chinese_input_through_fcitx5s_ibus_interface():
    from hallclient.cli import input_method_environment

    ours = {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"}
    portal = {"QT_IM_MODULE": "ibus", "IBUS_USE_PORTAL": "1"}
    assert input_method_environment({"QT_IM_MODULE": "fcitx"}, ours) == portal         # UOS, Kylin
    assert input_method_environment({"QT_IM_MODULE": "fcitx5"}, ours) == portal
    assert input_method_environment({"XMODIFIERS": "@im=fcitx"}, ours) == portal
    # a Qt that has its fcitx plug-in, an IBus desktop, or no input method: left alone
    assert input_method_environment({"QT_IM_MODULE": "fcitx"},
                                    ours | {"libfcitx5platforminputcontextplugin.so"}) == {}
    assert input_method_environment({"QT_IM_MODULE": "ibus"}, ours) == {}
    assert input_method_environment({}, ours) == {}
    assert input_method_environment({"QT_IM_MODULE": "fcitx"}, set()) == {}


def test_a_window_that_fails_to_build_ends_the_program_instead_of_hanging_it(tmp_path):
    """The lanes wait for the first paint to open; a window that breaks while being built
    must not leave them waiting (the program would never exit)."""
    code = ("import sys; import hallclient.ui.counter_window as cw\n"
            "def broken(self, *a, **k): raise RuntimeError('window broke')\n"
            "cw.CounterWindow.__init__ = broken\n"
            "sys.argv = ['hallclient', '--self-test']\n"
            "from hallclient.app import run; run()\n")
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "SELFTEST FAILED: 程序启动出错（RuntimeError: window broke）" in result.stdout
