#!/usr/bin/env bash
# The installed program is the tested program. Builds the wheel from the files of the
# checkout, installs it with the servers extra into a fresh virtual environment in a
# temporary folder and, from a folder outside the checkout, runs what IT runs after
# installing: the self-test (which uploads a case to a platform simulator and has it
# confirmed), the training self-test, admin status, admin sync-now against a platform
# simulator on loopback, and admin verify-log. Any failure stops with exit code 1.
#
#   installer/check-wheel.sh            # CI runs it after the test suite
#   KEEP=1 installer/check-wheel.sh     # keep the temporary folder to look at
set -euo pipefail
source "$(dirname "$0")/common.sh"        # REPO, step, die, copy_checkout

TMP="$(mktemp -d -t hallclient-wheel-XXXXXX)"
SIM_PID=""
cleanup() {
    [ -z "$SIM_PID" ] || kill "$SIM_PID" 2> /dev/null || true
    [ -z "$SIM_PID" ] || wait "$SIM_PID" 2> /dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "installed-wheel check FAILED: $*" >&2; exit 1; }
started=$(date +%s)

step "wheel from the checkout's files"
mkdir -p "$TMP/src" "$TMP/dist"
copy_checkout "$TMP/src"
python3 -m pip wheel --quiet --no-deps --wheel-dir "$TMP/dist" "$TMP/src" > "$TMP/wheel.log" 2>&1 \
    || { cat "$TMP/wheel.log"; fail "the wheel did not build"; }
WHEEL="$(ls "$TMP"/dist/hallclient-*.whl)"
echo "$(basename "$WHEEL"): $(python3 -c 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$WHEEL") files"

step "fresh virtual environment, the wheel with the servers extra"
python3 -m venv "$TMP/venv"
"$TMP/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL[servers]" \
    > "$TMP/install.log" 2>&1 || { tail -n 30 "$TMP/install.log"; fail "pip install of the wheel"; }
HC="$TMP/venv/bin/hallclient"
PY="$TMP/venv/bin/python"

# from a folder outside the checkout, with a home of its own: nothing of the checkout can be
# imported and nothing of the user's data is touched
OUTSIDE="$TMP/outside"
DATA="$TMP/data"
mkdir -p "$OUTSIDE" "$TMP/home"
cd "$OUTSIDE"
export HOME="$TMP/home" XDG_DATA_HOME="$TMP/home/.local/share" QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
where="$("$PY" -c 'import hallclient; print(hallclient.__file__)')"
case "$where" in "$TMP/venv/"*) ;; *) fail "hallclient imported from $where, not from the venv" ;; esac
"$HC" --version

step "hallclient --self-test"
out="$("$HC" --self-test 2> "$TMP/selftest.err")" || { tail -n 20 "$TMP/selftest.err"; fail "self-test: $out"; }
echo "$out" | grep "^SELFTEST OK" || fail "self-test printed no SELFTEST OK: $out"

step "hallclient --training --self-test"
out="$("$HC" --data-dir "$DATA" --training --self-test 2> "$TMP/training.err")" \
    || { tail -n 20 "$TMP/training.err"; fail "training self-test: $out"; }
echo "$out" | grep "^SELFTEST OK" || fail "training self-test printed no SELFTEST OK: $out"

step "hallclient admin status --json"
"$HC" --data-dir "$DATA" admin import-hall > /dev/null
"$HC" --data-dir "$DATA" admin status --json > "$TMP/status.json" || fail "admin status exited $?"
"$PY" - "$TMP/status.json" <<'EOF' || fail "admin status --json"
import json, sys
status = json.load(open(sys.argv[1], encoding="utf-8"))
assert status["schema_version"] > 0 and status["event_log"]["intact"], status
assert len(status["windows"]) > 0, status
print(f"schema {status['schema_version']}, {len(status['windows'])} windows, event log intact")
EOF

step "hallclient admin sync-now against a platform simulator on loopback"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$HC" --data-dir "$TMP/platform" platform-sim --port "$PORT" --device CHECK-W01=check-secret \
    > "$TMP/sim.log" 2>&1 &
SIM_PID=$!
wait_for_http "http://127.0.0.1:$PORT/openapi.json" || { cat "$TMP/sim.log"; fail "the platform simulator did not start"; }
echo check-secret | "$HC" --data-dir "$DATA" admin set-device CHECK-W01 --secret-stdin
"$HC" --data-dir "$DATA" admin config --set "platform.url=http://127.0.0.1:$PORT" > /dev/null
# a case accepted at this counter while the platform was not configured: with a scanned
# material, so the resumable attachment upload runs too (the installed package's own desk)
"$PY" "$REPO/installer/accept_case.py" "$DATA" || fail "could not accept a case in the installed program"
"$HC" --data-dir "$DATA" admin sync-now > "$TMP/sync.out" 2>&1 || { cat "$TMP/sync.out"; fail "admin sync-now exited non-zero"; }
cat "$TMP/sync.out"
"$PY" - "$PORT" <<'EOF' || fail "the platform simulator has not recorded the case"
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/admin/stats", timeout=5))
assert stats["cases"] == 1 and stats["blobs"] >= 1, stats
print(f"platform simulator holds {stats['cases']} case, {stats['blobs']} attachment(s)")
EOF

step "hallclient admin verify-log"
"$HC" --data-dir "$DATA" admin verify-log || fail "admin verify-log exited $?"

echo
echo "INSTALLED WHEEL OK ($(( $(date +%s) - started )) s)"
