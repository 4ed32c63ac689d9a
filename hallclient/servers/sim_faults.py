"""platform_sim's fault injection: errors, 429/503 with Retry-After, reset connections,
truncated and slow responses, expired tokens and refused fields — seeded, so a failing run
can be replayed."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any


@dataclass
class Faults:
    """What to break, and how often (0..1). Seeded so a failing run can be replayed."""

    error_rate: float = 0.0             # 500 / 502 / 503 before the request is handled
    retry_after_rate: float = 0.0       # 429 or 503 with Retry-After before handling
    retry_after_seconds: int = 1
    retry_after_as_date: bool = False   # Retry-After as an HTTP-date instead of seconds
    reset_rate: float = 0.0             # handled, then the connection is cut mid-body
    truncate_rate: float = 0.0          # handled, then the JSON body is cut short
    slow_ms: int = 0                    # delay before handling
    upsert_delay_ms: int = 0            # hold case upserts in progress (409 tests)
    expire_tokens: bool = False         # every token counts as expired
    reject_fields: dict[str, str] = field(default_factory=dict)  # field -> reason (422)
    seed: int | None = None


class FaultInjector:
    """Pure ASGI middleware, so it can cut connections and bodies as a network would."""

    def __init__(self, app: Any, faults: Faults, prefix: str) -> None:
        self.app = app
        self.faults = faults
        self.prefix = prefix              # only the API is broken, never /openapi.json
        self.rng = random.Random(faults.seed)

    def configure(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        path = scope.get("path", "")
        api = self.prefix
        if scope["type"] != "http" or not path.startswith(api) or path.startswith(api + "/admin"):
            await self.app(scope, receive, send)
            return
        f, roll = self.faults, self.rng.random
        if f.slow_ms:
            await asyncio.sleep(f.slow_ms / 1000)
        if f.error_rate and roll() < f.error_rate:
            status = self.rng.choice((500, 502, 503))
            await _json(send, status, {"error": "injected", "status": status})
            return
        if f.retry_after_rate and roll() < f.retry_after_rate:
            value = (formatdate(time.time() + f.retry_after_seconds, usegmt=True)
                     if f.retry_after_as_date else str(f.retry_after_seconds))
            await _json(send, self.rng.choice((429, 503)), {"error": "busy"},
                        [(b"retry-after", value.encode())])
            return
        if f.reset_rate and roll() < f.reset_rate:
            await self.app(scope, receive, _cutting(send, reset=True))
            return
        if f.truncate_rate and roll() < f.truncate_rate:
            await self.app(scope, receive, _cutting(send, reset=False))
            return
        await self.app(scope, receive, send)


class InjectedResetError(Exception):
    """Raised inside the server to cut the connection mid-body."""


def _cutting(send: Callable[[Any], Awaitable[None]], reset: bool) -> Callable[[Any], Awaitable[None]]:
    """Let the handler finish (its effects are committed), then damage the response."""
    async def cut(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            await send({**message, "headers": headers})
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            await send({"type": "http.response.body", "body": body[: len(body) // 2],
                        "more_body": reset})
            if reset:
                raise InjectedResetError("injected connection reset")
    return cut


async def _json(send: Callable[[Any], Awaitable[None]], status: int, body: Any,
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": data})
