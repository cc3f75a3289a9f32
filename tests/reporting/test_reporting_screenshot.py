"""The report renders in a real browser: headless Chromium takes a screenshot and it is checked."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from o3_governance.cli.reporting import cmd_screenshot
from o3_governance.reporting import screenshot

from support.reporting import AS_OF, build, demo_night, seed, write_policy

ROOT = Path(__file__).resolve().parents[2]
needs_chromium = pytest.mark.skipif(not Path(screenshot.CHROMIUM).exists(),
                                    reason="/usr/bin/chromium missing: install the Debian package `chromium`")


@needs_chromium
def test_report_renders_in_headless_chromium(data_layout, tmp_path):
    seed(data_layout)
    html = build(data_layout, AS_OF, write_policy(tmp_path)).html
    png = screenshot.take(html, tmp_path / "report.png", chromium=screenshot.find_chromium(None))
    info = screenshot.inspect_png(png)
    assert (info.width, info.height) == (1280, 4000)
    assert screenshot.check(info) == []
    assert info.colours_seen["blue"] > 1000 and info.colours_seen["orange"] > 500


@needs_chromium
def test_script_screenshots_the_demo_nights_report(data_layout, tmp_path):
    """What `make` would run after the demo night: the script finds the newest report itself."""
    demo_night(data_layout)
    build(data_layout, AS_OF)
    proc = subprocess.run([str(ROOT / "tools" / "screenshot_report.sh")], capture_output=True, text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", "O3_DATA_DIR": str(data_layout.root),
                               "PYTHON": str(ROOT / ".venv" / "bin" / "python")})
    assert proc.returncode == 0, proc.stderr
    png = data_layout.reports / "screenshots" / "2026-11-24.png"
    assert proc.stdout.strip() == str(png) and png.stat().st_size > 10_000
    info = screenshot.inspect_png(png)
    assert info.colours_seen["orange"] > 100      # the findings chart of the demo night is drawn


def test_check_rejects_a_blank_page(tmp_path):
    """The checker itself: a white PNG of the right size is not a rendered report."""
    import struct
    import zlib

    w, h = 1280, 40
    raw = b"".join(b"\x00" + b"\xff" * (w * 3) for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = tmp_path / "blank.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    problems = screenshot.check(png, width=w, height=h)
    assert any("blank" in p for p in problems) and any("chart colour" in p for p in problems)
    assert any("size" in p for p in screenshot.check(png))


def test_missing_chromium_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="chromium not installed"):
        screenshot.take(tmp_path / "r.html", tmp_path / "r.png", chromium=None)


def test_the_configured_chromium_comes_first_and_must_be_executable(tmp_path):
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert screenshot.find_chromium(str(browser)) == str(browser)
    browser.chmod(0o644)   # not executable: the configured path is passed over
    assert screenshot.find_chromium(str(browser)) != str(browser)
    assert screenshot.find_chromium(str(tmp_path / "missing")) != str(tmp_path / "missing")


FAKE_CHROMIUM = """#!{python}
import struct, sys, zlib
out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--screenshot="))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
raw = b"".join(b"\\x00" + b"\\xff" * 30 for _ in range(10))
open(out, "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0))
                      + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
"""


def test_screenshot_command_uses_the_configured_browser_and_the_newest_report(data_layout, tmp_path, monkeypatch,
                                                                               capsys):
    """``o3-governance screenshot-report``: O3_CHROMIUM is read by the entry point and used; the newest
    report is found; the PNG goes beside the reports; a page that did not render is a failure."""
    args = argparse.Namespace(html=None, png=None)
    assert cmd_screenshot(args) == 2 and "no report found" in capsys.readouterr().err
    seed(data_layout, full=False)
    build(data_layout, AS_OF, write_policy(tmp_path))
    browser = tmp_path / "fake-chromium"
    browser.write_text(FAKE_CHROMIUM.format(python=sys.executable))
    browser.chmod(0o755)
    monkeypatch.setenv("O3_CHROMIUM", str(browser))
    assert cmd_screenshot(args) == 1           # the fake browser draws a blank 10x10 page
    out, err = capsys.readouterr()
    png = data_layout.reports / "screenshots" / "2026-11-24.png"
    assert out.strip() == str(png) and png.is_file()
    assert "size 10x10" in err and "blank" in err
