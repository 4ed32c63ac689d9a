"""Hostile material files are read and checked on the device lane: each is refused by name
with a reason, nothing hangs, and the db lane keeps serving meanwhile."""

from __future__ import annotations

import os

import pytest

from hallclient.services.context import DbContext, DeviceContext, open_context
from hallclient.services.intake_service import IntakeService
from hallclient.services.tasks import TaskRunner
from hallclient.store.worker import Worker

from ..recipes import tiny_jpeg, tiny_pdf
from .test_lanes import HeldScanner, counter_dir  # noqa: F401 - the fixture

JUNK_WARNINGS = r"(?i).*(jpeg|png|image|corrupt|premature).*"


def hostile_files(folder):
    link = folder / "零.jpg"
    link.symlink_to("/dev/zero")
    fifo = folder / "管道.pdf"
    os.mkfifo(fifo)
    directory = folder / "文件夹.png"
    directory.mkdir()
    jpeg_shell = folder / "壳.jpg"
    jpeg_shell.write_bytes(tiny_jpeg()[:4] + b"\x5a" * 5000 + b"\xff\xd9")
    pdf_shell = folder / "壳.pdf"
    pdf_shell.write_bytes(tiny_pdf()[:9] + b"\x5a" * 5000 + b"\n%%EOF\n")
    return {link: "是一个链接", fifo: "不是普通文件", directory: "是文件夹",
            jpeg_shell: "无法作为 JPEG 图片打开", pdf_shell: "不是完整的 PDF"}


@pytest.mark.qt_log_ignore(JUNK_WARNINGS)
def test_hostile_files_are_refused_off_the_db_lane(qtbot, counter_dir, clock, tmp_path):  # noqa: F811
    data_dir, config = counter_dir
    scanner = HeldScanner()
    lanes_db = Worker(lambda: open_context(data_dir, config, clock), DbContext.close)
    lanes_device = Worker(lambda: DeviceContext(scanner=scanner), DeviceContext.close)
    from hallclient.services.lanes import Lanes

    lanes = Lanes(db=lanes_db, device=lanes_device)
    runner = TaskRunner(lanes)
    try:
        intake = IntakeService(runner)
        intake.attach("li", 1)
        with qtbot.waitSignal(intake.items_found) as found:
            intake.search("个体工商户登记")
        with qtbot.waitSignal(intake.draft_started):
            intake.choose(found.args[0][0].impl_code)
        code = intake.draft.materials[0].code
        refused: list[tuple[str, str]] = []
        intake.material_failed.connect(lambda c, message: refused.append((c, message)))

        # the device lane is busy with a long scan; the files queue up behind it there
        intake.scan_material(code)
        qtbot.waitUntil(scanner.scanning.is_set)
        files = hostile_files(tmp_path)
        for path in files:
            intake.import_files(code, [path])
        # ... while the db lane answers at once
        with qtbot.waitSignal(intake.items_found, timeout=10_000):
            intake.search("不动产")
        assert refused == []            # none of the files was looked at on the db lane

        scanner.release.set()
        qtbot.waitUntil(lambda: len(refused) == len(files), timeout=30_000)
        for (path, reason), (_, message) in zip(files.items(), refused, strict=True):
            assert path.name in message and reason in message, message
        # the scan, stored on the db lane after the device lane finished (it may come last)
        qtbot.waitUntil(lambda: [f.mime for f in intake.draft.materials[0].files] == ["image/png"],
                        timeout=10_000)
        # and the db lane still serves
        with qtbot.waitSignal(intake.items_found, timeout=10_000):
            intake.search("个体")
    finally:
        scanner.release.set()
        lanes.close()
