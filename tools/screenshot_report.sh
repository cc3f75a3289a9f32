#!/bin/sh
# Headless Chromium screenshot of an audit report, then a check that it rendered (size, not blank,
# chart colours present). Makefile-ready: exits non-zero when Chromium is missing or the check fails.
#   tools/screenshot_report.sh                      # newest report under $O3_DATA_DIR/reports (default ./data)
#   tools/screenshot_report.sh REPORT.html OUT.png
# Chromium runs as: chromium --headless --no-sandbox --disable-gpu --disable-background-networking
#   --disable-component-update --disable-sync --no-first-run --user-data-dir=<tmp> --screenshot=OUT
#   --window-size=1280,4000 file://REPORT   (Debian package `chromium`; override with O3_CHROMIUM=/path)
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m o3_governance.cli screenshot-report "$@"
