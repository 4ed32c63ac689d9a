"""platform_sim's bound on request bodies: what a route may be sent is known before the body
is read, so no client can make the simulator hold more than that in memory.

- A declared ``Content-Length`` over the route's limit is refused with 413 at once: not one
  byte of the body is read.
- A body without a length (chunked) is counted as it arrives and cut off at the limit with
  the same 413; what came before is dropped.
- Who is asking comes first, before any of the body is read: on the device API a caller
  without a valid device token gets 401, and the simulator's admin calls answer only
  clients on this machine (403 to others).
- A piece of an attachment is not held in memory: it is handed on as it arrives, for the
  route to write to its partial file (``streamed``), and still cut off at its limit.
- Attachments on disk are bounded too: one blob's declared total (``MAX_BLOB_TOTAL``) and
  the declared totals of a device's unfinished uploads (``MAX_PARTIAL_BYTES``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import JSONResponse

from .guard import read_body, replay_body

MB = 1024 * 1024
MAX_JSON_BODY = 1 * MB        # a case with its materials is a few KB; an evaluation less
MAX_BLOB_CHUNK = 8 * MB       # one Content-Range piece; hallclient sends 1 MB pieces
MAX_ADMIN_BODY = 16 * MB      # a whole item catalog (the demo one is 52 KB)
MAX_BLOB_TOTAL = 200 * MB     # one attachment: a scanned material of some hundred pages
MAX_PARTIAL_BYTES = 2048 * MB  # a device's unfinished uploads, by their declared totals


class BodyTooLargeError(Exception):
    """A streamed body passed its route's limit (the route answers 413 ``too_large``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def streamed(path: str, prefix: str) -> bool:
    """Whether the route reads its body as it arrives (a piece of an attachment)."""
    return path.startswith(prefix + "/blobs/")


def limit_for(path: str, prefix: str) -> int:
    """The most a request to ``path`` may carry."""
    if path.startswith(prefix + "/blobs/"):
        return MAX_BLOB_CHUNK
    if path.startswith(prefix + "/admin/"):
        return MAX_ADMIN_BODY
    return MAX_JSON_BODY


def too_large(limit: int) -> dict[str, Any]:
    """The 413 body (``ErrorOut``)."""
    return {"error": "too_large", "fields": [
        {"field": "body", "reason": f"请求内容超过 {limit // MB} MB（附件请按 Content-Range 分段上传）"}]}


Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


class BodyLimit:
    """Pure ASGI middleware: asks ``refuse_caller`` who is asking first (it answers the
    refusal of a caller that may not go on: 401, 403; None when it may), then reads each
    request body whole, up to its route's limit, and hands it on; refuses it with 413 past
    that. A streamed route gets the body as it arrives, cut off at the limit with
    ``BodyTooLargeError``."""

    def __init__(self, app: Any, prefix: str,
                 refuse_caller: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        self.app = app
        self.prefix = prefix
        self.refuse_caller = refuse_caller

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        denied = self.refuse_caller(scope)
        if denied is not None:      # nothing of the body is read: the connection is closed
            headers = {**(denied.get("headers") or {}), "Connection": "close"}
            await JSONResponse(denied["body"], denied["status"], headers)(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = limit_for(path, self.prefix)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        if streamed(path, self.prefix):
            await self.app(scope, _counted(receive, limit), send)
            return
        body = await read_body(receive, limit)
        if body is None:
            await self._refuse(scope, receive, send, limit)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _refuse(self, scope: dict[str, Any], receive: Receive, send: Send,
                      limit: int) -> None:
        # the connection is closed after the answer: the rest of the body is never read
        answer = JSONResponse(too_large(limit), 413, {"Connection": "close"})
        await answer(scope, receive, send)


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None          # the HTTP server refuses such a request itself
    return None


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLargeError`` once the body passes ``limit``."""
    size = 0

    async def counted() -> Any:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLargeError(limit)
        return message
    return counted
