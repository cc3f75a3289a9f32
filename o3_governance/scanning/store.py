"""The scan of the warehouse: which messages are due, the findings table and its bookkeeping.

``findings`` holds offsets, type, score and recognizer — never the matched text. ``scan_state`` records,
per message, the scanner configuration and a hash of the body it was scanned with, so that a night
scans only what is new or changed. ``scan_config`` keeps the parts of the last configuration
(``fingerprint``): when only known people or term files changed, the messages such a change cannot
touch are carried over to the new configuration unscanned (``carry_forward``); a change in the
scanner's code makes every message due again.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from o3_governance.identity.directory import load_directory
from o3_governance.identity.phones import to_e164
from o3_governance.scanning import pool as scan_pool
from o3_governance.scanning.categories import Finding, special_category_message_ids  # noqa: F401 - re-exported
from o3_governance.scanning import fingerprint
from o3_governance.scanning.fingerprint import TERMS_DIR, PeopleIndex, combine, config_parts
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
    truncated_for_scan BOOLEAN DEFAULT false,  -- body longer than the scan window: head and tail scanned
    people_keys UBIGINT[]           -- keys of the known people the text could name (fingerprint.PeopleIndex)
)
"""
SCAN_CONFIG = "scan_config"   # the parts of the configuration the scan_state rows were last carried to
SCAN_CONFIG_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCAN_CONFIG} (
    part    VARCHAR PRIMARY KEY,   -- code, person:<key>, terms/<language>/<file>
    digest  VARCHAR NOT NULL,
    content BLOB                   -- a term file's bytes (what its old terms could match); never names
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
    carried_forward: int = 0     # messages a change of known people or term files could not touch: kept


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(FINDINGS_DDL)
    con.execute(SCAN_STATE_DDL)
    # Warehouses from before bounded scanning: the column arrives empty (false).
    con.execute("ALTER TABLE scan_state ADD COLUMN IF NOT EXISTS truncated_for_scan BOOLEAN DEFAULT false")
    con.execute("ALTER TABLE scan_state ADD COLUMN IF NOT EXISTS people_keys UBIGINT[]")
    con.execute(SCAN_CONFIG_DDL)
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
    import pyarrow as pa
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


def carry_forward(con: duckdb.DuckDBPyConnection, parts: dict[str, str], people: list[str],
                  terms_dir: Path = TERMS_DIR) -> int:
    """Messages scanned under the previous configuration that this one would scan the same, recorded
    under this one without a scan; returns their number.

    Only known people and term files may differ (a change in the scanner's code makes every message
    due). A person added can touch only texts holding a word of their name; a person removed only the
    messages whose ``people_keys`` hold them; a term file changed only texts its old or new terms could
    match, and messages with a finding of its category. The rest is carried over; the parts are kept
    in ``scan_config`` for the next night, all in one transaction."""
    new_hash = combine(parts)
    rows = con.execute(f"SELECT part, digest, content FROM {SCAN_CONFIG}").fetchall()
    old = {part: digest for part, digest, _ in rows}
    if old and combine(old) == new_hash:
        return 0
    old_content = {part: content for part, _, content in rows}
    carried = 0
    con.execute("BEGIN TRANSACTION")
    try:
        if old and old.get(fingerprint.CODE) == parts[fingerprint.CODE]:
            old_hash = combine(old)
            touched = _touched(con, old_hash, old, old_content, parts, people, terms_dir)
            if touched is not None:
                import pyarrow as pa

                con.register("_scan_touched", pa.table({"message_id": pa.array(sorted(touched), pa.string())}))
                try:
                    carried = con.execute(
                        f"UPDATE {SCAN_STATE} SET config_hash = ? WHERE config_hash = ? "
                        "AND message_id NOT IN (SELECT message_id FROM _scan_touched)",
                        [new_hash, old_hash]).fetchone()[0]
                finally:
                    con.unregister("_scan_touched")
        contents = fingerprint.term_parts(terms_dir)
        con.execute(f"DELETE FROM {SCAN_CONFIG}")
        con.executemany(f"INSERT INTO {SCAN_CONFIG} VALUES (?, ?, ?)",
                        [(part, digest, contents.get(part)) for part, digest in sorted(parts.items())])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return carried


def _touched(con: duckdb.DuckDBPyConnection, old_hash: str, old: dict[str, str], old_content: dict[str, bytes | None],
             parts: dict[str, str], people: list[str], terms_dir: Path) -> set[str] | None:
    """Ids of the messages under ``old_hash`` that the change from ``old`` to ``parts`` may touch;
    None when that cannot be told (a term file that does not load: everything is due)."""
    person = fingerprint.PERSON
    removed = [int(k[len(person):], 16) for k in old if k.startswith(person) and k not in parts]
    added = [p for p in people if f"{person}{fingerprint.person_key(p):016x}" not in old]
    changed_terms = sorted(k for k in set(old) | set(parts)
                           if k.startswith(fingerprint.TERMS) and old.get(k) != parts.get(k))
    touched: set[str] = set()
    if removed:
        touched.update(r[0] for r in con.execute(
            f"SELECT message_id FROM {SCAN_STATE} WHERE config_hash = ? AND outcome = 'scanned' "
            "AND (people_keys IS NULL OR list_has_any(people_keys, ?::UBIGINT[]))", [old_hash, removed]).fetchall())
    gates = []
    if added:
        index = PeopleIndex(added)
        gates.append(lambda text: bool(index.keys_in(text)))
    if changed_terms:
        new_content = fingerprint.term_parts(terms_dir)
        categories: set[str] = set()
        for part in changed_terms:
            for content in (old_content.get(part), new_content.get(part)):
                if content is None:
                    continue
                gate = _term_gate(part, content)
                if gate is None:
                    return None
                categories |= gate[0]
                gates.append(gate[1])
        if categories:
            touched.update(r[0] for r in con.execute(
                f"SELECT DISTINCT f.message_id FROM {FINDINGS} f JOIN {SCAN_STATE} s USING (message_id) "
                "WHERE s.config_hash = ? AND f.entity_type IN (SELECT unnest(?::VARCHAR[]))",
                [old_hash, sorted(categories)]).fetchall())
    if gates:
        # One pass over the distinct bodies scanned under the old configuration.
        for body, ids in con.execute(
                f"SELECT m.body, list(s.message_id) FROM {SCAN_STATE} s JOIN {MESSAGES} m USING (message_id) "
                "WHERE s.config_hash = ? AND s.outcome = 'scanned' AND m.body IS NOT NULL GROUP BY m.body",
                [old_hash]).fetchall():
            if any(gate(body) for gate in gates):
                touched.update(ids)
    return touched


def _term_gate(part: str, content: bytes):
    """(categories, text → whether this term file's terms could change its findings) for one version
    of a term file; None when it does not load. Could: a word of the text starts like a word of the
    file's terms or exclusions (which also decides what is lemmatised and what is a foreign word), or
    a form of a word (lemma, Dutch compound part) starts one of its terms."""
    import tempfile

    from o3_governance.scanning import special  # start-up time: Presidio, only when a term file changed

    language, name = part[len(fingerprint.TERMS):].split("/", 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / language / name
        path.parent.mkdir()
        path.write_bytes(content)
        try:
            terms = special.CategoryTerms(language, [path])
        except special.TermFileError:
            return None
    stems = {w[:3] for w in terms.words if w}
    lengths = sorted({len(s) for s in stems})

    def could_match(text: str) -> bool:
        tokens = special.tokenize(text)
        if any(tok[:n] in stems for tok, _, _ in tokens for n in lengths):
            return True
        base = [special.lemmas(text[a:b]) for _, a, b in tokens]
        return terms.may_match(terms.forms(text, tokens, base))

    return set(terms.categories), could_match


# Defaults of the bounded-work settings (``o3_governance.settings``); entry points pass the configured values.
DEFAULT_WINDOW_CHARS = 100_000
SCAN_BATCH = 8000   # distinct texts scanned between two looks at the clock


def scan_warehouse(con: duckdb.DuckDBPyConnection, known_people: Iterable[str] | None = None,
                   staff_directory: Path | str | None = None, workers: int = 2, *,
                   window_chars: int = DEFAULT_WINDOW_CHARS, seconds_budget: float | None = None,
                   monotonic: Callable[[], float] = time.monotonic, batch_texts: int | None = None,
                   terms_dir: Path = TERMS_DIR) -> ScanSummary:
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
    parts = config_parts(people, terms_dir)
    chash = combine(parts)
    summary = ScanSummary(config_hash=chash)

    # Messages removed by retention or erasure take their findings with them.
    con.execute("DELETE FROM findings WHERE message_id NOT IN (SELECT message_id FROM messages)")
    con.execute("DELETE FROM scan_state WHERE message_id NOT IN (SELECT message_id FROM messages)")
    summary.carried_forward = carry_forward(con, parts, people, terms_dir)

    # Restricted messages (Art. 18) may only be stored: they are not scanned until the restriction is lifted.
    # Oldest first, so that what a cut-short night leaves is picked up first the next night.
    # Read as Arrow (compact) and turned into Python objects one slice of ``CHUNK_MESSAGES`` at a time:
    # a night of a million messages holds one slice's texts, plans and findings in memory, not all.
    due_from = f"""
        FROM messages m LEFT JOIN scan_state s USING (message_id)
        WHERE m.message_type IN {SCANNED_TYPES} AND {_not_restricted(con)}
          AND (s.message_id IS NULL OR s.config_hash <> ? OR s.body_hash <> hash(coalesce(m.body, '')))"""
    # Asked first, without Arrow: a night with nothing due imports neither pyarrow nor numpy (start-up time).
    if not con.execute(f"SELECT EXISTS (SELECT 1 {due_from})", [chash]).fetchall()[0][0]:
        summary.seconds = time.perf_counter() - t0
        return summary
    due = con.sql(f"""
        SELECT m.message_id, m.chat_id, m.message_type, m.body, hash(coalesce(m.body, '')) AS body_hash
        {due_from}
        ORDER BY m.sent_at, m.message_id
    """, params=[chash]).to_arrow_table()
    summary.due = due.num_rows
    if not summary.due:
        summary.seconds = time.perf_counter() - t0
        return summary

    # A big night starts the workers now: they load their engines while the rest is read and deduplicated.
    # A smaller one decides once it knows how many distinct texts are left to analyse (``_scan_due``).
    pools = [scan_pool.start_pool(people, workers, summary.due, terms_dir=terms_dir)
             if summary.due >= EARLY_POOL else None]
    priors = _chat_priors(con)   # once: the languages a slice writes must not change the next slice's priors
    try:
        for start in range(0, summary.due, CHUNK_MESSAGES):
            if start and deadline is not None and monotonic() >= deadline:
                summary.budget_exhausted = True
                summary.left_for_next_night += summary.due - start
                break
            part = due.slice(start, CHUNK_MESSAGES)
            rows = list(zip(*(part.column(c).to_pylist() for c in range(part.num_columns))))
            # Texts a slice scanned are reused by the next ones (``_reuse``), as within a slice.
            _scan_due(con, rows, people, chash, summary, pools, priors, terms_dir=terms_dir, workers=workers,
                      window_chars=window_chars, deadline=deadline, monotonic=monotonic,
                      batch_texts=max(1, SCAN_BATCH if batch_texts is None else batch_texts))
    finally:
        if pools[0] is not None:
            pools[0].close()
    summary.seconds = time.perf_counter() - t0
    return summary


CHUNK_MESSAGES = 100_000   # due messages planned, scanned and written together
EARLY_POOL = 50_000   # due messages from which a night surely has enough new texts for the workers


def _scan_due(con, due, people, chash: str, summary: ScanSummary, pools: list, priors: dict[str, str], *,
              terms_dir: Path, workers: int, window_chars: int, deadline: float | None,
              monotonic: Callable[[], float], batch_texts: int) -> None:
    import pyarrow as pa

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
    if pools[0] is None and summary.due < EARLY_POOL:
        # The engine loads only when something is left to analyse, the workers only for a big batch.
        pools[0] = scan_pool.start_pool(people, workers, len(todo), terms_dir=terms_dir)
    pool = pools[0]
    # No pool means one process is enough: scan_unique must not start one itself.
    for k in range(0, len(todo), batch_texts):
        if k and deadline is not None and monotonic() >= deadline:
            summary.budget_exhausted = True
            break
        chunk = todo[k:k + batch_texts]
        fresh, used = scan_pool.scan_unique([keys[i] for i in chunk], people, workers=1 if pool is None else pool.workers,
                                            pool=pool, terms_dir=terms_dir)
        summary.workers = max(summary.workers, used)
        for i, r in zip(chunk, fresh):
            results[i] = r
        summary.unique_texts += len(chunk)

    f_cols: dict[str, list] = {k: [] for k in ("message_id", "entity_type", "start", "end", "score", "recognizer")}
    s_cols: dict[str, list] = {k: [] for k in ("message_id", "body_hash", "outcome", "language", "prior",
                                                "truncated_for_scan", "people_keys")}
    index = PeopleIndex(people)
    people_of: dict[int, list[int]] = {}
    for message_id, bhash, parts, truncated in plan:
        if parts is not None and any(results[idx] is None for idx, _ in parts):
            summary.left_for_next_night += 1   # not reached within the budget: no scan_state row, still due
            continue
        s_cols["message_id"].append(message_id)
        s_cols["body_hash"].append(bhash)
        s_cols["prior"].append(None if parts is None else keys[parts[0][0]][1])
        s_cols["truncated_for_scan"].append(truncated)
        if parts is None:
            s_cols["people_keys"].append([])
            s_cols["outcome"].append("skipped")
            s_cols["language"].append(None)
            summary.skipped += 1
            continue
        language = results[parts[0][0]][0]   # a truncated body: the language of its head
        findings = shift((offset, results[idx][1]) for idx, offset in parts) if truncated else results[parts[0][0]][1]
        s_cols["outcome"].append("scanned")
        s_cols["language"].append(language)
        for idx, _ in parts:
            if idx not in people_of:
                people_of[idx] = index.keys_in(keys[idx][0])
        s_cols["people_keys"].append(sorted({k for idx, _ in parts for k in people_of[idx]}))
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
    summary.findings_written += len(f_cols["message_id"])

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
        "people_keys": pa.array(s_cols["people_keys"], pa.list_(pa.uint64())),
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
                        "truncated_for_scan, people_keys) SELECT message_id, ?, body_hash, outcome, language, prior, "
                        "now(), truncated_for_scan, people_keys FROM _scan_new_state", [chash])
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
