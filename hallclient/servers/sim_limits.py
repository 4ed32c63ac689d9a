"""platform_sim's bound on request bodies: what a route may be sent is known before the body
is read, so no client can make the simulator hold more than that in memory.

- A declared ``Content-Length`` over the route's limit is refused with 413 at once: not one
  byte of the body is read.
- A body without a length (chunked) is counted as it arrives and cut off at the limit with
  the same 413; what came before is dropped.
- Who is asking still comes first: a refused body on the device API is 401 for a caller
  without a valid device token, as every other request of the API is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import JSONResponse

MB = 1024 * 1024
MAX_JSON_BODY = 1 * MB        # a case with its materials is a few KB; an evaluation less
MAX_BLOB_CHUNK = 8 * MB       # one Content-Range piece; hallclient sends 1 MB pieces
MAX_ADMIN_BODY = 16 * MB      # a whole item catalog (the demo one is 52 KB)


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
    """Pure ASGI middleware: reads each request body whole, up to its route's limit, and
    hands it on; refuses it with 413 past that. ``refuse_caller`` answers the 401 of a
    caller without a valid token (None when the caller may go on)."""

    def __init__(self, app: Any, prefix: str,
                 refuse_caller: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        self.app = app
        self.prefix = prefix
        self.refuse_caller = refuse_caller

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""), self.prefix)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await self._refuse(scope, receive, send, limit)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: dict[str, Any], receive: Receive, send: Send,
                      limit: int) -> None:
        denied = self.refuse_caller(scope)
        if denied is not None:
            answer = JSONResponse(denied["body"], denied["status"], denied.get("headers"))
        else:
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


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` (whatever its headers
    said): nothing beyond the limit is kept."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)             # the client left; the route sees no more
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()          # a disconnect
    return replayed
