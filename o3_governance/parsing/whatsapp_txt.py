"""WhatsApp "Export chat" text (Android and iOS; English, Dutch, French).

Two streaming passes over the text, so memory stays flat whatever the file size:
1. ``scan``: header lines only — day/month order, CRLF convention, Android vs iOS, language, the iOS
   first-line author; stops as soon as all is known (then only counts the rest's undecodable lines).
2. ``iter_messages``: one compiled regex per line, continuation lines joined with "\\n".

Lines end in LF, CRLF or CR alone (old Mac), mixed within a file too. iOS ends each message with CRLF
and breaks lines inside one with a bare LF: in a file whose messages mostly end in CRLF, a header-shaped
line after a bare LF is text inside the message (often a pasted earlier message) — unless it has an author
and is not earlier than the message it sits in, which a pasted message always is: then the previous
message simply ended in LF (a mixed file).

Salvage, never silence: a header-shaped line whose date cannot exist, text before the first header,
and a message holding bytes that are not text each become a ``RejectedRecord`` (line number, reason);
the rest is parsed. A file that is mostly not text is refused.

System lines: Android writes them without an author. iOS writes most of them with an author (the
chat's name, or the actor) and U+200E before the text; we recognise the text and set author None on
both platforms: WhatsApp wrote the line, and a chat's name is not a person. Whoever the line is about
is still named in its body, where the scanner finds them.
"""
from __future__ import annotations

import codecs
import io
import re
from functools import partial
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import BinaryIO, Callable, Iterator

from o3_governance.parsing import phrases as P
from o3_governance.parsing.model import NotAnExport, ParsedExport, ParsedMessage, RejectedRecord
from o3_governance.identity.phones import to_e164

Opener = Callable[[], BinaryIO]

# One header regex for both platforms. Group 1 is "[" on iOS; the closing part depends on it.
#   Android: 23/03/2022, 13:31 -   1/29/18, 7:02 PM -   18-03-2022 15:10 -   2019/01/30, 20:49 -
#            23/03/2022 à 13:31 - (French)
#   iOS:     [31/12/2022 11:40:26]   [3/18/22, 14:56:01]   [27-11-18 18:43:20]   [1/29/18, 12:24:03 PM]
HEADER_RE = re.compile(
    r"[\ufeff\u200e\u200f]*(\[)?"
    r"(\d{1,4})([./-])(\d{1,2})\3(\d{2,4})(?:,|[ \u00a0]\u00e0)?[ \u00a0\u202f]"
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
    r"(?:[ \u00a0\u202f]?([AaPp])\.?[ \u00a0\u202f]?[Mm]\.?)?"
    r"(?(1)\][ \u00a0]?|[ \u00a0\u202f][-\u2013][ \u00a0\u202f])"
)
_match_header = HEADER_RE.match

# Bounded work: no line and no message longer than this is ever held (the ingest passes the configured
# O3_MAX_BODY_CHARS); longer refuses the file, which ingest quarantines.
DEFAULT_MAX_BODY_CHARS = 5_000_000
MAX_LINES_BEFORE_HEADER = 50     # a real export starts with a header; allow a little junk first
SNIFF_HEADERS = 2000             # language / format are taken from the first lines only
MIN_HEADERS_FOR_EOL_VOTE = 200

# Undecodable bytes (bad UTF-8, a lone surrogate, a broken UTF-16 unit) decode to this mark, which valid
# text never holds (strict UTF-8/UTF-16 decoding never yields a lone surrogate): its message is rejected.
BAD = "\udfff"
_BAD_HANDLER = "o3-governance-mark-undecodable"
codecs.register_error(_BAD_HANDLER, lambda exc: (BAD, exc.end))
MAX_BAD_LINE_SHARE = 0.5          # more lines than this with undecodable bytes: not a text file

REASON_NO_DATE = "date does not exist"
REASON_NO_TIME = "time does not exist"
REASON_BEFORE_FIRST = "text before the first message header"


def undecodable_reason(encoding: str) -> str:
    return "bytes that are not UTF-16 text" if encoding == "utf-16" else "bytes that are not UTF-8 text"


def not_text() -> NotAnExport:
    return NotAnExport("file is not UTF-8 or UTF-16 text")


_FILENAME_RE = re.compile(
    r"^(?:WhatsApp Chat with |WhatsApp Chat - |WhatsApp-chat met |WhatsApp-Chat met |Discussion WhatsApp avec "
    r"|WhatsApp Chat met |Discussion WhatsApp - |WhatsApp-Chat mit )(?P<name>.+)$", re.IGNORECASE)
_COPY_SUFFIX_RE = re.compile(r"(?: \(\d{1,3}\))+$")
_EXTENSIONS = (".txt", ".zip")


def chat_name_from_filename(file_name: str) -> str | None:
    """The chat's name as the export's file name tells it, in English, Dutch or French; a browser's
    " (1)" copy suffix is dropped. None for a generic name such as ``_chat.txt``."""
    stem = PurePath(file_name.replace("\\", "/")).name
    low = stem.lower()
    for ext in _EXTENSIONS:
        if low.endswith(ext):
            stem = stem[: -len(ext)]
            break
    stem = _COPY_SUFFIX_RE.sub("", stem).strip()
    m = _FILENAME_RE.match(stem)
    if not m:
        return None
    name = _COPY_SUFFIX_RE.sub("", m.group("name")).strip()
    return name or None


def fallback_chat_name(file_name: str) -> str:
    stem = PurePath(file_name.replace("\\", "/")).name
    for ext in _EXTENSIONS:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    return _COPY_SUFFIX_RE.sub("", stem).strip() or "chat"


def clean_author(raw: str) -> str:
    if P.INVISIBLE_RE.search(raw):
        raw = P.INVISIBLE_RE.sub("", raw)
    return raw.replace("\u00a0", " ").replace("\u202f", " ").strip()


def detect_encoding(opener: Opener) -> str:
    with opener() as f:
        head = f.read(4)
    if not head:
        raise NotAnExport("file is empty")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _split_author(rest: str) -> tuple[str | None, str]:
    """"Name: text" → (Name, text); a line without ": " has no author (Android system line)."""
    idx = rest.find(": ")
    if idx > 0:
        nl = rest.find("\n", 0, idx)
        if nl < 0:
            return rest[:idx], rest[idx + 2:]
        return None, rest
    if rest.endswith(":") and "\n" not in rest:
        return rest[:-1], ""          # e.g. a view-once photo: the author and nothing else
    return None, rest


def _looks_like_system_with_colon(author: str) -> bool:
    """'X changed the subject from "a: b" to ...' — the ": " sits inside an open quote, so what looks
    like an author is the start of a system line."""
    return (len(author) > 60 or author.count('"') % 2 == 1 or author.count("\u201c") > author.count("\u201d")
            or author.count("\u00ab") > author.count("\u00bb"))


@dataclass
class Scan:
    encoding: str
    crlf: bool = False
    order: str = "dmy"                     # dmy / mdy / ymd
    order_decided_by: str = "default"      # value>12 / year-first / backwards / default
    source_format: str = "android"
    language: str | None = None
    first_author: str | None = None        # iOS: author of a system text on the first line = the chat's name
    headers_seen: int = 0
    lang_votes: dict = field(default_factory=dict)
    lines: int = 0                         # lines read (all of them unless the scan stopped early)
    bad_lines: int = 0                     # lines holding undecodable bytes (the whole file)


def _year(v: int) -> int:
    return v + 2000 if v < 100 else v


def _first_line_language(author: str | None, body_raw: str) -> str | None:
    body = P.INVISIBLE_RE.sub("", body_raw) if P.INVISIBLE_RE.search(body_raw) else body_raw
    body = body.strip()
    if author is None:
        m = P.SYSTEM_RE.search(body)
        return m.lastgroup if m else None
    if body.endswith(P.EDITED_SUFFIXES):
        for k, lang in P.EDITED.items():
            if body.endswith(k):
                return lang
    low = body.rstrip(".").casefold()
    if low in P.DELETED:
        return P.DELETED[low]
    if body.casefold() in P.OMITTED:
        return P.OMITTED[body.casefold()]
    if body_raw.endswith(P.OMITTED_MARKED_SUFFIXES):
        for w, lang in P.OMITTED.items():
            if body.casefold().endswith(w):
                return lang
    m = P.IOS_ATTACHED_RE.search(body)
    if m:
        return P.IOS_ATTACHED_LANG[m.group("w")]
    m = P.ANDROID_ATTACHED_RE.fullmatch(body)
    if m:
        return P.ANDROID_ATTACHED_LANG[m.group("w")]
    if body_raw.startswith("\u200e"):
        m = P.SYSTEM_RE.search(body)
        if m:
            return m.lastgroup
    return None


def line_too_long(limit: int) -> NotAnExport:
    return NotAnExport(f"a line is longer than {limit} characters")


def message_too_long(limit: int) -> NotAnExport:
    return NotAnExport(f"a message is longer than {limit} characters")


def _bounded_lines(text, limit: int) -> Iterator[str]:
    """The lines of ``text`` as iteration gives them, but never more than ``limit`` characters read
    into one line (plus its line end): a longer line raises NotAnExport instead of being read whole."""
    size = limit + 2
    for line in iter(partial(text.readline, size), ""):
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            raise line_too_long(limit)
        yield line


def scan(opener: Opener, max_line_chars: int = DEFAULT_MAX_BODY_CHARS) -> Scan:
    """First pass: header lines only. Raises NotAnExport for non-export text or a file mostly not text,
    or for a line longer than ``max_line_chars``. Undecodable bytes elsewhere are counted (``bad_lines``)
    for the second pass to reject the messages that hold them."""
    sc = Scan(encoding=detect_encoding(opener))
    try:
        with opener() as raw:
            # newline="": lines split at LF, CRLF and CR alike, each keeping its own ending.
            text = io.TextIOWrapper(raw, encoding=sc.encoding, errors=_BAD_HANDLER, newline="")
            complete = _scan_lines(_bounded_lines(text, max_line_chars), sc)
        if not complete:
            # Stopped early: count the whole file's lines and undecodable lines in large raw chunks.
            sc.lines, sc.bad_lines = _count_bad_lines(opener, sc.encoding)
    except UnicodeError:
        raise not_text() from None
    if sc.lines and sc.bad_lines > MAX_BAD_LINE_SHARE * sc.lines:
        raise not_text()
    if sc.headers_seen == 0:
        raise NotAnExport("not a WhatsApp export: no message header lines found")
    if sc.lang_votes:
        sc.language = max(sc.lang_votes.items(), key=lambda kv: kv[1])[0]
    return sc


_LINE_END_RE = re.compile(r"\r\n|\r|\n")


def _count_bad_lines(opener: Opener, encoding: str) -> tuple[int, int]:
    """(lines, lines holding undecodable bytes) of the whole text, in chunks, without line work unless
    a chunk holds undecodable bytes. A line cut by a chunk boundary may count twice: a bound is enough."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=_BAD_HANDLER)
    lines = bad = 0
    with opener() as raw:
        while True:
            chunk = raw.read(1 << 20)
            text = decoder.decode(chunk, final=not chunk)
            lines += text.count("\n") or text.count("\r")
            if BAD in text:
                bad += sum(1 for line in _LINE_END_RE.split(text) if BAD in line)
            if not chunk:
                return lines, bad


def _scan_lines(text, sc: Scan) -> bool:
    """Fills ``sc``; True when it read the whole text."""
    n = headers = 0
    prev_crlf = first_crlf = saw_crlf = False
    crlf_votes = 0
    decided: str | None = None
    back_dmy = back_mdy = 0
    prev_dmy = prev_mdy = None
    votes = sc.lang_votes
    for line in text:
        n += 1
        if BAD in line:
            sc.bad_lines += 1
        m = _match_header(line)
        if m is None:
            if headers == 0 and n >= MAX_LINES_BEFORE_HEADER:
                if sc.bad_lines > MAX_BAD_LINE_SHARE * n:
                    raise not_text()
                raise NotAnExport("not a WhatsApp export: no message header lines found")
            prev_crlf = line.endswith("\r\n")
            saw_crlf = saw_crlf or prev_crlf
            continue
        headers += 1
        if headers > 1:
            crlf_votes += 1 if prev_crlf else -1
        prev_crlf = line.endswith("\r\n")
        saw_crlf = saw_crlf or prev_crlf
        if headers == 1:
            first_crlf = prev_crlf
        if decided is None:
            g = m.groups()
            a_s, b_s, c_s = g[1], g[3], g[4]
            if len(a_s) == 4:
                decided, sc.order_decided_by = "ymd", "year-first"
            else:
                a, b = int(a_s), int(b_s)
                if 12 < a <= 31 and b <= 12:
                    decided, sc.order_decided_by = "dmy", "value>12"
                elif 12 < b <= 31 and a <= 12:
                    decided, sc.order_decided_by = "mdy", "value>12"
                else:
                    y = _year(int(c_s))
                    k1, k2 = (y, b, a), (y, a, b)
                    if prev_dmy is not None:
                        back_dmy += k1 < prev_dmy
                        back_mdy += k2 < prev_mdy
                    prev_dmy, prev_mdy = k1, k2
        if headers <= SNIFF_HEADERS:
            rest = line[m.end():].rstrip("\r\n")
            author, body = _split_author(rest)
            if author is not None and _looks_like_system_with_colon(author) and P.SYSTEM_RE.search(rest):
                author, body = None, rest
            if headers == 1:
                sc.source_format = "ios" if m.group(1) else "android"
                text_only = P.INVISIBLE_RE.sub("", body)
                if m.group(1) and author is not None and (
                        (body.startswith("\u200e") and P.SYSTEM_RE.search(text_only)) or P.E2E_RE.match(text_only)):
                    sc.first_author = clean_author(author) or None
            lang = _first_line_language(author, body)
            if lang:
                votes[lang] = votes.get(lang, 0) + 1
        if decided is not None and headers >= MIN_HEADERS_FOR_EOL_VOTE and (votes or headers >= SNIFF_HEADERS):
            complete = False
            break
    else:
        complete = True
    sc.headers_seen = headers
    sc.lines = n
    # iOS ends messages with CRLF and breaks lines inside them with a bare LF: when the lines before
    # headers mostly end in CRLF (ties: when any line does), only CRLF ends a message.
    sc.crlf = crlf_votes > 0 if crlf_votes else (saw_crlf or first_crlf)
    if decided is not None:
        sc.order = decided
    elif back_mdy < back_dmy:
        sc.order, sc.order_decided_by = "mdy", "backwards"
    elif back_dmy < back_mdy:
        sc.order, sc.order_decided_by = "dmy", "backwards"
    else:
        sc.order, sc.order_decided_by = "dmy", "default"
    return complete


def iter_messages(opener: Opener, sc: Scan, max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
                  rejected: list[RejectedRecord] | None = None) -> Iterator[ParsedMessage]:
    """Second pass: the messages, in file order, one at a time; what cannot be a message is appended to
    ``rejected``. A line or a message longer than ``max_body_chars`` raises NotAnExport (the line is
    never read whole)."""
    rejected = [] if rejected is None else rejected
    try:
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding=sc.encoding, errors=_BAD_HANDLER, newline="")
            yield from _messages(text, sc, max_body_chars, rejected)
    except UnicodeError:
        raise not_text() from None


def _impossible(ymd) -> str:
    """Why a header-shaped line has no instant: its date, or else its time, cannot exist."""
    try:
        datetime(ymd[0], ymd[1], ymd[2])
    except ValueError:
        return REASON_NO_DATE
    return REASON_NO_TIME


def _messages(text, sc: Scan, limit: int, rejected: list[RejectedRecord]) -> Iterator[ParsedMessage]:
    # Hot loop: everything bound to locals, one regex match per line, caches for dates and authors.
    order = sc.order
    crlf = sc.crlf
    check_bad = sc.bad_lines > 0
    bad_reason = undecodable_reason(sc.encoding)
    match = _match_header
    system_search = P.SYSTEM_RE.search
    date_cache: dict = {}
    authors: dict = {}
    classify = _classify
    reject = rejected.append
    cur_sent = cur_author = cur_body = None
    cur_line = 0
    cur_bad = False
    in_rejected = False           # continuation lines belong to a rejected record (kept out of messages)
    parts: list[str] | None = None
    line_no = 0
    size = limit + 2
    cur_len = 0
    after_lf = False              # the previous line ended in a bare LF (CRLF files: inside a message)
    for line in iter(partial(text.readline, size), ""):
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            raise line_too_long(limit)
        line_no += 1
        inside = crlf and after_lf
        last = line[-1:]
        if last == "\n":
            if line[-2:] == "\r\n":
                line = line[:-2]
                after_lf = False
            else:
                line = line[:-1]
                after_lf = True
        elif last == "\r":
            line = line[:-1]
            after_lf = False
        m = match(line)
        if m is not None:
            _, a_s, _, b_s, c_s, h_s, mi_s, s_s, ap = m.groups()
            ymd = date_cache.get((a_s, b_s, c_s))
            if ymd is None:
                a, b, c = int(a_s), int(b_s), int(c_s)
                ymd = (_year(c), b, a) if order == "dmy" else (_year(c), a, b) if order == "mdy" else (a, b, c)
                date_cache[(a_s, b_s, c_s)] = ymd
            h = int(h_s)
            if ap is not None:
                h = h % 12 + (12 if ap in "Pp" else 0)
            try:
                sent = datetime(ymd[0], ymd[1], ymd[2], h, int(mi_s), int(s_s) if s_s else 0)
            except ValueError:
                sent = None
            # Inside an iOS message (after a bare LF) a header-shaped line is text (often a pasted earlier
            # message), unless it has an author and is not earlier than the message it would sit in: then
            # the previous message ended in LF (a mixed file).
            if not inside or (sent is not None and (cur_sent is None or sent >= cur_sent)
                              and line.find(": ", m.end()) > m.end()):
                if cur_sent is not None:
                    if cur_bad:
                        reject(RejectedRecord(cur_line, bad_reason))
                    else:
                        yield classify(cur_sent, cur_author, cur_body, parts, cur_line, authors)
                if sent is None:
                    # Header-shaped, but no such date under this file's order: reported, never merged.
                    reject(RejectedRecord(line_no, _impossible(ymd)))
                    cur_sent, in_rejected = None, True
                    continue
                rest = line[m.end():]
                # "Name: text"; a line without ": " has no author (Android system line).
                idx = rest.find(": ")
                if idx > 0:
                    author, body = rest[:idx], rest[idx + 2:]
                    if (('"' in author or "\u201c" in author or "\u00ab" in author or len(author) > 60)
                            and _looks_like_system_with_colon(author) and system_search(rest)):
                        author, body = None, rest   # a system line whose text holds ": "
                elif idx < 0 and rest[-1:] == ":":
                    author, body = rest[:-1], ""    # e.g. a view-once photo: the author and nothing else
                else:
                    author, body = None, rest
                cur_sent, cur_author, cur_body, cur_line = sent, author, body, line_no
                cur_len = len(body)
                parts = None
                in_rejected = False
                if check_bad:
                    cur_bad = BAD in line
                continue
        if cur_sent is not None:
            cur_len += len(line) + 1
            if cur_len > limit:
                raise message_too_long(limit)
            if parts is None:
                parts = [line]
            else:
                parts.append(line)
            if check_bad and not cur_bad and BAD in line:
                cur_bad = True
        elif not in_rejected and line.strip():
            reject(RejectedRecord(line_no, REASON_BEFORE_FIRST))   # junk before the first header: reported
            in_rejected = True
    if cur_sent is not None:
        if cur_bad:
            reject(RejectedRecord(cur_line, bad_reason))
        else:
            yield classify(cur_sent, cur_author, cur_body, parts, cur_line, authors)


_invisible_search = P.INVISIBLE_RE.search
_invisible_sub = P.INVISIBLE_RE.sub
_system_search = P.SYSTEM_RE.search
_e2e_match = P.E2E_RE.match
_ios_attached = P.IOS_ATTACHED_RE.search
_android_attached = P.ANDROID_ATTACHED_RE.fullmatch
_SHORT_MAX = max(P.DELETED_MAX_LEN, P.OMITTED_MAX_LEN)


def _classify(sent, author_raw, body, parts, line_no, authors) -> ParsedMessage:
    """A header line plus its continuation lines → ParsedMessage (type, attachment, edited)."""
    if parts:
        body = body + "\n" + "\n".join(parts)
        if body[-1:] == "\n":
            body = body.rstrip("\n")
    raw_body = body
    has_marks = not body.isascii() and _invisible_search(body) is not None   # isascii() is O(1)
    if has_marks:
        body = _invisible_sub("", body)
    edited = False
    if body[-1:] == ">" and body.endswith(P.EDITED_SUFFIXES):
        for marker in P.EDITED_SUFFIXES:
            if body.endswith(marker):
                body = body[: -len(marker)].rstrip()
                edited = True
                break
    if author_raw is None:
        return ParsedMessage(sent, None, "system", body, None, edited, None, line_no)

    info = authors.get(author_raw)
    if info is None:
        clean = clean_author(author_raw)
        info = authors[author_raw] = (clean, to_e164(clean))
    author, phone = info

    nl = body.find("\n")
    first = body if nl < 0 else body[:nl]
    kind = "text"
    attachment = None
    last = first[-1:]
    n = len(first)
    if last == ">":
        m = _ios_attached(first)
        if m:
            kind, attachment = "media", m.group("name").strip()
        elif first.casefold() in P.OMITTED:
            kind = "media"
    elif last == ")":
        m = _android_attached(first)
        if m:
            kind, attachment = "media", m.group("name").strip()
    elif n <= _SHORT_MAX:
        if nl < 0 and first.rstrip(".").casefold() in P.DELETED:
            kind = "deleted"
        elif first.casefold() in P.OMITTED:
            kind = "media"
    if kind == "text" and has_marks:
        raw_nl = raw_body.find("\n")
        raw_first = raw_body if raw_nl < 0 else raw_body[:raw_nl]
        if raw_first.endswith(P.OMITTED_MARKED_SUFFIXES):
            kind = "media"
        elif raw_body[:1] == "\u200e" and _system_search(first):
            kind = "system"
    if kind == "text" and _e2e_match(first):
        kind = "system"
    if kind == "system":
        # Written by WhatsApp, not by the chat name / actor iOS puts in front: no author, as on Android.
        return ParsedMessage(sent, None, kind, body, None, edited, None, line_no)
    return ParsedMessage(sent, author, kind, body, attachment, edited, phone, line_no)


def chat_name_for(file_name: str, member_name: str | None, first_author: str | None) -> str:
    """A chat's name: from its own file name (or, inside a container, the folder it sits in, such as
    ``WhatsApp Chat - X/_chat.txt``), else its first line (iOS), else the container's name. Each chat
    of a container with several is named from what is its own first."""
    own = None
    if member_name:
        member = member_name.replace("\\", "/")
        own = chat_name_from_filename(member)
        if own is None and "/" in member.rstrip("/"):
            own = chat_name_from_filename(member.rsplit("/", 1)[0])
    else:
        own = chat_name_from_filename(file_name)
    return own or first_author or chat_name_from_filename(file_name) or fallback_chat_name(file_name)


def parse_text(opener: Opener, file_name: str, member_name: str | None = None,
               media: dict | None = None, close: Callable[[], None] | None = None,
               max_body_chars: int = DEFAULT_MAX_BODY_CHARS) -> ParsedExport:
    """A ParsedExport over the text that ``opener`` gives (a .txt file or a zip member). No line or
    message longer than ``max_body_chars`` is read: the file is refused (NotAnExport) instead."""
    sc = scan(opener, max_body_chars)
    chat_name = chat_name_for(file_name, member_name, sc.first_author)
    rejected: list[RejectedRecord] = []
    export = ParsedExport(chat_name=chat_name, source_format=sc.source_format, export_language=sc.language,
                          messages=iter_messages(opener, sc, max_body_chars, rejected), rejected=rejected,
                          media=media if media is not None else {}, _close=close, member_name=member_name)
    export.scan = sc  # for tools/check_peer_fixtures.py (date order); not part of the interface
    return export
