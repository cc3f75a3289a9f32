"""Inline SVG charts: the report must open anywhere, offline, with no script and no external file."""
from __future__ import annotations

from html import escape
from typing import Sequence

from markupsafe import Markup

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#2c7a7b", "#4a5568",
           "#d53f8c", "#718096")
_FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def _fmt(n: float) -> str:
    return f"{int(n):,}".replace(",", "\u00a0") if float(n).is_integer() else f"{n:.1f}"


def _empty(title: str, width: int) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40" role="img" aria-label="{escape(title)}: no data">'
        f'<text x="4" y="24" font-size="13" fill="#718096" {_FONT}>no data</text></svg>')


def hbar_chart(items: Sequence[tuple[str, float]], title: str, width: int = 640, color: str = PALETTE[0],
               label_width: int = 210) -> Markup:
    """Horizontal bars: one row per label (categories, chats, rules)."""
    items = [(str(k), float(v)) for k, v in items]
    if not items:
        return _empty(title, width)
    row, top = 22, 6
    height = top + row * len(items) + 6
    peak = max(v for _, v in items) or 1.0
    plot = width - label_width - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(1.0, plot * value / peak) if value else 0
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#2d3748" {_FONT}>'
                     f'{escape(label[:34])}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" fill="{color}" rx="2">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></rect>')
        parts.append(f'<text x="{label_width + w + 5:.1f}" y="{y + 15}" font-size="12" fill="#4a5568" {_FONT}>{_fmt(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(items: Sequence[tuple[str, float]], title: str, width: int = 900, height: int = 220,
                 color: str = PALETTE[0]) -> Markup:
    """Vertical columns along time (months)."""
    items = [(str(k), float(v)) for k, v in items]
    if not items:
        return _empty(title, width)
    left, bottom, top, right = 48, 46, 14, 10
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(v for _, v in items) or 1.0
    step = plot_w / len(items)
    bar = max(2.0, step * 0.7)
    every = max(1, len(items) // 24 + (1 if len(items) > 24 else 0))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#a0aec0"/>']
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#edf2f7"/>')
        parts.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#718096" {_FONT}>'
                     f'{_fmt(round(peak * frac))}</text>')
    for i, (label, value) in enumerate(items):
        h = plot_h * value / peak
        x = left + i * step + (step - bar) / 2
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></rect>')
        if i % every == 0:
            cx = x + bar / 2
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" font-size="10" fill="#4a5568" text-anchor="end" '
                         f'transform="rotate(-45 {cx:.1f} {top + plot_h + 14})" {_FONT}>{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(months: Sequence[str], series: dict[str, dict[str, float]], title: str, width: int = 900,
                    height: int = 240) -> Markup:
    """Columns per month, stacked by series (e.g. finding category), with a legend."""
    names = sorted(series, key=lambda s: -sum(series[s].values()))
    if not months or not names:
        return _empty(title, width)
    shown = names[:len(PALETTE) - 1]
    other = names[len(shown):]
    colors = {n: PALETTE[i] for i, n in enumerate(shown)}
    if other:
        colors["other"] = PALETTE[-1]
        series = dict(series)
        series["other"] = {m: sum(series[n].get(m, 0) for n in other) for m in months}
        shown = shown + ["other"]
    legend_rows = (len(shown) + 3) // 4
    left, top, right = 48, 14, 10
    plot_w, plot_h = width - left - right, height - top - 46
    height = height + 18 * legend_rows
    totals = [sum(series[n].get(m, 0) for n in shown) for m in months]
    peak = max(totals) or 1.0
    step = plot_w / len(months)
    bar = max(2.0, step * 0.7)
    every = max(1, len(months) // 24 + (1 if len(months) > 24 else 0))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#a0aec0"/>',
             f'<text x="{left - 5}" y="{top + 4}" text-anchor="end" font-size="11" fill="#718096" {_FONT}>{_fmt(peak)}</text>']
    for i, month in enumerate(months):
        x = left + i * step + (step - bar) / 2
        base = top + plot_h
        for n in shown:
            v = series[n].get(month, 0)
            if not v:
                continue
            h = plot_h * v / peak
            base -= h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colors[n]}">'
                         f'<title>{escape(month)} · {escape(n)}: {_fmt(v)}</title></rect>')
        if i % every == 0:
            cx = x + bar / 2
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" font-size="10" fill="#4a5568" text-anchor="end" '
                         f'transform="rotate(-45 {cx:.1f} {top + plot_h + 14})" {_FONT}>{escape(month)}</text>')
    ly = top + plot_h + 52
    for i, n in enumerate(shown):
        x = left + (i % 4) * (plot_w / 4)
        y = ly + (i // 4) * 18
        parts.append(f'<rect x="{x:.1f}" y="{y - 10}" width="11" height="11" fill="{colors[n]}"/>'
                     f'<text x="{x + 16:.1f}" y="{y}" font-size="11" fill="#2d3748" {_FONT}>{escape(n)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
