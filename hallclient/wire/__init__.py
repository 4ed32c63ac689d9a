"""The wire formats the client and the servers speak, each in one place.

This package imports nothing of ours but core/ and nothing that does I/O (no Qt, SQLite,
requests or FastAPI), so the desktop client and both servers may import it. The path
prefixes live here, in a module that costs nothing to import; the hall server's typed
bodies are in ``hallclient.wire.hall`` (pydantic, imported only by those who need them).
"""

from __future__ import annotations

HALL_API = "/api/v1"        # the hall server (大厅服务器): hallclient.wire.hall
PLATFORM_API = "/api/v1"    # the provincial platform contract (省平台): platform/client, platform_sim
