"""The installer's own pieces that run without a build root: pins, the Windows requirement
resolution, the glibc ceiling check, the bundle's module and OpenSSL checks, the desktop entry,
the icons and the scripts README tells people to run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
sys.path.insert(0, str(INSTALLER / "windows"))
sys.path.insert(0, str(INSTALLER))

sys.path.insert(0, str(INSTALLER / "linux"))

import bundle_modules  # noqa: E402
import render_icons  # noqa: E402
import resolve_requirements  # noqa: E402


def pins(environment: dict[str, str]) -> dict[str, str]:
    out = {}
    for line in (INSTALLER / "requirements-bundle.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(environment):
            (spec,) = req.specifier
            assert spec.operator == "==", f"not pinned: {line}"
            out[req.name.lower().replace("_", "-")] = spec.version
    return out


LINUX = {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux",
         "os_name": "posix", "python_version": "3.11", "python_full_version": "3.11.2",
         "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


@pytest.mark.parametrize("environment", [LINUX, {**LINUX, "platform_machine": "aarch64"},
                                         resolve_requirements.WINDOWS], ids=["amd64", "arm64", "win"])
def test_pins_satisfy_the_project_and_keep_qt_at_6_8(environment):
    pinned = pins(environment)
    for req in (Requirement(r) for r in requires("hallclient")):   # as pyproject.toml declares them
        if req.marker is not None and not req.marker.evaluate({**environment, "extra": "servers"}):
            continue
        name = req.name.lower().replace("_", "-")
        assert name in pinned, f"{req.name} is not pinned for the installers"
        assert req.specifier.contains(pinned[name], prereleases=True), (req, pinned[name])
    assert pinned["pyside6"].startswith("6.8")
    qt = {pinned[n] for n in ("pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6")}
    assert qt == {pinned["pyside6"]}


def test_windows_requirements_follow_windows_markers():
    resolved = resolve_requirements.resolve(INSTALLER / "requirements-bundle.txt")
    names = {r.split("==")[0].lower() for r in resolved}
    assert {"pywin32-ctypes", "colorama", "pyside6", "keyring"} <= names
    assert not names & {"jeepney", "secretstorage", "uvloop"}
    assert "PySide6==6.8.3" in resolved


def test_glibc_ceiling_reads_real_binaries(tmp_path):
    if shutil.which("readelf") is None:
        pytest.fail("readelf (binutils) is needed for the glibc check")
    folder = tmp_path / "bundle"
    (folder / "lib").mkdir(parents=True)
    shutil.copy(sys.executable, folder / "python")
    shutil.copy("/bin/ls", folder / "lib" / "ls")
    (folder / "README").write_text("not an ELF file")
    script = INSTALLER / "linux" / "glibc_ceiling.py"
    quiet = subprocess.run([sys.executable, str(script), "--quiet", "--max", "9.0", str(folder)],
                           capture_output=True, text=True, check=True).stdout.strip()
    major, minor = (int(p) for p in quiet.split(".")[:2])
    assert major == 2 and minor >= 2
    report = subprocess.run([sys.executable, str(script), "--max", "9.0", str(folder)],
                            capture_output=True, text=True, check=True).stdout
    assert report.startswith("2 ELF files; highest GLIBC symbol version needed: " + quiet)
    assert "UOS 20 (glibc 2.28)" in report
    too_low = subprocess.run([sys.executable, str(script), "--max", "2.0", str(folder)],
                             capture_output=True, text=True)
    assert too_low.returncode == 1 and "too new:" in too_low.stderr
    empty = subprocess.run([sys.executable, str(script), str(tmp_path / "nothing")],
                           capture_output=True, text=True)
    assert empty.returncode == 1


def test_desktop_entry_is_valid_and_chinese(tmp_path):
    text = (INSTALLER / "linux" / "hallclient.desktop.in").read_text(encoding="utf-8")
    entry = tmp_path / "cn.hallclient.counter.desktop"
    entry.write_text(text.replace("@APPID@", "cn.hallclient.counter").replace("@VERSION@", "1.0"),
                     encoding="utf-8")
    content = entry.read_text(encoding="utf-8")
    assert "Name[zh_CN]=政务大厅窗口客户端" in content
    assert "Exec=/opt/apps/cn.hallclient.counter/files/hallclient/hallclient\n" in content
    assert "Icon=cn.hallclient.counter\n" in content
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.fail("desktop-file-validate (desktop-file-utils) is needed")
    result = subprocess.run([validator, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout
    broken = tmp_path / "broken.desktop"
    broken.write_text(content.replace("Type=Application\n", ""), encoding="utf-8")
    assert subprocess.run([validator, str(broken)], capture_output=True).returncode != 0


def test_icons_render_at_every_size_and_pack_into_an_ico(tmp_path, qapp):
    from PySide6.QtGui import QImage, QImageReader

    written = render_icons.render(INSTALLER / "icons" / "hallclient.svg", tmp_path)
    assert [QImage(str(p)).width() for p in written] == list(render_icons.SIZES)
    corner, middle = QImage(str(written[-1])).pixelColor(2, 2), QImage(str(written[-1])).pixelColor(256, 100)
    assert corner.alpha() == 0 and middle.alpha() == 255          # rounded tile, opaque inside
    ico = tmp_path / "hallclient.ico"
    render_icons.write_ico(written, ico)
    reader = QImageReader(str(ico))
    assert reader.imageCount() == len([s for s in render_icons.SIZES if s <= 256])
    assert not reader.read().isNull()


def test_nsis_script_compiles_and_names_the_app_in_chinese(tmp_path):
    """The Windows installer script, compiled by makensis over a staging folder without the
    embeddable Python (VERIFY_ONLY: the same check build-windows.sh makes before that step)."""
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.fail("makensis (nsis) is needed")
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "hallclient.cmd").write_text('@"%~dp0python\\python.exe" -m hallclient %*\r\n')
    pngs = render_icons.render(INSTALLER / "icons" / "hallclient.svg", tmp_path / "icons")
    render_icons.write_ico(pngs, stage / "hallclient.ico")
    out = tmp_path / "setup.exe"
    script = INSTALLER / "windows" / "hallclient.nsi"
    result = subprocess.run([makensis, "-V2", "-DVERSION=1.2.3", f"-DSTAGE={stage}", "-DVERIFY_ONLY",
                             f"-DOUTFILE={out}", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_bytes()[:2] == b"MZ"                       # a Windows program
    missing = subprocess.run([makensis, "-V2", "-DVERSION=1.2.3", f"-DSTAGE={tmp_path / 'nothing'}",
                              f"-DOUTFILE={tmp_path / 'x.exe'}", str(script)], capture_output=True, text=True)
    assert missing.returncode != 0                             # no staged program, no installer
    text = script.read_text(encoding="utf-8")
    assert '!define APPNAME "政务大厅窗口客户端"' in text and 'MUI_LANGUAGE "SimpChinese"' in text


def readme_commands() -> set[str]:
    """Repository files README tells people to run as commands: the first word (after sudo)
    of each line of its shell blocks, and inline code that is a shell script's path."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = set()
    for block in re.findall(r"^```(?:sh|bash|console)\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            words = line.split()
            if words[:1] == ["sudo"]:
                words = words[1:]
            if words and "/" in words[0] and (ROOT / words[0]).is_file():
                found.add(words[0])
    for span in re.findall(r"`(?:sudo )?([\w./-]+\.sh)\b[^`]*`", text):
        if (ROOT / span).is_file():
            found.add(span)
    return found


def test_every_script_readme_says_to_run_is_executable_in_git():
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    scripts = readme_commands()
    assert {"installer/linux/build-deb.sh", "installer/linux/smoke-deb.sh",
            "installer/linux/ime-check.sh"} <= scripts, scripts
    listed = subprocess.run(["git", "ls-files", "-s", "--", *sorted(scripts)], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    modes = {line.split("\t")[1]: line.split()[0] for line in listed.splitlines()}
    assert set(modes) == scripts, f"not in git: {scripts - set(modes)}"
    not_executable = sorted(path for path, mode in modes.items() if mode != "100755")
    assert not_executable == [], f"git update-index --chmod=+x {' '.join(not_executable)}"


def test_bundle_module_check_names_what_the_wheel_or_the_bundle_lacks(tmp_path):
    tree = tmp_path / "src" / "hallclient"
    for name in ("__init__.py", "app.py", "ui/__init__.py", "ui/main.py", "ui/__pycache__/stale.py"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("")
    wheel = tmp_path / "hallclient-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("__init__.py", "app.py", "ui/__init__.py"):
            zf.writestr(f"hallclient/{name}", "")
        zf.writestr("hallclient-1.0.dist-info/METADATA", "")
    in_tree, in_wheel = bundle_modules.tree_modules(tree), bundle_modules.wheel_modules(wheel)
    assert in_tree == {"hallclient", "hallclient.app", "hallclient.ui", "hallclient.ui.main"}
    assert in_wheel == {"hallclient", "hallclient.app", "hallclient.ui"}
    assert bundle_modules.missing(in_tree, in_wheel, {"hallclient", "hallclient.ui"}) == [
        "not in the wheel: hallclient.ui.main", "not in the bundle: hallclient.app"]
    assert bundle_modules.missing(in_tree, in_tree, in_tree) == []
    real = bundle_modules.tree_modules(ROOT / "hallclient")
    assert {"hallclient", "hallclient.app", "hallclient.resources"} <= real


def test_openssl_version_is_what_the_ssl_module_reports(tmp_path):
    """The smoke test asks the bundled libcrypto for its version: copied beside nothing else,
    the library this Python's ssl module links says what ssl.OPENSSL_VERSION says."""
    import _ssl
    import ssl

    linked = subprocess.run(["ldd", _ssl.__file__], capture_output=True, text=True, check=True).stdout
    found = re.search(r"libcrypto\.so\.3 => (\S+)", linked)
    if found is None:
        pytest.fail(f"this Python's ssl module does not link libcrypto.so.3: {linked}")
    shutil.copy(found.group(1), tmp_path / "libcrypto.so.3")
    script = INSTALLER / "linux" / "openssl_version.py"
    out = subprocess.run([sys.executable, str(script), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ssl.OPENSSL_VERSION
    empty = subprocess.run([sys.executable, str(script), str(tmp_path / "none")],
                           capture_output=True, text=True)
    assert empty.returncode == 1 and "no libcrypto.so.3" in empty.stderr
