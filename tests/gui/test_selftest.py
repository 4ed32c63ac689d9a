"""``hallclient --self-test`` passes on the whole program and fails, with one Chinese line,
when any part of the core loop is broken.

Each run is a real process. A fault is planted the way it happens in the field: a
subpackage missing from the installed files, a component not installed, a platform that
refuses the case or answers without recording it. Plants go in through a ``sitecustomize``
module on PYTHONPATH, which Python runs at start-up before the program. The development
install resolves missing modules from the checkout; the plant removes that resolver, so the
copied package is all the process sees, as in an installed program.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import hallclient

PACKAGE = Path(hallclient.__file__).resolve().parent
ONLY_THE_COPY = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
"""


def self_test(tmp_path: Path, *args: str, plant: str = "", without: str = "",
              timeout_s: int = 120) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path / "tmp")}
    if plant or without:
        site = tmp_path / "site"
        site.mkdir()
        code = plant
        if without:          # run a copy of the package with one part missing
            shutil.copytree(PACKAGE, site / "hallclient",
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.rmtree(site / "hallclient" / without)
            code = ONLY_THE_COPY + plant
        (site / "sitecustomize.py").write_text(textwrap.dedent(code), encoding="utf-8")
        env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "hallclient", "--self-test", *args],
                          capture_output=True, text=True, timeout=timeout_s, env=env,
                          cwd=tmp_path)


def failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("SELFTEST")]
    assert len(lines) == 1 and lines[0].startswith("SELFTEST FAILED: "), result.stdout
    assert "Traceback" not in result.stdout
    return lines[0]


def test_the_case_is_uploaded_and_the_platform_confirms_it(tmp_path):
    result = self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    # one line, nothing else; the demo hall has a real region code, so the case number
    # does not start 000000; the photographed material went up with the case
    assert re.fullmatch(r"SELFTEST OK \(A003, 受理 330109\d{8}[0-9A-Z]{6}0001, 通知书 \d+ 字节, "
                        r"附件 1 个, 平台已确认 v1, 事项目录 33 项\)\n", result.stdout), result.stdout
    # throw-away: nothing of the run is left, in the temporary folder or the user's data
    assert list((tmp_path / "tmp").glob("hallclient-*")) == []
    assert not (tmp_path / "home" / ".local" / "share" / "hallclient").exists()


def test_a_missing_subpackage_fails_the_self_test(tmp_path):
    line = failure(self_test(tmp_path, without="sync"))
    assert "程序安装不完整" in line and "hallclient.sync" in line


def test_a_missing_platform_client_fails_the_self_test(tmp_path):
    line = failure(self_test(tmp_path, without="platform"))
    assert "hallclient.platform" in line


def test_without_the_servers_component_the_self_test_says_what_is_missing(tmp_path):
    line = failure(self_test(tmp_path, plant="import sys\nsys.modules['fastapi'] = None\n"))
    assert "缺少服务端组件" in line


def test_a_platform_that_refuses_the_case_fails_the_self_test(tmp_path):
    plant = """
    from hallclient.servers import platform_sim
    platform_sim._store_case = lambda *a: (422, {"error": "rejected", "fields": [
        {"field": "mobile", "reason": "手机号码不正确"}]})
    """
    line = failure(self_test(tmp_path, plant=plant))
    assert "平台拒收办件" in line and "手机号码不正确" in line


def test_a_platform_that_answers_but_never_records_the_case_fails_the_self_test(tmp_path):
    """The local outbox row says 已上传; only the platform's own record counts."""
    plant = """
    from hallclient import selftest
    from hallclient.servers import platform_sim
    selftest.TIMEOUT_MS = 8000
    platform_sim._store_case = lambda store, uid, body, device, faults: (
        201, {"uid": uid, "version": body.version, "created": True})
    """
    line = failure(self_test(tmp_path, plant=plant))
    assert "超时" in line and "上传到平台并等待确认" in line and "平台一直没有确认" in line


def test_a_module_that_does_not_import_fails_the_self_test(tmp_path):
    plant = """
    import sys
    sys.modules['hallclient.documents.report_tables'] = None
    """
    line = failure(self_test(tmp_path, plant=plant))
    assert "程序模块无法载入" in line and "hallclient.documents.report_tables" in line


def test_a_given_data_dir_is_refused_with_the_way_to_keep_a_self_test_case(tmp_path):
    result = self_test(tmp_path, "--data-dir", str(tmp_path / "data"), timeout_s=60)
    assert result.returncode == 2
    assert "--training --self-test" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_crash_before_the_steps_begin_still_ends_in_one_line(tmp_path):
    plant = """
    from hallclient import demo
    def broken(*a, **k):
        raise RuntimeError("端口被占用")
    demo.start_platform = broken
    """
    line = failure(self_test(tmp_path, plant=plant))
    assert line == "SELFTEST FAILED: 程序启动出错（RuntimeError: 端口被占用）"


def test_a_training_self_test_can_run_again_after_one_stopped_half_way(tmp_path):
    """An earlier run left its ticket called at window 1 (killed, or an older version that
    did not finish it): the next run finishes it first, then does its own."""
    from hallclient import demo
    from hallclient.config import Config
    from hallclient.services.context import open_context

    training = tmp_path / "data" / "training"
    training.mkdir(parents=True)
    ctx = open_context(training, Config(training / "config.ini"))
    try:
        demo.seed(ctx)
        ctx.queue.sign_in(1, "demo")
        left = ctx.queue.call_next(1, "demo")
    finally:
        ctx.close()
    result = self_test(tmp_path, "--training", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert left.number not in result.stdout.split("(")[1].split(",")[0]    # a new ticket served
    again = self_test(tmp_path, "--training", "--data-dir", str(tmp_path / "data"))
    assert again.returncode == 0, again.stdout + again.stderr[-2000:]


def test_a_training_self_test_on_a_later_day_takes_its_own_ticket(tmp_path):
    """The training data's demo tickets were issued on an earlier day (or used up by
    earlier runs): nobody waits today, so the self-test takes a ticket, as an applicant at
    the kiosk would, and serves that."""
    import sqlite3

    from hallclient import demo
    from hallclient.config import Config
    from hallclient.services.context import open_context

    training = tmp_path / "data" / "training"
    training.mkdir(parents=True)
    ctx = open_context(training, Config(training / "config.ini"))
    try:
        demo.seed(ctx)
    finally:
        ctx.close()
    with sqlite3.connect(training / "hallclient.sqlite3") as conn:
        conn.execute("UPDATE tickets SET day = '2026-01-05'")          # an earlier day
    result = self_test(tmp_path, "--training", "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert result.stdout.startswith("SELFTEST OK (")


def test_an_installed_file_missing_or_changed_fails_the_self_test(tmp_path):
    """The wheel installed for real (pip, its RECORD), then a lazily imported module deleted
    and a template edited: neither is used before the end, so only the check against the
    RECORD can name them."""
    from tests.test_packaging import build_wheel, copy_tree

    wheel = build_wheel(copy_tree(tmp_path / "src"), tmp_path / "dist")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    (site / "sitecustomize.py").write_text(ONLY_THE_COPY, encoding="utf-8")
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path), "PYTHONPATH": str(site)}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hallclient", "--self-test"], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    whole = run()
    assert whole.returncode == 0, whole.stdout + whole.stderr[-2000:]
    assert re.search(r", 安装文件 \d+ 个完好\)$", whole.stdout.strip()), whole.stdout
    (site / "hallclient" / "ui" / "dashboard.py").unlink()
    ticket = site / "hallclient" / "resources" / "templates" / "ticket.html"
    ticket.write_text(ticket.read_text(encoding="utf-8") + "<!-- -->", encoding="utf-8")
    line = failure(run())
    assert "安装文件缺失或被改动" in line
    assert "hallclient/ui/dashboard.py（缺失）" in line
    assert "hallclient/resources/templates/ticket.html（内容被改动）" in line


def test_a_self_test_whose_reader_has_gone_still_ends(tmp_path):
    """``hallclient --self-test | head -1``: the pipe closes before the verdict is printed;
    the run must still end, with the verdict's exit code."""
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    said = tmp_path / "stderr.txt"         # (what it said, for when it does not end well)
    piped = subprocess.run(["bash", "-c", f"'{sys.executable}' -m hallclient --self-test"
                            f" 2>'{said}' | true; echo ${{PIPESTATUS[0]}}"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert piped.stdout.strip() == "0", (piped.stdout + piped.stderr
                                         + said.read_text(encoding="utf-8", errors="replace")[-3000:])


def test_a_hallclient_folder_where_the_self_test_is_started_is_not_imported(tmp_path):
    """Started (as the installed command is) from a folder holding its own ``hallclient``
    package, the platform simulator and the module walk, which run as child processes,
    still import the installed program, never that folder's."""
    planted = tmp_path / "hallclient"
    planted.mkdir()
    (planted / "__init__.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('ran').write_text('x')\n"
        "raise SystemExit('planted')\n", encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path / "tmp")}
    # -P: like the installed ``hallclient`` command, the program itself does not look in
    # the current folder; the children it starts must not either
    result = subprocess.run([sys.executable, "-P", "-m", "hallclient", "--self-test"],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert result.stdout.startswith("SELFTEST OK")
    assert not (planted / "ran").exists()


def test_a_self_test_whose_event_loop_is_held_up_still_ends_and_says_where(tmp_path):
    """Even when its own watchdog cannot run, a self-test ends, with every thread's stack."""
    plant = """
    import time
    import hallclient.app
    import hallclient.selftest
    hallclient.app.SELF_TEST_LAST_RESORT_S = 3
    hallclient.selftest.arm = lambda app: time.sleep(600)      # the GUI thread held up
    """
    result = self_test(tmp_path, plant=plant, timeout_s=60)
    assert result.returncode != 0
    assert "Timeout" in result.stderr and "File " in result.stderr, result.stderr[-2000:]
