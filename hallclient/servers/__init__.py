"""The two servers: platform_sim (reference provincial platform) and hall_server (one queue
for the whole hall).

An optional extra (``pip install hallclient[servers]``); never imported by ui/.
"""

from __future__ import annotations

import threading
import time
from typing import Any


def serve_in_thread(asgi: Any, name: str, host: str = "127.0.0.1", port: int = 0,
                    limits: Any = None, **options: Any) -> tuple[Any, threading.Thread, int]:
    """Serve ``asgi`` with uvicorn on a background thread (tests, demo, training); returns
    the uvicorn server, its thread and the port it listens on, once it does. ``limits``
    (a ``guard.Limits``) bounds slow and idle connections."""
    import uvicorn

    from .guard import Limits, guarded_protocol

    config = uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False, http=guarded_protocol(limits or Limits()),
                            **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return server, thread, int(server.servers[0].sockets[0].getsockname()[1])
