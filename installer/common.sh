# Settings shared by the installer scripts (sourced, not run).
# shellcheck shell=bash
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${HALLCLIENT_BUILD_DIR:-$REPO/build/installer}"
OUT="$WORK/out"
APP_VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$REPO/hallclient/__init__.py")"

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
die() { echo "error: $*" >&2; exit 1; }
# copy_checkout DEST: what the checkout holds now (tracked and new files, not those deleted
# from the work tree, nothing git ignores) into DEST
copy_checkout() {
    (cd "$REPO" && git ls-files -co --exclude-standard -z \
        | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf -) | tar -xf - -C "$1"
}
# wait_for_http URL: until URL answers (30 s at most); exit status 1 if it never does
wait_for_http() {
    python3 - "$1" <<'EOF'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(1)
EOF
}
