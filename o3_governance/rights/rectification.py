"""Rectification (Art. 16): a corrected name or phone for the subject, recorded in ``subject_mappings``.

Chat messages are records of what was written and are not rewritten; what is corrected is the
mapping that says who wrote them. The mapping takes precedence over the directory file: from then on
the subject's messages are found by the corrected name and phone (the earlier mapping is kept,
marked superseded, so the correction itself can be shown).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from o3_governance.rights import register
from o3_governance.rights.finder import SubjectData


def rectify(con: duckdb.DuckDBPyConnection, secret: bytes, request_id: str, key: str,
            current_phone: str, current_name: str | None, new_name: str | None, new_phone: str | None,
            data: SubjectData, now: datetime) -> dict[str, Any]:
    """``secret``: the key of the keyed hashes (:func:`register.secret_key`)."""
    phone = new_phone or current_phone
    name = new_name or current_name
    new_key = register.subject_key(secret, phone)
    superseded = con.execute(
        "SELECT count(*) FROM subject_mappings WHERE superseded_at IS NULL AND (subject_key IN (?, ?) OR phone = ?)",
        [key, new_key, current_phone]).fetchone()[0]
    con.execute("UPDATE subject_mappings SET superseded_at = ? WHERE superseded_at IS NULL "
                "AND (subject_key IN (?, ?) OR phone = ?)", [now, key, new_key, current_phone])
    con.execute("INSERT INTO subject_mappings VALUES (?, ?, ?, ?, ?, NULL)", [request_id, new_key, name, phone, now])
    return {
        "mapping_recorded": True,
        "name_corrected": bool(new_name),
        "phone_corrected": bool(new_phone),
        "mappings_superseded": superseded,
        "messages_attributed": len(data.authored),
    }
