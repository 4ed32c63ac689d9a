"""A keyring backend for tests that run the real CLI in a subprocess: "this PC has a
keyring" without touching the machine's own. Chosen with
PYTHON_KEYRING_BACKEND=tests.integration.file_keyring.FileKeyring; the entries live in the
JSON file named by TEST_KEYRING_FILE, so a test can look at them and plant some."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend


class ChosenOnly(KeyringBackend):
    """Viable only when PYTHON_KEYRING_BACKEND names it: once a test module has imported
    these classes, the test process's own keyring discovery must not pick one of them."""

    @properties.classproperty
    def priority(self) -> float:  # type: ignore[override]  # (the class: a classproperty)
        if os.environ.get("PYTHON_KEYRING_BACKEND", "").rsplit(".", 1)[-1] != self.__name__:
            raise RuntimeError("a test keyring, used only when chosen")
        return 1


def entries(path: Path) -> dict[str, str]:
    """The keyring's content as "service/account" -> password."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def plant(path: Path, service: str, account: str, password: str) -> None:
    path.write_text(json.dumps({**entries(path), f"{service}/{account}": password}), encoding="utf-8")


class FileKeyring(ChosenOnly):
    @property
    def _path(self) -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def get_password(self, service: str, username: str) -> str | None:
        return entries(self._path).get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        plant(self._path, service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        held = entries(self._path)
        held.pop(f"{service}/{username}", None)
        self._path.write_text(json.dumps(held), encoding="utf-8")


class LockedKeyring(ChosenOnly):
    """A keyring that is there but locked (the desktop session's keyring not unlocked):
    every call fails, as the Secret Service backend does then."""

    def get_password(self, service: str, username: str) -> str | None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("Failed to unlock the collection!")
