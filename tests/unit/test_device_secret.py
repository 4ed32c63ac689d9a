"""The device secret goes to the OS keyring where one exists, else to an owner-only file;
never into config.ini."""

from __future__ import annotations

import stat

from hallclient.secrets import SECRET_FILE, read_secret, write_secret


class MemoryKeyring:
    """The two calls hallclient makes of the keyring module."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password


def test_with_a_keyring_the_secret_never_touches_the_disk(tmp_path):
    ring = MemoryKeyring()
    (tmp_path / SECRET_FILE).write_text("old")
    assert write_secret(tmp_path, "s3cret", ring) == "keyring"
    assert not (tmp_path / SECRET_FILE).exists()
    assert ring.store == {("hallclient", str(tmp_path)): "s3cret"}
    assert read_secret(tmp_path, ring) == "s3cret"


def test_without_a_keyring_an_owner_only_file(tmp_path):
    where = write_secret(tmp_path, "s3cret", None)
    assert where == str(tmp_path / SECRET_FILE)
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert read_secret(tmp_path, None) == "s3cret"
    assert read_secret(tmp_path / "elsewhere", None) == ""



def test_a_loose_file_is_replaced_whole_and_owner_only(tmp_path):
    """A key file copied off a FAT stick (readable by all) is rewritten owner-only, and no
    half-written temporary file is left beside it."""
    path = tmp_path / "signing-device.secret"
    path.write_text("old key")
    path.chmod(0o644)
    assert write_secret(tmp_path, "new key", None, kind="signing") == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_secret(tmp_path, None, kind="signing") == "new key"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signing-device.secret"]


def test_a_throw_away_folder_keeps_its_secrets_and_never_asks_the_keyring(tmp_path, monkeypatch):
    """A demo or self-test folder is marked: its secret is a file in it, the system keyring
    (which would outlive the folder) is neither written nor read, nor even loaded."""
    from hallclient import secrets

    ring = MemoryKeyring()
    asked: list[bool] = []
    monkeypatch.setattr(secrets, "_keyring", lambda: asked.append(True) or ring)
    normal = tmp_path / "normal"
    normal.mkdir()
    assert write_secret(normal, "kept", kind="hall") == "keyring"
    assert asked == [True]
    folder = tmp_path / "hallclient-demo-x1"
    folder.mkdir()
    (folder / "owner.pid").write_text("1")
    secrets.keep_in_folder(folder)
    assert write_secret(folder, "s3cret") == str(folder / SECRET_FILE)
    assert read_secret(folder) == "s3cret"
    assert asked == [True] and ("hallclient", str(folder)) not in ring.store
    # the mark planted in a real data folder is not obeyed: the keyring still holds its secrets
    secrets.keep_in_folder(normal)
    assert write_secret(normal, "k2", kind="signing") == "keyring"
    assert read_secret(normal, kind="hall") == "kept"


def test_the_throw_away_folder_is_known_by_the_same_marks_everywhere():
    from hallclient import process, secrets

    assert (secrets.THROWAWAY_PREFIX, secrets.OWNER_FILE) == (process.THROWAWAY_PREFIX,
                                                              process.OWNER_FILE)
