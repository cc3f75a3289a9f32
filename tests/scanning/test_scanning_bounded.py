"""Bounded scanning: a body beyond the scan window is scanned in a head and a tail window (findings at
offsets in the full body, the message marked truncated_for_scan), spaCy's length limit is never
reached, and a time budget (injected clock) leaves the rest due for the next night."""
import hashlib
import json
from datetime import datetime, timedelta, timezone

import dagster as dg

from support.dagster_resources import resources
from o3_governance.storage import warehouse
from o3_governance.scanning import windows
from o3_governance.scanning.store import scan_warehouse, unscanned_text_messages

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
HEAD_PHONE = "0477 04 71 87"
TAIL_MAIL = "wout.vandenbroeck@o3group.be"
FILLER = "bla bla werf beton "          # lower case, no digits: nothing to find in the middle


def add(con, bodies, start=0, chat="Werf Leuven"):
    for i, body in enumerate(bodies, start):
        t = T0 + timedelta(minutes=i)
        con.execute("INSERT INTO messages (message_id, archive_id, chat_id, chat_name, source_format, sent_at, "
                    "sent_local, local_date, month, author, author_phone, message_type, body, attachment, "
                    "media_sha256, edited, language, line_no) VALUES (?, 'a1', ?, ?, 'android', ?, ?, ?, ?, "
                    "'Kevin De Smet', NULL, 'text', ?, NULL, NULL, false, 'nl', ?)",
                    [f"m{i:04d}", hashlib.sha256(chat.encode()).hexdigest()[:16], chat, t, t.replace(tzinfo=None),
                     t.date(), t.strftime("%Y-%m"), body, i])


def long_body(size=10 * 1024 * 1024):
    head = f"Bel me op {HEAD_PHONE} morgen. "
    tail = f" of mail {TAIL_MAIL}"
    middle = FILLER * ((size - len(head) - len(tail)) // len(FILLER) + 1)
    body = head + middle[: size - len(head) - len(tail)] + tail
    assert len(body) == size
    return body


def test_windows_head_tail_and_consecutive():
    text = ("abcd " * 1000).strip()
    assert windows.head_tail(text, 10_000) == [(0, len(text))]
    (h0, h1), (t0, t1) = windows.head_tail(text, 1000)
    assert h0 == 0 and h1 <= 1000 and t1 == len(text) and len(text) - t0 <= 1000
    assert text[h1] == " " and text[t0 - 1] == " "        # cut at whitespace: no word split
    spans = windows.consecutive(text, 1000)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a == b for (_, a), (b, _) in zip(spans, spans[1:])) and all(b - a <= 1000 for a, b in spans)
    # The window can never be larger than spaCy's limit, whatever is asked.
    big = "x" * (windows.SPACY_MAX_CHARS + 10)
    assert all(b - a <= windows.SPACY_MAX_CHARS for a, b in windows.head_tail(big, 10 ** 9))


def test_a_10_mb_body_is_scanned_in_windows_with_offsets_in_the_full_body(data_layout):
    body = long_body()
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add(con, [body, f"Bel {HEAD_PHONE}"])
        s = scan_warehouse(con, workers=1, window_chars=100_000)
        assert s.scanned == 2 and s.truncated_for_scan == 1 and s.left_for_next_night == 0
        assert con.execute("SELECT message_id, truncated_for_scan FROM scan_state ORDER BY 1").fetchall() == [
            ("m0000", True), ("m0001", False)]
        spans = {(t, a, b) for t, a, b in con.execute(
            "SELECT entity_type, start, \"end\" FROM findings WHERE message_id = 'm0000'").fetchall()}
        assert unscanned_text_messages(con, s.config_hash) == 0
    head_at = body.index(HEAD_PHONE)
    tail_at = body.rindex(TAIL_MAIL)
    assert ("PHONE_NUMBER", head_at, head_at + len(HEAD_PHONE)) in spans
    assert ("EMAIL_ADDRESS", tail_at, tail_at + len(TAIL_MAIL)) in spans
    assert tail_at > 10_000_000


def test_the_findings_asset_completes_on_a_10_mb_body(data_layout, monkeypatch):
    from o3_governance.defs.scanning.assets import findings

    monkeypatch.setenv("O3_SCAN_WINDOW_CHARS", "50000")
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add(con, [long_body()])
    asset = findings
    result = dg.materialize([asset], selection=[asset], resources=resources())
    assert result.success
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    assert meta["truncated_for_scan_this_run"] == 1 and meta["left_for_next_night"] == 0
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["every_text_message_scanned"].passed
    flat = json.dumps({k: str(v) for k, v in meta.items()})
    assert HEAD_PHONE not in flat and TAIL_MAIL not in flat


def test_spacy_limit_is_never_reached_even_by_a_direct_caller():
    from o3_governance.scanning.scan import analyze_batch
    from o3_governance.scanning.worker import local_scanner

    scanner, _ = local_scanner([])
    text = f"Bel {HEAD_PHONE} " + FILLER * (windows.SPACY_MAX_CHARS // len(FILLER) + 10) + f" mail {TAIL_MAIL}"
    assert len(text) > windows.SPACY_MAX_CHARS
    (found,) = analyze_batch(scanner, [text], ["nl"])
    spans = {(f.entity_type, text[f.start:f.end]) for f in found}
    assert {("PHONE_NUMBER", HEAD_PHONE), ("EMAIL_ADDRESS", TAIL_MAIL)} <= spans


class Clock:
    """A monotonic clock that moves one second each time it is read."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 1.0
        return self.t


def test_time_budget_leaves_the_rest_for_the_next_night(data_layout):
    bodies = [f"Bel me op 0477 04 71 8{i} voor de werf" for i in range(5)]
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add(con, bodies)
        # The clock is read at the start (t=1: deadline 2.5), before the 2nd batch (t=2: go on) and before
        # the 3rd (t=3: spent). Two batches of two texts are scanned; the fifth waits.
        s = scan_warehouse(con, workers=1, seconds_budget=1.5, monotonic=Clock(), batch_texts=2)
        assert s.due == 5 and s.budget_exhausted
        assert s.scanned + s.left_for_next_night == 5 and s.left_for_next_night == 1
        scanned = {r[0] for r in con.execute("SELECT message_id FROM scan_state").fetchall()}
        assert scanned == {"m0000", "m0001", "m0002", "m0003"}   # oldest first; the newest waits
        assert unscanned_text_messages(con, s.config_hash) == 1
        nxt = scan_warehouse(con, workers=1, seconds_budget=1.5, monotonic=Clock(), batch_texts=2)
        assert nxt.due == 1 and nxt.scanned == 1 and nxt.left_for_next_night == 0 and not nxt.budget_exhausted
        assert con.execute("SELECT count(DISTINCT message_id) FROM findings "
                           "WHERE entity_type = 'PHONE_NUMBER'").fetchone()[0] == 5


def test_the_first_batch_always_runs_so_a_night_makes_progress(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add(con, [f"Bel me op 0477 04 71 8{i}" for i in range(3)])
        s = scan_warehouse(con, workers=1, seconds_budget=0, monotonic=Clock(), batch_texts=2)
        assert s.scanned == 2 and s.left_for_next_night == 1


def test_asset_reports_what_the_budget_left_and_stays_green(data_layout, monkeypatch):
    from o3_governance.defs.scanning.assets import findings
    from o3_governance.scanning import store

    monkeypatch.setenv("O3_SCAN_SECONDS_PER_NIGHT", "0")
    monkeypatch.setattr(store, "SCAN_BATCH", 2)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add(con, [f"Bel me op 0477 04 71 8{i}" for i in range(5)])
    asset = findings
    result = dg.materialize([asset], selection=[asset], resources=resources())
    assert result.success
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    assert meta["left_for_next_night"] == 3 and meta["scan_budget_exhausted"] is True
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["every_text_message_scanned"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["left_for_next_night"].value == 3
