from __future__ import annotations

import hashlib

import pytest

from hallclient.store.attachments import AttachmentError, AttachmentStore, sniff

from ..recipes import TINY_PNG, tiny_jpeg, tiny_pdf

PNG = TINY_PNG


def test_types_are_sniffed_from_content():
    assert sniff(tiny_jpeg()) == "image/jpeg"
    assert sniff(PNG) == "image/png"
    assert sniff(tiny_pdf()) == "application/pdf"


@pytest.mark.parametrize("data, message", [
    (b"", "空文件"),
    (b"MZ\x90\x00 not a document", "不是 JPG、PNG 或 PDF"),
    (tiny_jpeg()[:-2], "JPEG 文件被截断"),
    (PNG[:-12], "PNG 文件被截断"),
    (b"%PDF-1.7\nhalf a file", "PDF 文件被截断"),
])
def test_bad_files_are_refused_with_a_reason(data, message):
    with pytest.raises(AttachmentError, match=message):
        sniff(data, "扫描件")


def test_stored_by_hash_and_idempotent(tmp_path):
    store = AttachmentStore(tmp_path / "att")
    data = tiny_jpeg(7)
    first = store.put_bytes(data)
    again = store.put_bytes(data)
    assert first == again and first.sha256 == hashlib.sha256(data).hexdigest()
    assert store.path(first.sha256).read_bytes() == data
    assert store.verify(first.sha256)
    assert not list((tmp_path / "att").rglob(".incoming-*"))


def test_corruption_on_disk_is_detected(tmp_path):
    store = AttachmentStore(tmp_path)
    stored = store.put_bytes(tiny_pdf("a"))
    store.path(stored.sha256).write_bytes(tiny_pdf("b"))
    assert not store.verify(stored.sha256)
    assert not store.verify("0" * 64)


def test_size_limit(tmp_path):
    store = AttachmentStore(tmp_path, max_bytes=100)
    with pytest.raises(AttachmentError, match="超过"):
        store.put_bytes(b"\xff\xd8\xff" + b"\x00" * 200 + b"\xff\xd9", "身份证正面.jpg")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 200 + b"%%EOF")
    with pytest.raises(AttachmentError, match="big.pdf"):
        store.put_file(big)


def test_unreadable_file_message(tmp_path):
    with pytest.raises(AttachmentError, match="无法读取 missing.jpg"):
        AttachmentStore(tmp_path).put_file(tmp_path / "missing.jpg")
