"""Material files cannot hurt the store: only regular files are read, never past the size
limit, and the whole content is parsed before it is kept."""

from __future__ import annotations

import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallclient.devices.materials import check_material, read_material
from hallclient.store.attachments import AttachmentError, AttachmentStore, read_regular_file

from ..recipes import TINY_PNG, tiny_jpeg, tiny_pdf

DECODER_WARNINGS = r"(?i).*(jpeg|png|libpng|image|corrupt|premature).*"   # what the decoders say of junk


def test_good_files_are_read_and_typed(tmp_path):
    for name, data, mime in [("a.jpg", tiny_jpeg(1), "image/jpeg"), ("b.png", TINY_PNG, "image/png"),
                             ("c.pdf", tiny_pdf("c"), "application/pdf")]:
        (tmp_path / name).write_bytes(data)
        assert read_material(tmp_path / name) == (data, mime)


def test_a_link_to_a_device_is_not_followed(tmp_path):
    link = tmp_path / "扫描件.jpg"
    link.symlink_to("/dev/zero")
    with pytest.raises(AttachmentError, match="扫描件.jpg 是一个链接"):
        AttachmentStore(tmp_path / "att").put_file(link)


def test_a_device_is_not_read(tmp_path):
    with pytest.raises(AttachmentError, match="不是普通文件"):
        read_regular_file(Path("/dev/zero"))


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, read_regular_file, fifo), daemon=True)
    reader.start()
    reader.join(60)
    if reader.is_alive():            # unblock the reader so the test ends, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO waited for a writer")
    assert len(outcome) == 1 and "不是普通文件" in str(outcome[0])


def test_a_directory_is_refused(tmp_path):
    folder = tmp_path / "材料.pdf"
    folder.mkdir()
    with pytest.raises(AttachmentError, match="材料.pdf 是文件夹"):
        AttachmentStore(tmp_path / "att").put_file(folder)


def test_a_file_that_grows_after_its_size_was_taken_is_read_only_to_the_limit(tmp_path, monkeypatch):
    """The size the file system gives is stale by the time it is read: the read itself stops
    one byte past the limit (memory stays bounded), and the file is refused."""
    limit = 1 << 20
    path = tmp_path / "growing.pdf"
    path.write_bytes(tiny_pdf("small"))
    real_stat, real_fstat = os.stat, os.fstat

    def grow() -> None:
        block = b"\0" * (limit // 4)
        with open(path, "ab") as fh:
            for _ in range(160):        # 40 MB more, a quarter MB at a time
                fh.write(block)

    def stat_then_grow(target, *args, **kwargs):
        result = real_stat(target, *args, **kwargs)
        if Path(target) == path:
            grow()
        return result

    def fstat_then_grow(fd):
        result = real_fstat(fd)
        grow()
        return result

    monkeypatch.setattr(os, "stat", stat_then_grow)
    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    tracemalloc.start()
    try:
        with pytest.raises(AttachmentError, match="growing.pdf .*超过"):
            AttachmentStore(tmp_path / "att", max_bytes=limit).put_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit


@pytest.mark.parametrize("name, shell, kind", [
    ("身份证.jpg", tiny_jpeg()[:4] + b"\x5a" * 4000 + b"\xff\xd9", "JPEG 图片"),
    ("营业执照.png", TINY_PNG[:8] + b"\x5a" * 4000 + b"IEND\xaeB`\x82", "PNG 图片"),
    ("申请书.pdf", b"%PDF-1.7\n" + b"\x5a" * 4000 + b"\n%%EOF\n", "不是完整的 PDF"),
], ids=["jpeg", "png", "pdf"])
@pytest.mark.qt_log_ignore(DECODER_WARNINGS)
def test_a_shell_with_garbage_inside_is_refused_by_name(tmp_path, name, shell, kind):
    path = tmp_path / name
    path.write_bytes(shell)
    with pytest.raises(AttachmentError, match=f"{name} .*{kind}"):
        read_material(path)


@pytest.mark.qt_log_ignore(DECODER_WARNINGS)
@settings(max_examples=60, deadline=None)
@given(junk=st.binary(min_size=1, max_size=2000),
       head=st.sampled_from([b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"%PDF-1.4\n"]))
def test_no_shell_passes_whatever_lies_between(junk, head):
    tail = {b"\xff": b"\xff\xd9", b"\x89": b"IEND\xaeB`\x82", b"%": b"\n%%EOF\n"}[head[:1]]
    with pytest.raises(AttachmentError):
        check_material(head + junk + tail, "x")


def _catch(into: list[BaseException], fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - the test reads what was raised
        into.append(exc)
