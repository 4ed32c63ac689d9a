#!/usr/bin/env bash
# The Windows installer's mechanics under wine (64-bit), for when no Windows PC is at hand:
# silent install, Start-menu entries, uninstall registry entry, an upgrade that removes modules
# the new version no longer has, an uninstall that leaves nothing but the users' data.
# It packs the staged site-packages with a stand-in for the embeddable Python (which cannot be
# fetched here), so it checks the installer, not the program. Opt-in; needs wine64 and a display
# (Xvfb), and a stage from build-windows.sh.
#   installer/windows/wine-check.sh
set -euo pipefail
source "$(dirname "$0")/../common.sh"
STAGE="$WORK/windows/stage"
WINE="${WINE:-$(command -v wine64 || echo /usr/lib/wine/wine64)}"
WINESERVER="${WINESERVER:-$(command -v wineserver || echo /usr/lib/wine/wineserver)}"
[ -d "$STAGE/site-packages" ] || { echo "no stage: run installer/windows/build-windows.sh first" >&2; exit 2; }
[ -x "$WINE" ] || { echo "wine64 is missing (apt-get install wine64)" >&2; exit 2; }
check="$WORK/windows/wine-check"
rm -rf "$check" && mkdir -p "$check"
export WINEPREFIX="$check/prefix" WINEDEBUG=-all
fail() { echo "WINE CHECK FAILED: $*" >&2; exit 1; }

stand_in=0
if [ ! -d "$STAGE/python" ]; then
    mkdir -p "$STAGE/python" && echo "stand-in for the embeddable Python" > "$STAGE/python/README.txt"
    stand_in=1
fi
for v in 0.1.0 0.1.1; do
    makensis -V1 -DVERSION="$v" -DSTAGE="$STAGE" -DOUTFILE="$check/setup-$v.exe" "$REPO/installer/windows/hallclient.nsi"
done
[ "$stand_in" = 0 ] || rm -rf "$STAGE/python"

"$WINE" wineboot -i > /dev/null 2>&1
drive="$WINEPREFIX/drive_c"
app="$drive/Program Files/hallclient"
data="$drive/users/$(id -un)/AppData/Local/hallclient"
menu="$drive/ProgramData/Microsoft/Windows/Start Menu/Programs/政务大厅窗口客户端"
key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\cn.hallclient.counter'
version() { "$WINE" reg query "$key" /v DisplayVersion 2> /dev/null | tr -d '\r' | awk '/DisplayVersion/ {print $3}'; }

"$WINE" "$check/setup-0.1.0.exe" /S
"$WINESERVER" -w
[ -f "$app/site-packages/hallclient/app.py" ] || fail "program files missing after install"
[ "$(version)" = 0.1.0 ] || fail "uninstall entry missing"
ls "$menu" | grep -q 培训模式 || fail "Start-menu entries missing"
echo "install: $(du -sh "$app" | cut -f1) in Program Files\\hallclient, version $(version), menu: $(ls "$menu" | tr '\n' ' ')"

mkdir -p "$data" && echo "a clerk's data" > "$data/keep.txt"
touch "$app/site-packages/hallclient/removed_in_new_version.py"
"$WINE" "$check/setup-0.1.1.exe" /S
"$WINESERVER" -w
[ "$(version)" = 0.1.1 ] || fail "upgrade did not register 0.1.1"
[ ! -e "$app/site-packages/hallclient/removed_in_new_version.py" ] || fail "upgrade left an old module behind"
echo "upgrade: version $(version), old modules gone, data kept: $(cat "$data/keep.txt")"

"$WINE" "$app/uninstall.exe" /S
"$WINESERVER" -w          # the uninstaller runs from a copy in %TEMP% and returns at once
[ ! -e "$app" ] || fail "Program Files\\hallclient still there: $(ls "$app")"
[ ! -e "$menu" ] || fail "Start-menu entries still there"
[ -z "$(version)" ] || fail "uninstall entry still there"
[ -f "$data/keep.txt" ] || fail "uninstall removed the users' data"
echo "uninstall: program, menu and registry entry gone; users' data kept"
echo "WINE CHECK OK"
