"""Write the contract documents the servers serve to hallclient/resources/platform/
openapi.json (the simulator) and hallclient/resources/hall/openapi.json (the hall server);
tests/integration/test_contract_document.py checks they agree.

    python tools/platform_openapi.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from hallclient.servers.platform_sim import create_app

    with tempfile.TemporaryDirectory() as tmp:
        sim = create_app(Path(tmp))
        doc = sim.api.openapi()
        sim.store.close()
    target = ROOT / "hallclient" / "resources" / "platform" / "openapi.json"
    target.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    from hallclient.servers.hall_server import HallServer

    with tempfile.TemporaryDirectory() as tmp:
        hall = HallServer(Path(tmp))
        try:
            doc = hall.asgi.openapi()
        finally:
            hall.close()
    target = ROOT / "hallclient" / "resources" / "hall" / "openapi.json"
    target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                      encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
