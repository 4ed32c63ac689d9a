"""Durable paper: a notice written to a disk that fills up while it is written is not
reported as saved, leaves no file under its name, says so in Chinese, and the case shows
通知书未保存 until it is printed again."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hallclient.core.cases import Decision
from hallclient.documents import report_tables
from hallclient.services.case_list_service import with_notices
from hallclient.store.durable import (
    PaperError,
    document_problem,
    write_bytes_durably,
    write_durably,
)

from .test_notices import committed, desk  # noqa: F401 - the fixture

# run in a child whose file-size limit (RLIMIT_FSIZE) stands for a disk that fills up at the
# moment of writing: every write past it fails (EFBIG), as on a full disk (ENOSPC)
CHILD = r"""
import json, os, pickle, resource, signal, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from hallclient.devices.printer import NoticePrinter
ctx, folder, room = pickle.loads(Path(sys.argv[1]).read_bytes())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))
printer = NoticePrinter("pdf", folder)
said = []
printer.notice_printed.connect(lambda kind, pdf, where: said.append(["printed", kind, pdf]))
printer.print_failed.connect(lambda kind, message: said.append(["failed", kind, message]))
futures = [printer.print_notice(kind, ctx) for kind in ("accept", "receipt")]
for f in futures:
    f.exception()
while len(said) < 2:
    app.processEvents()
printer.close()
print(json.dumps(said, ensure_ascii=False))
"""


def print_in_a_filling_disk(ctx, folder: Path, room: int, tmp_path: Path) -> list[list[str]]:
    blob = tmp_path / "ctx.pickle"
    blob.write_bytes(pickle.dumps((ctx, folder, room)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(blob)],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_notice_on_a_disk_that_fills_up_is_not_reported_as_saved(qapp, desk, tmp_path):  # noqa: F811
    ctx = committed(desk, "个体工商户登记（设立登记）", Decision.ACCEPT)
    case_no = ctx.case["case_no"]
    folder = tmp_path / "notices"
    said = print_in_a_filling_disk(ctx, folder, 4096, tmp_path)
    assert sorted(s[0] for s in said) == ["failed", "failed"], said
    for _, _kind, message in said:
        assert "未能保存" in message and "磁盘" in message
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == []                                  # no 0-byte or half file, no temp left
    # the case list says so, and a reprint on a disk with room keeps them whole
    (listed,) = with_notices(folder, [desk.load(case_no)])
    assert listed["notices_unsaved"] == ["受理通知书", "办件回执"]
    said = print_in_a_filling_disk(ctx, folder, 1 << 30, tmp_path)
    assert sorted(s[0] for s in said) == ["printed", "printed"], said
    for _, _kind, pdf in said:
        assert Path(pdf).parent == folder and document_problem(Path(pdf)) == ""
    assert with_notices(folder, [desk.load(case_no)])[0]["notices_unsaved"] == []


def test_a_half_written_or_empty_document_never_takes_the_name(tmp_path):
    target = tmp_path / "报表.pdf"

    def stops_half_way(tmp: Path) -> None:
        tmp.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\n")      # no %%EOF: cut short

    with pytest.raises(PaperError, match="报表未能保存（PDF 文件不完整）"):
        write_durably(target, stops_half_way, "报表")
    with pytest.raises(PaperError, match="日志包未能保存（文件是空的）"):
        write_bytes_durably(tmp_path / "日志包.json", b"", "日志包")
    assert list(tmp_path.iterdir()) == []


def test_reports_are_kept_whole(qapp, tmp_path):
    view = report_tables.View("窗口", ["窗口", "件数"], ["text", "int"], [["1", 3]])
    report_tables.write_xlsx([view], tmp_path / "r.xlsx", "日报")
    report_tables.write_csv([view], tmp_path / "r.csv", "日报")
    report_tables.write_pdf([view], tmp_path / "r.pdf", "日报")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as book:
        assert book.testzip() is None
    assert (tmp_path / "r.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.pdf", "r.xlsx"]
