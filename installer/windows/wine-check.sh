#!/usr/bin/env bash
# The Windows installer, installed and used under wine (64-bit) as a county PC would:
#
#   installer/windows/build-windows.sh && installer/windows/wine-check.sh [SETUP.exe]
#
# A fresh wine prefix made like a clerk's Chinese Windows 10: the user 张三 (so every path
# the program writes is under C:\users\张三\…), the Chinese locale (code page 936) and a
# Chinese font in C:\Windows\Fonts. Then: silent install; an install into a folder holding
# another program's python\ refused (exit 2, nothing deleted); from the installed folder
# hallclient.cmd --version, admin import-hall / add-clerk / status --json, a case accepted
# and sent by admin sync-now to a platform simulator on loopback (Linux side), admin
# verify-log; the GUI self-test on Qt's offscreen platform, the same started by pythonw.exe
# (no console), then on Qt's windows platform on Xvfb; an upgrade that keeps the data and
# drops modules the new version lacks; an uninstall that leaves the users' data.
#
# What wine 8.0 lacks and Windows 10 has is supplied for the run only, never shipped:
# bcryptprimitives.dll (ProcessPrng) and api-ms-win-core-synch-l1-2-0.dll, imported by the
# Rust-built pydantic_core and cryptography (wine/*.c, built with mingw-w64); CPython's _wmi
# module is disabled (wine's propsys lacks VariantToString, which platform.system() reaches
# through WMI; Python then asks Windows the older way).
#
# Needs: wine (Debian's, 64-bit), Xvfb, gcc-mingw-w64-x86-64, fonts-droid-fallback, the
# zh_CN.UTF-8 locale (localedef -i zh_CN -f UTF-8 zh_CN.UTF-8), python3 with the project's
# servers extra (the simulator runs from the checkout). Exit code 1 on any failed step.
set -euo pipefail
source "$(dirname "$0")/../common.sh"
HERE="$REPO/installer/windows"
STAGE="$WORK/windows/stage"
SETUP="${1:-$OUT/hallclient-setup-$APP_VERSION.exe}"
check="$WORK/windows/wine-check"
fail() { echo "WINE CHECK FAILED: $*" >&2; exit 1; }
for tool in wine wineserver Xvfb x86_64-w64-mingw32-gcc makensis; do
    command -v "$tool" > /dev/null || fail "$tool is missing (see the top of this script)"
done
[ -f "$SETUP" ] || fail "no installer at $SETUP: run installer/windows/build-windows.sh first"
[ -d "$STAGE/python" ] || fail "no stage at $STAGE (the upgrade is packed from it)"
locale -a | grep -qi '^zh_CN.utf8$' || fail "the zh_CN.UTF-8 locale is missing (localedef -i zh_CN -f UTF-8 zh_CN.UTF-8)"
font=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
[ -f "$font" ] || fail "no Chinese font at $font (apt-get install fonts-droid-fallback)"

rm -rf "$check" && mkdir -p "$check"
SIM_PID="" XVFB_PID=""
cleanup() {
    [ -z "$SIM_PID" ] || kill "$SIM_PID" 2> /dev/null || true
    WINEPREFIX="$check/prefix" wineserver -k 2> /dev/null || true
    [ -z "$XVFB_PID" ] || kill "$XVFB_PID" 2> /dev/null || true
}
trap cleanup EXIT
display=$((90 + RANDOM % 9))
Xvfb ":$display" -screen 0 1366x768x24 -nolisten tcp > /dev/null 2>&1 &
XVFB_PID=$!
export WINEPREFIX="$check/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="_wmi.pyd=d" \
       LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 DISPLAY=":$display" USER=张三 LOGNAME=张三
started=$(date +%s)
took() { echo "  ($(($(date +%s) - $1)) s)"; }
# wine maps a Linux file given as standard output badly (CPython: "Invalid handle"); a pipe works
w() { wine "$@" < /dev/null 2>&1 | cat; return "${PIPESTATUS[0]}"; }
gbk() { iconv -f GB18030 -t UTF-8 -c || true; }     # -c: exit 1 after any byte it left out

step "a Chinese Windows 10 in a fresh wine prefix"
t=$(date +%s)
wine wineboot -i < /dev/null > /dev/null 2>&1; wineserver -w
w winecfg -v win10 > /dev/null; wineserver -w
drive="$WINEPREFIX/drive_c"
cp "$font" "$drive/windows/Fonts/"
for shim in bcryptprimitives api-ms-win-core-synch-l1-2-0; do
    x86_64-w64-mingw32-gcc -O2 -shared -nostartfiles -Wl,--entry,DllMain -o "$drive/windows/system32/$shim.dll" \
        "$HERE/wine/$shim.c" "$HERE/wine/$shim.def" -lbcrypt -lkernel32
done
profile="$drive/users/张三"
[ -d "$profile" ] || fail "wine made no profile for 张三: $(ls "$drive/users")"
mkdir -p "$drive/check"
cp "$REPO/installer/accept_case.py" "$drive/check/"
# QT_QPA_PLATFORM set inside Windows: wine passes no QT_* variable from Linux. pythonw.exe is
# started as the Start menu does (start, no handles inherited: no console at all) and waited for
printf '@echo off\r\nset QT_QPA_PLATFORM=%%1\r\n"C:\\Program Files\\hallclient\\python\\python.exe" -m hallclient --self-test\r\n' \
    > "$drive/check/self-test.cmd"
printf '@echo off\r\nset QT_QPA_PLATFORM=%%1\r\nstart "" /wait "C:\\Program Files\\hallclient\\python\\pythonw.exe" -m hallclient --self-test\r\nexit /b %%errorlevel%%\r\n' \
    > "$drive/check/self-test-pythonw.cmd"
echo "Windows $(w reg query 'HKLM\Software\Microsoft\Windows NT\CurrentVersion' /v CurrentBuildNumber \
    | tr -d '\r' | awk '/Build/ {print $3}'), profile C:\\users\\张三, code page" \
    "$(w reg query 'HKLM\System\CurrentControlSet\Control\Nls\CodePage' /v ACP | tr -d '\r' | awk '/ACP/ {print $3}')$(took "$t")"

step "silent install of $(basename "$SETUP") ($(($(stat -c %s "$SETUP") / 1048576)) MiB)"
t=$(date +%s)
w "$SETUP" /S > /dev/null; wineserver -w
app="$drive/Program Files/hallclient"
key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\cn.hallclient.counter'
version() { w reg query "$key" /v DisplayVersion 2> /dev/null | tr -d '\r' | awk '/DisplayVersion/ {print $3}'; }
menu="$drive/ProgramData/Microsoft/Windows/Start Menu/Programs/政务大厅窗口客户端"
[ -f "$app/python/python.exe" ] && [ -f "$app/site-packages/hallclient/app.py" ] || fail "program files missing"
[ "$(version)" = "$APP_VERSION" ] || fail "uninstall entry missing"
ls "$menu" | grep -q 培训模式 || fail "Start-menu entries missing"
pyc=$(find "$app/site-packages" -name '*.pyc' | wc -l)
[ "$pyc" -gt 500 ] || fail "modules not compiled at install ($pyc .pyc files)"
echo "installed: $(du -sh "$app" | cut -f1), $pyc modules compiled, menu: $(ls "$menu" | tr '\n' ' ')$(took "$t")"

step "an install into a folder holding another program's python\\ stops and deletes nothing"
mkdir -p "$drive/other/python"
echo "another program's" > "$drive/other/python/keep.txt"
code=0
w "$SETUP" /S '/D=C:\other' > /dev/null || code=$?
wineserver -w
[ -f "$drive/other/python/keep.txt" ] || fail "an install into C:\\other deleted its python\\ (exit $code)"
[ "$code" = 2 ] && [ ! -e "$drive/other/uninstall.exe" ] || fail "an install into C:\\other: exit $code"
echo "C:\\other\\python\\ kept, exit code 2"

HC='C:\Program Files\hallclient\hallclient.cmd'
DATA="$profile/AppData/Local/hallclient"
step "hallclient.cmd --version, admin commands"
t=$(date +%s)
out="$(w cmd /c "$HC" --version | tr -d '\r')"
[ "$out" = "hallclient $APP_VERSION" ] || fail "--version said: $out"
echo "$out"
w cmd /c "$HC" admin import-hall | gbk | tail -n 1
printf '@echo off\r\necho check-pass-1| "C:\\Program Files\\hallclient\\hallclient.cmd" admin add-clerk zhangsan --name 张三 --password-stdin\r\n' \
    | iconv -f UTF-8 -t GB18030 > "$drive/check/add-clerk.cmd"
w cmd /c 'C:\check\add-clerk.cmd' | gbk | tail -n 1
w cmd /c "$HC" admin status --json > "$check/status.json" || { gbk < "$check/status.json"; fail "admin status"; }
python3 - "$check/status.json" <<'EOF' || fail "admin status --json"
import json, sys
status = json.loads(open(sys.argv[1], "rb").read().decode("gb18030"))
assert status["data_dir"].endswith("\\users\\张三\\AppData\\Local\\hallclient"), status["data_dir"]
assert status["schema_version"] > 0 and status["event_log"]["intact"] and status["windows"], status
print(f"data dir {status['data_dir']}, schema {status['schema_version']}, {len(status['windows'])} windows, event log intact")
EOF
[ -f "$DATA/hallclient.sqlite3" ] || fail "no database under the profile's AppData\\Local"
echo "$(took "$t")"

step "a case sent by admin sync-now to a platform simulator on loopback"
t=$(date +%s)
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PYTHONPATH="$REPO" python3 -m hallclient --data-dir "$check/platform" platform-sim --port "$PORT" \
    --device CHECK-W01=check-secret > "$check/sim.log" 2>&1 &
SIM_PID=$!
wait_for_http "http://127.0.0.1:$PORT/openapi.json" || { cat "$check/sim.log"; fail "the platform simulator did not start"; }
printf '@echo off\r\necho check-secret| "C:\\Program Files\\hallclient\\hallclient.cmd" admin set-device CHECK-W01 --secret-stdin\r\n' \
    > "$drive/check/set-device.cmd"
w cmd /c 'C:\check\set-device.cmd' | gbk | tail -n 1
w cmd /c "$HC" admin config --set "platform.url=http://127.0.0.1:$PORT" > /dev/null
case_no="$(w 'C:\Program Files\hallclient\python\python.exe' 'C:\check\accept_case.py' \
    'C:\users\张三\AppData\Local\hallclient' | gbk | tr -d '\r' | awk '/^accepted/ {print $2}')"
[ -n "$case_no" ] || fail "could not accept a case in the installed program"
echo "accepted $case_no"
w cmd /c "$HC" admin sync-now | gbk | tee "$check/sync.out" || fail "admin sync-now exited non-zero"
python3 - "$PORT" <<'EOF' || fail "the platform simulator has not recorded the case"
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/admin/stats", timeout=5))
assert stats["cases"] == 1 and stats["blobs"] >= 1, stats
print(f"platform simulator holds {stats['cases']} case, {stats['blobs']} attachment(s)")
EOF
w cmd /c "$HC" admin verify-log | gbk | tail -n 2 || fail "admin verify-log"
ls "$DATA/notices" > /dev/null 2>&1 || true
echo "$(took "$t")"

step "GUI self-test, Qt's offscreen platform (python.exe, then pythonw.exe without a console)"
t=$(date +%s)
out="$(w cmd /c 'C:\check\self-test.cmd' offscreen | gbk | tail -n 1)" || true
echo "$out"
case "$out" in "SELFTEST OK"*) ;; *) fail "self-test (offscreen): $out" ;; esac
console="$profile/Temp/hallclient-console.log"
rm -f "$console"
code=0; w cmd /c 'C:\check\self-test-pythonw.cmd' offscreen > /dev/null || code=$?
last="$(tail -n 1 "$console" 2> /dev/null || echo '(no console.log)')"
echo "pythonw.exe: exit $code, its console.log: $last"
[ "$code" = 0 ] && case "$last" in "SELFTEST OK"*) true ;; *) false ;; esac \
    || fail "self-test under pythonw.exe: exit $code, $last"
echo "$(took "$t")"

step "GUI self-test, Qt's windows platform on Xvfb"
t=$(date +%s)
code=0
out="$(WINEDEBUG=err+all,fixme-all wine cmd /c 'C:\check\self-test.cmd' windows < /dev/null 2>&1 \
       | cat | gbk)" || code=$?
if echo "$out" | grep -q '^SELFTEST OK'; then
    echo "windows platform: $(echo "$out" | grep '^SELFTEST')"
else
    why="$(echo "$out" | grep -m1 -E 'err:combase:RoGetActivationFactory|err:module:import_dll|unimplemented function' || true)"
    echo "windows platform: cannot start under wine (exit $code); the last wine error before Qt stopped: ${why:-none printed}"
    echo "$out" | grep -E '^(Fatal|SELFTEST)' | head -n 2 || true
fi
echo "$(took "$t")"

step "upgrade (the same program packed as a newer version) keeps the data"
t=$(date +%s)
newer="${APP_VERSION%.*}.$((${APP_VERSION##*.} + 1))"
makensis -V1 -DVERSION="$newer" -DSTAGE="$STAGE" -DOUTFILE="$check/setup-$newer.exe" "$HERE/hallclient.nsi"
touch "$app/site-packages/hallclient/removed_in_new_version.py"
w "$check/setup-$newer.exe" /S > /dev/null; wineserver -w
[ "$(version)" = "$newer" ] || fail "upgrade did not register $newer"
[ ! -e "$app/site-packages/hallclient/removed_in_new_version.py" ] || fail "upgrade left an old module behind"
[ -f "$DATA/hallclient.sqlite3" ] || fail "upgrade lost the database"
listed="$(w cmd /c "$HC" admin cases | gbk)" || fail "admin cases after the upgrade: $listed"
case "$listed" in *"$case_no"*) ;; *) fail "the case $case_no did not survive the upgrade: $listed" ;; esac
echo "version $(version), old module gone, case $case_no still there$(took "$t")"

step "uninstall leaves the users' data"
t=$(date +%s)
w "$app/uninstall.exe" /S > /dev/null; wineserver -w
[ ! -e "$app" ] || fail "Program Files\\hallclient still there: $(ls "$app")"
[ ! -e "$menu" ] || fail "Start-menu entries still there"
[ -z "$(version)" ] || fail "uninstall entry still there"
[ -f "$DATA/hallclient.sqlite3" ] || fail "uninstall removed the users' data"
echo "program, menu and registry entry gone; C:\\users\\张三\\AppData\\Local\\hallclient kept$(took "$t")"
echo
echo "WINE CHECK OK ($(($(date +%s) - started)) s)"
