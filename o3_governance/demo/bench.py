"""Large synthetic exports for the benchmarks: one chat, millions of messages, written in chunks.

Speed comes from doing the expensive work once: message bodies, author prefixes and clock strings are
pre-rendered pools, and the loop only draws indexes from ``random.Random(seed)`` and joins strings.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator

import phonenumbers

from o3_governance.demo import formats as F
from o3_governance.demo import people as P
from o3_governance.demo import phrases
from o3_governance.demo.planted import SENTENCES

_POOL = 16384         # bodies per pool (power of two: indexes are getrandbits(_BITS))
_BITS = 14
_START = date(2023, 6, 1)
_SPAN_SECONDS = 3 * 365 * 86400
_AUTHORS = (P.WOUT, P.SOFIE, P.KEVIN, P.PIETER, P.LOTTE, P.YANNICK, P.EMRE, P.BRAM, P.GEERT, P.TOM,
            P.ANNE, P.MARC, P.JULIEN, P.WOUT, P.SOFIE, P.KEVIN)            # 16: getrandbits(4)
_DIALECT = {("android", "en"): "en24", ("android", "nl"): "nl", ("android", "fr"): "fr",
            ("ios", "en"): "ios", ("ios", "nl"): "ios", ("ios", "fr"): "ios"}
# kinds by getrandbits(10): 0.2 % system, 1.2 % deleted, 7 % media, 0.4 % planted, the rest text
_SYSTEM, _DELETED, _MEDIA, _PLANTED = 2, 14, 86, 90


@dataclass(frozen=True)
class BenchExport:
    path: Path
    messages: int
    bytes: int
    type_counts: dict[str, int] = field(default_factory=dict)
    planted: int = 0          # messages carrying a planted identifier or special-category phrase


def _unsaved(person) -> str:
    """An author the exporting phone has not saved: shown as the number (international format)."""
    return phonenumbers.format_number(phonenumbers.parse(person.phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _bodies(language: str, rng: random.Random, edited_marker: str | None) -> list[str]:
    firsts = [p.first_name for p in _AUTHORS]
    out = []
    for _ in range(_POOL):
        body = phrases.text(language, rng, rng.choice(firsts))
        if edited_marker and rng.random() < 0.03:
            body += " " + edited_marker
        out.append(body)
    decoys = [s.text for s in SENTENCES if s.decoy and s.language == language]
    for i, d in enumerate(decoys):   # decoys are everyday text: a few fixed slots in the pool
        out[(i * 97) % _POOL] = d
    return out


def _planted(language: str) -> list[str]:
    return [s.text for s in SENTENCES if not s.decoy and s.language == language and s.entities]


def generate_bench_export(path: Path, n_messages: int, seed: int = 1, platform: str = "android",
                          language: str = "nl", chunk: int = 20_000) -> BenchExport:
    """Streams one exported chat of ``n_messages`` messages (system line first) to ``path``."""
    if platform not in ("android", "ios") or language not in ("nl", "fr", "en"):
        raise ValueError("platform must be android or ios, language nl, fr or en")
    if n_messages < 1:
        raise ValueError("n_messages must be at least 1")
    rng = random.Random(seed)
    ios = platform == "ios"
    dialect = _DIALECT[(platform, language)]
    nl_ = "\r\n" if ios else "\n"
    lrm = F.LRM
    edited = (lrm if ios else "") + F.EDITED[language]
    bodies = _bodies(language, rng, edited)
    planted = _planted(language)
    if ios:
        authors = [(F.ios_phone_author(_unsaved(p)) if p is P.JULIEN else p.name) + ": " for p in _AUTHORS]
        deleted = lrm + F.IOS_DELETED[language]
        omitted = lrm + F.IOS_OMITTED[language]["PHOTO"]
        attached = lrm + F.IOS_ATTACHED[language]
    else:
        authors = [(_unsaved(p) if p is P.JULIEN else p.name) + ": " for p in _AUTHORS]
        deleted = F.ANDROID_DELETED[language]
        omitted = F.ANDROID_OMITTED[language]
        attached = F.ANDROID_ATTACHED[language]
    system_lines = [F.ANDROID_SYSTEM["added"][language].format(a=P.SOFIE.name, b=p.name) for p in _AUTHORS[:8]]
    system_lines += [F.ANDROID_SYSTEM["icon"][language].format(a=p.name) for p in _AUTHORS[:8]]
    if ios:
        chat = "Benchmark: "  # iOS system lines carry the chat name as author
        system_lines = [lrm + chat + lrm + s for s in (F.IOS_SYSTEM["added"][language].format(a=P.SOFIE.name, b=p.name)
                                                     for p in _AUTHORS[:16])]

    mean_gap = max(1, _SPAN_SECONDS // n_messages)
    gaps = [max(1, int(rng.expovariate(1 / mean_gap))) for _ in range(4096)]   # getrandbits(12)
    # clock strings for every second / minute of a day, rendered once
    if ios:
        clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}] " for s in range(86400)]
    elif dialect == "en12":
        clock = [f"{(m // 60) % 12 or 12}:{m % 60:02d}{F.NNBSP}{'PM' if m >= 720 else 'AM'} - " for m in range(1440)]
    else:
        clock = [f"{m // 60:02d}:{m % 60:02d} - " for m in range(1440)]
    div = 1 if ios else 60
    counts = {"text": 0, "media": 0, "system": 0, "deleted": 0}
    n_planted = 0
    written = 0

    def day_prefix(day: date) -> str:
        h = F.header(dialect, datetime(day.year, day.month, day.day))
        return h[: h.index(" ") + 1] if ios else h[: len(h) - len("00:00 - ")]

    day_index = 0
    day = _START
    prefix = day_prefix(day)
    ymd = day.strftime("%Y%m%d")
    secs = 8 * 3600
    media_seq = 12          # iOS numbers attachments per chat
    per_day = 0             # Android numbers them per day
    getbits = rng.getrandbits
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as out:
        first = F.E2E[(platform, language)]
        head = prefix + clock[secs // div]
        out.write((head + "Benchmark: " + lrm + first if ios else head + first) + nl_)
        done = 1
        counts["system"] += 1
        while done < n_messages:
            parts: list[str] = []
            append = parts.append
            for _ in range(min(chunk, n_messages - done)):
                secs += gaps[getbits(12)]
                if secs >= 86400:
                    step, secs = divmod(secs, 86400)
                    day_index += step
                    day = _START + timedelta(days=day_index)
                    prefix = day_prefix(day)
                    ymd = day.strftime("%Y%m%d")
                    per_day = 0
                head = prefix + clock[secs // div]
                r = getbits(10)
                if r >= _PLANTED:
                    append(head + authors[getbits(4)] + bodies[getbits(_BITS)] + nl_)
                    counts["text"] += 1
                elif r < _SYSTEM:
                    append((lrm + head + system_lines[getbits(4)] if ios else head + system_lines[getbits(4)]) + nl_)
                    counts["system"] += 1
                elif r < _DELETED:
                    append(head + authors[getbits(4)] + deleted + nl_)
                    counts["deleted"] += 1
                elif r < _MEDIA:
                    if getbits(3) == 0:
                        body = omitted
                    elif ios:
                        hms = clock[secs][:8].replace(":", "-")
                        body = attached.format(f"{media_seq:08d}-PHOTO-{day:%Y-%m-%d}-{hms}.jpg")
                        media_seq += 1
                    else:
                        body = f"{lrm}IMG-{ymd}-WA{per_day:04d}.jpg {attached}"
                        per_day += 1
                    append((lrm + head if ios else head) + authors[getbits(4)] + body + nl_)
                    counts["media"] += 1
                else:
                    append(head + authors[getbits(4)] + planted[getbits(12) % len(planted)] + nl_)
                    counts["text"] += 1
                    n_planted += 1
            done += len(parts)
            data = "".join(parts)
            out.write(data)
            written += len(data)
    return BenchExport(path, n_messages, path.stat().st_size, counts, n_planted)


def generate_bench_messages(n: int, seed: int = 1) -> Iterator[tuple[str, str]]:
    """Yields ``n`` (body, language) pairs for the scanning benchmark: everyday chatter in nl/fr/en
    (about 50/30/20) with planted identifiers and special-category sentences at about 0.4 %."""
    rng = random.Random(seed)
    langs = ("nl",) * 8 + ("fr",) * 5 + ("en",) * 3          # getrandbits(4)
    pools = {lang: _bodies(lang, rng, None) for lang in ("nl", "fr", "en")}
    planted = {lang: _planted(lang) for lang in ("nl", "fr", "en")}
    getbits = rng.getrandbits
    for _ in range(n):
        lang = langs[getbits(4)]
        if getbits(10) < 4:
            p = planted[lang]
            yield p[getbits(12) % len(p)], lang
        else:
            yield pools[lang][getbits(_BITS)], lang
