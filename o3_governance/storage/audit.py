"""The append-only, keyed hash chain of the audit log, and the anchors that remember its head.

Each row's hash is an HMAC-SHA256, under the audit key, of the previous row's hash and the row's own
fields: editing, removing or reordering a row breaks the chain, and without the key nobody can forge
a chain that verifies. The key is ``O3_AUDIT_KEY`` (handed in by the entry point through
:func:`configured`) or else a random key kept in ``<data>/.secret/audit_key`` (0600), created on first
use. A key kept inside the data folder stops a quiet rewrite only together with an anchor outside it.

The head of the chain (row count and last hash) is remembered outside the table: in
``audit_head.json`` beside the warehouse, in every report manifest and deletion certificate
(:func:`anchor`), and, when ``O3_AUDIT_ANCHOR`` names a file outside the data folder, as one appended
line per anchoring (``{"ts", "rows", "head"}``). :func:`verify` checks the chain with the key and
:func:`check_anchors` checks it against every anchor the caller found; each answers with one line
naming the first row or anchor that disagrees.

A chain written before keying (plain SHA-256) is re-chained with the key once, when it verifies: an
``audit_chain_keyed`` row records the old row count and head, and ``<data>/.secret/audit_chain.json``
records that the chain is keyed (so an unkeyed chain found later is a rewrite, not a chain to key).
Details never hold message content or raw identifiers: callers pass counts, ids and keyed hashes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb

from o3_governance.storage import keyfiles
from o3_governance.storage.catalog import table_exists
from o3_governance.vocabulary import AUDIT_LOG

GENESIS = "0" * 64
SECRET_DIR = ".secret"
KEY_FILE = "audit_key"          # in <data>/.secret/
CHAIN_FILE = "audit_chain.json"  # in <data>/.secret/: the chain is keyed, with which key (its id)
HEAD_FILE = "audit_head.json"    # beside the warehouse
KEYED_EVENT = "audit_chain_keyed"
ANCHORED_EVENT = "audit_anchored"
MIN_KEY_LENGTH = 16

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq        BIGINT PRIMARY KEY,
    ts         TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR,
    event      VARCHAR NOT NULL,
    details    VARCHAR NOT NULL,   -- canonical JSON
    prev_hash  VARCHAR NOT NULL,
    row_hash   VARCHAR NOT NULL
)
"""

# What the entry points configure (``O3_AUDIT_KEY``, ``O3_AUDIT_ANCHOR``); see :func:`configured`.
_config: dict[str, Any] = {"key": None, "anchor_file": None}
_EPHEMERAL_KEY = secrets.token_bytes(32)   # a warehouse in memory has no data folder to keep a key in
_legacy_broken: set[str] = set()           # unkeyed chains found broken: not re-checked on every append


class AuditKeyError(RuntimeError):
    """The configured key is not the key the chain was written with (one line, no key material)."""


class AuditAnchorError(RuntimeError):
    """The anchor file outside the data folder could not be written (one line)."""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


# ----------------------------------------------------------------------------------- configuration

@contextmanager
def configured(*, key: str | None, anchor_file: Path | None) -> Iterator[None]:
    """For the block: the audit key (``O3_AUDIT_KEY``; None: the key file in the data folder) and the
    anchor file outside the data folder (None: none). The entry points wrap their work in this."""
    before = dict(_config)
    configure(key=key, anchor_file=anchor_file)
    try:
        yield
    finally:
        _config.update(before)


def configure(*, key: str | None, anchor_file: Path | None) -> dict[str, Any]:
    """Sets what :func:`configured` sets, until changed again; returns the values it replaced."""
    if key is not None and len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"an audit key needs at least {MIN_KEY_LENGTH} characters")
    before = dict(_config)
    _config.update(key=key.encode("utf-8") if key else None, anchor_file=Path(anchor_file) if anchor_file else None)
    return before


def restore(previous: dict[str, Any]) -> None:
    _config.update(previous)


# ------------------------------------------------------------------------------------------ hashing

def _payload(prev_hash: str, seq: int, ts: datetime, run_id: str | None, event: str, details: str) -> bytes:
    ts_utc = ts.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return "\x1f".join([prev_hash, str(seq), ts_utc, run_id or "", event, details]).encode("utf-8")


def keyed_hash(key: bytes, prev_hash: str, seq: int, ts: datetime, run_id: str | None, event: str,
               details: str) -> str:
    return hmac.new(key, b"o3-audit\x1f" + _payload(prev_hash, seq, ts, run_id, event, details),
                    hashlib.sha256).hexdigest()


def unkeyed_hash(prev_hash: str, seq: int, ts: datetime, run_id: str | None, event: str, details: str) -> str:
    """The hash of chains written before the key (plain SHA-256): read only to verify and migrate them."""
    return hashlib.sha256(_payload(prev_hash, seq, ts, run_id, event, details)).hexdigest()


def key_id(key: bytes) -> str:
    """Names a key without revealing it (recorded with the chain to tell a wrong key from tampering)."""
    return hmac.new(key, b"o3-audit-key-id", hashlib.sha256).hexdigest()[:16]


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


# ------------------------------------------------------------------------------- files of the chain

def _db_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]) if row and row[0] else None


def _head_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    path = _db_path(con)
    return path.with_name(HEAD_FILE) if path is not None else None


def _secret_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    path = _db_path(con)
    return path.parent / SECRET_DIR if path is not None else None


def chain_key(con: duckdb.DuckDBPyConnection, create: bool = True) -> bytes | None:
    """The audit key: the configured one, else ``<data>/.secret/audit_key`` (created 0600 when
    ``create``; None when absent and not created)."""
    if _config["key"] is not None:
        return _config["key"]
    folder = _secret_dir(con)
    if folder is None:
        return _EPHEMERAL_KEY
    path = folder / KEY_FILE
    if not path.exists() and not create:
        return None
    return keyfiles.read_or_create_key(path)


def _read_marker(con: duckdb.DuckDBPyConnection) -> dict | None:
    folder = _secret_dir(con)
    if folder is None:
        return {"key_id": key_id(_EPHEMERAL_KEY if _config["key"] is None else _config["key"])}
    try:
        doc = json.loads((folder / CHAIN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"key_id": "unreadable"}
    return doc if isinstance(doc, dict) else {"key_id": "unreadable"}


def _write_marker(con: duckdb.DuckDBPyConnection, key: bytes, ts: datetime, migrated_from: dict | None) -> None:
    folder = _secret_dir(con)
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / (CHAIN_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"key_id": key_id(key), "keyed_at": ts.astimezone(timezone.utc).isoformat(),
                   "migrated_from": migrated_from}, fh, sort_keys=True)
    os.replace(tmp, folder / CHAIN_FILE)


def _write_head(con: duckdb.DuckDBPyConnection, seq: int, row_hash: str) -> None:
    head = _head_file(con)
    if head is not None:
        head.write_text(json.dumps({"seq": seq, "row_hash": row_hash}))


# ------------------------------------------------------------------------------------------ writing

def append(con: duckdb.DuckDBPyConnection, event: str, details: dict[str, Any] | None = None,
           run_id: str | None = None, *, ts: datetime) -> str:
    """Append one event at ``ts`` (an aware instant the caller read from its clock); returns its hash.
    Works inside the caller's transaction if one is open."""
    ensure_schema(con)
    ts = ts.astimezone(timezone.utc)
    key = _keyed_chain(con, ts)
    details_json = _canonical(details or {})
    last = con.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    h = (keyed_hash(key, prev, seq, ts, run_id, event, details_json) if key is not None
         else unkeyed_hash(prev, seq, ts, run_id, event, details_json))
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)", [seq, ts, run_id, event, details_json, prev, h])
    _write_head(con, seq, h)
    return h


def _keyed_chain(con: duckdb.DuckDBPyConnection, ts: datetime) -> bytes | None:
    """The key to append with; keys an unkeyed chain first when it can (once). None: the chain stays
    unkeyed for now (it is broken, or the caller's open transaction leaves no room to re-chain it)."""
    key = chain_key(con)
    marker = _read_marker(con)
    if marker is not None and marker.get("key_id") == key_id(key):
        return key
    rows = _rows(con)
    if marker is not None:
        if marker.get("key_id") != key_id(key):
            if rows == 0:  # nothing chained yet: the chain starts with this key
                _write_marker(con, key, ts, None)
                return key
            raise AuditKeyError("the audit key (O3_AUDIT_KEY or <data>/.secret/audit_key) is not the key "
                                "this audit chain was written with: nothing appended")
        return key
    if rows == 0:
        _write_marker(con, key, ts, None)
        return key
    if _verify_rows(con, key).ok:  # keyed already (a crash came before the marker): record it
        _write_marker(con, key, ts, _migrated_from(con))
        return key
    db = str(_db_path(con))
    if db in _legacy_broken or not _verify_rows(con, None).ok:
        _legacy_broken.add(db)
        return None  # a broken chain is never re-chained: that would hide the break
    return key if _migrate(con, key, ts) else None


def _migrate(con: duckdb.DuckDBPyConnection, key: bytes, ts: datetime) -> bool:
    """Re-chains an intact unkeyed chain with ``key`` in one transaction of its own and records the
    old head; False (nothing done) when the caller has a transaction open."""
    if _in_transaction(con):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        rows = con.execute("SELECT seq, ts, run_id, event, details FROM audit_log ORDER BY seq").fetchall()
        old_rows, old_head = len(rows), con.execute(
            "SELECT row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
        prev, updates = GENESIS, []
        for seq, row_ts, run_id, event, details in rows:
            h = keyed_hash(key, prev, seq, row_ts, run_id, event, details)
            updates.append((seq, prev, h))
            prev = h
        con.execute("CREATE TEMP TABLE audit_rechain (seq BIGINT, prev_hash VARCHAR, row_hash VARCHAR)")
        con.executemany("INSERT INTO audit_rechain VALUES (?, ?, ?)", updates)
        con.execute("UPDATE audit_log SET prev_hash = r.prev_hash, row_hash = r.row_hash "
                    "FROM audit_rechain r WHERE audit_log.seq = r.seq")
        con.execute("DROP TABLE audit_rechain")
        details = _canonical({"old_rows": old_rows, "old_head": old_head, "key_id": key_id(key)})
        seq = old_rows + 1
        h = keyed_hash(key, prev, seq, ts, None, KEYED_EVENT, details)
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)", [seq, ts, None, KEYED_EVENT, details, prev, h])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _write_marker(con, key, ts, {"rows": old_rows, "head": old_head})
    _write_head(con, seq, h)
    return True


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller has a transaction open: outside one, each statement gets a new transaction
    id. (Trying BEGIN would abort the caller's transaction.)"""
    first = con.execute("SELECT txid_current()").fetchone()[0]
    return con.execute("SELECT txid_current()").fetchone()[0] == first


def _migrated_from(con: duckdb.DuckDBPyConnection) -> dict | None:
    row = con.execute(f"SELECT details FROM audit_log WHERE event = '{KEYED_EVENT}' ORDER BY seq LIMIT 1").fetchone()
    if not row:
        return None
    details = json.loads(row[0])
    return {"rows": details.get("old_rows"), "head": details.get("old_head")}


def _rows(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


# ---------------------------------------------------------------------------------------- anchoring

@dataclass(frozen=True)
class Head:
    rows: int
    head: str

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "head": self.head}


def head(con: duckdb.DuckDBPyConnection) -> Head:
    """The chain's row count and last hash (GENESIS when empty)."""
    if not table_exists(con, AUDIT_LOG):
        return Head(0, GENESIS)
    row = con.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def anchor(con: duckdb.DuckDBPyConnection, *, ts: datetime, run_id: str | None = None) -> dict[str, Any]:
    """The head to write into a manifest or certificate (``{"rows", "head"}``); with an anchor file
    configured, also appended there as one line, and the line's number recorded in the chain (so
    cutting lines off the file is seen). Call outside a transaction: an anchor must name committed rows."""
    current = head(con)
    path = _config["anchor_file"]
    if path is not None:
        line = json.dumps({"ts": ts.astimezone(timezone.utc).isoformat(), **current.as_dict()}, sort_keys=True)
        try:
            number = _count_lines(path) + 1
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise AuditAnchorError(f"the audit anchor file (O3_AUDIT_ANCHOR) could not be written "
                                   f"({type(exc).__name__})") from None
        append(con, ANCHORED_EVENT, {"line": number, **current.as_dict()}, run_id=run_id, ts=ts)
    return current.as_dict()


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class Anchor:
    source: str       # where it was found, for the one-line answer: "anchor file line 3", "report 2026-11-24"
    rows: int | None  # None: the anchor could not be read
    head: str | None


def read_anchor_file(path: Path) -> list[Anchor]:
    """The lines of an anchor file; an unreadable line is an anchor that disagrees."""
    out: list[Anchor] = []
    try:
        lines = Path(path).read_bytes().split(b"\n")
    except FileNotFoundError:
        return []
    if lines and lines[-1] == b"":
        lines.pop()
    for i, raw in enumerate(lines, start=1):
        out.append(anchor_from(f"anchor file line {i}", _json(raw)))
    return out


def anchor_from(source: str, doc: Any) -> Anchor:
    """An anchor from a ``{"rows", "head"}`` mapping (as :func:`anchor` wrote it), or an unreadable one."""
    if isinstance(doc, dict) and isinstance(doc.get("rows"), int) and not isinstance(doc.get("rows"), bool) \
            and isinstance(doc.get("head"), str) and doc["rows"] >= 0:
        return Anchor(source, doc["rows"], doc["head"])
    return Anchor(source, None, None)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------- verifying

@dataclass
class Verification:
    ok: bool
    rows: int
    problem: str | None = None  # one line: which row or anchor, and what is wrong
    keyed: bool = True

    def __bool__(self) -> bool:
        return self.ok


def verify(con: duckdb.DuckDBPyConnection) -> Verification:
    """The chain, checked with the audit key, and against ``audit_head.json``. A chain never keyed
    (written before keying, not yet migrated) is checked the old way and says so (``keyed`` False)."""
    if not table_exists(con, AUDIT_LOG):
        return Verification(True, 0)
    marker = _read_marker(con)
    key = chain_key(con, create=False)
    if marker is not None:
        if key is None or marker.get("key_id") != key_id(key):
            return Verification(False, _rows(con), "the audit key (O3_AUDIT_KEY or <data>/.secret/audit_key) is "
                                                   "not the key this chain was written with")
        result = _verify_rows(con, key)
    else:
        result = _verify_rows(con, key) if key is not None and _rows(con) else Verification(False, 0)
        if not result.ok:
            result = _verify_rows(con, None)
            result.keyed = result.rows == 0
    if not result.ok:
        return result
    head_file = _head_file(con)
    if head_file is not None and head_file.exists():
        recorded = _json(head_file.read_bytes())
        found = anchor_from(HEAD_FILE, {"rows": recorded.get("seq"), "head": recorded.get("row_hash")}
                            if isinstance(recorded, dict) else None)
        problem = check_anchors(con, [found])
        if problem:
            return Verification(False, result.rows, problem, result.keyed)
    return result


def _verify_rows(con: duckdb.DuckDBPyConnection, key: bytes | None) -> Verification:
    rows = con.execute(
        "SELECT seq, ts, run_id, event, details, prev_hash, row_hash FROM audit_log ORDER BY seq").fetchall()
    prev = GENESIS
    expected_seq = 1
    for seq, ts, run_id, event, details, prev_hash, stored in rows:
        if seq != expected_seq:
            return Verification(False, len(rows), f"row {expected_seq}: sequence broken (found {seq}): removed or reordered")
        if prev_hash != prev:
            return Verification(False, len(rows), f"row {seq}: previous-hash link broken")
        expected = (keyed_hash(key, prev, seq, ts, run_id, event, details) if key is not None
                    else unkeyed_hash(prev, seq, ts, run_id, event, details))
        if not hmac.compare_digest(expected, stored):
            return Verification(False, len(rows), f"row {seq}: contents do not match its hash (edited)")
        prev = stored
        expected_seq += 1
    return Verification(True, len(rows), keyed=key is not None)


def check_anchors(con: duckdb.DuckDBPyConnection, anchors: Sequence[Anchor]) -> str | None:
    """The first anchor that disagrees with the chain, as one line; None when all agree. An anchor
    agrees when the chain has at least its rows and row ``rows`` has its head."""
    total = head(con).rows
    for a in anchors:
        if a.rows is None or a.head is None:
            return f"{a.source}: unreadable"
        if a.rows == 0:
            continue
        if a.rows > total:
            return f"{a.source}: remembers {a.rows} audit rows, the chain has {total} (rows removed)"
        row = con.execute("SELECT row_hash FROM audit_log WHERE seq = ?", [a.rows]).fetchone()
        if row is None or not hmac.compare_digest(row[0], a.head):
            return f"{a.source}: row {a.rows} differs from the head it remembers"
    return None


def check_anchor_file(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """The anchor file's lines against the chain, and the file against the chain's record of it: a
    line the chain says was written but is missing (the file was cut) is named too."""
    anchors = read_anchor_file(path)
    problem = check_anchors(con, anchors)
    if problem:
        return problem
    if not table_exists(con, AUDIT_LOG):
        return None
    recorded = con.execute(f"SELECT details FROM audit_log WHERE event = '{ANCHORED_EVENT}' "
                           "ORDER BY seq DESC LIMIT 1").fetchone()
    if recorded:
        detail = _json(recorded[0].encode("utf-8")) or {}
        line, rows = detail.get("line"), detail.get("rows")
        if isinstance(line, int) and line > len(anchors):
            return f"anchor file line {line}: missing (the file has {len(anchors)} lines: cut or replaced)"
        if isinstance(line, int) and anchors[line - 1].rows != rows:
            return f"anchor file line {line}: not the line the chain recorded (replaced)"
    return None
