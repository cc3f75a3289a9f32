"""What the nightly report says, gathered from the warehouse as counts, ids and dates only.

Every query reads tables other domains write; any of them may not exist yet (or have fewer columns
than expected), in which case the section is marked "not available" instead of failing the report.
Nothing here selects message bodies, authors, phone numbers, chat names or file names.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from o3_governance import settings
from o3_governance.storage import audit, warehouse
from o3_governance.reporting import policyview

# GDPR Art. 9 special categories and Art. 10 (criminal offences), as named in the contract.
SPECIAL_CATEGORIES = (
    "HEALTH_DATA", "POLITICAL_OPINION", "RELIGIOUS_BELIEF", "TRADE_UNION_MEMBERSHIP", "SEXUAL_ORIENTATION",
    "ETHNIC_ORIGIN", "BIOMETRIC_DATA", "GENETIC_DATA", "CRIMINAL_OFFENCE",
)
IDENTIFIER_TYPES = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "BE_NATIONAL_NUMBER",
                    "PERSON", "LOCATION")

# Statuses of a deletion list that still wait for a human decision.
AWAITING_STATUSES = ("pending", "proposed", "awaiting_approval", "awaiting-approval", "open", "draft",
                     "pending_approval", "new", "created")
# Statuses of a data-subject request that is finished (the rest are open and have a deadline).
CLOSED_DSR_STATUSES = ("done", "completed", "closed", "answered", "rejected", "refused", "carried_out",
                       "fulfilled", "withdrawn", "cancelled")


def chat_label(chat_id: str | None) -> str:
    """A non-personal label: chat names can be people's names, so the report never shows them."""
    return f"chat {chat_id[:8]}…" if chat_id else "chat (unknown)"


_MASKS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[e-mail]"),
    (re.compile(r"\+?\d[\d .\-/]{5,}\d"), "[number]"),
    # quoted text, unless it is a single key-like word (a YAML key, a format name)
    (re.compile(r"[\"'“‘«](?![A-Za-z_][\w.\-]{0,30}[\"'”’»])[^\"'”’»]{0,200}[\"'”’»]"), "[…]"),
]


def safe_reason(reason: str | None) -> str:
    """Quarantine reasons are one-line texts written by the code, but a parser may quote a bit of the
    file; quoted parts, long numbers and e-mail addresses are masked so the report cannot leak them."""
    if not reason:
        return ""
    text = reason.splitlines()[0] if reason.strip() else ""
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text[:200]


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def _has(con, table: str, *cols: str) -> bool:
    if not warehouse.table_exists(con, table):
        return False
    present = set(columns(con, table))
    return all(c in present for c in cols)


def _first(present: list[str], *candidates: str) -> str | None:
    for c in candidates:
        if c in present:
            return c
    return None


def month_add(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@dataclass
class Section:
    available: bool = True
    note: str = ""          # why it is not available, or a remark
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportData:
    as_of: date
    generated_at: datetime
    policy: policyview.PolicyView
    archives: Section
    messages: Section
    findings: Section
    special: Section
    retention: Section
    deletion_lists: Section
    deletions: Section
    dsr: Section
    audit: Section

    def summary_counts(self) -> dict[str, int]:
        """Headline numbers: for the Dagster metadata and summary.json (counts only)."""
        out: dict[str, int] = {}
        a = self.archives.data
        if self.archives.available:
            for status in ("ingested", "duplicate", "quarantined"):
                out[f"archives_{status}"] = int(a["by_status"].get(status, 0))
        if self.messages.available:
            out["messages"] = int(self.messages.data["total"])
            out["chats"] = len(self.messages.data["per_chat"])
        if self.findings.available:
            out["findings"] = int(self.findings.data["total"])
        if self.special.available:
            out["special_category_findings"] = int(sum(r["findings"] for r in self.special.data["per_chat"]))
        if self.retention.available:
            out["messages_held"] = int(self.retention.data["held_total"])
            out["messages_due_next_12_months"] = int(sum(n for _, n in self.retention.data["due_by_month"]))
        if self.deletion_lists.available:
            out["deletion_list_messages"] = int(self.deletion_lists.data["current_list_rows"])
            out["deletion_lists_awaiting_approval"] = len(self.deletion_lists.data["awaiting"])
        if self.deletions.available:
            out["deletion_certificates"] = len(self.deletions.data["certificates"])
        if self.dsr.available:
            out["dsr_open"] = int(self.dsr.data["open"])
            out["dsr_overdue"] = int(self.dsr.data["overdue"])
        return out


def _not_available(what: str) -> Section:
    return Section(available=False, note=f"not available: {what}")


# -- sections -------------------------------------------------------------------------------------

def archives_section(con) -> Section:
    if not _has(con, "archives", "archive_id", "status"):
        return _not_available("no archive registry yet")
    present = columns(con, "archives")
    by_status = dict(con.execute("SELECT status, count(*) FROM archives GROUP BY status").fetchall())
    reasons = []
    if "reason" in present:
        raw = con.execute("SELECT status, reason, count(*) FROM archives WHERE status <> 'ingested' "
                          "GROUP BY status, reason ORDER BY 3 DESC, 1, 2").fetchall()
        merged: dict[tuple[str, str], int] = {}
        for status, reason, n in raw:
            key = (status, safe_reason(reason) or "(no reason given)")
            merged[key] = merged.get(key, 0) + n
        reasons = [{"status": s, "reason": r, "count": n} for (s, r), n in
                   sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))]
    wanted = [c for c in ("archive_id", "sha256", "status", "reason", "source_format", "message_count",
                          "new_message_count", "media_count", "size_bytes", "received_at", "chat_id",
                          "file_name") if c in present]
    order = "received_at, archive_id" if "received_at" in present else "archive_id"
    rows = []
    for values in con.execute(f"SELECT {', '.join(wanted)} FROM archives ORDER BY {order}").fetchall():
        r = dict(zip(wanted, values))
        # The file name is often "WhatsApp Chat with <person>": only its extension is reported.
        name = r.pop("file_name", None)
        r["file_type"] = _extension(name)
        r["reason"] = safe_reason(r.get("reason"))
        r["received_at"] = _iso(r.get("received_at"))
        rows.append(r)
    return Section(data={"by_status": by_status, "reasons": reasons, "rows": rows,
                         "total": sum(by_status.values())})


def _extension(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    ext = name.rsplit(".", 1)[1].lower()
    return ext if re.fullmatch(r"[a-z0-9]{1,8}", ext) else ""


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def restricted_count(con) -> int:
    """Messages under an Art. 18 restriction (or objection): they may only be stored, so the
    report leaves them out of every count of messages and findings and says how many there are."""
    if not warehouse.table_exists(con, "restricted_message_ids"):
        return 0
    return con.execute("SELECT count(DISTINCT message_id) FROM restricted_message_ids").fetchone()[0]


def visible_messages(con) -> str:
    """The messages relation the report counts: ``messages`` without the restricted ones."""
    if restricted_count(con):
        return "(SELECT * FROM messages WHERE message_id NOT IN (SELECT message_id FROM restricted_message_ids))"
    return "messages"


def messages_section(con) -> Section:
    if not _has(con, "messages", "chat_id", "month"):
        return _not_available("no messages table yet")
    src = visible_messages(con)
    total = con.execute(f"SELECT count(*) FROM {src} m").fetchone()[0]
    per_month = con.execute(f"SELECT month, count(*) FROM {src} m GROUP BY month ORDER BY month").fetchall()
    per_chat_month = con.execute(
        f"SELECT chat_id, month, count(*) FROM {src} m GROUP BY chat_id, month ORDER BY chat_id, month").fetchall()
    per_type = dict(con.execute(f"SELECT coalesce(message_type, 'unknown'), count(*) FROM {src} m GROUP BY 1").fetchall())
    per_chat: dict[str, dict[str, Any]] = {}
    for chat_id, month, n in per_chat_month:
        c = per_chat.setdefault(chat_id, {"chat_id": chat_id, "label": chat_label(chat_id), "total": 0, "months": {}})
        c["total"] += n
        c["months"][month] = n
    for c in per_chat.values():
        ms = sorted(c["months"])
        c["first_month"], c["last_month"] = (ms[0], ms[-1]) if ms else ("", "")
    chats = sorted(per_chat.values(), key=lambda c: (-c["total"], c["chat_id"] or ""))
    months = [m for m, _ in per_month]
    recent = months[-12:]
    return Section(data={"total": total, "per_month": per_month, "per_chat": chats, "per_type": per_type,
                         "restricted": restricted_count(con),
                         "recent_months": recent, "earlier_months": months[:-12],
                         "per_chat_month": per_chat_month})


def findings_section(con) -> Section:
    if not _has(con, "findings", "message_id", "entity_type"):
        return _not_available("no findings table yet (the scanner has not run)")
    join_ok = _has(con, "messages", "message_id", "language", "month")
    visible = _visible_findings(con)
    if join_ok:
        rows = con.execute(
            "SELECT f.entity_type, coalesce(m.language, 'unknown'), coalesce(m.month, 'unknown'), count(*), "
            f"count(DISTINCT f.message_id) FROM {visible} f LEFT JOIN messages m USING (message_id) "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").fetchall()
    else:
        rows = con.execute("SELECT entity_type, 'unknown', 'unknown', count(*), count(DISTINCT message_id) "
                           f"FROM {visible} f GROUP BY 1 ORDER BY 1").fetchall()
    summary = [{"entity_type": e, "language": lang, "month": month, "findings": n, "messages": nm,
                "special_category": e in SPECIAL_CATEGORIES} for e, lang, month, n, nm in rows]
    per_type: dict[str, int] = {}
    per_type_lang: dict[str, dict[str, int]] = {}
    per_month_type: dict[str, dict[str, int]] = {}
    languages: set[str] = set()
    for r in summary:
        per_type[r["entity_type"]] = per_type.get(r["entity_type"], 0) + r["findings"]
        per_type_lang.setdefault(r["entity_type"], {})
        per_type_lang[r["entity_type"]][r["language"]] = per_type_lang[r["entity_type"]].get(r["language"], 0) + r["findings"]
        per_month_type.setdefault(r["month"], {})
        per_month_type[r["month"]][r["entity_type"]] = per_month_type[r["month"]].get(r["entity_type"], 0) + r["findings"]
        languages.add(r["language"])
    total = sum(per_type.values())
    scanned = None
    if _has(con, "messages", "message_id"):
        scanned = con.execute(f"SELECT count(DISTINCT message_id) FROM {visible} f").fetchone()[0]
    return Section(data={"total": total, "summary": summary, "per_type": sorted(per_type.items(), key=lambda kv: -kv[1]),
                         "per_type_lang": per_type_lang, "languages": sorted(languages),
                         "per_month_type": dict(sorted(per_month_type.items())),
                         "messages_with_findings": scanned})


def _visible_findings(con) -> str:
    if restricted_count(con):
        return "(SELECT * FROM findings WHERE message_id NOT IN (SELECT message_id FROM restricted_message_ids))"
    return "findings"


def special_section(con) -> Section:
    if not _has(con, "findings", "message_id", "entity_type"):
        return _not_available("no findings table yet (the scanner has not run)")
    if not _has(con, "messages", "message_id", "chat_id"):
        return _not_available("no messages table to place findings in chats")
    cats = list(SPECIAL_CATEGORIES)
    rows = con.execute(
        "SELECT m.chat_id, f.entity_type, count(*), count(DISTINCT f.message_id) "
        f"FROM {_visible_findings(con)} f JOIN messages m USING (message_id) "
        "WHERE f.entity_type IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1, 2 ORDER BY 1, 2", [cats]).fetchall()
    per_chat: dict[str, dict[str, Any]] = {}
    for chat_id, entity, n, nm in rows:
        c = per_chat.setdefault(chat_id, {"chat_id": chat_id, "label": chat_label(chat_id), "findings": 0,
                                          "messages": 0, "categories": {}})
        c["findings"] += n
        c["messages"] += nm
        c["categories"][entity] = n
    ordered = sorted(per_chat.values(), key=lambda c: (-c["findings"], c["chat_id"]))
    return Section(data={"per_chat": ordered})


def retention_section(con, as_of: date, policy: policyview.PolicyView) -> Section:
    if not _has(con, "retention", "message_id", "retain_until"):
        return _not_available("no retention table yet (retention has not been evaluated)")
    present = columns(con, "retention")
    hold_col = "legal_hold" if "legal_hold" in present else None
    held_expr = f"({hold_col} IS NOT NULL AND {hold_col} <> '')" if hold_col else "FALSE"
    rule_col = "rule" if "rule" in present else "NULL"
    action_col = "action" if "action" in present else "NULL"
    total = con.execute("SELECT count(*) FROM retention").fetchone()[0]
    per_rule = [{"rule": r or "(none)", "action": a or "", "messages": n, "held": h,
                 "retain_days": policy.rule_days(r)} for r, a, n, h in con.execute(
        f"SELECT {rule_col}, {action_col}, count(*), count(*) FILTER (WHERE {held_expr}) FROM retention "
        "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()]
    holds = []
    held_total = 0
    if hold_col:
        chat_join = _has(con, "messages", "message_id", "chat_id")
        sql = (f"SELECT r.{hold_col}, count(*), " + ("count(DISTINCT m.chat_id) " if chat_join else "NULL ") +
               "FROM retention r " + ("LEFT JOIN messages m USING (message_id) " if chat_join else "") +
               f"WHERE r.{hold_col} IS NOT NULL AND r.{hold_col} <> '' GROUP BY 1 ORDER BY 2 DESC, 1")
        for name, n, chats in con.execute(sql).fetchall():
            h = policy.hold(name)
            holds.append({"name": name, "messages": n, "chats": chats,
                          "reason": h.reason if h else "(hold not in the current policy)",
                          "until": h.until if h else "", "in_policy": h is not None})
            held_total += n
        seen = {h["name"] for h in holds}
        for h in policy.holds:  # holds in the policy that cover nothing yet are worth seeing too
            if h.name not in seen:
                holds.append({"name": h.name, "messages": 0, "chats": 0, "reason": h.reason, "until": h.until,
                              "in_policy": True})
    start = date(as_of.year, as_of.month, 1)
    end = month_add(start, 12)
    due_rows = dict(con.execute(
        f"SELECT strftime(retain_until::DATE, '%Y-%m'), count(*) FROM retention "
        f"WHERE NOT {held_expr} AND retain_until::DATE > ?::DATE AND retain_until::DATE < ?::DATE GROUP BY 1",
        [as_of, end]).fetchall())
    due_by_month = [(month_add(start, i).strftime("%Y-%m"), int(due_rows.get(month_add(start, i).strftime("%Y-%m"), 0)))
                    for i in range(12)]
    due_now = con.execute(f"SELECT count(*) FROM retention WHERE NOT {held_expr} AND retain_until::DATE <= ?::DATE",
                          [as_of]).fetchone()[0]
    return Section(data={"total": total, "per_rule": per_rule, "holds": holds, "held_total": held_total,
                         "due_by_month": due_by_month, "due_now": due_now})


def copy_deletion_list(con, path, header: list[str]) -> int:
    """The current deletion list by message id, rule and date, written as CSV by DuckDB itself:
    a list can hold millions of rows, so they never pass through Python. Returns the row count."""
    present = columns(con, "deletion_list") if _has(con, "deletion_list", "message_id") else []
    if not present:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(header) + "\n")
        return 0
    exprs = []
    for c in header:
        if c not in present:
            exprs.append(f"NULL AS {c}")
        elif c == "retain_until":
            exprs.append("strftime(retain_until::DATE, '%Y-%m-%d') AS retain_until")
        elif c == "message_id":
            exprs.append("message_id")
        else:  # rule and action names come from the policy: still no cell may start a spreadsheet formula
            exprs.append(f"CASE WHEN left({c}, 1) IN ('=', '+', '-', '@') THEN chr(39) || {c} ELSE {c} END AS {c}")
    order = "retain_until, message_id" if "retain_until" in present else "message_id"
    target = str(path).replace("'", "''")
    con.execute(f"COPY (SELECT {', '.join(exprs)} FROM deletion_list ORDER BY {order}) TO '{target}' "
                "(FORMAT csv, HEADER true)")
    return con.execute("SELECT count(*) FROM deletion_list").fetchone()[0]


def approval_warn_days() -> int:
    """Same setting as the retention domain's check: a list waiting longer than this is flagged."""
    return settings.load().approval_warn_days


def deletion_lists_section(con, as_of: date, today: date | None = None) -> Section:
    """``today`` is the clock's date when the report is made: a list's age is how long it has waited
    in the world, never negative (a report for a past as-of date can see lists made later)."""
    today = today or as_of
    current = con.execute("SELECT count(*) FROM deletion_list").fetchone()[0] if _has(con, "deletion_list", "message_id") else None
    if current is None and not warehouse.table_exists(con, "deletion_lists"):
        return _not_available("no deletion list yet (retention has not run)")
    per_rule = []
    if current:
        present = columns(con, "deletion_list")
        if "rule" in present:
            per_rule = con.execute("SELECT rule, count(*) FROM deletion_list GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    awaiting: list[dict[str, Any]] = []
    lists: list[dict[str, Any]] = []
    note = ""
    if warehouse.table_exists(con, "deletion_lists"):
        present = columns(con, "deletion_lists")
        id_col = _first(present, "list_id", "deletion_list_id", "id")
        created_col = _first(present, "created_at", "proposed_at", "listed_at", "created")
        status_col = _first(present, "status", "state")
        count_col = _first(present, "item_count", "message_count", "messages", "row_count", "count")
        approved_col = _first(present, "approved_at")
        executed_col = _first(present, "applied_at", "executed_at", "carried_out_at", "deleted_at")
        approver_col = None  # approvers are people: never reported by name
        sel = [c for c in (id_col, created_col, status_col, count_col, approved_col, executed_col) if c]
        if id_col and sel:
            order = f"{created_col} DESC NULLS LAST" if created_col else id_col
            for values in con.execute(f"SELECT {', '.join(sel)} FROM deletion_lists ORDER BY {order}").fetchall():
                r = dict(zip(sel, values))
                created = _as_date(r.get(created_col)) if created_col else None
                item = {"list_id": str(r[id_col]), "created_at": _iso(r.get(created_col)) if created_col else "",
                        "status": str(r.get(status_col) or "") if status_col else "",
                        "messages": r.get(count_col) if count_col else None,
                        "approved_at": _iso(r.get(approved_col)) if approved_col else "",
                        "executed_at": _iso(r.get(executed_col)) if executed_col else "",
                        "age_days": max(0, (today - created).days) if created else None}
                lists.append(item)
                if status_col and item["status"].lower() in AWAITING_STATUSES:
                    awaiting.append(item)
        del approver_col
    else:
        note = "no approval register yet: the current list is shown without its approval state"
    return Section(note=note, data={"current_list_rows": current or 0, "per_rule": per_rule, "lists": lists[:50],
                                    "warn_days": approval_warn_days(),
                                    "awaiting": awaiting, "register": warehouse.table_exists(con, "deletion_lists")})


# Columns of a certificate table worth showing: ids, dates, counts, hashes, statuses. Free text never.
_SAFE_COL = re.compile(r"^(?:.*_id|id|.*_at|.*_date|date|.*count|.*_total|count|messages|.*sha256|.*hash|status|"
                       r"rule|action|kind|state|deleted|anonymised|anonymized|as_of)$")


# Certificate columns shown first, in this order, when present; noisy hashes and free text are left out.
_CERT_PREFERRED = ("certificate_id", "list_id", "status", "as_of", "approved_at", "started_at", "executed_at",
                   "completed_at", "issued_at", "messages_deleted", "certificate_sha256")
_CERT_SKIP = ("list_hash", "policy_sha256", "run_id", "purge_id", "counts")


def _certificate_counts(raw: Any) -> dict[str, int]:
    """Totals from the certificate's JSON counts (plan or final shape): listed, deleted, anonymised, skipped."""
    try:
        doc = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    executed = doc.get("executed") if isinstance(doc.get("executed"), dict) else doc
    skipped = doc.get("skipped")

    def num(v: Any) -> int | None:
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    out = {"listed": num(doc.get("listed")), "deleted": num(executed.get("delete")),
           "anonymised": num(executed.get("anonymise")),
           "skipped": sum(v for v in skipped.values() if num(v) is not None) if isinstance(skipped, dict) else num(skipped)}
    return {k: v for k, v in out.items() if v is not None}


def deletions_section(con) -> Section:
    if not warehouse.table_exists(con, "deletion_certificates"):
        return _not_available("no deletions carried out yet (no certificate register)")
    present = columns(con, "deletion_certificates")
    safe = [c for c in present if _SAFE_COL.match(c) and c not in _CERT_SKIP
            and not c.startswith(("subject", "author", "approver", "approved_by", "requested_by", "chat_name"))]
    cols = [c for c in _CERT_PREFERRED if c in safe] + [c for c in safe if c not in _CERT_PREFERRED]
    order_col = _first(present, "completed_at", "issued_at", "executed_at", "started_at", "created_at")
    order = f"{order_col} DESC NULLS LAST" if order_col else (cols[0] if cols else "1")
    with_counts = "counts" in present
    with_path = "certificate_path" in present
    select = cols + (["counts"] if with_counts else []) + (["certificate_path"] if with_path else [])
    if not cols:
        return Section(note="certificate register has no reportable columns",
                       data={"certificates": [], "columns": [], "files": []})
    count_cols = ["listed", "deleted", "anonymised", "skipped"] if with_counts else []
    rows, files = [], []
    for values in con.execute(f"SELECT {', '.join(select)} FROM deletion_certificates ORDER BY {order}").fetchall():
        shown = [_mask_free_text(v if isinstance(v, (int, float)) or v is None else _iso(v)) for v in values[:len(cols)]]
        if with_counts:
            totals = _certificate_counts(values[len(cols)])
            shown += [totals.get(k) for k in count_cols]
        rows.append(shown)
        files.append(certificate_file_name(values[-1]) if with_path else None)
    # counts go right after the dates, before the long certificate hash
    header = cols + count_cols
    if count_cols and "certificate_sha256" in cols:
        i = header.index("certificate_sha256")
        header = header[:i] + header[i + 1:] + ["certificate_sha256"]
        rows = [r[:i] + r[i + 1:] + [r[i]] for r in rows]
    return Section(data={"columns": header, "certificates": rows, "files": files})


CERTIFICATE_FILE = re.compile(r"^deletion-certificate-[A-Za-z0-9_-]{1,64}\.json$")


def certificate_file_name(path: Any) -> str | None:
    """The certificate's file name when it lies in ``reports/certificates/`` (where the report and
    the download app link to it); never a path."""
    if not path:
        return None
    parts = str(path).replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] == "certificates" and CERTIFICATE_FILE.match(parts[-1]):
        return parts[-1]
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:[+-]\d{2}:?\d{2}|Z)?)?")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F]{8,64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9_.:+\-/]{1,64}")


def _mask_free_text(value: Any) -> Any:
    """A column that looks safe by its name may still hold free text: only dates, hex ids and short
    tokens without a phone-length run of digits pass; anything else is withheld."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    s = str(value)
    if s == "" or _ISO_DATE.fullmatch(s) or _HEX_OR_UUID.fullmatch(s):
        return s
    if _TOKEN.fullmatch(s) and "@" not in s and not re.search(r"\d{9,}", re.sub(r"[\s./\-]", "", s)):
        return s
    return "[withheld]"


def dsr_section(con, as_of: date) -> Section:
    if not warehouse.table_exists(con, "dsr_requests"):
        return _not_available("no data-subject requests register yet")
    present = columns(con, "dsr_requests")
    id_col = _first(present, "request_id", "id")
    kind_col = _first(present, "kind", "request_kind", "type")
    received_col = _first(present, "received_on", "received_at", "created_at", "requested_at")
    due_col = _first(present, "due_date", "deadline", "due_at", "due")
    status_col = _first(present, "status", "state")
    done_col = _first(present, "completed_at", "closed_at", "answered_at", "done_at")
    sel = [c for c in (id_col, kind_col, received_col, due_col, status_col, done_col) if c]
    if not id_col:
        return Section(available=False, note="not available: request register has no request id")
    order = f"{due_col} NULLS LAST" if due_col else id_col
    requests = []
    open_n = overdue = 0
    for values in con.execute(f"SELECT {', '.join(sel)} FROM dsr_requests ORDER BY {order}").fetchall():
        r = dict(zip(sel, values))
        status = str(r.get(status_col) or "") if status_col else ""
        is_open = not (status.lower() in CLOSED_DSR_STATUSES or (done_col and r.get(done_col)))
        due = _as_date(r.get(due_col)) if due_col else None
        days_left = (due - as_of).days if due else None
        item = {"request_id": _mask_free_text(str(r[id_col])), "kind": str(r.get(kind_col) or "") if kind_col else "",
                "received_at": _iso(r.get(received_col)) if received_col else "",
                "due_date": due.isoformat() if due else "", "status": _mask_free_text(status),
                "completed_at": _iso(r.get(done_col)) if done_col else "", "open": is_open,
                "days_left": days_left if is_open else None, "overdue": bool(is_open and days_left is not None and days_left < 0)}
        open_n += is_open
        overdue += item["overdue"]
        requests.append(item)
    per_kind: dict[str, int] = {}
    for r in requests:
        per_kind[r["kind"] or "unknown"] = per_kind.get(r["kind"] or "unknown", 0) + 1
    return Section(data={"requests": requests, "open": open_n, "overdue": overdue, "per_kind": per_kind})


def audit_section(con) -> Section:
    if not warehouse.table_exists(con, "audit_log"):
        return _not_available("no audit log yet")
    v = audit.verify(con)
    events = con.execute("SELECT event, count(*), max(ts) FROM audit_log GROUP BY 1 ORDER BY 1").fetchall()
    return Section(data={"ok": v.ok, "rows": v.rows, "problem": v.problem or "",
                         "events": [(e, n, _iso(ts)) for e, n, ts in events]})


def collect(con: duckdb.DuckDBPyConnection, as_of: date, policy: policyview.PolicyView,
            generated_at: datetime) -> ReportData:
    return ReportData(
        as_of=as_of, generated_at=generated_at, policy=policy,
        archives=archives_section(con), messages=messages_section(con), findings=findings_section(con),
        special=special_section(con), retention=retention_section(con, as_of, policy),
        deletion_lists=deletion_lists_section(con, as_of, generated_at.date()), deletions=deletions_section(con),
        dsr=dsr_section(con, as_of), audit=audit_section(con))
