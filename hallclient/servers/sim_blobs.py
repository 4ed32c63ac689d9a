"""platform_sim's attachments (blobs): resumable uploads addressed by sha256, each device's
own. A piece is written to the device's partial file as it arrives, never held whole in
memory; the last piece's hash is checked on a worker thread with no lock held; one blob's
declared total and a device's unfinished uploads are bounded (``sim_limits``)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from .sim_limits import (
    MAX_BLOB_CHUNK,
    MAX_BLOB_TOTAL,
    MAX_PARTIAL_BYTES,
    MB,
    BodyTooLargeError,
    too_large,
)
from .sim_store import SimStore


async def receive_blob(store: SimStore, request: Request, device: str, sha256: str,
                        span: tuple[int, int | None, int | None]) -> Response:
    """One piece of a device's blob, written to its partial file as it arrives (a piece is
    never held whole in memory); the last one's hash is checked on a worker thread, with
    no lock held, so the simulator goes on serving meanwhile. The caller makes sure no
    other request writes this device's blob at the same time."""
    start, piece, total = span
    path = partial_path(store, device, sha256)
    with store.lock:
        row = store.blob(device, sha256)
        if row is not None and row[1]:
            return JSONResponse({"sha256": sha256, "complete": True}, status_code=200)
        if row is not None and total is not None and row[0] != total:
            raise _length_changed()
        held = held_size(path)
        if start != held:
            return JSONResponse({"error": "offset_mismatch", "offset": held}, status_code=409,
                                headers={"Upload-Offset": str(held)})
        if row is None:
            _check_quota(store, device, sha256, total)
            if total is not None:
                store.begin_blob(device, sha256, total)
    try:
        written = await _write_piece(request, path, start, piece)
    except BodyTooLargeError as exc:
        _forget_if_empty(store, device, sha256, path)
        return JSONResponse(too_large(exc.limit), 413, {"Connection": "close"})
    except ClientDisconnect:
        _forget_if_empty(store, device, sha256, path)
        return Response(status_code=400)            # nobody is left to hear it
    except HTTPException:
        _forget_if_empty(store, device, sha256, path)
        raise
    if total is None:                   # a whole blob sent without a length: it is what came
        total = written
        with store.lock:
            row = store.blob(device, sha256)
            if row is None:
                store.begin_blob(device, sha256, total)
            elif row[0] != total:
                _forget_if_empty(store, device, sha256, path, cut_to=0)
                raise _length_changed()
    held = start + written
    if held < total:
        return JSONResponse({"offset": held}, status_code=202, headers={"Upload-Offset": str(held)})
    digest = await asyncio.to_thread(file_sha256, path)
    with store.lock:
        if digest != sha256 or held != total:
            path.unlink()
            store.drop_blob(device, sha256)
            raise HTTPException(422, {"error": "hash_mismatch", "fields": [
                {"field": "sha256", "reason": "收到的内容与 sha256 不符"}]})
        path.replace(_blob_path(store, sha256))    # the same bytes whoever sent them
        store.complete_blob(device, sha256)
    return JSONResponse({"sha256": sha256, "complete": True}, status_code=201)


async def _write_piece(request: Request, path: Path, start: int, piece: int | None) -> int:
    """Write the request body to ``path`` from ``start`` as it arrives; the bytes written.
    A body longer or shorter than ``piece`` (when known), or cut off, is taken back."""
    written = 0
    with open(path, "r+b" if path.exists() else "w+b") as fh:
        fh.seek(start)
        try:
            async for chunk in request.stream():
                written += len(chunk)
                if piece is not None and written > piece:
                    raise _bad_range()
                fh.write(chunk)
            if piece is not None and written != piece:
                raise _bad_range()
        except BaseException:
            fh.truncate(start)
            raise
    return written


def _check_quota(store: SimStore, device: str, sha256: str, total: int | None) -> None:
    """507 when a new upload would take the device's unfinished ones past their bound."""
    begun = store.partial_bytes(device, but=sha256)
    if begun + (total if total is not None else MAX_BLOB_CHUNK) > MAX_PARTIAL_BYTES:
        raise HTTPException(507, {"error": "quota_exceeded", "fields": [{"field": "sha256", "reason": (
            f"本设备未传完的附件已达 {MAX_PARTIAL_BYTES // MB} MB：请先传完已开始的附件")}]})


def _forget_if_empty(store: SimStore, device: str, sha256: str, path: Path,
                     cut_to: int | None = None) -> None:
    """After a piece that did not arrive: an upload that holds nothing is forgotten, so it
    neither counts against the device nor shows as begun."""
    with store.lock:
        if cut_to is not None and path.exists():
            with open(path, "r+b") as fh:
                fh.truncate(cut_to)
        if held_size(path) == 0:
            path.unlink(missing_ok=True)
            if not store.blob_complete(device, sha256):
                store.drop_blob(device, sha256)


def _length_changed() -> HTTPException:
    return HTTPException(422, {"error": "length_changed", "fields": [
        {"field": "Content-Range", "reason": "附件总长度与此前不同"}]})


def _blob_path(store: SimStore, sha256: str) -> Path:
    return store.blob_dir / sha256


def partial_path(store: SimStore, device: str, sha256: str) -> Path:
    """Where a device's upload of a blob grows until its hash is checked."""
    return store.partial_dir / (hashlib.sha256(device.encode("utf-8")).hexdigest()[:16] + "-" + sha256)


def held_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def file_sha256(path: Path) -> str:
    """A file's sha256, read a piece at a time (a blob may be far larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


def parse_range(header: str | None, length: int | None) -> tuple[int, int | None, int | None]:
    """``bytes a-b/total`` -> (a, the piece's length, total); without the header the body is
    the whole blob (its length, when declared, is the total)."""
    if not header:
        return 0, length, length
    try:
        unit, _, rest = header.partition(" ")
        span, _, total = rest.partition("/")
        a, _, b = span.partition("-")
        start, end, size = int(a), int(b), int(total)
    except ValueError as exc:
        raise HTTPException(400, {"error": "bad_content_range"}) from exc
    if (unit != "bytes" or end >= size or start < 0 or end < start
            or (length is not None and end - start + 1 != length)):
        raise _bad_range()
    if size > MAX_BLOB_TOTAL:
        raise HTTPException(413, {"error": "too_large", "fields": [{"field": "Content-Range", "reason": (
            f"附件总长度超过 {MAX_BLOB_TOTAL // MB} MB：请分成几个文件，或降低扫描分辨率")}]})
    return start, end - start + 1, size


def _bad_range() -> HTTPException:
    return HTTPException(400, {"error": "bad_content_range", "fields": [
        {"field": "Content-Range", "reason": "应为 bytes 起-止/总长，且与收到的字节数一致"}]})
