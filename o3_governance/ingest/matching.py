"""Which chat each incoming chat is, and which of its messages are new: DuckDB SQL over one archive's
staged rows (``identity`` holds the formulas and the decision rule).

Per chat of an archive: the candidates (chats sharing content with it, or its name), the decision, the
v2 ids in the chosen chat, and the rows that are neither held nor purged (under any key they may have had:
v2, content, and the v1 ids of fingerprints kept by the migration) into the archive's pending table.
"""
from __future__ import annotations

from o3_governance.ingest import identity
from o3_governance.ingest.registry import ArchiveResult, ChatResult
from o3_governance.purge.tombstones import purged_key_sql
from o3_governance.vocabulary import MESSAGES, PURGED_MESSAGES

# Wall-clock Brussels time → instant (ICU): a spring-gap time moves forward an hour; a time in the
# repeated autumn hour is read as standard time.
SENT_AT_SQL = "timezone('Europe/Brussels', sent_local)"


def _lit(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


class Tables:
    """Names of one archive's temporary tables."""

    def __init__(self, archive_id: str) -> None:
        self.staging = f"o3_stg_{archive_id}"
        self.keyed = f"o3_keyed_{archive_id}"
        self.ided = f"o3_ided_{archive_id}"
        self.keys = f"o3_keys_{archive_id}"
        self.fresh = f"o3_fresh_{archive_id}"
        self.pending = f"o3_pend_{archive_id}"
        self.held = f"o3_held_{archive_id}"

    def drop(self, con) -> None:
        con.execute(f"DROP VIEW IF EXISTS {self.held}")
        for t in (self.staging, self.keyed, self.ided, self.keys, self.fresh, self.pending):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _pending_select(archive_id: str) -> str:
    """The identified rows (alias i) as ``messages`` rows, plus what media storing needs."""
    return (f"i.message_id, '{archive_id}' AS archive_id, i.g_chat_id AS chat_id, i.g_chat_name AS chat_name, "
            f"i.source_format, {SENT_AT_SQL.replace('sent_local', 'i.sent_local')} AS sent_at, i.sent_local, "
            "i.sent_local::DATE AS local_date, strftime(i.sent_local, '%Y-%m') AS month, i.author, i.author_phone, "
            "i.message_type, i.body, i.attachment, NULL::VARCHAR AS media_sha256, i.edited, i.language, i.line_no, "
            "i.author_id, i.content_key, i.member, i.media_id, i.declared_sha256")


def spellings_table(con) -> None:
    import pyarrow as pa

    spell = identity.placeholder_spellings()
    spellings_arrow = pa.table({"message_type": [t for t, words in spell.items() for _ in words],  # noqa: F841
                      "spelling": [w for words in spell.values() for w in words]})
    con.execute("CREATE OR REPLACE TEMP TABLE o3_spellings AS SELECT * FROM spellings_arrow")


def _has_legacy_tombstones(con) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM {PURGED_MESSAGES} WHERE key_version = 1").fetchall()[0][0])


def _candidates(con, t: Tables, grp: str, name: str, chat_key: str | None, default_id: str,
                legacy: bool) -> tuple[int, list[identity.Candidate]]:
    """The chats an incoming chat may be: those sharing content with it, and the one(s) of its name."""
    g = _lit(grp)
    incoming, lo, hi = con.execute(
        f"SELECT count(*), min(sent_local), max(sent_local) FROM {t.keyed} WHERE grp = {g} "
        "AND message_type <> 'system'").fetchall()[0]
    present = dict(con.execute(
        f"SELECT h.chat_id, count(DISTINCT k.content_key) FROM {t.keyed} k JOIN {t.held} h "
        f"ON h.content_key = k.content_key WHERE k.grp = {g} AND k.message_type <> 'system' "
        "AND h.message_type <> 'system' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5").fetchall())
    ids = set(present)
    if chat_key:
        same = {default_id}
    else:
        same = {r[0] for r in con.execute(f"SELECT DISTINCT chat_id FROM {t.held} WHERE chat_name = ?",
                                          [name]).fetchall()} | {default_id}
    ids |= same
    out = []
    for cid in sorted(ids):
        held_n, held_name, c_lo, c_hi = con.execute(
            f"SELECT count(*) FILTER (WHERE message_type <> 'system'), mode(chat_name), "
            f"min(sent_local) FILTER (WHERE message_type <> 'system'), "
            f"max(sent_local) FILTER (WHERE message_type <> 'system') FROM {t.held} WHERE chat_id = ?",
            [cid]).fetchall()[0]
        purged_n = con.execute(f"SELECT count(*) FROM {PURGED_MESSAGES} WHERE chat_id = ?", [cid]).fetchall()[0][0]
        purged_keys = [purged_key_sql(identity.v2_id_sql(f"'{cid}'"))]
        if legacy and (held_name or name):
            purged_keys.append(purged_key_sql(identity.v1_id_sql(_lit(held_name or name), "body", "occ_v1")))
        hit = " OR ".join(f"p.message_key = {k}" for k in purged_keys)
        purged_overlap = con.execute(
            f"SELECT count(*) FROM {t.keyed} WHERE grp = {g} AND message_type <> 'system' AND EXISTS "
            f"(SELECT 1 FROM {PURGED_MESSAGES} p WHERE {hit})").fetchall()[0][0]
        overlap = present.get(cid, 0) + purged_overlap
        if held_n == 0 and purged_n == 0 and overlap == 0 and held_name is None:
            continue   # nobody holds this chat, nothing of it was purged: not a candidate
        in_existing = in_incoming = 0
        if lo is not None and c_lo is not None:
            in_existing = con.execute(f"SELECT count(*) FROM {t.held} WHERE chat_id = ? AND message_type <> 'system' "
                                      "AND sent_local BETWEEN ? AND ?", [cid, lo, hi]).fetchall()[0][0]
            in_incoming = con.execute(f"SELECT count(*) FROM {t.keyed} WHERE grp = {g} AND message_type <> 'system' "
                                      "AND sent_local BETWEEN ? AND ?", [c_lo, c_hi]).fetchall()[0][0]
        same_name = (cid == default_id) if chat_key else (held_name == name or (held_name is None and cid == default_id))
        if same_name and not _held_before(con, cid) and purged_n == 0:
            same_name = False   # a chat of this same archive: two chat texts of one container are two chats
        out.append(identity.Candidate(cid, held_name, overlap, held_n + purged_n, same_name, in_existing, in_incoming))
    return incoming, out


def _held_before(con, chat_id: str) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM {MESSAGES} WHERE chat_id = ?", [chat_id]).fetchall()[0][0])


def _untaken(con, t: Tables, decision: identity.ChatDecision, identity_name: str, archive_id: str,
             position: int) -> identity.ChatDecision:
    """A new chat never takes an id in use (another chat of the same name in the same container)."""
    chat_id = decision.chat_id
    for candidate in (chat_id, identity.clash_chat_id(identity_name, archive_id),
                      identity.clash_chat_id(identity_name, f"{archive_id}\x1f{position}")):
        taken = con.execute(f"SELECT count(*) FROM {t.held} WHERE chat_id = ?", [candidate]).fetchall()[0][0]
        if not taken:
            return identity.ChatDecision(candidate, decision.chat_name, "new")
    return decision


def _identify(con, t: Tables, grp: str, decision: identity.ChatDecision, legacy: bool) -> None:
    """Ids of the group's messages in its chat, and of the purged among them (every key they may have)."""
    cid = f"'{decision.chat_id}'"
    v2 = identity.v2_id_sql(cid)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {t.ided} AS SELECT k.*, {cid} AS g_chat_id, {_lit(decision.chat_name)} "
        f"AS g_chat_name, {v2} AS content_id, CASE WHEN coalesce(k.source_id, '') <> '' "
        f"THEN {identity.wamid_id_sql('k.source_id')} ELSE {v2} END AS message_id "
        f"FROM {t.keyed} k WHERE k.grp = {_lit(grp)}")
    parts = [f"SELECT message_id, message_id AS k FROM {t.ided}", f"SELECT message_id, content_id FROM {t.ided}"]
    if legacy:   # fingerprints of v1 ids, kept by the migration: the export's name, the chat's, each spelling
        for name_col in ("chat_name", "g_chat_name"):
            parts.append(f"SELECT message_id, {identity.v1_id_sql(name_col, 'body', 'occ_v1')} FROM {t.ided}")
            parts.append(
                f"SELECT message_id, {identity.v1_id_sql(name_col, 'spelling', 'occ_s')} FROM (SELECT i.*, s.spelling, "
                "row_number() OVER (PARTITION BY s.spelling, i.sent_local, i.author ORDER BY i.line_no) - 1 AS occ_s "
                f"FROM {t.ided} i JOIN o3_spellings s ON s.message_type = i.message_type)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {t.keys} AS " + " UNION ALL ".join(parts))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {t.fresh} AS SELECT i.* FROM {t.ided} i "
        f"WHERE NOT EXISTS (SELECT 1 FROM {t.held} h WHERE h.message_id = i.message_id) "
        f"AND NOT EXISTS (SELECT 1 FROM {t.held} h WHERE h.message_id = i.content_id) "
        f"AND i.message_id NOT IN (SELECT DISTINCT k.message_id FROM {t.keys} k JOIN {PURGED_MESSAGES} p "
        f"ON p.message_key = {purged_key_sql('k.k')})")


def key(con, t: Tables) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {t.keyed} AS WITH b AS (SELECT *, {identity.BODY_KEY_SQL} AS body_key, "
        f"member::VARCHAR || chr(31) || coalesce(chat_key, chat_name) AS grp FROM {t.staging}), "
        f"o AS (SELECT *, row_number() OVER (PARTITION BY grp, {identity.OCCURRENCE_PARTITION} ORDER BY line_no) - 1 "
        "AS occurrence, row_number() OVER (PARTITION BY grp, sent_local, author, body ORDER BY line_no) - 1 AS occ_v1 "
        f"FROM b) SELECT *, {identity.content_key_sql()} AS content_key FROM o")


def match_and_add(con, t: Tables, archive_id: str, result: ArchiveResult) -> None:
    """Each chat of the item: decide its chat, then add what is neither held nor purged."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {t.pending} AS SELECT {_pending_select(archive_id)} FROM "
                f"(SELECT *, NULL::VARCHAR AS g_chat_id, NULL::VARCHAR AS g_chat_name, NULL::VARCHAR AS message_id "
                f"FROM {t.keyed}) i LIMIT 0")
    cols = ", ".join(f"{c}" for c in ("chat_id", "chat_name", "message_id", "content_key", "message_type", "sent_local"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {t.held} AS SELECT {cols} FROM {MESSAGES} UNION ALL "
                f"SELECT {cols} FROM {t.pending}")
    legacy = _has_legacy_tombstones(con)
    # A conversation's name: what most of its messages say (a Cloud API system line may name a phone).
    groups = con.execute(f"SELECT grp, min(member), coalesce(mode(chat_name) FILTER (WHERE message_type <> 'system'), "
                         f"min(chat_name)), min(chat_key), min(line_no) FROM {t.keyed} GROUP BY grp ORDER BY 2, 5").fetchall()
    for position, (grp, member, name, chat_key, _first) in enumerate(groups, 1):
        default_id = identity.default_chat_id(name, chat_key)
        incoming, candidates = _candidates(con, t, grp, name, chat_key, default_id, legacy)
        decision = identity.decide(name, chat_key or name, incoming, candidates, archive_id, default_id)
        if decision.chat_match == "new":
            decision = _untaken(con, t, decision, chat_key or name, archive_id, position)
        _identify(con, t, grp, decision, legacy)
        total = con.execute(f"SELECT count(*) FROM {t.ided}").fetchall()[0][0]
        con.execute(f"INSERT INTO {t.pending} SELECT {_pending_select(archive_id)} FROM {t.fresh} i")
        new = con.execute(f"SELECT count(*) FROM {t.fresh}").fetchall()[0][0]
        result.chats.append(ChatResult(position, member, decision.chat_id, decision.chat_match, total, new,
                                       decision.chat_name))


