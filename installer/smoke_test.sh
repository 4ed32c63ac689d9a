#!/usr/bin/env bash
# Smoke test for an installed hallclient (run by the installer builds and by the test suite):
# the real main window must start, sign in the demo clerk, call a ticket and exit 0.
set -euo pipefail
HALLCLIENT="${1:-hallclient}"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
out="$("$HALLCLIENT" --self-test 2>/dev/null)" || { echo "smoke test: self-test exited $?" >&2; exit 1; }
case "$out" in
    *"SELFTEST OK"*) echo "smoke test: $out" | tail -n 1 ;;
    *) echo "smoke test: no SELFTEST OK in output: $out" >&2; exit 1 ;;
esac
