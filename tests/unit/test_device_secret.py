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


# -- a data dir under a long path, named in Chinese (Windows: C:\Users\张三\...) -------------

def deep_chinese_dir(base, longer_than: int):
    """A data dir whose path is longer than ``longer_than`` characters, its folders named in
    Chinese (a few characters are beyond the BMP: Windows counts those twice)."""
    folder = base / "用户" / "张三"
    while len(str(folder)) <= longer_than:
        folder = folder / "政务服务中心一号窗口𠮷材料"
    folder.mkdir(parents=True)
    return folder


class BrokenKeyring(MemoryKeyring):
    """A keyring that is there but fails every call (locked, its service not answering)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("keyring service not answering")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("keyring service not answering")


class CredentialManagerLimits(MemoryKeyring):
    """Windows' Credential Manager as keyring uses it: the account is the credential's user
    name, at most 513 UTF-16 code units; the target name (account@service) at most 32767.
    CredWrite refuses a longer one (ERROR_INVALID_PARAMETER)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        units = len(username.encode("utf-16-le")) // 2
        if units > 513 or units + 1 + len(service) > 32767:
            raise OSError(87, "CredWrite", "The parameter is incorrect.")
        super().set_password(service, username, password)


def test_a_long_chinese_data_dir_keeps_its_secrets_in_the_keyring_under_its_path(tmp_path):
    data = deep_chinese_dir(tmp_path, 300)
    ring = MemoryKeyring()
    for kind in ("platform", "hall", "signing"):
        assert write_secret(data, f"{kind}-秘密", ring, kind=kind) == "keyring"
        assert read_secret(data, ring, kind=kind) == f"{kind}-秘密"
    assert set(ring.store) == {("hallclient", str(data)), ("hallclient", f"{data}#hall"),
                               ("hallclient", f"{data}#signing")}
    assert list(data.iterdir()) == []


def test_a_long_chinese_data_dir_falls_back_to_a_file_inside_it(tmp_path):
    data = deep_chinese_dir(tmp_path, 300)
    where = write_secret(data, "s3cret", BrokenKeyring())
    assert where == str(data / SECRET_FILE) and (data / SECRET_FILE).is_file()
    assert read_secret(data, BrokenKeyring()) == "s3cret"
    assert stat.S_IMODE((data / SECRET_FILE).stat().st_mode) == 0o600


def test_a_data_dir_too_long_for_credential_manager_gets_an_account_that_fits(tmp_path):
    """Past 513 characters the account is a stable hash of the path: each secret goes to the
    keyring still (not to a file beside a keyring taken for failed), the signing key too."""
    data = deep_chinese_dir(tmp_path, 600)
    ring = CredentialManagerLimits()
    for kind in ("platform", "hall", "signing"):
        assert write_secret(data, f"{kind}-秘密", ring, kind=kind) == "keyring"
    for kind in ("platform", "hall", "signing"):
        assert read_secret(data, ring, kind=kind) == f"{kind}-秘密"
    accounts = [account for _, account in ring.store]
    assert len(set(accounts)) == 3 and all(len(a) <= 513 for a in accounts)
    assert list(data.iterdir()) == []
    other = deep_chinese_dir(tmp_path / "另一台", 600)
    assert read_secret(other, ring) == ""            # another data dir, another account


def test_a_secret_kept_under_a_long_path_before_is_still_read(tmp_path):
    """A keyring without Windows' limit (Linux's Secret Service) holds secrets under the whole
    path, however long: they are found after the account became a hash, until replaced."""
    data = deep_chinese_dir(tmp_path, 600)
    ring = MemoryKeyring()
    ring.store[("hallclient", f"{data}#signing")] = "县级登记的密钥"
    assert read_secret(data, ring, kind="signing") == "县级登记的密钥"
    assert write_secret(data, "新密钥", ring, kind="signing") == "keyring"
    assert read_secret(data, ring, kind="signing") == "新密钥"
