#!/usr/bin/env bash
# Smoke test of the .deb in a clean Debian 11 root that has nothing but Xvfb:
#   1. apt-get install the package (its Depends come from the mirror); the program reports the
#      package's version, and the OpenSSL its Python and Qt use is the bundled OpenSSL 3
#   2. as an ordinary user: hallclient --self-test offscreen and under Xvfb, timed, and a
#      screenshot of the demo window under Xvfb
#   3. upgrade: a training case made by version N is still there after installing N+1
#   4. the glibc ceiling of the installed files
#   5. purge (and autoremove): nothing of the package is left on the system, and nothing that
#      was there before (/opt) is gone
#
#   sudo installer/linux/smoke-deb.sh OLD.deb [NEW.deb]
# With one .deb the upgrade step re-installs the same file. The hall server listens on
# 127.0.0.1:$SMOKE_HALL_PORT (default 8710). Results in build/installer/smoke/.
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ $# -ge 1 ] || die "usage: $0 OLD.deb [NEW.deb]"
DEB_N="$(readlink -f "$1")"
DEB_N1="$(readlink -f "${2:-$1}")"
need_root debootstrap dpkg-deb readelf
HALL_PORT="${SMOKE_HALL_PORT:-8710}"
base_root
ROOT="$WORK/roots/$SUITE-$ARCH-smoke"
RESULTS="$WORK/smoke"
mkdir -p "$RESULTS"
LOG="$RESULTS/smoke.log"
: > "$LOG"
say() { echo "$*" | tee -a "$LOG"; }
fail() { say "SMOKE FAILED: $*"; exit 1; }

step "clean root"
rm -rf "$ROOT"
cp -a "$BASE" "$ROOT"
enter_root "$ROOT"
in_root "$ROOT" apt-get update -q > /dev/null
in_root "$ROOT" apt-get install -y -q --no-install-recommends xvfb xauth > /dev/null
in_root "$ROOT" useradd -m -s /bin/bash clerk

# what the root holds before the package, to compare after the purge
snapshot() {
    in_root "$ROOT" find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \
        -o -path /run -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
        -o -path /var/log -o -path /home/clerk -o -path /root \) -prune -o -print | LC_ALL=C sort
}
snapshot > "$RESULTS/before.txt"

step "install $(basename "$DEB_N")"
cp "$DEB_N" "$ROOT/tmp/n.deb"
t0=$(date +%s)
in_root "$ROOT" apt-get install -y -q --no-install-recommends /tmp/n.deb > "$RESULTS/install.log" 2>&1 \
    || { tail -20 "$RESULTS/install.log"; fail "apt-get install"; }
say "installed $(in_root "$ROOT" dpkg-query -W -f '${Package} ${Version}' "$APPID") in $(($(date +%s) - t0)) s"
same_version() {   # the program reports the version of the installed package
    local package program
    package="$(in_root "$ROOT" dpkg-query -W -f '${Version}' "$APPID")"
    program="$(in_root "$ROOT" su clerk -c 'hallclient --version')"
    say "hallclient --version: $program"
    [ "$program" = "hallclient $package" ] || fail "package $package, but the program says '$program'"
}
same_version
INTERNAL="$ROOT/opt/apps/$APPID/files/hallclient/_internal"
say "OpenSSL of the bundled Python: $(python3 "$REPO/installer/linux/openssl_version.py" "$INTERNAL")" \
    || fail "no OpenSSL 3 in the package"

as_clerk() {   # as_clerk COMMAND: in a login shell of the ordinary user
    in_root "$ROOT" su - clerk -c "$1"
}

timed_self_test() {   # timed_self_test LABEL COMMAND-PREFIX EXTRA-ARGS
    local label="$1" prefix="$2" extra="$3" out
    out="$(as_clerk "start=\$(date +%s%N); $prefix hallclient --self-test $extra 2>/dev/null \
        | while IFS= read -r line; do echo \"\$(( (\$(date +%s%N) - start) / 1000000 )) ms  \$line\"; done")" \
        || true
    echo "$out" | sed "s/^/  [$label] /" | tee -a "$LOG"
    echo "$out" | grep -q "SELFTEST OK" || fail "self-test $label"
}

step "every library the bundle links resolves on the installed system"
# optional Qt plugins that load only where their system part is there: the GTK theme, the
# speech-dispatcher voice (Recommends), VA-API video decoding, Wayland-EGL and EGLFS
in_root "$ROOT" bash -c "cd /opt/apps/$APPID/files/hallclient/_internal && find . -name '*.so*' -type f \
    | grep -v -e platformthemes/libqgtk3 -e texttospeech_speechd -e FFmpegStub-va -e egldeviceintegrations \
         -e wayland-graphics-integration -e libqeglfs \
    | while read -r lib; do LD_LIBRARY_PATH=. ldd \"\$lib\" 2>/dev/null | grep 'not found' | sed \"s|^|\$lib: |\"; done" \
    > "$RESULTS/unresolved.txt" || true
if [ -s "$RESULTS/unresolved.txt" ]; then
    sort -u "$RESULTS/unresolved.txt" | head -20 | tee -a "$LOG"
    fail "libraries missing from Depends"
fi
say "all bundled libraries resolve"
ssl_links="$(in_root "$ROOT" bash -c "cd /opt/apps/$APPID/files/hallclient/_internal &&
    LD_LIBRARY_PATH=\$PWD ldd \$(find . -name '_ssl.*.so')" \
    | awk '/lib(ssl|crypto)/ {print $1, $3}' | tr '\n' ' ')"
say "the ssl module links: $ssl_links"
[[ "$ssl_links" == *"libssl.so.3 /opt/apps/$APPID/"* ]] || fail "the ssl module does not use the bundled libssl.so.3"

step "self-test offscreen and under Xvfb"
timed_self_test offscreen "QT_QPA_PLATFORM=offscreen" ""
timed_self_test xvfb "xvfb-run -a -s '-screen 0 1366x768x24' env QT_QPA_PLATFORM=xcb" ""
for i in 1 2 3; do   # start-up: three more cold-ish starts to the first paint, under Xvfb
    timed_self_test "xvfb run $i" "xvfb-run -a -s '-screen 0 1366x768x24' env QT_QPA_PLATFORM=xcb" ""
done

step "Qt's TLS backend"
# Qt 6.8 loads libssl.so.3 itself when the network layer starts; with OpenSSL 1.1 it said
# "qt.tlsbackend.ossl: Incompatible version of OpenSSL"
as_clerk 'QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="qt.tlsbackend.*=true;qt.network.ssl*=true" \
    hallclient --self-test' > "$RESULTS/tls-selftest.out" 2> "$RESULTS/tls-selftest.err" || true
tls_lines="$(grep -i -e tlsbackend -e 'network.ssl' -e openssl "$RESULTS/tls-selftest.err" | sort -u || true)"
if grep -qi 'incompatible' <<< "$tls_lines"; then
    say "$tls_lines"; fail "Qt's TLS backend refuses the bundled OpenSSL"
fi
say "Qt's TLS backend: ${tls_lines:-no complaint (no qt.tlsbackend line: this self-test did not load it)}"

step "kiosk self-test and the hall server from the installed package"
timed_self_test kiosk "QT_QPA_PLATFORM=offscreen" "kiosk"
health="$(as_clerk 'hallclient --data-dir ~/hall hall-server import-hall > /dev/null &&
    (hallclient --data-dir ~/hall hall-server --host 127.0.0.1 --port '"$HALL_PORT"' > ~/hall-server.log 2>&1 &
     echo $! > ~/hall-server.pid);
    for i in $(seq 40); do
        if exec 3<> /dev/tcp/127.0.0.1/'"$HALL_PORT"'; then
            printf "GET /api/v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3; cat <&3; break
        fi 2> /dev/null; sleep 0.25
    done; kill $(cat ~/hall-server.pid)')" || true
echo "$health" | grep -q "200 OK" || fail "the hall server did not answer /api/v1/health: $health"
say "hall server: $(echo "$health" | head -n1 | tr -d '\r'), $(echo "$health" | tail -n1)"

step "screenshot of the installed demo under Xvfb"
mkdir -p "$ROOT/tmp/fb" && chmod 777 "$ROOT/tmp/fb"
as_clerk "(Xvfb :7 -screen 0 1366x768x24 -fbdir /tmp/fb -nolisten tcp & echo \$! > /tmp/fb/xvfb.pid); sleep 1;
    DISPLAY=:7 QT_QPA_PLATFORM=xcb timeout 12 hallclient --demo > /dev/null 2>&1 & sleep 9;
    cp /tmp/fb/Xvfb_screen0 /tmp/fb/demo.xwd; kill \$(cat /tmp/fb/xvfb.pid)" || true
if [ -s "$ROOT/tmp/fb/demo.xwd" ] && command -v convert > /dev/null; then
    convert "xwd:$ROOT/tmp/fb/demo.xwd" "$RESULTS/installed-demo.png" && say "screenshot: $RESULTS/installed-demo.png"
fi

step "upgrade keeps the data"
first="$(as_clerk 'QT_QPA_PLATFORM=offscreen hallclient --training --self-test 2>/dev/null' | grep 'SELFTEST OK')" \
    || fail "training self-test on version N"
case_no="$(echo "$first" | sed -n 's/.*受理 \([0-9A-Z]*\).*/\1/p')"
[ -n "$case_no" ] || fail "no case number in: $first"
as_clerk "hallclient --training admin config --set 'hall.name=升级测试大厅' > /dev/null"
say "version N made training case $case_no"
cp "$DEB_N1" "$ROOT/tmp/n1.deb"
in_root "$ROOT" apt-get install -y -q --no-install-recommends /tmp/n1.deb > "$RESULTS/upgrade.log" 2>&1 \
    || { tail -20 "$RESULTS/upgrade.log"; fail "apt-get install of N+1"; }
say "upgraded to $(in_root "$ROOT" dpkg-query -W -f '${Version}' "$APPID")"
same_version
listed="$(as_clerk 'hallclient --training admin cases')"
echo "$listed" | grep -q "$case_no" || fail "case $case_no gone after the upgrade: $listed"
as_clerk 'hallclient --training admin config --list' | grep -q '升级测试大厅' || fail "configuration lost"
as_clerk 'hallclient --training admin verify-log' > /dev/null || fail "event log broken after the upgrade"
say "after the upgrade: $listed"
backed="$(as_clerk 'mkdir -p ~/backups && hallclient --training admin backup ~/backups')" || fail "admin backup"
say "backup of the training data: $(echo "$backed" | tr -d '\n ' | sed 's/,"restore".*//')}"
timed_self_test "after upgrade" "QT_QPA_PLATFORM=offscreen" ""

step "glibc ceiling of the installed files"
python3 "$REPO/installer/linux/glibc_ceiling.py" "$ROOT/opt/apps/$APPID/files" | tee -a "$LOG"

step "desktop entries"
for desktop in "$ROOT/opt/apps/$APPID/entries/applications/$APPID.desktop" \
               "$ROOT/usr/share/applications/$APPID.desktop"; do
    desktop-file-validate "$desktop" && say "desktop-file-validate OK: ${desktop#"$ROOT"}"
done

step "purge"
in_root "$ROOT" apt-get purge -y -q "$APPID" > "$RESULTS/purge.log" 2>&1
in_root "$ROOT" apt-get autoremove --purge -y -q >> "$RESULTS/purge.log" 2>&1
snapshot > "$RESULTS/after.txt"
leftover="$(LC_ALL=C comm -13 "$RESULTS/before.txt" "$RESULTS/after.txt")"
gone="$(LC_ALL=C comm -23 "$RESULTS/before.txt" "$RESULTS/after.txt")"
# dpkg removes an empty directory the package listed and no other package lists: the package
# must not list what it did not make (/opt)
[ -z "$gone" ] || { say "gone since before the install: $gone"; fail "purge removed what was there before"; }
[ -d "$ROOT/opt" ] || fail "/opt is gone"
# a dependency apt keeps (Priority: required, which autoremove never takes) owns its files;
# anything new that no installed package owns was left behind by ours
orphans=""
kept=""
while IFS= read -r path; do
    [ -n "$path" ] || continue
    if owner="$(in_root "$ROOT" dpkg-query -S "$path" 2> /dev/null)"; then
        kept="$kept ${owner%%:*}"
    else
        orphans="$orphans$path"$'\n'
    fi
done <<< "$leftover"
kept="$(echo "$kept" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
[ -z "${kept// /}" ] || say "note: dependencies apt keeps after autoremove (their own files):$kept"
if [ -n "$orphans" ]; then
    say "left after purge, owned by no package:"; say "$orphans"
    fail "purge left files behind"
fi
[ ! -e "$ROOT/opt/apps/$APPID" ] || fail "/opt/apps/$APPID still there"
say "purge: nothing left outside the user's own data ($(as_clerk 'du -sh ~/.local/share/hallclient' | cut -f1) in ~clerk, kept as users' data is)"
leave_roots
say "SMOKE OK"
