#!/usr/bin/env bash
# Chinese input through the system's fcitx5, as UOS and Kylin configure it (QT_IM_MODULE=fcitx):
# types "nihao" + space with xdotool into a line edit of our Qt application and expects 你好.
# Opt-in; needs: apt-get install xvfb xdotool dbus fcitx5 fcitx5-chinese-addons
#   installer/linux/ime-check.sh [PYTHON]     (default python3, with hallclient importable)
set -euo pipefail
PYTHON="${1:-python3}"
for tool in Xvfb xdotool dbus-run-session fcitx5; do
    command -v "$tool" > /dev/null || { echo "$tool is missing" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/home/.config/fcitx5" "$work/run"
chmod 700 "$work/run"
cat > "$work/home/.config/fcitx5/profile" << 'PROFILE'
[Groups/0]
Name=Default
Default Layout=us
DefaultIM=pinyin

[Groups/0/Items/0]
Name=keyboard-us
Layout=

[Groups/0/Items/1]
Name=pinyin
Layout=

[GroupOrder]
0=Default
PROFILE
cat > "$work/edit.py" << 'PY'
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit
from hallclient.app import qt_application
app = qt_application()
edit = QLineEdit()
edit.show()
edit.activateWindow()
edit.setFocus()
QTimer.singleShot(8000, lambda: (print("TEXT", edit.text(), flush=True), app.quit()))
app.exec()
PY
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1024x768x24 > /dev/null 2>&1 &
sleep 1
export HOME="$work/home" DISPLAY="$display" XDG_RUNTIME_DIR="$work/run" QT_QPA_PLATFORM=xcb
export QT_IM_MODULE=fcitx XMODIFIERS=@im=fcitx      # what UOS and Kylin set in a session
out="$(dbus-run-session -- bash -c "
    fcitx5 -r -d --disable=wayland > '$work/fcitx5.log' 2>&1; sleep 3
    '$PYTHON' '$work/edit.py' 2> /dev/null &
    sleep 3; xdotool key ctrl+space; sleep 0.5; xdotool type --delay 80 nihao; sleep 0.5
    xdotool key space; wait; pkill -x fcitx5" 2> /dev/null)"
echo "$out"
case "$out" in
    *"TEXT 你好"*) echo "IME OK: fcitx5 pinyin typed 你好 into our Qt" ;;
    *) echo "IME FAILED: expected 你好" >&2; exit 1 ;;
esac
