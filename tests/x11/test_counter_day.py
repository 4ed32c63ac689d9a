"""A counter day on a real X server, driven only by real X key events: an applicant takes a
ticket at the kiosk, the clerk calls it with the barcode scanner, transfers it, calls it
again, takes the application in intake (typed fields, files chosen in the file dialog),
accepts it, finishes, and the applicant rates the service with a typed comment.

Each step is one function, so a step can follow the UI as it changes. Widgets are found by
window title (xdotool search --name) and reached by the keyboard (F-keys, Alt+letter, Tab
order); results are checked in the program's database (tickets, event_log, cases,
case_materials, evaluations) and its log (what the window display strip shows). Every
screen is saved as a screenshot, and every window must fit on the screen.

Typing speeds: people at ~100 ms a key, the barcode scanner at 3 ms a key, and a file name
typed at 30 ms a key in the file dialog — the fastest a person types, which the wedge once
took for a scan.
"""

from __future__ import annotations

import json
import time

import pytest

from .conftest import Day
from .xserver import FAST_TYPIST_MS, HUMAN_MS

COUNTER = "窗口叫号"
KIOSK = "^取号机"
INTAKE = "^受理 "
FILE_DIALOG = "^选择材料文件"
EVALUATOR = "^请您评价"
COMMENT = "等了很久才叫到号"


def settle(seconds: float = 0.6) -> None:
    """Time for the program to act on keys it has been sent (a page to change, a dialog to
    open); what it did is then read from its database, never assumed."""
    time.sleep(seconds)


def step(day: Day, name: str) -> None:
    """Run only when the steps before went through (they leave what this one needs)."""
    if day.failed:
        pytest.skip(f"an earlier step failed: {day.failed[0]}")
    day.facts["step"] = name


@pytest.fixture(autouse=True)
def _note_failure(request, day: Day):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        day.failed.append(request.node.name)


# -- the steps --------------------------------------------------------------------------------

def start(day: Day) -> None:
    """The demo opens the counter (the demo clerk signed in at window 1) and the kiosk."""
    x, p = day.x, day.program
    x.wait_window(COUNTER)
    x.wait_window(KIOSK)
    assert p.wait_rows("SELECT 1 FROM catalog_items LIMIT 1", timeout=30), "the demo catalog"
    p.wait_log("sign-in answered at window 1")
    settle(1.0)
    x.screenshot("counter-and-kiosk")


def take_kiosk_ticket(day: Day) -> str:
    """The applicant presses 综合受理 on the kiosk (keyboard: the kiosk opens with 普通 chosen
    and the first service, 综合受理, ready). Checks: a new ticket of service ZH, issued by
    the kiosk, waiting."""
    x, p = day.x, day.program
    before = p.rows("SELECT max(id) FROM tickets")[0][0] or 0
    x.focus(KIOSK)
    x.keys("space")
    rows = p.wait_rows("SELECT number, service, state FROM tickets WHERE id > ?", (before,))
    assert len(rows) == 1, rows
    number, service, state = rows[0]
    assert (service, state) == ("ZH", "waiting")
    issued = p.rows("SELECT detail FROM event_log WHERE action = 'issue' AND ticket = ?", (number,))
    assert json.loads(issued[0][0])["device"] == "kiosk"
    settle()
    x.screenshot("kiosk-ticket-issued")
    p.note_strip("kiosk")
    return number


def call_scanned(day: Day, number: str, shot: str) -> None:
    """The clerk scans the ticket's barcode (3 ms a key, then Enter: the wedge puts the
    number into 指定号码) and presses F9 指定呼叫. Checks: the ticket is called at window 1."""
    x, p = day.x, day.program
    calls = len(p.rows("SELECT 1 FROM event_log WHERE action = 'call' AND ticket = ?", (number,)))
    called = []
    for _try in range(2):
        # an xdotool burst on a loaded machine can leave gaps a USB scanner never has (its
        # keys then count as typing): the clerk scans once more, as at a real counter
        x.focus(COUNTER)
        x.scan(number)
        settle(0.3)
        x.keys("F9")
        called = p.wait_rows("SELECT 1 FROM event_log WHERE action = 'call' AND ticket = ? "
                             "LIMIT -1 OFFSET ?", (number, calls), timeout=8)
        if called:
            break
    assert len(called) == 1, "no call logged"
    assert p.rows("SELECT state, window FROM tickets WHERE number = ?", (number,)) == [("called", 1)]
    settle()
    x.screenshot(shot)
    p.note_strip(shot)


def transfer(day: Day, number: str) -> None:
    """F6 转移 opens the chooser: the first target (the first other service) is chosen with
    the keys alone, Enter confirms. Checks: the transfer to that service is logged, the
    ticket waits again, and the chooser never offered the ticket's own service."""
    x, p = day.x, day.program
    x.focus(COUNTER)
    x.keys("F6")
    x.wait_window("^转移$")
    settle()
    x.screenshot("transfer-chooser")
    x.keys("Down", "Up", "Return")            # moved by arrows, confirmed by Enter
    x.wait_gone("^转移$")
    rows = p.wait_rows("SELECT detail FROM event_log WHERE action = 'transfer' AND ticket = ?",
                       (number,))
    to_service = json.loads(rows[0][0])["to_service"]
    assert rows and to_service not in (None, "ZH")         # never back into its own queue
    assert p.rows("SELECT state, service FROM tickets WHERE number = ?", (number,)) == [
        ("waiting", to_service)]
    settle()
    x.screenshot("transferred")
    p.note_strip("transfer")


def start_service(day: Day, number: str) -> None:
    """F4 开始办理. Checks: the ticket is being served."""
    x, p = day.x, day.program
    x.focus(COUNTER)
    x.keys("F4")
    assert p.wait_rows("SELECT 1 FROM event_log WHERE action = 'start' AND ticket = ?", (number,))
    assert p.rows("SELECT state FROM tickets WHERE number = ?", (number,)) == [("serving",)]


def intake_item(day: Day) -> None:
    """F11 opens 受理 for the ticket; the clerk types the pinyin initials gtgsh, Down into
    the list, Enter on the first item (个体工商户登记…)."""
    x = day.x
    x.focus(COUNTER)
    x.keys("F11")
    x.wait_window(INTAKE)
    x.focus(INTAKE)
    settle()
    x.type("gtgsh")
    settle(1.0)
    x.screenshot("intake-item")
    x.keys("Down", "Return")
    settle(1.0)


def intake_applicant(day: Day) -> None:
    """Typed at a person's speed: name (Chinese, through the keyboard), ID number, mobile,
    address (a free-text field); Alt+N 下一步. The cursor starts in the name; Tab order:
    name, ID, 读身份证, mobile, address (法定代表人 is only there for a company)."""
    x = day.x
    x.focus(INTAKE)
    x.type("张三")
    x.keys("Tab")
    x.type("11010519491231002X")
    x.keys("Tab", "Tab")
    x.type("13812345678")
    x.keys("Tab")
    x.type("示范县人民路1号")
    settle()
    x.screenshot("intake-applicant")
    x.keys("alt+n")
    settle()


def intake_materials(day: Day, files: list) -> None:
    """The three required materials, each from the file dialog (Alt+I 导入文件): the path is
    typed at 30 ms a key — the fastest typist, no scanner — then Enter. Arrows choose the
    row. Checks (at commit): every file attached, no material got a "scanned" code."""
    x = day.x
    for row, path in enumerate(files):
        x.focus(INTAKE)          # a desktop gives focus back after a dialog; Xvfb has no WM
        if row:
            x.keys("Down")
        x.keys("alt+i")
        x.wait_window(FILE_DIALOG)
        x.focus(FILE_DIALOG)
        x.type(str(path), delay_ms=FAST_TYPIST_MS)
        settle(0.3)
        if row == 0:
            x.screenshot("file-dialog")
        x.keys("Return")
        x.wait_gone(FILE_DIALOG)
        settle()
    x.focus(INTAKE)
    x.screenshot("intake-materials")


def intake_accept(day: Day, number: str) -> str:
    """Alt+N to the decision (受理 proposed when nothing is missing), Alt+S 确认并打印通知书.
    Checks: the case is committed as accepted for this ticket with what was typed, its three
    files attached and no barcode recorded on any material."""
    x, p = day.x, day.program
    x.focus(INTAKE)
    x.keys("alt+n")
    settle()
    x.screenshot("intake-decision")
    x.keys("alt+s")
    rows = p.wait_rows("SELECT id, case_no, decision, applicant_name, id_number, mobile, address "
                       "FROM cases WHERE ticket = ?", (number,), timeout=30)
    assert rows, f"no case committed; the intake window said: see {x.shot_names[-1]}"
    case_id, case_no, decision, name, id_number, mobile, address = rows[0]
    assert (decision, name, id_number, mobile, address) == (
        "accept", "张三", "11010519491231002X", "13812345678", "示范县人民路1号")
    assert len(p.rows("SELECT 1 FROM case_attachments WHERE case_id = ?", (case_id,))) == 3
    codes = p.rows("SELECT name, scanned_codes FROM case_materials WHERE case_id = ?", (case_id,))
    assert all(json.loads(c) == [] for _, c in codes), codes
    settle(1.5)
    x.screenshot("intake-finished")
    return str(case_no)


def finish(day: Day, number: str) -> None:
    """F5 办结, pressed where the clerk still is: in the intake window (the counter's keys
    work there). Checks: the ticket is finished; the evaluator opens."""
    x, p = day.x, day.program
    x.focus(INTAKE)
    x.keys("F5")
    assert p.wait_rows("SELECT 1 FROM event_log WHERE action = 'finish' AND ticket = ?", (number,))
    assert p.rows("SELECT state FROM tickets WHERE number = ?", (number,)) == [("finished",)]
    x.wait_window(EVALUATOR)
    settle()
    x.screenshot("finished-evaluator-asks")
    p.note_strip("finish")


def evaluate(day: Day, number: str) -> None:
    """The applicant on the evaluator: 不满意 (arrows move among the five ratings, Space
    chooses), the first reason (Tab, Space), the comment typed (Tab to it), and 提交评价
    (Ctrl+Return, or Tab to the button once the evaluator is rebuilt). Checks: the rating is
    recorded with its reason and the typed comment, for this ticket."""
    x, p = day.x, day.program
    x.focus(EVALUATOR)
    x.keys("Right", "Right", "Right", "space")
    x.keys("Tab", "space")
    x.keys(*["Tab"] * 7)          # past the six other reasons to the comment box
    x.type(COMMENT, delay_ms=HUMAN_MS)
    settle()
    x.screenshot("evaluator-comment")
    x.keys("ctrl+Return")
    rows = p.wait_rows("SELECT level, reasons, comment FROM evaluations WHERE ticket = ?", (number,))
    assert rows, "no evaluation recorded"
    level, reasons, comment = rows[0]
    assert level == "unsatisfied" and json.loads(reasons) and comment == COMMENT
    settle()
    x.screenshot("evaluated")


def other_screens(day: Day) -> None:
    """The clerk's other windows from the counter's keys, each closed with Esc: 办件查询
    (Ctrl+F), 待上传队列 (Ctrl+O), 值班长日报 (Ctrl+R; the demo clerk is no supervisor, so
    the supervisor signs in first), then 锁屏 (F12) and back with the clerk's password.
    Checks: each window opens and closes; the lock and unlock are in the counter's log."""
    x, p = day.x, day.program
    for keys, title, shot in (("ctrl+f", "^办件查询", "case-list"), ("ctrl+o", "^待上传队列", "outbox")):
        x.focus(COUNTER)
        x.keys(keys)
        x.focus(title)
        settle(1.0)
        x.screenshot(shot)
        x.keys("Escape")
        x.wait_gone(title)
    x.focus(COUNTER)
    x.keys("ctrl+r")
    x.focus("^值班长登录")
    x.type("admin")
    x.keys("Tab")
    x.type("demo")
    settle(0.3)
    x.screenshot("supervisor-sign-in")
    x.keys("Return")
    x.wait_gone("^值班长登录")
    x.focus("^值班长 · 日报")
    settle(2.0)
    x.screenshot("dashboard")
    x.keys("Escape")
    x.wait_gone("^值班长 · 日报")
    x.focus(COUNTER)
    x.keys("F12")
    assert p.wait_rows("SELECT 1 FROM event_log WHERE action = 'lock'"), "F12 did not lock"
    settle()
    x.screenshot("locked")
    x.type("demo")
    x.keys("Return")
    assert p.wait_rows("SELECT 1 FROM event_log WHERE action = 'unlock'"), "the password did not unlock"
    settle()
    x.screenshot("unlocked")


# -- the tests: the day in order, then what it showed -----------------------------------------

def test_01_kiosk_ticket(day: Day):
    step(day, "kiosk")
    start(day)
    day.facts["ticket"] = take_kiosk_ticket(day)


def test_02_counter_calls_the_scanned_ticket(day: Day):
    step(day, "call")
    call_scanned(day, str(day.facts["ticket"]), "called")


def test_03_transfer(day: Day):
    step(day, "transfer")
    transfer(day, str(day.facts["ticket"]))


def test_04_called_again_and_served(day: Day):
    step(day, "call again")
    number = str(day.facts["ticket"])
    call_scanned(day, number, "called-again")
    start_service(day, number)


def test_05_intake_with_typed_fields_and_files_from_the_dialog(day: Day, tmp_path):
    step(day, "intake")
    from ..recipes import tiny_jpeg, tiny_pdf

    # ASCII names: xdotool types other characters by remapping a key, which can drop one at 30 ms
    files = [tmp_path / "application.jpg", tmp_path / "license.pdf", tmp_path / "id-card.jpg"]
    files[0].write_bytes(tiny_jpeg(1))
    files[1].write_bytes(tiny_pdf("license"))
    files[2].write_bytes(tiny_jpeg(2))
    number = str(day.facts["ticket"])
    intake_item(day)
    intake_applicant(day)
    intake_materials(day, files)
    day.facts["case"] = intake_accept(day, number)


def test_06_finish(day: Day):
    step(day, "finish")
    finish(day, str(day.facts["ticket"]))


def test_07_evaluator_with_a_typed_comment(day: Day):
    step(day, "evaluate")
    evaluate(day, str(day.facts["ticket"]))


def test_08_the_other_screens(day: Day):
    step(day, "other screens")
    other_screens(day)


def test_08_display_strip_follows_each_action(day: Day):
    number = str(day.facts.get("ticket"))
    shown = dict(day.program.strip)
    called = f"请{number}号到1号窗口办理"
    assert shown.get("called") == called
    assert shown.get("called-again") == called
    for after in ("transfer", "finish"):          # the applicant is no longer sent here
        assert after in shown and number not in shown[after], (after, shown.get(after))


def test_09_every_window_fits_the_screen(day: Day):
    assert day.x.shot_names, "no screen was seen"
    assert not day.x.too_large, "\n".join(day.x.too_large)


def test_10_a_screenshot_of_every_screen(day: Day):
    names = {n.split("-", 1)[1].removesuffix(".png") for n in day.x.shot_names}
    wanted = {"counter-and-kiosk", "kiosk-ticket-issued", "called", "transfer-chooser",
              "transferred", "called-again",
              "intake-item", "intake-applicant", "file-dialog", "intake-materials",
              "intake-decision", "intake-finished", "finished-evaluator-asks",
              "case-list", "outbox", "supervisor-sign-in", "dashboard", "locked", "unlocked"}
    assert wanted <= names, sorted(wanted - names)
