"""Headless Chromium screenshot of a report, and a check that the page really rendered.

``o3-governance screenshot-report [REPORT_HTML] [OUT_PNG]`` (``tools/screenshot_report.sh``; default:
the newest report under ``$O3_DATA_DIR/reports``) runs it. Chromium runs with no network-facing features, a throw-away
profile and no sandbox (it runs as root in CI containers). The PNG is decoded here (zlib, no
imaging library) to check size, that it is not blank, and that the charts' colours are on it.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from o3_governance.reporting.history import dated_folders

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 4000

# Colours the report draws with: header rule and bar charts (blue), findings bars (orange). Blue is
# on every report; orange only when there are findings, so the check requires blue and the caller
# can require more from ``colours_seen``.
EXPECTED_COLOURS = {"blue": (0x2b, 0x6c, 0xb0), "orange": (0xc0, 0x56, 0x21)}
REQUIRED_COLOURS = ("blue",)


def find_chromium(configured: str | None) -> str | None:
    """The browser to use: ``configured`` (``O3_CHROMIUM``, passed by the entry point) when it is an
    executable file, else the Debian package's, else one on the PATH."""
    for candidate in (configured, CHROMIUM, shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def take(html: Path, png: Path, *, chromium: str | None, width: int = WIDTH, height: int = HEIGHT,
         timeout: float = 120) -> Path:
    """``chromium``: the browser's path (see :func:`find_chromium`); None when there is none."""
    if not chromium:
        raise FileNotFoundError("chromium not installed (Debian package `chromium`)")
    html, png = Path(html).resolve(), Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="o3-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--screenshot={png}",
               f"--window-size={width},{height}", html.as_uri()]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode})")
    return png


@dataclass
class PngInfo:
    width: int
    height: int
    non_white_fraction: float
    colours_seen: dict[str, int]   # name -> pixels close to that expected colour
    distinct_colours: int


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError("PNG uses an unknown row filter")
        rows.append(line)
        prev = line
    return rows


def inspect_png(png: Path, sample_step: int = 2) -> PngInfo:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) and measure what is on it."""
    data = Path(png).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, width = 8, [], 0
    height = color_type = bit_depth = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, bit_depth, color_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if bit_depth != 8 or color_type not in (2, 6):
        raise ValueError("PNG is not 8-bit RGB or RGBA")
    bpp = 3 if color_type == 2 else 4
    rows = _unfilter(zlib.decompress(b"".join(idat)), width, height, bpp)
    non_white = total = 0
    seen = {name: 0 for name in EXPECTED_COLOURS}
    colours: set[tuple[int, int, int]] = set()
    for y in range(0, height, sample_step):
        line = rows[y]
        for x in range(0, width, sample_step):
            r, g, b = line[x * bpp], line[x * bpp + 1], line[x * bpp + 2]
            total += 1
            if r < 245 or g < 245 or b < 245:
                non_white += 1
            if len(colours) < 100_000:
                colours.add((r >> 3, g >> 3, b >> 3))
            for name, (er, eg, eb) in EXPECTED_COLOURS.items():
                if abs(r - er) < 12 and abs(g - eg) < 12 and abs(b - eb) < 12:
                    seen[name] += 1
    return PngInfo(width, height, non_white / max(total, 1), seen, len(colours))


def check(png: "Path | PngInfo", width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    """Problems with a report screenshot (a PNG file, or what ``inspect_png`` found on it); empty
    when it looks rendered."""
    info = png if isinstance(png, PngInfo) else inspect_png(png)
    problems = []
    if (info.width, info.height) != (width, height):
        problems.append(f"size {info.width}x{info.height}, expected {width}x{height}")
    if info.non_white_fraction < 0.02:
        problems.append(f"page looks blank ({info.non_white_fraction:.1%} non-white)")
    for name in REQUIRED_COLOURS:
        n = info.colours_seen[name]
        if n < 50:
            problems.append(f"chart colour {name} hardly present ({n} px): charts or styles not rendered")
    if info.distinct_colours < 20:
        problems.append("too few colours: text and charts not rendered")
    return problems


def latest_report(reports: Path) -> Path | None:
    for folder in dated_folders(reports):
        if (folder / "report.html").is_file():
            return folder / "report.html"
    return None
