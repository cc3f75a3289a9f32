"""The scan of the warehouse: which messages are due, the findings table and its bookkeeping.

``findings`` holds offsets, type, score and recognizer — never the matched text. ``scan_state`` records,
per message, the scanner configuration and a hash of the body it was scanned with, so that a night
scans only what is new or changed, and a new configuration (code, term files, known people) makes
every message due again on its own.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import pyarrow as pa

from o3_governance.identity.directory import load_directory
from o3_governance.identity.phones import to_e164
from o3_governance.scanning import pool as scan_pool
from o3_governance.scanning.categories import Finding, special_category_message_ids  # noqa: F401 - re-exported
from o3_governance.scanning.fingerprint import config_hash
from o3_governance.scanning.windows import head_tail, shift
from o3_governance.storage.restrictions import exclusion_sql
from o3_governance.vocabulary import FINDINGS, MESSAGES, SCAN_STATE, SPECIAL_CATEGORY_TYPES

FINDINGS_DDL = f"""
CREATE TABLE IF NOT EXISTS {FINDINGS} (
    message_id  VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    start       INTEGER NOT NULL,   -- offsets into messages.body, or into an attachment's extracted text
    "end"       INTEGER NOT NULL,
    score       DOUBLE NOT NULL,
    recognizer  VARCHAR NOT NULL,
    source      VARCHAR NOT NULL DEFAULT 'body',   -- body / attachment (vocabulary.FINDING_SOURCES)
    page        INTEGER             -- the attachment's page; null for bodies
)
"""
SCAN_STATE_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCAN_STATE} (
    message_id  VARCHAR NOT NULL,
    config_hash VARCHAR NOT NULL,   -- scanner configuration the message was scanned with
    body_hash   UBIGINT NOT NULL,   -- hash(body) at scan time: an anonymised body is scanned again
    outcome     VARCHAR NOT NULL,   -- scanned / skipped (nothing that can hold data)
    language    VARCHAR,            -- detected
    prior       VARCHAR,            -- the chat's language at scan time (the detector's prior)
    scanned_at  TIMESTAMPTZ NOT NULL,
    truncated_for_scan BOOLEAN DEFAULT false  -- body longer than the scan window: head and tail scanned
)
"""
SPECIAL_VIEW = ("CREATE OR REPLACE VIEW special_category_messages AS SELECT DISTINCT message_id FROM findings "
                "WHERE entity_type IN (" + ", ".join(f"'{t}'" for t in sorted(SPECIAL_CATEGORY_TYPES)) + ")")

SCANNED_TYPES = ("text", "media")   # system lines and deleted messages hold nothing a person wrote

# Media placeholders and attachment lines in the three export languages (see NOTES §1): a media
# message made only of these has nothing to scan; a caption beside them is scanned.
_PLACEHOLDER = re.compile(
    r"^\s*(?:<[^<>]*(?:omitted|weggelaten|omis|absente?|attached|bijgevoegd|pièce jointe)[^<>]*>"
    r"|(?:[\w-]+ )?(?:omitted|weggelaten|omis|absente?)"
    r"|(?:image|video|audio|sticker|gif|document|contact card|afbeelding|foto|contactkaart|vidéo|autocollant|"
    r"fiche contact|carte de contact)\s+(?:omitted|weggelaten|omis|absente?)"
    r"|\S+\.\w{2,5}\s*\((?:file attached|bestand bijgevoegd|fichier joint)\)"
    r"|<?(?:attached|bijgevoegd|pièce jointe)\s*:\s*[^>]*>?"
    r"|null)\s*$", re.IGNORECASE)


@dataclass
class ScanSummary:
    """Counts only: what a night's scan did."""

    config_hash: str
    due: int = 0                 # messages whose scan was missing or stale
    scanned: int = 0             # of those, scanned
    skipped: int = 0             # of those, nothing to scan (placeholders, emoji only)
    unique_texts: int = 0        # distinct (text, chat language) pairs analysed this run
    reused_texts: int = 0        # distinct texts already scanned under this configuration: findings copied
    findings_written: int = 0
    workers: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)   # findings written this run, per type
    languages: dict[str, int] = field(default_factory=dict)  # messages scanned this run, per language
    truncated_for_scan: int = 0  # of those scanned, bodies longer than the window: head and tail scanned
    left_for_next_night: int = 0  # due messages not reached within the time budget: still due
    budget_exhausted: bool = False


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(FINDINGS_DDL)
    con.execute(SCAN_STATE_DDL)
    # Warehouses from before bounded scanning: the column arrives empty (false).
    con.execute("ALTER TABLE scan_state ADD COLUMN IF NOT EXISTS truncated_for_scan BOOLEAN DEFAULT false")
    # Warehouses from before attachment scanning: every finding they hold is a body's.
    con.execute(f"ALTER TABLE {FINDINGS} ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'body'")
    con.execute(f"ALTER TABLE {FINDINGS} ADD COLUMN IF NOT EXISTS page INTEGER")
    con.execute(SPECIAL_VIEW)


def scannable_text(body: str | None, message_type: str) -> str | None:
    """The body with placeholder lines blanked (same length, so offsets still point into the body),
    or None when nothing that a person wrote is left."""
    if not body:
        return None
    if message_type == "media":
        lines = body.split("\n")
        body = "\n".join(" " * len(ln) if _PLACEHOLDER.match(ln) else ln for ln in lines)
    if not any(ch.isalnum() for ch in body):
        return None
    if message_type == "text" and _PLACEHOLDER.match(body) and "\n" not in body.strip():
        return None
    return body


_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def known_people_from_authors(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Authors of text and media messages that are names (not phone numbers), tidied of emoji."""
    rows = con.execute(f"SELECT DISTINCT author FROM {MESSAGES} WHERE author IS NOT NULL "
                       "AND message_type IN ('text', 'media')").fetchall()
    people = set()
    for (author,) in rows:
        if to_e164(author):   # an author shown as a phone number is not a name
            continue
        tokens = _NAME_TOKEN.findall(author)
        if tokens and sum(len(t) for t in tokens) >= 3:
            people.add(" ".join(tokens))
    return sorted(people)


def read_staff_directory(path: Path | str) -> list[str]:
    """Names of the staff/contact directory (format: ``o3_governance.identity.directory``)."""
    return sorted({e.name for e in load_directory(Path(path))})


def current_people(con: duckdb.DuckDBPyConnection, known_people: Iterable[str] | None = None,
                   staff_directory: Path | str | None = None) -> list[str]:
    people = set(known_people) if known_people is not None else set(known_people_from_authors(con))
    if staff_directory:
        people |= set(read_staff_directory(staff_directory))
    return sorted(p for p in people if p and p.strip())


def _chat_priors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The language most of a chat's messages are in (the export's language until scanned)."""
    return dict(con.execute(
        "SELECT chat_id, mode(language) FROM messages WHERE language IS NOT NULL AND message_type = 'text' "
        "GROUP BY chat_id").fetchall())


def _reuse(con: duckdb.DuckDBPyConnection, chash: str, keys: list[tuple[str, str | None]]):
    """(index, language, findings) for each due text that an earlier message with the same body and chat
    language was already scanned with, under this configuration: the scan is deterministic, so its
    findings are copied instead of computed again (``ok``, ``👍``, ``Merci`` arrive every night)."""
    if not keys:
        return []
    table = pa.table({"idx": pa.array(range(len(keys)), pa.int64()),
                      "text": pa.array([k[0] for k in keys], pa.string()),
                      "prior": pa.array([k[1] for k in keys], pa.string())})
    con.register("_scan_keys", table)
    try:
        sources = con.execute("""
            SELECT k.idx, min(s.message_id) AS source, any_value(s.language)
            FROM _scan_keys k
            JOIN messages m ON m.body = k.text AND m.message_type = 'text'
            JOIN scan_state s ON s.message_id = m.message_id
            WHERE s.config_hash = ? AND s.outcome = 'scanned' AND s.prior IS NOT DISTINCT FROM k.prior
              AND s.body_hash = hash(coalesce(m.body, ''))
            GROUP BY k.idx
        """, [chash]).fetchall()
        if not sources:
            return []
        found: dict[str, list] = {}
        rows = con.execute('SELECT message_id, entity_type, start, "end", score, recognizer FROM findings '
                           "WHERE source = 'body' AND message_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY start, \"end\", entity_type",
                           [[src for _, src, _ in sources]]).fetchall()
        for mid, etype, start, end, score, recognizer in rows:
            found.setdefault(mid, []).append(Finding(etype, start, end, score, recognizer))
        return [(idx, language, found.get(src, [])) for idx, src, language in sources]
    finally:
        con.unregister("_scan_keys")


# Defaults of the bounded-work settings (``o3_governance.settings``); entry points pass the configured values.
DEFAULT_WINDOW_CHARS = 100_000
SCAN_BATCH = 8000   # distinct texts scanned between two looks at the clock


def scan_warehouse(con: duckdb.DuckDBPyConnection, known_people: Iterable[str] | None = None,
                   staff_directory: Path | str | None = None, workers: int = 2, *,
                   window_chars: int = DEFAULT_WINDOW_CHARS, seconds_budget: float | None = None,
                   monotonic: Callable[[], float] = time.monotonic, batch_texts: int | None = None) -> ScanSummary:
    """Scan every text and media message not yet scanned with the current configuration, write its
    findings, record it in ``scan_state`` and set ``messages.language`` to the detected language.

    ``known_people`` defaults to the warehouse's chat authors; names from ``staff_directory`` (the
    directory file's path the entry point passes: ``O3_DIRECTORY_FILE`` or ``--staff-directory``) are added.

    Bounded work: a body longer than ``window_chars`` is scanned in a head and a tail window (findings
    at offsets in the full body; ``scan_state.truncated_for_scan``). With ``seconds_budget``, the scan
    looks at ``monotonic()`` between batches of ``batch_texts`` (default ``SCAN_BATCH``) distinct texts and stops once the
    budget is spent (the first batch always runs, so every night makes progress): what is scanned is
    written, the rest stays due for the next night (``left_for_next_night``).
    """
    t0 = time.perf_counter()
    deadline = None if seconds_budget is None else monotonic() + seconds_budget
    ensure_schema(con)
    people = current_people(con, known_people, staff_directory)
    chash = config_hash(people)
    summary = ScanSummary(config_hash=chash)

    # Messages removed by retention or erasure take their findings with them.
    con.execute("DELETE FROM findings WHERE message_id NOT IN (SELECT message_id FROM messages)")
    con.execute("DELETE FROM scan_state WHERE message_id NOT IN (SELECT message_id FROM messages)")

    # Restricted messages (Art. 18) may only be stored: they are not scanned until the restriction is lifted.
    # Oldest first, so that what a cut-short night leaves is picked up first the next night.
    due = con.execute(f"""
        SELECT m.message_id, m.chat_id, m.message_type, m.body, hash(coalesce(m.body, '')) AS body_hash
        FROM messages m LEFT JOIN scan_state s USING (message_id)
        WHERE m.message_type IN {SCANNED_TYPES} AND {_not_restricted(con)}
          AND (s.message_id IS NULL OR s.config_hash <> ? OR s.body_hash <> hash(coalesce(m.body, '')))
        ORDER BY m.sent_at, m.message_id
    """, [chash]).fetchall()
    summary.due = len(due)
    if not due:
        summary.seconds = time.perf_counter() - t0
        return summary

    # Start the workers now: they load their engines while the rest is read and deduplicated.
    pool = scan_pool.start_pool(people, workers, len(due))
    try:
        return _scan_due(con, due, people, chash, summary, pool, t0,
                         window_chars=window_chars, deadline=deadline, monotonic=monotonic,
                         batch_texts=max(1, SCAN_BATCH if batch_texts is None else batch_texts))
    finally:
        if pool is not None:
            pool.close()


def _scan_due(con, due, people, chash: str, summary: ScanSummary, pool, t0: float, *, window_chars: int,
              deadline: float | None, monotonic: Callable[[], float], batch_texts: int) -> ScanSummary:
    priors = _chat_priors(con)
    unique: dict[tuple[str, str | None], int] = {}
    # (message_id, body_hash, [(index into unique, offset in the body)] or None when skipped, truncated)
    plan: list[tuple[str, int, list[tuple[int, int]] | None, bool]] = []
    for message_id, chat_id, mtype, body, bhash in due:
        text = scannable_text(body, mtype)
        if text is None:
            plan.append((message_id, bhash, None, False))
            continue
        prior = priors.get(chat_id)
        spans = head_tail(text, window_chars)
        parts = [(unique.setdefault((text[a:b], prior), len(unique)), a) for a, b in spans]
        plan.append((message_id, bhash, parts, len(spans) > 1 or spans[0] != (0, len(text))))
    keys = list(unique)
    results: list = [None] * len(keys)
    for idx, language, findings in _reuse(con, chash, keys):
        results[idx] = (language, findings)
        summary.reused_texts += 1
    todo = [i for i, r in enumerate(results) if r is None]
    # No pool means the caller judged one process enough: scan_unique must not start one itself.
    for k in range(0, len(todo), batch_texts):
        if k and deadline is not None and monotonic() >= deadline:
            summary.budget_exhausted = True
            break
        chunk = todo[k:k + batch_texts]
        fresh, used = scan_pool.scan_unique([keys[i] for i in chunk], people, workers=1 if pool is None else pool.workers,
                                  pool=pool)
        summary.workers = max(summary.workers, used)
        for i, r in zip(chunk, fresh):
            results[i] = r
        summary.unique_texts += len(chunk)

    f_cols: dict[str, list] = {k: [] for k in ("message_id", "entity_type", "start", "end", "score", "recognizer")}
    s_cols: dict[str, list] = {k: [] for k in ("message_id", "body_hash", "outcome", "language", "prior",
                                                "truncated_for_scan")}
    for message_id, bhash, parts, truncated in plan:
        if parts is not None and any(results[idx] is None for idx, _ in parts):
            summary.left_for_next_night += 1   # not reached within the budget: no scan_state row, still due
            continue
        s_cols["message_id"].append(message_id)
        s_cols["body_hash"].append(bhash)
        s_cols["prior"].append(None if parts is None else keys[parts[0][0]][1])
        s_cols["truncated_for_scan"].append(truncated)
        if parts is None:
            s_cols["outcome"].append("skipped")
            s_cols["language"].append(None)
            summary.skipped += 1
            continue
        language = results[parts[0][0]][0]   # a truncated body: the language of its head
        findings = shift((offset, results[idx][1]) for idx, offset in parts) if truncated else results[parts[0][0]][1]
        s_cols["outcome"].append("scanned")
        s_cols["language"].append(language)
        summary.scanned += 1
        summary.truncated_for_scan += truncated
        summary.languages[language] = summary.languages.get(language, 0) + 1
        for f in findings:
            f_cols["message_id"].append(message_id)
            f_cols["entity_type"].append(f.entity_type)
            f_cols["start"].append(f.start)
            f_cols["end"].append(f.end)
            f_cols["score"].append(f.score)
            f_cols["recognizer"].append(f.recognizer)
            summary.by_type[f.entity_type] = summary.by_type.get(f.entity_type, 0) + 1
    summary.findings_written = len(f_cols["message_id"])

    new_findings = pa.table({
        "message_id": pa.array(f_cols["message_id"], pa.string()),
        "entity_type": pa.array(f_cols["entity_type"], pa.string()),
        "start": pa.array(f_cols["start"], pa.int32()),
        "end": pa.array(f_cols["end"], pa.int32()),
        "score": pa.array(f_cols["score"], pa.float64()),
        "recognizer": pa.array(f_cols["recognizer"], pa.string()),
    })
    new_state = pa.table({
        "message_id": pa.array(s_cols["message_id"], pa.string()),
        "body_hash": pa.array(s_cols["body_hash"], pa.uint64()),
        "outcome": pa.array(s_cols["outcome"], pa.string()),
        "language": pa.array(s_cols["language"], pa.string()),
        "prior": pa.array(s_cols["prior"], pa.string()),
        "truncated_for_scan": pa.array(s_cols["truncated_for_scan"], pa.bool_()),
    })
    con.register("_scan_new_findings", new_findings)
    con.register("_scan_new_state", new_state)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM findings WHERE source = 'body' AND message_id IN (SELECT message_id FROM _scan_new_state)")
            con.execute("DELETE FROM scan_state WHERE message_id IN (SELECT message_id FROM _scan_new_state)")
            con.execute('INSERT INTO findings (message_id, entity_type, start, "end", score, recognizer) '
                        'SELECT message_id, entity_type, start, "end", score, recognizer FROM _scan_new_findings')
            con.execute("INSERT INTO scan_state (message_id, config_hash, body_hash, outcome, language, prior, scanned_at, "
                        "truncated_for_scan) SELECT message_id, ?, body_hash, outcome, language, prior, now(), "
                        "truncated_for_scan FROM _scan_new_state", [chash])
            con.execute("UPDATE messages SET language = s.language FROM _scan_new_state s "
                        "WHERE messages.message_id = s.message_id AND s.language IS NOT NULL "
                        "AND messages.language IS DISTINCT FROM s.language")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.unregister("_scan_new_findings")
        con.unregister("_scan_new_state")
    summary.seconds = time.perf_counter() - t0
    return summary


def _not_restricted(con: duckdb.DuckDBPyConnection) -> str:
    """Restricted messages (Art. 18) may only be stored: left out of scans and their counts."""
    return exclusion_sql(con, "m.message_id")


def unscanned_text_messages(con: duckdb.DuckDBPyConnection, chash: str) -> int:
    """Text messages without a scan under configuration ``chash`` (or scanned with another body)."""
    return con.execute(f"""
        SELECT count(*) FROM messages m LEFT JOIN scan_state s USING (message_id)
        WHERE m.message_type = 'text' AND {_not_restricted(con)}
          AND (s.message_id IS NULL OR s.config_hash <> ? OR s.body_hash <> hash(coalesce(m.body, '')))
    """, [chash]).fetchone()[0]


def special_counts_by_chat(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(chat_id, category, messages) for every chat with special-category findings."""
    return con.execute(f"""
        SELECT m.chat_id, f.entity_type, count(DISTINCT f.message_id)
        FROM findings f JOIN messages m USING (message_id)
        WHERE f.entity_type IN (SELECT unnest(?::VARCHAR[])) AND {_not_restricted(con)}
        GROUP BY ALL ORDER BY ALL
    """, [sorted(SPECIAL_CATEGORY_TYPES)]).fetchall()


@dataclass(frozen=True)
class ScanCheck:
    """What the scanning checks found after a scan: numbers and chat ids only (the shell reports them)."""

    unscanned_text_messages: int      # must be 0, unless the night's time budget left them for tomorrow
    budget_exhausted: bool
    findings_total: int
    findings_by_type: dict[str, int]
    messages_with_findings: int
    messages_with_special_category: int
    special_by_chat: list[tuple[str, str, int]]   # (chat_id, category, messages)

    @property
    def every_text_message_scanned(self) -> bool:
        return self.unscanned_text_messages == 0

    @property
    def special_by_category(self) -> dict[str, int]:
        """Messages per special category (every category listed, 0 when none)."""
        counts = {c: 0 for c in sorted(SPECIAL_CATEGORY_TYPES)}
        for _, category, n in self.special_by_chat:
            counts[category] = counts.get(category, 0) + n
        return counts


def check_scan(con: duckdb.DuckDBPyConnection, summary: ScanSummary) -> ScanCheck:
    """The scanning invariants after ``summary``'s scan, read on ``con``."""
    return ScanCheck(
        unscanned_text_messages=unscanned_text_messages(con, summary.config_hash),
        budget_exhausted=summary.budget_exhausted,
        findings_total=con.execute(f"SELECT count(*) FROM {FINDINGS}").fetchone()[0],
        findings_by_type=dict(sorted(con.execute(
            f"SELECT entity_type, count(*) FROM {FINDINGS} GROUP BY ALL").fetchall())),
        messages_with_findings=con.execute(f"SELECT count(DISTINCT message_id) FROM {FINDINGS}").fetchone()[0],
        messages_with_special_category=len(special_category_message_ids(con)),
        special_by_chat=special_counts_by_chat(con))
