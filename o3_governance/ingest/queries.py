"""What other domains (reporting) and the CLI may read of ingest's registry tables: counts, never content."""
from __future__ import annotations

import json

from o3_governance.storage import warehouse
from o3_governance.vocabulary import ARCHIVE_CHATS, ARCHIVE_REJECTS, ARCHIVES, MESSAGE_REACTIONS


def intake_counts(con) -> dict[str, int]:
    """Records kept aside (rejected), partial archives, chats matched by content, reactions, and the
    capture counts (statuses, errors, events for unknown messages, media not captured / expired)."""
    out: dict[str, int] = {}
    if not warehouse.table_exists(con, ARCHIVES):
        return out
    out["archives_partial"] = con.execute(f"SELECT count(*) FROM {ARCHIVES} WHERE status = 'partial'").fetchall()[0][0]
    if warehouse.table_exists(con, ARCHIVE_REJECTS):
        out["records_rejected"] = con.execute(f"SELECT count(*) FROM {ARCHIVE_REJECTS}").fetchall()[0][0]
    if warehouse.table_exists(con, ARCHIVE_CHATS):
        for match, n in con.execute(f"SELECT chat_match, count(*) FROM {ARCHIVE_CHATS} GROUP BY 1").fetchall():
            out[f"chats_matched_by_{match}"] = n
    if warehouse.table_exists(con, MESSAGE_REACTIONS):
        out["reactions"] = con.execute(f"SELECT count(*) FROM {MESSAGE_REACTIONS}").fetchall()[0][0]
    for (counts,) in con.execute(f"SELECT counts FROM {ARCHIVES} WHERE counts IS NOT NULL").fetchall():
        for k, v in json.loads(counts).items():
            if isinstance(v, int):
                out[k] = out.get(k, 0) + v
    return out


def rejected_records(con) -> list[tuple[str, int, int, str]]:
    """(archive_id, member, line_no, reason) of every record kept aside, by archive and line."""
    if not warehouse.table_exists(con, ARCHIVE_REJECTS):
        return []
    return con.execute(f"SELECT archive_id, member, line_no, reason FROM {ARCHIVE_REJECTS} "
                       "ORDER BY archive_id, member, line_no").fetchall()
