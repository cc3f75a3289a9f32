"""Who may sign: the name of a person recording an event or approving a deletion list, and the
four-eyes register of approvals (``disposal.approvers_required`` in the policy).

A name that is empty, a placeholder copied from a hint (``<your name>``, anything in angle
brackets) or longer than a name can be is refused. With two approvers required a list is applied only
after two different people approved it; the comparison ignores case and spacing, so "Ann Peeters"
and "ann  peeters" are the same person."""
from __future__ import annotations

import re
from datetime import datetime

import duckdb

from o3_governance.storage import audit

APPROVALS = "deletion_list_approvals"
SCHEMA = f"""CREATE TABLE IF NOT EXISTS {APPROVALS} (
    list_id      VARCHAR NOT NULL,
    approved_by  VARCHAR NOT NULL,
    approved_at  TIMESTAMPTZ NOT NULL
)"""
_PLACEHOLDER = re.compile(r"^\s*[<\[{(].*[>\]})]\s*$|^(your name|name|approver|todo|tbd|xxx+)$", re.IGNORECASE)


class ApprovalError(ValueError):
    """A refused name or approval: one line, no content beyond the role asked for."""


def person_name(text: str | None, what: str = "--approved-by") -> str:
    """``text`` with its spacing tidied, or :class:`ApprovalError` for an empty or placeholder name."""
    text = " ".join((text or "").split())
    if not text:
        raise ApprovalError(f"{what} must name a person")
    if _PLACEHOLDER.match(text):
        raise ApprovalError(f"{what} is a placeholder, not a person's name: write your own name")
    if len(text) > 100:
        raise ApprovalError(f"{what} is longer than 100 characters")
    return text


def same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def approvers(con: duckdb.DuckDBPyConnection, list_id: str) -> list[str]:
    """The people who approved ``list_id``, in the order they did."""
    ensure_schema(con)
    return [r[0] for r in con.execute(f"SELECT approved_by FROM {APPROVALS} WHERE list_id = ? "
                                      "ORDER BY approved_at, approved_by", [list_id]).fetchall()]


def approve(con: duckdb.DuckDBPyConnection, list_id: str, name: str, *, required: int, now: datetime,
            run_id: str | None = None) -> list[str]:
    """Record ``name``'s approval of ``list_id`` and return every approver so far.

    Approving again once enough people approved is a no-op (the apply run repeats the last approver);
    the same person approving twice before that is refused."""
    name = person_name(name)
    so_far = approvers(con, list_id)
    if any(same_person(name, n) for n in so_far):
        if len(so_far) >= required:
            return so_far
        raise ApprovalError("this person already approved the list: a second, different person must approve it")
    con.execute(f"INSERT INTO {APPROVALS} VALUES (?, ?, ?)", [list_id, name, now])
    so_far.append(name)
    audit.append(con, "deletion_list_approval_recorded",
                 {"list_id": list_id, "approvals": len(so_far), "required": required}, run_id=run_id, ts=now)
    return so_far
